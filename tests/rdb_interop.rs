//! RDB interoperability with a real redis-server 7.0.15: files written by verdis pass
//! redis-check-rdb and load into redis-server with the same contents; DUMP payloads cross both
//! ways; and a BGSAVE by a real (forking) verdis server holds exactly the state at the moment it
//! was called while clients keep writing.

mod common;

use common::oracle::RedisOracle;
use common::wire::Wire;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::disk::SimDisk;
use verdis::persist::rdb::decode::{read_all, Record};
use verdis::persist::rdb::RdbValue;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;
use verdis::resp::Frame;

fn call(w: &mut Wire, argv: &[&[u8]]) -> Frame {
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let bytes = w.call(&argv);
    verdis::resp::decode(&bytes).expect("reply decodes").expect("complete reply").0
}

/// (db, key, value, absolute expiry in ms).
type Dataset = Vec<(usize, Vec<u8>, Vec<u8>, Option<u64>)>;

/// A dataset of strings covering Redis's string encodings in RDB, over several databases.
fn dataset() -> Dataset {
    let mut v: Dataset = vec![
        (0, b"int:small".to_vec(), b"7".to_vec(), None),
        (0, b"int:neg".to_vec(), b"-129".to_vec(), None),
        (0, b"int:i32".to_vec(), b"2147483647".to_vec(), None),
        (0, b"int:i64max".to_vec(), i64::MAX.to_string().into_bytes(), None),
        (0, b"int:i64min".to_vec(), i64::MIN.to_string().into_bytes(), None),
        (0, b"notint:lead0".to_vec(), b"007".to_vec(), None),
        (0, b"empty".to_vec(), b"".to_vec(), None),
        (0, b"".to_vec(), b"empty key".to_vec(), None),
        (0, b"bin\x00\xff".to_vec(), b"\x00\x01\x02\xfe\xff".to_vec(), None),
        (0, b"embstr".to_vec(), b"hello world".to_vec(), None),
        (0, b"lzf".to_vec(), b"abc".repeat(2000), None),
        (0, b"ttl".to_vec(), b"expires".to_vec(), Some(4_102_444_800_123)),
        (3, b"db3".to_vec(), b"in db 3".to_vec(), Some(4_102_444_800_000)),
        (15, b"db15".to_vec(), b"in db 15".to_vec(), None),
    ];
    // Incompressible strings at the length-encoding boundaries.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in [63usize, 64, 16383, 16384, 70000] {
        let s: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        v.push((1, format!("len:{len}").into_bytes(), s, None));
    }
    v
}

/// The dataset saved by verdis's engine with the given compression and checksum settings.
fn verdis_rdb(compression: bool, checksum: bool) -> Vec<u8> {
    let mut config = Config::default();
    config.set("rdbcompression", if compression { b"yes" } else { b"no" }).unwrap();
    config.set("rdbchecksum", if checksum { b"yes" } else { b"no" }).unwrap();
    let mut h = Harness::with_config(config);
    let disk = SimDisk::new();
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), h.now_ms);
    for (db, key, value, ttl) in dataset() {
        h.run(&format!("SELECT {db}"));
        h.run_argv(&[b"SET".to_vec(), key.clone(), value]);
        if let Some(at) = ttl {
            h.run_argv(&[b"PEXPIREAT".to_vec(), key, at.to_string().into_bytes()]);
        }
    }
    assert_eq!(h.run("SAVE"), Frame::ok());
    disk.read("dump.rdb").expect("saved")
}

fn check_in_redis(addr: SocketAddr) {
    let mut w = Wire::connect(addr);
    let mut total = 0;
    for (db, key, value, ttl) in dataset() {
        call(&mut w, &[b"SELECT", db.to_string().as_bytes()]);
        assert_eq!(call(&mut w, &[b"GET", &key]), Frame::Bulk(value), "key {key:?}");
        let expire = call(&mut w, &[b"PEXPIRETIME", &key]);
        assert_eq!(expire, Frame::Integer(ttl.map_or(-1, |t| t as i64)), "expiry of {key:?}");
        total += 1;
    }
    let mut keys = 0;
    for db in 0..16 {
        call(&mut w, &[b"SELECT", db.to_string().as_bytes()]);
        if let Frame::Integer(n) = call(&mut w, &[b"DBSIZE"]) {
            keys += n;
        }
    }
    assert_eq!(keys, total);
}

fn redis_check_rdb(path: &std::path::Path) {
    let out = std::process::Command::new("redis-check-rdb").arg(path).output();
    let Ok(out) = out else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("redis-check-rdb is not installed, and CI=true requires it");
        }
        eprintln!("*** SKIPPED: redis-check-rdb not found ***");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("RDB looks OK"), "redis-check-rdb refused the file:\n{text}");
}

