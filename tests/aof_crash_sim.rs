//! Exhaustive crash checks of the AOF on the simulated disk (rules AOF-13 to AOF-15): for
//! generated histories of up to about 20 writes (single commands and MULTI/EXEC blocks, mixed
//! with BGREWRITEAOF, cron runs and clock steps), the disk is stopped after every one of its
//! operations in turn (every write, fsync, create, rename and directory sync, including those of
//! a rewrite and of the manifest switch), then crashed keeping every possible length of each
//! file's unsynced tail (byte granularity; sampled for long tails). The server is restarted on
//! what survived, and its dataset must be the model's dataset after an allowed prefix of the
//! history (verdis_spec::model::crash).
//!
//! More histories: VERDIS_AOF_CRASH_SEEDS=n (default 2 per policy).

use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::aof::keyspace_fingerprint;
use verdis::persist::disk::SimDisk;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;
use verdis_spec::model::crash::{allowed_prefixes, explain, CrashPoint, Policy};

#[derive(Clone, Debug)]
enum Step {
    /// One write: a command, or a MULTI/EXEC block (all or nothing).
    Write(Vec<String>),
    Rewrite,
    Cron,
    AdvanceMs(u64),
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn command(rng: &mut Rng) -> String {
    let k = rng.below(3);
    let v = rng.below(100);
    match rng.below(10) {
        0 => format!("SET k{k} v{v}"),
        1 => format!("INCR n{k}"),
        2 => format!("DEL k{k} n{k}"),
        3 => format!("RPUSH l{k} e{v}"),
        4 => format!("LPOP l{k}"),
        5 => format!("SADD s{k} m{v} m{}", v + 1),
        6 => format!("SPOP s{k}"),
        7 => format!("HSET h{k} f{} {v}", v % 3),
        8 => format!("EXPIRE k{k} 100000"),
        _ => format!("INCRBYFLOAT f{k} 0.5"),
    }
}

fn history(seed: u64, writes: usize) -> Vec<Step> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut steps = Vec::new();
    let mut n = 0;
    while n < writes {
        match rng.below(12) {
            0 => steps.push(Step::Rewrite),
            1 => steps.push(Step::Cron),
            2 => steps.push(Step::AdvanceMs(rng.below(1500))),
            3 => {
                let inner = 1 + rng.below(3) as usize;
                let mut block = vec!["MULTI".to_string()];
                block.extend((0..inner).map(|_| command(&mut rng)));
                block.push("EXEC".to_string());
                steps.push(Step::Write(block));
                n += 1;
            }
            _ => {
                steps.push(Step::Write(vec![command(&mut rng)]));
                n += 1;
            }
        }
    }
    steps.push(Step::Cron);
    steps
}

fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::Always => "always",
        Policy::Everysec => "everysec",
        Policy::No => "no",
    }
}

fn engine(disk: &SimDisk, policy: Policy, aof: bool) -> Harness {
    let mut c = Config::default();
    if aof {
        c.set("appendonly", b"yes").unwrap();
    }
    c.set("appendfsync", policy_name(policy).as_bytes()).unwrap();
    let mut h = Harness::with_config(c);
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    h
}

/// The model's states: the dataset after 0, 1, 2, ... writes, from an engine without AOF.
fn model_states(steps: &[Step]) -> Vec<Vec<String>> {
    let mut h = engine(&SimDisk::new(), Policy::No, false);
    let mut states = vec![keyspace_fingerprint(&h.engine.dbs)];
    for step in steps {
        match step {
            Step::Write(lines) => {
                for l in lines {
                    h.run(l);
                }
                states.push(keyspace_fingerprint(&h.engine.dbs));
            }
            Step::AdvanceMs(ms) => h.advance_ms(*ms),
            Step::Rewrite | Step::Cron => {}
        }
    }
    states
}

/// Runs the history on a fresh AOF, with the disk stopping after `freeze` operations (counted
/// from the end of the boot). Returns the disk and what the server had done.
fn run(steps: &[Step], policy: Policy, freeze: Option<u64>) -> (SimDisk, CrashPoint, u64) {
    let disk = SimDisk::new();
    let mut h = engine(&disk, policy, true);
    let now = h.now_ms;
    h.engine.aof_boot(now).expect("boot on an empty disk");
    let boot_ops = disk.op_count();
    if let Some(n) = freeze {
        disk.freeze_after(n);
    }
    let mut at = CrashPoint::default();
    let mut rewrite_from: Option<usize> = None;
    for step in steps {
        match step {
            Step::Write(lines) => {
                for l in lines {
                    h.run(l);
                }
                at.applied += 1;
                let now = h.now_ms;
                let ok = h.engine.aof_flush(now);
                if policy == Policy::Always && !ok {
                    // The server exits without replying.
                    break;
                }
                at.acknowledged = at.applied;
            }
            Step::Rewrite => {
                if h.engine.persist.aof.rewrite.is_none() && h.engine.aof_rewrite_background(h.now_ms).is_ok() {
                    rewrite_from = Some(at.applied);
                }
            }
            Step::Cron => {
                let now = h.now_ms;
                let running = h.engine.persist.aof.rewrite.is_some();
                h.engine.cron(now);
                let aof = &h.engine.persist.aof;
                if running && aof.rewrite.is_none() && aof.last_bgrewrite_ok {
                    at.durable = at.durable.max(rewrite_from.unwrap_or(0));
                }
            }
            Step::AdvanceMs(ms) => h.advance_ms(*ms),
        }
        let aof = &h.engine.persist.aof;
        if aof.healthy() && aof.buf.is_empty() && aof.incr_synced == aof.incr_size && !h.engine.aof_pending() {
            at.durable = at.applied;
        }
    }
    let used = disk.op_count() - boot_ops;
    (disk, at, used)
}

