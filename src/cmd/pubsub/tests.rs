//! Pub/Sub against the engine, each expectation checked on redis-server 7.0.15.

use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::resp::{decode, Frame};

/// The frames a reply's bytes hold (several for the (un)subscribe commands).
fn frames(reply: Frame) -> Vec<Frame> {
    let Frame::Raw(bytes) = reply else { return vec![reply] };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let Ok(Some((frame, used))) = decode(&bytes[pos..]) else { panic!("undecodable reply bytes") };
        out.push(frame);
        pos += used;
    }
    out
}

/// A notification or message as RESP2 shows it (an array) or RESP3 (a push).
fn msg(resp: u8, parts: &[Frame]) -> Frame {
    if resp == 2 {
        Frame::Array(parts.to_vec())
    } else {
        Frame::Push(parts.to_vec())
    }
}

fn note(resp: u8, verb: &str, name: Option<&str>, count: i64) -> Frame {
    msg(resp, &[bulk(verb), name.map_or(Frame::Null, bulk), int(count)])
}

/// Messages waiting for `client` in the outbox, in order (the outbox is drained).
fn delivered(h: &mut Harness, client: u64) -> Vec<Frame> {
    let outbox = std::mem::take(&mut h.engine.outbox);
    let (mine, rest): (Vec<_>, Vec<_>) = outbox.into_iter().partition(|(id, _)| *id == client);
    h.engine.outbox = rest;
    mine.into_iter().map(|(_, f)| f).collect()
}

// rule: PUBSUB-1
#[test]
fn subscribe_notifies_each_channel_with_the_count() {
    let mut h = Harness::new();
    assert_eq!(
        frames(h.run("SUBSCRIBE a b a")),
        vec![
            note(2, "subscribe", Some("a"), 1),
            note(2, "subscribe", Some("b"), 2),
            note(2, "subscribe", Some("a"), 2)
        ]
    );
    assert_eq!(
        frames(h.run("PSUBSCRIBE a* b?")),
        vec![note(2, "psubscribe", Some("a*"), 3), note(2, "psubscribe", Some("b?"), 4)]
    );
    // Shard channels count apart.
    assert_eq!(frames(h.run("SSUBSCRIBE s1")), vec![note(2, "ssubscribe", Some("s1"), 1)]);
    assert_eq!(
        frames(h.run("UNSUBSCRIBE b nosuch")),
        vec![note(2, "unsubscribe", Some("b"), 3), note(2, "unsubscribe", Some("nosuch"), 3)]
    );
    // Without arguments: every subscription in subscription order.
    assert_eq!(
        frames(h.run("PUNSUBSCRIBE")),
        vec![note(2, "punsubscribe", Some("a*"), 2), note(2, "punsubscribe", Some("b?"), 1)]
    );
    assert_eq!(frames(h.run("UNSUBSCRIBE")), vec![note(2, "unsubscribe", Some("a"), 0)]);
    assert_eq!(frames(h.run("SUNSUBSCRIBE")), vec![note(2, "sunsubscribe", Some("s1"), 0)]);
    // Nothing to leave: one notification with a null name.
    assert_eq!(frames(h.run("UNSUBSCRIBE")), vec![note(2, "unsubscribe", None, 0)]);
    assert_eq!(frames(h.run("PUNSUBSCRIBE")), vec![note(2, "punsubscribe", None, 0)]);
    assert_eq!(frames(h.run("SUNSUBSCRIBE")), vec![note(2, "sunsubscribe", None, 0)]);
    assert_eq!(h.run("PING"), Frame::simple("PONG"));
}

