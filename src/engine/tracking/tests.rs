use crate::engine::testkit::{structured, Harness};
use crate::resp::Frame;

/// The frames waiting in the outbox for `client` (drained).
fn delivered(h: &mut Harness, client: u64) -> Vec<Frame> {
    let outbox = std::mem::take(&mut h.engine.outbox);
    let (mine, rest): (Vec<_>, Vec<_>) = outbox.into_iter().partition(|(id, _)| *id == client);
    h.engine.outbox = rest;
    mine.into_iter().map(|(_, f)| structured(f)).collect()
}

fn invalidate(keys: &[&str]) -> Frame {
    Frame::Push(vec![Frame::bulk_str("invalidate"), Frame::Array(keys.iter().map(|k| Frame::bulk_str(k)).collect())])
}

/// A RESP3 tracking client (made current) and a writer; returns (tracker, writer).
fn setup(h: &mut Harness, options: &str) -> (u64, u64) {
    let tracker = h.client;
    h.run("HELLO 3");
    assert_eq!(h.run(&format!("CLIENT TRACKING on {options}")), Frame::ok());
    let writer = h.new_client();
    h.client = tracker;
    (tracker, writer)
}

#[test]
fn a_key_is_invalidated_once_per_read() {
    let mut h = Harness::new();
    let (tracker, writer) = setup(&mut h, "");
    h.run("GET k");
    h.client = writer;
    h.run("SET k 1");
    h.run("SET k 2");
    assert_eq!(delivered(&mut h, tracker), vec![invalidate(&["k"])]);
    assert_eq!(h.engine.tracking.total_keys(), 0);
}

#[test]
fn own_writes_are_invalidated_after_the_reply_unless_noloop() {
    let mut h = Harness::new();
    let (tracker, _) = setup(&mut h, "");
    h.run("GET k");
    assert_eq!(h.run("SET k 1"), Frame::ok());
    assert_eq!(delivered(&mut h, tracker), vec![invalidate(&["k"])]);
    h.run("CLIENT TRACKING on NOLOOP");
    h.run("GET k");
    h.run("SET k 2");
    assert!(delivered(&mut h, tracker).is_empty());
}

#[test]
fn optin_tracks_only_after_caching_yes_for_a_whole_transaction() {
    let mut h = Harness::new();
    let (tracker, writer) = setup(&mut h, "OPTIN");
    h.run("GET a");
    h.run("CLIENT CACHING yes");
    h.run("MULTI");
    h.run("GET b");
    h.run("GET c");
    h.run("EXEC");
    h.run("GET d");
    h.client = writer;
    h.run("MSET a 1 b 1 c 1 d 1");
    assert_eq!(delivered(&mut h, tracker), vec![invalidate(&["b"]), invalidate(&["c"])]);
}

#[test]
fn expiry_and_flush_invalidate() {
    let mut h = Harness::new();
    let (tracker, writer) = setup(&mut h, "");
    h.run("SET e v PX 10");
    h.run("GET e");
    h.client = writer;
    h.advance_ms(20);
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(delivered(&mut h, tracker), vec![invalidate(&["e"])]);
    h.run("FLUSHDB");
    assert_eq!(delivered(&mut h, tracker), vec![Frame::Push(vec![Frame::bulk_str("invalidate"), Frame::Null])]);
}

#[test]
fn bcast_collects_keys_per_prefix_until_broadcast() {
    let mut h = Harness::new();
    let (tracker, writer) = setup(&mut h, "BCAST PREFIX a PREFIX b");
    h.client = writer;
    h.run("MSET b2 1 a1 1 c 1 a0 1");
    assert!(delivered(&mut h, tracker).is_empty());
    h.engine.tracking_broadcast();
    assert_eq!(delivered(&mut h, tracker), vec![invalidate(&["a0", "a1"]), invalidate(&["b2"])]);
    assert_eq!(h.engine.tracking.total_prefixes(), 2);
    h.client = tracker;
    h.run("CLIENT TRACKING off");
    assert_eq!(h.engine.tracking.total_prefixes(), 0);
    assert_eq!(h.engine.tracking.clients, 0);
}

#[test]
fn resp2_redirect_needs_a_subscribed_target() {
    let mut h = Harness::new();
    let tracker = h.client;
    let target = h.new_client();
    h.client = tracker;
    h.run(&format!("CLIENT TRACKING on REDIRECT {target}"));
    h.run("GET k");
    h.run("SET k 1");
    assert!(delivered(&mut h, target).is_empty());
    h.client = target;
    h.run("SUBSCRIBE __redis__:invalidate");
    h.client = tracker;
    h.run("GET k");
    h.run("SET k 2");
    let message = Frame::Push(vec![
        Frame::bulk_str("message"),
        Frame::bulk_str("__redis__:invalidate"),
        Frame::Array(vec![Frame::bulk_str("k")]),
    ]);
    assert_eq!(delivered(&mut h, target), vec![message]);
}

#[test]
fn table_limit_evicts_down_to_the_limit_before_a_command() {
    let mut h = Harness::new();
    let (tracker, _) = setup(&mut h, "");
    for i in 0..10 {
        h.run(&format!("GET k{i}"));
    }
    assert_eq!((h.engine.tracking.total_keys(), h.engine.tracking.total_items()), (10, 10));
    h.run("CONFIG SET tracking-table-max-keys 4");
    let pushes = delivered(&mut h, tracker);
    assert!(pushes.is_empty(), "{pushes:?}");
    h.run("PING");
    assert_eq!(h.engine.tracking.total_keys(), 4);
}
