//! Replication, master side (rules REPL-1..6): a real redis-server 7.0.15 replicates from
//! verdis-server (full synchronisation, the command stream, a partial resynchronisation after a
//! lost link, WAIT), and the stream a SYNC client reads from verdis is, command for command,
//! the one it reads from redis-server for the same writes.

mod common;

use common::oracle::RedisOracle;
use common::process::{fingerprint, start_verdis};
use common::repl::{call, caught_up, info_field, wait_until};
use common::scenario::{check_like_real_redis, Expect, Step::Send};
use common::wire::{parse_node, Node, Wire};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const BEFORE: &[&str] = &[
    "SET s1 hello",
    "SET n 100 EX 10000",
    "RPUSH l a b c d",
    "SADD set x y z 1 2",
    "ZADD z 1 a 2.5 b -3 c",
    "HSET h f1 v1 f2 v2",
    "SELECT 3",
    "SET db3 three",
    "XADD st 1-1 f v",
];

const AFTER: &[&str] = &[
    "INCR n",
    "INCRBYFLOAT fl 2.5",
    "APPEND s1 \" world\"",
    "LPOP l",
    "SPOP set 2",
    "ZINCRBY z 2 a",
    "HINCRBYFLOAT h n 1.5",
    "EXPIRE l 100000",
    "MULTI",
    "SET t1 1",
    "LPUSH tl x",
    "EXEC",
    "SELECT 5",
    "SET db5 five",
    "SETEX tmp 10000 v",
    "GETDEL db5",
    "SELECT 0",
];

