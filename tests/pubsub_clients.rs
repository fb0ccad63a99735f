//! Pub/Sub with several connections over TCP, against verdis and a real redis-server 7.0.15:
//! the same steps on both, every reply and delivered message compared byte for byte.

mod common;

use common::wire::{args, Wire};

use common::scenario::{check_like_real_redis, Expect, Step};
use Step::{Quiet, Read, Send};

// rules: PUBSUB-2 PUBSUB-3 PUBSUB-5 PUBSUB-7
const SCENARIOS: &[(&str, &[Step])] = &[
    (
        "two subscribers, messages in order",
        &[
            Send(1, "SUBSCRIBE chan1 chan2", 2),
            Send(2, "SUBSCRIBE chan1", 1),
            Send(0, "PUBLISH chan1 hello", 1),
            Send(0, "PUBLISH chan2 world", 1),
            Send(0, "PUBLISH chan3 nobody", 1),
            Send(0, "PUBLISH chan1 again", 1),
            Read(1, 3),
            Read(2, 2),
            Send(1, "UNSUBSCRIBE chan1", 1),
            Send(0, "PUBLISH chan1 x", 1),
            Send(0, "PUBLISH chan2 y", 1),
            Read(1, 1),
            Send(0, "PUBSUB NUMSUB chan1 chan2", 1),
        ],
    ),
    (
        "channel before pattern, deliveries counted",
        &[
            Send(1, "SUBSCRIBE foo.bar", 1),
            Send(1, "PSUBSCRIBE foo.*", 1),
            Send(2, "PSUBSCRIBE foo.*", 1),
            Send(3, "SSUBSCRIBE foo.bar", 1),
            Send(0, "PUBLISH foo.bar hello", 1),
            Read(1, 2),
            Read(2, 1),
            Send(0, "SPUBLISH foo.bar shard", 1),
            Read(3, 1),
            Send(0, "PUBSUB NUMPAT", 1),
            Send(0, "PUBSUB CHANNELS", 1),
            Send(0, "PUBSUB SHARDCHANNELS", 1),
            Send(2, "PUNSUBSCRIBE", 1),
            Send(0, "PUBLISH foo.x y", 1),
            Read(1, 1),
            Send(0, "PUBSUB NUMPAT", 1),
        ],
    ),
    (
        "RESP3 subscriber keeps running commands",
        &[
            Quiet(1, "HELLO 3"),
            Send(1, "SUBSCRIBE news", 1),
            Send(0, "SET k v", 1),
            Send(0, "PUBLISH news one", 1),
            Send(1, "GET k", 1),
            Read(1, 1),
            Send(0, "PUBLISH news two", 1),
            Send(1, "PING", 1),
            Read(1, 1),
        ],
    ),
    (
        "a subscriber's own publish in RESP3",
        &[
            Quiet(1, "HELLO 3"),
            Send(1, "SUBSCRIBE me", 1),
            Send(1, "PUBLISH me hi", 2),
            Send(2, "PUBLISH me there", 1),
            Read(1, 1),
        ],
    ),
    (
        "closed subscriber",
        &[
            Send(1, "SUBSCRIBE gone", 1),
            Send(1, "PSUBSCRIBE go*", 1),
            Send(1, "QUIT", 1),
            Send(0, "PING", 1),
            Send(0, "PUBSUB NUMSUB gone", 1),
            Send(0, "PUBSUB NUMPAT", 1),
            Send(0, "PUBLISH gone x", 1),
        ],
    ),
    (
        "CLIENT REPLY OFF subscriber",
        &[
            Send(1, "CLIENT REPLY OFF", 0),
            Send(1, "SUBSCRIBE quiet", 1),
            Send(0, "PUBLISH quiet m", 1),
            Read(1, 1),
            Send(1, "UNSUBSCRIBE quiet", 1),
            Send(1, "CLIENT REPLY ON", 1),
        ],
    ),
];

#[test]
fn several_clients_like_real_redis() {
    check_like_real_redis(SCENARIOS, Expect::Agree);
}

/// Many messages from two publishers reach two subscribers complete and, per publisher, in
/// order.
// rules: PUBSUB-2
#[test]
fn many_messages_arrive_in_order() {
    let server = verdis::Server::start().expect("start verdis");
    let addr = server.addr();
    let mut subs: Vec<Wire> = (0..2).map(|_| Wire::connect(addr)).collect();
    for s in subs.iter_mut() {
        s.call(&args("SUBSCRIBE stream"));
    }
    let count = 2000;
    let publishers: Vec<_> = (0..2)
        .map(|p| {
            std::thread::spawn(move || {
                let mut w = Wire::connect(addr);
                for i in 0..count {
                    assert_eq!(w.call(&args(&format!("PUBLISH stream {p}:{i}"))), b":2\r\n");
                }
            })
        })
        .collect();
    for p in publishers {
        p.join().expect("publisher");
    }
    for s in subs.iter_mut() {
        let mut next = [0usize; 2];
        for _ in 0..2 * count {
            let reply = String::from_utf8(s.read_reply().expect("message")).expect("utf8");
            let payload = reply.lines().nth(6).expect("payload line");
            let (p, i) = payload.split_once(':').expect("p:i");
            let p: usize = p.parse().expect("publisher");
            assert_eq!(i.parse::<usize>().expect("index"), next[p], "publisher {p} out of order");
            next[p] += 1;
        }
        assert_eq!(next, [count, count]);
    }
}
