//! Replication, replica side (rules REPL-7..13): verdis-server follows a real redis-server 7.0.15
//! (full synchronisation of every type, with the diskless `$EOF:` form and the `$<len>` form, the
//! stream, a partial resynchronisation after the link is killed), follows another verdis
//! (chained, with the promotion of the middle one), and answers REPLICAOF and its errors as real
//! Redis does.

mod common;

use common::oracle::RedisOracle;
use common::process::{fingerprint, start_verdis};
use common::repl::{call, caught_up, info_field, info_in, run_lines, wait_until};
use common::scenario::{check_like_real_redis, Expect, Step::Send};
use common::wire::{Node, Wire};

/// A dataset with every type, several databases and expiry times.
const DATASET: &[&str] = &[
    "MSET s1 hello big 123456789012345678901234567890",
    "SET n 100 EX 10000",
    "RPUSH l a b c d",
    "SADD set x y z 1 2",
    "SADD ints 1 2 3",
    "ZADD z 1 a 2.5 b -3 c",
    "HSET h f1 v1 f2 v2",
    "PFADD hll a b c",
    "SETBIT bits 100 1",
    "XADD st 1-1 f v",
    "XGROUP CREATE st g 0",
    "SELECT 3",
    "SET db3 three",
    "SELECT 0",
];

/// Writes after the synchronisation: rewritten forms, a transaction, other databases.
const WRITES: &[&str] = &[
    "INCRBYFLOAT fl 2.5",
    "LPUSH l z",
    "SPOP set 2",
    "HINCRBYFLOAT h n 1.5",
    "ZINCRBY z 2 a",
    "PEXPIRE l 100000000",
    "MULTI",
    "SADD ints 4",
    "RPOP l",
    "INCR n",
    "EXEC",
    "SELECT 5",
    "SET db5 five",
    "GETDEL db5",
    "SET tmp v EX 10000",
    "XADD st 2-1 g w",
    "SELECT 0",
    "SET gone v PX 1",
];

