//! `verdis diff`: generated operations (the `Op` type the state-machine tests and fuzzers use)
//! run on an in-process verdis engine and on a target server; replies are normalised and
//! compared; a divergence is shrunk to a short replayable script.
//!
//! Time: the target runs on the wall clock, so the engine does too, and the generator's clock
//! steps are not used. Relative expiry times are scaled to at least about a second so that no key
//! expires in the middle of a run, and TTL replies are compared with a small tolerance.

use super::system::{EngineSide, RemoteSide, Side};
use crate::engine::config::Config;
use crate::resp::split::split_args;
use crate::resp::Frame;
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io;
use std::net::SocketAddr;
use verdis_spec::op::{ops_from_bytes, Step};

/// Upper bound on SCAN calls in one full iteration.
const MAX_SCAN_CALLS: usize = 100_000;
/// Upper bound on re-runs while shrinking one divergence.
const MAX_SHRINK_RUNS: usize = 400;

#[derive(Clone, Debug)]
pub struct DiffOptions {
    pub target: SocketAddr,
    pub seed: u64,
    pub ops: usize,
    /// Families to generate (`strings`, `keyspace`, ...); empty: all.
    pub families: Vec<String>,
    /// Compare error replies by their first word only.
    pub error_prefix: bool,
    /// Operations per round; each round starts from empty databases.
    pub round_ops: usize,
}

/// One difference, with the script that shows it.
#[derive(Clone, Debug)]
pub struct Divergence {
    pub script: Vec<String>,
    pub command: String,
    pub verdis: String,
    pub target: String,
}

#[derive(Clone, Debug, Default)]
pub struct DiffReport {
    pub passed: usize,
    pub failed: usize,
    pub divergences: Vec<Divergence>,
}

/// A step of a run, as a diff executes it.
#[derive(Clone, Debug, PartialEq)]
enum DStep {
    Command(Vec<Vec<u8>>),
    ScanAll { pattern: Option<Vec<u8>>, type_name: Option<Vec<u8>> },
    Client(u64),
}

/// The command groups (COMMAND DOCS `group`) a family name stands for.
fn family_groups(family: &str) -> &'static [&'static str] {
    match family {
        "strings" | "string" => &["string"],
        "keyspace" | "generic" => &["generic"],
        "lists" | "list" => &["list"],
        "sets" | "set" => &["set"],
        "hashes" | "hash" => &["hash"],
        "zsets" | "sorted-set" => &["sorted-set"],
        "hll" | "hyperloglog" => &["hyperloglog"],
        "bitmaps" | "bitmap" => &["bitmap"],
        "streams" | "stream" => &["stream"],
        "geo" => &["geo"],
        "connection" => &["connection"],
        "server" => &["server"],
        _ => &[],
    }
}

/// Commands whose reply is a random choice, or a cursor only meaningful to the server that gave
/// it: not comparable between two servers (SCAN is covered by full iterations instead).
const NOT_COMPARABLE: &[&str] = &[
    "randomkey",
    "spop",
    "srandmember",
    "hrandfield",
    "zrandmember",
    "scan",
    "sscan",
    "hscan",
    "zscan",
    "time",
    "info",
    "client",
    "hello",
    "object",
    "debug",
    "lastsave",
    "command",
    "config",
    // One reply per name, and messages arriving unasked on other connections: a reply-per-command
    // diff cannot follow them (tests/interop/pubsub.redis and tests/pubsub_clients.rs do).
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "ssubscribe",
    "sunsubscribe",
];

/// SORT calls whose order Redis leaves to a set's (or sorted set's) hash table, which depends
/// on the server's random hash seed: BY without `*` (no sorting) and ALPHA by weights (equal
/// weights keep the input order). verdis fixes that order (specs/rules/sort.md); another server
/// may use any.
fn sort_order_unspecified(argv: &[Vec<u8>]) -> bool {
    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
    if name != "sort" && name != "sort_ro" {
        return false;
    }
    let words: Vec<String> = argv.iter().map(|a| lower(a)).collect();
    let by_values: Vec<&[u8]> =
        (2..argv.len().saturating_sub(1)).filter(|&i| words[i] == "by").map(|i| argv[i + 1].as_slice()).collect();
    let constant = by_values.iter().any(|p| !p.split(|&b| b == 0).next().unwrap_or_default().contains(&b'*'));
    let alpha = words.iter().any(|w| w == "alpha");
    !by_values.is_empty() && (constant || alpha)
}

