//! Byte-exact RESP2 and RESP3 conversations with verdis over TCP, kept as insta snapshots in
//! `snapshots/`. A change in any reply byte shows up as a snapshot diff to review.
//! (`INSTA_UPDATE=always cargo test --test transcripts` rewrites them after a reviewed change.)

mod common;

use common::wire::{args, show, Wire};

/// (snapshot name, protocol version, commands)
const TRANSCRIPTS: &[(&str, u8, &[&str])] = &[
    (
        "strings",
        2,
        &[
            "SET k v",
            "GET k",
            "SET k v2 GET",
            "SET n 10",
            "INCR n",
            "INCRBYFLOAT n 0.5",
            "MSET a 1 b 2",
            "MGET a b nosuch",
            "APPEND a xyz",
            "GETRANGE a 0 1",
            "SETRANGE a 1 Q",
            "STRLEN a",
            "GETDEL a",
            "GET a",
            "LCS k b",
            "LCS k a IDX",
            "INCR k",
            "SET k v EX 0",
        ],
    ),
    (
        "strings",
        3,
        &[
            "SET k v",
            "GET k",
            "GET nosuch",
            "MGET k nosuch",
            "SET l1 ohmytext",
            "SET l2 mynewtext",
            "LCS l1 l2 IDX MINMATCHLEN 4 WITHMATCHLEN",
        ],
    ),
    (
        "keyspace",
        2,
        &[
            "MSET a 1 b 2",
            "EXISTS a b c",
            "TYPE a",
            "RENAME a c",
            "KEYS c",
            "COPY c d",
            "DBSIZE",
            "SELECT 2",
            "DBSIZE",
            "SELECT 0",
            "DEL c d nosuch",
            "EXPIRE b 100",
            "TTL b",
            "PERSIST b",
            "TTL b",
            "OBJECT ENCODING b",
            "FLUSHALL",
            "RANDOMKEY",
            "SCAN 0",
        ],
    ),
    ("keyspace", 3, &["SET a 1", "TYPE a", "RANDOMKEY", "SCAN 0", "KEYS *", "OBJECT ENCODING nosuch"]),
    (
        "connection",
        2,
        &[
            "PING",
            "PING hi",
            "ECHO x",
            "CLIENT ID",
            "CLIENT SETNAME t",
            "CLIENT GETNAME",
            "CLIENT SETNAME \"a b\"",
            "NOSUCH a",
            "GET",
            "HELLO 4",
        ],
    ),
    (
        "connection",
        3,
        &[
            "PING",
            "ECHO x",
            "CLIENT GETNAME",
            "COMMAND INFO get",
            "COMMAND GETKEYS set k v",
            "CONFIG GET maxmemory",
            "RESET",
        ],
    ),
];

#[test]
fn transcripts() {
    for (name, resp, commands) in TRANSCRIPTS {
        // A fresh server per transcript, so client ids and state start the same every time.
        let server = verdis::Server::start().expect("start verdis");
        let mut wire = Wire::connect(server.addr());
        let mut text = String::new();
        if *resp == 3 {
            wire.call(&args("HELLO 3"));
        }
        for cmd in commands.iter() {
            let reply = wire.call(&args(cmd));
            text.push_str(&format!("> {cmd}\n{}\n", show(&reply).trim_end()));
        }
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}_resp{resp}"), text);
        });
    }
}
