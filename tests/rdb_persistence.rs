//! RDB persistence in the engine, deterministically: the simulated disk (with faults and crashes)
//! and the in-process saver, driven through commands. Replies and error texts were checked against
//! redis-server 7.0.15.

use verdis::engine::config::Config;
use verdis::engine::testkit::{bulk, err, int, ok, Harness};
use verdis::persist::disk::{DiskOp, Fault, SimDisk};
use verdis::persist::rdb::decode::{read_all, Record};
use verdis::persist::rdb::RdbValue;
use verdis::persist::snapshot::{InlineControl, InlineSaver};
use verdis::persist::Persistence;
use verdis::resp::Frame;

fn harness_with(config: Config) -> (Harness, SimDisk, InlineControl) {
    let mut h = Harness::with_config(config);
    let disk = SimDisk::new();
    let saver = InlineSaver::new();
    let control = saver.control();
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(saver), h.now_ms);
    h.engine.process.pid = 4242;
    (h, disk, control)
}

fn harness() -> (Harness, SimDisk, InlineControl) {
    let mut config = Config::default();
    config.set("enable-debug-command", b"yes").expect("debug command");
    harness_with(config)
}

/// The string keys of an RDB file: (db, key, value, expiry).
type FileKeys = Vec<(u64, Vec<u8>, Vec<u8>, Option<i64>)>;

fn file_keys(bytes: &[u8]) -> FileKeys {
    let (_, records) = read_all(bytes).expect("valid RDB");
    let mut keys: Vec<_> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Key(k) => match k.value {
                RdbValue::String(v) => Some((k.db, k.key, v, k.expire_at_ms)),
                other => panic!("unexpected {other:?}"),
            },
            _ => None,
        })
        .collect();
    keys.sort();
    keys
}

fn info_field(h: &mut Harness, name: &str) -> String {
    let Frame::Verbatim(_, text) = h.run("INFO everything") else { panic!("INFO") };
    let text = String::from_utf8(text).unwrap();
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(str::to_string))
        .unwrap_or_else(|| panic!("no INFO field {name}"))
}

fn cron(h: &mut Harness) {
    let now = h.now_ms;
    h.engine.cron(now);
}

#[test]
fn save_writes_the_dataset_and_resets_the_counter() {
    // rule: PERS-1
    let (mut h, disk, _) = harness();
    h.run("SET a 1");
    h.run("SET b hello");
    h.run("SELECT 3");
    h.run("SET c x");
    h.run("PEXPIREAT c 4102444800000");
    assert_eq!(info_field(&mut h, "rdb_changes_since_last_save"), "4");
    h.advance_ms(5000);
    assert_eq!(h.run("SAVE"), ok());
    assert_eq!(h.run("LASTSAVE"), int((h.now_ms / 1000) as i64));
    assert_eq!(info_field(&mut h, "rdb_changes_since_last_save"), "0");
    assert_eq!(info_field(&mut h, "rdb_saves"), "1");
    let file = disk.read("dump.rdb").expect("dump.rdb written");
    assert_eq!(
        file_keys(&file),
        vec![
            (0, b"a".to_vec(), b"1".to_vec(), None),
            (0, b"b".to_vec(), b"hello".to_vec(), None),
            (3, b"c".to_vec(), b"x".to_vec(), Some(4102444800000)),
        ]
    );
    assert!(!disk.exists("temp-4242.rdb"), "the temporary file was renamed");
    // The save is durable: a power loss right after keeps the file.
    disk.crash();
    assert_eq!(disk.read("dump.rdb").unwrap(), file);
}

#[test]
fn bgsave_is_a_point_in_time_snapshot() {
    // rules: PERS-2 PERS-3
    let (mut h, disk, control) = harness();
    for i in 0..100 {
        h.run(&format!("SET k{i} v{i}"));
    }
    control.hold(true);
    assert_eq!(h.run("BGSAVE"), Frame::Simple("Background saving started".into()));
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "1");
    assert_eq!(h.run("BGSAVE"), err("ERR Background save already in progress"));
    assert_eq!(h.run("BGSAVE SCHEDULE"), err("ERR Background save already in progress"));
    assert_eq!(h.run("SAVE"), err("ERR Background save already in progress"));
    // Writes during the save: changes, deletions, new keys.
    for i in 0..50 {
        h.run(&format!("SET k{i} changed"));
        h.run(&format!("DEL k{}", 50 + i));
        h.run(&format!("SET new{i} x"));
    }
    h.advance_ms(2000);
    cron(&mut h);
    assert!(disk.read("dump.rdb").is_none(), "still running");
    control.hold(false);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "0");
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_time_sec"), "2");
    // Only the changes made during the save remain unsaved.
    assert_eq!(info_field(&mut h, "rdb_changes_since_last_save"), "150");
    let keys = file_keys(&disk.read("dump.rdb").unwrap());
    let want: Vec<_> = {
        let mut v: Vec<_> =
            (0..100).map(|i| (0, format!("k{i}").into_bytes(), format!("v{i}").into_bytes(), None)).collect();
        v.sort();
        v
    };
    assert_eq!(keys, want, "the file holds the state at the moment BGSAVE was called");
    assert_eq!(h.run("BGSAVE x"), err("ERR syntax error"));
    assert_eq!(h.run("BGSAVE SCHEDULE"), Frame::Simple("Background saving started".into()));
}

