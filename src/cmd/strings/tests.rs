//! Tests of the strings family. The golden scripts hold replies recorded from the real Redis
//! 7.0.15 (regenerate with `tools/redis_golden.py src/cmd/strings/golden/*.txt`); the tests
//! below them cover what a script cannot: absolute times and the simulated clock.

use crate::engine::testkit::golden::check_script;
use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::resp::Frame;

#[test]
fn golden_set_get() {
    check_script(include_str!("golden/set_get.txt"));
}

#[test]
fn golden_variants() {
    check_script(include_str!("golden/variants.txt"));
}

#[test]
fn golden_range() {
    check_script(include_str!("golden/range.txt"));
}

#[test]
fn golden_counters() {
    check_script(include_str!("golden/counters.txt"));
}

#[test]
fn golden_lcs() {
    check_script(include_str!("golden/lcs.txt"));
}

/// The key's absolute expiry in the current harness database.
fn expire_of(h: &Harness, key: &str) -> Option<u64> {
    h.engine.dbs[0].expire_of(key.as_bytes())
}

fn encoding(h: &Harness, key: &str) -> Option<&'static str> {
    h.engine.dbs[0].entry(key.as_bytes()).map(|e| e.value.encoding())
}

#[test]
fn set_relative_and_absolute_expiry() {
    let mut h = Harness::new();
    let now = h.now_ms;
    assert_eq!(h.run("SET k v EX 10"), ok());
    assert_eq!(expire_of(&h, "k"), Some(now + 10_000));
    assert_eq!(h.run("SET k v PX 1500"), ok());
    assert_eq!(expire_of(&h, "k"), Some(now + 1500));
    let at_s = now / 1000 + 100;
    assert_eq!(h.run(&format!("SET k v EXAT {at_s}")), ok());
    assert_eq!(expire_of(&h, "k"), Some(at_s * 1000));
    assert_eq!(h.run(&format!("SET k v PXAT {}", now + 7)), ok());
    assert_eq!(expire_of(&h, "k"), Some(now + 7));
    assert_eq!(h.run("SETEX k 3 v"), ok());
    assert_eq!(expire_of(&h, "k"), Some(now + 3000));
    assert_eq!(h.run("PSETEX k 3 v"), ok());
    assert_eq!(expire_of(&h, "k"), Some(now + 3));
    // EXAT far away is accepted as long as the milliseconds fit.
    assert_eq!(h.run("SET k v EXAT 9223372036854775"), ok());
    assert_eq!(expire_of(&h, "k"), Some(9_223_372_036_854_775_000));
    assert_eq!(h.run("SET k v PXAT 9223372036854775807"), ok());
    // Relative times that overflow once added to now are refused.
    let near_max = i64::MAX as u64 - now + 1;
    assert_eq!(h.run(&format!("SET k v PX {near_max}")), err("ERR invalid expire time in 'set' command"));
    assert_eq!(h.run(&format!("PSETEX k {near_max} v")), err("ERR invalid expire time in 'psetex' command"));
    assert_eq!(h.run(&format!("SET k v PX {}", near_max - 1)), ok());
}

#[test]
fn set_with_past_expiry_stores_an_already_expired_key() {
    let mut h = Harness::new();
    assert_eq!(h.run("SET k v PXAT 1"), ok());
    // Redis 7.0 stores it; the next access expires it.
    assert_eq!(h.engine.dbs[0].len(), 1);
    assert_eq!(h.run("GET k"), Frame::Null);
    assert_eq!(h.engine.dbs[0].len(), 0);
    assert_eq!(h.engine.stats.expired_keys, 1);
    assert_eq!(h.run("SET k v EXAT 1 GET"), Frame::Null);
    assert_eq!(h.run("SET k w GET"), Frame::Null);
}

#[test]
fn keys_expire_with_the_clock() {
    let mut h = Harness::new();
    h.run("SET k v PX 100");
    h.advance_ms(99);
    assert_eq!(h.run("GET k"), bulk("v"));
    h.advance_ms(1);
    // Redis expires a key only once now > its expiry time (db.c keyIsExpired).
    assert_eq!(h.run("GET k"), bulk("v"));
    h.advance_ms(1);
    assert_eq!(h.run("GET k"), Frame::Null);
    // An expired key counts as missing for NX, XX and MSETNX.
    h.run("SET k v PX 100");
    h.advance_ms(101);
    assert_eq!(h.run("SET k v2 XX"), Frame::Null);
    h.run("SET k v PX 100");
    h.advance_ms(101);
    assert_eq!(h.run("SET k v2 NX"), ok());
    h.run("SET k v PX 100");
    h.advance_ms(101);
    assert_eq!(h.run("MSETNX k a j b"), int(1));
    h.run("SET n 5 PX 100");
    h.advance_ms(101);
    assert_eq!(h.run("INCR n"), int(1));
    assert_eq!(expire_of(&h, "n"), None);
}