#[test]
fn redis_loads_files_written_by_verdis() {
    for (compression, checksum) in [(true, true), (false, true), (true, false)] {
        let bytes = verdis_rdb(compression, checksum);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.rdb");
        std::fs::write(&path, &bytes).unwrap();
        redis_check_rdb(&path);
        let dir_arg = dir.path().to_str().unwrap();
        let Some(oracle) = RedisOracle::start(&["--dir", dir_arg, "--dbfilename", "dump.rdb"]) else { return };
        check_in_redis(oracle.addr);
    }
}

/// Values to cross between the servers with DUMP and RESTORE.
fn dump_values() -> Vec<Vec<u8>> {
    vec![
        b"0".to_vec(),
        b"-1".to_vec(),
        b"32767".to_vec(),
        b"4294967296".to_vec(),
        i64::MIN.to_string().into_bytes(),
        b"18446744073709551616".to_vec(),
        b"".to_vec(),
        b"x".to_vec(),
        b"0123".to_vec(),
        b"hello world".to_vec(),
        b"a".repeat(21),
        b"ab".repeat(5000),
        (0..=255u8).collect(),
    ]
}

#[test]
fn dump_payloads_cross_both_ways() {
    let Some(oracle) = RedisOracle::start(&[]) else { return };
    let mut w = Wire::connect(oracle.addr);
    let mut h = Harness::new();
    for (i, value) in dump_values().into_iter().enumerate() {
        let key = format!("k{i}").into_bytes();
        // Redis -> verdis.
        call(&mut w, &[b"SET", &key, &value]);
        let Frame::Bulk(payload) = call(&mut w, &[b"DUMP", &key]) else { panic!("DUMP from Redis") };
        assert_eq!(h.run_argv(&[b"RESTORE".to_vec(), key.clone(), b"0".to_vec(), payload.clone()]), Frame::ok());
        assert_eq!(h.run_argv(&[b"GET".to_vec(), key.clone()]), Frame::Bulk(value.clone()));
        // verdis -> Redis.
        let Frame::Bulk(ours) = h.run_argv(&[b"DUMP".to_vec(), key.clone()]) else { panic!("DUMP from verdis") };
        let copy = format!("copy{i}").into_bytes();
        assert_eq!(call(&mut w, &[b"RESTORE", &copy, b"0", &ours]), Frame::ok(), "value {value:?}");
        assert_eq!(call(&mut w, &[b"GET", &copy]), Frame::Bulk(value.clone()));
        // The object encoding after RESTORE agrees.
        let theirs = call(&mut w, &[b"OBJECT", b"ENCODING", &copy]);
        assert_eq!(h.run_argv(&[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()]), theirs, "value {value:?}");
    }
}

