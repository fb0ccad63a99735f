//! The AOF through the engine on the simulated disk: files as Redis writes them, reload after a
//! restart, truncated tails, corruption, rewrite and runtime switching. Rules in
//! specs/rules/aof.md.

use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::aof::keyspace_fingerprint;
use verdis::persist::aof::load::AofLoad;
use verdis::persist::aof::AofStatus;
use verdis::persist::disk::SimDisk;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;

const MANIFEST: &str = "appendonlydir/appendonly.aof.manifest";
const INCR1: &str = "appendonlydir/appendonly.aof.1.incr.aof";

fn config(extra: &[(&str, &str)]) -> Config {
    let mut c = Config::default();
    c.set("appendonly", b"yes").unwrap();
    for (k, v) in extra {
        c.set(k, v.as_bytes()).unwrap();
    }
    c
}

/// A server "process": an engine on `disk`, booted as with `appendonly yes`.
fn boot(disk: &SimDisk, extra: &[(&str, &str)]) -> (Harness, Result<AofLoad, String>) {
    let mut h = Harness::with_config(config(extra));
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    let loaded = h.engine.aof_boot(now);
    (h, loaded)
}

fn run_all(h: &mut Harness, lines: &[&str]) {
    for l in lines {
        h.run(l);
        let now = h.now_ms;
        assert!(h.engine.aof_flush(now));
    }
}

fn text(disk: &SimDisk, path: &str) -> String {
    String::from_utf8_lossy(&disk.read(path).unwrap_or_default()).into_owned()
}

// rule: AOF-5
#[test]
fn fresh_start_writes_base_incr_and_manifest_as_redis() {
    let disk = SimDisk::new();
    let (mut h, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::NotExist));
    assert_eq!(
        text(&disk, MANIFEST),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(disk.read("appendonlydir/appendonly.aof.1.base.rdb").unwrap().starts_with(b"REDIS0010"));
    run_all(&mut h, &["SET a 1", "GET a", "SELECT 3", "set z 1"]);
    assert_eq!(
        text(&disk, INCR1),
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nset\r\n$1\r\nz\r\n$1\r\n1\r\n"
    );
}

// rule: AOF-6
#[test]
fn restart_reloads_the_same_keyspace() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("appendfsync", "always")]);
    run_all(
        &mut h,
        &[
            "SET a 1",
            "SET e 1 EX 100",
            "RPUSH l a b c",
            "SADD s x y z",
            "SPOP s",
            "ZADD z 1.5 m 2 n",
            "HSET h f v",
            "INCRBYFLOAT fl 0.1",
            "MULTI",
            "INCR a",
            "LPOP l",
            "EXEC",
            "SELECT 2",
            "SET other 1",
        ],
    );
    let before = keyspace_fingerprint(&h.engine.dbs);
    disk.crash();
    let (h2, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), before);
    // The incr file is reopened for appending, not replaced.
    assert!(text(&disk, MANIFEST).ends_with("file appendonly.aof.1.incr.aof seq 1 type i\n"));
}

// rule: AOF-7
#[test]
fn truncated_tail_is_cut_and_logged() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1", "SET b 2"]);
    let full = disk.read(INCR1).unwrap();
    let good = full.len();
    let mut torn = full.clone();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    disk.put(INCR1, &torn);
    let (h2, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    assert_eq!(disk.read(INCR1).unwrap().len(), good);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs).len(), 2);
    let log: Vec<String> = h2.engine.persist.log.iter().map(|(_, l)| l.clone()).collect();
    assert!(log.iter().any(|l| l == &format!("!!! Truncating the AOF appendonly.aof.1.incr.aof at offset {good} !!!")));
    // With aof-load-truncated no, the same file stops the start.
    disk.put(INCR1, &torn);
    let (_, refused) = boot(&disk, &[("aof-load-truncated", "no")]);
    assert!(refused.unwrap_err().starts_with("Unexpected end of file reading the append only file"));
}

// rule: AOF-7
#[test]
fn open_transaction_at_the_end_is_dropped() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    let good = disk.read(INCR1).unwrap();
    let mut tail = good.clone();
    tail.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    disk.put(INCR1, &tail);
    let (h2, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), ["0:a=string:1 ttl=None"]);
    assert_eq!(disk.read(INCR1).unwrap(), good);
}

// rule: AOF-8
#[test]
fn corruption_in_the_middle_stops_the_start() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1", "SET b 2"]);
    let mut data = disk.read(INCR1).unwrap();
    data[0] = b'x';
    disk.put(INCR1, &data);
    let (_, refused) = boot(&disk, &[]);
    assert!(refused.unwrap_err().starts_with("Bad file format reading the append only file appendonly.aof.1.incr.aof"));
    disk.put(INCR1, b"*1\r\n$7\r\nNOTACMD\r\n");
    let (_, refused) = boot(&disk, &[]);
    assert_eq!(
        refused.unwrap_err(),
        "Unknown command 'NOTACMD' reading the append only file appendonly.aof.1.incr.aof"
    );
}

