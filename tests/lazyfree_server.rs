//! Lazy free through a running server, whose engine uses the threaded back end: FLUSHALL ASYNC
//! empties the keyspace at once, and the counters in INFO memory converge as the free thread works.

use std::time::{Duration, Instant};

fn connect(server: &verdis::Server) -> redis::Connection {
    redis::Client::open(server.url()).expect("client").get_connection().expect("connect")
}

fn counters(con: &mut redis::Connection) -> (u64, u64) {
    let info: String = redis::cmd("INFO").arg("memory").query(con).unwrap();
    let field = |name: &str| -> u64 {
        let prefix = format!("{name}:");
        info.lines().find_map(|l| l.strip_prefix(&prefix)).expect(name).trim().parse().unwrap()
    };
    (field("lazyfree_pending_objects"), field("lazyfreed_objects"))
}

/// Waits (bounded) until nothing is pending; returns the counters then.
fn settle(con: &mut redis::Connection) -> (u64, u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = counters(con);
        if c.0 == 0 || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn fill(con: &mut redis::Connection, db: i64, keys: usize) {
    let _: () = redis::cmd("SELECT").arg(db).query(con).unwrap();
    for chunk in (0..keys).collect::<Vec<_>>().chunks(1000) {
        let mut mset = redis::cmd("MSET");
        for i in chunk {
            mset.arg(format!("key:{i}")).arg(format!("value:{i}"));
        }
        let _: () = mset.query(con).unwrap();
    }
    let _: () = redis::cmd("SELECT").arg(0).query(con).unwrap();
}

#[test]
fn flushall_async_frees_in_the_background() {
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server);
    fill(&mut con, 0, 50_000);
    fill(&mut con, 2, 1_000);
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 0);
    let (pending, freed) = counters(&mut con);
    assert_eq!(pending + freed, 51_000, "each flushed key is pending or freed");
    assert_eq!(settle(&mut con), (0, 51_000));

    // FLUSHDB with lazyfree-lazy-user-flush, then SYNC (which counts nothing).
    let _: () = redis::cmd("CONFIG").arg("SET").arg("lazyfree-lazy-user-flush").arg("yes").query(&mut con).unwrap();
    fill(&mut con, 0, 10);
    let _: () = redis::cmd("FLUSHDB").query(&mut con).unwrap();
    assert_eq!(settle(&mut con), (0, 51_010));
    fill(&mut con, 0, 10);
    let _: () = redis::cmd("FLUSHDB").arg("SYNC").query(&mut con).unwrap();
    assert_eq!(settle(&mut con), (0, 51_010));

    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut con).unwrap();
    assert_eq!(counters(&mut con), (0, 0));
}

#[test]
fn stopping_the_server_drains_the_free_thread() {
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server);
    fill(&mut con, 0, 20_000);
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    drop(con);
    // Stop joins the event loop thread, whose engine drains and joins the free thread.
    server.stop();
}
