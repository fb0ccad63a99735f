//! The replica's side of replication in the engine alone (no sockets): two engines, one the
//! master and one its replica, with the test carrying the bytes between them the way the server
//! would (the handshake lines, the snapshot, the stream as commands of the master client).

use verdis::engine::repl::replica::{LinkState, LinkStep};
use verdis::engine::testkit::{bulk, err, int, ok, Harness};
use verdis::resp::split::split_args;
use verdis::resp::{Frame, ParseLimits, RequestParser};

fn run_as(h: &mut Harness, id: u64, line: &str) -> Option<Frame> {
    let argv = split_args(line.as_bytes()).expect("quotes");
    h.engine.execute(id, &argv, h.now_ms)
}

fn info_field(h: &mut Harness, name: &str) -> String {
    let (Frame::Bulk(text) | Frame::Verbatim(_, text)) = h.run("INFO replication") else { panic!("INFO is a bulk") };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.split("\r\n").find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string)).unwrap_or_default()
}

fn role(h: &mut Harness) -> Vec<Frame> {
    let Frame::Array(items) = h.run("ROLE") else { panic!("ROLE is an array") };
    items
}

/// What the replica wrote to the master, as text.
fn sent(h: &mut Harness) -> String {
    String::from_utf8_lossy(&h.engine.repl_link_take_output()).into_owned()
}

/// A new client that does not become the harness's current one.
fn other_client(h: &mut Harness) -> u64 {
    let current = h.client;
    let id = h.new_client();
    h.client = current;
    id
}

/// Runs the master's stream bytes as the master client, as the server does.
fn apply_stream(r: &mut Harness, bytes: &[u8]) {
    let id = r.engine.repl_master_client().expect("a master client");
    let mut parser = RequestParser::new();
    let limits = ParseLimits { max_bulk_bytes: 1 << 29, authenticated: true };
    let mut pos = 0;
    while pos < bytes.len() {
        let (n, argv) = parser.parse(&bytes[pos..], limits).expect("protocol");
        let argv = argv.expect("whole commands");
        let reply = r.engine.execute(id, &argv, r.now_ms);
        assert!(reply.as_ref().is_none_or(|f| !f.is_error()), "{argv:?} failed: {reply:?}");
        r.engine.repl_master_applied(&bytes[pos..pos + n]);
        pos += n;
    }
}