// rule: AOF-9
#[test]
fn rewrite_switches_manifest_and_removes_history() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("appendfsync", "always")]);
    run_all(&mut h, &["SET a 1", "SET b 2", "DEL b"]);
    assert_eq!(
        h.run("BGREWRITEAOF"),
        verdis::resp::Frame::Simple("Background append only file rewriting started".into())
    );
    // Written while the rewrite runs: goes to the new incr file.
    run_all(&mut h, &["SET c 3"]);
    assert_eq!(
        text(&disk, MANIFEST),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(
        text(&disk, MANIFEST),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert!(!disk.exists(INCR1));
    assert!(!disk.exists("appendonlydir/appendonly.aof.1.base.rdb"));
    let before = keyspace_fingerprint(&h.engine.dbs);
    disk.crash();
    let (h2, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), before);
}

// rule: AOF-9
#[test]
fn rewrite_with_command_base() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("aof-use-rdb-preamble", "no")]);
    run_all(&mut h, &["SET a 1", "RPUSH l x y", "ZADD z 1 m", "HSET h f v", "SADD s 1 2", "PEXPIRE a 100000"]);
    h.run("BGREWRITEAOF");
    // The base is written by the background saver (the forked child in the server), not by
    // BGREWRITEAOF itself.
    assert!(h.engine.persist.aof.rewrite.is_some());
    assert!(!disk.exists("appendonlydir/appendonly.aof.2.base.aof"));
    let now = h.now_ms;
    h.engine.cron(now);
    assert!(text(&disk, MANIFEST).starts_with("file appendonly.aof.2.base.aof seq 2 type b\n"));
    let base = text(&disk, "appendonlydir/appendonly.aof.2.base.aof");
    assert!(base.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), "{base}");
    let before = keyspace_fingerprint(&h.engine.dbs);
    let (h2, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), before);
}

// rule: AOF-9
#[test]
fn command_base_starts_with_timestamp_and_functions() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("aof-use-rdb-preamble", "no"), ("aof-timestamp-enabled", "yes")]);
    let code = "#!lua name=test\nredis.register_function('test', function() return 1 end)";
    h.run_argv(&[b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.as_bytes().to_vec()]);
    run_all(&mut h, &["SET a 1"]);
    h.run("BGREWRITEAOF");
    let now = h.now_ms;
    h.engine.cron(now);
    let base = text(&disk, "appendonlydir/appendonly.aof.2.base.aof");
    let function_load = format!("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n${}\r\n{code}\r\n", code.len());
    assert!(base.starts_with(&format!("#TS:{}\r\n{function_load}*2\r\n$6\r\nSELECT", now / 1000)), "{base}");
    // The functions come back from the base.
    let (mut h2, _) = boot(&disk, &[]);
    assert_eq!(h2.run("FCALL test 0"), verdis::resp::Frame::Integer(1));
}

// rule: AOF-9
#[test]
fn history_kept_by_disable_auto_gc_goes_when_it_is_switched_off() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("aof-disable-auto-gc", "yes")]);
    run_all(&mut h, &["SET a 1"]);
    for _ in 0..2 {
        h.run("BGREWRITEAOF");
        let now = h.now_ms;
        h.engine.cron(now);
    }
    let manifest = text(&disk, MANIFEST);
    assert_eq!(manifest.lines().filter(|l| l.ends_with("type h")).count(), 4, "{manifest}");
    assert!(disk.exists("appendonlydir/appendonly.aof.1.incr.aof"));
    h.run("CONFIG SET aof-disable-auto-gc no");
    let manifest = text(&disk, MANIFEST);
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
    assert!(!disk.exists("appendonlydir/appendonly.aof.1.incr.aof"));
    assert!(!disk.exists("appendonlydir/appendonly.aof.1.base.rdb"));
}

// rule: AOF-10
#[test]
fn config_set_appendonly_at_runtime() {
    let disk = SimDisk::new();
    let mut h = Harness::new();
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    h.run("SET before 1");
    h.run("CONFIG SET appendonly yes");
    assert!(h.engine.aof_on());
    let now = h.now_ms;
    h.engine.cron(now);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    run_all(&mut h, &["SET after 2"]);
    let before = keyspace_fingerprint(&h.engine.dbs);
    let (h2, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), before);
    h.run("CONFIG SET appendonly no");
    assert!(!h.engine.aof_on());
    run_all(&mut h, &["SET ignored 3"]);
    let (h3, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h3.engine.dbs), before);
}

