//! State-machine tests: generated operation sequences (several clients, SELECT across databases,
//! simulated time passing expiries, a small key alphabet so keys collide) run against the engine
//! and against the independent model in `specs/`. Replies are compared after every step and the
//! whole keyspace of every database after every step. A failure shrinks to a minimal sequence and
//! is printed as a replayable command script; proptest keeps failing seeds in
//! `tests/model_engine.proptest-regressions`.
//!
//! Cases: 256 by default; `PROPTEST_CASES=100000 cargo test --release --test model_engine` for a
//! long campaign.
// rules: PROTO-1 KEY-1 EXP-1 STR-1 ZSET-1 LIST-1 BLOCK-1 STREAM-2

use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::BTreeMap;
use verdis::engine::value::Value;
use verdis::oracle::system::ModelSystem;
use verdis_spec::harness::{compare_deliveries, compare_state, System};
use verdis_spec::model::{GroupValue, KeyState, MValue, Model, PendingValue, Score, StreamValue, ZSetValue, NUM_DBS};
use verdis_spec::op::{ops_from_bytes, Op, Step, EPOCH_MS};
use verdis_spec::reply::Reply;

/// The engine with whole-state snapshots for the model's comparisons.
pub struct EngineSystem {
    inner: ModelSystem,
}

impl EngineSystem {
    pub fn new(now_ms: u64) -> EngineSystem {
        EngineSystem { inner: ModelSystem::new(now_ms) }
    }

    /// An engine with the lazyfree options of `mask` on (bit i: `LAZYFREE_OPTIONS[i]`), and the
    /// threaded lazy-free back end when `threaded`.
    pub fn with_lazyfree(now_ms: u64, mask: u32, threaded: bool) -> EngineSystem {
        let mut inner = ModelSystem::new(now_ms);
        for (bit, name) in LAZYFREE_OPTIONS.iter().enumerate() {
            let value: &[u8] = if mask & (1 << bit) != 0 { b"yes" } else { b"no" };
            inner.engine.config.set(name, value).expect("a lazyfree option");
        }
        if threaded {
            inner.engine.start_lazyfree_thread().expect("start the free thread");
        }
        EngineSystem { inner }
    }
}

/// The options that decide where freed values go; they must never change a reply.
const LAZYFREE_OPTIONS: [&str; 6] = [
    "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush",
    "lazyfree-lazy-server-del",
    "lazyfree-lazy-expire",
    "lazyfree-lazy-eviction",
    "replica-lazy-flush",
];

impl System for EngineSystem {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
        self.inner.execute(client, argv, now_ms)
    }

    fn snapshot(&mut self, db: usize, now_ms: u64) -> Option<BTreeMap<Vec<u8>, KeyState>> {
        let db = self.inner.engine.dbs.get(db)?;
        let mut keys = BTreeMap::new();
        for (key, entry) in db.iter() {
            if entry.expire_at_ms().is_some_and(|t| now_ms > t) {
                continue; // logically gone; the model has no such key either
            }
            keys.insert(key.to_vec(), (to_model_value(&entry.value), entry.expire_at_ms()));
        }
        Some(keys)
    }

    fn advance(&mut self, now_ms: u64) {
        self.inner.advance(now_ms);
    }

    fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        self.inner.take_deliveries()
    }

    fn restart(&mut self, now_ms: u64) -> bool {
        self.inner.restart(now_ms);
        true
    }

    fn acl_facts(&self) -> Option<std::sync::Arc<dyn verdis_spec::model::acl::AclFacts>> {
        self.inner.acl_facts()
    }
}

/// The engine's value in the model's representation (each type adds its arm).
pub fn to_model_value(value: &Value) -> MValue {
    match value {
        Value::Str(s) => MValue::Str(s.as_bytes().into_owned()),
        Value::Set(s) => MValue::Set(s.members().into_iter().collect()),
        Value::ZSet(z) => MValue::ZSet(ZSetValue {
            scores: z.iter().map(|(score, member)| (member.to_vec(), Score(score))).collect(),
            listpack: z.is_listpack(),
        }),
        Value::List(l) => MValue::List(l.iter().map(<[u8]>::to_vec).collect()),
        Value::Hash(h) => MValue::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Value::Stream(s) => MValue::Stream(Box::new(stream_to_model(s))),
    }
}

