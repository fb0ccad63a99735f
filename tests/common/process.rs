//! A verdis-server process started by a test (killed and reaped on drop), and a canonical
//! fingerprint of a server's keyspace for comparing two servers' data.

use super::wire::{args, parse_node, Node, Wire};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

pub struct Verdis {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Verdis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts verdis-server in `dir` with the AOF on (tests that do not want it pass `--appendonly no`).
pub fn start_verdis(dir: &Path, extra: &[&str]) -> Verdis {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_verdis-server"))
        .args(["--port", &port.to_string(), "--save", "", "--appendonly", "yes"])
        .args(["--dir", dir.to_str().expect("utf-8 path")])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn verdis-server");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    // Owned at once, so the process is killed and reaped on every path.
    let server = Verdis { child, addr };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("verdis-server did not start");
}

pub fn node(w: &mut Wire, line: &str) -> Node {
    let raw = w.call(&args(line));
    parse_node(&raw).expect("reply").0
}

pub fn items(n: Node) -> Vec<Node> {
    match n {
        Node::Agg(_, items) => items,
        other => vec![other],
    }
}

/// The keyspace of the server at `addr`, canonical (sorted keys, sorted set members and hash
/// pairs), with absolute expiry times.
pub fn fingerprint(addr: SocketAddr) -> Vec<String> {
    let mut w = Wire::connect(addr);
    // A server still loading replies -LOADING: wait for it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while node(&mut w, "PING") != Node::Line(b"+PONG".to_vec()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = Vec::new();
    for db in 0..16 {
        node(&mut w, &format!("SELECT {db}"));
        let mut keys = items(node(&mut w, "KEYS *"));
        keys.sort();
        for key in keys {
            let Node::Blob(k) = key else { continue };
            let k = k[1..].to_vec();
            let mut q = |parts: &[&[u8]]| {
                let mut argv: Vec<Vec<u8>> = vec![parts[0].to_vec(), k.clone()];
                argv.extend(parts[1..].iter().map(|p| p.to_vec()));
                parse_node(&w.call(&argv)).expect("reply").0
            };
            let ty = q(&[b"TYPE"]);
            let value = match &ty {
                Node::Line(t) if t == b"+string" => format!("{:?}", q(&[b"GET"])),
                Node::Line(t) if t == b"+list" => format!("{:?}", q(&[b"LRANGE", b"0", b"-1"])),
                Node::Line(t) if t == b"+set" => {
                    let mut m = items(q(&[b"SMEMBERS"]));
                    m.sort();
                    format!("{m:?}")
                }
                Node::Line(t) if t == b"+zset" => format!("{:?}", q(&[b"ZRANGE", b"0", b"-1", b"WITHSCORES"])),
                Node::Line(t) if t == b"+hash" => {
                    let flat = items(q(&[b"HGETALL"]));
                    let mut pairs: Vec<_> = flat.chunks(2).map(|c| format!("{c:?}")).collect();
                    pairs.sort();
                    format!("{pairs:?}")
                }
                other => format!("{other:?}"),
            };
            let ttl = q(&[b"PEXPIRETIME"]);
            out.push(format!("{db}:{}:{ty:?}:{value}:{ttl:?}", String::from_utf8_lossy(&k)));
        }
    }
    out
}
