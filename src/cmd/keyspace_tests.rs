//! Tests of the keyspace commands. Expected replies and error texts were checked against
//! redis-server 7.0.15.

use super::*;
use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::engine::value::{StrValue, Value};
use std::collections::BTreeSet;

/// Stores a string in the current client's database (the string commands live elsewhere).
pub(crate) fn set(h: &mut Harness, key: &str, value: &str) {
    set_bytes(h, key.as_bytes(), Value::str(value.as_bytes().to_vec()));
}

pub(crate) fn set_bytes(h: &mut Harness, key: &[u8], value: Value) {
    let db = h.engine.client(h.client).map_or(0, |c| c.db);
    let now = h.now_ms;
    h.engine.dbs[db].set(key.to_vec(), value, now);
}

/// A key with a TTL in milliseconds, set through PEXPIRE.
pub(crate) fn set_px(h: &mut Harness, key: &str, value: &str, ttl_ms: u64) {
    set(h, key, value);
    assert_eq!(h.run(&format!("PEXPIRE {key} {ttl_ms}")), int(1));
}

fn strings(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items
            .iter()
            .map(|f| match f {
                Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn sorted(frame: &Frame) -> Vec<String> {
    let mut v = strings(frame);
    v.sort();
    v
}

/// Runs SCAN and returns (next cursor, keys).
fn scan_step(h: &mut Harness, line: &str) -> (u64, Vec<String>) {
    match h.run(line) {
        Frame::Array(parts) if parts.len() == 2 => {
            let cursor = match &parts[0] {
                Frame::Bulk(b) => String::from_utf8_lossy(b).parse::<u64>().expect("cursor"),
                other => panic!("cursor not a bulk: {other:?}"),
            };
            (cursor, strings(&parts[1]))
        }
        other => panic!("bad SCAN reply {other:?}"),
    }
}

/// A full SCAN iteration with the given options; returns all keys in order of appearance.
fn scan_all(h: &mut Harness, options: &str) -> Vec<String> {
    let mut cursor = 0;
    let mut all = Vec::new();
    for _ in 0..100_000 {
        let (next, keys) = scan_step(h, &format!("SCAN {cursor} {options}"));
        all.extend(keys);
        cursor = next;
        if cursor == 0 {
            return all;
        }
    }
    panic!("SCAN did not finish");
}

#[test]
fn del_and_unlink() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    set(&mut h, "b", "2");
    assert_eq!(h.run("DEL a a nokey"), int(1));
    assert_eq!(h.engine.dirty, 1);
    assert_eq!(h.run("UNLINK b a"), int(1));
    assert_eq!(h.engine.dirty, 2);
    assert_eq!(h.run("DBSIZE"), int(0));
    assert_eq!(h.run("DEL"), err("ERR wrong number of arguments for 'del' command"));
}

#[test]
fn del_of_expired_key_counts_an_expiry_not_a_deletion() {
    let mut h = Harness::new();
    set_px(&mut h, "a", "1", 100);
    let dirty = h.engine.dirty;
    h.advance_ms(101);
    assert_eq!(h.run("DEL a"), int(0));
    assert_eq!(h.engine.dirty, dirty);
    assert_eq!(h.engine.stats.expired_keys, 1);
}

#[test]
fn exists_counts_repeats_and_stats() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    assert_eq!(h.run("EXISTS a a nokey"), int(2));
    assert_eq!(h.engine.stats.keyspace_hits, 2);
    assert_eq!(h.engine.stats.keyspace_misses, 1);
}

#[test]
fn exists_and_type_do_not_touch() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    h.advance_ms(5000);
    h.run("EXISTS a");
    h.run("TYPE a");
    assert_eq!(h.run("OBJECT IDLETIME a"), int(5));
    h.run("TOUCH a");
    assert_eq!(h.run("OBJECT IDLETIME a"), int(0));
}

#[test]
fn type_command() {
    let mut h = Harness::new();
    set(&mut h, "a", "hello");
    assert_eq!(h.run("TYPE a"), Frame::simple("string"));
    assert_eq!(h.run("TYPE nokey"), Frame::simple("none"));
}

