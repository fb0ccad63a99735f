use super::*;
use crate::engine::testkit::{int, ok, Harness};
use crate::resp::Frame;

/// One field of an INFO section.
fn info_field(h: &mut Harness, section: &str, name: &str) -> Option<String> {
    let text = match h.run(&format!("INFO {section}")) {
        Frame::Bulk(text) | Frame::Verbatim(_, text) => text,
        other => panic!("INFO replied {other:?}"),
    };
    let text = String::from_utf8(text).unwrap();
    let prefix = format!("{name}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).map(str::to_string)
}

fn counters(h: &mut Harness) -> (u64, u64) {
    let pending = info_field(h, "memory", "lazyfree_pending_objects").unwrap().parse().unwrap();
    let freed = info_field(h, "memory", "lazyfreed_objects").unwrap().parse().unwrap();
    (pending, freed)
}

/// Keys k0..k(n-1) in database `db`, then back to database 0.
fn fill(h: &mut Harness, db: usize, n: usize) {
    h.run(&format!("SELECT {db}"));
    for i in 0..n {
        h.run(&format!("SET k{i} v{i}"));
    }
    h.run("SELECT 0");
}

#[test]
fn threshold_is_redis_lazyfree_threshold() {
    // Checked against Redis 7.0.15: UNLINK of a 64-member hashtable set is freed at once,
    // of a 65-member one in the background.
    assert!(!worth_deferring(1));
    assert!(!worth_deferring(64));
    assert!(worth_deferring(65));
}

#[test]
fn strings_are_never_deferred() {
    // A string is one allocation (effort 1): UNLINK frees it at once and counts nothing.
    let mut h = Harness::new();
    h.run("SET s hello");
    h.run(&format!("SET big {}", "x".repeat(100_000)));
    assert_eq!(h.run("UNLINK s big"), int(2));
    assert_eq!(counters(&mut h), (0, 0));
}

#[test]
fn flushall_async_counts_every_key_of_every_db() {
    // Redis 7.0.15: 4 keys in db 0 and 1 in db 3, FLUSHALL ASYNC -> lazyfreed_objects:5.
    let mut h = Harness::new();
    // Without save points (as the oracle runs): with them FLUSHALL saves and resets the counter.
    h.run("CONFIG SET save \"\"");
    fill(&mut h, 0, 4);
    fill(&mut h, 3, 1);
    assert_eq!(h.run("FLUSHALL ASYNC"), ok());
    assert_eq!(h.run("DBSIZE"), int(0));
    assert_eq!(counters(&mut h), (0, 5));
    assert_eq!(h.engine.dirty, 5 + 5);
    // Nothing left to free: a second FLUSHALL ASYNC counts nothing.
    assert_eq!(h.run("FLUSHALL ASYNC"), ok());
    assert_eq!(counters(&mut h), (0, 5));
}

#[test]
fn flush_modes() {
    let mut h = Harness::new();
    fill(&mut h, 0, 3);
    fill(&mut h, 1, 2);
    assert_eq!(h.run("FLUSHALL SYNC"), ok());
    assert_eq!(counters(&mut h), (0, 0));
    // No argument: lazyfree-lazy-user-flush decides (default no).
    fill(&mut h, 0, 3);
    assert_eq!(h.run("FLUSHALL"), ok());
    assert_eq!(counters(&mut h), (0, 0));
    assert_eq!(h.run("CONFIG SET lazyfree-lazy-user-flush yes"), ok());
    fill(&mut h, 0, 3);
    assert_eq!(h.run("FLUSHDB"), ok());
    assert_eq!(counters(&mut h), (0, 3));
    fill(&mut h, 0, 2);
    assert_eq!(h.run("flushdb sync"), ok());
    assert_eq!(counters(&mut h), (0, 3));
    // FLUSHDB ASYNC empties only the selected database.
    fill(&mut h, 0, 2);
    fill(&mut h, 1, 4);
    assert_eq!(h.run("SELECT 1"), ok());
    assert_eq!(h.run("FLUSHDB async"), ok());
    assert_eq!(h.run("DBSIZE"), int(0));
    assert_eq!(h.run("SELECT 0"), ok());
    assert_eq!(h.run("DBSIZE"), int(2));
    assert_eq!(counters(&mut h), (0, 7));
    assert_eq!(h.run("FLUSHALL ASYNC x"), Frame::Error("ERR syntax error".into()));
    assert_eq!(h.run("FLUSHDB SYNCX"), Frame::Error("ERR syntax error".into()));
}

#[test]
fn flush_async_resets_expire_state() {
    let mut h = Harness::new();
    h.run("SET a 1 PX 100000");
    h.run("SET b 1");
    h.engine.dbs[0].avg_ttl_ms = 5;
    h.engine.dbs[0].expire_cursor = 3;
    assert_eq!(h.run("FLUSHALL ASYNC"), ok());
    let db = &h.engine.dbs[0];
    assert_eq!((db.len(), db.volatile_len(), db.avg_ttl_ms, db.expire_cursor), (0, 0, 0, 0));
    // The emptied database works as a new one.
    assert_eq!(h.run("SET a 2 PX 1000"), ok());
    assert_eq!(h.run("PTTL a"), int(1000));
}

#[test]
fn resetstat_zeroes_lazyfreed_objects() {
    let mut h = Harness::new();
    fill(&mut h, 0, 2);
    h.run("FLUSHALL ASYNC");
    assert_eq!(counters(&mut h), (0, 2));
    assert_eq!(h.run("CONFIG RESETSTAT"), ok());
    assert_eq!(counters(&mut h), (0, 0));
}

#[test]
fn threaded_back_end_in_the_engine() {
    let mut h = Harness::new();
    h.engine.start_lazyfree_thread().unwrap();
    assert!(h.engine.lazyfree.is_threaded());
    fill(&mut h, 0, 1000);
    fill(&mut h, 5, 10);
    assert_eq!(h.run("FLUSHALL ASYNC"), ok());
    // The keyspace is empty at once, whatever the free thread is doing.
    assert_eq!(h.run("DBSIZE"), int(0));
    assert_eq!(h.run("GET k1"), Frame::Null);
    h.engine.lazyfree.wait_idle();
    assert_eq!(counters(&mut h), (0, 1010));
    h.engine.lazyfree.shutdown();
    assert!(!h.engine.lazyfree.is_threaded());
}

/// One step of the semantic-invariance script: a command line, or a clock/cron step.
enum Step {
    Cmd(String),
    Advance(u64),
    Cron,
}

/// A deterministic script over the commands whose freeing lazy free can change (deletes,
/// overwrites, expiries, flushes) mixed with reads that expose the keyspace.
fn script(seed: u64, len: usize) -> Vec<Step> {
    let mut state = seed;
    let mut next = move |n: u64| {
        // SplitMix64: good enough spread, and the same script for the same seed.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    };
    let mut steps = Vec::with_capacity(len);
    for _ in 0..len {
        let (k, j) = (next(12), next(12));
        let v = next(1000);
        let step = match next(30) {
            0..=4 => Step::Cmd(format!("SET k{k} v{v}")),
            5 => Step::Cmd(format!("SET k{k} {v} PX {}", 1 + next(50))),
            6 => Step::Cmd(format!("SET k{k} {v} KEEPTTL GET")),
            7 => Step::Cmd(format!("GET k{k}")),
            8 => Step::Cmd(format!("DEL k{k} k{j}")),
            9 => Step::Cmd(format!("UNLINK k{k} k{j}")),
            10 => Step::Cmd(format!("GETDEL k{k}")),
            11 => Step::Cmd(format!("GETEX k{k} PXAT 1")),
            12 => Step::Cmd(format!("PEXPIRE k{k} {}", next(40) as i64 - 5)),
            13 => Step::Cmd(format!("RENAME k{k} k{j}")),
            14 => Step::Cmd(format!("COPY k{k} k{j} REPLACE")),
            15 => Step::Cmd(format!("MOVE k{k} {}", next(3))),
            16 => Step::Cmd(format!("SELECT {}", next(3))),
            17 => Step::Cmd(["FLUSHDB", "FLUSHDB ASYNC", "FLUSHDB SYNC"][next(3) as usize].to_string()),
            18 if next(4) == 0 => {
                Step::Cmd(["FLUSHALL", "FLUSHALL ASYNC", "FLUSHALL SYNC"][next(3) as usize].to_string())
            }
            19 => Step::Cmd(format!("APPEND k{k} x{v}")),
            20 => Step::Cmd(format!("INCR k{k}")),
            21 => Step::Cmd("DBSIZE".to_string()),
            22 => Step::Cmd("KEYS *".to_string()),
            23 => Step::Cmd(format!("PTTL k{k}")),
            24 => Step::Cmd(format!("EXISTS k{k} k{j}")),
            25 => Step::Cmd(format!("MSET k{k} a k{j} b")),
            26 => Step::Cmd("SCAN 0 COUNT 100".to_string()),
            27 => Step::Advance(next(20)),
            28 => Step::Cron,
            _ => Step::Cmd(format!("SETRANGE k{k} {} z", next(5))),
        };
        steps.push(step);
    }
    steps
}

const OPTIONS: [&str; 5] = [
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-eviction",
];

/// Every reply of a script, and the final keyspace of every database (key, value and expiry).
type Outcome = (Vec<Frame>, Vec<Vec<(Vec<u8>, String)>>);

/// Runs `steps` on a fresh engine with the options of `mask` switched on.
fn replay(steps: &[Step], mask: u32, threaded: bool) -> Outcome {
    let mut h = Harness::new();
    if threaded {
        h.engine.start_lazyfree_thread().unwrap();
    }
    for (bit, name) in OPTIONS.iter().enumerate() {
        let value = if mask & (1 << bit) != 0 { "yes" } else { "no" };
        assert_eq!(h.run(&format!("CONFIG SET {name} {value}")), ok());
    }
    let mut replies = Vec::new();
    for step in steps {
        match step {
            Step::Cmd(line) => replies.push(h.run(line)),
            Step::Advance(ms) => h.advance_ms(*ms),
            Step::Cron => h.engine.cron(h.now_ms),
        }
    }
    let dump = h
        .engine
        .dbs
        .iter()
        .map(|db| {
            let mut keys: Vec<(Vec<u8>, String)> =
                db.iter().map(|(k, e)| (k.to_vec(), format!("{:?} {:?}", e.value, e.expire_at_ms()))).collect();
            keys.sort();
            keys
        })
        .collect();
    h.engine.lazyfree.wait_idle();
    assert_eq!(h.engine.lazyfree.pending_objects(), 0);
    (replies, dump)
}

/// Lazy freeing changes when memory is released, never what a command replies or what the
/// keyspace holds: the same script gives the same replies and the same final keyspace with every
/// combination of the lazyfree options, and with the inline or the threaded back end.
#[test]
fn lazyfree_options_never_change_replies() {
    for seed in 0..4 {
        let steps = script(seed, 1500);
        let baseline = replay(&steps, 0, false);
        assert!(baseline.0.contains(&Frame::Integer(2)), "the script should delete pairs of keys");
        for mask in 1..(1u32 << OPTIONS.len()) {
            let other = replay(&steps, mask, false);
            assert!(other == baseline, "seed {seed}: options mask {mask:#b} changed a reply or the keyspace");
        }
        let threaded = replay(&steps, (1 << OPTIONS.len()) - 1, true);
        assert!(threaded == baseline, "seed {seed}: the threaded back end changed a reply or the keyspace");
    }
}