// rule: PUBSUB-2 PUBSUB-3
#[test]
fn publish_delivers_to_channels_then_patterns() {
    let mut h = Harness::new();
    let sub = h.client;
    h.run("SUBSCRIBE foo.bar");
    h.run("PSUBSCRIBE foo.* *");
    let other = h.new_client();
    h.run("SSUBSCRIBE foo.bar");
    let publisher = h.new_client();
    assert_eq!(h.run("PUBLISH foo.bar hello"), int(3));
    // Messages for other connections wait in the outbox as pushes (arrays in RESP2).
    assert_eq!(
        delivered(&mut h, sub),
        vec![
            msg(3, &[bulk("message"), bulk("foo.bar"), bulk("hello")]),
            msg(3, &[bulk("pmessage"), bulk("*"), bulk("foo.bar"), bulk("hello")]),
            msg(3, &[bulk("pmessage"), bulk("foo.*"), bulk("foo.bar"), bulk("hello")]),
        ]
    );
    assert_eq!(delivered(&mut h, other), vec![]);
    assert_eq!(h.run("PUBLISH nobody x"), int(1));
    assert_eq!(delivered(&mut h, sub), vec![msg(3, &[bulk("pmessage"), bulk("*"), bulk("nobody"), bulk("x")])]);
    // Shard channels ignore patterns.
    assert_eq!(h.run("SPUBLISH foo.bar s"), int(1));
    assert_eq!(delivered(&mut h, other), vec![msg(3, &[bulk("smessage"), bulk("foo.bar"), bulk("s")])]);
    assert_eq!(h.run("SPUBLISH nobody s"), int(0));
    assert!(h.engine.outbox.is_empty());
    let _ = publisher;
}

// rule: PUBSUB-4
#[test]
fn subscribed_resp2_connection_is_restricted() {
    let mut h = Harness::new();
    h.run("SUBSCRIBE a");
    let restricted = |name: &str| {
        err(&format!(
            "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in \
             this context"
        ))
    };
    assert_eq!(h.run("GET a"), restricted("get"));
    assert_eq!(h.run("CLIENT INFO"), restricted("client|info"));
    assert_eq!(h.run("PUBLISH a b"), restricted("publish"));
    assert_eq!(h.run("MULTI"), restricted("multi"));
    // Unknown commands and wrong arity are refused first.
    assert_eq!(h.run("SET a"), err("ERR wrong number of arguments for 'set' command"));
    assert!(h.run("NOSUCH").is_error());
    assert_eq!(h.run("PING"), Frame::Array(vec![bulk("pong"), bulk("")]));
    assert_eq!(h.run("PING x"), Frame::Array(vec![bulk("pong"), bulk("x")]));
    assert_eq!(h.run("HELLO 3"), restricted("hello"));
    // RESET leaves every subscription, without notifications.
    assert_eq!(h.run("RESET"), Frame::simple("RESET"));
    assert_eq!(h.run("GET a"), Frame::Null);
    assert_eq!(h.run("PUBSUB NUMSUB a"), Frame::Array(vec![bulk("a"), int(0)]));
    // RESP3 has no restriction and a normal PING; back in RESP2 the restriction applies.
    assert!(!h.run("HELLO 3").is_error());
    h.run("SUBSCRIBE a");
    assert_eq!(h.run("GET a"), Frame::Null);
    assert_eq!(h.run("PING"), Frame::simple("PONG"));
    assert!(!h.run("HELLO 2").is_error());
    assert_eq!(h.run("GET a"), restricted("get"));
}

// rule: PUBSUB-5
#[test]
fn resp3_pushes_and_messages_to_self() {
    let mut h = Harness::new();
    h.run("HELLO 3");
    assert_eq!(frames(h.run("SUBSCRIBE a")), vec![note(3, "subscribe", Some("a"), 1)]);
    let mut bytes = Vec::new();
    crate::resp::encode(&note(3, "psubscribe", Some("a*"), 2), 3, &mut bytes);
    assert_eq!(bytes, b">3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:2\r\n".to_vec());
    assert_eq!(h.run("PSUBSCRIBE a*"), note(3, "psubscribe", Some("a*"), 2));
    // Its own messages come before the PUBLISH reply.
    assert_eq!(
        frames(h.run("PUBLISH a hi")),
        vec![
            msg(3, &[bulk("message"), bulk("a"), bulk("hi")]),
            msg(3, &[bulk("pmessage"), bulk("a*"), bulk("a"), bulk("hi")]),
            int(2)
        ]
    );
    assert_eq!(frames(h.run("UNSUBSCRIBE")), vec![note(3, "unsubscribe", Some("a"), 1)]);
    // CLIENT REPLY OFF drops replies but not notifications and messages.
    h.run("CLIENT REPLY OFF");
    assert_eq!(frames(h.run("SUBSCRIBE b")), vec![note(3, "subscribe", Some("b"), 2)]);
    assert_eq!(frames(h.run("PUBLISH b m")), vec![msg(3, &[bulk("message"), bulk("b"), bulk("m")])]);
    assert_eq!(h.run("GET x"), Frame::Raw(Vec::new()));
}