#[test]
fn save_points_trigger_background_saves() {
    // rule: PERS-4
    let (mut h, disk, control) = harness();
    assert_eq!(h.run("CONFIG SET save \"10 2 100 1\""), ok());
    h.run("SET a 1");
    h.advance_ms(11_000);
    cron(&mut h);
    assert!(disk.read("dump.rdb").is_none(), "1 change is not enough for the 10 s point");
    h.run("SET b 2");
    cron(&mut h); // starts the save
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "1");
    cron(&mut h); // the in-process saver completes at the next poll
    assert_eq!(file_keys(&disk.read("dump.rdb").unwrap()).len(), 2);
    assert_eq!(h.engine.dirty, 0);
    // A failing save is retried only after 5 seconds.
    disk.fail(DiskOp::Create, Fault::NoSpace, "temp-", Some(1));
    h.run("SET c 3");
    h.run("SET d 4");
    h.advance_ms(11_000);
    cron(&mut h);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err");
    let saves = info_field(&mut h, "rdb_saves");
    h.advance_ms(3000);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_saves"), saves, "no retry within 5 s");
    h.advance_ms(3000);
    cron(&mut h);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(file_keys(&disk.read("dump.rdb").unwrap()).len(), 4);
    let _ = control;
    assert_eq!(h.run("CONFIG SET save \"\""), ok());
    h.run("SET e 5");
    h.advance_ms(1_000_000);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "0", "save \"\" disables save points");
}

#[test]
fn disk_faults_fail_saves_and_keep_the_old_file() {
    // rules: PERS-1 PERS-3
    for (op, fault) in [
        (DiskOp::Create, Fault::Io),
        (DiskOp::Write, Fault::NoSpace),
        (DiskOp::Write, Fault::ShortWrite),
        (DiskOp::Sync, Fault::Io),
        (DiskOp::Rename, Fault::Io),
    ] {
        let (mut h, disk, control) = harness();
        h.run("SET a old");
        assert_eq!(h.run("SAVE"), ok());
        let old = disk.read("dump.rdb").unwrap();
        h.run("SET a new");
        disk.fail(op, fault, "temp-", Some(1));
        assert_eq!(h.run("SAVE"), err("ERR"), "{op:?} {fault:?}");
        assert_eq!(disk.read("dump.rdb").unwrap(), old, "{op:?} {fault:?}: the old file stays");
        assert_eq!(disk.paths(), vec!["dump.rdb".to_string()], "{op:?} {fault:?}: no temporary file left");
        assert_eq!(h.engine.dirty, 1);
        // The same fault in a background save is reported by INFO.
        disk.fail(op, fault, "temp-", Some(1));
        assert_eq!(h.run("BGSAVE"), Frame::Simple("Background saving started".into()));
        cron(&mut h);
        assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err", "{op:?} {fault:?}");
        assert_eq!(disk.read("dump.rdb").unwrap(), old);
        let _ = control;
    }
}

#[test]
fn fork_failure_is_reported() {
    // rule: PERS-2
    let (mut h, _disk, control) = harness();
    control.fail_next_start("fork: Cannot allocate memory");
    assert_eq!(h.run("BGSAVE"), err("ERR"));
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err");
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "0");
    assert!(h.engine.persist.log.iter().any(|(_, l)| l == "Can't save in background: fork: Cannot allocate memory"));
}