/// A stream in the model's terms: live entries, metadata, groups with pending entries and
/// consumers' seen times (the node layout has no model counterpart).
fn stream_to_model(s: &verdis::engine::stream::Stream) -> StreamValue {
    use verdis::engine::stream::StreamId;
    let id = |i: StreamId| (i.ms, i.seq);
    StreamValue {
        entries: s.range(StreamId::MIN, StreamId::MAX).map(|(i, f)| (id(i), f.clone())).collect(),
        last_id: id(s.last_id),
        first_id: id(s.first_id),
        max_deleted_id: id(s.max_deleted_id),
        entries_added: s.entries_added,
        groups: s
            .groups
            .iter()
            .map(|(name, g)| {
                let pending = g
                    .pel
                    .iter()
                    .map(|(i, n)| {
                        let p = PendingValue {
                            consumer: n.consumer.clone(),
                            delivered_ms: n.delivery_time_ms,
                            count: n.delivery_count,
                        };
                        (id(*i), p)
                    })
                    .collect();
                let consumers = g.consumers.iter().map(|(c, v)| (c.clone(), v.seen_time_ms)).collect();
                (name.clone(), GroupValue { last_id: id(g.last_id), entries_read: g.entries_read, pending, consumers })
            })
            .collect(),
    }
}

/// The reference side only generates operations; the model that judges the engine lives in the
/// system under test, so that it sees the engine's choices for replies that may vary.
#[derive(Clone, Debug)]
pub struct Ops;

impl ReferenceStateMachine for Ops {
    type State = ();
    type Transition = Op;

    fn init_state() -> BoxedStrategy<()> {
        Just(()).boxed()
    }

    fn transitions(_: &()) -> BoxedStrategy<Op> {
        proptest::collection::vec(any::<u8>(), 8..40)
            .prop_filter_map("bytes that decode to an op", |bytes| ops_from_bytes(&bytes, 1).into_iter().next())
            .boxed()
    }

    fn apply(state: (), _: &Op) {
        state
    }
}

/// The engine, the model judging it, the clock, and the script so far.
pub struct Sut {
    system: EngineSystem,
    model: Model,
    now_ms: u64,
    client: u64,
    script: Vec<String>,
}

/// An argument in redis-cli quoting, as `verdis diff --replay` reads it.
fn quote(arg: &[u8]) -> String {
    verdis::oracle::diff::quote_arg(arg)
}

impl Sut {
    fn fail(&self, message: String) -> ! {
        panic!(
            "engine and model disagree: {message}\n--- replayable script (redis-cli quoting) ---\n{}\n---",
            self.script.join("\n")
        );
    }

    /// Sends one command to the engine and has the model judge the reply.
    fn command(&mut self, argv: &[Vec<u8>]) -> Reply {
        self.script.push(argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "));
        let actual = self.system.execute(self.client, argv, self.now_ms);
        if let Err(m) = self.model.check(self.client, argv, self.now_ms, &actual) {
            self.fail(m.to_string());
        }
        actual
    }

    fn step(&mut self, op: &Op) {
        match op.step() {
            Step::Command(argv) if self.model.is_blocked(self.client) => {
                // A blocked connection sends nothing until it is served.
                let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
                self.script.push(format!("# (blocked, not sent) {line}"));
            }
            Step::Command(argv) => {
                self.command(&argv);
            }
            Step::ScanAll { .. } => {
                // Full SCAN iterations are covered by run_ops in `scan_iterations_cover_the_keyspace`.
            }
            Step::AdvanceTime(ms) => {
                self.script.push(format!("# time +{ms} ms"));
                self.now_ms += ms;
                self.system.advance(self.now_ms);
                self.model.time_passes(self.now_ms);
            }
            Step::SwitchClient(n) => {
                self.script.push(format!("# client {n}"));
                self.client = n;
            }
            Step::Restart => {
                self.script.push("# restart (SHUTDOWN SAVE, start on the file)".to_string());
                self.system.restart(self.now_ms);
                self.model.restart(self.now_ms);
            }
            Step::DumpRestore { .. } if self.model.is_blocked(self.client) => {}
            Step::DumpRestore { dump, restore } => {
                let dumped = self.command(&dump);
                let payload = match &dumped {
                    Reply::Bulk(bytes) => Some(bytes.as_slice()),
                    _ => None,
                };
                self.command(&verdis_spec::op::fill_payload(restore, payload));
            }
        }
        if let Err(m) = compare_deliveries(&mut self.model, &mut self.system) {
            self.fail(m);
        }
        if let Err(m) = compare_state(&self.model, &mut self.system, self.now_ms) {
            self.fail(m);
        }
    }
}

pub struct EngineAgainstModel;

impl StateMachineTest for EngineAgainstModel {
    type SystemUnderTest = Sut;
    type Reference = Ops;