// rule: AOF-11
#[test]
fn old_single_file_aof_is_upgraded() {
    let disk = SimDisk::new();
    disk.put("appendonly.aof", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    let (h, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    assert_eq!(keyspace_fingerprint(&h.engine.dbs), ["0:k=string:v ttl=None"]);
    assert!(!disk.exists("appendonly.aof"));
    assert!(disk.exists("appendonlydir/appendonly.aof"));
    assert_eq!(
        text(&disk, MANIFEST),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
}

// rule: AOF-6
#[test]
fn a_past_expiry_time_in_the_file_does_not_delete_during_replay() {
    let disk = SimDisk::new();
    let mut aof = Vec::new();
    for cmd in [&["RPUSH", "list", "foo"][..], &["PEXPIREAT", "list", "1000"], &["RPUSH", "list", "bar"]] {
        aof.extend_from_slice(format!("*{}\r\n", cmd.len()).as_bytes());
        for arg in cmd {
            aof.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
    }
    disk.put("appendonly.aof", &aof);
    let (mut h, loaded) = boot(&disk, &[]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    // Both pushes went to the same list, which expired at time 1000: nothing is left.
    assert_eq!(h.engine.dbs[0].len(), 1);
    assert_eq!(h.run("LLEN list"), verdis::resp::Frame::Integer(0));
}

// rule: AOF-6
#[test]
fn a_missing_file_stops_the_start() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    verdis::persist::disk::Disk::remove(&mut disk.clone(), INCR1).unwrap();
    let (_, loaded) = boot(&disk, &[]);
    assert_eq!(
        loaded,
        Err("Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory".into())
    );
}

// rule: AOF-6
#[test]
fn keys_do_not_expire_during_replay() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET k 1 PX 100", "INCR k"]);
    // Reloaded after the key's time has passed: INCR still applies to the old value, then the
    // key is expired on access.
    let (mut h2, _) = boot(&disk, &[]);
    assert_eq!(h2.engine.dbs[0].len(), 1);
    h2.advance_ms(1000);
    assert_eq!(h2.run("GET k"), verdis::resp::Frame::Null);
}

// rule: AOF-12
#[test]
fn info_fields() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    let verdis::resp::Frame::Verbatim(_, info) = h.run("INFO persistence") else { panic!("INFO reply") };
    let info = String::from_utf8_lossy(&info).into_owned();
    for field in [
        "aof_enabled:1",
        "aof_rewrite_in_progress:0",
        "aof_last_write_status:ok",
        "aof_last_bgrewrite_status:ok",
        "aof_buffer_length:0",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
    let size = h.engine.persist.aof.current_size;
    assert!(info.contains(&format!("aof_current_size:{size}")));
    assert!(h.engine.persist.aof.healthy());
}

// rule: AOF-9
#[test]
fn automatic_rewrite_on_growth() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("auto-aof-rewrite-min-size", "1000"), ("auto-aof-rewrite-percentage", "100")]);
    // A fresh start does not count the first (empty) base, as Redis.
    assert_eq!((h.engine.persist.aof.base_size, h.engine.persist.aof.current_size), (0, 0));
    for i in 0..40 {
        run_all(&mut h, &[&format!("SET key{i} value-{i}")]);
    }
    assert!(h.engine.persist.aof.current_size > 1000);
    let now = h.now_ms;
    h.engine.cron(now); // starts the rewrite
    assert_eq!(h.engine.persist.aof.rewrites, 1);
    h.engine.cron(now); // reaps it
    assert!(text(&disk, MANIFEST).starts_with("file appendonly.aof.2.base.rdb seq 2 type b\n"));
    let log: Vec<String> = h.engine.persist.log.iter().map(|(_, l)| l.clone()).collect();
    assert!(log.iter().any(|l| l.starts_with("Starting automatic rewriting of AOF on ")), "{log:?}");
    assert!(log.iter().any(|l| l == "Background AOF rewrite finished successfully"));
}

// rule: AOF-9
#[test]
fn rewrite_and_bgsave_exclude_each_other() {
    use verdis::resp::Frame;
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    assert_eq!(h.run("BGREWRITEAOF"), Frame::Simple("Background append only file rewriting started".into()));
    assert_eq!(
        h.run("BGREWRITEAOF"),
        Frame::Error("ERR Background append only file rewriting already in progress".into())
    );
    assert_eq!(
        h.run("BGSAVE"),
        Frame::Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into())
    );
    assert_eq!(h.run("BGSAVE SCHEDULE"), Frame::Simple("Background saving scheduled".into()));
    let now = h.now_ms;
    h.engine.cron(now);
    assert!(h.engine.persist.aof.rewrite.is_none());
    // A rewrite asked for while a background save runs is scheduled.
    assert_eq!(h.run("BGSAVE"), Frame::Simple("Background saving started".into()));
    assert_eq!(h.run("BGREWRITEAOF"), Frame::Simple("Background append only file rewriting scheduled".into()));
    h.engine.cron(now);
    h.engine.cron(now);
    h.engine.cron(now);
    assert_eq!(h.engine.persist.aof.rewrites, 2);
}

