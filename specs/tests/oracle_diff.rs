//! Differential test of the MODEL against a real redis-server 7.0.
//!
//! Ignored by default. Run it with a disposable server (it calls FLUSHALL):
//!
//! ```text
//! redis-server --port 7405 --daemonize yes --save "" --appendonly no
//! VERDIS_ORACLE_PORT=7405 cargo test -p verdis-spec --test oracle_diff -- --ignored
//! ```
//!
//! The real server runs on the wall clock, so the model is driven with the
//! wall clock too; clock steps are skipped, operations whose outcome would
//! hinge on a millisecond race are skipped, and TTL-style replies are
//! compared with a small tolerance.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{SystemTime, UNIX_EPOCH};
use verdis_spec::op::ops_from_bytes;
use verdis_spec::{Model, Op, Reply, Step};

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to oracle");
        Conn { reader: BufReader::new(stream.try_clone().expect("clone stream")), writer: stream }
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Reply {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write");
        self.read()
    }

    fn line(&mut self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.reader.read_until(b'\n', &mut buf).expect("read");
        buf.truncate(buf.len().saturating_sub(2));
        buf
    }

    fn read(&mut self) -> Reply {
        let line = self.line();
        let (kind, rest) = line.split_first().expect("empty reply line");
        let text = String::from_utf8_lossy(rest).into_owned();
        match kind {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Int(text.parse().expect("int")),
            b'$' => {
                let n: i64 = text.parse().expect("len");
                if n < 0 {
                    return Reply::Nil;
                }
                let mut buf = vec![0u8; n as usize + 2];
                std::io::Read::read_exact(&mut self.reader, &mut buf).expect("bulk");
                buf.truncate(n as usize);
                Reply::Bulk(buf)
            }
            b'*' => {
                let n: i64 = text.parse().expect("len");
                if n < 0 {
                    return Reply::NilArray;
                }
                Reply::Array((0..n).map(|_| self.read()).collect())
            }
            other => panic!("unexpected reply type {other}"),
        }
    }
}

/// The RESP2 shape of a model reply (what the oracle connection reports).
fn resp2(r: Reply) -> Reply {
    match r {
        Reply::Map(pairs) => Reply::Array(pairs.into_iter().flat_map(|(k, v)| [resp2(k), resp2(v)]).collect()),
        Reply::Array(items) | Reply::Set(items) => Reply::Array(items.into_iter().map(resp2).collect()),
        Reply::Bool(b) => Reply::Int(i64::from(b)),
        Reply::Double(d) => Reply::Bulk(verdis_spec::reply::format_double(d).into_bytes()),
        other => other,
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as u64
}

/// Skips operations whose result depends on sub-second timing.
fn race_free(argv: &[Vec<u8>]) -> bool {
    let upper: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).to_ascii_uppercase()).collect();
    let small_ms = |s: &str| s.parse::<i64>().is_ok_and(|v| (1..=3000).contains(&v));
    let small_s = |s: &str| s.parse::<i64>().is_ok_and(|v| (1..=3).contains(&v));
    let name = upper.first().map(String::as_str).unwrap_or("");
    // SORT BY without `*`, or ALPHA by weights, leaves (part of) the order to the hash table of
    // a set or sorted set, which depends on Redis's random seed (rule SORT-10).
    if matches!(name, "SORT" | "SORT_RO") {
        let by: Vec<&[u8]> =
            (2..argv.len().saturating_sub(1)).filter(|&i| upper[i] == "BY").map(|i| argv[i + 1].as_slice()).collect();
        let constant = by.iter().any(|p| !verdis_spec::num::c_str(p).contains(&b'*'));
        if !by.is_empty() && (constant || upper.iter().any(|a| a == "ALPHA")) {
            return false;
        }
    }
    // (Un)subscribing answers once per name and makes other connections receive messages
    // unasked; this one-reply-per-command client cannot follow that.
    if name.ends_with("SUBSCRIBE") {
        return false;
    }
    // An ID made from the server's clock may be a millisecond past the model's.
    if name == "XADD" && upper.iter().skip(2).any(|a| a == "*") {
        return false;
    }
    // A background save ends at a cron of the server's own; the model ends it at a clock step.
    if name == "BGSAVE" {
        return false;
    }
    if name == "RESTORE" && !upper.iter().any(|a| a == "ABSTTL") && upper.get(2).is_some_and(|v| small_ms(v)) {
        return false;
    }
    if matches!(name, "PSETEX" | "PEXPIRE") && upper.get(2).is_some_and(|v| small_ms(v)) {
        return false;
    }
    if matches!(name, "SETEX" | "EXPIRE") && upper.get(2).is_some_and(|v| small_s(v)) {
        return false;
    }
    // GT/LT against a TTL set a millisecond earlier hinges on whether the
    // server's clock ticked in between.
    if matches!(name, "EXPIRE" | "PEXPIRE") && upper.iter().any(|a| a == "GT" || a == "LT") {
        return false;
    }
    for w in upper.windows(2) {
        if (w[0] == "PX" && small_ms(&w[1])) || (w[0] == "EX" && small_s(&w[1])) {
            return false;
        }
    }
    true
}