    fn init_test(_: &()) -> Sut {
        Sut {
            system: EngineSystem::new(EPOCH_MS),
            model: {
                let mut model = Model::new();
                model.set_acl_facts(verdis::oracle::acl_facts::table_facts());
                model
            },
            now_ms: EPOCH_MS,
            client: 0,
            script: Vec::new(),
        }
    }

    fn apply(mut sut: Sut, _: &(), op: Op) -> Sut {
        sut.step(&op);
        sut
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        max_shrink_iters: 4096,
        .. ProptestConfig::default()
    })]
    #[test]
    fn engine_matches_model(sequential 1..120 => EngineAgainstModel);
}

/// `len` pseudo-random bytes from a xorshift64 state (fixed seeds keep these tests reproducible).
fn xorshift_bytes(state: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state as u8
        })
        .collect()
}

/// Long sequences decoded straight from bytes, including full SCAN iterations, through the
/// model crate's own driver.
#[test]
fn scan_iterations_cover_the_keyspace() {
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64;
    for _case in 0..64 {
        let bytes = xorshift_bytes(&mut rng_state, 4096);
        let ops = ops_from_bytes(&bytes, 400);
        let mut system = EngineSystem::new(EPOCH_MS);
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
    }
    let _ = NUM_DBS;
}

/// The model has no notion of lazy freeing: with every lazyfree option on or off, one at a time
/// or all together, inline or with the free thread, the engine must agree with it.
// rules: LAZY-1
#[test]
fn lazyfree_options_agree_with_model() {
    let all = (1u32 << LAZYFREE_OPTIONS.len()) - 1;
    let mut configs: Vec<(u32, bool)> = vec![(0, false), (all, false), (all, true), (0, true)];
    configs.extend((0..LAZYFREE_OPTIONS.len()).map(|bit| (1u32 << bit, false)));
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    for _case in 0..16 {
        let bytes = xorshift_bytes(&mut rng_state, 4096);
        let ops = ops_from_bytes(&bytes, 400);
        for &(mask, threaded) in &configs {
            let mut system = EngineSystem::with_lazyfree(EPOCH_MS, mask, threaded);
            if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
                panic!("lazyfree options {mask:#b} (threaded: {threaded}): {f}");
            }
        }
    }
}

/// SORT and SORT_RO over lists, sets and sorted sets, dense: the generated operations are kept
/// only when they build collections, set weights or sort, so that most SORTs find something to
/// sort (in the general mix most of them meet a missing key or a string).
#[test]
fn sort_over_every_collection() {
    // rules: SORT-1 SORT-3 SORT-5 SORT-7 SORT-8 SORT-9 SORT-10 SORT-11
    const KEEP: &[&str] = &[
        "sort", "sort_ro", "rpush", "lpush", "linsert", "sadd", "srem", "zadd", "zincrby", "zrem", "hset", "set",
        "mset", "del", "lrange", "zrange", "object",
    ];
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    for _case in 0..48 {
        let bytes = xorshift_bytes(&mut rng_state, 8192);
        let ops: Vec<Op> = ops_from_bytes(&bytes, 2000)
            .into_iter()
            .filter(|op| match op.step() {
                Step::Command(argv) => {
                    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
                    KEEP.contains(&name.as_str())
                }
                _ => false,
            })
            .take(800)
            .collect();
        let mut system = EngineSystem::new(EPOCH_MS);
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
    }
}

