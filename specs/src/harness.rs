//! Running generated operations against a system under test and the model
//! side by side.

use crate::model::{KeyState, Model, NUM_DBS};
use crate::op::{Op, Step};
use crate::reply::Reply;
use std::collections::{BTreeMap, BTreeSet};

/// The system under test, seen as the model sees Redis.
pub trait System {
    /// Runs one command for `client` at time `now_ms`.
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply;

    /// The live keys of `db` at `now_ms` (value bytes and expire time), for
    /// whole-state comparison after every step; `None` skips the comparison.
    fn snapshot(&mut self, _db: usize, _now_ms: u64) -> Option<BTreeMap<Vec<u8>, KeyState>> {
        None
    }

    /// The clock moved to `now_ms` (blocked clients may time out).
    fn advance(&mut self, _now_ms: u64) {}

    /// What other clients than the one running the command received since the
    /// last call (blocked clients' replies, Pub/Sub messages), sorted by client
    /// (each client's in order); compared with the model's after every step.
    fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        Vec::new()
    }

    /// Stops the server with SHUTDOWN SAVE and starts a new one that loads the file; false when
    /// this system cannot (the step is then skipped by both sides).
    fn restart(&mut self, _now_ms: u64) -> bool {
        false
    }

    /// The command table's facts for the model's ACL checks (`None`: the model checks nothing).
    fn acl_facts(&self) -> Option<std::sync::Arc<dyn crate::model::acl::AclFacts>> {
        None
    }
}

/// Why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Index of the failing operation.
    pub step: usize,
    /// The failing operation.
    pub op: Op,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} ({:?}): {}", self.step, self.op, self.message)
    }
}

/// Upper bound on SCAN calls in one `ScanAll` (the key alphabet is tiny).
const MAX_SCAN_CALLS: usize = 10_000;

/// Runs `ops` against `sys` and the model, starting the clock at `start_ms`
/// on connection 0, and stops at the first disagreement.
pub fn run_ops(ops: &[Op], sys: &mut impl System, start_ms: u64) -> Result<Model, Failure> {
    let mut model = Model::new();
    if let Some(facts) = sys.acl_facts() {
        model.set_acl_facts(facts);
    }
    let mut now_ms = start_ms;
    let mut client = 0u64;
    for (step, op) in ops.iter().enumerate() {
        let fail = |message: String| Failure { step, op: op.clone(), message };
        match op.step() {
            // A blocked connection sends nothing until it is served.
            Step::Command(_) | Step::ScanAll { .. } if model.is_blocked(client) => {}
            Step::Command(argv) => {
                let actual = sys.execute(client, &argv, now_ms);
                model.check(client, &argv, now_ms, &actual).map_err(|m| fail(m.to_string()))?;
            }
            // Inside MULTI, SCAN would only be queued; a subscribed RESP2 client cannot SCAN.
            // A user refused SCAN: nothing to iterate.
            Step::ScanAll { .. }
                if model.in_multi(client)
                    || model.restricted(client)
                    || model.acl_denies(client, &[b"SCAN".to_vec(), b"0".to_vec()]) => {}
            Step::ScanAll { pattern, type_name } => {
                scan_all(&mut model, sys, client, now_ms, pattern, type_name).map_err(fail)?;
            }
            Step::AdvanceTime(ms) => {
                now_ms += ms;
                sys.advance(now_ms);
                model.time_passes(now_ms);
            }
            Step::SwitchClient(n) => client = n,
            Step::Restart => {
                if sys.restart(now_ms) {
                    model.restart(now_ms);
                }
            }
            Step::DumpRestore { .. } if model.is_blocked(client) => {}
            Step::DumpRestore { dump, restore } => {
                let dumped = sys.execute(client, &dump, now_ms);
                model.check(client, &dump, now_ms, &dumped).map_err(|m| fail(m.to_string()))?;
                let payload = match &dumped {
                    Reply::Bulk(bytes) => Some(bytes.as_slice()),
                    _ => None,
                };
                let restore = crate::op::fill_payload(restore, payload);
                let actual = sys.execute(client, &restore, now_ms);
                model.check(client, &restore, now_ms, &actual).map_err(|m| fail(m.to_string()))?;
            }
        }
        compare_deliveries(&mut model, sys).map_err(fail)?;
        compare_state(&model, sys, now_ms).map_err(fail)?;
    }
    Ok(model)
}

fn scan_all(
    model: &mut Model,
    sys: &mut impl System,
    client: u64,
    now_ms: u64,
    pattern: Option<Vec<u8>>,
    type_name: Option<Vec<u8>>,
) -> Result<(), String> {
    let expectation = model.scan_expectation(client, pattern.as_deref(), type_name.as_deref(), now_ms);
    let mut cursor = b"0".to_vec();
    let mut union = BTreeSet::new();
    for _ in 0..MAX_SCAN_CALLS {
        let mut argv = vec![b"SCAN".to_vec(), cursor.clone()];
        if let Some(p) = &pattern {
            argv.extend([b"MATCH".to_vec(), p.clone()]);
        }
        if let Some(t) = &type_name {
            argv.extend([b"TYPE".to_vec(), t.clone()]);
        }
        let actual = sys.execute(client, &argv, now_ms);
        model.check(client, &argv, now_ms, &actual).map_err(|m| m.to_string())?;
        let Reply::Array(parts) = actual else {
            return Err("SCAN reply is not an array".into());
        };
        if let [Reply::Bulk(next), Reply::Array(keys)] = parts.as_slice() {
            for key in keys {
                if let Reply::Bulk(k) = key {
                    union.insert(k.clone());
                }
            }
            if next.as_slice() == b"0" {
                model.note_full_scan(client, pattern.as_deref(), now_ms);
                return expectation.check_union(&union);
            }
            cursor = next.clone();
        } else {
            return Err("SCAN reply is not [cursor, keys]".into());
        }
    }
    Err(format!("SCAN did not finish within {MAX_SCAN_CALLS} calls"))
}

/// Compares the replies blocked clients received during the last step.
pub fn compare_deliveries(model: &mut Model, sys: &mut impl System) -> Result<(), String> {
    let expected = model.take_deliveries();
    let actual = sys.take_deliveries();
    if expected != actual {
        let show =
            |d: &[(u64, Reply)]| d.iter().map(|(c, r)| format!("client {c}: {r}")).collect::<Vec<_>>().join("; ");
        return Err(format!(
            "replies and messages to other clients differ:\n  model:  {}\n  system: {}",
            show(&expected),
            show(&actual)
        ));
    }
    Ok(())
}

/// Compares the whole keyspace of every database of `sys` with the model at `now_ms`.
pub fn compare_state(model: &Model, sys: &mut impl System, now_ms: u64) -> Result<(), String> {
    for db in 0..NUM_DBS {
        let Some(actual) = sys.snapshot(db, now_ms) else {
            return Ok(());
        };
        let expected = model.keys(db, now_ms);
        if actual != expected {
            return Err(format!("db {db} state differs:\n  model:  {}\n  system: {}", show(&expected), show(&actual)));
        }
    }
    Ok(())
}

fn show(keys: &BTreeMap<Vec<u8>, KeyState>) -> String {
    keys.iter()
        .map(|(k, (v, ttl))| {
            format!("{:?}={}{}", String::from_utf8_lossy(k), v, ttl.map_or(String::new(), |t| format!("@{t}")))
        })
        .collect::<Vec<_>>()
        .join(" ")
}
