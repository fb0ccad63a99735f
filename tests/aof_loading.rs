//! The start-up load of the AOF serves clients meanwhile (rules AOF-6, AOF-20): a real
//! verdis-server started on a large AOF accepts connections at once and answers `-LOADING Redis
//! is loading the dataset in memory` (INFO persistence: `loading:1` with the loading_* figures),
//! then the whole dataset once the load is done, as redis-server 7.0.15 does.

mod common;

use common::wire::{args, parse_node, Node, Wire};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Commands in the incr file: enough for the load to take many event-loop turns.
const KEYS: usize = 200_000;
const LOADING: &[u8] = b"-LOADING Redis is loading the dataset in memory";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// An AOF directory as Redis writes it: a base of commands and an incr file of `KEYS` SETs.
fn write_aof(dir: &Path) -> u64 {
    let aof = dir.join("appendonlydir");
    std::fs::create_dir_all(&aof).expect("mkdir");
    let mut base = Vec::new();
    command(&mut base, &[b"SELECT", b"0"]);
    command(&mut base, &[b"SET", b"from-base", b"1"]);
    let mut incr = Vec::new();
    command(&mut incr, &[b"SELECT", b"0"]);
    for i in 0..KEYS {
        command(&mut incr, &[b"SET", format!("key:{i}").as_bytes(), b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]);
    }
    let write = |name: &str, bytes: &[u8]| {
        let mut f = std::fs::File::create(aof.join(name)).expect("create");
        f.write_all(bytes).expect("write");
    };
    write("appendonly.aof.1.base.aof", &base);
    write("appendonly.aof.1.incr.aof", &incr);
    write(
        "appendonly.aof.manifest",
        b"file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    (base.len() + incr.len()) as u64
}

fn call(w: &mut Wire, line: &str) -> Node {
    parse_node(&w.call(&args(line))).expect("reply").0
}

fn info_field(w: &mut Wire, field: &str) -> Option<String> {
    let Node::Blob(body) = call(w, "INFO persistence") else { return None };
    let body = String::from_utf8_lossy(&body).into_owned();
    let prefix = format!("{field}:");
    body.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().to_string())
}

// rule: AOF-6, AOF-20
#[test]
fn clients_get_loading_while_the_aof_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let total = write_aof(dir.path());
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_verdis-server"))
        .args(["--port", &port.to_string(), "--save", "", "--appendonly", "yes"])
        .args(["--dir", dir.path().to_str().expect("utf-8 path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn verdis-server");
    let _server = Server(child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "verdis-server did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut w = Wire::connect(addr);
    // While loading: LOADING for data commands, INFO with the load's figures.
    let first = w.call(&args("GET key:1"));
    assert!(first.starts_with(LOADING), "{}", String::from_utf8_lossy(&first));
    assert_eq!(info_field(&mut w, "loading").as_deref(), Some("1"));
    assert_eq!(info_field(&mut w, "loading_total_bytes"), Some(total.to_string()));
    assert_eq!(info_field(&mut w, "aof_enabled").as_deref(), Some("0"));
    let loaded: u64 = info_field(&mut w, "loading_loaded_bytes").and_then(|v| v.parse().ok()).expect("loaded bytes");
    assert!(loaded <= total);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut loading_replies = 1;
    loop {
        let reply = w.call(&args("PING"));
        if reply == b"+PONG\r\n" {
            break;
        }
        assert!(reply.starts_with(LOADING), "{}", String::from_utf8_lossy(&reply));
        loading_replies += 1;
        assert!(Instant::now() < deadline, "the load did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("{loading_replies} LOADING replies before the load finished");
    assert_eq!(call(&mut w, "GET key:1"), Node::Blob(b"$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_vec()));
    assert_eq!(call(&mut w, "GET from-base"), Node::Blob(b"$1".to_vec()));
    assert_eq!(call(&mut w, "DBSIZE"), Node::Line(format!(":{}", KEYS + 1).into_bytes()));
    assert_eq!(info_field(&mut w, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&mut w, "aof_enabled").as_deref(), Some("1"));
    assert_eq!(info_field(&mut w, "aof_current_size"), Some(total.to_string()));
    // Writes after the load append to the loaded incr file.
    assert_eq!(call(&mut w, "SET after 1"), Node::Line(b"+OK".to_vec()));
}

// rule: AOF-6, AOF-20
#[test]
fn the_load_in_pieces_gives_the_same_dataset_and_answers_loading_between_pieces() {
    use verdis::engine::config::Config;
    use verdis::engine::testkit::Harness;
    use verdis::persist::aof::keyspace_fingerprint;
    use verdis::persist::aof::load::{AofBegin, LoadBudget};
    use verdis::persist::disk::SimDisk;
    use verdis::persist::snapshot::InlineSaver;
    use verdis::persist::Persistence;
    use verdis::resp::Frame;

    let disk = SimDisk::new();
    let engine_on = |disk: &SimDisk| {
        let mut config = Config::default();
        config.set("appendonly", b"yes").unwrap();
        let mut h = Harness::with_config(config);
        let now = h.now_ms;
        h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
        h
    };
    let mut h = engine_on(&disk);
    let now = h.now_ms;
    h.engine.aof_boot(now).unwrap();
    for i in 0..60 {
        h.run(&format!("SET s{i} {i}"));
        h.run(&format!("RPUSH l{} a{i} b{i}", i % 7));
        h.run(&format!("HSET h{} f{i} {i}", i % 5));
        assert!(h.engine.aof_flush(now));
    }
    // An RDB base for the first part, commands after it.
    h.run("BGREWRITEAOF");
    h.engine.cron(now);
    for i in 0..40 {
        h.run(&format!("INCR c{}", i % 3));
        h.run(&format!("ZADD z {i} m{i}"));
        assert!(h.engine.aof_flush(now));
    }
    let expected = keyspace_fingerprint(&h.engine.dbs);

    let mut h = engine_on(&disk);
    let now = h.now_ms;
    let AofBegin::Load(mut loader) = h.engine.aof_begin_load(now).unwrap() else { panic!("files to load") };
    let total = h.engine.persist.loading.expect("loading").total_bytes;
    let mut steps = 0;
    let mut last_loaded = 0;
    let budget = LoadBudget { rdb_bytes: 64, commands: 3 };
    while !loader.step(&mut h.engine, budget).unwrap() {
        steps += 1;
        assert!(steps < 10_000);
        let loaded = h.engine.persist.loading.expect("still loading").loaded_bytes;
        assert!(loaded >= last_loaded && loaded <= total, "{last_loaded} {loaded} {total}");
        last_loaded = loaded;
        assert_eq!(h.run("GET s1"), Frame::Error("LOADING Redis is loading the dataset in memory".into()));
    }
    assert!(steps > 20, "{steps} steps");
    assert!(h.engine.persist.loading.is_none());
    h.engine.aof_open_on_start().unwrap();
    assert_eq!(keyspace_fingerprint(&h.engine.dbs), expected);
    assert_eq!(h.engine.persist.aof.current_size, total);
    // The replayed commands are not counted as the clients' commands.
    assert_eq!(h.engine.stats.total_commands_processed, 0);
}