/// Replies that carry the server's notion of "now" may differ by a little.
fn close_enough(name: &str, want: &Reply, got: &Reply) -> bool {
    let slack = match name {
        "ttl" | "expiretime" => 1,
        "pttl" | "pexpiretime" => 50,
        _ => return false,
    };
    matches!((want, got), (Reply::Int(a), Reply::Int(b)) if *a >= 0 && (a - b).abs() <= slack)
}

/// Both tests flush the same server: they must not run at the same time.
static ORACLE_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run_case(conns: &mut [Conn], ops: &[Op]) -> Result<(), String> {
    // A case may end inside MULTI or with WATCHed keys: start from fresh connection states.
    for c in conns.iter_mut() {
        c.call(&[b"RESET".to_vec()]);
    }
    conns[0].call(&[b"FLUSHALL".to_vec()]);
    for c in conns.iter_mut() {
        c.call(&[b"SELECT".to_vec(), b"0".to_vec()]);
    }
    let mut model = Model::new();
    let mut client = 0usize;
    for (i, op) in ops.iter().enumerate() {
        // Blocking commands would hang this one-connection-at-a-time driver.
        if op.may_block() {
            continue;
        }
        match op.step() {
            Step::Command(argv) => {
                if !race_free(&argv) || verdis_spec::model::unspecified_in_redis(&model, client as u64, &argv, now_ms())
                {
                    continue;
                }
                let now = now_ms();
                let got = conns[client].call(&argv);
                let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
                let mut shadow = model.clone();
                let want = resp2(shadow.apply(client as u64, &argv, now));
                let loose = matches!(name.as_str(), "scan" | "keys" | "randomkey" | "dbsize");
                if !loose && (want == got || close_enough(&name, &want, &got)) {
                    model = shadow;
                } else if let Err(e) = model.check(client as u64, &argv, now, &got) {
                    // KEYS/SCAN/RANDOMKEY/DBSIZE are judged by `check`.
                    return Err(format!("op {i} {op:?}: {e}"));
                }
                if std::env::var("VERDIS_ORACLE_TRACE").is_ok() {
                    let size = conns[client].call(&[b"DBSIZE".to_vec()]);
                    let db = model.selected_db(client as u64);
                    eprintln!("{i}: {argv:?} -> {got} | dbsize {size} model {}", model.stored_len(db));
                }
            }
            Step::SwitchClient(n) => client = n as usize,
            Step::DumpRestore { restore, .. } if !race_free(&restore) => {}
            Step::DumpRestore { dump, restore } => {
                let now = now_ms();
                let dumped = conns[client].call(&dump);
                model.check(client as u64, &dump, now, &dumped).map_err(|e| format!("op {i} {op:?}: {e}"))?;
                let payload = match &dumped {
                    Reply::Bulk(bytes) => Some(bytes.as_slice()),
                    _ => None,
                };
                let restore = verdis_spec::op::fill_payload(restore, payload);
                let got = conns[client].call(&restore);
                model.check(client as u64, &restore, now, &got).map_err(|e| format!("op {i} {op:?}: {e}"))?;
            }
            // The real server is not restarted (nor is the model).
            Step::AdvanceTime(_) | Step::ScanAll { .. } | Step::Restart => {}
        }
    }
    Ok(())
}

