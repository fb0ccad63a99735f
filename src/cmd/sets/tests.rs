//! Unit tests of the sets family: what the interop script cannot pin down against a real server
//! (random choices, determinism, statistics, dirty counts, big sets, the SSCAN guarantee).

use crate::engine::config::Config;
use crate::engine::testkit::*;
use crate::engine::value::Value;
use crate::resp::Frame;
use std::collections::BTreeSet;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn members(h: &mut Harness, cmd: &str) -> BTreeSet<String> {
    match h.run(cmd) {
        Frame::Set(items) | Frame::Array(items) => items
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => String::from_utf8(b).expect("utf8 member"),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("{cmd}: not an aggregate: {other:?}"),
    }
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn encoding(h: &mut Harness, key: &str) -> Frame {
    h.run(&format!("OBJECT ENCODING {key}"))
}

fn fill(h: &mut Harness, key: &str, from: usize, to: usize, prefix: &str) {
    let args: Vec<String> = (from..to).map(|i| format!("{prefix}{i}")).collect();
    h.run(&format!("SADD {key} {}", args.join(" ")));
}

#[test]
fn sadd_srem_basics_and_dirty() {
    // rules: SET-1, SET-2, SET-3
    let mut h = Harness::new();
    let dirty = h.engine.dirty;
    assert_eq!(h.run("SADD s a b a"), int(2));
    assert_eq!(h.engine.dirty - dirty, 2, "dirty counts added members");
    assert_eq!(h.run("SADD s a"), int(0));
    assert_eq!(h.engine.dirty - dirty, 2);
    assert_eq!(h.run("SCARD s"), int(2));
    assert_eq!(h.run("SMISMEMBER s a x"), Frame::Array(vec![int(1), int(0)]));
    assert_eq!(h.run("SREM s a x"), int(1));
    assert_eq!(h.engine.dirty - dirty, 3);
    assert_eq!(h.run("SREM s b"), int(1));
    assert_eq!(h.run("EXISTS s"), int(0));
    assert_eq!(h.run("SREM s b"), int(0));
}

#[test]
fn wrongtype_on_strings_and_back() {
    // rule: SET-5
    let mut h = Harness::new();
    h.run("SET k v");
    for cmd in ["SADD k a", "SREM k a", "SCARD k", "SMEMBERS k", "SPOP k", "SRANDMEMBER k 2", "SSCAN k 0"] {
        assert_eq!(h.run(cmd), err(WRONGTYPE), "{cmd}");
    }
    h.run("SADD s a");
    for cmd in ["GET s", "APPEND s x", "INCR s", "STRLEN s", "GETDEL s"] {
        assert_eq!(h.run(cmd), err(WRONGTYPE), "{cmd}");
    }
    assert_eq!(h.run("MGET s"), Frame::Array(vec![Frame::Null]));
    assert_eq!(h.run("SET s v"), ok());
    assert_eq!(h.run("TYPE s"), Frame::simple("string"));
}

#[test]
fn smove_counts_and_creates() {
    // rule: SET-6
    let mut h = Harness::new();
    h.run("SADD src 1 a");
    h.run("SADD dst a");
    let dirty = h.engine.dirty;
    assert_eq!(h.run("SMOVE src dst a"), int(1));
    assert_eq!(h.engine.dirty - dirty, 1, "already in dst: only the removal counts");
    assert_eq!(h.run("SMOVE src new 1"), int(1));
    assert_eq!(h.engine.dirty - dirty, 3);
    assert_eq!(h.run("EXISTS src"), int(0));
    assert_eq!(encoding(&mut h, "new"), bulk("intset"));
    h.run("SET str v");
    assert_eq!(h.run("SMOVE nosuch str x"), int(0));
    assert_eq!(h.run("SMOVE new str 1"), err(WRONGTYPE));
}

#[test]
fn encodings_follow_redis() {
    // rules: SET-17, SET-18
    let mut h = Harness::new();
    h.run("SADD i 1 2 3");
    assert_eq!(encoding(&mut h, "i"), bulk("intset"));
    assert_eq!(h.run("SMEMBERS i"), Frame::Set(vec![bulk("1"), bulk("2"), bulk("3")]), "intset order");
    h.run("SADD i x");
    assert_eq!(encoding(&mut h, "i"), bulk("hashtable"));
    h.run("SREM i x");
    assert_eq!(encoding(&mut h, "i"), bulk("hashtable"), "never back");
    // A computed set of integers is an intset, whatever its sources were.
    assert_eq!(h.run("SUNIONSTORE u i"), int(3));
    assert_eq!(encoding(&mut h, "u"), bulk("intset"));
    assert_eq!(h.run("SINTERSTORE n i u"), int(3));
    assert_eq!(encoding(&mut h, "n"), bulk("intset"));
    // The size limit, read at each addition.
    h.run("CONFIG SET set-max-intset-entries 4");
    h.run("SADD l 1 2 3 4");
    assert_eq!(encoding(&mut h, "l"), bulk("intset"));
    h.run("SADD l 5");
    assert_eq!(encoding(&mut h, "l"), bulk("hashtable"));
    h.run("CONFIG SET set-max-intset-entries 0");
    h.run("SADD z 1");
    assert_eq!(encoding(&mut h, "z"), bulk("hashtable"));
}

#[test]
fn spop_rebuild_can_turn_a_hashtable_into_an_intset() {
    // rule: SET-18
    // Ten members, pop nine: the one kept seeds a new set (case "rebuild"). Whenever that member
    // is an integer the new set is an intset.
    let mut seen = BTreeSet::new();
    for seed in 0..40u64 {
        let mut h = Harness::with_config(Config { seed, ..Config::default() });
        h.run("SADD s 1 2 3 4 5 6 7 8 9 x");
        assert_eq!(encoding(&mut h, "s"), bulk("hashtable"));
        let popped = members(&mut h, "SPOP s 9");
        assert_eq!(popped.len(), 9);
        let left = members(&mut h, "SMEMBERS s");
        assert_eq!(left.len(), 1);
        let want = if left.contains("x") { "hashtable" } else { "intset" };
        assert_eq!(encoding(&mut h, "s"), bulk(want));
        seen.insert(want);
    }
    assert_eq!(seen.len(), 2, "both outcomes occur over 40 seeds");
}

#[test]
fn spop_with_count_cases() {
    // rules: SET-7, SET-8
    let mut h = Harness::new();
    fill(&mut h, "s", 0, 100, "m");
    h.run("EXPIRE s 1000");
    let dirty = h.engine.dirty;
    let a = members(&mut h, "SPOP s 10"); // pops one by one
    assert_eq!(a.len(), 10);
    assert_eq!(h.engine.dirty - dirty, 10);
    let b = members(&mut h, "SPOP s 80"); // rebuilds from the 10 kept
    assert_eq!(b.len(), 80);
    assert!(a.is_disjoint(&b));
    assert_eq!(h.run("TTL s"), int(1000), "the rebuilt set keeps the key's TTL");
    let rest = members(&mut h, "SMEMBERS s");
    assert_eq!(rest.len(), 10);
    assert!(rest.is_disjoint(&a) && rest.is_disjoint(&b));
    let all = members(&mut h, "SPOP s 10");
    assert_eq!(all, rest);
    assert_eq!(h.run("EXISTS s"), int(0));
    assert_eq!(h.run("SPOP s 3"), Frame::Set(vec![]));
    assert_eq!(h.run("SPOP s"), Frame::Null);
}

#[test]
fn spop_with_count_covering_the_set_counts_a_keyspace_hit() {
    // rule: SET-8 (Redis serves it with SUNION, a read lookup)
    let mut h = Harness::new();
    h.run("SADD s a b");
    let hits = h.engine.stats.keyspace_hits;
    members(&mut h, "SPOP s 5");
    assert_eq!(h.engine.stats.keyspace_hits - hits, 1);
    h.run("SADD s a b c d e f");
    let hits = h.engine.stats.keyspace_hits;
    members(&mut h, "SPOP s 1");
    assert_eq!(h.engine.stats.keyspace_hits, hits, "a write lookup counts nothing");
}

#[test]
fn srandmember_count_cases() {
    // rules: SET-9, SET-10
    let mut h = Harness::new();
    fill(&mut h, "s", 0, 30, "m");
    for (cmd, len) in
        [("SRANDMEMBER s 5", 5), ("SRANDMEMBER s 25", 25), ("SRANDMEMBER s 30", 30), ("SRANDMEMBER s 99", 30)]
    {
        let reply = h.run(cmd);
        let Frame::Array(items) = &reply else { panic!("{cmd}: {reply:?}") };
        assert_eq!(items.len(), len, "{cmd}");
        assert_eq!(members(&mut h, cmd).len(), len, "{cmd}: distinct");
    }
    let Frame::Array(items) = h.run("SRANDMEMBER s -100") else { panic!() };
    assert_eq!(items.len(), 100);
    assert_eq!(h.run("SCARD s"), int(30), "nothing removed");
    // Intsets too.
    h.run("SADD i 1 2 3 4 5 6 7 8 9 10 11 12");
    assert_eq!(members(&mut h, "SRANDMEMBER i 3").len(), 3);
    assert_eq!(members(&mut h, "SRANDMEMBER i 10").len(), 10);
}

#[test]
fn srandmember_huge_negative_count_is_refused() {
    // rule: SET-10 (verdis deviation: replies are built in memory)
    let mut h = Harness::new();
    h.run("SADD s a");
    assert_eq!(super::random::MAX_REPEATED_MEMBERS, 16_777_216);
    assert!(h.run("SRANDMEMBER s -1000").error_text().is_none());
    assert_eq!(h.run("SRANDMEMBER s -16777217"), err(super::random::TOO_MANY_REPEATED));
    assert_eq!(h.run("SRANDMEMBER nosuch -9223372036854775807"), Frame::Array(vec![]));
}

#[test]
fn random_draws_are_seeded_and_fair() {
    // rule: SET-20
    let run = |seed: u64| {
        let mut h = Harness::with_config(Config { seed, ..Config::default() });
        h.run("SADD s a b c d e f g h i j 1 2 3");
        (h.run("SRANDMEMBER s -20"), h.run("SPOP s 4"), h.run("SPOP s"))
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    // Every member of a hash table is drawn about equally often.
    for key_members in ["a b c d e f g h i j", "1 5 10 50 125 MARY PATRICIA LINDA BARBARA ELIZABETH"] {
        let mut h = Harness::new();
        h.run(&format!("SADD s {key_members}"));
        let Frame::Array(items) = h.run("SRANDMEMBER s -10000") else { panic!() };
        let mut counts = std::collections::BTreeMap::new();
        for item in items {
            *counts.entry(format!("{item:?}")).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 10);
        for (m, n) in counts {
            assert!((800..1200).contains(&n), "{m} drawn {n} times of 10000");
        }
    }
}

#[test]
fn algebra_and_store() {
    // rules: SET-11, SET-12, SET-13, SET-14, SET-15
    let mut h = Harness::new();
    h.run("SADD a 1 2 3 x");
    h.run("SADD b 2 3 4 x");
    assert_eq!(members(&mut h, "SINTER a b"), set_of(&["2", "3", "x"]));
    assert_eq!(h.run("SINTERCARD 2 a b LIMIT 2"), int(2));
    assert_eq!(members(&mut h, "SUNION a b nosuch"), set_of(&["1", "2", "3", "4", "x"]));
    assert_eq!(members(&mut h, "SDIFF a b"), set_of(&["1"]));
    h.run("SET dst v");
    h.run("EXPIRE dst 100");
    let dirty = h.engine.dirty;
    assert_eq!(h.run("SINTERSTORE dst a b"), int(3));
    assert_eq!(h.engine.dirty - dirty, 1);
    assert_eq!(h.run("TTL dst"), int(-1));
    assert_eq!(h.run("SDIFFSTORE dst a a"), int(0));
    assert_eq!(h.engine.dirty - dirty, 2, "deleting the destination counts");
    assert_eq!(h.run("SDIFFSTORE dst a a"), int(0));
    assert_eq!(h.engine.dirty - dirty, 2);
    // Keyspace statistics: every key is a read lookup.
    let (hits, misses) = (h.engine.stats.keyspace_hits, h.engine.stats.keyspace_misses);
    h.run("SUNION a nosuch b");
    assert_eq!(h.engine.stats.keyspace_hits - hits, 2);
    assert_eq!(h.engine.stats.keyspace_misses - misses, 1);
}

#[test]
fn sdiff_algorithms_agree() {
    // rules: SET-14, SET-18
    let mut h = Harness::new();
    fill(&mut h, "big", 0, 50, "");
    h.run("SADD big x");
    h.run("SADD s1 x 3");
    h.run("SADD s2 y 4");
    // 51 members against 4: copy-and-subtract; the copy went through a hash table.
    assert_eq!(h.run("SDIFFSTORE d big s1 s2"), int(48));
    assert_eq!(encoding(&mut h, "d"), bulk("hashtable"));
    // Few members against many: member by member; integers only, so an intset.
    assert_eq!(h.run("SDIFFSTORE d2 s1 big"), int(0));
    h.run("SADD s3 3 4 5");
    assert_eq!(h.run("SDIFFSTORE d3 s3 s1 s2"), int(1));
    assert_eq!(encoding(&mut h, "d3"), bulk("intset"));
    assert_eq!(members(&mut h, "SMEMBERS d"), (0..50).filter(|i| *i != 3 && *i != 4).map(|i| i.to_string()).collect());
}

#[test]
fn sscan_full_iteration_sees_every_member_while_the_set_changes() {
    // rule: SET-16
    let mut h = Harness::new();
    fill(&mut h, "s", 0, 500, "m");
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut extra = 0;
    for _ in 0..10_000 {
        let Frame::Array(parts) = h.run(&format!("SSCAN s {cursor} COUNT 7")) else { panic!() };
        let [Frame::Bulk(next), Frame::Array(items)] = parts.as_slice() else { panic!() };
        for item in items {
            let Frame::Bulk(b) = item else { panic!() };
            seen.insert(String::from_utf8(b.clone()).expect("utf8"));
        }
        // Grow (and later shrink) the table during the iteration.
        if extra < 2000 {
            fill(&mut h, "s", extra, extra + 20, "x");
            extra += 20;
        } else {
            h.run(&format!("SREM s x{}", extra - 2000));
            extra += 1;
        }
        cursor = String::from_utf8(next.clone()).expect("cursor");
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(cursor, "0", "the iteration ends");
    for i in 0..500 {
        assert!(seen.contains(&format!("m{i}")), "m{i} missed");
    }
}

#[test]
fn sscan_intset_is_one_call_and_match_filters() {
    // rule: SET-16
    let mut h = Harness::new();
    h.run("SADD i 1 2 10 20");
    let reply = h.run("SSCAN i 12345 COUNT 1 MATCH 1*");
    assert_eq!(reply, Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("1"), bulk("10")])]));
    assert_eq!(h.run("SSCAN nosuch 0 BOGUS"), Frame::Array(vec![bulk("0"), Frame::Array(vec![])]));
    assert_eq!(h.run("SSCAN i 0 TYPE set"), err("ERR syntax error"));
    // Option names compare as C strings: `count\0x` is COUNT.
    let argv: Vec<Vec<u8>> = vec![b"SSCAN".to_vec(), b"i".to_vec(), b"0".to_vec(), b"count\0x".to_vec(), b"5".to_vec()];
    let all = Frame::Array(vec![bulk("1"), bulk("2"), bulk("10"), bulk("20")]);
    assert_eq!(h.run_argv(&argv), Frame::Array(vec![bulk("0"), all]));
}