/// Tail lengths to keep for a crash: every length for short tails, a sample for long ones.
fn tear_points(max_tail: usize) -> Vec<usize> {
    if max_tail <= 40 {
        return (0..=max_tail).collect();
    }
    let mut v: Vec<usize> = (0..=8).collect();
    v.extend((0..16).map(|i| max_tail * i / 16));
    v.extend(max_tail - 8..=max_tail);
    v.sort_unstable();
    v.dedup();
    v
}

fn check_history(seed: u64, policy: Policy) -> usize {
    let steps = history(seed, 14 + (seed % 7) as usize);
    let states = model_states(&steps);
    let (_, _, total_ops) = run(&steps, policy, None);
    let mut checked = 0;
    for freeze in 0..=total_ops {
        let (disk, at, _) = run(&steps, policy, Some(freeze));
        let max_tail = disk.paths().iter().map(|p| disk.unsynced_bytes(p)).max().unwrap_or(0);
        for keep in tear_points(max_tail) {
            let crashed = disk.deep_copy();
            crashed.crash_keeping(|_, synced, _| synced + keep);
            let mut h = engine(&crashed, policy, true);
            let now = h.now_ms;
            if let Err(e) = h.engine.aof_boot(now) {
                panic!("seed {seed} {policy:?} freeze {freeze} keep {keep}: restart failed: {e}\n{steps:?}");
            }
            let observed = keyspace_fingerprint(&h.engine.dbs);
            assert!(
                explain(policy, at, &states, &observed).is_some(),
                "seed {seed} {policy:?} freeze {freeze} keep {keep}: state after restart is not an allowed prefix {:?} of the history\nobserved {observed:?}\nsteps {steps:?}",
                allowed_prefixes(policy, at)
            );
            // The restarted server keeps appending where the repaired file ends: a write now
            // must survive the next restart, on top of what was recovered.
            h.run("SET after-crash 1");
            let now = h.now_ms;
            h.engine.aof_flush_and_sync(now);
            crashed.crash();
            let mut again = engine(&crashed, policy, true);
            let now = again.now_ms;
            again.engine.aof_boot(now).expect("second restart");
            let mut expected = observed.clone();
            expected.push("0:after-crash=string:1 ttl=None".to_string());
            expected.sort();
            assert_eq!(
                keyspace_fingerprint(&again.engine.dbs),
                expected,
                "seed {seed} {policy:?} freeze {freeze} keep {keep}: write after recovery"
            );
            checked += 1;
        }
    }
    checked
}

