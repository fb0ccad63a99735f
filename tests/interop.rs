//! Differential tests: the same command scripts run against verdis and a real redis-server
//! 7.0.15, replies compared byte for byte (RESP2 and RESP3).
//!
//! Scripts live in `tests/interop/*.redis`, one command per line, quoted as redis-cli quotes.
//! Directives: `@sort CMD` compares the reply with aggregate elements sorted (KEYS, SMEMBERS:
//! orders Redis leaves unspecified); `@any CMD` runs the command on both and ignores the reply
//! (TIME, INFO); `@sleep MS` waits in real time (expiry); `@read` reads one more reply of the
//! previous command from both (the (un)subscribe commands answer once per name). `#` starts a
//! comment.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, parse_node, show, sorted, Wire};
use std::time::Duration;

fn run_script(name: &str, text: &str, verdis: &mut Wire, redis: &mut Wire) -> Vec<String> {
    let mut failures = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(ms) = line.strip_prefix("@sleep ") {
            std::thread::sleep(Duration::from_millis(ms.trim().parse().expect("@sleep ms")));
            continue;
        }
        if line == "@read" {
            // One more reply of the previous command (pub/sub notifications come one per name).
            let got = verdis.read_reply().unwrap_or_else(|e| format!("<{e}>").into_bytes());
            let want = redis.read_reply().unwrap_or_else(|e| format!("<{e}>").into_bytes());
            if got != want {
                failures.push(format!("{name}:{}: @read\n  redis:  {}\n  verdis: {}", n + 1, show(&want), show(&got)));
            }
            continue;
        }
        let (mode, cmd) = if let Some(c) = line.strip_prefix("@sort ") {
            ("sort", c)
        } else if let Some(c) = line.strip_prefix("@any ") {
            ("any", c)
        } else {
            ("exact", line)
        };
        let argv = args(cmd);
        let got = verdis.call(&argv);
        let want = redis.call(&argv);
        let same = match mode {
            "any" => true,
            "sort" => parse_node(&got).map(|n| sorted(n.0)) == parse_node(&want).map(|n| sorted(n.0)),
            _ => got == want,
        };
        if !same {
            failures.push(format!(
                "{name}:{}: {cmd}\n  redis:  {}\n  verdis: {}",
                n + 1,
                show(&want).replace('\n', "\n          "),
                show(&got).replace('\n', "\n          ")
            ));
        }
    }
    failures
}

#[test]
fn scripts_match_real_redis() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/interop")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "redis"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty(), "no scripts in {}", dir.display());
    let mut failures = Vec::new();
    let mut commands = 0;
    for path in &scripts {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let text = std::fs::read_to_string(path).expect("read script");
        commands += text.lines().filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#')).count();
        // A fresh connection pair and empty databases for each script.
        let mut v = Wire::connect(server.addr());
        let mut r = Wire::connect(oracle.addr);
        v.call(&args("FLUSHALL"));
        r.call(&args("FLUSHALL"));
        failures.extend(run_script(&name, &text, &mut v, &mut r));
    }
    eprintln!("interop: {} scripts, {commands} commands compared with redis-server", scripts.len());
    assert!(failures.is_empty(), "{} differences from real Redis:\n{}", failures.len(), failures.join("\n"));
}
