use crate::engine::testkit::{structured, Harness};
use crate::resp::Frame;

/// Messages waiting for `client` in the outbox, as (channel, message) pairs of pmessages.
fn messages(h: &mut Harness, client: u64) -> Vec<(String, String)> {
    let outbox = std::mem::take(&mut h.engine.outbox);
    let (mine, rest): (Vec<_>, Vec<_>) = outbox.into_iter().partition(|(id, _)| *id == client);
    h.engine.outbox = rest;
    mine.into_iter()
        .filter_map(|(_, f)| match structured(f) {
            Frame::Push(items) | Frame::Array(items) if items.len() == 4 => {
                let text = |f: &Frame| match f {
                    Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                };
                Some((text(&items[2]), text(&items[3])))
            }
            _ => None,
        })
        .collect()
}

fn subscriber(h: &mut Harness, flags: &str) -> (u64, u64) {
    let main = h.client;
    h.run(&format!("CONFIG SET notify-keyspace-events {flags}"));
    let sub = h.new_client();
    h.run("PSUBSCRIBE __key*__:*");
    h.client = main;
    (main, sub)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

// rule: NOTIFY-2
#[test]
fn keyspace_then_keyevent_for_each_event() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "KEA");
    h.run("SET foo bar");
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyspace@0__:foo", "set"), ("__keyevent@0__:set", "foo")]));
}

// rule: NOTIFY-2
#[test]
fn disabled_classes_publish_nothing() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "Kl");
    h.run("SET foo bar");
    h.run("LPUSH l a");
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyspace@0__:l", "lpush")]));
}

// rule: NOTIFY-6
#[test]
fn new_key_event_comes_before_the_command_event() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "KA$n");
    h.run("SET foo bar");
    h.run("SET foo baz");
    assert_eq!(
        messages(&mut h, sub),
        pairs(&[("__keyspace@0__:foo", "new"), ("__keyspace@0__:foo", "set"), ("__keyspace@0__:foo", "set")])
    );
}

// rule: NOTIFY-5
#[test]
fn passive_and_active_expiry_publish_expired() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "Ex");
    h.run("SET a 1 PX 10");
    h.run("SET b 1 PX 10");
    h.advance_ms(20);
    h.run("GET a");
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyevent@0__:expired", "a")]));
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyevent@0__:expired", "b")]));
}

// rule: NOTIFY-8
#[test]
fn own_events_reach_a_resp3_client_before_the_reply() {
    let mut h = Harness::new();
    h.run("CONFIG SET notify-keyspace-events KA");
    h.run("HELLO 3");
    h.run("SUBSCRIBE __keyspace@0__:foo");
    let raw = h.engine.execute(h.client, &[b"SET".to_vec(), b"foo".to_vec(), b"1".to_vec()], h.now_ms);
    let Some(Frame::Raw(bytes)) = raw else { panic!("expected pushes before the reply") };
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with(">3\r\n$7\r\nmessage\r\n$18\r\n__keyspace@0__:foo\r\n$3\r\nset\r\n+OK\r\n"), "{text}");
}

// rule: NOTIFY-3
#[test]
fn rename_raises_new_then_from_then_to() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "Kgn");
    h.run("SET a 1");
    h.run("SET b 2");
    messages(&mut h, sub);
    h.run("RENAME a b");
    assert_eq!(
        messages(&mut h, sub),
        pairs(&[("__keyspace@0__:b", "new"), ("__keyspace@0__:a", "rename_from"), ("__keyspace@0__:b", "rename_to")])
    );
}

// rule: NOTIFY-3
#[test]
fn restore_raises_restore_and_del_for_a_past_ttl() {
    let mut h = Harness::new();
    h.run("SET a 1");
    let Frame::Bulk(payload) = h.run("DUMP a") else { panic!("dump payload") };
    let (main, sub) = subscriber(&mut h, "Kg");
    h.client = main;
    h.run_argv(&[b"RESTORE".to_vec(), b"b".to_vec(), b"0".to_vec(), payload.clone()]);
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyspace@0__:b", "restore")]));
    h.run_argv(&[b"RESTORE".to_vec(), b"b".to_vec(), b"1".to_vec(), payload, b"REPLACE".to_vec(), b"ABSTTL".to_vec()]);
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyspace@0__:b", "del")]));
}

// rule: NOTIFY-7
#[test]
fn keymiss_only_for_read_lookups() {
    let mut h = Harness::new();
    let (_, sub) = subscriber(&mut h, "Em");
    h.run("GET nokey");
    h.run("OBJECT ENCODING nokey");
    h.run("LPUSHX nokey a");
    assert_eq!(messages(&mut h, sub), pairs(&[("__keyevent@0__:keymiss", "nokey")]));
}

// rule: NOTIFY-8
#[test]
fn reply_first_commands_put_events_after_the_reply() {
    let mut h = Harness::new();
    h.run("CONFIG SET notify-keyspace-events KEA");
    h.run("HELLO 3");
    h.run("SUBSCRIBE __keyevent@0__:hincrby");
    let raw = h.engine.execute(h.client, &[b"HINCRBY".to_vec(), b"h".to_vec(), b"f".to_vec(), b"2".to_vec()], h.now_ms);
    let Some(Frame::Raw(bytes)) = raw else { panic!("expected the reply then a push") };
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with(":2\r\n>3\r\n$7\r\nmessage\r\n"), "{text}");
}