/// Sorted set blocking (BZPOPMIN, BZPOPMAX, BZMPOP) needs a waiting client and another client
/// feeding its keys, which the uniform generator rarely lines up: these sequences switch
/// clients often and work on three keys, with pushes, pops, deletions, type changes, stores
/// into waited keys and time passing. Engine and model must agree on every reply, on every
/// delivery to a blocked client and on the whole keyspace.
// rules: ZSET-31, ZSET-32, ZSET-33
#[test]
fn zset_blocking_sequences_agree_with_model() {
    use verdis_spec::op::{
        Delay, Key, KeyList, Val, ZAddFlags, ZCount, ZMember, ZScore, ZScorePairs, ZSetOp, ZTimeout, ZWeight,
    };
    let mut st = 0x5851_f42d_4c95_7f2du64;
    let mut next = move |n: u64| {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        st % n
    };
    // Keys a, b, c (the generator's key table starts a a a a b b b b c c c).
    let key = |r: u64| Key([0u8, 4, 8][r as usize % 3]);
    for _case in 0..48 {
        let mut ops = Vec::new();
        for _ in 0..60 {
            let op = match next(14) {
                0..=2 => Op::SwitchClient(next(3) as u8),
                3 | 4 => {
                    let keys = KeyList((0..1 + next(2)).map(|_| key(next(3))).collect());
                    Op::BZPop { keys, max: next(2) == 0, timeout: ZTimeout(next(8) as u8) }
                }
                5 => {
                    let keys = KeyList((0..1 + next(2)).map(|_| key(next(3))).collect());
                    let count = (next(2) == 0).then(|| ZCount(next(3) as u8));
                    Op::BZMPop { keys, max: next(2) == 0, count, timeout: ZTimeout(next(8) as u8) }
                }
                6..=8 => {
                    let pairs = (0..1 + next(3)).map(|_| (ZScore(next(8) as u8), ZMember(next(7) as u8))).collect();
                    Op::ZAdd(key(next(3)), ZAddFlags(next(4) as u8), ZScorePairs(pairs))
                }
                9 => Op::Del(KeyList(vec![key(next(3))])),
                10 => Op::Set { key: key(next(3)), value: Val(next(5) as u8), cond: None, get: false, expire: None },
                11 => Op::ZPopMin(key(next(3)), None),
                12 => Op::ZSetOp {
                    op: ZSetOp::UnionStore,
                    dst: key(next(3)),
                    keys: KeyList(vec![key(next(3))]),
                    weight: ZWeight(0),
                    aggregate: 0,
                    opts: 0,
                },
                _ => Op::AdvanceTime(Delay(next(12) as u8)),
            };
            ops.push(op);
        }
        let mut system = EngineSystem::new(EPOCH_MS);
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}\nops: {ops:?}");
        }
    }
}

/// The engine, recording every command with its reply and what other clients received, for the
/// coverage checks below (the comparison itself is `run_ops`'s).
struct Recorded {
    inner: EngineSystem,
    replies: Vec<Exchange>,
    delivered: usize,
}

/// A command and its reply.
type Exchange = (Vec<Vec<u8>>, Reply);

impl System for Recorded {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
        let reply = self.inner.execute(client, argv, now_ms);
        self.replies.push((argv.to_vec(), reply.clone()));
        reply
    }

    fn snapshot(&mut self, db: usize, now_ms: u64) -> Option<BTreeMap<Vec<u8>, KeyState>> {
        self.inner.snapshot(db, now_ms)
    }

    fn advance(&mut self, now_ms: u64) {
        self.inner.advance(now_ms);
    }

    fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        let d = self.inner.take_deliveries();
        self.delivered += d.len();
        d
    }

    fn restart(&mut self, now_ms: u64) -> bool {
        self.replies.push((vec![b"<restart>".to_vec()], Reply::ok()));
        self.inner.restart(now_ms)
    }

    fn acl_facts(&self) -> Option<std::sync::Arc<dyn verdis_spec::model::acl::AclFacts>> {
        self.inner.acl_facts()
    }
}