// rule: AOF-4
#[test]
fn timestamp_annotations() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("aof-timestamp-enabled", "yes")]);
    run_all(&mut h, &["SET a 1", "SET b 2"]);
    h.advance_ms(2000);
    run_all(&mut h, &["SET c 3"]);
    let t = text(&disk, INCR1);
    let stamps: Vec<&str> = t.lines().filter(|l| l.starts_with("#TS:")).collect();
    assert_eq!(stamps.len(), 2, "{t}");
    assert_eq!(stamps[0], format!("#TS:{}", 1_000_000_000));
    let (h2, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs).len(), 3);
}

// rule: AOF-12
#[test]
fn write_errors_are_reported_and_recover() {
    use verdis::persist::disk::{DiskOp, Fault};
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[("appendfsync", "everysec")]);
    disk.fail(DiskOp::Write, Fault::NoSpace, "incr", Some(1));
    h.run("SET a 1");
    let now = h.now_ms;
    assert!(h.engine.aof_flush(now), "everysec keeps serving after a failed write");
    assert!(!h.engine.persist.aof.healthy());
    assert_eq!(h.engine.persist.aof.last_write_status(), "err");
    assert_eq!(h.engine.persist.aof.last_write, Err("No space left on device".into()));
    assert_eq!(h.engine.aof_write_error(), Some("No space left on device"));
    // The next flush (the cron retries) writes the buffer, and the status is ok again.
    h.engine.cron(now);
    assert!(h.engine.persist.aof.healthy());
    assert_eq!(h.engine.aof_write_error(), None);
    assert!(text(&disk, INCR1).contains("SET"));
    // With always, a failed write means no acknowledgement (the server exits).
    let (mut h2, _) = boot(&SimDisk::new(), &[("appendfsync", "always")]);
    let _ = &mut h2;
}

// rule: AOF-9, AOF-10
#[test]
fn rewrite_with_the_aof_off_then_turning_it_on() {
    let disk = SimDisk::new();
    let mut h = Harness::new();
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    h.run("SET a 1");
    h.run("BGREWRITEAOF");
    h.engine.cron(now);
    assert!(h.engine.persist.aof.rewrite.is_none());
    assert_eq!(text(&disk, MANIFEST), "file appendonly.aof.1.base.rdb seq 1 type b\n");
    h.run("CONFIG SET appendonly yes");
    assert!(h.engine.aof_on());
    run_all(&mut h, &["SET b 2"]);
    h.engine.cron(now);
    let (h2, _) = boot(&disk, &[]);
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), ["0:a=string:1 ttl=None", "0:b=string:2 ttl=None"]);
}

// rule: AOF-6
#[test]
fn replay_ignores_write_admission_checks() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    // min-replicas-to-write refuses clients' writes (verdis has no replicas), not the replay.
    let (h2, loaded) = boot(&disk, &[("min-replicas-to-write", "1"), ("requirepass", "secret")]);
    assert_eq!(loaded, Ok(AofLoad::Loaded));
    assert_eq!(keyspace_fingerprint(&h2.engine.dbs), ["0:a=string:1 ttl=None"]);
}

// rule: AOF-2, REPL-2
#[test]
fn publish_goes_to_replicas_not_to_the_aof() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    let units = h.propagated(&["PUBLISH ch m", "MULTI", "PUBLISH ch m2", "SET k v", "EXEC"]);
    assert_eq!(units, ["0:PUBLISH ch m", "0:MULTI", "0:PUBLISH ch m2", "0:SET k v", "0:EXEC"]);
    run_all(&mut h, &["PUBLISH ch m3", "SPUBLISH sh m", "SET a 1"]);
    let file = text(&disk, INCR1);
    assert!(!file.to_ascii_uppercase().contains("PUBLISH"), "{file}");
    assert!(file.contains("$1\r\na\r\n"), "{file}");
}

// rule: AOF-3
#[test]
fn scan_and_randomkey_expire_keys_without_a_transaction() {
    let disk = SimDisk::new();
    let (mut h, _) = boot(&disk, &[]);
    run_all(&mut h, &["SET foo1 bar PX 1", "SET foo2 bar PX 1"]);
    h.advance_ms(5);
    assert_eq!(h.propagated(&["SCAN 0"]), ["0:DEL foo1", "0:DEL foo2"]);
    run_all(&mut h, &["SET foo3 bar PX 1", "SET foo4 bar PX 1", "SET k v"]);
    h.advance_ms(5);
    let units = h.propagated(&["MULTI", "SCAN 0", "EXEC"]);
    assert_eq!(units.first().map(String::as_str), Some("0:MULTI"), "{units:?}");
}
