//! Blocking list commands over real TCP connections to an embedded `verdis::Server`: wake
//! order, timeouts, pipelined commands held back while blocked, a key deleted and re-created,
//! pushes by LMOVE/BLMOVE waking other clients, CLIENT UNBLOCK, disconnects and INFO.
// rules: BLOCK-1 BLOCK-2 BLOCK-3 BLOCK-4 BLOCK-5 BLOCK-7 BLOCK-8 BLOCK-11

mod common;

use common::wire::{args, Wire};
use std::time::{Duration, Instant};

fn call(w: &mut Wire, line: &str) -> Vec<u8> {
    w.call(&args(line))
}

fn send(w: &mut Wire, line: &str) {
    w.send(&args(line));
}

/// Waits (bounded) until INFO reports `n` blocked clients.
fn wait_blocked(w: &mut Wire, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    for _ in 0..500 {
        let info = call(w, "INFO clients");
        if String::from_utf8_lossy(&info).contains(&want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never saw {want:?}");
}

/// True when nothing arrives on `w` within `ms`.
fn silent_for(w: &mut Wire, ms: u64) -> bool {
    let stream = w.stream();
    stream.set_read_timeout(Some(Duration::from_millis(ms))).expect("timeout");
    let mut buf = [0u8; 1];
    let silent = match stream.peek(&mut buf) {
        Ok(_) => false,
        Err(e) => matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    silent
}

fn server() -> verdis::Server {
    verdis::Server::start().expect("start verdis")
}

#[test]
fn clients_are_served_in_the_order_they_blocked() {
    let server = server();
    let (mut c1, mut c2, mut c3, mut admin) = (
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
    );
    send(&mut c1, "BLPOP q 0");
    wait_blocked(&mut admin, 1);
    send(&mut c2, "BRPOP other q 0");
    wait_blocked(&mut admin, 2);
    send(&mut c3, "BLMPOP 0 1 q LEFT COUNT 5");
    wait_blocked(&mut admin, 3);
    assert_eq!(call(&mut admin, "RPUSH q a b"), b":2\r\n");
    assert_eq!(c1.read_reply().expect("c1"), b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(c2.read_reply().expect("c2"), b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n");
    wait_blocked(&mut admin, 1);
    assert_eq!(call(&mut admin, "RPUSH q c d"), b":2\r\n");
    assert_eq!(c3.read_reply().expect("c3"), b"*2\r\n$1\r\nq\r\n*2\r\n$1\r\nc\r\n$1\r\nd\r\n");
    wait_blocked(&mut admin, 0);
    assert_eq!(call(&mut admin, "EXISTS q"), b":0\r\n");
}

#[test]
fn timeouts_reply_the_null_array_in_time() {
    let server = server();
    let mut c1 = Wire::connect(server.addr());
    let started = Instant::now();
    assert_eq!(call(&mut c1, "BLPOP nokey 0.2"), b"*-1\r\n");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(200) && waited < Duration::from_millis(1500), "{waited:?}");
    assert_eq!(call(&mut c1, "BLMOVE nokey d LEFT LEFT 0.05"), b"*-1\r\n");
    assert_eq!(call(&mut c1, "HELLO 3").first(), Some(&b'%'));
    assert_eq!(call(&mut c1, "BRPOPLPUSH nokey d 0.05"), b"_\r\n");
}

#[test]
fn pipelined_commands_wait_until_the_client_is_served() {
    let server = server();
    let (mut c1, mut admin) = (Wire::connect(server.addr()), Wire::connect(server.addr()));
    c1.send_raw(b"BLPOP k 0\r\nPING\r\nRPUSH k mine\r\n");
    wait_blocked(&mut admin, 1);
    assert!(silent_for(&mut c1, 150), "a blocked client's next commands must wait");
    assert_eq!(call(&mut admin, "EXISTS k"), b":0\r\n");
    assert_eq!(call(&mut admin, "RPUSH k v"), b":1\r\n");
    assert_eq!(c1.read_reply().expect("served"), b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert_eq!(c1.read_reply().expect("ping"), b"+PONG\r\n");
    assert_eq!(c1.read_reply().expect("push"), b":1\r\n");
    assert_eq!(call(&mut admin, "LRANGE k 0 -1"), b"*1\r\n$4\r\nmine\r\n");
}

#[test]
fn a_key_deleted_and_recreated_wakes_the_client() {
    let server = server();
    let (mut c1, mut admin) = (Wire::connect(server.addr()), Wire::connect(server.addr()));
    send(&mut c1, "BLPOP k 0");
    wait_blocked(&mut admin, 1);
    call(&mut admin, "SET k string");
    call(&mut admin, "DEL k");
    assert!(silent_for(&mut c1, 100));
    call(&mut admin, "LPUSH k again");
    assert_eq!(c1.read_reply().expect("served"), b"*2\r\n$1\r\nk\r\n$5\r\nagain\r\n");
    assert_eq!(call(&mut admin, "EXISTS k"), b":0\r\n");
}

#[test]
fn moves_push_to_waiting_clients() {
    let server = server();
    let (mut c1, mut c2, mut admin) =
        (Wire::connect(server.addr()), Wire::connect(server.addr()), Wire::connect(server.addr()));
    // c1 moves from src to mid as soon as src has data; c2 waits on mid.
    send(&mut c1, "BLMOVE src mid RIGHT LEFT 0");
    wait_blocked(&mut admin, 1);
    send(&mut c2, "BRPOP mid 0");
    wait_blocked(&mut admin, 2);
    call(&mut admin, "RPUSH src x");
    assert_eq!(c1.read_reply().expect("c1"), b"$1\r\nx\r\n");
    assert_eq!(c2.read_reply().expect("c2"), b"*2\r\n$3\r\nmid\r\n$1\r\nx\r\n");
    // A plain LMOVE wakes a waiter on its destination too.
    send(&mut c2, "BLPOP dst 0");
    wait_blocked(&mut admin, 1);
    call(&mut admin, "RPUSH from y");
    assert_eq!(call(&mut admin, "LMOVE from dst LEFT LEFT"), b"$1\r\ny\r\n");
    assert_eq!(c2.read_reply().expect("c2"), b"*2\r\n$3\r\ndst\r\n$1\r\ny\r\n");
}

#[test]
fn client_unblock_and_disconnects() {
    let server = server();
    let (mut c1, mut c2, mut admin) =
        (Wire::connect(server.addr()), Wire::connect(server.addr()), Wire::connect(server.addr()));
    let id1 = String::from_utf8_lossy(&call(&mut c1, "CLIENT ID")).trim_start_matches(':').trim().to_string();
    send(&mut c1, "BLPOP k 0");
    send(&mut c2, "BLPOP k 0");
    wait_blocked(&mut admin, 2);
    let info = String::from_utf8_lossy(&call(&mut admin, "CLIENT LIST")).into_owned();
    assert_eq!(info.matches("flags=b ").count(), 2, "{info}");
    assert_eq!(call(&mut admin, &format!("CLIENT UNBLOCK {id1} ERROR")), b":1\r\n");
    assert_eq!(c1.read_reply().expect("c1"), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    drop(c2);
    wait_blocked(&mut admin, 0);
    assert_eq!(call(&mut admin, "RPUSH k v"), b":1\r\n");
    assert_eq!(call(&mut admin, "LLEN k"), b":1\r\n");
    // The unblocked client works normally again.
    assert_eq!(call(&mut c1, "LPOP k"), b"$1\r\nv\r\n");
}

#[test]
fn idle_timeout_spares_blocked_clients() {
    let server = verdis::Server::builder().set("timeout", "1").expect("timeout").start().expect("start");
    let (mut c1, mut admin) = (Wire::connect(server.addr()), Wire::connect(server.addr()));
    send(&mut c1, "BLPOP k 0");
    wait_blocked(&mut admin, 1);
    std::thread::sleep(Duration::from_millis(2300));
    let mut pusher = Wire::connect(server.addr());
    call(&mut pusher, "RPUSH k v");
    assert_eq!(c1.read_reply().expect("still connected"), b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
}

/// The engine alone, with simulated time: the parts a TCP client cannot see.
mod engine_level {
    // rules: BLOCK-9 BLOCK-10 BLOCK-12
    use verdis::engine::testkit::Harness;
    use verdis::resp::Frame;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn denied_blocking_replies_as_timed_out() {
        let mut h = Harness::new();
        let id = h.client;
        if let Some(c) = h.engine.client_mut(id) {
            c.deny_blocking = true;
        }
        assert_eq!(h.run("BRPOP k 0"), Frame::NullArray);
        assert_eq!(h.run("BRPOPLPUSH k d 0"), Frame::Null);
        assert!(!h.engine.is_blocked(id));
    }

    #[test]
    fn served_pops_propagate_as_plain_pops_and_count_one_call() {
        let mut h = Harness::new();
        h.engine.propagated = Some(Vec::new());
        let waiter = h.client;
        assert_eq!(h.engine.execute(waiter, &argv("BLMPOP 0 1 k RIGHT COUNT 3"), h.now_ms), None);
        h.new_client();
        h.run("RPUSH k a b");
        assert_eq!(h.engine.outbox.len(), 1);
        let propagated: Vec<Vec<Vec<u8>>> =
            h.engine.propagated.take().unwrap_or_default().into_iter().map(|p| p.1).collect();
        assert_eq!(propagated, vec![argv("RPOP k 2")]);
        let (Frame::Verbatim(_, stats) | Frame::Bulk(stats)) = h.run("INFO commandstats") else {
            panic!("INFO is text");
        };
        assert!(String::from_utf8_lossy(&stats).contains("cmdstat_blmpop:calls=1,"));
    }
}

/// Sorted set waiters over TCP: wake order across BZPOPMIN, BZPOPMAX and BZMPOP, a waiter on
/// a key that turns into a string and back into a sorted set, RESP3 replies and timeouts.
// rules: ZSET-31 ZSET-32 ZSET-33
#[test]
fn sorted_set_waiters_over_tcp() {
    let server = server();
    let (mut c1, mut c2, mut c3, mut admin) = (
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
        Wire::connect(server.addr()),
    );
    send(&mut c1, "BZPOPMIN z 0");
    wait_blocked(&mut admin, 1);
    send(&mut c2, "BZPOPMAX other z 0");
    wait_blocked(&mut admin, 2);
    send(&mut c3, "BZMPOP 0 1 z MIN COUNT 5");
    wait_blocked(&mut admin, 3);
    assert_eq!(call(&mut admin, "ZADD z 1 a 2 b 3 c 4 d"), b":4\r\n");
    assert_eq!(c1.read_reply().expect("c1"), b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(c2.read_reply().expect("c2"), b"*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n");
    assert_eq!(
        c3.read_reply().expect("c3"),
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    wait_blocked(&mut admin, 0);
    assert_eq!(call(&mut admin, "EXISTS z"), b":0\r\n");

    // A string at the key does not wake the waiter; a sorted set created later does.
    assert_eq!(call(&mut c1, "HELLO 3").first(), Some(&b'%'));
    send(&mut c1, "BZPOPMAX k 0");
    wait_blocked(&mut admin, 1);
    assert_eq!(call(&mut admin, "SET k v"), b"+OK\r\n");
    assert!(silent_for(&mut c1, 100));
    assert_eq!(call(&mut admin, "DEL k"), b":1\r\n");
    assert_eq!(call(&mut admin, "ZADD k 1.5 m"), b":1\r\n");
    assert_eq!(c1.read_reply().expect("c1"), b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n,1.5\r\n");

    // Timeouts: the null array (RESP3 null for c1).
    let started = Instant::now();
    assert_eq!(call(&mut c2, "BZPOPMIN nokey 0.2"), b"*-1\r\n");
    assert_eq!(call(&mut c1, "BZMPOP 0.1 1 nokey MAX"), b"_\r\n");
    assert!(started.elapsed() >= Duration::from_millis(290));
}

/// Pushes made inside MULTI/EXEC wake waiting clients only after the whole transaction ran, so
/// the waiter sees the final state (Redis handles ready keys after EXEC): RPUSH a, DEL, RPUSH b c
/// serves `b`. Blocking commands queued in MULTI never block: they answer as timed out.
// rules: BLOCK-1 TX-16
#[test]
fn pushes_from_exec_wake_waiters_after_the_transaction() {
    let server = server();
    let (mut waiter, mut writer, mut admin) =
        (Wire::connect(server.addr()), Wire::connect(server.addr()), Wire::connect(server.addr()));
    send(&mut waiter, "BLPOP q 0");
    wait_blocked(&mut admin, 1);
    assert_eq!(call(&mut writer, "MULTI"), b"+OK\r\n");
    for line in ["RPUSH q a", "DEL q", "RPUSH q b c"] {
        assert_eq!(call(&mut writer, line), b"+QUEUED\r\n");
    }
    assert_eq!(call(&mut writer, "EXEC"), b"*3\r\n:1\r\n:1\r\n:2\r\n");
    assert_eq!(waiter.read_reply().expect("waiter"), b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n");
    assert_eq!(call(&mut writer, "LRANGE q 0 -1"), b"*1\r\n$1\r\nc\r\n");

    assert_eq!(call(&mut writer, "MULTI"), b"+OK\r\n");
    for line in ["BLPOP nothing 0", "BZPOPMIN nothing 0", "BLMOVE nothing x LEFT RIGHT 0"] {
        assert_eq!(call(&mut writer, line), b"+QUEUED\r\n");
    }
    assert_eq!(call(&mut writer, "EXEC"), b"*3\r\n*-1\r\n*-1\r\n$-1\r\n");
    wait_blocked(&mut admin, 0);
}