#[test]
fn rename_moves_value_and_ttl() {
    let mut h = Harness::new();
    set_px(&mut h, "a", "v", 10_000);
    set(&mut h, "b", "old");
    let dirty = h.engine.dirty;
    assert_eq!(h.run("RENAME a b"), ok());
    assert_eq!(h.engine.dirty, dirty + 1);
    assert_eq!(h.run("EXISTS a"), int(0));
    assert_eq!(h.run("PTTL b"), int(10_000));
    assert_eq!(h.run("OBJECT ENCODING b"), bulk("embstr"));
    // A persistent source replaces a volatile destination: the TTL goes with the value.
    set(&mut h, "c", "1");
    assert_eq!(h.run("RENAME c b"), ok());
    assert_eq!(h.run("TTL b"), int(-1));
    assert_eq!(h.engine.dbs[0].volatile_len(), 0);
}

#[test]
fn rename_errors_and_same_key() {
    let mut h = Harness::new();
    assert_eq!(h.run("RENAME nokey b"), err("ERR no such key"));
    assert_eq!(h.run("RENAMENX nokey b"), err("ERR no such key"));
    assert_eq!(h.run("RENAME nokey nokey"), err("ERR no such key"));
    set(&mut h, "a", "1");
    let dirty = h.engine.dirty;
    assert_eq!(h.run("RENAME a a"), ok());
    assert_eq!(h.run("RENAMENX a a"), int(0));
    assert_eq!(h.engine.dirty, dirty);
}

#[test]
fn renamenx() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    set(&mut h, "b", "2");
    assert_eq!(h.run("RENAMENX a b"), int(0));
    assert_eq!(h.run("RENAMENX a c"), int(1));
    assert_eq!(sorted(&h.run("KEYS *")), ["b", "c"]);
}

#[test]
fn rename_onto_expired_destination() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    set_px(&mut h, "b", "2", 10);
    h.advance_ms(11);
    assert_eq!(h.run("RENAMENX a b"), int(1));
    assert_eq!(h.run("TTL b"), int(-1));
}