/// Runs `cases` generated sequences (engine against model) from a fixed seed; returns every
/// command with its reply, and how many messages other clients received.
fn recorded_runs(seed: u64, cases: usize) -> (Vec<Exchange>, usize) {
    let mut rng_state = seed;
    let (mut replies, mut delivered) = (Vec::new(), 0);
    for _case in 0..cases {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                rng_state ^= rng_state << 13;
                rng_state ^= rng_state >> 7;
                rng_state ^= rng_state << 17;
                rng_state as u8
            })
            .collect();
        let ops = ops_from_bytes(&bytes, 400);
        let mut system = Recorded { inner: EngineSystem::new(EPOCH_MS), replies: Vec::new(), delivered: 0 };
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
        replies.extend(system.replies);
        delivered += system.delivered;
    }
    (replies, delivered)
}

/// The generated operations reach every outcome of EXEC (a run queue, a touched or expired
/// watch, a refused command), so the state-machine test exercises transactions and WATCH
/// against the model.
// rules: TX-1 TX-4 TX-6 TX-8
#[test]
fn generated_transactions_reach_every_exec_outcome() {
    // The seed is one whose sequences reach every outcome with the current Op mix (a new Op
    // variant changes every generated sequence).
    let (replies, _) = recorded_runs(0x9e37_79b9_7f4a_7c15, 400);
    let (mut ran, mut nil, mut aborted) = (0, 0, 0);
    for (argv, reply) in &replies {
        if argv[0].eq_ignore_ascii_case(b"exec") {
            match reply {
                Reply::Array(items) if !items.is_empty() => ran += 1,
                Reply::NilArray => nil += 1,
                Reply::Error(e) if e.starts_with("EXECABORT") => aborted += 1,
                _ => {}
            }
        }
    }
    eprintln!("EXEC outcomes: {ran} ran, {nil} failed by WATCH, {aborted} aborted");
    assert!(ran > 10 && nil > 0 && aborted > 5, "{ran} ran, {nil} nil, {aborted} aborted");
}

/// The generated operations subscribe, deliver messages to other clients (compared with the
/// model's after every command), and hit the subscribed-RESP2 restriction.
// rules: PUBSUB-1 PUBSUB-2 PUBSUB-4
#[test]
fn generated_pubsub_reaches_deliveries_and_restrictions() {
    let (replies, delivered) = recorded_runs(0x0bad_cafe_f00d_1234, 128);
    let refused = replies.iter().filter(|(_, r)| matches!(r, Reply::Error(e) if e.contains("in this context"))).count();
    let notified =
        replies.iter().filter(|(a, r)| a[0].to_ascii_lowercase().ends_with(b"subscribe") && !r.is_error()).count();
    eprintln!("pub/sub: {delivered} deliveries, {notified} (un)subscribe replies, {refused} refused");
    assert!(delivered > 5 && notified > 50 && refused > 20, "{delivered} delivered, {notified}, {refused}");
}

/// With the string class on and a client listening to every keyspace channel, generated
/// sequences raise keyspace events, which reach the listener exactly as the model computes
/// them (compared after every command by `run_ops`).
// rules: NOTIFY-2 NOTIFY-3
#[test]
fn generated_keyspace_notifications_agree_with_model() {
    use verdis_spec::op::NotifyOp;
    let mut state = 0x5eed_2026_0f0f_1234_u64;
    let mut delivered = 0;
    for _case in 0..48 {
        let bytes = xorshift_bytes(&mut state, 4096);
        let mut ops = vec![
            Op::Notify(NotifyOp::Config(0)),
            Op::SwitchClient(2),
            Op::Notify(NotifyOp::Subscribe(2)),
            Op::SwitchClient(0),
        ];
        ops.extend(ops_from_bytes(&bytes, 300));
        let mut system = Recorded { inner: EngineSystem::new(EPOCH_MS), replies: Vec::new(), delivered: 0 };
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
        delivered += system.delivered;
    }
    eprintln!("keyspace notifications: {delivered} deliveries");
    assert!(delivered > 200, "{delivered} delivered");
}

