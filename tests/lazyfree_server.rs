//! Lazy free through a running server, whose engine uses the threaded back end: FLUSHALL ASYNC
//! empties the keyspace at once, and the counters in INFO memory converge as the free thread works;
//! and the counters compared with a real redis-server 7.0.15 over the same script.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, show, Wire};
use std::time::{Duration, Instant};

// Counted, as in verdis-server, so that INFO's used_memory is the bytes allocated.
#[global_allocator]
static ALLOC: verdis::alloc::Counting = verdis::alloc::Counting;

/// The tests of this binary run one at a time: used_memory counts the whole process.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

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

fn used_memory(con: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("memory").query(con).unwrap();
    info.lines().find_map(|l| l.strip_prefix("used_memory:")).expect("used_memory").trim().parse().unwrap()
}

/// used_memory counts allocated bytes: it grows with the dataset and falls back as the free
/// thread releases a flushed keyspace (RSS would not: the allocator keeps freed pages).
// rules: LAZY-4
#[test]
fn used_memory_falls_as_the_free_thread_frees() {
    let _serial = serial();
    verdis::alloc::mark_installed();
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server);
    let empty = used_memory(&mut con);
    fill(&mut con, 0, 100_000);
    let full = used_memory(&mut con);
    assert!(full > empty + 5_000_000, "100k keys should take over 5 MB: {empty} -> {full}");
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    settle(&mut con);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut after = used_memory(&mut con);
    while after > empty + (full - empty) / 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        after = used_memory(&mut con);
    }
    assert!(after <= empty + (full - empty) / 10, "used_memory {empty} -> {full} -> {after}");
}

// rules: LAZY-4 LAZY-8 LAZY-9
#[test]
fn flushall_async_frees_in_the_background() {
    let _serial = serial();
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server);
    fill(&mut con, 0, 50_000);
    fill(&mut con, 2, 1_000);
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 0);
    // Each flushed key is pending or freed; the two fields are read one after the other, so the
    // job may end between them and both show it.
    let (pending, freed) = counters(&mut con);
    assert!(pending <= 51_000 && freed <= 51_000 && pending + freed >= 51_000, "pending {pending}, freed {freed}");
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

// rules: LAZY-9
#[test]
fn stopping_the_server_drains_the_free_thread() {
    let _serial = serial();
    let server = verdis::Server::start().expect("start verdis");
    let mut con = connect(&server);
    fill(&mut con, 0, 20_000);
    let _: () = redis::cmd("FLUSHALL").arg("ASYNC").query(&mut con).unwrap();
    drop(con);
    // Stop joins the event loop thread, whose engine drains and joins the free thread.
    server.stop();
}

/// `lazyfreed_objects` once nothing is pending (bounded wait), through a raw connection.
fn settled_freed(wire: &mut Wire) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = String::from_utf8(wire.call(&args("INFO memory"))).unwrap();
        let field = |name: &str| -> u64 {
            let prefix = format!("{name}:");
            info.lines().find_map(|l| l.strip_prefix(&prefix)).expect(name).trim().parse().unwrap()
        };
        if field("lazyfree_pending_objects") == 0 || Instant::now() > deadline {
            return field("lazyfreed_objects");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The same script on verdis and on Redis 7.0.15: identical replies, and identical
/// `lazyfreed_objects` after every command. Strings are single allocations, so deleting,
/// overwriting or expiring them counts nothing whatever the options (LAZY-2, LAZY-3, LAZY-6,
/// LAZY-7); flushes count every key (LAZY-4, LAZY-5); RESETSTAT zeroes the count (LAZY-8).
// rules: LAZY-2 LAZY-3 LAZY-4 LAZY-5 LAZY-6 LAZY-7 LAZY-8
#[test]
fn counters_match_real_redis() {
    let _serial = serial();
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let (mut redis, mut verdis) = (Wire::connect(oracle.addr), Wire::connect(server.addr()));
    let big = "x".repeat(100_000);
    let script = [
        "FLUSHALL SYNC".to_string(),
        "CONFIG RESETSTAT".to_string(),
        "SET a 1".to_string(),
        format!("SET big {big}"),
        "UNLINK a big nosuch".to_string(),
        "CONFIG SET lazyfree-lazy-user-del yes lazyfree-lazy-server-del yes lazyfree-lazy-expire yes".to_string(),
        "SET a 1".to_string(),
        format!("SET a {big}"),
        "SET a 3 KEEPTTL".to_string(),
        "DEL a".to_string(),
        "SET g v".to_string(),
        "GETDEL g".to_string(),
        "SET e v".to_string(),
        "PEXPIRE e -1".to_string(),
        "SET e v".to_string(),
        "GETEX e PXAT 1".to_string(),
        "SET r 1".to_string(),
        "SET d 2".to_string(),
        "RENAME r d".to_string(),
        "COPY d d2".to_string(),
        "COPY d d2 REPLACE".to_string(),
        "MSET x 1 y 2 z 3".to_string(),
        "SELECT 2".to_string(),
        "SET w 1".to_string(),
        "SELECT 0".to_string(),
        "FLUSHALL ASYNC".to_string(),
        "MSET x 1 y 2".to_string(),
        "FLUSHDB ASYNC".to_string(),
        "MSET x 1 y 2 z 3".to_string(),
        "FLUSHDB".to_string(),
        "CONFIG SET lazyfree-lazy-user-flush yes".to_string(),
        "MSET x 1 y 2 z 3".to_string(),
        "FLUSHALL".to_string(),
        "SET x 1".to_string(),
        "FLUSHALL SYNC".to_string(),
        "FLUSHALL ASYNC".to_string(),
        "CONFIG RESETSTAT".to_string(),
        "SET x 1".to_string(),
        "FLUSHDB ASYNC".to_string(),
        "CONFIG SET lazyfree-lazy-user-del no lazyfree-lazy-server-del no lazyfree-lazy-expire no lazyfree-lazy-user-flush no"
            .to_string(),
    ];
    for line in &script {
        let argv = args(line);
        let (expected, actual) = (redis.call(&argv), verdis.call(&argv));
        let shown = if line.len() > 60 { &line[..60] } else { line };
        assert_eq!(show(&actual), show(&expected), "reply to {shown}");
        let (expected, actual) = (settled_freed(&mut redis), settled_freed(&mut verdis));
        assert_eq!(actual, expected, "lazyfreed_objects after {shown}");
    }
}