#[test]
#[ignore = "needs a disposable redis-server; set VERDIS_ORACLE_PORT"]
fn model_agrees_with_real_redis() {
    let Some(port) = std::env::var("VERDIS_ORACLE_PORT").ok().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("VERDIS_ORACLE_PORT not set; skipping");
        return;
    };
    let _guard = ORACLE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cases: u64 = std::env::var("VERDIS_ORACLE_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300);
    let mut conns: Vec<Conn> = (0..3).map(|_| Conn::open(port)).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    let only: Option<u64> = std::env::var("VERDIS_ORACLE_ONLY").ok().and_then(|c| c.parse().ok());
    for case in 0..cases {
        let bytes: Vec<u8> = (0..2000).map(|_| rng.next() as u8).collect();
        let ops = ops_from_bytes(&bytes, 150);
        if only.is_some_and(|o| o != case) {
            continue;
        }
        if let Err(e) = run_case(&mut conns, &ops) {
            failures.push(format!("case {case}: {e}"));
            if failures.len() >= 10 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Persistence-dense sequences (SAVE, DEBUG RELOAD, DUMP, RESTORE of real payloads and spoilt
/// ones, DUMP of one key restored into another) between commands building every type: the
/// model's replies and its judgement of DUMP payloads hold against the real server. The server
/// needs `--enable-debug-command yes` and a writable `dir`.
// rules: PERS-1 PERS-6 PERS-7 PERS-9 PERS-10
#[test]
#[ignore = "needs a disposable redis-server; set VERDIS_ORACLE_PORT"]
fn persistence_model_agrees_with_real_redis() {
    let Some(port) = std::env::var("VERDIS_ORACLE_PORT").ok().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("VERDIS_ORACLE_PORT not set; skipping");
        return;
    };
    let _guard = ORACLE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let cases: u64 = std::env::var("VERDIS_ORACLE_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
    let mut conns: Vec<Conn> = (0..3).map(|_| Conn::open(port)).collect();
    let mut rng = Rng(0x0dd0_5eed_cafe_f00d);
    let mut failures = Vec::new();
    for case in 0..cases {
        let bytes: Vec<u8> = (0..12_000).map(|_| rng.next() as u8).collect();
        let ops = verdis_spec::op::persistence_heavy_ops(&bytes, 200);
        if let Err(e) = run_case(&mut conns, &ops) {
            failures.push(format!("case {case}: {e}"));
            if failures.len() >= 10 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The oracle as a script target: three connections, the wall clock.
struct Oracle {
    conns: Vec<Conn>,
}

impl verdis_spec::System for Oracle {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], _now_ms: u64) -> Reply {
        self.conns[client as usize].call(argv)
    }
}

impl verdis_spec::script::Clocked for Oracle {
    fn now(&mut self, _virtual_ms: u64) -> u64 {
        now_ms()
    }
    fn sleep(&mut self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

#[test]
#[ignore = "needs a disposable redis-server; set VERDIS_ORACLE_PORT"]
fn scripts_agree_with_real_redis() {
    let Some(port) = std::env::var("VERDIS_ORACLE_PORT").ok().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("VERDIS_ORACLE_PORT not set; skipping");
        return;
    };
    let _guard = ORACLE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let scripts = [
        ("strings", include_str!("scripts/strings.redis")),
        ("keyspace", include_str!("scripts/keyspace.redis")),
        ("expiry", include_str!("scripts/expiry.redis")),
        ("protocol", include_str!("scripts/protocol.redis")),
        ("bitmaps", include_str!("scripts/bitmaps.redis")),
        ("hyperloglog", include_str!("scripts/hyperloglog.redis")),
        ("sets", include_str!("scripts/sets.redis")),
        ("zsets", include_str!("scripts/zsets.redis")),
        ("hashes", include_str!("scripts/hashes.redis")),
        ("sort", include_str!("scripts/sort.redis")),
        ("tx", include_str!("scripts/tx.redis")),
    ];
    let mut failures = Vec::new();
    for (name, text) in scripts {
        let mut oracle = Oracle { conns: (0..3).map(|_| Conn::open(port)).collect() };
        oracle.conns[0].call(&[b"FLUSHALL".to_vec()]);
        if let Err(f) = verdis_spec::script::run(text, &mut oracle, now_ms()) {
            failures.push(format!("{name}:\n{}", f.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