/// Stream commands whose reply depends on the wall clock of each server, which differ by a few
/// milliseconds: `*` IDs (and everything after them), idle times (XPENDING with a range, XINFO
/// CONSUMERS), and claims with a positive minimum idle time.
fn stream_reply_depends_on_clock(argv: &[Vec<u8>]) -> bool {
    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
    match name.as_str() {
        "xadd" => argv.iter().skip(2).any(|a| a.as_slice() == b"*"),
        "xpending" => argv.len() > 3,
        "xinfo" => argv.get(1).is_some_and(|a| !a.eq_ignore_ascii_case(b"groups")),
        "xclaim" | "xautoclaim" => argv.get(4).and_then(|a| crate::resp::parse::parse_i64(a)).is_some_and(|n| n > 0),
        _ => false,
    }
}

/// Commands whose array reply has no defined order.
const UNORDERED: &[&str] = &["keys", "smembers", "sinter", "sunion", "sdiff", "hkeys", "hvals"];
/// Commands whose flat array reply is unordered field/value pairs.
const UNORDERED_PAIRS: &[&str] = &["hgetall"];

fn lower(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).to_ascii_lowercase()
}

/// Makes relative expiry times long enough that nothing expires during a run.
fn stretch_times(argv: &mut [Vec<u8>]) {
    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
    let mut positions = Vec::new();
    match name.as_str() {
        "expire" | "pexpire" | "setex" | "psetex" => positions.push(2),
        _ => {}
    }
    for i in 1..argv.len().saturating_sub(1) {
        if matches!(lower(&argv[i]).as_str(), "ex" | "px") && matches!(name.as_str(), "set" | "getex") {
            positions.push(i + 1);
        }
    }
    for i in positions {
        let Some(arg) = argv.get_mut(i) else { continue };
        if let Some(n) = std::str::from_utf8(arg).ok().and_then(|s| s.parse::<i64>().ok()) {
            if (1..100_000).contains(&n) {
                *arg = (n * 1000).to_string().into_bytes();
            }
        }
    }
}

/// Generates the steps of a diff from a seed: the shared `Op` generator, filtered to the
/// requested families and to comparable commands.
fn generate(opts: &DiffOptions, table: &crate::engine::table::CommandTable) -> Vec<DStep> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let groups: Vec<&str> = opts.families.iter().flat_map(|f| family_groups(f).iter().copied()).collect();
    let mut steps = Vec::new();
    // Which connections are inside MULTI (as far as the generated commands tell), and the
    // current one: a full SCAN iteration cannot be queued.
    let mut in_multi = [false; 3];
    let mut current = 0usize;
    // Each round of bytes decodes to a batch of ops; bounded by a generous number of batches.
    for _ in 0..opts.ops.saturating_mul(4).max(16) {
        if steps.len() >= opts.ops {
            break;
        }
        let mut bytes = vec![0u8; 4096];
        rng.fill_bytes(&mut bytes);
        for op in ops_from_bytes(&bytes, 256) {
            if steps.len() >= opts.ops {
                break;
            }
            // A blocking command would hold a connection to the target until its timeout, on
            // the wall clock; blocking is compared by the model and the TCP tests instead.
            if op.may_block() {
                continue;
            }
            match op.step() {
                Step::Command(mut argv) => {
                    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
                    if NOT_COMPARABLE.contains(&name.as_str())
                        || sort_order_unspecified(&argv)
                        || stream_reply_depends_on_clock(&argv)
                    {
                        continue;
                    }
                    let group = table.get(&name).map(|c| c.meta.group).unwrap_or("");
                    let always = matches!(name.as_str(), "select" | "ping" | "echo");
                    if !groups.is_empty() && !always && !groups.contains(&group) {
                        continue;
                    }
                    match name.as_str() {
                        "multi" => in_multi[current % 3] = true,
                        "exec" | "reset" => in_multi[current % 3] = false,
                        "discard" if argv.len() == 1 => in_multi[current % 3] = false,
                        _ => {}
                    }
                    stretch_times(&mut argv);
                    steps.push(DStep::Command(argv));
                }
                Step::ScanAll { .. } if in_multi[current % 3] => {}
                // SCAN TYPE none lists expired keys Redis has not reclaimed yet; verdis never shows
                // them (specs/deviations.md, "Keyspace and expiry").
                Step::ScanAll { type_name: Some(t), .. } if t.eq_ignore_ascii_case(b"none") => {}
                Step::ScanAll { pattern, type_name } => steps.push(DStep::ScanAll { pattern, type_name }),
                Step::SwitchClient(n) => {
                    current = n as usize;
                    steps.push(DStep::Client(n));
                }
                Step::AdvanceTime(_) => {}
            }
        }
    }
    steps
}