#[test]
fn generic_commands_on_sets() {
    // rule: SET-19
    let mut h = Harness::new();
    h.run("SADD s 1 2");
    h.run("SADD hs a b c");
    assert_eq!(h.run("TYPE s"), Frame::simple("set"));
    assert_eq!(h.run("COPY s s2"), int(1));
    h.run("SADD s2 3");
    assert_eq!(h.run("SCARD s"), int(2), "the copy is independent");
    assert_eq!(encoding(&mut h, "s2"), bulk("intset"));
    assert_eq!(h.run("COPY hs hs2"), int(1));
    assert_eq!(encoding(&mut h, "hs2"), bulk("hashtable"));
    let db = &h.engine.dbs[0];
    let effort = |k: &[u8]| db.entry(k).map(|e| e.value.free_effort());
    assert_eq!(effort(b"s"), Some(1));
    assert_eq!(effort(b"hs"), Some(3));
    assert!(matches!(db.entry(b"hs").map(|e| &e.value), Some(Value::Set(_))));
    let Frame::Array(parts) = h.run("SCAN 0 TYPE set COUNT 100") else { panic!() };
    let Frame::Array(keys) = &parts[1] else { panic!() };
    let mut keys: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    keys.sort();
    let mut want: Vec<String> = ["hs", "hs2", "s", "s2"].iter().map(|k| format!("{:?}", bulk(k))).collect();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(h.run("RENAME hs hs3"), ok());
    assert_eq!(h.run("MOVE hs3 1"), int(1));
    assert_eq!(h.run("UNLINK s s2 hs2"), int(3));
}

#[test]
fn expired_sets_are_gone() {
    // rules: SET-1, SET-3
    let mut h = Harness::new();
    h.run("SADD s a");
    h.run("PEXPIRE s 10");
    h.advance_ms(11);
    assert_eq!(h.run("SCARD s"), int(0));
    assert_eq!(h.run("SADD s b"), int(1));
    assert_eq!(h.run("TTL s"), int(-1));
    assert_eq!(members(&mut h, "SMEMBERS s"), set_of(&["b"]));
}
