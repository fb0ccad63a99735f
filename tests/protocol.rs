//! Bad input over the wire: malformed RESP, oversized lengths, unbalanced quotes. Each byte
//! sequence goes to verdis and to a real redis-server; the bytes that come back and whether the
//! connection was closed must be the same, and the server must keep serving other clients.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, show, Wire};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Sends `input`, then reads until the server closes or stays quiet for `quiet_ms`.
fn exchange(addr: SocketAddr, input: &[u8], quiet_ms: u64) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(addr).expect("connect");
    // The server may close before it has read everything: that is part of what is compared.
    let _ = s.write_all(input);
    s.set_read_timeout(Some(Duration::from_millis(quiet_ms))).expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A reset (the server closed with our bytes unread) is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
    (out, false)
}

const CASES: &[&[u8]] = &[
    b"*x\r\n",
    b"*-1\r\n*1\r\n$4\r\nPING\r\n",
    b"*1\r\n+PING\r\n",
    b"*1\r\n$-5\r\n",
    b"*1\r\n$abc\r\n",
    b"*1\r\n$536870913\r\n",
    b"*2147483648\r\n",
    b"*1\r\n$4\r\nPINGxx",
    b"\"unbalanced\r\n",
    b"'unbalanced\r\n",
    b"\"a\"b\r\n",
    b"*1\r\n$3\r\nfoo\r\n*x\r\n",
    b"*0\r\n\r\n\r\n",
    b"*3\r\n$3\r\nfoo\r\n$1\r\na\r\n:1\r\n",
    b"\x00\x01\x02\r\n",
    b"nosuch \"\\x41\\n\" 'b'\r\n",
];

#[test]
fn malformed_input_gets_redis_errors() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let mut failures = Vec::new();
    for case in CASES {
        let want = exchange(oracle.addr, case, 300);
        let got = exchange(server.addr(), case, 300);
        if want != got {
            failures.push(format!(
                "input {}\n  redis:  closed={} {}\n  verdis: closed={} {}",
                show(case),
                want.1,
                show(&want.0),
                got.1,
                show(&got.0)
            ));
        }
    }
    // The server still serves a well-behaved client afterwards.
    let mut w = Wire::connect(server.addr());
    let reply = w.call(&args("nosuchcommand"));
    assert!(reply.starts_with(b"-ERR unknown command"), "{}", show(&reply));
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn too_big_inline_and_count_lines() {
    let Some(oracle) = RedisOracle::start(&[]) else {
        return;
    };
    let server = verdis::Server::start().expect("start verdis");
    let big_inline = vec![b'a'; 70 * 1024];
    let mut big_count = b"*".to_vec();
    big_count.extend(vec![b'1'; 70 * 1024]);
    for case in [big_inline, big_count] {
        let want = exchange(oracle.addr, &case, 500);
        let got = exchange(server.addr(), &case, 500);
        assert_eq!(show(&want.0), show(&got.0));
        assert_eq!(want.1, got.1);
    }
}

/// Both servers with a 1 MB query buffer limit and a 1 MB bulk limit: a client that sends more
/// than the limit without completing a command is closed without a reply; a bulk length above
/// proto-max-bulk-len is a protocol error.
#[test]
fn configured_limits_close_the_connection() {
    let Some(oracle) = RedisOracle::start(&["--client-query-buffer-limit", "1mb", "--proto-max-bulk-len", "1mb"])
    else {
        return;
    };
    let server = verdis::Server::builder()
        .set("client-query-buffer-limit", "1mb")
        .and_then(|b| b.set("proto-max-bulk-len", "1mb"))
        .expect("config")
        .start()
        .expect("start verdis");
    let mut oversized = b"*2\r\n$3\r\nGET\r\n$1000000\r\n".to_vec();
    oversized.extend(vec![b'x'; 999_000]);
    let mut too_long_bulk = b"*2\r\n$3\r\nGET\r\n$1048577\r\n".to_vec();
    too_long_bulk.extend(b"abc");
    let mut unterminated = b"*1\r\n$2000000\r\n".to_vec();
    unterminated.extend(vec![b'y'; 1_100_000]);
    for case in [oversized, too_long_bulk, unterminated] {
        let want = exchange(oracle.addr, &case, 500);
        let got = exchange(server.addr(), &case, 500);
        assert_eq!(show(&want.0), show(&got.0), "input starting {}", show(&case[..30]));
        assert_eq!(want.1, got.1, "closed? input starting {}", show(&case[..30]));
    }
    let mut w = Wire::connect(server.addr());
    assert_eq!(w.call(&args("PING")), b"+PONG\r\n");
}