/// A reply in a form where equal meaning gives equal text.
fn normalise(argv: &[Vec<u8>], reply: &Frame, error_prefix: bool) -> String {
    let name = argv.first().map(|a| lower(a)).unwrap_or_default();
    match reply {
        Frame::Error(e) if error_prefix => format!("-{}", e.split(' ').next().unwrap_or("")),
        Frame::Array(items) if UNORDERED.contains(&name.as_str()) => {
            let mut parts: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
            parts.sort();
            format!("unordered{parts:?}")
        }
        Frame::Array(items) if UNORDERED_PAIRS.contains(&name.as_str()) => {
            let mut pairs: Vec<String> = items.chunks(2).map(|p| format!("{p:?}")).collect();
            pairs.sort();
            format!("pairs{pairs:?}")
        }
        Frame::Map(pairs) if UNORDERED_PAIRS.contains(&name.as_str()) => {
            let mut pairs: Vec<String> = pairs.iter().map(|p| format!("{p:?}")).collect();
            pairs.sort();
            format!("pairs{pairs:?}")
        }
        other => format!("{other:?}"),
    }
}

/// The commands each connection has queued since MULTI, as the target's replies tell, so that
/// the replies inside an EXEC array are compared as each command's reply would be.
#[derive(Default)]
struct Queues {
    by_client: std::collections::BTreeMap<u64, Vec<Vec<Vec<u8>>>>,
}

impl Queues {
    /// Follows one command and the target's reply; returns the queue an EXEC ran.
    fn observe(&mut self, client: u64, argv: &[Vec<u8>], reply: &Frame) -> Option<Vec<Vec<Vec<u8>>>> {
        let name = argv.first().map(|a| lower(a)).unwrap_or_default();
        match (name.as_str(), reply) {
            ("multi", Frame::Simple(ok)) if ok == "OK" => {
                self.by_client.insert(client, Vec::new());
                None
            }
            (_, Frame::Simple(q)) if q == "QUEUED" => {
                self.by_client.entry(client).or_default().push(argv.to_vec());
                None
            }
            ("exec", _) => self.by_client.remove(&client),
            ("discard" | "reset", _) => {
                self.by_client.remove(&client);
                None
            }
            _ => None,
        }
    }
}

/// Whether two replies to `argv` agree; an EXEC array is compared element by element with the
/// commands it ran (`ran`), each as its own reply would be.
fn replies_agree(argv: &[Vec<u8>], v: &Frame, t: &Frame, ran: Option<&[Vec<Vec<u8>>]>, error_prefix: bool) -> bool {
    if close_enough(argv, v, t) || normalise(argv, v, error_prefix) == normalise(argv, t, error_prefix) {
        return true;
    }
    match (ran, v, t) {
        (Some(ran), Frame::Array(vs), Frame::Array(ts)) if vs.len() == ran.len() && ts.len() == ran.len() => {
            ran.iter().zip(vs.iter().zip(ts)).all(|(queued, (v, t))| {
                let name = queued.first().map(|a| lower(a)).unwrap_or_default();
                NOT_COMPARABLE.contains(&name.as_str()) || replies_agree(queued, v, t, None, error_prefix)
            })
        }
        _ => false,
    }
}

/// Whether two integer replies agree within the tolerance the wall clock needs.
fn close_enough(argv: &[Vec<u8>], a: &Frame, b: &Frame) -> bool {
    let name = argv.first().map(|x| lower(x)).unwrap_or_default();
    let tolerance = match name.as_str() {
        "ttl" | "expiretime" => 1,
        "pttl" | "pexpiretime" => 1000,
        // Redis counts expired keys it has not reclaimed yet; verdis never shows them
        // (specs/deviations.md, "Keyspace and expiry").
        "dbsize" => {
            return matches!((a, b), (Frame::Integer(v), Frame::Integer(t)) if t >= v);
        }
        _ => return false,
    };
    matches!((a, b), (Frame::Integer(x), Frame::Integer(y)) if x >= &0 && y >= &0 && (x - y).abs() <= tolerance)
}