/// The generated persistence operations reach every outcome the model judges: saves, background
/// saves started, refused while one runs and scheduled inside EXEC, DEBUG RELOAD, DUMP payloads
/// of every type restored into other keys, and RESTORE's errors.
// rules: PERS-1 PERS-2 PERS-6 PERS-7 PERS-9 PERS-10 PERS-11
#[test]
fn generated_persistence_reaches_every_outcome() {
    let (replies, _) = recorded_runs(0x5eed_d0d0_1234_abcd, 400);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (argv, reply) in &replies {
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        if !matches!(name.as_str(), "save" | "bgsave" | "debug" | "dump" | "restore") {
            continue;
        }
        let outcome = match reply {
            Reply::Error(e) => e.split(' ').take(3).collect::<Vec<_>>().join(" "),
            Reply::Bulk(payload) => format!("payload type {}", payload.first().copied().unwrap_or(0)),
            other => other.to_string(),
        };
        *seen.entry(format!("{name}: {outcome}")).or_default() += 1;
    }
    eprintln!("{seen:#?}");
    let has = |what: &str| seen.keys().any(|k| k.starts_with(what));
    for what in [
        "save: +OK",
        "bgsave: +Background saving started",
        "bgsave: ERR Background save",
        "debug: +OK",
        "dump: payload type",
        "restore: +OK",
        "restore: BUSYKEY",
        "restore: ERR DUMP payload",
        "restore: ERR Bad data",
        "restore: ERR syntax error",
        "restore: ERR Invalid TTL",
    ] {
        assert!(has(what), "no {what:?} among {seen:#?}");
    }
}

