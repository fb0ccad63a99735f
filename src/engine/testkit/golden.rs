//! Golden scripts: commands with the replies the real Redis 7.0 gave, replayed against the
//! engine. `tools/redis_golden.py` writes the expected replies from a live server; see its
//! header for the format and the pseudo-commands (`!enc`, `!ttl`, `!exists`, `!dirty`,
//! `!stats`, `!resp3`), which this runner answers from the engine's state.

use super::Harness;
use crate::resp::split::split_args;
use crate::resp::Frame;

/// A reply in the canonical text both sides render: `+OK`, `-ERR ...`, `:1`, `"bytes"`
/// (escaped), `nil`, `[a, b]`, `{k: v}` (RESP3 maps; flat arrays in RESP2), `,1.5`, `#t`.
pub fn render(frame: &Frame, resp: u8) -> String {
    let list = |items: &mut dyn Iterator<Item = &Frame>| {
        let parts: Vec<String> = items.map(|f| render(f, resp)).collect();
        format!("[{}]", parts.join(", "))
    };
    match frame {
        Frame::Simple(s) => format!("+{s}"),
        Frame::Error(e) => format!("-{e}"),
        Frame::Integer(n) => format!(":{n}"),
        Frame::Bulk(b) | Frame::Verbatim(_, b) => render_bulk(b),
        Frame::Null | Frame::NullArray => "nil".to_string(),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => list(&mut items.iter()),
        Frame::Map(pairs) if resp >= 3 => {
            let parts: Vec<String> =
                pairs.iter().map(|(k, v)| format!("{}: {}", render(k, resp), render(v, resp))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        Frame::Map(pairs) => list(&mut pairs.iter().flat_map(|(k, v)| [k, v])),
        Frame::Double(d) if resp >= 3 => format!(",{}", crate::resp::format_double(*d)),
        Frame::Double(d) => render_bulk(crate::resp::format_double(*d).as_bytes()),
        Frame::Boolean(b) if resp >= 3 => format!("#{}", if *b { 't' } else { 'f' }),
        Frame::Boolean(b) => format!(":{}", *b as i64),
        Frame::BigNumber(s) if resp >= 3 => format!("({s}"),
        Frame::BigNumber(s) => render_bulk(s.as_bytes()),
        Frame::Raw(b) => format!("raw {}", render_bulk(b)),
    }
}

fn render_bulk(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// Counters the pseudo-commands report as differences.
#[derive(Default)]
struct Baseline {
    dirty: u64,
    hits: u64,
    misses: u64,
}

/// Runs a pseudo-command; OBJECT ENCODING, TTL and EXISTS count a keyspace hit or miss, as in Redis.
fn pseudo(h: &mut Harness, base: &mut Baseline, args: &[Vec<u8>], resp: &mut u8) -> String {
    let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    let db = h.engine.client(h.client).map_or(0, |c| c.db);
    let now_ms = h.now_ms;
    if matches!(name.as_str(), "!enc" | "!ttl" | "!exists") {
        h.engine.expire_if_needed(db, &args[1], now_ms);
        match h.engine.dbs[db].contains(&args[1]) {
            true => h.engine.stats.keyspace_hits += 1,
            false => h.engine.stats.keyspace_misses += 1,
        }
    }
    match name.as_str() {
        "!enc" => match h.engine.dbs[db].entry(&args[1]) {
            Some(e) => render_bulk(e.value.encoding().as_bytes()),
            None => "nil".to_string(),
        },
        "!ttl" => {
            let ttl = match h.engine.dbs[db].entry(&args[1]) {
                None => -2,
                Some(e) => e.expire_at_ms().map_or(-1, |at| ((at.saturating_sub(now_ms) + 500) / 1000) as i64),
            };
            format!(":{ttl}")
        }
        "!exists" => format!(":{}", h.engine.dbs[db].contains(&args[1]) as i64),
        "!dirty" => {
            let delta = h.engine.dirty - base.dirty;
            base.dirty = h.engine.dirty;
            format!(":{delta}")
        }
        "!stats" => {
            let (hits, misses) = (h.engine.stats.keyspace_hits, h.engine.stats.keyspace_misses);
            let out = format!("hits={} misses={}", hits - base.hits, misses - base.misses);
            (base.hits, base.misses) = (hits, misses);
            out
        }
        "!resp3" => {
            *resp = 3;
            if let Some(c) = h.engine.client_mut(h.client) {
                c.resp = 3;
            }
            "+OK".to_string()
        }
        _ => panic!("unknown pseudo-command {name}"),
    }
}

/// Replays a golden script on a fresh harness; panics listing every reply that differs.
pub fn check_script(script: &str) {
    let mut h = Harness::new();
    let mut base = Baseline::default();
    let mut resp = 2u8;
    let mut failures = Vec::new();
    let mut last: Option<(usize, String, String)> = None;
    for (n, line) in script.lines().enumerate() {
        if let Some(want) = line.strip_prefix("=> ") {
            let (at, cmd, got) = last.take().unwrap_or_else(|| panic!("line {}: reply without command", n + 1));
            if got != want {
                failures.push(format!("line {at}: {cmd}\n    want {want}\n    got  {got}"));
            }
            continue;
        }
        let cmd = line.trim();
        if cmd.is_empty() || cmd.starts_with('#') {
            continue;
        }
        let args = split_args(cmd.as_bytes()).unwrap_or_else(|| panic!("line {}: bad quoting", n + 1));
        let got = if args[0].starts_with(b"!") {
            pseudo(&mut h, &mut base, &args, &mut resp)
        } else {
            render(&h.run_argv(&args), resp)
        };
        last = Some((n + 1, cmd.to_string(), got));
    }
    assert!(failures.is_empty(), "{} replies differ from Redis:\n{}", failures.len(), failures.join("\n"));
}
