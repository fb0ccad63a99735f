//! Unit tests for the sorted set commands, through the engine harness. The replies of almost
//! everything here are also compared with real Redis by `tests/interop/zsets.redis`; these
//! tests pin what a script cannot see (dirty counts, statistics, large sets, determinism).

use crate::engine::testkit::{bulk, err, int, Harness};
use crate::engine::value::Value;
use crate::resp::Frame;

fn arr(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

fn dbl(d: f64) -> Frame {
    Frame::Double(d)
}

fn resp3(h: &mut Harness) {
    let id = h.client;
    if let Some(c) = h.engine.client_mut(id) {
        c.resp = 3;
    }
}

fn small_limits(h: &mut Harness) {
    assert_eq!(h.run("CONFIG SET zset-max-listpack-entries 4"), Frame::ok());
    assert_eq!(h.run("CONFIG SET zset-max-listpack-value 8"), Frame::ok());
}

#[test]
fn zadd_options_and_replies() {
    // rule: ZSET-3, ZSET-4
    let mut h = Harness::new();
    assert_eq!(h.run("ZADD z 1 a 2 b"), int(2));
    assert_eq!(h.run("ZADD z CH 1 a 3 b 4 c"), int(2));
    assert_eq!(h.run("ZADD z NX 9 a 5 d"), int(1));
    assert_eq!(h.run("ZADD z XX CH 9 a 9 e"), int(1));
    assert_eq!(h.run("ZADD z GT CH 1 a 10 b"), int(1));
    assert_eq!(h.run("ZRANGE z 0 -1"), arr(&["c", "d", "a", "b"]));
    assert_eq!(h.run("ZADD z nx xx 1 a"), err("ERR XX and NX options at the same time are not compatible"));
    assert_eq!(h.run("ZADD z lt gt 1 a"), err("ERR GT, LT, and/or NX options at the same time are not compatible"));
    assert_eq!(h.run("ZADD z 1 a 2"), err("ERR syntax error"));
    assert_eq!(h.run("ZADD z 1 q bad r"), err("ERR value is not a valid float"));
    assert_eq!(h.run("ZSCORE z q"), Frame::Null);
    assert_eq!(h.run("ZADD nokey XX 1 a"), int(0));
    assert_eq!(h.run("EXISTS nokey"), int(0));
}

#[test]
fn zincrby_and_nan() {
    // rule: ZSET-5
    let mut h = Harness::new();
    assert_eq!(h.run("ZINCRBY z 1.5 a"), dbl(1.5));
    assert_eq!(h.run("ZADD z INCR 1 a"), dbl(2.5));
    assert_eq!(h.run("ZADD z GT INCR -1 a"), Frame::Null);
    assert_eq!(h.run("ZADD z INCR inf a"), dbl(f64::INFINITY));
    let dirty = h.engine.dirty;
    assert_eq!(h.run("ZINCRBY z -inf a"), err("ERR resulting score is not a number (NaN)"));
    assert_eq!(h.engine.dirty, dirty, "a NaN result changes nothing");
    assert_eq!(h.run("ZSCORE z a"), dbl(f64::INFINITY));
}

#[test]
fn dirty_counts_follow_redis() {
    let mut h = Harness::new();
    let d0 = h.engine.dirty;
    h.run("ZADD z 1 a 2 b 3 c");
    assert_eq!(h.engine.dirty - d0, 3, "one per added member");
    h.run("ZADD z 1 a 5 b");
    assert_eq!(h.engine.dirty - d0, 4, "one per changed score");
    h.run("ZPOPMIN z 2");
    assert_eq!(h.engine.dirty - d0, 6, "one per popped member");
    h.run("ZUNIONSTORE d 1 z");
    assert_eq!(h.engine.dirty - d0, 7, "one per store");
    h.run("ZREM z nosuch");
    assert_eq!(h.engine.dirty - d0, 7);
}

#[test]
fn reads_count_keyspace_hits_and_misses() {
    let mut h = Harness::new();
    h.run("ZADD z 1 a");
    let (hits, misses) = (h.engine.stats.keyspace_hits, h.engine.stats.keyspace_misses);
    h.run("ZSCORE z a");
    h.run("ZSCORE nokey a");
    h.run("ZADD z 2 b"); // a write lookup: no statistics
    assert_eq!(h.engine.stats.keyspace_hits - hits, 1);
    assert_eq!(h.engine.stats.keyspace_misses - misses, 1);
}

#[test]
fn wrongtype_everywhere() {
    // rule: ZSET-11
    let mut h = Harness::new();
    h.run("SET s v");
    let wrong = err(crate::engine::errors::WRONGTYPE);
    for cmd in [
        "ZADD s 1 a",
        "ZINCRBY s 1 a",
        "ZREM s a",
        "ZCARD s",
        "ZSCORE s a",
        "ZMSCORE s a",
        "ZRANK s a",
        "ZREVRANK s a",
        "ZCOUNT s 0 1",
        "ZLEXCOUNT s - +",
        "ZRANGE s 0 -1",
        "ZRANGESTORE d s 0 -1",
        "ZRANGEBYSCORE s 0 1",
        "ZREVRANGEBYLEX s + -",
        "ZREMRANGEBYRANK s 0 1",
        "ZREMRANGEBYSCORE s 0 1",
        "ZREMRANGEBYLEX s - +",
        "ZPOPMIN s",
        "ZPOPMAX s 1",
        "ZMPOP 1 s MIN",
        "ZRANDMEMBER s",
        "ZRANDMEMBER s 2",
        "ZSCAN s 0",
        "ZUNION 1 s",
        "ZINTERSTORE d 1 s",
        "ZDIFF 1 s",
        "ZINTERCARD 1 s",
    ] {
        assert_eq!(h.run(cmd), wrong, "{cmd}");
    }
    assert_eq!(h.run("GET s"), bulk("v"));
    h.run("ZADD z 1 a");
    assert_eq!(h.run("GET z"), wrong);
    assert_eq!(h.run("TYPE z"), Frame::simple("zset"));
}

#[test]
fn resp3_shapes() {
    // rule: ZSET-8, ZSET-21, ZSET-22
    let mut h = Harness::new();
    resp3(&mut h);
    h.run("ZADD z 1 a 2 b 3 c");
    let pair = |m: &str, s: f64| Frame::Array(vec![bulk(m), dbl(s)]);
    assert_eq!(h.run("ZRANGE z 0 1 WITHSCORES"), Frame::Array(vec![pair("a", 1.0), pair("b", 2.0)]));
    assert_eq!(h.run("ZPOPMIN z"), Frame::Array(vec![bulk("a"), dbl(1.0)]));
    assert_eq!(h.run("ZPOPMIN z 1"), Frame::Array(vec![pair("b", 2.0)]));
    assert_eq!(h.run("ZMPOP 1 z MAX"), Frame::Array(vec![bulk("z"), Frame::Array(vec![pair("c", 3.0)])]));
    assert_eq!(h.run("ZMPOP 1 z MAX"), Frame::NullArray);
}

#[test]
fn encodings_convert_as_redis() {
    // rule: ZSET-6, ZSET-7, ZSET-28
    let mut h = Harness::new();
    small_limits(&mut h);
    h.run("ZADD z 1 a 2 b 3 c 4 d");
    assert_eq!(h.run("OBJECT ENCODING z"), bulk("listpack"));
    h.run("ZADD z 5 e");
    assert_eq!(h.run("OBJECT ENCODING z"), bulk("skiplist"));
    h.run("ZREM z a b c d");
    assert_eq!(h.run("OBJECT ENCODING z"), bulk("skiplist"), "removals never convert back");
    h.run("ZADD z -0 m");
    assert_eq!(h.run("ZSCORE z m"), dbl(-0.0));
    h.run("ZUNIONSTORE u 1 z");
    assert_eq!(h.run("OBJECT ENCODING u"), bulk("listpack"), "a fitting store result is a listpack");
    assert_eq!(h.run("ZSCORE u m"), dbl(0.0), "and a listpack has no -0");
    h.run("ZADD long 1 toolongmember");
    assert_eq!(h.run("OBJECT ENCODING long"), bulk("skiplist"));
}

#[test]
fn stores_replace_destination_and_ttl() {
    // rule: ZSET-18, ZSET-28
    let mut h = Harness::new();
    h.run("ZADD z 1 a 2 b");
    h.run("SET d v EX 100");
    assert_eq!(h.run("ZRANGESTORE d z 0 0"), int(1));
    assert_eq!(h.run("TTL d"), int(-1));
    assert_eq!(h.run("ZRANGE d 0 -1"), arr(&["a"]));
    assert_eq!(h.run("ZRANGESTORE d z 5 9"), int(0));
    assert_eq!(h.run("EXISTS d"), int(0));
    assert_eq!(h.run("ZRANGESTORE z z 1 1"), int(1), "source and destination may be the same key");
    assert_eq!(h.run("ZRANGE z 0 -1"), arr(&["b"]));
}

/// A reference sorted set: a sorted vector.
fn reference_sorted(entries: &[(f64, String)]) -> Vec<(f64, String)> {
    let mut v = entries.to_vec();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.1.cmp(&b.1)));
    v
}

