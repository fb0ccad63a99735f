//! AOF interop with real Redis 7.0.15 (rules AOF-5, AOF-6, AOF-11, AOF-16): an appendonlydir
//! written by verdis passes redis-check-aof and loads in redis-server with the same data; one
//! written by redis-server (including a rewrite) loads in verdis-server with the same data; a
//! corpus directory with history files loads; verdis-check-aof reports as redis-check-aof.

mod common;

use common::oracle::RedisOracle;
use common::process::{fingerprint, start_verdis};
use common::wire::{args, Wire};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Writes covering every type, expiry, transactions, several databases and rewritten forms.
const WRITES: &[&str] = &[
    "SET s1 hello",
    "SET s2 100 EX 10000",
    "INCR s2",
    "INCRBYFLOAT fl 2.5",
    "APPEND s1 \" world\"",
    "RPUSH l a b c d",
    "LPOP l",
    "SADD set x y z 1 2",
    "SREM set y",
    "ZADD z 1 a 2.5 b -3 c",
    "ZINCRBY z 2 a",
    "HSET h f1 v1 f2 v2",
    "HINCRBYFLOAT h n 1.5",
    "EXPIRE l 100000",
    "MULTI",
    "SET t1 1",
    "LPUSH tl x",
    "EXEC",
    "SELECT 3",
    "SET db3 three",
    "SELECT 0",
    "SETEX tmp 10000 v",
    "GETSET s1 replaced",
    "DEL nothing",
];

fn run(addr: SocketAddr, lines: &[&str]) {
    let mut w = Wire::connect(addr);
    for l in lines {
        w.call(&args(l));
    }
}

fn check_aof_tool(tool: &str, manifest: &Path) -> Option<String> {
    let out = match Command::new(tool).arg(manifest).output() {
        Ok(o) => o,
        Err(_) => {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("{tool} is not installed, and CI=true requires it");
            }
            eprintln!("*** SKIPPED: {tool} not found ***");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && text.contains("All AOF files and manifest are valid"), "{tool} refused:\n{text}");
    Some(text)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

// rule: AOF-5, AOF-6, AOF-16
#[test]
fn verdis_aof_loads_in_redis() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let v = start_verdis(dir.path(), &["--appendfsync", "always"]);
        run(v.addr, WRITES);
        run(v.addr, &["BGREWRITEAOF"]);
        std::thread::sleep(Duration::from_millis(1500));
        run(v.addr, &["SET after-rewrite 1", "SREM set x", "SELECT 3", "DEL db3", "SET db3b x"]);
        fingerprint(v.addr)
    };
    let manifest = dir.path().join("appendonlydir/appendonly.aof.manifest");
    let manifest_text = std::fs::read_to_string(&manifest).unwrap();
    assert!(manifest_text.starts_with("file appendonly.aof.2.base.rdb seq 2 type b\n"), "{manifest_text}");
    let Some(redis_says) = check_aof_tool("redis-check-aof", &manifest) else { return };
    let ours = check_aof_tool(env!("CARGO_BIN_EXE_verdis-check-aof"), &manifest).unwrap();
    assert_eq!(ours, redis_says);
    let Some(redis) = RedisOracle::start(&["--appendonly", "yes", "--dir", dir.path().to_str().unwrap()]) else {
        return;
    };
    assert_eq!(fingerprint(redis.addr), expected);
}

// rule: AOF-6
#[test]
fn redis_aof_loads_in_verdis() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let Some(redis) = RedisOracle::start(&["--appendonly", "yes", "--appendfsync", "always", "--dir", d]) else {
        return;
    };
    run(redis.addr, WRITES);
    run(redis.addr, &["BGREWRITEAOF"]);
    std::thread::sleep(Duration::from_millis(1500));
    run(redis.addr, &["SET after-rewrite 1", "SPOP set 2", "SELECT 3", "SET db3b x"]);
    let expected = fingerprint(redis.addr);
    // Loaded from a copy, so the two servers do not share files.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("appendonlydir"), &copy.path().join("appendonlydir"));
    let v = start_verdis(copy.path(), &[]);
    assert_eq!(fingerprint(v.addr), expected);
}

// rule: AOF-5, AOF-6
#[test]
fn command_format_base_from_redis_loads_in_verdis() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let Some(redis) = RedisOracle::start(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--dir", d]) else {
        return;
    };
    run(redis.addr, WRITES);
    run(redis.addr, &["BGREWRITEAOF"]);
    std::thread::sleep(Duration::from_millis(1500));
    run(redis.addr, &["SET after 1"]);
    std::thread::sleep(Duration::from_millis(1200));
    let expected = fingerprint(redis.addr);
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&dir.path().join("appendonlydir"), &copy.path().join("appendonlydir"));
    assert!(copy.path().join("appendonlydir/appendonly.aof.2.base.aof").exists());
    let v = start_verdis(copy.path(), &[]);
    assert_eq!(fingerprint(v.addr), expected);
}

// rule: AOF-6
#[test]
fn corpus_with_history_files_loads() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aof/multipart-history");
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&src, copy.path());
    let v = start_verdis(copy.path(), &[]);
    let keys = fingerprint(v.addr);
    assert_eq!(keys.len(), 37, "{keys:?}");
    // The same directory in redis-server gives the same data.
    let copy2 = tempfile::tempdir().unwrap();
    copy_dir(&src, copy2.path());
    let Some(redis) = RedisOracle::start(&["--appendonly", "yes", "--dir", copy2.path().to_str().unwrap()]) else {
        return;
    };
    let theirs = fingerprint(redis.addr);
    assert_eq!(theirs.len(), keys.len());
    assert!(theirs == keys, "verdis and redis-server loaded different data from the corpus directory");
}

// rule: AOF-11
#[test]
fn old_style_aof_from_redis_is_upgraded() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aof/appendonly-small.aof");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&src, dir.path().join("appendonly.aof")).unwrap();
    let v = start_verdis(dir.path(), &[]);
    let keys = fingerprint(v.addr);
    assert!(!keys.is_empty());
    assert!(dir.path().join("appendonlydir/appendonly.aof").exists());
    let manifest = std::fs::read_to_string(dir.path().join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(manifest.starts_with("file appendonly.aof seq 1 type b\n"), "{manifest}");
}
