//! What commands propagate to the AOF, checked against what real Redis 7.0.15 wrote into its
//! appendonlydir for the same commands (see the session notes in specs/rules/aof.md, AOF-1..AOF-4).

use verdis::engine::testkit::Harness;

// rule: AOF-1
#[test]
fn writes_propagate_as_typed_and_reads_do_not() {
    let mut h = Harness::new();
    let out = h.propagated(&[
        "set a 1",
        "get a",
        "set nochange 1 NX",
        "set nochange 2 NX",
        "del missing",
        "incrby n 1",
        "lpush l x",
    ]);
    assert_eq!(out, ["0:set a 1", "0:set nochange 1 NX", "0:incrby n 1", "0:lpush l x"]);
}

// rule: AOF-2
#[test]
fn relative_times_become_absolute() {
    let mut h = Harness::new();
    let t = h.now_ms;
    let out = h.propagated(&[
        "SET b 2 EX 100",
        "SET a 1",
        "EXPIRE a 100",
        "SETEX c 10 v",
        "PSETEX c 10000 v",
        "GETEX a EX 5",
        "GETEX a PERSIST",
        "EXPIREAT a 99999999999",
        "PEXPIRE a 100000",
        "EXPIRE a 200 GT",
        "PEXPIREAT a 99999999999000",
        "SET q 1 EXAT 99999999999",
        "SET y 1 GET",
        "SET k v KEEPTTL",
    ]);
    let at = |ms: u64| (t + ms).to_string();
    assert_eq!(
        out,
        [
            format!("0:SET b 2 PXAT {}", at(100_000)),
            "0:SET a 1".into(),
            format!("0:PEXPIREAT a {}", at(100_000)),
            format!("0:SET c v PXAT {}", at(10_000)),
            format!("0:SET c v PXAT {}", at(10_000)),
            format!("0:PEXPIREAT a {}", at(5_000)),
            "0:PERSIST a".into(),
            "0:PEXPIREAT a 99999999999000".into(),
            format!("0:PEXPIREAT a {}", at(100_000)),
            format!("0:PEXPIREAT a {} GT", at(200_000)),
            "0:PEXPIREAT a 99999999999000".into(),
            "0:SET q 1 PXAT 99999999999000".into(),
            "0:SET y 1".into(),
            "0:SET k v KEEPTTL".into(),
        ]
    );
}

// rule: AOF-2
#[test]
fn computed_values_and_deletions() {
    let mut h = Harness::new();
    let out = h.propagated(&[
        "INCRBYFLOAT f 1.5",
        "HINCRBYFLOAT h x 2.5",
        "SET k v",
        "GETDEL k",
        "SET a 1",
        "EXPIRE a -1",
        "SET s v",
        "GETSET s v2",
        "SADD st a",
        "SPOP st",
    ]);
    assert_eq!(
        out,
        [
            "0:SET f 1.5 KEEPTTL",
            "0:HSET h x 2.5",
            "0:SET k v",
            "0:DEL k",
            "0:SET a 1",
            "0:DEL a",
            "0:SET s v",
            "0:SET s v2",
            "0:SADD st a",
            "0:SREM st a",
        ]
    );
}

// rule: AOF-3
#[test]
fn spop_with_count_is_a_transaction_of_srems() {
    let mut h = Harness::new();
    h.run("SADD big 1 2 3 4 5 6 7 8 9 10");
    h.run("SADD small a b c");
    let out = h.propagated(&["SPOP big 9", "SPOP small 5"]);
    assert_eq!(out.first().map(String::as_str), Some("0:MULTI"));
    assert_eq!(out.iter().filter(|l| l.starts_with("0:SREM big ")).count(), 9);
    assert_eq!(out[10], "0:EXEC");
    assert_eq!(out[11], "0:DEL small");
    assert_eq!(out.len(), 12);
}

