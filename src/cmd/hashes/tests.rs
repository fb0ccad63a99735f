//! Tests of the hashes family. The golden scripts hold replies recorded from the real Redis
//! 7.0.15 (regenerate with `tools/redis_golden.py src/cmd/hashes/golden/*.txt`); the tests below
//! cover the random replies, which a recording cannot pin down, and HSCAN over tables.

use crate::engine::testkit::golden::check_script;
use crate::engine::testkit::{bulk, err, int, Harness};
use crate::resp::Frame;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn golden_basic() {
    // rules: HASH-1 HASH-2 HASH-3 HASH-4 HASH-5 HASH-6 HASH-7 HASH-8 HASH-9 HASH-10
    check_script(include_str!("golden/basic.txt"));
}

#[test]
fn golden_encoding() {
    // rules: HASH-11 HASH-12
    check_script(include_str!("golden/encoding.txt"));
}

#[test]
fn golden_counters() {
    // rules: HASH-13 HASH-14
    check_script(include_str!("golden/counters.txt"));
}

#[test]
fn golden_random_scan() {
    // rules: HASH-15 HASH-16 HASH-17
    check_script(include_str!("golden/random_scan.txt"));
}

fn bulks(frame: &Frame) -> Vec<Vec<u8>> {
    match frame {
        Frame::Array(items) => items
            .iter()
            .map(|f| match f {
                Frame::Bulk(b) => b.clone(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn fill(h: &mut Harness, key: &str, n: usize) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut all = BTreeMap::new();
    for i in 0..n {
        h.run(&format!("HSET {key} f{i} v{i}"));
        all.insert(format!("f{i}").into_bytes(), format!("v{i}").into_bytes());
    }
    all
}

#[test]
fn hrandfield_counts_and_uniqueness_on_both_encodings() {
    // rule: HASH-15
    for (n, encoding) in [(10, "listpack"), (600, "hashtable")] {
        let mut h = Harness::new();
        let all = fill(&mut h, "h", n);
        assert_eq!(h.run("OBJECT ENCODING h"), bulk(encoding));
        for count in [1usize, 2, 3, 5, 9, 10, 150, 250, 599, 600, 1000] {
            let got = bulks(&h.run(&format!("HRANDFIELD h {count}")));
            assert_eq!(got.len(), count.min(n), "count {count}");
            let distinct: BTreeSet<_> = got.iter().collect();
            assert_eq!(distinct.len(), got.len(), "distinct for count {count}");
            assert!(got.iter().all(|f| all.contains_key(f)));
            let pairs = bulks(&h.run(&format!("HRANDFIELD h {count} WITHVALUES")));
            assert_eq!(pairs.len(), 2 * count.min(n));
            for pair in pairs.chunks(2) {
                assert_eq!(all.get(&pair[0]), Some(&pair[1]));
            }
        }
        let got = bulks(&h.run("HRANDFIELD h -2000"));
        assert_eq!(got.len(), 2000);
        assert!(got.iter().all(|f| all.contains_key(f)));
        // Negative counts repeat: 2000 picks out of at most 600 fields.
        let distinct: BTreeSet<_> = got.iter().collect();
        assert!(distinct.len() < 2000);
    }
}

#[test]
fn hrandfield_is_close_to_uniform() {
    // rule: HASH-15
    for n in [8usize, 700] {
        let mut h = Harness::new();
        fill(&mut h, "h", n);
        let mut counts: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        let picks = n * 200;
        for f in bulks(&h.run(&format!("HRANDFIELD h -{picks}"))) {
            *counts.entry(f).or_default() += 1;
        }
        assert_eq!(counts.len(), n);
        let expected = 200.0;
        let chi: f64 = counts.values().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
        // The chi-square of n-1 degrees of freedom stays well under 2n for a fair pick.
        assert!(chi < 2.0 * n as f64, "chi-square {chi} for {n} fields");
    }
}

#[test]
fn hrandfield_resp3_pairs_and_huge_negative_counts() {
    // rules: HASH-15 HASH-16
    let mut h = Harness::new();
    h.run("HSET h a 1");
    h.run("HELLO 3");
    let reply = h.run("HRANDFIELD h -2 WITHVALUES");
    let pair = Frame::Array(vec![bulk("a"), bulk("1")]);
    assert_eq!(reply, Frame::Array(vec![pair.clone(), pair]));
    assert_eq!(h.run("HRANDFIELD h -10000001"), err("ERR value is out of range"));
    assert_eq!(h.run("HRANDFIELD h 10000001"), Frame::Array(vec![bulk("a")]));
}

#[test]
fn hrandfield_is_reproducible_from_the_seed() {
    // rule: HASH-15
    let run = || {
        let mut h = Harness::new();
        fill(&mut h, "h", 700);
        (0..5).map(|_| h.run("HRANDFIELD h 7 WITHVALUES")).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn hscan_over_a_table_returns_every_field_while_the_hash_changes() {
    // rule: HASH-17
    let mut h = Harness::new();
    let all = fill(&mut h, "h", 1000);
    assert_eq!(h.run("OBJECT ENCODING h"), bulk("hashtable"));
    let mut seen = BTreeMap::new();
    let mut cursor = "0".to_string();
    let mut extra = 0;
    let mut calls = 0;
    loop {
        let reply = h.run(&format!("HSCAN h {cursor} COUNT 7"));
        let Frame::Array(parts) = reply else { panic!("array") };
        let Frame::Bulk(next) = &parts[0] else { panic!("cursor") };
        let items = bulks(&parts[1]);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        // Growing the hash during the iteration must not hide the original fields.
        for _ in 0..3 {
            h.run(&format!("HSET h x{extra} y"));
            extra += 1;
        }
        calls += 1;
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
        assert!(calls < 10_000);
    }
    for (f, v) in &all {
        assert_eq!(seen.get(f), Some(v));
    }
}

#[test]
fn hscan_match_and_count_on_a_table() {
    // rule: HASH-17
    let mut h = Harness::new();
    fill(&mut h, "h", 600);
    let reply = h.run("HSCAN h 0 MATCH f1* COUNT 1000");
    let Frame::Array(parts) = reply else { panic!("array") };
    let items = bulks(&parts[1]);
    assert!(items.chunks(2).all(|p| p[0].starts_with(b"f1") && p[1][1..] == p[0][1..]));
    assert_eq!(items.len() / 2, 111, "f1, f10..f19, f100..f199");
    assert_eq!(parts[0], bulk("0"));
}

#[test]
fn free_effort_and_memory_usage() {
    let mut h = Harness::new();
    fill(&mut h, "small", 3);
    fill(&mut h, "big", 600);
    assert_eq!(h.engine.dbs[0].entry(b"small").unwrap().value.free_effort(), 1);
    assert_eq!(h.engine.dbs[0].entry(b"big").unwrap().value.free_effort(), 600);
    let Frame::Integer(n) = h.run("MEMORY USAGE big") else { panic!("integer") };
    assert!(n > 600 * 4);
    assert_eq!(h.run("MEMORY USAGE nokey"), Frame::Null);
    assert_eq!(h.run("MEMORY USAGE big SAMPLES -1"), err("ERR syntax error"));
    assert_eq!(h.run("MEMORY USAGE big SAMPLES 0"), Frame::Integer(n));
    assert_eq!(h.run("MEMORY USAGE big FOO"), err("ERR syntax error"));
    assert_eq!(h.run("HLEN big"), int(600));
}
