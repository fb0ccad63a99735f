//! Real crashes (rules AOF-13, AOF-15): verdis-server with `appendonly yes` and `appendfsync
//! always`, driven by several client connections, killed with SIGKILL at random moments and
//! restarted on the same directory. After every restart, every acknowledged write is there and
//! nothing is half-applied: each client's counter is at least its last acknowledged value and at
//! most the number of increments it sent, and the two keys each transaction sets are equal.
//!
//! 50 rounds by default (well under a minute); VERDIS_AOF_KILL_ROUNDS=n for more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;

/// What one client knows about its keys.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// INCRs sent (each may or may not have been applied if unacknowledged).
    incr_sent: i64,
    /// The last value an INCR reply acknowledged.
    incr_acked: i64,
    /// The last transaction sequence number acknowledged, and the highest sent.
    tx_acked: i64,
    tx_sent: i64,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn start(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_verdis-server"))
        .args(["--port", &port.to_string(), "--save", "", "--appendonly", "yes", "--appendfsync", "always"])
        .args(["--dir", dir.to_str().expect("utf-8 path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn verdis-server")
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// A reply, as far as this test needs.
#[derive(Debug, PartialEq)]
enum Reply {
    Int(i64),
    Status(String),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
    Error(String),
}

impl Client {
    fn connect(addr: SocketAddr) -> Option<Client> {
        let s = TcpStream::connect(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let writer = s.try_clone().ok()?;
        Some(Client { reader: BufReader::new(s), writer })
    }

    fn send(&mut self, argv: &[&str]) -> Option<()> {
        let mut out = format!("*{}\r\n", argv.len());
        for a in argv {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.writer.write_all(out.as_bytes()).ok()
    }

    fn read(&mut self) -> Option<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        let (kind, rest) = line.split_at(1);
        match kind {
            ":" => rest.parse().ok().map(Reply::Int),
            "+" => Some(Reply::Status(rest.to_string())),
            "-" => Some(Reply::Error(rest.to_string())),
            "$" => {
                let n: i64 = rest.parse().ok()?;
                if n < 0 {
                    return Some(Reply::Bulk(None));
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).ok()?;
                buf.truncate(n as usize);
                Some(Reply::Bulk(Some(buf)))
            }
            "*" => {
                let n: i64 = rest.parse().ok()?;
                let mut items = Vec::new();
                for _ in 0..n.max(0) {
                    items.push(self.read()?);
                }
                Some(Reply::Array(items))
            }
            _ => None,
        }
    }

    fn call(&mut self, argv: &[&str]) -> Option<Reply> {
        self.send(argv)?;
        self.read()
    }
}

fn wait_ready(addr: SocketAddr) -> Client {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(mut c) = Client::connect(addr) {
            if c.call(&["PING"]) == Some(Reply::Status("PONG".into())) {
                return c;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("verdis-server did not come up");
}

fn int_of(r: Option<Reply>) -> i64 {
    match r {
        Some(Reply::Bulk(Some(b))) => String::from_utf8_lossy(&b).parse().expect("integer value"),
        Some(Reply::Bulk(None)) => 0,
        other => panic!("unexpected reply {other:?}"),
    }
}

/// One client's work until the server dies: INCRs and two-key transactions, alternating.
fn drive(addr: SocketAddr, id: usize, track: Arc<Mutex<Track>>, stop: Arc<AtomicBool>) {
    let Some(mut c) = Client::connect(addr) else { return };
    let (counter, a, b) = (format!("counter:{id}"), format!("a:{id}"), format!("b:{id}"));
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        if i.is_multiple_of(3) {
            let seq = {
                let mut t = track.lock().unwrap();
                t.tx_sent += 1;
                t.tx_sent
            };
            let s = seq.to_string();
            let sent = c.send(&["MULTI"]).and_then(|_| c.send(&["SET", &a, &s])).and_then(|_| c.send(&["SET", &b, &s]));
            let done = sent.and_then(|_| c.send(&["EXEC"])).and_then(|_| {
                for _ in 0..3 {
                    c.read()?;
                }
                c.read()
            });
            match done {
                Some(Reply::Array(items)) if items.len() == 2 => track.lock().unwrap().tx_acked = seq,
                _ => return,
            }
        } else {
            track.lock().unwrap().incr_sent += 1;
            match c.call(&["INCR", &counter]) {
                Some(Reply::Int(n)) => track.lock().unwrap().incr_acked = n,
                _ => return,
            }
        }
    }
}

fn rounds() -> usize {
    std::env::var("VERDIS_AOF_KILL_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(50)
}

// rule: AOF-13, AOF-15
#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let tracks: Vec<Arc<Mutex<Track>>> = (0..CLIENTS).map(|_| Arc::new(Mutex::new(Track::default()))).collect();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let started = Instant::now();
    let mut total_acked = 0i64;
    for round in 0..=rounds() {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut child = start(dir.path(), port);
        let mut check = wait_ready(addr);
        // Everything acknowledged before the previous kill is there; nothing half-applied.
        for (id, track) in tracks.iter().enumerate() {
            let mut t = track.lock().unwrap();
            let counter = int_of(check.call(&["GET", &format!("counter:{id}")]));
            assert!(
                counter >= t.incr_acked && counter <= t.incr_sent,
                "round {round} client {id}: counter {counter} outside [{}, {}]",
                t.incr_acked,
                t.incr_sent
            );
            let a = int_of(check.call(&["GET", &format!("a:{id}")]));
            let b = int_of(check.call(&["GET", &format!("b:{id}")]));
            assert_eq!(a, b, "round {round} client {id}: half a transaction survived");
            assert!(
                a >= t.tx_acked && a <= t.tx_sent,
                "round {round} client {id}: transaction {a} outside [{}, {}]",
                t.tx_acked,
                t.tx_sent
            );
            total_acked += counter - t.incr_acked.min(counter);
            // What survived is the new baseline: later INCRs count from it.
            t.incr_acked = counter;
            t.incr_sent = counter;
            t.tx_acked = a;
            t.tx_sent = a;
        }
        drop(check);
        if round == rounds() {
            // The last restart only checks.
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            break;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = tracks
            .iter()
            .enumerate()
            .map(|(id, t)| {
                let (t, stop) = (t.clone(), stop.clone());
                std::thread::spawn(move || drive(addr, id, t, stop))
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 120));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            let _ = w.join();
        }
    }
    let acked: i64 = tracks.iter().map(|t| t.lock().unwrap().incr_acked).sum();
    eprintln!("{} rounds in {:?}; {acked} acknowledged INCRs in the final state", rounds(), started.elapsed());
    assert!(acked > 0, "no write was acknowledged: the test did not exercise anything");
    let _ = total_acked;
}
