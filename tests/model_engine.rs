//! State-machine tests: generated operation sequences (several clients, SELECT across databases,
//! simulated time passing expiries, a small key alphabet so keys collide) run against the engine
//! and against the independent model in `specs/`. Replies are compared after every step and the
//! whole keyspace of every database after every step. A failure shrinks to a minimal sequence and
//! is printed as a replayable command script; proptest keeps failing seeds in
//! `tests/model_engine.proptest-regressions`.
//!
//! Cases: 256 by default; `PROPTEST_CASES=100000 cargo test --release --test model_engine` for a
//! long campaign.
// rules: PROTO-1 KEY-1 EXP-1 STR-1 LIST-1 BLOCK-1

use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::{BTreeMap, HashMap};
use verdis::engine::config::Config;
use verdis::engine::value::Value;
use verdis::engine::Engine;
use verdis::resp::Frame;
use verdis_spec::harness::{compare_deliveries, compare_state, System};
use verdis_spec::model::{KeyState, MValue, Model, NUM_DBS};
use verdis_spec::op::{ops_from_bytes, Op, Step, EPOCH_MS};
use verdis_spec::reply::Reply;

/// The engine behind the model's `System` interface: model client n is engine client `ids[n]`.
pub struct EngineSystem {
    engine: Engine,
    ids: HashMap<u64, u64>,
}

impl EngineSystem {
    pub fn new(now_ms: u64) -> EngineSystem {
        EngineSystem { engine: Engine::new(Config::default(), now_ms), ids: HashMap::new() }
    }

    fn id(&mut self, client: u64, now_ms: u64) -> u64 {
        let engine = &mut self.engine;
        *self
            .ids
            .entry(client)
            .or_insert_with(|| engine.connect(format!("127.0.0.1:{}", 40000 + client), "127.0.0.1:6379".into(), now_ms))
    }
}

/// The engine's reply in the model's terms.
pub fn to_reply(frame: Frame) -> Reply {
    match frame {
        Frame::Simple(s) => Reply::Status(s),
        Frame::Error(e) => Reply::Error(e),
        Frame::Integer(n) => Reply::Int(n),
        Frame::Bulk(b) => Reply::Bulk(b),
        Frame::Null => Reply::Nil,
        Frame::NullArray => Reply::NilArray,
        Frame::Array(items) | Frame::Push(items) => Reply::Array(items.into_iter().map(to_reply).collect()),
        Frame::Set(items) => Reply::Set(items.into_iter().map(to_reply).collect()),
        Frame::Map(pairs) => Reply::Map(pairs.into_iter().map(|(k, v)| (to_reply(k), to_reply(v))).collect()),
        Frame::Double(d) => Reply::Double(d),
        Frame::Boolean(b) => Reply::Bool(b),
        Frame::BigNumber(s) => Reply::Bulk(s.into_bytes()),
        Frame::Verbatim(_, text) => Reply::Bulk(text),
        Frame::Raw(bytes) => Reply::Bulk(bytes),
    }
}

impl System for EngineSystem {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
        let id = self.id(client, now_ms);
        match self.engine.execute(id, argv, now_ms) {
            Some(frame) => to_reply(frame),
            None => Reply::Status("<no reply>".into()),
        }
    }

    fn snapshot(&mut self, db: usize, now_ms: u64) -> Option<BTreeMap<Vec<u8>, KeyState>> {
        let db = self.engine.dbs.get(db)?;
        let mut keys = BTreeMap::new();
        for (key, entry) in db.iter() {
            if entry.expire_at_ms.is_some_and(|t| now_ms > t) {
                continue; // logically gone; the model has no such key either
            }
            keys.insert(key.clone(), (to_model_value(&entry.value), entry.expire_at_ms));
        }
        Some(keys)
    }

    fn advance(&mut self, now_ms: u64) {
        self.engine.handle_blocked_timeouts(now_ms);
    }

    fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        let outbox = std::mem::take(&mut self.engine.outbox);
        let mut out: Vec<(u64, Reply)> = outbox
            .into_iter()
            .map(|(id, frame)| {
                let client = self.ids.iter().find(|(_, &e)| e == id).map_or(u64::MAX, |(&m, _)| m);
                (client, to_reply(frame))
            })
            .collect();
        out.sort_by_key(|(c, _)| *c);
        out
    }
}

/// The engine's value in the model's representation (each type adds its arm).
pub fn to_model_value(value: &Value) -> MValue {
    match value {
        Value::Str(s) => MValue::Str(s.as_bytes().into_owned()),
        Value::List(l) => MValue::List(l.iter().cloned().collect()),
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

fn quote(arg: &[u8]) -> String {
    if !arg.is_empty() && arg.iter().all(|b| b.is_ascii_graphic() && *b != b'"' && *b != b'\'' && *b != b'\\') {
        return String::from_utf8_lossy(arg).into_owned();
    }
    let mut s = String::from("\"");
    for &b in arg {
        match b {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

impl Sut {
    fn fail(&self, message: String) -> ! {
        panic!(
            "engine and model disagree: {message}\n--- replayable script (redis-cli quoting) ---\n{}\n---",
            self.script.join("\n")
        );
    }

    fn step(&mut self, op: &Op) {
        match op.step() {
            Step::Command(argv) if self.model.is_blocked(self.client) => {
                // A blocked connection sends nothing until it is served.
                let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
                self.script.push(format!("# (blocked, not sent) {line}"));
            }
            Step::Command(argv) => {
                self.script.push(argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "));
                let actual = self.system.execute(self.client, &argv, self.now_ms);
                if let Err(m) = self.model.check(self.client, &argv, self.now_ms, &actual) {
                    self.fail(m.to_string());
                }
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
            model: Model::new(),
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

/// Long sequences decoded straight from bytes, including full SCAN iterations, through the
/// model crate's own driver.
#[test]
fn scan_iterations_cover_the_keyspace() {
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64;
    for _case in 0..64 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                rng_state ^= rng_state << 13;
                rng_state ^= rng_state >> 7;
                rng_state ^= rng_state << 17;
                rng_state as u8
            })
            .collect();
        let ops = ops_from_bytes(&bytes, 400);
        let mut system = EngineSystem::new(EPOCH_MS);
        if let Err(f) = verdis_spec::harness::run_ops(&ops, &mut system, EPOCH_MS) {
            panic!("{f}");
        }
    }
    let _ = NUM_DBS;
}