/// The stream bytes the master queued for its replica client.
fn stream_for(m: &mut Harness, replica: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, frame) in std::mem::take(&mut m.engine.outbox) {
        if let (true, Frame::Raw(bytes)) = (id == replica, frame) {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// Drives the replica's handshake with the master engine; returns the master's client for it
/// and the master's reply to PSYNC.
fn handshake(r: &mut Harness, m: &mut Harness) -> (u64, String) {
    assert!(r.engine.repl_link_wants_connect().is_some());
    let now = r.now_ms;
    r.engine.repl_link_connecting(now);
    assert_eq!(role(r)[3], bulk("connecting"));
    r.engine.repl_link_connected(now);
    assert_eq!(sent(r), "*1\r\n$4\r\nPING\r\n");
    assert_eq!(r.engine.repl_link_line(b"+PONG", now), LinkStep::Continue);
    assert_eq!(role(r)[3], bulk("handshake"));
    let conf = sent(r);
    assert_eq!(
        conf,
        "*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$4\r\n6379\r\n\
         *5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
    );
    let link = other_client(m);
    assert_eq!(run_as(m, link, "REPLCONF listening-port 6379"), Some(ok()));
    assert_eq!(run_as(m, link, "REPLCONF capa eof capa psync2"), Some(ok()));
    r.engine.repl_link_line(b"+OK", now);
    r.engine.repl_link_line(b"+OK", now);
    let psync = sent(r);
    let argv =
        split_args(psync.lines().filter(|l| !l.starts_with(['*', '$'])).collect::<Vec<_>>().join(" ").as_bytes())
            .expect("words");
    assert_eq!(argv[0], b"PSYNC");
    let reply = m.engine.execute(link, &argv, m.now_ms);
    let mut text = match reply {
        Some(Frame::Raw(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => String::new(),
    };
    // A continuation's reply comes through the outbox, with the missing stream.
    for (id, frame) in std::mem::take(&mut m.engine.outbox) {
        if let (true, Frame::Raw(bytes)) = (id == link, frame) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    (link, text)
}

#[test]
fn a_replica_synchronises_applies_the_stream_and_continues_after_a_lost_link() {
    // rules: REPL-7 REPL-8 REPL-9 REPL-10 REPL-11 REPL-12
    let mut m = Harness::new();
    let mut r = Harness::new();
    // Two servers differ at least by their port, which new replication IDs depend on.
    r.engine.process.tcp_port = 6381;
    // The replica takes a diskless transfer: without this the master would wait 5 s for more.
    m.run("CONFIG SET repl-diskless-sync-delay 0");
    m.run("SET k v");
    m.run("RPUSH l a b c");
    m.run("SET soon v PX 5000");
    r.run("SET old 1");
    assert_eq!(r.run("REPLICAOF 127.0.0.1 6380"), ok());
    assert_eq!(r.run("replicaof 127.0.0.1 6380"), Frame::Simple("OK Already connected to specified master".into()));
    assert_eq!(role(&mut r), vec![bulk("slave"), bulk("127.0.0.1"), int(6380), bulk("connect"), int(-1)]);
    assert_eq!(info_field(&mut r, "master_link_status"), "down");
    assert_eq!(info_field(&mut r, "master_link_down_since_seconds"), "-1");
    assert_eq!(r.run("SET x 1"), err("READONLY You can't write against a read only replica."));
    // PSYNC asks with the ID the replica had as a master.
    let own_id = info_field(&mut r, "master_replid");
    let (link, reply) = handshake(&mut r, &mut m);
    let master_id = m.engine.repl.replid.clone().expect("an ID");
    assert_ne!(own_id, master_id);
    assert_eq!(reply, format!("+FULLRESYNC {master_id} 0\r\n"));
    let now = r.now_ms;
    assert_eq!(r.engine.repl_link_line(reply.trim_end().as_bytes(), now), LinkStep::Continue);
    assert_eq!(role(&mut r)[3], bulk("sync"));
    assert_eq!(info_field(&mut r, "master_sync_in_progress"), "1");
    // A write while the master saves reaches the replica after the snapshot.
    m.run("INCR counter");
    m.advance_ms(100);
    let mnow = m.now_ms;
    m.engine.cron(mnow);
    let bulks = m.engine.repl_take_bulks();
    let snapshot = bulks[0].1.clone();
    let held = m.engine.repl_bulk_sent(link, mnow);
    // Keep-alive newlines, then the snapshot, delivered in two pieces.
    let mut payload = b"\n\n".to_vec();
    payload.extend_from_slice(&snapshot);
    let half = payload.len() / 2;
    assert_eq!(r.engine.repl_link_transfer(&payload[..half], now), Ok(half));
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Transfer));
    assert_eq!(r.engine.repl_link_transfer(&payload[half..], now), Ok(payload.len() - half));
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connected));
    assert_eq!(r.run("GET old"), Frame::Null);
    assert_eq!(r.run("LRANGE l 0 -1"), Frame::Array(vec![bulk("a"), bulk("b"), bulk("c")]));
    apply_stream(&mut r, &held);
    assert_eq!(r.run("GET counter"), bulk("1"));
    assert_eq!(info_field(&mut r, "slave_repl_offset"), m.engine.repl.offset.to_string());
    assert_eq!(info_field(&mut r, "master_replid"), master_id);
    assert_eq!(role(&mut r)[3], bulk("connected"));
    // A transaction counts once EXEC ran; REPLCONF GETACK answers with the offset before it.
    m.run("MULTI");
    m.run("SET t1 1");
    m.run("SET t2 2");
    m.run("EXEC");
    let stream = stream_for(&mut m, link);
    apply_stream(&mut r, &stream);
    assert_eq!(r.run("GET t2"), bulk("2"));
    let offset = m.engine.repl.offset;
    assert_eq!(info_field(&mut r, "slave_repl_offset"), offset.to_string());
    let id = r.engine.repl_master_client().expect("master client");
    assert_eq!(run_as(&mut r, id, "REPLCONF GETACK *"), Some(Frame::Raw(Vec::new())));
    let ack = format!("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n${}\r\n{offset}\r\n", offset.to_string().len());
    assert_eq!(sent(&mut r), ack);
    // Expired keys: missing for clients, not deleted, still there for the master's stream.
    r.advance_ms(10_000);
    assert!(r.engine.dbs[0].contains(b"soon"));
    assert_eq!(r.run("GET soon"), Frame::Null);
    assert!(r.engine.dbs[0].contains(b"soon"));
    // No active expiry either.
    let now = r.now_ms;
    r.engine.cron(now);
    assert_eq!(r.engine.dbs[0].len(), 6);
    assert_eq!(run_as(&mut r, id, "APPEND soon x"), Some(int(2)));
    // A writable replica's own write deletes the expired key it looks up.
    r.run("CONFIG SET replica-read-only no");
    assert_eq!(r.run("APPEND soon y"), int(1));
    assert_eq!(r.run("TTL soon"), int(-1));
    r.run("CONFIG SET replica-read-only yes");
    let (Frame::Bulk(list) | Frame::Verbatim(_, list)) = r.run("CLIENT LIST TYPE master") else {
        panic!("CLIENT LIST is a bulk")
    };
    assert!(String::from_utf8_lossy(&list).contains(" flags=M "));
    assert!(String::from_utf8_lossy(&list).contains(" user=(superuser) "));
    // The link drops: the stream is cached and PSYNC continues it.
    r.run("CONFIG SET replica-serve-stale-data no");
    r.engine.disconnect(id);
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connect));
    assert_eq!(r.run("GET k"), err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."));
    assert!(matches!(r.run("INFO replication"), Frame::Bulk(_) | Frame::Verbatim(..)));
    assert_eq!(
        r.run("PSYNC ? -1"),
        err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
    );
    r.run("CONFIG SET replica-serve-stale-data yes");
    assert_eq!(r.run("PSYNC ? -1"), err("NOMASTERLINK Can't SYNC while not connected with my master"));
    m.run("SET during-outage 1");
    stream_for(&mut m, link);
    let (_, reply) = handshake(&mut r, &mut m);
    assert!(reply.starts_with(&format!("+CONTINUE {master_id}\r\n")), "{reply}");
    let (line, rest) = reply.split_once("\r\n").expect("a line");
    let now = r.now_ms;
    r.engine.repl_link_line(line.as_bytes(), now);
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connected));
    apply_stream(&mut r, rest.as_bytes());
    assert_eq!(r.run("GET during-outage"), bulk("1"));
    assert_eq!(r.run("GET k"), bulk("v"));
    assert_eq!(m.engine.repl.sync_partial_ok, 1);
    // Promoted: the data stays, the ID shifts.
    assert_eq!(r.run("REPLICAOF NO ONE"), ok());
    assert_eq!(info_field(&mut r, "role"), "master");
    assert_eq!(info_field(&mut r, "master_replid2"), master_id);
    assert_eq!(info_field(&mut r, "second_repl_offset"), (m.engine.repl.offset + 1).to_string());
    assert_ne!(info_field(&mut r, "master_replid"), master_id);
    assert_eq!(r.run("SET x 1"), ok());
}