#[test]
fn large_skiplist_ranks_ranges_and_removals() {
    // rule: ZSET-1, ZSET-12, ZSET-15, ZSET-20
    let mut h = Harness::new();
    let mut entries: Vec<(f64, String)> = Vec::new();
    let mut state = 12345u64;
    for i in 0..3000 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let score = ((state >> 33) % 500) as f64 / 4.0;
        let member = format!("m{i}");
        h.run(&format!("ZADD big {score} {member}"));
        entries.push((score, member));
    }
    let sorted = reference_sorted(&entries);
    assert_eq!(h.run("OBJECT ENCODING big"), bulk("skiplist"));
    assert_eq!(h.run("ZCARD big"), int(3000));
    for probe in [0usize, 1, 511, 512, 1777, 2999] {
        let (s, m) = &sorted[probe];
        assert_eq!(h.run(&format!("ZRANK big {m}")), int(probe as i64));
        assert_eq!(h.run(&format!("ZREVRANK big {m}")), int((2999 - probe) as i64));
        assert_eq!(h.run(&format!("ZSCORE big {m}")), dbl(*s));
        assert_eq!(h.run(&format!("ZRANGE big {probe} {probe}")), arr(&[m]));
    }
    let in_range: Vec<&str> = sorted.iter().filter(|(s, _)| *s > 10.0 && *s <= 20.0).map(|(_, m)| m.as_str()).collect();
    assert_eq!(h.run("ZCOUNT big (10 20"), int(in_range.len() as i64));
    assert_eq!(h.run("ZRANGE big (10 20 BYSCORE LIMIT 3 5"), arr(&in_range[3..8]));
    let rev: Vec<&str> = in_range.iter().rev().copied().collect();
    assert_eq!(h.run("ZRANGE big 20 (10 BYSCORE REV LIMIT 2 4"), arr(&rev[2..6]));
    assert_eq!(h.run("ZREMRANGEBYSCORE big (10 20"), int(in_range.len() as i64));
    let left: Vec<&(f64, String)> = sorted.iter().filter(|(s, _)| !(*s > 10.0 && *s <= 20.0)).collect();
    assert_eq!(h.run("ZREMRANGEBYRANK big 100 1099"), int(1000));
    let left: Vec<&(f64, String)> = left[..100].iter().chain(left[1100..].iter()).copied().collect();
    let (s, m) = left[150];
    assert_eq!(h.run(&format!("ZRANK big {m}")), int(150));
    assert_eq!(h.run(&format!("ZSCORE big {m}")), dbl(*s));
    let all = h.run("ZRANGE big 0 -1");
    let expected: Vec<&str> = left.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(all, arr(&expected));
}