/// A real verdis server (forking BGSAVE) with clients writing during the save: the file holds the
/// state at the moment BGSAVE was called, and the save ran in a child process of the server.
#[test]
fn forked_bgsave_is_point_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = verdis::Server::builder()
        .persistence_dir(dir.path().to_str().unwrap())
        .set("save", "")
        .unwrap()
        .start()
        .unwrap();
    let mut w = Wire::connect(server.addr());
    const N: usize = 400;
    for i in 0..N {
        call(&mut w, &[b"SET", format!("k{i}").as_bytes(), format!("v{i}").as_bytes()]);
    }
    // 1 ms per key: the save takes about N ms, long enough to write during it.
    call(&mut w, &[b"CONFIG", b"SET", b"rdb-key-save-delay", b"1000"]);
    let started = Instant::now();
    assert_eq!(call(&mut w, &[b"BGSAVE"]), Frame::Simple("Background saving started".into()));
    let mut writes = 0;
    let mut saw_child = false;
    loop {
        for i in 0..N {
            call(&mut w, &[b"SET", format!("k{i}").as_bytes(), b"changed"]);
            call(&mut w, &[b"SET", format!("new{i}").as_bytes(), b"x"]);
            writes += 2;
        }
        saw_child |= child_of_this_process_exists();
        if info(&mut w).contains("rdb_bgsave_in_progress:0") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "BGSAVE did not finish");
    }
    assert!(writes > 0);
    assert!(saw_child, "the save ran in a child process (pgrep -P finds it)");
    let info = info(&mut w);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    let cow: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("rdb_last_cow_size:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("rdb_last_cow_size");
    assert!(cow > 0, "writes during the save copied pages");
    let bytes = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    let (_, records) = read_all(&bytes).unwrap();
    let mut keys: Vec<(Vec<u8>, Vec<u8>)> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Key(k) => match k.value {
                RdbValue::String(v) => Some((k.key, v)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    keys.sort();
    let mut want: Vec<(Vec<u8>, Vec<u8>)> =
        (0..N).map(|i| (format!("k{i}").into_bytes(), format!("v{i}").into_bytes())).collect();
    want.sort();
    assert_eq!(keys, want);
    drop(w);
    server.stop();
    // And the saved file loads at the next start.
    let again = verdis::Server::builder().persistence_dir(dir.path().to_str().unwrap()).start().unwrap();
    let mut w = Wire::connect(again.addr());
    let mut loaded = Frame::Error("LOADING".into());
    for _ in 0..500 {
        loaded = call(&mut w, &[b"DBSIZE"]);
        if !matches!(&loaded, Frame::Error(e) if e.starts_with("LOADING")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(loaded, Frame::Integer(N as i64));
    assert_eq!(call(&mut w, &[b"GET", b"k7"]), Frame::Bulk(b"v7".to_vec()));
}

fn info(w: &mut Wire) -> String {
    match call(w, &[b"INFO", b"persistence"]) {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO replied {other:?}"),
    }
}

/// True when a child of this test process forked by the server exists (what `pgrep -P` finds).
/// The child carries the name of the thread that forked it, the server's "verdis-server" (other
/// tests' redis-server oracles are children too, with their own name).
fn child_of_this_process_exists() -> bool {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.flatten().any(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let Some((name, rest)) = stat.rsplit_once(')') else { return false };
        // Fields after the command name: state, ppid, ...
        name.ends_with("(verdis-server") && rest.split_whitespace().nth(1).is_some_and(|ppid| ppid == me)
    })
}

/// INFO persistence while a forked BGSAVE runs: the child reports its progress about once a
/// second (checked every 1024 keys), the parent reads it about once a second, and the fields
/// are back to 0 when the save ends. Redis 7.0.15 with the same 2,500 keys and
/// `rdb-key-save-delay 1000` shows processed 1, then 1025, of total 2500.
// rule: PERS-12
#[test]
fn forked_bgsave_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let server = verdis::Server::builder()
        .persistence_dir(dir.path().to_str().unwrap())
        .set("save", "")
        .unwrap()
        .start()
        .unwrap();
    let mut w = Wire::connect(server.addr());
    const N: u64 = 2500;
    for i in 0..N {
        call(&mut w, &[b"SET", format!("k{i}").as_bytes(), b"v"]);
    }
    call(&mut w, &[b"CONFIG", b"SET", b"rdb-key-save-delay", b"1000"]);
    assert_eq!(call(&mut w, &[b"BGSAVE"]), Frame::Simple("Background saving started".into()));
    let field = |info: &str, name: &str| -> String {
        info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
    };
    let started = Instant::now();
    let mut processed_seen = std::collections::BTreeSet::new();
    loop {
        let info = info(&mut w);
        if field(&info, "rdb_bgsave_in_progress") == "0" {
            for name in
                ["current_cow_peak", "current_cow_size", "current_save_keys_processed", "current_save_keys_total"]
            {
                assert_eq!(field(&info, name), "0", "{name} after the save\n{info}");
            }
            assert_eq!(field(&info, "current_fork_perc"), "0.00");
            break;
        }
        assert_eq!(field(&info, "current_save_keys_total"), N.to_string(), "{info}");
        let processed: u64 = field(&info, "current_save_keys_processed").parse().unwrap();
        let perc = field(&info, "current_fork_perc");
        assert_eq!(perc, format!("{:.2}", processed as f64 / N as f64 * 100.0), "{info}");
        if processed > 0 {
            let cow: u64 = field(&info, "current_cow_size").parse().unwrap();
            let peak: u64 = field(&info, "current_cow_peak").parse().unwrap();
            assert!(cow > 0 && peak >= cow, "{info}");
            let age: u64 = field(&info, "current_cow_size_age").parse().unwrap();
            assert!(age <= 2, "{info}");
        }
        processed_seen.insert(processed);
        assert!(started.elapsed() < Duration::from_secs(60), "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The first key's report, then the one after 1024 more keys.
    assert!(processed_seen.contains(&1) && processed_seen.contains(&1025), "{processed_seen:?}");
    let info = info(&mut w);
    assert_eq!(field(&info, "rdb_last_bgsave_status"), "ok");
    let last_cow: u64 = field(&info, "rdb_last_cow_size").parse().unwrap();
    assert!(last_cow > 0, "{info}");
}