/// Persistence, dense: a third of the operations are SAVE, BGSAVE (inside EXEC too), DEBUG
/// RELOAD, DUMP, RESTORE (table payloads, spoilt ones, and DUMPs of other keys), between
/// commands building values of every type with TTLs and clock steps. Engine and model must
/// agree on every reply and on the whole keyspace, sorted-set encodings included, after every
/// reload and restore.
// rules: PERS-1 PERS-2 PERS-6 PERS-7 PERS-9 PERS-10 PERS-11 PERS-13
#[test]
fn persistence_sequences_agree_with_model() {
    let mut rng_state = 0x0dd0_5eed_cafe_f00du64;
    let cases: usize = std::env::var("PERSIST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let (mut restored, mut reloads, mut scheduled, mut restarts) = (0, 0, 0, 0);
    let mut dump_types = std::collections::BTreeSet::new();
    for _case in 0..cases {
        let bytes = xorshift_bytes(&mut rng_state, 12_000);
        let ops = verdis_spec::op::persistence_heavy_ops(&bytes, 200);
        let mut system = Recorded { inner: EngineSystem::new(EPOCH_MS), replies: Vec::new(), delivered: 0 };
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
        restored += system
            .replies
            .iter()
            .filter(|(a, r)| a[0].eq_ignore_ascii_case(b"restore") && *r == Reply::Status("OK".into()))
            .count();
        for (argv, reply) in &system.replies {
            let name = argv[0].to_ascii_lowercase();
            match (name.as_slice(), reply) {
                (b"debug", Reply::Status(s)) if s == "OK" => reloads += 1,
                (b"<restart>", _) => restarts += 1,
                (b"dump", Reply::Bulk(p)) => {
                    dump_types.insert(p[0]);
                }
                (b"exec", Reply::Array(items)) => {
                    let text = Reply::Status("Background saving scheduled".into());
                    scheduled += items.iter().filter(|r| **r == text).count();
                }
                _ => {}
            }
        }
    }
    eprintln!("{restored} restores, {reloads} reloads, {restarts} restarts, {scheduled} scheduled, {dump_types:?}");
    assert!(restored > 200 && reloads > 200 && restarts > 200 && scheduled > 20, "{restored} {reloads} {restarts}");
    // Every RDB type Redis 7.0 writes: strings, quicklist-2 lists, intset and hashtable sets,
    // listpack and hashtable hashes, listpack and skiplist sorted sets, streams.
    for t in [0u8, 18, 11, 2, 16, 4, 17, 5, 19] {
        assert!(dump_types.contains(&t), "no DUMP of RDB type {t}: {dump_types:?}");
    }
}

/// Streams, dense: sequences of stream commands on three keys, with plain XADDs, time passing
/// (idle times, `*` IDs), client switches (RESP3 clients see maps), deletions and type changes.
/// Engine and model must agree on every reply and on the whole keyspace.
// rules: STREAM-2 STREAM-3 STREAM-5 STREAM-8 STREAM-9 STREAM-10 STREAM-11 STREAM-12
#[test]
fn stream_sequences_agree_with_model() {
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64;
    let cases: usize = std::env::var("STREAM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    for _case in 0..cases {
        let bytes = xorshift_bytes(&mut rng_state, 6000);
        let mut ops = verdis_spec::op::stream_heavy_ops(&bytes, 120);
        if _case == 0 {
            ops.insert(0, Op::SwitchClient(1));
        }
        let mut system = EngineSystem::new(EPOCH_MS);
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
    }
}

/// Geo-heavy sequences: points added on a small grid, searches of every form and option, reads,
/// and type clashes, on a RESP2 client (0) and a RESP3 client (1), replies and keyspace compared
/// with the model after every step.
// rules: GEO-1 GEO-2 GEO-3 GEO-4 GEO-5 GEO-6 GEO-7 GEO-8 GEO-9 GEO-10 GEO-11 GEO-12
#[test]
fn geo_sequences_agree_with_model() {
    use verdis_spec::harness::{compare_state, System};
    use verdis_spec::op::geo_ops_from_bytes;
    let mut rng_state = 0x6a09_e667_f3bc_c908u64;
    let mut geo_ops = 0;
    for _case in 0..300 {
        let bytes = xorshift_bytes(&mut rng_state, 4096);
        let mut system = EngineSystem::new(EPOCH_MS);
        let mut model = Model::new();
        system.execute(1, &[b"HELLO".to_vec(), b"3".to_vec()], EPOCH_MS);
        model.set_protocol(1, 3);
        for (step, op) in geo_ops_from_bytes(&bytes, 80).into_iter().enumerate() {
            geo_ops += 1;
            let argv = op.to_argv();
            let client = u64::from(step % 3 == 0);
            let actual = system.execute(client, &argv, EPOCH_MS);
            if let Err(m) = model.check(client, &argv, EPOCH_MS, &actual) {
                panic!("client {client}: {m}\nop: {op:?}");
            }
            if let Err(m) = compare_state(&model, &mut system, EPOCH_MS) {
                panic!("{m}\nop: {op:?}");
            }
        }
    }
    assert!(geo_ops > 10_000, "only {geo_ops} geo operations generated");
}

/// The generated ACL operations shape users, switch connections to them, and reach both
/// allowed and refused commands (command, key and channel refusals), all compared with the
/// model's decisions.
// rules: ACL-4 ACL-5 ACL-10
#[test]
fn generated_acl_ops_allow_and_deny() {
    let (replies, _) = recorded_runs(0x0ac1_5eed_1234_5678, 96);
    let auth_ok = replies
        .iter()
        .filter(|(a, r)| a[0].eq_ignore_ascii_case(b"auth") && a[1] != b"default" && *r == Reply::Status("OK".into()))
        .count();
    let noperm = |what: &str| {
        replies
            .iter()
            .filter(|(_, r)| matches!(r, Reply::Error(e) if e.starts_with("NOPERM") && e.contains(what)))
            .count()
    };
    let (cmd, key, chan) = (noperm("command"), noperm("keys"), noperm("channels"));
    let setuser_err =
        replies.iter().filter(|(a, r)| a.len() > 1 && a[1].eq_ignore_ascii_case(b"setuser") && r.is_error()).count();
    eprintln!(
        "ACL: {auth_ok} AUTH as u1/u2, NOPERM {cmd} command, {key} key, {chan} channel; {setuser_err} SETUSER refused"
    );
    assert!(auth_ok > 5 && cmd > 5 && key > 5 && chan > 0, "{auth_ok} {cmd} {key} {chan}");
}