#[test]
fn zscan_of_a_skiplist_sees_every_member_once() {
    // rule: ZSET-29
    let mut h = Harness::new();
    for i in 0..500 {
        h.run(&format!("ZADD z {i} m{i}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    for _ in 0..10_000 {
        let Frame::Array(parts) = h.run(&format!("ZSCAN z {cursor} COUNT 7")) else {
            panic!("array reply");
        };
        let [Frame::Bulk(next), Frame::Array(items)] = parts.as_slice() else {
            panic!("[cursor, items]");
        };
        for pair in items.chunks(2) {
            let (Frame::Bulk(m), Frame::Bulk(s)) = (&pair[0], &pair[1]) else {
                panic!("member/score pairs");
            };
            assert_eq!(format!("m{}", String::from_utf8_lossy(s)), String::from_utf8_lossy(m));
            seen.insert(m.clone());
        }
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

#[test]
fn zrandmember_is_seeded_and_valid() {
    // rule: ZSET-23
    let picks = |seed_cmds: &[&str]| {
        let mut h = Harness::new();
        for c in seed_cmds {
            h.run(c);
        }
        (h.run("ZRANDMEMBER z 3"), h.run("ZRANDMEMBER z -5 WITHSCORES"), h.run("ZRANDMEMBER z"))
    };
    let setup = ["ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j"];
    assert_eq!(picks(&setup), picks(&setup), "the same history gives the same picks");
    let mut h = Harness::new();
    h.run(setup[0]);
    let Frame::Array(items) = h.run("ZRANDMEMBER z 3") else { panic!("array") };
    let mut names: Vec<_> = items.iter().map(|f| format!("{f:?}")).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3, "distinct");
    assert_eq!(h.run("ZRANDMEMBER z 10"), arr(&["j", "i", "h", "g", "f", "e", "d", "c", "b", "a"]));
    assert_eq!(
        h.run("ZRANDMEMBER z -16777217"),
        err("ERR value is out of range, verdis limits negative counts to -16777216")
    );
}

#[test]
fn copy_is_deep_and_keeps_encoding() {
    let mut h = Harness::new();
    small_limits(&mut h);
    h.run("ZADD z 1 a 2 b 3 c 4 d 5 e");
    assert_eq!(h.run("COPY z c"), int(1));
    h.run("ZREM z a");
    assert_eq!(h.run("ZCARD c"), int(5));
    assert_eq!(h.run("OBJECT ENCODING c"), bulk("skiplist"));
    let free_effort = h.engine.dbs[0].entry(b"c").map(|e| e.value.free_effort());
    assert_eq!(free_effort, Some(5));
    assert!(matches!(h.engine.dbs[0].entry(b"c").map(|e| &e.value), Some(Value::ZSet(_))));
}

#[test]
fn c_string_options() {
    // rule: ZSET-30
    let mut h = Harness::new();
    let argv = |parts: &[&[u8]]| parts.iter().map(|p| p.to_vec()).collect::<Vec<_>>();
    assert_eq!(h.run_argv(&argv(&[b"ZADD", b"z", b"nx\0junk", b"1", b"a"])), int(1));
    assert_eq!(h.run_argv(&argv(&[b"ZADD", b"z", b"nx\0junk", b"2", b"a"])), int(0));
    assert_eq!(h.run_argv(&argv(&[b"ZRANGEBYSCORE", b"z", b"1\0x", b"1"])), arr(&["a"]));
    assert_eq!(h.run_argv(&argv(&[b"ZADD", b"z", b"1\0", b"b"])), err("ERR value is not a valid float"));
}