// rule: PUBSUB-6
#[test]
fn pubsub_introspection() {
    let mut h = Harness::new();
    h.run("SUBSCRIBE b a");
    h.run("PSUBSCRIBE foo* bar*");
    h.run("SSUBSCRIBE s");
    h.new_client();
    h.run("PSUBSCRIBE foo*");
    h.run("SUBSCRIBE a");
    h.new_client();
    assert_eq!(h.run("PUBSUB CHANNELS"), Frame::array_of_bulks(["a", "b"]));
    assert_eq!(h.run("PUBSUB CHANNELS b*"), Frame::array_of_bulks(["b"]));
    assert_eq!(h.run("PUBSUB SHARDCHANNELS"), Frame::array_of_bulks(["s"]));
    assert_eq!(h.run("PUBSUB SHARDCHANNELS x"), Frame::Array(vec![]));
    assert_eq!(
        h.run("PUBSUB NUMSUB a b c"),
        Frame::Array(vec![bulk("a"), int(2), bulk("b"), int(1), bulk("c"), int(0)])
    );
    assert_eq!(h.run("PUBSUB NUMSUB"), Frame::Array(vec![]));
    assert_eq!(h.run("PUBSUB SHARDNUMSUB s a"), Frame::Array(vec![bulk("s"), int(1), bulk("a"), int(0)]));
    assert_eq!(h.run("PUBSUB NUMPAT"), int(2));
    assert_eq!(
        h.run("PUBSUB CHANNELS a b"),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    assert_eq!(h.run("PUBSUB NUMPAT x"), err("ERR wrong number of arguments for 'pubsub|numpat' command"));
    assert_eq!(h.run("PUBSUB FOO"), err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."));
    let Frame::Array(help) = h.run("PUBSUB HELP") else { panic!("help") };
    assert_eq!(help.len(), 14);
    let Frame::Verbatim(_, info) = h.run("INFO stats") else { panic!("info") };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("pubsub_channels:2\r\npubsub_patterns:2\r\npubsubshard_channels:1\r\n"), "{info}");
}

// rule: PUBSUB-7
#[test]
fn client_list_and_disconnect() {
    let mut h = Harness::new();
    let sub = h.client;
    h.run("HELLO 3");
    h.run("SUBSCRIBE a b");
    h.run("PSUBSCRIBE p*");
    h.run("SSUBSCRIBE s");
    let Frame::Verbatim(_, info) = h.run("CLIENT INFO") else { panic!("info") };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains(" flags=P ") && info.contains(" sub=2 psub=1 ssub=1 "), "{info:?}");
    h.new_client();
    let Frame::Verbatim(_, list) = h.run("CLIENT LIST TYPE pubsub") else { panic!("list") };
    assert_eq!(String::from_utf8_lossy(&list).lines().count(), 1);
    h.engine.disconnect(sub);
    assert_eq!(h.run("PUBSUB NUMSUB a"), Frame::Array(vec![bulk("a"), int(0)]));
    assert_eq!(h.run("PUBSUB NUMPAT"), int(0));
    assert_eq!(h.run("PUBLISH a x"), int(0));
}

// rule: PUBSUB-8
#[test]
fn pubsub_inside_exec() {
    let mut h = Harness::new();
    h.run("MULTI");
    h.run("SUBSCRIBE a");
    h.run("PUBLISH a x");
    h.run("SSUBSCRIBE s");
    // The notifications take the place of SUBSCRIBE's reply inside the array.
    assert_eq!(
        h.run("EXEC"),
        Frame::Array(vec![
            Frame::Raw(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n".to_vec()),
            Frame::Raw(b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n:1\r\n".to_vec()),
            err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"),
        ])
    );
    assert_eq!(h.run("PING"), Frame::Array(vec![bulk("pong"), bulk("")]));
    assert!(!h.run("UNSUBSCRIBE a").is_error());
    assert_eq!(h.run("SET k v"), ok());
}