#[test]
fn move_command() {
    let mut h = Harness::new();
    set_px(&mut h, "a", "1", 5000);
    assert_eq!(h.run("MOVE a abc"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("MOVE a 16"), err("ERR DB index is out of range"));
    assert_eq!(h.run("MOVE a -1"), err("ERR DB index is out of range"));
    assert_eq!(
        h.run("MOVE a 99999999999"),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(h.run("MOVE a 0"), err("ERR source and destination objects are the same"));
    assert_eq!(h.run("MOVE nokey 1"), int(0));
    let dirty = h.engine.dirty;
    assert_eq!(h.run("MOVE a 1"), int(1));
    assert_eq!(h.engine.dirty, dirty + 1);
    assert_eq!(h.run("EXISTS a"), int(0));
    assert_eq!(h.run("SELECT 1"), ok());
    assert_eq!(h.run("PTTL a"), int(5000));
    // The key exists in the target: nothing moves.
    h.run("SELECT 0");
    set(&mut h, "a", "x");
    assert_eq!(h.run("MOVE a 1"), int(0));
    assert_eq!(h.run("EXISTS a"), int(1));
}

#[test]
fn move_over_expired_key_in_target() {
    let mut h = Harness::new();
    h.run("SELECT 1");
    set_px(&mut h, "a", "old", 10);
    h.run("SELECT 0");
    set(&mut h, "a", "new");
    h.advance_ms(11);
    assert_eq!(h.run("MOVE a 1"), int(1));
    h.run("SELECT 1");
    assert_eq!(h.run("TTL a"), int(-1));
}

#[test]
fn copy_command() {
    let mut h = Harness::new();
    assert_eq!(h.run("COPY a b db"), err("ERR syntax error"));
    assert_eq!(h.run("COPY a b db x"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("COPY a b db 99"), err("ERR DB index is out of range"));
    assert_eq!(h.run("COPY a b foo"), err("ERR syntax error"));
    assert_eq!(h.run("COPY a a"), err("ERR source and destination objects are the same"));
    assert_eq!(h.run("COPY a a db 0"), err("ERR source and destination objects are the same"));
    assert_eq!(h.run("COPY a a db 1"), int(0));
    assert_eq!(h.run("COPY a b"), int(0));
    set_px(&mut h, "a", "1", 3000);
    let dirty = h.engine.dirty;
    assert_eq!(h.run("COPY a a db 1"), int(1));
    assert_eq!(h.engine.dirty, dirty + 1);
    assert_eq!(h.run("COPY a b"), int(1));
    assert_eq!(h.run("PTTL b"), int(3000));
    assert_eq!(h.run("COPY a b"), int(0));
    set(&mut h, "c", "long value that is longer than forty-four bytes, so raw");
    assert_eq!(h.run("COPY c b REPLACE replace"), int(1));
    assert_eq!(h.run("TTL b"), int(-1));
    assert_eq!(h.run("OBJECT ENCODING b"), bulk("raw"));
    h.run("SELECT 1");
    assert_eq!(h.run("PTTL a"), int(3000));
}

#[test]
fn copy_counts_read_stats_and_touches_source() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    h.advance_ms(3000);
    h.run("COPY a b");
    assert_eq!(h.engine.stats.keyspace_hits, 1);
    assert_eq!(h.run("OBJECT IDLETIME a"), int(0));
    h.run("COPY nokey b");
    assert_eq!(h.engine.stats.keyspace_misses, 1);
}

#[test]
fn swapdb() {
    let mut h = Harness::new();
    set_px(&mut h, "a", "1", 1000);
    assert_eq!(h.run("SWAPDB a 1"), err("ERR invalid first DB index"));
    assert_eq!(h.run("SWAPDB 1 b"), err("ERR invalid second DB index"));
    assert_eq!(h.run("SWAPDB 99999999999 0"), err("ERR invalid first DB index"));
    assert_eq!(h.run("SWAPDB 0 -99999999999"), err("ERR invalid second DB index"));
    assert_eq!(h.run("SWAPDB 1 16"), err("ERR DB index is out of range"));
    assert_eq!(h.run("SWAPDB -1 0"), err("ERR DB index is out of range"));
    let dirty = h.engine.dirty;
    assert_eq!(h.run("SWAPDB 0 0"), ok());
    assert_eq!(h.run("SWAPDB 0 1"), ok());
    assert_eq!(h.engine.dirty, dirty + 2);
    assert_eq!(h.run("DBSIZE"), int(0));
    h.run("SELECT 1");
    assert_eq!(h.run("PTTL a"), int(1000));
}

#[test]
fn select() {
    let mut h = Harness::new();
    assert_eq!(h.run("SELECT abc"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("SELECT 16"), err("ERR DB index is out of range"));
    assert_eq!(h.run("SELECT -1"), err("ERR DB index is out of range"));
    assert_eq!(h.run("SELECT +1"), err("ERR value is not an integer or out of range"));
    assert_eq!(
        h.run("SELECT 99999999999"),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(h.run("SELECT 15"), ok());
    set(&mut h, "a", "1");
    assert_eq!(h.run("DBSIZE"), int(1));
    h.run("SELECT 0");
    assert_eq!(h.run("DBSIZE"), int(0));
}

#[test]
fn randomkey() {
    let mut h = Harness::new();
    assert_eq!(h.run("RANDOMKEY"), Frame::Null);
    set(&mut h, "only", "1");
    assert_eq!(h.run("RANDOMKEY"), bulk("only"));
    for i in 0..50 {
        set(&mut h, &format!("k{i}"), "1");
    }
    let mut seen = BTreeSet::new();
    for _ in 0..500 {
        match h.run("RANDOMKEY") {
            Frame::Bulk(k) => {
                seen.insert(k);
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(seen.len() > 40, "RANDOMKEY should spread: {}", seen.len());
}

#[test]
fn randomkey_removes_expired_keys_it_meets() {
    let mut h = Harness::new();
    for i in 0..20 {
        set_px(&mut h, &format!("v{i}"), "1", 10);
    }
    set(&mut h, "live", "1");
    h.advance_ms(11);
    assert_eq!(h.run("RANDOMKEY"), bulk("live"));
    // All expired: Null, and every key it met was removed and counted.
    h.run("DEL live");
    for i in 0..5 {
        set_px(&mut h, &format!("w{i}"), "1", 10);
    }
    h.advance_ms(11);
    assert_eq!(h.run("RANDOMKEY"), Frame::Null);
    assert_eq!(h.engine.dbs[0].len(), 0);
    assert_eq!(h.engine.stats.expired_keys, 25);
}

#[test]
fn touch() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    set(&mut h, "b", "1");
    h.advance_ms(2000);
    assert_eq!(h.run("TOUCH a nokey a"), int(2));
    assert_eq!(h.engine.stats.keyspace_hits, 2);
    assert_eq!(h.engine.stats.keyspace_misses, 1);
    assert_eq!(h.run("OBJECT IDLETIME a"), int(0));
    assert_eq!(h.run("OBJECT IDLETIME b"), int(2));
}

#[test]
fn keys_with_patterns() {
    let mut h = Harness::new();
    for k in ["a", "b", "ab", "abc", "x-", "", "[", "\\"] {
        set(&mut h, k, "1");
    }
    assert_eq!(sorted(&h.run("KEYS *")), ["", "[", "\\", "a", "ab", "abc", "b", "x-"]);
    // Only the pattern `*` itself matches the empty key.
    assert_eq!(sorted(&h.run("KEYS **")), ["[", "\\", "a", "ab", "abc", "b", "x-"]);
    assert_eq!(sorted(&h.run("KEYS a*")), ["a", "ab", "abc"]);
    assert_eq!(sorted(&h.run("KEYS ?")), ["[", "\\", "a", "b"]);
    assert_eq!(sorted(&h.run("KEYS [[]")), ["["]);
    assert_eq!(sorted(&h.run("KEYS \"\"")), [""]);
    assert_eq!(sorted(&h.run("KEYS nomatch")), Vec::<String>::new());
}

#[test]
fn keys_hides_expired_keys_without_removing_them() {
    let mut h = Harness::new();
    set(&mut h, "live", "1");
    set_px(&mut h, "gone", "1", 100);
    h.advance_ms(100);
    // At exactly its expiry time a key is still alive (Redis expires when now > when).
    assert_eq!(sorted(&h.run("KEYS *")), ["gone", "live"]);
    assert_eq!(h.run("PTTL gone"), int(0));
    h.advance_ms(1);
    assert_eq!(sorted(&h.run("KEYS *")), ["live"]);
    assert_eq!(sorted(&h.run("KEYS g*")), Vec::<String>::new());
    assert_eq!(h.engine.dbs[0].len(), 2);
    assert_eq!(h.engine.stats.expired_keys, 0);
}

#[test]
fn dbsize_hides_expired_keys() {
    let mut h = Harness::new();
    set(&mut h, "live", "1");
    set_px(&mut h, "gone", "1", 100);
    assert_eq!(h.run("DBSIZE"), int(2));
    h.advance_ms(101);
    assert_eq!(h.run("DBSIZE"), int(1));
}

#[test]
fn expired_key_is_invisible_to_every_command() {
    let mut h = Harness::new();
    set_px(&mut h, "k", "v", 50);
    set(&mut h, "dst", "x");
    h.advance_ms(51);
    let expectations: &[(&str, Frame)] = &[
        ("EXISTS k", int(0)),
        ("TYPE k", Frame::simple("none")),
        ("TTL k", int(-2)),
        ("PTTL k", int(-2)),
        ("EXPIRETIME k", int(-2)),
        ("PEXPIRETIME k", int(-2)),
        ("OBJECT ENCODING k", Frame::Null),
        ("OBJECT REFCOUNT k", Frame::Null),
        ("OBJECT IDLETIME k", Frame::Null),
        ("OBJECT FREQ k", Frame::Null),
        ("TOUCH k", int(0)),
        ("KEYS k", Frame::Array(vec![])),
        ("RENAME k x", err("ERR no such key")),
        ("RENAMENX k x", err("ERR no such key")),
        ("MOVE k 1", int(0)),
        ("COPY k x", int(0)),
        ("EXPIRE k 100", int(0)),
        ("PERSIST k", int(0)),
        ("DEL k", int(0)),
    ];
    for (line, want) in expectations {
        // Recreate the expired key each time, so every command meets it still stored.
        h.engine.dbs[0].remove(b"k");
        set_px(&mut h, "k", "v", 1);
        h.advance_ms(2);
        assert_eq!(&h.run(line), want, "{line}");
        assert!(!h.engine.dbs[0].contains(b"k") || *line == "KEYS k", "{line} left the key");
    }
    h.engine.dbs[0].remove(b"k");
    set_px(&mut h, "k", "v", 1);
    h.advance_ms(2);
    assert_eq!(h.run("DBSIZE"), int(1));
    assert_eq!(scan_all(&mut h, ""), ["dst"]);
    set_px(&mut h, "k", "v", 1);
    h.advance_ms(2);
    assert_eq!(scan_all(&mut h, "TYPE none"), Vec::<String>::new());
    set_px(&mut h, "k", "v", 1);
    h.advance_ms(2);
    assert_eq!(h.run("RANDOMKEY"), bulk("dst"));
    assert_eq!(h.engine.keyspace_info(), "db0:keys=1,expires=0,avg_ttl=0\r\n");
}

#[test]
fn scan_cursor_parsing() {
    assert_eq!(parse_scan_cursor(b"").ok(), Some(0));
    assert_eq!(parse_scan_cursor(b"007").ok(), Some(7));
    assert_eq!(parse_scan_cursor(b"+5").ok(), Some(5));
    assert_eq!(parse_scan_cursor(b"-1").ok(), Some(u64::MAX));
    assert_eq!(parse_scan_cursor(b"-18446744073709551615").ok(), Some(1));
    assert_eq!(parse_scan_cursor(b"18446744073709551615").ok(), Some(u64::MAX));
    assert_eq!(parse_scan_cursor(b"9223372036854775808").ok(), Some(1 << 63));
    assert_eq!(parse_scan_cursor(b"5\0junk").ok(), Some(5));
    for bad in
        [&b" 1"[..], b"1 ", b"0x10", b"18446744073709551616", b"-", b"+", b"abc", b"\t1", b"-18446744073709551616"]
    {
        assert_eq!(parse_scan_cursor(bad), Err(err("ERR invalid cursor")), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn scan_option_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run("SCAN x COUNT 0"), err("ERR invalid cursor"));
    assert_eq!(h.run("SCAN 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN 0 COUNT -1"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN 0 COUNT abc"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("SCAN 0 COUNT 99999999999999999999"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("SCAN 0 COUNT"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN 0 MATCH"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN 0 TYPE"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN 0 foo bar"), err("ERR syntax error"));
    assert_eq!(h.run("SCAN"), err("ERR wrong number of arguments for 'scan' command"));
}

#[test]
fn scan_returns_everything_once_on_a_static_keyspace() {
    let mut h = Harness::new();
    for i in 0..1000 {
        set(&mut h, &format!("key:{i}"), "1");
    }
    for count in [1, 3, 10, 100, 10_000] {
        let all = scan_all(&mut h, &format!("COUNT {count}"));
        let unique: BTreeSet<_> = all.iter().cloned().collect();
        assert_eq!(all.len(), 1000, "COUNT {count}: no key twice when the table does not change");
        assert_eq!(unique.len(), 1000);
    }
    // A large COUNT does the whole table in one call.
    let (cursor, keys) = scan_step(&mut h, "SCAN 0 COUNT 9223372036854775807");
    assert_eq!((cursor, keys.len()), (0, 1000));
}

#[test]
fn scan_count_bounds_the_work() {
    let mut h = Harness::new();
    for i in 0..1000 {
        set(&mut h, &format!("key:{i}"), "1");
    }
    // Buckets hold about one key each: COUNT 10 gives about ten keys, not the whole table.
    let (cursor, keys) = scan_step(&mut h, "SCAN 0");
    assert_ne!(cursor, 0);
    assert!((10..30).contains(&keys.len()), "{}", keys.len());
    // A pattern filters after the walk: fewer (often zero) keys, but the cursor moves on.
    let (cursor, keys) = scan_step(&mut h, "SCAN 0 MATCH nomatch");
    assert_ne!(cursor, 0);
    assert!(keys.is_empty());
}

#[test]
fn scan_sparse_table_stops_after_count_times_ten_buckets() {
    let mut h = Harness::new();
    for i in 0..4096 {
        set(&mut h, &format!("k{i}"), "1");
    }
    // Thin the table to 10% full (the fill under which Dict would shrink it).
    for i in 0..4096 {
        if i % 10 != 0 {
            h.engine.dbs[0].remove(format!("k{i}").as_bytes());
        }
    }
    assert_eq!(h.engine.dbs[0].len(), 410);
    // The position of a cursor in the walk order of a 4096-bucket table.
    let position = |cursor: u64| {
        if cursor == 0 {
            4096
        } else {
            cursor.reverse_bits() >> 52
        }
    };
    let (mut cursor, mut capped_calls, mut empty_calls) = (0u64, 0, 0);
    loop {
        let (next, keys) = scan_step(&mut h, &format!("SCAN {cursor} COUNT 1"));
        let visited = position(next) - if cursor == 0 { 0 } else { position(cursor) };
        assert!(visited <= 11, "one call visited {visited} buckets");
        if visited == 11 {
            capped_calls += 1;
            if keys.is_empty() {
                empty_calls += 1;
            }
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert!(capped_calls > 0 && empty_calls > 0, "the COUNT*10 bound was never reached");
}

#[test]
fn scan_match_and_type() {
    let mut h = Harness::new();
    for i in 0..200 {
        set(&mut h, &format!("user:{i}"), "1");
        set(&mut h, &format!("item:{i}"), "1");
    }
    let users = scan_all(&mut h, "MATCH user:* COUNT 7");
    assert_eq!(users.len(), 200);
    assert!(users.iter().all(|k| k.starts_with("user:")));
    assert_eq!(scan_all(&mut h, "MATCH * TYPE string").len(), 400);
    assert_eq!(scan_all(&mut h, "TYPE STRING MATCH item:1?").len(), 10);
    assert_eq!(scan_all(&mut h, "TYPE list").len(), 0);
    // The last option of a kind wins.
    assert_eq!(scan_all(&mut h, "MATCH user:* MATCH item:* COUNT 1000").len(), 200);
}

#[test]
fn scan_type_counts_lookups_like_redis() {
    let mut h = Harness::new();
    set(&mut h, "a", "1");
    set(&mut h, "b", "1");
    scan_all(&mut h, "TYPE string");
    assert_eq!(h.engine.stats.keyspace_hits, 2);
    scan_all(&mut h, "MATCH a TYPE string");
    assert_eq!(h.engine.stats.keyspace_hits, 3);
    scan_all(&mut h, "");
    assert_eq!(h.engine.stats.keyspace_hits, 3);
}

#[test]
fn scan_removes_expired_keys_it_meets() {
    let mut h = Harness::new();
    for i in 0..50 {
        set_px(&mut h, &format!("v{i}"), "1", 10);
        set(&mut h, &format!("p{i}"), "1");
    }
    h.advance_ms(11);
    let all = scan_all(&mut h, "COUNT 5");
    assert_eq!(all.len(), 50);
    assert!(all.iter().all(|k| k.starts_with('p')));
    assert_eq!(h.engine.stats.expired_keys, 50);
    assert_eq!(h.engine.dbs[0].len(), 50);
}

#[test]
fn scan_guarantee_under_concurrent_changes() {
    // Keys present for the whole iteration are all returned, while other keys come and go and
    // the table grows and shrinks underneath.
    let mut h = Harness::new();
    for i in 0..300 {
        set(&mut h, &format!("stable:{i}"), "1");
    }
    let mut seen = BTreeSet::new();
    let mut cursor = 0;
    let mut step = 0u64;
    loop {
        let (next, keys) = scan_step(&mut h, &format!("SCAN {cursor} COUNT 5"));
        seen.extend(keys);
        // Churn: grow a lot during the first half, then delete it all again.
        if step < 60 {
            for j in 0..40 {
                set(&mut h, &format!("temp:{step}:{j}"), "1");
            }
        } else if step < 120 {
            for j in 0..40 {
                h.run(&format!("DEL temp:{}:{j}", step - 60));
            }
        }
        step += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
        assert!(step < 100_000);
    }
    for i in 0..300 {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missed");
    }
}

#[test]
fn scan_cursor_reply_forms() {
    let mut h = Harness::new();
    // Empty database: any cursor ends the iteration.
    assert_eq!(h.run("SCAN 18446744073709551615"), Frame::Array(vec![bulk("0"), Frame::Array(vec![])]));
    assert_eq!(h.run("SCAN -1"), Frame::Array(vec![bulk("0"), Frame::Array(vec![])]));
}

#[test]
fn object_subcommands() {
    let mut h = Harness::new();
    set(&mut h, "int", "123");
    set(&mut h, "big", "10000");
    set(&mut h, "neg", "-1");
    set(&mut h, "emb", "hello");
    set_bytes(&mut h, b"raw", Value::Str(StrValue::Raw(b"x".to_vec())));
    assert_eq!(h.run("OBJECT ENCODING int"), bulk("int"));
    assert_eq!(h.run("OBJECT ENCODING emb"), bulk("embstr"));
    assert_eq!(h.run("OBJECT ENCODING raw"), bulk("raw"));
    assert_eq!(h.run("OBJECT ENCODING nokey"), Frame::Null);
    assert_eq!(h.run("OBJECT REFCOUNT int"), int(2147483647));
    assert_eq!(h.run("OBJECT REFCOUNT big"), int(1));
    assert_eq!(h.run("OBJECT REFCOUNT neg"), int(1));
    assert_eq!(h.run("OBJECT REFCOUNT emb"), int(1));
    assert_eq!(
        h.run("OBJECT FREQ int"),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    assert_eq!(h.run("OBJECT FREQ nokey"), Frame::Null);
    assert_eq!(h.run("OBJECT encoding a b"), err("ERR wrong number of arguments for 'object|encoding' command"));
    assert_eq!(h.run("OBJECT foo"), err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    assert_eq!(h.run("OBJECT"), err("ERR wrong number of arguments for 'object' command"));
    h.advance_ms(61_500);
    assert_eq!(h.run("OBJECT IDLETIME emb"), int(61));
    // OBJECT itself does not touch, and counts hits like a read.
    assert_eq!(h.run("OBJECT IDLETIME emb"), int(61));
}

#[test]
fn object_help() {
    let mut h = Harness::new();
    let reply = h.run("OBJECT HELP");
    let Frame::Array(lines) = reply else { panic!() };
    assert_eq!(lines.len(), 15);
    assert_eq!(lines[0], Frame::simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    assert_eq!(lines[1], Frame::simple("ENCODING <key>"));
    assert_eq!(lines[13], Frame::simple("HELP"));
    assert_eq!(lines[14], Frame::simple("    Prints this help."));
}

#[test]
fn arity_errors_use_full_names() {
    let mut h = Harness::new();
    for (line, name) in [
        ("OBJECT HELP x", "object|help"),
        ("KEYS", "keys"),
        ("TOUCH", "touch"),
        ("EXISTS", "exists"),
        ("DBSIZE x", "dbsize"),
        ("SWAPDB 1", "swapdb"),
        ("COPY a", "copy"),
        ("RANDOMKEY x", "randomkey"),
        ("TTL", "ttl"),
        ("EXPIRE k", "expire"),
        ("PERSIST", "persist"),
    ] {
        assert_eq!(h.run(line), err(&format!("ERR wrong number of arguments for '{name}' command")), "{line}");
    }
}
