//! Client limits over real TCP connections: CLIENT PAUSE (WRITE and ALL) holding commands back
//! and releasing them in order, and `client-output-buffer-limit` disconnecting a subscriber that
//! does not read while the publisher keeps going — the latter side by side with redis-server.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, Wire};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn call(w: &mut Wire, line: &str) -> Vec<u8> {
    w.call(&args(line))
}

fn send(w: &mut Wire, line: &str) {
    w.send(&args(line));
}

fn info_field(w: &mut Wire, section: &str, name: &str) -> String {
    let info = String::from_utf8_lossy(&call(w, &format!("INFO {section}"))).to_string();
    let prefix = format!("{name}:");
    info.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// Waits (bounded) until INFO reports `n` blocked clients.
fn wait_blocked(w: &mut Wire, n: usize) {
    for _ in 0..500 {
        if info_field(w, "clients", "blocked_clients") == n.to_string() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never saw blocked_clients:{n}");
}

/// The pause scenarios, run against verdis and against redis-server alike.
fn pause_scenarios(addr: SocketAddr) {
    let (mut admin, mut writer, mut reader, mut tx) =
        (Wire::connect(addr), Wire::connect(addr), Wire::connect(addr), Wire::connect(addr));
    call(&mut admin, "FLUSHALL");
    call(&mut admin, "PFADD hll a");
    // A transaction queued before the pause, executed during it.
    assert_eq!(call(&mut tx, "MULTI"), b"+OK\r\n");
    assert_eq!(call(&mut tx, "SET t 1"), b"+QUEUED\r\n");

    assert_eq!(call(&mut admin, "CLIENT PAUSE 60000 WRITE"), b"+OK\r\n");
    send(&mut writer, "SET foo bar");
    wait_blocked(&mut admin, 1);
    // Reads still run; writes, may-replicate commands and EXEC of a write wait.
    assert_eq!(call(&mut reader, "GET foo"), b"$-1\r\n");
    send(&mut reader, "PFCOUNT hll");
    wait_blocked(&mut admin, 2);
    send(&mut tx, "EXEC");
    wait_blocked(&mut admin, 3);
    let mut other = Wire::connect(addr);
    assert_eq!(call(&mut other, "MULTI"), b"+OK\r\n");
    assert_eq!(call(&mut other, "GET foo"), b"+QUEUED\r\n");
    assert_eq!(call(&mut other, "EXEC"), b"*1\r\n$-1\r\n");

    assert_eq!(call(&mut admin, "CLIENT UNPAUSE"), b"+OK\r\n");
    assert_eq!(writer.read_reply().expect("writer"), b"+OK\r\n");
    assert_eq!(reader.read_reply().expect("reader"), b":1\r\n");
    assert_eq!(tx.read_reply().expect("tx"), b"*1\r\n+OK\r\n");
    wait_blocked(&mut admin, 0);
    assert_eq!(call(&mut reader, "MGET foo t"), b"*2\r\n$3\r\nbar\r\n$1\r\n1\r\n");

    // ALL holds every command, the pausing client's own too, until the pause times out.
    assert_eq!(call(&mut admin, "CLIENT PAUSE 300 ALL"), b"+OK\r\n");
    let started = Instant::now();
    send(&mut writer, "PING");
    send(&mut reader, "GET foo");
    assert_eq!(writer.read_reply().expect("ping"), b"+PONG\r\n");
    assert_eq!(reader.read_reply().expect("get"), b"$3\r\nbar\r\n");
    assert!(started.elapsed() >= Duration::from_millis(250), "released after {:?}", started.elapsed());
}

// rules: CLIENT-1
#[test]
fn client_pause_holds_and_releases_commands() {
    let server = verdis::Server::start().expect("start verdis");
    pause_scenarios(server.addr());
    if let Some(redis) = RedisOracle::start(&[]) {
        pause_scenarios(redis.addr);
    }
}

/// A subscriber that never reads, a publisher sending 8 MB: the subscriber is disconnected once
/// its pending output passes the pubsub hard limit and the publisher is never held up.
fn slow_subscriber_is_disconnected(addr: SocketAddr) {
    let mut admin = Wire::connect(addr);
    let limit = |w: &mut Wire, value: &str| {
        let argv: Vec<Vec<u8>> =
            ["CONFIG", "SET", "client-output-buffer-limit", value].iter().map(|a| a.as_bytes().to_vec()).collect();
        assert_eq!(w.call(&argv), b"+OK\r\n");
    };
    limit(&mut admin, "pubsub 256kb 128kb 60");
    let mut subscriber = Wire::connect(addr);
    send(&mut subscriber, "SUBSCRIBE news");
    let message = "x".repeat(8 * 1024);
    let mut publisher = Wire::connect(addr);
    let mut receivers = Vec::new();
    for _ in 0..1000 {
        let reply = call(&mut publisher, &format!("PUBLISH news {message}"));
        receivers.push(reply);
        if receivers.last().is_some_and(|r| r == b":0\r\n") {
            break;
        }
    }
    assert_eq!(receivers.last().map(Vec::as_slice), Some(&b":0\r\n"[..]), "the subscriber was never dropped");
    assert_eq!(call(&mut publisher, "PUBSUB NUMSUB news"), b"*2\r\n$4\r\nnews\r\n:0\r\n");
    assert!(drains_to_eof(&subscriber), "the subscriber's connection is closed");
    assert_eq!(info_field(&mut admin, "clients", "connected_clients"), "2");
    limit(&mut admin, "pubsub 32mb 8mb 60");
}

/// Reads (bounded) what the server had sent until it closes the connection.
fn drains_to_eof(w: &Wire) -> bool {
    use std::io::Read;
    let mut stream = w.stream();
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..100_000 {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
    false
}

// rules: CLIENT-2
#[test]
fn output_buffer_limit_disconnects_a_slow_subscriber() {
    let server = verdis::Server::start().expect("start verdis");
    slow_subscriber_is_disconnected(server.addr());
    if let Some(redis) = RedisOracle::start(&[]) {
        slow_subscriber_is_disconnected(redis.addr);
    }
}

/// What a monitor receives for a fixed script, with the clock and the client's port masked.
fn monitor_lines(addr: SocketAddr) -> Vec<String> {
    let mut watcher = Wire::connect(addr);
    let mut client = Wire::connect(addr);
    call(&mut client, "SELECT 2");
    assert_eq!(call(&mut watcher, "MONITOR"), b"+OK\r\n");
    for line in ["SET foo bar", "MULTI", "INCR n", "NOSUCH", "EXEC", "GET foo", "AUTH secret", "CONFIG GET hz"] {
        call(&mut client, line);
    }
    let raw = client.call(&[b"SET".to_vec(), b"k\n\"x".to_vec(), vec![0u8, 200]]);
    assert_eq!(raw, b"+OK\r\n");
    call(&mut client, "PING");
    (0..7)
        .map(|_| {
            let line = String::from_utf8(watcher.read_reply().expect("monitor line")).expect("utf-8");
            // "+<time> [<db> 127.0.0.1:<port>] args"
            let (_, rest) = line.split_once(" [").expect("db");
            let (db, rest) = rest.split_once(' ').expect("addr");
            let (_, args) = rest.split_once("] ").expect("args");
            format!("{db} {}", args.trim_end())
        })
        .collect()
}

// rules: CLIENT-3
#[test]
fn monitor_output_matches_real_redis() {
    let server = verdis::Server::start().expect("start verdis");
    let ours = monitor_lines(server.addr());
    assert_eq!(ours[0], r#"2 "SET" "foo" "bar""#);
    if let Some(redis) = RedisOracle::start(&[]) {
        assert_eq!(ours, monitor_lines(redis.addr));
    }
}

#[test]
fn expired_keys_are_hidden_not_deleted_during_a_pause() {
    // rule: CLIENT-4
    use verdis::engine::testkit::{int, ok, Harness};
    use verdis::resp::Frame;
    let mut h = Harness::new();
    h.run("SET foo bar PX 10");
    h.run("SET keep v");
    assert_eq!(h.run("CLIENT PAUSE 50000 WRITE"), ok());
    h.advance_ms(20);
    assert_eq!(h.run("GET foo"), Frame::Null);
    assert_eq!(h.run("EXISTS foo"), int(0));
    assert_eq!(h.engine.dbs[0].len(), 2, "the key stays in the keyspace");
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(h.engine.stats.expired_keys, 0, "neither lookups nor the cycle delete it");
    assert_eq!(h.run("CLIENT UNPAUSE"), ok());
    assert_eq!(h.run("GET foo"), Frame::Null);
    assert_eq!(h.engine.stats.expired_keys, 1);
    assert_eq!(h.engine.dbs[0].len(), 1);
}
