//! Streams in RDB against a real redis-server 7.0.15: a file saved by verdis passes
//! redis-check-rdb and loads into Redis with the same entries, nodes, tombstones, groups,
//! pending entries and times (XINFO STREAM FULL compared whole); DUMP payloads of streams built
//! in Redis restore into verdis, and without compression verdis DUMPs the very same bytes.
// rules: STREAM-4 STREAM-15

mod common;

use common::oracle::RedisOracle;
use common::wire::Wire;
use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::disk::SimDisk;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;
use verdis::resp::Frame;

fn call(w: &mut Wire, line: &str) -> Frame {
    let argv = verdis::resp::split::split_args(line.as_bytes()).expect("quotes");
    call_argv(w, &argv)
}

fn call_argv(w: &mut Wire, argv: &[Vec<u8>]) -> Frame {
    let bytes = w.call(argv);
    verdis::resp::decode(&bytes).expect("reply decodes").expect("complete reply").0
}

/// A harness reply as a RESP2 client reads it (maps become flat arrays).
fn resp2(frame: Frame) -> Frame {
    let mut bytes = Vec::new();
    verdis::resp::encode(&frame, 2, &mut bytes);
    verdis::resp::decode(&bytes).expect("reply decodes").expect("complete reply").0
}

/// Commands building streams with every feature the encoding carries, on explicit IDs.
const SCRIPT: &[&str] = &[
    "CONFIG SET stream-node-max-entries 3",
    "XADD s 1-1 a 1 b 2",
    "XADD s 1-2 a 3 b 4",
    "XADD s 2-0 c 5",
    "XADD s 3-0 a 100000 b -7",
    "XADD s 4-0 a longervalue_abcdefghijklmnopqrstuvwxyz0123456789 b \"\"",
    "XADD s 5-0 a 1 b 2",
    "XADD s 4294967296-5 a -9000000000 b 2",
    "XADD s 18446744073709551615-3 x y",
    "XDEL s 2-0 5-0",
    "XGROUP CREATE s g1 0",
    "XGROUP CREATE s g2 $ ENTRIESREAD 3",
    "XREADGROUP GROUP g1 alice COUNT 2 STREAMS s >",
    "XREADGROUP GROUP g1 bob STREAMS s >",
    "XGROUP CREATECONSUMER s g2 carol",
    "XCLAIM s g1 carol 0 3-0 RETRYCOUNT 5 TIME 1234",
    "XGROUP CREATE empty g $ MKSTREAM",
    "XADD t 1 f v",
    "XDEL t 1",
    "XADD trimmed 1 f v",
    "XADD trimmed 2 f v",
    "XTRIM trimmed MAXLEN 0",
    "XSETID trimmed 9 ENTRIESADDED 40 MAXDELETEDID 8",
    "CONFIG SET stream-node-max-entries 100",
];

const KEYS: &[&str] = &["s", "empty", "t", "trimmed"];

#[test]
fn redis_loads_streams_saved_by_verdis() {
    let mut h = Harness::with_config(Config::default());
    let disk = SimDisk::new();
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), h.now_ms);
    for line in SCRIPT {
        assert!(!h.run(line).is_error(), "{line}");
    }
    assert_eq!(h.run("SAVE"), Frame::ok());
    let bytes = disk.read("dump.rdb").expect("saved");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.rdb");
    std::fs::write(&path, &bytes).unwrap();
    if let Ok(out) = std::process::Command::new("redis-check-rdb").arg(&path).output() {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("RDB looks OK"), "redis-check-rdb refused the file:\n{text}");
    }
    let dir_arg = dir.path().to_str().unwrap();
    let Some(oracle) = RedisOracle::start(&["--dir", dir_arg, "--dbfilename", "dump.rdb"]) else { return };
    let mut w = Wire::connect(oracle.addr);
    for key in KEYS {
        let line = format!("XINFO STREAM {key} FULL");
        assert_eq!(call(&mut w, &line), resp2(h.run(&line)), "{key}");
    }
}

#[test]
fn stream_dumps_cross_both_ways() {
    let Some(oracle) = RedisOracle::start(&[]) else { return };
    let mut w = Wire::connect(oracle.addr);
    let mut h = Harness::new();
    for line in SCRIPT {
        call(&mut w, line);
    }
    call(&mut w, "CONFIG SET rdbcompression no");
    h.run("CONFIG SET rdbcompression no");
    for key in KEYS {
        let Frame::Bulk(payload) = call(&mut w, &format!("DUMP {key}")) else { panic!("DUMP from Redis") };
        let restore = vec![b"RESTORE".to_vec(), key.as_bytes().to_vec(), b"0".to_vec(), payload.clone()];
        assert_eq!(h.run_argv(&restore), Frame::ok(), "{key}");
        let line = format!("XINFO STREAM {key} FULL");
        assert_eq!(resp2(h.run(&line)), call(&mut w, &line), "{key}");
        // The same listpacks, metadata and groups give the same bytes.
        assert_eq!(h.run(&format!("DUMP {key}")), Frame::Bulk(payload), "{key}");
    }
}