#[test]
fn real_redis_replicates_from_verdis() {
    // rules: REPL-1 REPL-2 REPL-3 REPL-4 REPL-5
    let dir = tempfile::tempdir().expect("tempdir");
    let master = start_verdis(dir.path(), &["--appendonly", "no"]);
    let port = master.addr.port().to_string();
    let Some(replica) = RedisOracle::start(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let mut w = Wire::connect(master.addr);
    for line in BEFORE {
        call(&mut w, line);
    }
    wait_until("the full synchronisation", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    let mut w = Wire::connect(master.addr);
    for line in AFTER {
        call(&mut w, line);
    }
    wait_until("the stream", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    assert_eq!(info_field(master.addr, "connected_slaves"), "1");
    assert!(info_field(master.addr, "slave0").contains("state=online"));
    // WAIT: the replica acknowledges the last write.
    call(&mut w, "SET waited 1");
    assert_eq!(call(&mut w, "WAIT 1 5000"), Node::Line(b":1".to_vec()));
    assert_eq!(call(&mut w, "WAIT 2 100"), Node::Line(b":1".to_vec()));
    // The link drops; the replica continues from the backlog.
    let mut r = Wire::connect(replica.addr);
    call(&mut r, "CLIENT KILL TYPE master");
    call(&mut w, "SET after-drop 1");
    wait_until("the partial resynchronisation", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    let mut m = Wire::connect(master.addr);
    let Node::Blob(stats) = call(&mut m, "INFO stats") else { panic!("INFO is a bulk") };
    let stats = String::from_utf8_lossy(&stats).into_owned();
    assert!(stats.contains("sync_full:1\r\n"), "{stats}");
    assert!(stats.contains("sync_partial_ok:1\r\n"), "{stats}");
    let Node::Agg(_, role) = call(&mut m, "ROLE") else { panic!("ROLE is an array") };
    assert_eq!(role[0], Node::Blob(b"$master".to_vec()));
}

/// Connects as a replica with SYNC and reads past the snapshot.
fn attach(addr: SocketAddr) -> TcpStream {
    let mut w = Wire::connect(addr);
    call(&mut w, "CONFIG SET repl-ping-replica-period 3600");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    std::io::Write::write_all(&mut s, b"SYNC\r\n").expect("send");
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        s.read_exact(&mut byte).expect("read");
        if byte[0] == b'\n' {
            if line.first() == Some(&b'$') {
                break;
            }
            line.clear(); // newlines before the bulk are keep-alives
        } else if byte[0] != b'\r' {
            line.push(byte[0]);
        }
    }
    let len: usize = std::str::from_utf8(&line[1..]).expect("utf-8").parse().expect("length");
    let mut rdb = vec![0u8; len];
    s.read_exact(&mut rdb).expect("snapshot");
    assert!(rdb.starts_with(b"REDIS0010"), "an RDB version 10 snapshot");
    s
}

/// The commands of the stream read within a short while, absolute times masked.
fn read_stream(s: &mut TcpStream) -> Vec<String> {
    s.set_read_timeout(Some(Duration::from_millis(500))).expect("timeout");
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while let Some((node, used)) = parse_node(rest) {
        rest = &rest[used..];
        let Node::Agg(_, items) = node else { continue };
        let words: Vec<String> = items
            .into_iter()
            .map(|n| match n {
                Node::Blob(b) => {
                    let text = String::from_utf8_lossy(&b[1..]).into_owned();
                    // PEXPIREAT/PXAT times and stream IDs from the clock differ between runs.
                    if text.len() >= 13 && text.bytes().all(|c| c.is_ascii_digit()) {
                        "<time>".to_string()
                    } else {
                        text
                    }
                }
                other => format!("{other:?}"),
            })
            .collect();
        out.push(words.join(" "));
    }
    out
}

#[test]
fn stream_is_the_one_redis_sends() {
    // rules: REPL-2 REPL-3
    let dir = tempfile::tempdir().expect("tempdir");
    let verdis = start_verdis(dir.path(), &["--appendonly", "no"]);
    let Some(redis) = RedisOracle::start(&[]) else {
        return;
    };
    let mut streams = Vec::new();
    for addr in [verdis.addr, redis.addr] {
        let mut s = attach(addr);
        let mut w = Wire::connect(addr);
        for line in BEFORE.iter().chain(AFTER) {
            call(&mut w, line);
        }
        for line in ["SELECT 0", "SET k v PX 100000", "LMPOP 2 nokey l LEFT COUNT 1", "FLUSHALL"] {
            call(&mut w, line);
        }
        streams.push(read_stream(&mut s));
    }
    assert_eq!(streams[0], streams[1]);
    assert!(streams[0].len() > 20, "{:?}", streams[0]);
}

#[test]
fn replication_commands_answer_as_redis() {
    // rule: REPL-6
    check_like_real_redis(
        &[(
            "replconf and wait without replicas",
            &[
                Send(0, "REPLCONF listening-port 1234", 1),
                Send(0, "REPLCONF listening-port x", 1),
                Send(0, "REPLCONF capa eof capa psync2", 1),
                Send(0, "REPLCONF foo bar", 1),
                Send(0, "REPLCONF a", 1),
                Send(0, "REPLCONF rdb-filter-only nope", 1),
                Send(0, "REPLCONF ack 10", 0),
                Send(0, "WAIT 0 0", 1),
                Send(0, "WAIT 1 10", 1),
                Send(0, "WAIT x 0", 1),
                Send(0, "WAIT 1 -1", 1),
                Send(0, "WAIT 1 y", 1),
                Send(0, "SET k v", 1),
                Send(0, "WAIT 1 20", 1),
                Send(0, "MULTI", 1),
                Send(0, "WAIT 1 0", 1),
                Send(0, "EXEC", 1),
            ],
        )],
        Expect::EveryReplyArrives,
    );
}

/// The engine alone (simulated disk, in-process saver): a replica attached with PSYNC gets
/// +FULLRESYNC, the snapshot, the held stream; WAIT blocks, asks for ACKs, answers on an ACK
/// or on its timeout.
#[test]
fn wait_and_full_resync_in_the_engine() {
    // rules: REPL-1 REPL-2 REPL-5
    use verdis::engine::repl::ReplicaState;
    use verdis::engine::testkit::{ok, Harness};
    use verdis::resp::split::split_args;
    use verdis::resp::Frame;
    let mut h = Harness::new();
    let run_as = |h: &mut Harness, id: u64, line: &str| {
        let argv = split_args(line.as_bytes()).expect("quotes");
        h.engine.execute(id, &argv, h.now_ms)
    };
    let writer = h.client;
    let replica = h.new_client();
    assert_eq!(run_as(&mut h, replica, "REPLCONF listening-port 6380"), Some(ok()));
    let psync_reply = run_as(&mut h, replica, "PSYNC ? -1");
    assert_eq!(h.engine.repl.replica(replica).map(|r| r.state), Some(ReplicaState::WaitBgsaveEnd));
    // A write during the save is held for the replica.
    assert_eq!(run_as(&mut h, writer, "SET k v"), Some(ok()));
    h.advance_ms(100);
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(h.engine.repl.replica(replica).map(|r| r.state), Some(ReplicaState::SendBulk));
    let bulks = h.engine.repl_take_bulks();
    assert_eq!(bulks.len(), 1);
    assert!(bulks[0].1.starts_with(b"$") && bulks[0].1.windows(5).any(|w| w == b"REDIS"));
    let held = h.engine.repl_bulk_sent(replica, now);
    assert_eq!(held, b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".to_vec());
    let id = h.engine.repl.replid.clone().expect("a replication ID");
    assert_eq!(psync_reply, Some(Frame::Raw(format!("+FULLRESYNC {id} 0\r\n").into_bytes())));
    assert!(h.engine.outbox.is_empty());
    // WAIT blocks until the replica acknowledges the writer's last write.
    assert_eq!(run_as(&mut h, writer, "WAIT 1 0"), None);
    h.advance_ms(100);
    let now = h.now_ms;
    h.engine.cron(now);
    let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n".to_vec();
    assert_eq!(std::mem::take(&mut h.engine.outbox), vec![(replica, Frame::Raw(getack))]);
    let offset = h.engine.repl.offset;
    run_as(&mut h, replica, &format!("REPLCONF ACK {offset}"));
    assert_eq!(std::mem::take(&mut h.engine.outbox), vec![(writer, Frame::Integer(1))]);
    // A WAIT for more replicas than there are times out with the count that acknowledged.
    assert_eq!(run_as(&mut h, writer, "WAIT 2 50"), None);
    h.advance_ms(100);
    let now = h.now_ms;
    h.engine.handle_blocked_timeouts(now);
    assert!(h.engine.outbox.contains(&(writer, Frame::Integer(1))));
    assert!(h.engine.repl.replica(replica).is_some_and(|r| r.listening_port == 6380));
}