#[test]
fn shutdown_saves_unless_told_not_to() {
    // rule: PERS-5
    let (mut h, disk, _) = harness();
    h.run("SET a 1");
    assert_eq!(h.run("SHUTDOWN NOSAVE"), Frame::Raw(vec![]));
    assert!(disk.read("dump.rdb").is_none());
    let (mut h, disk, _) = harness();
    h.run("SET a 1");
    // With the default save points, SHUTDOWN saves.
    assert_eq!(h.run("SHUTDOWN"), Frame::Raw(vec![]));
    assert_eq!(file_keys(&disk.read("dump.rdb").unwrap()).len(), 1);
    let (mut h, disk, _) = harness();
    h.run("CONFIG SET save \"\"");
    h.run("SET a 1");
    assert_eq!(h.run("SHUTDOWN"), Frame::Raw(vec![]));
    assert!(disk.read("dump.rdb").is_none(), "no save points: no save");
    let (mut h, disk, _) = harness();
    h.run("CONFIG SET save \"\"");
    h.run("SET a 1");
    disk.fail(DiskOp::Create, Fault::Io, "", None);
    assert_eq!(h.run("SHUTDOWN SAVE"), err("ERR Errors trying to SHUTDOWN. Check logs."));
    assert!(h.engine.shutdown.is_none());
    assert_eq!(h.run("SHUTDOWN SAVE FORCE"), Frame::Raw(vec![]));
    assert!(h.engine.shutdown.is_some());
}

#[test]
fn shutdown_stops_a_running_background_save() {
    // rules: PERS-3 PERS-5
    let (mut h, disk, control) = harness();
    h.run("SET a 1");
    control.hold(true);
    assert_eq!(h.run("BGSAVE"), Frame::Simple("Background saving started".into()));
    assert_eq!(h.run("SHUTDOWN"), Frame::Raw(vec![]));
    assert_eq!(info_field(&mut h, "rdb_bgsave_in_progress"), "0");
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok", "a deliberate kill is no error");
    assert_eq!(disk.paths(), vec!["dump.rdb".to_string()]);
}

