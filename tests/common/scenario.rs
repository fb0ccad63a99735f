//! Multi-connection scenarios run on verdis and on a real redis-server alike: the same steps on
//! both, every reply and every message a connection receives compared byte for byte.

use super::oracle::RedisOracle;
use super::wire::{args, show, Wire};
use std::net::SocketAddr;
use std::time::Duration;

/// Connections a scenario may use (0..CONNECTIONS).
const CONNECTIONS: usize = 4;

/// One step of a scenario.
#[derive(Clone, Copy)]
pub enum Step {
    /// Connection `c` sends a command and reads `n` replies (0 for none).
    Send(usize, &'static str, usize),
    /// Connection `c` reads `n` more replies or messages without sending.
    Read(usize, usize),
    /// Sent and its one reply read but not compared (HELLO: client ids differ).
    Quiet(usize, &'static str),
    /// Everyone waits (real time: expiry, blocked clients).
    Sleep(u64),
    /// Connection `c` turns tracking on, redirected to connection `t`, with extra options.
    Redirect(usize, usize, &'static str),
}

use Step::{Quiet, Read, Redirect, Send, Sleep};

/// What a scenario's comparison asks of the real server's side.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Only that both sides agree.
    Agree,
    /// Also that redis-server sent every reply the scenario reads: a read that timed out on
    /// both sides would compare equal, so a scenario must not expect more than arrives.
    EveryReplyArrives,
}

/// Runs `steps` on fresh connections to `addr` (after FLUSHALL); returns what was read, in order
/// (a failed read as `<error>`).
pub fn run(addr: SocketAddr, steps: &[Step]) -> Vec<Vec<u8>> {
    let mut conns: Vec<Wire> = (0..CONNECTIONS).map(|_| Wire::connect(addr)).collect();
    conns[0].call(&args("FLUSHALL"));
    let mut out = Vec::new();
    for step in steps {
        let (c, n) = match *step {
            Send(c, cmd, n) => {
                conns[c].send(&args(cmd));
                (c, n)
            }
            Read(c, n) => (c, n),
            Quiet(c, cmd) => {
                conns[c].call(&args(cmd));
                continue;
            }
            Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(ms));
                continue;
            }
            Redirect(c, target, options) => {
                let id = String::from_utf8(conns[target].call(&args("CLIENT ID"))).expect("id");
                let id = id.trim_start_matches(':').trim_end();
                out.push(conns[c].call(&args(&format!("CLIENT TRACKING on REDIRECT {id} {options}"))));
                continue;
            }
        };
        for _ in 0..n {
            out.push(conns[c].read_reply().unwrap_or_else(|e| format!("<{e}>").into_bytes()));
        }
    }
    // Leave the server as the next scenario expects it.
    conns[0].call(&args("CONFIG SET notify-keyspace-events \"\""));
    out
}

/// Runs one scenario on both servers; the differences found, described.
pub fn compare(name: &str, verdis: SocketAddr, redis: SocketAddr, steps: &[Step], expect: Expect) -> Vec<String> {
    let got = run(verdis, steps);
    let want = run(redis, steps);
    if expect == Expect::EveryReplyArrives {
        if let Some(i) = want.iter().position(|r| r.starts_with(b"<")) {
            return vec![format!("{name}: reply {i} never came from redis-server: {}", show(&want[i]))];
        }
    }
    if got == want {
        return Vec::new();
    }
    let first = got.iter().zip(&want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len()));
    vec![format!(
        "{name}: reply {first} differs\n  redis:  {}\n  verdis: {}",
        want.get(first).map(|w| show(w)).unwrap_or_default(),
        got.get(first).map(|g| show(g)).unwrap_or_default()
    )]
}

/// Every scenario on an embedded verdis and a fresh redis-server; fails with all differences.
pub fn check_like_real_redis(scenarios: &[(&str, &[Step])], expect: Expect) {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let mut failures = Vec::new();
    for (name, steps) in scenarios {
        failures.extend(compare(name, server.addr(), oracle.addr, steps, expect));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
