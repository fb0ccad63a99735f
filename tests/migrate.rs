//! MIGRATE (rule KEY-19): verdis and a real redis-server, each as the source, move keys to a real
//! redis-server target with the same command sequence; replies, what reaches the target and what
//! stays behind must be the same. Also verdis to verdis, and the engine without a dialer.

mod common;

use common::oracle::RedisOracle;
use common::process::fingerprint;
use common::wire::{args, Wire};
use std::net::SocketAddr;
use verdis::engine::testkit::Harness;
use verdis::resp::Frame;

/// The command sequence; `{port}` is the target's port.
const SCRIPT: &[&str] = &[
    "RPUSH l a b c",
    "SET s v PX 100000",
    "HSET h f v",
    "ZADD z 1 m",
    "MIGRATE 127.0.0.1 {port} l 0 1000",
    "MIGRATE 127.0.0.1 {port} nokey 0 1000",
    "MIGRATE 127.0.0.1 {port} \"\" 3 1000 KEYS s h nokey",
    "MIGRATE 127.0.0.1 {port} \"\" 3 1000 COPY KEYS x",
    "SET l z",
    "MIGRATE 127.0.0.1 {port} l 0 1000 COPY",
    "MIGRATE 127.0.0.1 {port} l 0 1000 COPY REPLACE",
    "MIGRATE 127.0.0.1 {port} l 0 1000 AUTH pw",
    "MIGRATE 127.0.0.1 {port} l 0 1000 AUTH2 u",
    "MIGRATE 127.0.0.1 {port} l 0 1000 KEYS a",
    "MIGRATE 127.0.0.1 {port} l 0 1000 FOO",
    "MIGRATE 127.0.0.1 {port} l x 1000",
    "MIGRATE 127.0.0.1 {port} z 0 0 REPLACE",
    "DBSIZE",
];

/// Runs the script on `source` against `target` (flushed first); the replies.
fn run(source: SocketAddr, target: SocketAddr) -> Vec<Vec<u8>> {
    let mut t = Wire::connect(target);
    t.call(&args("FLUSHALL"));
    let mut w = Wire::connect(source);
    w.call(&args("FLUSHALL"));
    let port = target.port().to_string();
    SCRIPT.iter().map(|line| w.call(&args(&line.replace("{port}", &port)))).collect()
}

// rule: KEY-19
#[test]
fn verdis_migrates_as_redis_does() {
    let Some(target) = RedisOracle::start(&[]) else { return };
    let Some(redis_source) = RedisOracle::start(&[]) else { return };
    let verdis = verdis::Server::start().expect("verdis");
    let expected = run(redis_source.addr, target.addr);
    let target_after_redis = fingerprint(target.addr);
    let got = run(verdis.addr(), target.addr);
    for ((line, e), g) in SCRIPT.iter().zip(&expected).zip(&got) {
        assert_eq!(String::from_utf8_lossy(g), String::from_utf8_lossy(e), "{line}");
    }
    // The expiry times differ by the milliseconds between the two runs: compared as present.
    let coarse = |f: Vec<String>| -> Vec<String> {
        f.into_iter()
            .map(|e| if e.starts_with("3:s:") { e[..e.rfind(":Line(").unwrap_or(e.len())].to_string() } else { e })
            .collect()
    };
    let target_after_verdis = fingerprint(target.addr);
    assert_eq!(coarse(target_after_verdis.clone()), coarse(target_after_redis));
    assert!(target_after_verdis.iter().any(|e| e.starts_with("3:s:") && !e.ends_with("Line([58, 45, 49])")));
    assert_eq!(fingerprint(verdis.addr()), fingerprint(redis_source.addr));
    // A refused connection is reported as Redis's non-blocking connect reports it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let line = format!("MIGRATE 127.0.0.1 {closed} z 0 100 COPY");
    let mut r = Wire::connect(redis_source.addr);
    r.call(&args("ZADD z 1 m"));
    let mut v = Wire::connect(verdis.addr());
    v.call(&args("ZADD z 1 m"));
    assert_eq!(v.call(&args(&line)), r.call(&args(&line)));
}

// rule: KEY-19
#[test]
fn verdis_to_verdis_moves_every_type_and_propagates_del() {
    let source = verdis::Server::start().expect("source");
    let target = verdis::Server::start().expect("target");
    let mut w = Wire::connect(source.addr());
    for line in ["SET s 1", "RPUSH l a b", "SADD st x", "ZADD z 2 m", "HSET h f v", "XADD x 1-1 f v", "PFADD p a"] {
        w.call(&args(line));
    }
    let before = fingerprint(source.addr());
    let line = format!("MIGRATE 127.0.0.1 {} \"\" 0 1000 KEYS s l st z h x p", target.addr().port());
    assert_eq!(w.call(&args(&line)), b"+OK\r\n".to_vec());
    assert_eq!(fingerprint(target.addr()), before);
    assert_eq!(w.call(&args("DBSIZE")), b":0\r\n".to_vec());
    let stats = String::from_utf8_lossy(&w.call(&args("INFO stats"))).into_owned();
    assert!(stats.contains("migrate_cached_sockets:1"), "{stats}");
}

// rule: KEY-19
#[test]
fn without_a_dialer_migrate_cannot_connect_and_propagates_nothing() {
    let mut h = Harness::new();
    h.run("SET k v");
    assert_eq!(h.run("MIGRATE 127.0.0.1 1 missing 0 10"), Frame::Simple("NOKEY".into()));
    let logged = h.propagated(&["MIGRATE 127.0.0.1 1 k 0 10"]);
    assert!(logged.is_empty(), "{logged:?}");
    assert_eq!(
        h.run("MIGRATE 127.0.0.1 1 k 0 10"),
        Frame::Error("IOERR error or timeout connecting to the client".into())
    );
    assert_eq!(h.run("GET k"), Frame::Bulk(b"v".to_vec()));
}
