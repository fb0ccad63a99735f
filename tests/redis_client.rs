//! verdis through the `redis` crate, a real client: typed commands, pipelines, transactions of
//! replies, and RESP3 negotiated by the client.

use redis::Commands;

fn connect(server: &verdis::Server, resp3: bool) -> redis::Connection {
    let url = if resp3 { format!("{}?protocol=resp3", server.url()) } else { server.url() };
    redis::Client::open(url).expect("client").get_connection().expect("connect")
}

#[test]
fn strings_and_expiry_through_a_real_client() {
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server, false);
    let _: () = con.set("greeting", "hello").unwrap();
    let got: String = con.get("greeting").unwrap();
    assert_eq!(got, "hello");
    let n: i64 = con.incr("counter", 5).unwrap();
    assert_eq!(n, 5);
    let missing: Option<String> = con.get("nosuch").unwrap();
    assert_eq!(missing, None);
    let _: () = con.mset(&[("a", "1"), ("b", "2")]).unwrap();
    let values: Vec<Option<String>> = con.mget(&["a", "b", "c"]).unwrap();
    assert_eq!(values, vec![Some("1".into()), Some("2".into()), None]);
    let set: bool = con.expire("a", 100).unwrap();
    assert!(set);
    let ttl: i64 = con.ttl("a").unwrap();
    assert_eq!(ttl, 100);
    let removed: i64 = con.del(&["a", "b", "nosuch"]).unwrap();
    assert_eq!(removed, 2);
    let err = con.incr::<_, _, i64>("greeting", 1).unwrap_err();
    assert!(err.to_string().contains("not an integer"), "{err}");
}

#[test]
fn pipelines_keep_order() {
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server, false);
    let mut pipe = redis::pipe();
    for i in 0..100 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    for i in 0..100 {
        pipe.cmd("GET").arg(format!("k{i}"));
    }
    let values: Vec<i64> = pipe.query(&mut con).unwrap();
    assert_eq!(values, (0..100).collect::<Vec<_>>());
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 100);
}

#[test]
fn resp3_is_negotiated_with_hello() {
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server, true);
    let _: () = con.set("k", "v").unwrap();
    let got: String = con.get("k").unwrap();
    assert_eq!(got, "v");
    let value: redis::Value = redis::cmd("HELLO").arg(3).query(&mut con).unwrap();
    assert!(matches!(value, redis::Value::Map(_)), "{value:?}");
    let null: redis::Value = redis::cmd("GET").arg("nosuch").query(&mut con).unwrap();
    assert_eq!(null, redis::Value::Nil);
}