/// An argument in redis-cli quoting (what `--replay` and split_args read back).
pub fn quote_arg(arg: &[u8]) -> String {
    let plain =
        !arg.is_empty() && arg.iter().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'@' | b'#'));
    if plain {
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

fn script_line(step: &DStep) -> String {
    match step {
        DStep::Command(argv) => argv.iter().map(|a| quote_arg(a)).collect::<Vec<_>>().join(" "),
        DStep::Client(n) => format!("@client {n}"),
        DStep::ScanAll { pattern, type_name } => {
            let mut line = "@scan-all".to_string();
            if let Some(p) = pattern {
                line.push_str(&format!(" MATCH {}", quote_arg(p)));
            }
            if let Some(t) = type_name {
                line.push_str(&format!(" TYPE {}", quote_arg(t)));
            }
            line
        }
    }
}

fn parse_script_line(line: &str) -> Option<DStep> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let words = split_args(line.as_bytes())?;
    let first = words.first()?.clone();
    match first.as_slice() {
        b"@client" => Some(DStep::Client(std::str::from_utf8(words.get(1)?).ok()?.parse().ok()?)),
        b"@scan-all" => {
            let (mut pattern, mut type_name) = (None, None);
            let mut i = 1;
            while i + 1 < words.len() {
                match lower(&words[i]).as_str() {
                    "match" => pattern = Some(words[i + 1].clone()),
                    "type" => type_name = Some(words[i + 1].clone()),
                    _ => {}
                }
                i += 2;
            }
            Some(DStep::ScanAll { pattern, type_name })
        }
        _ => Some(DStep::Command(words)),
    }
}

/// Every key a full SCAN iteration returns, sorted (cursors differ between servers).
fn scan_all(
    side: &mut dyn Side,
    client: u64,
    pattern: &Option<Vec<u8>>,
    type_name: &Option<Vec<u8>>,
) -> io::Result<String> {
    let mut cursor = b"0".to_vec();
    let mut keys = std::collections::BTreeSet::new();
    for _ in 0..MAX_SCAN_CALLS {
        let mut argv = vec![b"SCAN".to_vec(), cursor.clone(), b"COUNT".to_vec(), b"50".to_vec()];
        if let Some(p) = pattern {
            argv.extend([b"MATCH".to_vec(), p.clone()]);
        }
        if let Some(t) = type_name {
            argv.extend([b"TYPE".to_vec(), t.clone()]);
        }
        match side.call(client, &argv)? {
            Frame::Array(parts) if parts.len() == 2 => {
                if let (Frame::Bulk(next), Frame::Array(found)) = (&parts[0], &parts[1]) {
                    keys.extend(found.iter().map(|k| format!("{k:?}")));
                    cursor = next.clone();
                    if cursor == b"0" {
                        return Ok(format!("scan{keys:?}"));
                    }
                    continue;
                }
                return Ok(format!("{:?}", Frame::Array(parts)));
            }
            other => return Ok(format!("{other:?}")),
        }
    }
    Ok("scan did not finish".to_string())
}

/// Runs `steps` on a fresh engine and the target from empty databases; returns the index and
/// details of the first divergence.
fn run_round(
    opts: &DiffOptions,
    steps: &[DStep],
    stop_at_first: bool,
    mut on_result: impl FnMut(bool),
) -> io::Result<Option<(usize, Divergence)>> {
    let mut engine = EngineSide::new(Config::default());
    let mut target = RemoteSide::new(opts.target);
    target.call(0, &[b"FLUSHALL".to_vec()])?;
    let mut client = 0u64;
    let mut first = None;
    let mut queues = Queues::default();
    for (i, step) in steps.iter().enumerate() {
        let (verdis, theirs, command) = match step {
            DStep::Client(n) => {
                client = *n;
                continue;
            }
            // Redis's own reply is not determined here (see the function): nothing to compare.
            DStep::Command(argv)
                if crate::cmd::zsets::reply_unspecified(&engine.engine, engine.selected_db(client), argv) =>
            {
                continue;
            }
            DStep::Command(argv) => {
                let v = engine.call(client, argv)?;
                let t = target.call(client, argv)?;
                let ran = queues.observe(client, argv, &t);
                if replies_agree(argv, &v, &t, ran.as_deref(), opts.error_prefix) {
                    (String::new(), String::new(), String::new())
                } else {
                    (normalise(argv, &v, opts.error_prefix), normalise(argv, &t, opts.error_prefix), script_line(step))
                }
            }
            DStep::ScanAll { pattern, type_name } => (
                scan_all(&mut engine, client, pattern, type_name)?,
                scan_all(&mut target, client, pattern, type_name)?,
                script_line(step),
            ),
        };
        let same = verdis == theirs;
        on_result(same);
        if !same && first.is_none() {
            let script = steps[..=i].iter().map(script_line).collect();
            first = Some((i, Divergence { script, command, verdis, target: theirs }));
            if stop_at_first {
                break;
            }
        }
    }
    Ok(first)
}

