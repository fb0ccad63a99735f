//! Transactions with several connections over TCP, against verdis and a real redis-server
//! 7.0.15: the same steps on both, replies compared byte for byte; and WATCH races between
//! threads, where optimistic locking must never lose an update.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, show, Wire};
use std::net::SocketAddr;

/// Runs `(connection, command)` steps on `addr` with three connections; returns every reply.
fn run_steps(addr: SocketAddr, steps: &[(usize, &str)]) -> Vec<Vec<u8>> {
    let mut conns: Vec<Wire> = (0..3).map(|_| Wire::connect(addr)).collect();
    conns[0].call(&args("FLUSHALL"));
    steps.iter().map(|(c, cmd)| conns[*c].call(&args(cmd))).collect()
}

fn compare(name: &str, verdis: SocketAddr, redis: SocketAddr, steps: &[(usize, &str)]) -> Vec<String> {
    let got = run_steps(verdis, steps);
    let want = run_steps(redis, steps);
    let mut failures = Vec::new();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if g != w {
            let (c, cmd) = steps[i];
            failures.push(format!("{name} step {i} [{c}] {cmd}\n  redis:  {}\n  verdis: {}", show(w), show(g)));
        }
    }
    failures
}

/// Scenarios where another connection's command decides the outcome of EXEC.
// rules: TX-2 TX-6 TX-8 TX-10 TX-11 TX-12 TX-15
const SCENARIOS: &[(&str, &[(usize, &str)])] = &[
    (
        "write by another client",
        &[
            (0, "SET k 1"),
            (0, "WATCH k"),
            (0, "GET k"),
            (1, "SET k 2"),
            (0, "MULTI"),
            (0, "SET k 3"),
            (0, "EXEC"),
            (0, "GET k"),
        ],
    ),
    (
        "same value written by another client",
        &[(0, "SET k 1"), (0, "WATCH k"), (1, "SET k 1"), (0, "MULTI"), (0, "INCR k"), (0, "EXEC")],
    ),
    (
        "read by another client",
        &[(0, "SET k 1"), (0, "WATCH k"), (1, "GET k"), (1, "EXISTS k"), (0, "MULTI"), (0, "INCR k"), (0, "EXEC")],
    ),
    (
        "two watchers, one writer",
        &[
            (0, "WATCH k"),
            (1, "WATCH k"),
            (2, "SET k x"),
            (0, "MULTI"),
            (0, "PING"),
            (1, "MULTI"),
            (1, "PING"),
            (0, "EXEC"),
            (1, "EXEC"),
        ],
    ),
    (
        "a transaction touches another client's watch",
        &[(1, "WATCH k"), (0, "MULTI"), (0, "SET k 1"), (0, "EXEC"), (1, "MULTI"), (1, "GET k"), (1, "EXEC")],
    ),
    (
        "commands of other clients run while one queues",
        &[
            (0, "MULTI"),
            (0, "INCR n"),
            (1, "SET n 10"),
            (1, "CLIENT SETNAME other"),
            (0, "INCR n"),
            (1, "GET n"),
            (0, "EXEC"),
            (1, "GET n"),
        ],
    ),
    (
        "flushes and swaps by another client",
        &[
            (0, "SET k 1"),
            (0, "WATCH k"),
            (1, "FLUSHDB"),
            (0, "MULTI"),
            (0, "EXEC"),
            (0, "WATCH k"),
            (1, "FLUSHALL"),
            (0, "MULTI"),
            (0, "EXEC"),
            (1, "SELECT 1"),
            (1, "SET k 1"),
            (0, "WATCH k"),
            (1, "SWAPDB 0 1"),
            (0, "MULTI"),
            (0, "EXEC"),
        ],
    ),
    (
        "another client expires the key",
        &[
            (0, "SET k 1"),
            (0, "WATCH k"),
            (1, "PEXPIRE k 100000"),
            (0, "MULTI"),
            (0, "EXEC"),
            (0, "WATCH k"),
            (1, "PERSIST k"),
            (0, "MULTI"),
            (0, "EXEC"),
            (0, "WATCH k"),
            (1, "PERSIST k"),
            (0, "MULTI"),
            (0, "EXEC"),
        ],
    ),
    (
        "EXEC of writes refused after queuing",
        &[
            (0, "MULTI"),
            (0, "INCR xx"),
            (1, "CONFIG SET min-replicas-to-write 2"),
            (0, "EXEC"),
            (0, "MULTI"),
            (0, "GET xx"),
            (0, "EXEC"),
            (1, "CONFIG SET min-replicas-to-write 0"),
            (0, "GET xx"),
        ],
    ),
    (
        "another database",
        &[
            (0, "WATCH k"),
            (1, "SELECT 3"),
            (1, "SET k 1"),
            (0, "MULTI"),
            (0, "EXEC"),
            (1, "MOVE k 0"),
            (0, "MULTI"),
            (0, "EXEC"),
        ],
    ),
];