#[test]
fn which_writes_keep_the_ttl() {
    let mut h = Harness::new();
    let at = h.now_ms + 100_000;
    let keep = |h: &mut Harness, setup: &str, cmd: &str| {
        h.engine.dbs[0].remove(b"k");
        h.run(setup);
        h.engine.dbs[0].set_expire(b"k", at);
        h.run(cmd);
        expire_of(h, "k")
    };
    assert_eq!(keep(&mut h, "SET k 5", "INCR k"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "DECRBY k 3"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "INCRBYFLOAT k 1.5"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "APPEND k x"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "SETRANGE k 3 x"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "SET k 6 KEEPTTL"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "GETEX k"), Some(at));
    assert_eq!(keep(&mut h, "SET k 5", "SET k 6"), None);
    assert_eq!(keep(&mut h, "SET k 5", "GETSET k 6"), None);
    assert_eq!(keep(&mut h, "SET k 5", "MSET k 6"), None);
    assert_eq!(keep(&mut h, "SET k 5", "GETEX k PERSIST"), None);
    assert_eq!(keep(&mut h, "SET k 5", "SET k 6 NX"), Some(at));
}

#[test]
fn getex_absolute_times() {
    let mut h = Harness::new();
    let now = h.now_ms;
    h.run("SET k v");
    let dirty = h.engine.dirty;
    assert_eq!(h.run(&format!("GETEX k PXAT {}", now + 5000)), bulk("v"));
    assert_eq!(expire_of(&h, "k"), Some(now + 5000));
    assert_eq!(h.run(&format!("GETEX k EXAT {}", now / 1000 + 50)), bulk("v"));
    assert_eq!(expire_of(&h, "k"), Some((now / 1000 + 50) * 1000));
    assert_eq!(h.engine.dirty, dirty + 2);
    // A time not after now deletes the key, replying with the value first.
    assert_eq!(h.run(&format!("GETEX k PXAT {now}")), bulk("v"));
    assert!(!h.engine.dbs[0].contains(b"k"));
    assert_eq!(h.engine.dirty, dirty + 3);
    assert_eq!(h.engine.stats.expired_keys, 0);
    h.run("SET k v");
    assert_eq!(h.run(&format!("GETEX k EXAT {}", now / 1000)), bulk("v"));
    assert!(!h.engine.dbs[0].contains(b"k"));
    h.run("SET k v");
    assert_eq!(h.run("GETEX k EX 9223372036854775"), err("ERR invalid expire time in 'getex' command"));
    assert_eq!(h.run("GETEX k EXAT 9223372036854775"), bulk("v"));
}

#[test]
fn counters_store_int_and_floats_store_text() {
    let mut h = Harness::new();
    assert_eq!(h.run("INCRBY c 20000"), int(20000));
    assert_eq!(encoding(&h, "c"), Some("int"));
    assert_eq!(h.run("INCRBYFLOAT c 0"), bulk("20000"));
    assert_eq!(encoding(&h, "c"), Some("embstr"));
    assert_eq!(h.run("INCR c"), int(20001));
    assert_eq!(encoding(&h, "c"), Some("int"));
    // As the real Redis replies: 64 significant bits.
    assert_eq!(h.run("INCRBYFLOAT c 1e50"), bulk("100000000000000000003583830118858923890798487404544"));
    assert_eq!(encoding(&h, "c"), Some("raw"));
    assert_eq!(h.run("INCR c"), err("ERR value is not an integer or out of range"));
}

#[test]
fn setrange_and_append_respect_proto_max_bulk_len() {
    let config = crate::engine::config::Config { proto_max_bulk_len: 10, ..Default::default() };
    let mut h = Harness::with_config(config);
    let too_long = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(h.run("SETRANGE k 8 ab"), int(10));
    assert_eq!(h.run("SETRANGE k 9 ab"), too_long);
    assert_eq!(h.run("APPEND k x"), too_long);
    assert_eq!(h.run("APPEND k \"\""), int(10));
    assert_eq!(h.run("APPEND j 0123456789abc"), int(13));
    assert_eq!(h.run("APPEND j \"\""), too_long);
    assert_eq!(h.run("GET k"), Frame::Bulk(b"\0\0\0\0\0\0\0\0ab".to_vec()));
    // LCS refuses a table larger than the limit: (2+1)*(1+1)*4 bytes = 24 > 10.
    h.run("MSET a xy b x");
    assert_eq!(h.run("LCS a b"), err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
}

#[test]
fn write_commands_count_dirty_like_redis() {
    let mut h = Harness::new();
    let mut check = |cmd: &str, n: u64| {
        let before = h.engine.dirty;
        h.run(cmd);
        assert_eq!(h.engine.dirty - before, n, "{cmd}");
    };
    check("MSET a 1 b 2 c 3", 3);
    check("MSETNX a 1 d 2", 0);
    check("MSETNX d 1 e 2", 2);
    check("SET a 1 NX", 0);
    check("SET a 2 XX GET", 1);
    check("SETRANGE a 0 \"\"", 0);
    check("SETRANGE a 0 x", 1);
    check("APPEND a \"\"", 1);
    check("GETDEL nokey", 0);
    check("GETDEL a", 1);
    check("GETEX b PERSIST", 0);
    check("GETEX b EX 10", 1);
    check("GETEX b PERSIST", 1);
    check("INCR n", 1);
    check("INCRBY n x", 0);
    check("SET n v EX 0", 0);
    check("INCRBYFLOAT n 1.5", 1);
    check("GET n", 0);
    check("LCS a b", 0);
}

/// Replays a golden script named by VERDIS_GOLDEN (for random command sequences recorded with
/// `tools/redis_golden.py`).
#[test]
#[ignore]
fn golden_from_env() {
    let path = std::env::var("VERDIS_GOLDEN").expect("VERDIS_GOLDEN");
    check_script(&std::fs::read_to_string(path).expect("readable script"));
}

#[test]
fn golden_random() {
    check_script(include_str!("golden/random.txt"));
}
