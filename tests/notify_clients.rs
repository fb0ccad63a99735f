//! Keyspace notifications with several connections over TCP, against verdis and a real
//! redis-server 7.0.15: the same steps on both, every reply and message compared byte for byte.

mod common;

use common::wire::{args, Wire};

use common::scenario::{check_like_real_redis, Expect, Step};
use Step::{Read, Send, Sleep};

// rules: NOTIFY-2 NOTIFY-3 NOTIFY-4 NOTIFY-5 NOTIFY-6 NOTIFY-7
const SCENARIOS: &[(&str, &[Step])] = &[
    (
        "another connection's writes, keyspace then keyevent",
        &[
            Send(0, "CONFIG SET notify-keyspace-events KEA", 1),
            Send(1, "PSUBSCRIBE __key*__:*", 1),
            Send(2, "SUBSCRIBE __keyevent@0__:del", 1),
            Send(0, "SET a 1", 1),
            Send(0, "LPUSH l x y", 1),
            Send(0, "DEL a l nosuch", 1),
            Send(0, "SMOVE nosuch s m", 1),
            Send(0, "SADD s1 m", 1),
            Send(0, "SMOVE s1 s2 m", 1),
            Read(1, 16),
            Read(2, 3),
        ],
    ),
    (
        "a blocked client served after the write that woke it",
        &[
            Send(0, "CONFIG SET notify-keyspace-events KEA", 1),
            Send(1, "PSUBSCRIBE __keyspace@0__:*", 1),
            Send(2, "BLMOVE src dst LEFT RIGHT 5", 0),
            Send(3, "BZPOPMIN z 5", 0),
            Sleep(100),
            Send(0, "RPUSH src a", 1),
            Send(0, "ZADD z 1 m", 1),
            Read(2, 1),
            Read(3, 1),
            Read(1, 7),
            Send(1, "PING", 1),
        ],
    ),
    (
        "active expiry and new keys",
        &[
            Send(0, "CONFIG SET notify-keyspace-events Exn", 1),
            Send(1, "PSUBSCRIBE *", 1),
            Send(0, "SET e v PX 20", 1),
            Send(0, "SET e2 v", 1),
            Send(0, "SET e2 w", 1),
            Sleep(400),
            Read(1, 3),
            Send(0, "DBSIZE", 1),
        ],
    ),
    (
        "key misses and a database other than 0",
        &[
            Send(0, "CONFIG SET notify-keyspace-events KEgm", 1),
            Send(1, "PSUBSCRIBE __key*@3__:*", 1),
            Send(0, "SELECT 3", 1),
            Send(0, "GET nothing", 1),
            Send(0, "SET k v", 1),
            Send(0, "EXPIRE k 100", 1),
            Send(0, "MOVE k 0", 1),
            Read(1, 6),
        ],
    ),
];

#[test]
fn several_clients_like_real_redis() {
    check_like_real_redis(SCENARIOS, Expect::EveryReplyArrives);
}

/// A burst of writes from two connections reaches a subscriber complete, each writer's events
/// in its order.
// rules: NOTIFY-2
#[test]
fn many_events_arrive_in_order() {
    let server = verdis::Server::start().expect("start verdis");
    let addr = server.addr();
    let mut sub = Wire::connect(addr);
    sub.call(&args("CONFIG SET notify-keyspace-events E$"));
    sub.call(&args("SUBSCRIBE __keyevent@0__:incrby"));
    let count = 300;
    let writers: Vec<_> = (0..2)
        .map(|w| {
            std::thread::spawn(move || {
                let mut conn = Wire::connect(addr);
                for i in 0..count {
                    conn.call(&args(&format!("INCR w{w}:{i}")));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let mut next = [0usize; 2];
    for _ in 0..2 * count {
        let reply = String::from_utf8(sub.read_reply().expect("message")).expect("utf8");
        let key = reply.lines().nth(6).expect("key line");
        let (w, i) = key.trim_start_matches('w').split_once(':').expect("w:i");
        let w: usize = w.parse().expect("writer");
        assert_eq!(i.parse::<usize>().expect("index"), next[w], "writer {w} out of order");
        next[w] += 1;
    }
    assert_eq!(next, [count, count]);
}