#[test]
fn verdis_replicates_from_real_redis() {
    // rules: REPL-7 REPL-8 REPL-9 REPL-10 REPL-11
    let Some(master) = RedisOracle::start(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    run_lines(master.addr, DATASET);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = master.addr.port().to_string();
    let replica = start_verdis(dir.path(), &["--appendonly", "no", "--replicaof", "127.0.0.1", &port]);
    // The diskless master sends the snapshot in the `$EOF:` form.
    wait_until("the full synchronisation", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    run_lines(master.addr, WRITES);
    wait_until("the stream", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    let mut r = Wire::connect(replica.addr);
    assert_eq!(call(&mut r, "SET x 1"), Node::Line(b"-READONLY You can't write against a read only replica.".to_vec()));
    let Node::Agg(_, role) = call(&mut r, "ROLE") else { panic!("ROLE is an array") };
    assert_eq!(role[0], Node::Blob(b"$slave".to_vec()));
    assert_eq!(role[2], Node::Line(format!(":{port}").into_bytes()));
    assert_eq!(role[3], Node::Blob(b"$connected".to_vec()));
    // The master sees the replica online, acknowledging its offset.
    wait_until("the ACK", || {
        info_field(master.addr, "slave0").contains("state=online")
            && info_field(master.addr, "slave0")
                .contains(&format!("offset={},", info_field(master.addr, "master_repl_offset")))
    });
    // The link is killed on the replica's side: it continues with PSYNC.
    call(&mut r, "CLIENT KILL TYPE master");
    run_lines(master.addr, &["SET after-kill 1", "RPUSH l2 q"]);
    wait_until("the partial resynchronisation", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    assert_eq!(info_in(master.addr, "stats", "sync_full"), "1");
    assert_eq!(info_in(master.addr, "stats", "sync_partial_ok"), "1");
    // Promoted and pointed back at the master: a new history, so a full synchronisation, now
    // in the `$<len>` form of a disk-based master.
    let mut m = Wire::connect(master.addr);
    call(&mut m, "CONFIG SET repl-diskless-sync no");
    assert_eq!(call(&mut r, "REPLICAOF NO ONE"), Node::Line(b"+OK".to_vec()));
    assert_eq!(call(&mut r, "SET x 1"), Node::Line(b"+OK".to_vec()));
    assert_eq!(call(&mut r, &format!("REPLICAOF 127.0.0.1 {port}")), Node::Line(b"+OK".to_vec()));
    assert_eq!(
        call(&mut r, &format!("REPLICAOF 127.0.0.1 {port}")),
        Node::Line(b"+OK Already connected to specified master".to_vec())
    );
    run_lines(master.addr, &["SET during-sync 1"]);
    wait_until("the second full synchronisation", || {
        caught_up(master.addr, replica.addr) && info_in(master.addr, "stats", "sync_full") == "2"
    });
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    assert_eq!(info_field(replica.addr, "master_replid"), info_field(master.addr, "master_replid"));
}

#[test]
fn verdis_replicates_from_verdis_in_a_chain() {
    // rules: REPL-7 REPL-9 REPL-10 REPL-13
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().expect("tempdir")).collect();
    let master = start_verdis(dirs[0].path(), &["--appendonly", "no", "--enable-debug-command", "yes"]);
    let mut w = Wire::connect(master.addr);
    assert_eq!(call(&mut w, "DEBUG DIGEST"), Node::Line(format!("+{}", "0".repeat(40)).into_bytes()));
    run_lines(master.addr, DATASET);
    let mport = master.addr.port().to_string();
    let middle = start_verdis(
        dirs[1].path(),
        &[
            "--appendonly",
            "yes",
            "--enable-debug-command",
            "yes",
            "--repl-diskless-sync-delay",
            "0",
            "--replicaof",
            "127.0.0.1",
            &mport,
        ],
    );
    wait_until("the middle replica's synchronisation", || caught_up(master.addr, middle.addr));
    let sub = start_verdis(dirs[2].path(), &["--appendonly", "no"]);
    let mut s = Wire::connect(sub.addr);
    call(&mut s, &format!("REPLICAOF 127.0.0.1 {}", middle.addr.port()));
    wait_until("the sub-replica's synchronisation", || caught_up(middle.addr, sub.addr));
    run_lines(master.addr, WRITES);
    wait_until("the stream down the chain", || caught_up(master.addr, middle.addr) && caught_up(master.addr, sub.addr));
    let expected = fingerprint(master.addr);
    assert_eq!(fingerprint(middle.addr), expected);
    assert_eq!(fingerprint(sub.addr), expected);
    // DEBUG DIGEST agrees between servers holding the same data.
    let digest = call(&mut w, "DEBUG DIGEST");
    assert_ne!(digest, Node::Line(format!("+{}", "0".repeat(40)).into_bytes()));
    assert_eq!(call(&mut Wire::connect(middle.addr), "DEBUG DIGEST"), digest);
    // DEBUG POPULATE writes without propagating; DEBUG OBJECT finds the key.
    assert_eq!(call(&mut w, "DEBUG POPULATE 2 p 3"), Node::Line(b"+OK".to_vec()));
    assert_eq!(call(&mut w, "GET p:1"), Node::Blob(b"$val".to_vec()));
    assert!(matches!(call(&mut w, "DEBUG OBJECT p:1"), Node::Line(l) if l.starts_with(b"+Value at:")));
    assert_eq!(call(&mut Wire::connect(middle.addr), "EXISTS p:1"), Node::Line(b":0".to_vec()));
    // The chain shares the master's replication ID.
    let id = info_field(master.addr, "master_replid");
    assert_eq!(info_field(sub.addr, "master_replid"), id);
    // The middle one loses its link and continues.
    let mut m = Wire::connect(middle.addr);
    call(&mut m, "CLIENT KILL TYPE master");
    run_lines(master.addr, &["SET after-kill 1"]);
    wait_until("the partial resynchronisation", || caught_up(master.addr, sub.addr));
    assert_eq!(info_in(master.addr, "stats", "sync_partial_ok"), "1");
    // Promoted, the middle one keeps its replica, which continues with the old ID.
    assert_eq!(call(&mut m, "REPLICAOF NO ONE"), Node::Line(b"+OK".to_vec()));
    assert_eq!(info_field(middle.addr, "master_replid2"), id);
    call(&mut m, "SET promoted 1");
    wait_until("the sub-replica's continuation", || caught_up(middle.addr, sub.addr));
    assert_eq!(fingerprint(sub.addr), fingerprint(middle.addr));
    assert_eq!(info_in(middle.addr, "stats", "sync_partial_ok"), "1");
    assert_eq!(info_in(middle.addr, "stats", "sync_full"), "1");
}

#[test]
fn replicaof_answers_as_redis() {
    // rules: REPL-6 REPL-7 REPL-11
    check_like_real_redis(
        &[(
            "replicaof replies and a replica's refusals",
            &[
                Send(0, "REPLICAOF", 1),
                Send(0, "REPLICAOF a", 1),
                Send(0, "REPLICAOF 127.0.0.1 abc", 1),
                Send(0, "REPLICAOF 127.0.0.1 70000", 1),
                Send(0, "REPLICAOF 127.0.0.1 -1", 1),
                Send(0, "PSYNC replid offset_str", 1),
                Send(0, "PING", 1),
                Send(0, "REPLICAOF no one", 1),
                Send(0, "SLAVEOF NO ONE", 1),
                Send(0, "SET k v", 1),
                Send(0, "REPLICAOF 127.0.0.1 1", 1),
                Send(0, "SLAVEOF 127.0.0.1 1", 1),
                Send(0, "GET k", 1),
                Send(0, "WAIT 0 0", 1),
                Send(0, "WAIT x 0", 1),
                Send(0, "SET k v2", 1),
                Send(0, "MULTI", 1),
                Send(0, "SET k v3", 1),
                Send(0, "EXEC", 1),
                Send(0, "CONFIG SET replica-serve-stale-data no", 1),
                Send(0, "GET k", 1),
                Send(0, "PING", 1),
                Send(0, "CONFIG SET replica-serve-stale-data yes", 1),
                Send(0, "CONFIG SET replica-read-only no", 1),
                Send(0, "SET k v4", 1),
                Send(0, "CONFIG SET replica-read-only yes", 1),
                Send(0, "CONFIG GET replicaof", 1),
                Send(0, "REPLICAOF NO ONE", 1),
                Send(0, "CONFIG GET replicaof", 1),
                Send(0, "GET k", 1),
            ],
        )],
        Expect::EveryReplyArrives,
    );
}

#[test]
fn a_restarted_replica_continues_from_its_rdb() {
    // rule: REPL-15
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().expect("tempdir")).collect();
    let master = start_verdis(dirs[0].path(), &["--appendonly", "no", "--repl-diskless-sync-delay", "0"]);
    let mport = master.addr.port().to_string();
    let replica_args = ["--appendonly", "no", "--save", "900 1", "--replicaof", "127.0.0.1", &mport];
    let replica = start_verdis(dirs[1].path(), &replica_args);
    run_lines(master.addr, &["SET a 1", "SELECT 3", "SET b 2"]);
    wait_until("the synchronisation", || caught_up(master.addr, replica.addr));
    // SHUTDOWN saves the RDB with the replication ID, offset and the stream's database.
    let mut r = Wire::connect(replica.addr);
    r.send(&common::wire::args("SHUTDOWN"));
    wait_until("the shutdown", || std::net::TcpStream::connect(replica.addr).is_err());
    drop(replica);
    run_lines(master.addr, &["SELECT 3", "SET c 3"]);
    let replica = start_verdis(dirs[1].path(), &replica_args);
    wait_until("the continuation", || caught_up(master.addr, replica.addr));
    assert_eq!(fingerprint(replica.addr), fingerprint(master.addr));
    assert_eq!(info_in(master.addr, "stats", "sync_full"), "1");
    assert_eq!(info_in(master.addr, "stats", "sync_partial_ok"), "1");
}