// rule: AOF-3
#[test]
fn expired_keys_are_deleted_before_the_command_that_found_them() {
    let mut h = Harness::new();
    h.run("SET g 1 PX 1");
    h.run("SET j 1 PX 1");
    h.advance_ms(10);
    // A write that finds the key expired: DEL then the write, as one transaction.
    // A read: the DEL alone.
    let out = h.propagated(&["SET g 2", "GET j"]);
    assert_eq!(out, ["0:MULTI", "0:DEL g", "0:SET g 2", "0:EXEC", "0:DEL j"]);
    h.run("CONFIG SET lazyfree-lazy-expire yes");
    h.run("SET u 1 PX 1");
    h.advance_ms(10);
    h.engine.take_propagated();
    assert_eq!(h.propagated(&["GET u"]), ["0:UNLINK u"]);
}

// rule: AOF-3
#[test]
fn active_expiry_deletes_without_transaction() {
    let mut h = Harness::new();
    for i in 0..5 {
        h.run(&format!("SET k{i} v PX 1"));
    }
    h.advance_ms(10);
    h.engine.prop.enabled = true;
    let now = h.now_ms;
    h.engine.cron(now);
    let out: Vec<_> = h.engine.take_propagated().into_iter().map(|(_, a)| a).collect();
    assert_eq!(out.len(), 5);
    assert!(out.iter().all(|a| a[0] == b"DEL"));
}

// rule: AOF-4
#[test]
fn transactions_and_databases() {
    let mut h = Harness::new();
    let out = h.propagated(&[
        "MULTI",
        "SET t1 1",
        "SET t2 2",
        "EXEC",
        "MULTI",
        "SET t3 1",
        "GET t3",
        "EXEC",
        "MULTI",
        "GET t3",
        "EXEC",
        "SELECT 3",
        "set z 1",
        "SWAPDB 0 3",
        "SELECT 0",
        "FLUSHDB",
        "FLUSHALL",
        "FLUSHALL",
    ]);
    assert_eq!(
        out,
        [
            "0:MULTI",
            "0:SET t1 1",
            "0:SET t2 2",
            "0:EXEC",
            "0:SET t3 1",
            "3:set z 1",
            "3:SWAPDB 0 3",
            "0:FLUSHDB",
            "0:FLUSHALL",
            "0:FLUSHALL",
        ]
    );
}

// rule: AOF-4
#[test]
fn blocking_pops_propagate_as_their_pops() {
    let mut h = Harness::new();
    h.engine.prop.enabled = true;
    let waiter = h.new_client();
    h.run("BLPOP E 0");
    let pusher = h.new_client();
    h.client = pusher;
    h.run("RPUSH E x y");
    h.run("LPUSH ll a");
    h.run("LMPOP 1 ll LEFT");
    let _ = waiter;
    let out: Vec<String> = h
        .engine
        .take_propagated()
        .into_iter()
        .map(|(_, a)| a.iter().map(|x| String::from_utf8_lossy(x).into_owned()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(out, ["RPUSH E x y", "LPOP E", "LPUSH ll a", "LPOP ll 1"]);
}

// rule: AOF-2
#[test]
fn restore_with_relative_ttl_gets_absttl() {
    let mut h = Harness::new();
    h.run("SET src v");
    let verdis::resp::Frame::Bulk(payload) = h.run("DUMP src") else { panic!("no dump") };
    h.engine.prop.enabled = true;
    let argv = vec![b"RESTORE".to_vec(), b"dst".to_vec(), b"5000".to_vec(), payload.clone()];
    h.run_argv(&argv);
    let out = h.engine.take_propagated();
    assert_eq!(out.len(), 1);
    let at = (h.now_ms + 5000).to_string().into_bytes();
    assert_eq!(out[0].1, vec![b"RESTORE".to_vec(), b"dst".to_vec(), at, payload, b"ABSTTL".to_vec()]);
}

#[test]
fn nothing_is_recorded_when_disabled() {
    let mut h = Harness::new();
    h.run("SET a 1");
    h.run("SADD s a b c");
    h.run("SPOP s 2");
    assert!(h.engine.take_propagated().is_empty());
}
