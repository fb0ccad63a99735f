//! Client-side caching with several connections over TCP, against verdis and a real
//! redis-server 7.0.15: invalidations in RESP3 and RESP2 (redirect), BCAST, flushes, compared
//! byte for byte; and the tracking table limit, which picks keys at random, on verdis alone.

mod common;

use common::wire::{args, Wire};

use common::scenario::{check_like_real_redis, Expect, Step};
use Step::{Quiet, Read, Redirect, Send};

// rules: TRACK-2 TRACK-3 TRACK-4 TRACK-6 TRACK-8
const SCENARIOS: &[(&str, &[Step])] = &[
    (
        "RESP3 client invalidated once by another connection's writes",
        &[
            Quiet(1, "HELLO 3"),
            Send(1, "CLIENT TRACKING on", 1),
            Send(0, "MSET k 1 j 1", 1),
            Send(1, "MGET k j", 1),
            Send(0, "SET k 2", 1),
            Read(1, 1),
            Send(0, "SET k 3", 1),
            Send(0, "SELECT 5", 1),
            Send(0, "SET j 3", 1),
            Read(1, 1),
            Send(1, "PING", 1),
            Send(0, "INFO stats", 0),
        ],
    ),
    (
        "RESP2 redirect to a subscribed connection, flush as a null",
        &[
            Redirect(1, 2, ""),
            Send(2, "SUBSCRIBE __redis__:invalidate", 1),
            Send(1, "GET a", 1),
            Send(1, "HGET h f", 1),
            Send(0, "HSET h f v", 1),
            Send(0, "DEL a", 1),
            Send(0, "SET a 1", 1),
            Read(2, 1),
            Send(1, "GET a", 1),
            Send(0, "FLUSHALL", 1),
            Read(2, 1),
            Send(1, "CLIENT TRACKING off", 1),
            Send(0, "SET a 2", 1),
            Send(2, "PING", 1),
        ],
    ),
    (
        "BCAST prefixes and NOLOOP",
        &[
            Quiet(1, "HELLO 3"),
            Send(1, "CLIENT TRACKING on BCAST PREFIX user: PREFIX job: NOLOOP", 1),
            Quiet(2, "HELLO 3"),
            Send(2, "CLIENT TRACKING on BCAST", 1),
            Send(0, "MSET user:1 a job:1 b other c", 1),
            Read(1, 2),
            Read(2, 1),
            Send(1, "SET user:2 x", 1),
            Read(2, 1),
            Send(0, "SET job:9 y", 1),
            Read(1, 1),
            Read(2, 1),
            Send(1, "CLIENT TRACKINGINFO", 1),
            Send(0, "FLUSHDB", 1),
            Read(1, 1),
            Read(2, 1),
        ],
    ),
];

#[test]
fn several_clients_like_real_redis() {
    check_like_real_redis(SCENARIOS, Expect::EveryReplyArrives);
}

/// Over `tracking-table-max-keys`, keys are invalidated (the client told) until the table
/// fits, even while no command runs.
// rules: TRACK-7
#[test]
fn table_limit_invalidates_keys() {
    let server = verdis::Server::start().expect("start verdis");
    let addr = server.addr();
    let mut reader = Wire::connect(addr);
    let mut admin = Wire::connect(addr);
    reader.call(&args("HELLO 3"));
    reader.call(&args("CLIENT TRACKING on"));
    for i in 0..5 {
        reader.call(&args(&format!("GET key{i}")));
    }
    let info = String::from_utf8(admin.call(&args("INFO stats"))).expect("info");
    assert!(info.contains("tracking_total_keys:5"), "{info}");
    admin.call(&args("CONFIG SET tracking-table-max-keys 2"));
    let mut invalidated = Vec::new();
    for _ in 0..3 {
        let push = String::from_utf8(reader.read_reply().expect("invalidation")).expect("utf8");
        assert!(push.starts_with(">2\r\n$10\r\ninvalidate\r\n*1\r\n"), "{push}");
        invalidated.push(push.lines().nth(5).expect("key").to_string());
    }
    invalidated.sort();
    invalidated.dedup();
    assert_eq!(invalidated.len(), 3);
    let info = String::from_utf8(admin.call(&args("INFO stats"))).expect("info");
    assert!(info.contains("tracking_total_keys:2"), "{info}");
    admin.call(&args("CONFIG SET tracking-table-max-keys 1000000"));
}

/// A redirect target that disconnected: the tracking connection is told once it would have
/// received something, and TRACKINGINFO shows the broken redirect.
// rules: TRACK-3 TRACK-8
#[test]
fn broken_redirect_is_reported() {
    let server = verdis::Server::start().expect("start verdis");
    let addr = server.addr();
    let mut client = Wire::connect(addr);
    let mut target = Wire::connect(addr);
    let mut writer = Wire::connect(addr);
    client.call(&args("HELLO 3"));
    let id = String::from_utf8(target.call(&args("CLIENT ID"))).expect("id");
    let id = id.trim_start_matches(':').trim_end().to_string();
    assert_eq!(client.call(&args(&format!("CLIENT TRACKING on REDIRECT {id} OPTIN"))), b"+OK\r\n");
    assert_eq!(client.call(&args("CLIENT GETREDIR")), format!(":{id}\r\n").into_bytes());
    client.call(&args("CLIENT CACHING yes"));
    client.call(&args("GET gone"));
    target.call(&args("QUIT"));
    writer.call(&args("PING"));
    writer.call(&args("SET gone 1"));
    let push = client.read_reply().expect("broken redirect push");
    assert_eq!(push, format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n").into_bytes());
    let info = client.call(&args("CLIENT TRACKINGINFO"));
    let want = format!(
        "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$15\r\nbroken_redirect\r\n\
         $8\r\nredirect\r\n:{id}\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&info), want);
    let list = String::from_utf8(client.call(&args("CLIENT INFO"))).expect("info");
    assert!(list.contains("flags=tR ") && list.contains(&format!("redir={id} ")), "{list}");
}