#[test]
fn debug_reload_round_trips() {
    // rule: PERS-8
    let (mut h, disk, _) = harness();
    h.run("SET a 12345");
    h.run("SET b hello");
    h.run(&format!("SET c {}", "x".repeat(100)));
    h.run("PEXPIRE b 100000");
    assert_eq!(h.run("DEBUG RELOAD"), ok());
    assert_eq!(h.run("GET a"), bulk("12345"));
    assert_eq!(h.run("OBJECT ENCODING a"), bulk("int"));
    assert_eq!(h.run("OBJECT ENCODING b"), bulk("embstr"));
    assert_eq!(h.run("OBJECT ENCODING c"), bulk("raw"));
    assert_eq!(h.run("PTTL b"), int(100000));
    assert_eq!(h.run("DEBUG RELOAD foo"), err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
    assert_eq!(
        h.run("DEBUG nosuch"),
        err("ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.")
    );
    // NOSAVE NOFLUSH without MERGE finds the keys already there: refused.
    assert_eq!(h.run("DEBUG RELOAD NOSAVE NOFLUSH"), err("ERR Error trying to load the RDB dump"));
    assert_eq!(h.run("DEBUG RELOAD NOSAVE NOFLUSH MERGE"), ok());
    assert_eq!(h.run("DBSIZE"), int(3));
    disk.put("dump.rdb", b"REDIS0010garbage");
    assert_eq!(h.run("DEBUG RELOAD NOSAVE"), err("ERR Error trying to load the RDB dump"));
    let (mut plain, _, _) = harness_with(Config::default());
    assert!(matches!(plain.run("DEBUG RELOAD"), Frame::Error(e) if e.starts_with("ERR DEBUG command not allowed")));
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn restore_payloads_from_redis() {
    // rule: PERS-6
    let (mut h, _, _) = harness();
    // DUMPs taken from redis-server 7.0.15: -12345, i64::MAX, "abc"*20 (LZF), a list [a b 1].
    let n = hex("00c1c7cf0a0067eda236b4db26d0");
    let big = hex("0013393232333337323033363835343737353830370a003a657e9481e85f22");
    let lz = hex("00c30b40b40361626361e0a5020162630a002b5b6bac6c26c36d");
    let list = hex("1201020f0f00000003008161028162020101ff0a00e01bab4a47ce5922");
    for (key, payload, value) in
        [("n", &n, "-12345".to_string()), ("big", &big, i64::MAX.to_string()), ("lz", &lz, "abc".repeat(60))]
    {
        let argv = vec![b"RESTORE".to_vec(), key.as_bytes().to_vec(), b"0".to_vec(), payload.clone()];
        assert_eq!(h.run_argv(&argv), ok());
        assert_eq!(h.run(&format!("GET {key}")), bulk(&value));
        // verdis's own DUMP of the value is accepted back (compressed bytes may differ from Redis's).
        let Frame::Bulk(ours) = h.run(&format!("DUMP {key}")) else { panic!("DUMP") };
        let again = vec![b"RESTORE".to_vec(), b"copy".to_vec(), b"0".to_vec(), ours, b"REPLACE".to_vec()];
        assert_eq!(h.run_argv(&again), ok());
        assert_eq!(h.run("GET copy"), bulk(&value));
    }
    assert_eq!(h.run("DUMP n"), Frame::Bulk(n.clone()), "same bytes as Redis for a small integer");
    // A quicklist-2 list restores as a list.
    let argv = vec![b"RESTORE".to_vec(), b"l".to_vec(), b"0".to_vec(), list];
    assert_eq!(h.run_argv(&argv), ok());
    assert_eq!(h.run("LRANGE l 0 -1"), Frame::Array(vec![bulk("a"), bulk("b"), bulk("1")]));
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("quicklist"));
}

#[test]
fn restore_options_and_errors() {
    // rules: PERS-6 PERS-7
    let (mut h, _, _) = harness();
    h.run("SET k v");
    let Frame::Bulk(payload) = h.run("DUMP k") else { panic!() };
    let run = |h: &mut Harness, args: &[&[u8]]| {
        let mut argv = vec![b"RESTORE".to_vec()];
        argv.extend(args.iter().map(|a| a.to_vec()));
        h.run_argv(&argv)
    };
    let p = payload.as_slice();
    assert_eq!(run(&mut h, &[b"k", b"0", p]), err("BUSYKEY Target key name already exists."));
    assert_eq!(run(&mut h, &[b"k2", b"-1", p]), err("ERR Invalid TTL value, must be >= 0"));
    assert_eq!(run(&mut h, &[b"k2", b"x", p]), err("ERR value is not an integer or out of range"));
    assert_eq!(run(&mut h, &[b"k2", b"0", b"x"]), err("ERR DUMP payload version or checksum are wrong"));
    assert_eq!(run(&mut h, &[b"k2", b"0", p, b"IDLETIME", b"5", b"FREQ", b"3"]), err("ERR syntax error"));
    assert_eq!(run(&mut h, &[b"k2", b"0", p, b"IDLETIME", b"-5"]), err("ERR Invalid IDLETIME value, must be >= 0"));
    assert_eq!(run(&mut h, &[b"k2", b"0", p, b"FREQ", b"300"]), err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
    assert_eq!(run(&mut h, &[b"k2", b"0", p, b"IDLETIME"]), err("ERR syntax error"));
    assert_eq!(run(&mut h, &[b"k2", b"0", p, b"foo"]), err("ERR syntax error"));
    let mut wrong_version = payload.clone();
    let n = wrong_version.len();
    wrong_version[n - 10] = 11;
    assert_eq!(run(&mut h, &[b"k2", b"0", &wrong_version]), err("ERR DUMP payload version or checksum are wrong"));
    // TTLs: relative, absolute, already past.
    assert_eq!(run(&mut h, &[b"t1", b"5000", p]), ok());
    assert_eq!(h.run("PTTL t1"), int(5000));
    let at = (h.now_ms + 7000).to_string();
    assert_eq!(run(&mut h, &[b"t2", at.as_bytes(), p, b"ABSTTL"]), ok());
    assert_eq!(h.run("PTTL t2"), int(7000));
    let past = (h.now_ms - 1).to_string();
    assert_eq!(run(&mut h, &[b"k", past.as_bytes(), p, b"ABSTTL", b"REPLACE"]), ok());
    assert_eq!(h.run("EXISTS k"), int(0), "restored in the past: the old key is deleted, no new one");
    assert_eq!(run(&mut h, &[b"i", b"0", p, b"IDLETIME", b"100"]), ok());
    assert_eq!(h.run("OBJECT IDLETIME i"), int(100));
    assert_eq!(h.run("DUMP nosuch"), Frame::Null);
}

#[test]
fn loading_refuses_commands_without_the_loading_flag() {
    // rule: PERS-8
    let (mut h, _, _) = harness();
    h.engine.persist.loading =
        Some(verdis::persist::control::LoadingInfo { start_ms: h.now_ms, total_bytes: 100, loaded_bytes: 40 });
    assert_eq!(h.run("GET a"), err("LOADING Redis is loading the dataset in memory"));
    assert_eq!(h.run("SET a 1"), err("LOADING Redis is loading the dataset in memory"));
    assert_eq!(info_field(&mut h, "loading"), "1");
    assert_eq!(info_field(&mut h, "loading_loaded_perc"), "40.00");
    assert_eq!(h.run("LASTSAVE"), int((h.engine.start_ms / 1000) as i64));
    // PING has no `loading` flag in Redis 7.0.
    assert_eq!(h.run("PING"), err("LOADING Redis is loading the dataset in memory"));
}

#[test]
fn corpus_files_load_into_the_engine() {
    // rule: PERS-8
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rdb");
    let (mut h, disk, _) = harness();
    // Strings (with every string encoding) load; the expiry test file drops its expired keys.
    disk.put("dump.rdb", &std::fs::read(root.join("generated/strings.rdb")).unwrap());
    let stats = h.engine.rdb_load_file("dump.rdb", h.now_ms + 1_000_000_000, false).expect("strings load");
    assert_eq!(stats.keys_loaded, 31);
    assert_eq!(h.run("GET str:raw:compressible"), bulk(&"a".repeat(20000)));
    assert_eq!(h.run("OBJECT ENCODING str:int:i64max"), bulk("int"));
    assert_eq!(h.run("OBJECT ENCODING str:embstr:44"), bulk("embstr"));
    assert_eq!(h.run("OBJECT ENCODING str:raw:45"), bulk("raw"));
    assert_eq!(info_field(&mut h, "rdb_last_load_keys_loaded"), "31");
    // Lists of every node shape load with their elements in order (lists.json has Redis's view).
    disk.put("lists.rdb", &std::fs::read(root.join("generated/lists.rdb")).unwrap());
    let stats = h.engine.rdb_load_file("lists.rdb", h.now_ms, false).expect("lists load");
    assert_eq!(stats.keys_loaded, 6);
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("generated/lists.json")).unwrap()).unwrap();
    for key in expected["dbs"][0]["keys"].as_array().unwrap() {
        let name = key["key"].as_str().unwrap();
        let want: Vec<Frame> = key["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| match v.as_str() {
                Some(s) => bulk(s),
                None => Frame::bulk(hex(v["hex"].as_str().unwrap())),
            })
            .collect();
        let argv = vec![b"LRANGE".to_vec(), name.as_bytes().to_vec(), b"0".to_vec(), b"-1".to_vec()];
        assert_eq!(h.run_argv(&argv), Frame::Array(want), "{name}");
    }
    // Empty containers are skipped, as Redis does.
    let (mut h, disk, _) = harness();
    disk.put("dump.rdb", &std::fs::read(root.join("redis-assets/corrupt_empty_keys.rdb")).unwrap());
    let stats = h.engine.rdb_load_file("dump.rdb", h.now_ms, false).unwrap();
    assert_eq!((stats.keys_loaded, stats.empty_keys_skipped), (0, 9));
}