/// Removes steps while the run still diverges (delta debugging), within MAX_SHRINK_RUNS re-runs.
fn shrink(opts: &DiffOptions, mut steps: Vec<DStep>) -> io::Result<Option<Divergence>> {
    let mut best = run_round(opts, &steps, true, |_| {})?;
    let Some((i, _)) = &best else { return Ok(None) };
    steps.truncate(i + 1);
    let mut runs = 0;
    let mut chunk = steps.len().div_ceil(2).max(1);
    while chunk >= 1 && runs < MAX_SHRINK_RUNS {
        let mut start = 0;
        let mut removed_any = false;
        while start < steps.len() && runs < MAX_SHRINK_RUNS {
            let end = (start + chunk).min(steps.len());
            let candidate: Vec<DStep> = steps[..start].iter().chain(steps[end..].iter()).cloned().collect();
            runs += 1;
            if candidate.is_empty() {
                start = end;
                continue;
            }
            match run_round(opts, &candidate, true, |_| {})? {
                Some((i, d)) => {
                    steps = candidate[..=i].to_vec();
                    best = Some((i, d));
                    removed_any = true;
                }
                None => start = end,
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        chunk = if removed_any { chunk } else { chunk / 2 };
        if chunk == 0 {
            break;
        }
    }
    Ok(best.map(|(_, d)| d))
}

/// Generated operations, in rounds; every diverging round is shrunk and reported.
pub fn run_diff(opts: &DiffOptions) -> io::Result<DiffReport> {
    let table_engine = EngineSide::new(Config::default());
    let steps = generate(opts, &table_engine.engine.table);
    let mut report = DiffReport::default();
    for round in steps.chunks(opts.round_ops.max(1)) {
        match run_round(opts, round, true, |_| {})? {
            None => report.passed += 1,
            Some(_) => {
                report.failed += 1;
                if let Some(d) = shrink(opts, round.to_vec())? {
                    report.divergences.push(d);
                }
            }
        }
    }
    Ok(report)
}

/// Replays a script file (one command a line, redis-cli quoting; `@client N` and
/// `@scan-all [MATCH p] [TYPE t]` lines) on both sides; counts every command.
pub fn run_replay(opts: &DiffOptions, script: &str) -> io::Result<DiffReport> {
    let steps: Vec<DStep> = script.lines().filter_map(parse_script_line).collect();
    let mut report = DiffReport::default();
    let mut results = Vec::new();
    let first = run_round(opts, &steps, false, |same| results.push(same))?;
    report.passed = results.iter().filter(|s| **s).count();
    report.failed = results.len() - report.passed;
    report.divergences.extend(first.map(|(_, d)| d));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_lines_round_trip() {
        let steps = vec![
            DStep::Command(vec![b"SET".to_vec(), b"a b".to_vec(), b"\x00\"".to_vec()]),
            DStep::Client(2),
            DStep::ScanAll { pattern: Some(b"k*".to_vec()), type_name: None },
        ];
        for s in steps {
            assert_eq!(parse_script_line(&script_line(&s)), Some(s));
        }
    }

    #[test]
    fn times_are_stretched() {
        let mut argv: Vec<Vec<u8>> = ["SET", "k", "v", "PX", "5"].iter().map(|s| s.as_bytes().to_vec()).collect();
        stretch_times(&mut argv);
        assert_eq!(argv[4], b"5000");
    }
}