fn seeds() -> u64 {
    std::env::var("VERDIS_AOF_CRASH_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2)
}

// rule: AOF-13, AOF-15
#[test]
fn every_crash_point_always() {
    let started = std::time::Instant::now();
    let n: usize = (1..=seeds()).map(|s| check_history(s, Policy::Always)).sum();
    eprintln!("always: {n} crash points in {:?}", started.elapsed());
    assert!(n > 100, "only {n} crash points");
}

// rule: AOF-14, AOF-15
#[test]
fn every_crash_point_everysec() {
    let started = std::time::Instant::now();
    let n: usize = (1..=seeds()).map(|s| check_history(100 + s, Policy::Everysec)).sum();
    eprintln!("everysec: {n} crash points in {:?}", started.elapsed());
    assert!(n > 100, "only {n} crash points");
}

// rule: AOF-14, AOF-15
#[test]
fn every_crash_point_no() {
    let n: usize = (1..=seeds()).map(|s| check_history(200 + s, Policy::No)).sum();
    assert!(n > 100, "only {n} crash points");
}

// rule: AOF-13
#[test]
fn always_loses_nothing_acknowledged_without_faults() {
    for seed in 1..=seeds() {
        let steps = history(seed, 20);
        let states = model_states(&steps);
        let (disk, at, _) = run(&steps, Policy::Always, None);
        assert_eq!(at.acknowledged, at.applied);
        disk.crash();
        let mut h = engine(&disk, Policy::Always, true);
        let now = h.now_ms;
        h.engine.aof_boot(now).unwrap();
        assert_eq!(keyspace_fingerprint(&h.engine.dbs), states[at.applied], "seed {seed}");
    }
}

/// A write with the clock it ran at.
type TimedWrite = (u64, Vec<String>);

/// The model's dataset after `writes`, each at its own time, on a fresh engine.
fn model_after(writes: &[TimedWrite]) -> Vec<String> {
    let mut h = engine(&SimDisk::new(), Policy::No, false);
    for (t, lines) in writes {
        h.now_ms = *t;
        for l in lines {
            h.run(l);
        }
    }
    keyspace_fingerprint(&h.engine.dbs)
}

/// Writes without randomness (SPOP's choice depends on the RNG, which a restart reseeds).
fn plain_command(rng: &mut Rng) -> String {
    loop {
        let c = command(rng);
        if !c.starts_with("SPOP") {
            return c;
        }
    }
}

/// State-machine style: crashes (with a random tear of the unsynced tails) and restarts are
/// steps of the generated sequence; after each restart the dataset must be the model's after the
/// writes that survived earlier crashes plus an allowed prefix of those since, and the sequence
/// goes on from there.
fn check_mixed(seed: u64, policy: Policy) -> usize {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    let disk = SimDisk::new();
    let mut h = engine(&disk, policy, true);
    let now = h.now_ms;
    h.engine.aof_boot(now).expect("boot");
    let mut survived: Vec<TimedWrite> = Vec::new();
    let mut pending: Vec<TimedWrite> = Vec::new();
    let mut at = CrashPoint::default();
    let mut rewrite_from: Option<usize> = None;
    let mut crashes = 0;
    for _ in 0..60 {
        match rng.below(14) {
            0 | 1 => {
                // Crash, keeping a random part of every unsynced tail, and restart.
                let percent = rng.below(101) as usize;
                disk.crash_keeping(|_, synced, written| synced + (written - synced) * percent / 100);
                let clock = h.now_ms;
                h = engine(&disk, policy, true);
                h.now_ms = clock;
                h.engine.aof_boot(clock).unwrap_or_else(|e| panic!("seed {seed}: restart failed: {e}"));
                let observed = keyspace_fingerprint(&h.engine.dbs);
                let states: Vec<Vec<String>> =
                    (0..=pending.len()).map(|k| model_after(&[survived.as_slice(), &pending[..k]].concat())).collect();
                let Some(k) = explain(policy, at, &states, &observed) else {
                    panic!("seed {seed} crash {crashes}: not an allowed prefix {:?}", allowed_prefixes(policy, at));
                };
                survived.extend(pending.drain(..k));
                pending.clear();
                at = CrashPoint::default();
                rewrite_from = None;
                crashes += 1;
            }
            2 => {
                if h.engine.persist.aof.rewrite.is_none() && h.engine.aof_rewrite_background(h.now_ms).is_ok() {
                    rewrite_from = Some(at.applied);
                }
            }
            3 => {
                let now = h.now_ms;
                let running = h.engine.persist.aof.rewrite.is_some();
                h.engine.cron(now);
                if running && h.engine.persist.aof.rewrite.is_none() && h.engine.persist.aof.last_bgrewrite_ok {
                    at.durable = at.durable.max(rewrite_from.unwrap_or(0));
                }
            }
            4 => h.advance_ms(rng.below(1500)),
            5 => {
                let mut block = vec!["MULTI".to_string()];
                block.extend((0..1 + rng.below(3)).map(|_| plain_command(&mut rng)));
                block.push("EXEC".to_string());
                apply(&mut h, &mut pending, &mut at, block);
            }
            _ => {
                let c = plain_command(&mut rng);
                apply(&mut h, &mut pending, &mut at, vec![c]);
            }
        }
        let aof = &h.engine.persist.aof;
        if aof.healthy() && aof.buf.is_empty() && aof.incr_synced == aof.incr_size && !h.engine.aof_pending() {
            at.durable = at.applied;
        }
    }
    crashes
}

fn apply(h: &mut Harness, pending: &mut Vec<TimedWrite>, at: &mut CrashPoint, lines: Vec<String>) {
    for l in &lines {
        h.run(l);
    }
    pending.push((h.now_ms, lines));
    at.applied += 1;
    let now = h.now_ms;
    assert!(h.engine.aof_flush(now));
    at.acknowledged = at.applied;
}

// rule: AOF-13, AOF-14, AOF-15
#[test]
fn crashes_mixed_into_generated_sequences() {
    let mut crashes = 0;
    for seed in 1..=(10 * seeds()) {
        for policy in [Policy::Always, Policy::Everysec, Policy::No] {
            crashes += check_mixed(seed, policy);
        }
    }
    assert!(crashes > 20, "only {crashes} crashes");
}