// rule: PERS-10
#[test]
fn loaded_encodings_follow_the_limits_in_force() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rdb");
    let file = std::fs::read(root.join("redis-assets/hash-zipmap.rdb")).unwrap();
    for (param, value, expected) in [
        ("hash-max-listpack-entries", "512", "listpack"),
        ("hash-max-listpack-entries", "1", "hashtable"),
        ("hash-max-listpack-value", "1", "hashtable"),
    ] {
        let mut config = Config::default();
        config.set(param, value.as_bytes()).unwrap();
        let (mut h, disk, _) = harness_with(config);
        disk.put("dump.rdb", &file);
        h.engine.rdb_load_file("dump.rdb", h.now_ms, false).unwrap();
        assert_eq!(h.run("OBJECT ENCODING hash"), Frame::bulk(expected.as_bytes().to_vec()), "{param} {value}");
    }
}

// rule: PERS-7
#[test]
fn a_corrupt_restore_payload_is_logged_at_verbose_level() {
    let (mut h, _, _) = harness();
    // A hash listpack (type 16) whose listpack claims more bytes than it has, valid footer.
    let mut payload = vec![16u8, 0x0a];
    payload.extend_from_slice(&[0xff, 0, 0, 0, 2, 0, 0x81, 0x61, 0x02, 0xff]);
    payload.extend_from_slice(&10u16.to_le_bytes());
    let crc = verdis::persist::rdb::crc64(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    let reply = h.run_argv(&[b"RESTORE".to_vec(), b"k".to_vec(), b"0".to_vec(), payload]);
    assert_eq!(reply, Frame::Error("ERR Bad data format".into()));
    let logged: Vec<_> = h.engine.persist.log.iter().map(|(level, l)| (*level, l.clone())).collect();
    assert!(
        logged.iter().any(|(level, l)| *level == verdis::engine::config::LogLevel::Verbose
            && l.starts_with("Internal error in RDB reading offset ")
            && l.ends_with("integrity check failed.")),
        "{logged:?}"
    );
}