#[test]
fn two_clients_like_real_redis() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let mut failures = Vec::new();
    for (name, steps) in SCENARIOS {
        failures.extend(compare(name, server.addr(), oracle.addr, steps));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Increments a counter `rounds` times with WATCH/GET/MULTI/SET/EXEC, retrying when EXEC fails;
/// returns how many attempts failed.
fn cas_increments(addr: SocketAddr, rounds: usize) -> usize {
    let mut w = Wire::connect(addr);
    let mut failed = 0;
    for _ in 0..rounds {
        // A bounded number of retries; contention with one other thread is low.
        for _attempt in 0..10_000 {
            w.call(&args("WATCH counter"));
            let value = w.call(&args("GET counter"));
            let n: i64 = parse_bulk_int(&value);
            w.call(&args("MULTI"));
            w.call(&args(&format!("SET counter {}", n + 1)));
            let reply = w.call(&args("EXEC"));
            if reply.starts_with(b"*1\r\n") {
                break;
            }
            assert_eq!(reply, b"*-1\r\n", "EXEC either runs or fails by WATCH");
            failed += 1;
        }
    }
    failed
}

fn parse_bulk_int(reply: &[u8]) -> i64 {
    if reply.starts_with(b"$-1") {
        return 0;
    }
    let text = String::from_utf8_lossy(reply);
    text.lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("an integer bulk")
}

fn race(addr: SocketAddr) -> (i64, usize) {
    Wire::connect(addr).call(&args("DEL counter"));
    let rounds = 300;
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(move || cas_increments(addr, rounds))).collect();
    let failed = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    let total = parse_bulk_int(&Wire::connect(addr).call(&args("GET counter")));
    (total, failed)
}

/// Two threads race to increment one counter through optimistic locking: no increment is
/// lost, on verdis as on Redis.
// rules: TX-6 TX-7
#[test]
fn watch_races_lose_no_update() {
    let server = verdis::Server::start().expect("start verdis");
    let (total, failed) = race(server.addr());
    eprintln!("verdis: {failed} EXECs failed by WATCH and were retried");
    assert_eq!(total, 600, "verdis lost updates ({failed} EXECs failed by WATCH)");
    if let Some(oracle) = RedisOracle::start(&[]) {
        let (total, _) = race(oracle.addr);
        assert_eq!(total, 600, "redis");
    }
}

/// `cmdstat_<name>:calls=..,rejected_calls=..,failed_calls=..` lines (without timings) and the
/// error statistics, after CONFIG RESETSTAT and `commands`.
fn stats_after(addr: SocketAddr, commands: &[&str]) -> Vec<String> {
    let mut w = Wire::connect(addr);
    w.call(&args("CONFIG RESETSTAT"));
    for cmd in commands {
        w.call(&args(cmd));
    }
    let mut lines = Vec::new();
    for section in ["commandstats", "errorstats"] {
        let reply = w.call(&args(&format!("INFO {section}")));
        for line in String::from_utf8_lossy(&reply).lines() {
            if let Some((name, fields)) = line.split_once(':') {
                if name.starts_with("cmdstat_") || name.starts_with("errorstat_") {
                    let kept: Vec<&str> = fields.split(',').filter(|f| !f.starts_with("usec")).collect();
                    lines.push(format!("{name}:{}", kept.join(",")));
                }
            }
        }
    }
    lines.sort();
    lines
}

/// Queued commands are counted when EXEC runs them; refused ones as rejected calls.
// rules: TX-14
#[test]
fn command_statistics_like_real_redis() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let commands = [
        "MULTI",
        "SET a 1",
        "INCR nosuch",
        "GET",
        "DISCARD",
        "MULTI",
        "SET a x",
        "INCR a",
        "GET a",
        "EXEC",
        "MULTI",
        "EXEC x",
        "WATCH a",
        "SET a 2",
        "MULTI",
        "GET a",
        "EXEC",
    ];
    assert_eq!(stats_after(server.addr(), &commands), stats_after(oracle.addr, &commands));
}