#[test]
fn the_eof_marked_snapshot_and_handshake_errors() {
    // rules: REPL-9 REPL-10
    let mut m = Harness::new();
    let mut r = Harness::new();
    m.run("SET k v");
    r.run("CONFIG SET masterauth secret");
    assert_eq!(r.run("SLAVEOF localhost 7000"), ok());
    let now = r.now_ms;
    r.engine.repl_link_connecting(now);
    r.engine.repl_link_connected(now);
    sent(&mut r);
    // An error to PING other than an authentication one ends the attempt.
    assert_eq!(r.engine.repl_link_line(b"-ERR unknown", now), LinkStep::Close);
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connect));
    r.engine.repl_link_connecting(now);
    r.engine.repl_link_connected(now);
    sent(&mut r);
    assert_eq!(r.engine.repl_link_line(b"-NOAUTH Authentication required.", now), LinkStep::Continue);
    assert!(sent(&mut r).starts_with("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"));
    assert_eq!(r.engine.repl_link_line(b"-WRONGPASS invalid", now), LinkStep::Close);
    // A full synchronisation with the EOF-marked form, the ACK sent at once.
    r.engine.repl_link_connecting(now);
    r.engine.repl_link_connected(now);
    for line in ["+PONG", "+OK", "+OK", "+OK"] {
        r.engine.repl_link_line(line.as_bytes(), now);
    }
    // SLAVEOF on a master: PSYNC offers the server's own history.
    assert!(sent(&mut r).contains("*3\r\n$5\r\nPSYNC\r\n$40\r\n"));
    let id = "a".repeat(40);
    r.engine.repl_link_line(format!("+FULLRESYNC {id} 77").as_bytes(), now);
    let client = other_client(&mut m);
    run_as(&mut m, client, "PSYNC ? -1");
    m.advance_ms(100);
    let mnow = m.now_ms;
    m.engine.cron(mnow);
    let bulk_bytes = m.engine.repl_take_bulks().remove(0).1;
    let rdb_start = bulk_bytes.iter().position(|&b| b == b'\n').expect("header") + 1;
    let mark = "0123456789".repeat(4);
    let mut payload = format!("$EOF:{mark}\r\n").into_bytes();
    payload.extend_from_slice(&bulk_bytes[rdb_start..]);
    payload.extend_from_slice(mark.as_bytes());
    payload.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(r.engine.repl_link_transfer(&payload, now), Ok(payload.len() - 14));
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connected));
    assert_eq!(sent(&mut r), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n77\r\n");
    assert_eq!(r.run("GET k"), bulk("v"));
    assert_eq!(info_field(&mut r, "master_replid"), id);
    assert_eq!(info_field(&mut r, "master_repl_offset"), "77");
    apply_stream(&mut r, b"*1\r\n$4\r\nPING\r\n");
    assert_eq!(info_field(&mut r, "slave_repl_offset"), "91");
    // Every second the replica acknowledges.
    r.advance_ms(1500);
    let now = r.now_ms;
    r.engine.cron(now);
    assert_eq!(sent(&mut r), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$2\r\n91\r\n");
    // The master aborting the transfer.
    r.run("REPLICAOF 127.0.0.2 7000");
    r.engine.repl_link_connecting(now);
    r.engine.repl_link_connected(now);
    for line in ["+PONG", "+OK", "+OK", "+OK", "+FULLRESYNC 0123456789012345678901234567890123456789 5"] {
        r.engine.repl_link_line(line.as_bytes(), now);
    }
    assert_eq!(r.engine.repl_link_transfer(b"-ERR no\r\n", now), Err(()));
    assert_eq!(r.engine.repl_link_state(), Some(LinkState::Connect));
}

#[test]
fn replicaof_blocks_and_errors() {
    // rules: REPL-7 REPL-13
    let mut r = Harness::new();
    let blocked = other_client(&mut r);
    assert_eq!(run_as(&mut r, blocked, "BLPOP nolist 0"), None);
    assert!(r.engine.is_blocked(blocked));
    assert_eq!(r.run("REPLICAOF 10.0.0.1 6379"), ok());
    let unblocked = std::mem::take(&mut r.engine.outbox);
    assert_eq!(
        unblocked,
        vec![(
            blocked,
            err("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
        )]
    );
    assert_eq!(r.run("CONFIG GET replicaof"), Frame::Map(vec![(bulk("replicaof"), bulk("10.0.0.1 6379"))]));
    assert_eq!(r.run("REPLICAOF 10.0.0.1 65536"), err("ERR Invalid master port"));
    assert_eq!(r.run("REPLICAOF NO ONE"), ok());
    assert_eq!(r.run("CONFIG GET replicaof"), Frame::Map(vec![(bulk("replicaof"), bulk(""))]));
    assert_eq!(r.run("REPLICAOF NO ONE"), ok());
    assert_eq!(r.run("SET a b"), ok());
}

#[test]
fn a_diskless_capable_replica_waits_for_the_sync_delay() {
    // rule: REPL-14
    let mut m = Harness::new();
    let link = other_client(&mut m);
    assert_eq!(run_as(&mut m, link, "REPLCONF capa eof capa psync2"), Some(ok()));
    run_as(&mut m, link, "PSYNC ? -1");
    assert!(m.engine.outbox.is_empty(), "no +FULLRESYNC before the delay");
    for _ in 0..4 {
        m.advance_ms(1000);
        let now = m.now_ms;
        m.engine.cron(now);
        assert!(m.engine.outbox.iter().all(|(_, f)| *f == Frame::Raw(b"\n".to_vec())));
    }
    m.advance_ms(1000);
    let now = m.now_ms;
    m.engine.cron(now);
    let id = m.engine.repl.replid.clone().expect("an ID");
    assert!(m.engine.outbox.contains(&(link, Frame::Raw(format!("+FULLRESYNC {id} 0\r\n").into_bytes()))));
}

#[test]
fn replica_and_monitor_connections_do_not_use_the_keyspace() {
    // rule: REPL-16
    let mut m = Harness::new();
    let monitor = other_client(&mut m);
    run_as(&mut m, monitor, "MONITOR");
    assert_eq!(run_as(&mut m, monitor, "GET foo"), Some(err("ERR Replica can't interact with the keyspace")));
    let link = other_client(&mut m);
    run_as(&mut m, link, "PSYNC ? -1");
    // The error is not sent: the replica is disconnected instead.
    assert_eq!(run_as(&mut m, link, "GET foo"), None);
    assert!(m.engine.client(link).is_some_and(|c| c.close_after_reply));
    let log: Vec<String> = m.engine.persist.log.iter().map(|(_, line)| line.clone()).collect();
    assert!(log.iter().any(|l| l.starts_with(
        "== CRITICAL == This master is sending an error to its replica: 'ERR Replica can't interact with the keyspace' after processing the command 'get'"
    )));
    assert!(log.iter().any(|l| l.starts_with("Replica generated a reply to command 'get', disconnecting it: id=")));
    // A master's stream command that fails is logged too.
    let mut r = Harness::new();
    r.run("REPLICAOF 127.0.0.1 1");
    let now = r.now_ms;
    r.engine.repl_link_connecting(now);
    r.engine.repl_link_connected(now);
    for line in ["+PONG", "+OK", "+OK"] {
        r.engine.repl_link_line(line.as_bytes(), now);
    }
    r.engine.repl_link_line(format!("+CONTINUE {}", "b".repeat(40)).as_bytes(), now);
    let id = r.engine.repl_master_client().expect("master client");
    run_as(&mut r, id, "INCR");
    let log: Vec<String> = r.engine.persist.log.iter().map(|(_, line)| line.clone()).collect();
    assert!(log.iter().any(|l| l.starts_with("== CRITICAL == This replica is sending an error to its master: ")));
}

#[test]
fn a_past_expiry_time_on_a_writable_replica_does_not_delete() {
    // rule: REPL-12
    let mut r = Harness::new();
    r.run("SET k v");
    r.run("CONFIG SET replica-read-only no");
    assert_eq!(r.run("REPLICAOF 127.0.0.1 6380"), ok());
    assert_eq!(r.run("PEXPIREAT k 1"), int(1));
    assert_eq!(r.engine.dbs[0].len(), 1, "the key stays until the master's DEL");
    assert_eq!(r.run("GET k"), Frame::Null);
}
