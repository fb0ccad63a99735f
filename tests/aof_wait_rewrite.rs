//! Turning the AOF on at runtime (CONFIG SET appendonly yes), BGREWRITEAOF with a command base,
//! and the `everysec` write postponed behind a running fsync, through the engine on the
//! simulated disk with the in-process saver (held or failed at will). Rules in
//! specs/rules/aof.md; the expected files, INFO fields and log lines were read from
//! redis-server 7.0.15 doing the same (with rdb-key-save-delay to keep its rewrite running).

use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::aof::keyspace_fingerprint;
use verdis::persist::aof::AofStatus;
use verdis::persist::disk::{Disk, DiskFile, DiskOp, Fault, SimDisk};
use verdis::persist::snapshot::{InlineControl, InlineSaver};
use verdis::persist::Persistence;
use verdis::resp::Frame;

const DIR: &str = "appendonlydir";
const MANIFEST: &str = "appendonlydir/appendonly.aof.manifest";
const TEMP_INCR: &str = "appendonlydir/temp-appendonly.aof.incr";

/// An engine started with `appendonly no` on `disk`, and the handle on its saver.
fn server(disk: &SimDisk, extra: &[(&str, &str)]) -> (Harness, InlineControl) {
    let mut config = Config::default();
    for (k, v) in extra {
        config.set(k, v.as_bytes()).unwrap();
    }
    let mut h = Harness::with_config(config);
    let saver = InlineSaver::new();
    let control = saver.control();
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(saver), now);
    (h, control)
}

/// A restart with `appendonly yes` on the same disk.
fn restart(disk: &SimDisk) -> Harness {
    let mut config = Config::default();
    config.set("appendonly", b"yes").unwrap();
    let mut h = Harness::with_config(config);
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    h.engine.aof_boot(now).expect("restart loads the AOF");
    h
}

fn text(disk: &SimDisk, path: &str) -> String {
    String::from_utf8_lossy(&disk.read(path).unwrap_or_default()).into_owned()
}

fn info(h: &mut Harness, field: &str) -> String {
    let Frame::Verbatim(_, body) = h.run("INFO persistence") else { panic!("INFO reply") };
    let body = String::from_utf8_lossy(&body).into_owned();
    let prefix = format!("{field}:");
    body.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{field} in {body}"))
}

fn fields(h: &mut Harness, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{n}:{}", info(h, n))).collect()
}

fn log(h: &mut Harness) -> Vec<String> {
    h.engine.persist.log.drain(..).map(|(_, l)| l).collect()
}

fn cron(h: &mut Harness) {
    let now = h.now_ms;
    h.engine.cron(now);
}

/// Runs `lines` and writes what they propagated, as the event loop does after each turn.
fn run_all(h: &mut Harness, lines: &[&str]) {
    for l in lines {
        h.run(l);
        let now = h.now_ms;
        assert!(h.engine.aof_flush(now));
    }
}

const STATE: [&str; 5] =
    ["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_bgrewrite_status", "aof_rewrites"];

// rule: AOF-10, AOF-19
#[test]
fn appendonly_yes_turns_on_when_the_background_rewrite_completes() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    run_all(&mut h, &["SET before 1", "SELECT 2", "SET other 1", "SELECT 0"]);
    control.hold(true);
    assert_eq!(h.run("CONFIG SET appendonly yes"), Frame::ok());
    // Waiting: on for INFO, the rewrite running, nothing in the manifest yet.
    assert_eq!(h.engine.persist.aof.status, AofStatus::WaitRewrite);
    assert_eq!(
        fields(&mut h, &STATE),
        [
            "aof_enabled:1",
            "aof_rewrite_in_progress:1",
            "aof_rewrite_scheduled:0",
            "aof_last_bgrewrite_status:ok",
            "aof_rewrites:1"
        ]
    );
    assert_eq!(fields(&mut h, &["aof_current_size", "aof_base_size"]), ["aof_current_size:0", "aof_base_size:0"]);
    assert!(!disk.exists(MANIFEST));
    // Writes made while waiting go to the temporary incr file.
    run_all(&mut h, &["SET during 1", "INCR during"]);
    assert!(text(&disk, TEMP_INCR).ends_with("$4\r\nINCR\r\n$6\r\nduring\r\n"));
    assert_eq!(
        log(&mut h),
        [
            "Creating AOF incr file temp-appendonly.aof.incr on background rewrite",
            "Background append only file rewriting started by pid 1000001"
        ]
    );
    control.hold(false);
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(
        text(&disk, MANIFEST),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(!disk.exists(TEMP_INCR));
    let incr = text(&disk, "appendonlydir/appendonly.aof.1.incr.aof");
    assert_eq!(
        incr,
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$6\r\nduring\r\n"
    );
    assert_eq!(
        log(&mut h),
        [
            "Background AOF rewrite terminated with success",
            "Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof",
            "Background AOF rewrite finished successfully"
        ]
    );
    assert_eq!(
        fields(&mut h, &STATE),
        [
            "aof_enabled:1",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:0",
            "aof_last_bgrewrite_status:ok",
            "aof_rewrites:1"
        ]
    );
    // As Redis: both sizes are the base plus the incr file written meanwhile.
    let base = disk.read("appendonlydir/appendonly.aof.1.base.rdb").unwrap().len();
    let expected = (base + incr.len()).to_string();
    assert_eq!(info(&mut h, "aof_current_size"), expected);
    assert_eq!(info(&mut h, "aof_base_size"), expected);
    // Later writes append to the same file; a restart finds everything.
    run_all(&mut h, &["SET after 1"]);
    let before = keyspace_fingerprint(&h.engine.dbs);
    assert_eq!(before.len(), 4);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), before);
}

// rule: AOF-19
#[test]
fn appendonly_yes_while_bgsave_runs_is_scheduled() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    control.hold(true);
    assert_eq!(h.run("BGSAVE"), Frame::Simple("Background saving started".into()));
    assert_eq!(h.run("CONFIG SET appendonly yes"), Frame::ok());
    assert_eq!(
        fields(&mut h, &["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_pending_rewrite"]),
        ["aof_enabled:1", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:1", "aof_pending_rewrite:1"]
    );
    assert_eq!(
        log(&mut h).last().map(String::as_str),
        Some("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
    );
    // Before the rewrite's snapshot, writes need no file: the snapshot will hold them.
    run_all(&mut h, &["SET b 2"]);
    assert!(!disk.exists(TEMP_INCR));
    assert!(h.engine.persist.aof.buf.is_empty());
    control.hold(false);
    cron(&mut h); // reaps the BGSAVE, then starts the rewrite
    assert_eq!(
        fields(&mut h, &["aof_rewrite_in_progress", "aof_rewrite_scheduled"]),
        ["aof_rewrite_in_progress:1", "aof_rewrite_scheduled:0"]
    );
    run_all(&mut h, &["SET c 3"]);
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(
        text(&disk, "appendonlydir/appendonly.aof.1.incr.aof"),
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
    let before = keyspace_fingerprint(&h.engine.dbs);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), before);
}

// rule: AOF-19
#[test]
fn appendonly_yes_inside_a_transaction_is_scheduled() {
    let disk = SimDisk::new();
    let (mut h, _control) = server(&disk, &[]);
    h.run("MULTI");
    h.run("CONFIG SET appendonly yes");
    h.run("SET m 1");
    h.run("BGREWRITEAOF");
    let Frame::Array(replies) = h.run("EXEC") else { panic!("EXEC reply") };
    assert_eq!(replies[2], Frame::Simple("Background append only file rewriting scheduled".into()));
    assert_eq!(fields(&mut h, &["aof_enabled", "aof_rewrite_scheduled"]), ["aof_enabled:1", "aof_rewrite_scheduled:1"]);
    assert!(log(&mut h).contains(
        &"AOF was enabled during a transaction. An AOF background was scheduled to start when possible.".to_string()
    ));
    cron(&mut h);
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), ["0:m=string:1 ttl=None"]);
}

// rule: AOF-10, AOF-19
#[test]
fn appendonly_no_while_waiting_stops_the_rewrite() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    control.hold(true);
    h.run("CONFIG SET appendonly yes");
    run_all(&mut h, &["SET x 1"]);
    log(&mut h);
    assert_eq!(h.run("CONFIG SET appendonly no"), Frame::ok());
    assert_eq!(log(&mut h), ["Killing running AOF rewrite child: 1000001"]);
    assert_eq!(
        fields(&mut h, &STATE),
        [
            "aof_enabled:0",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:0",
            "aof_last_bgrewrite_status:ok",
            "aof_rewrites:1"
        ]
    );
    assert!(!disk.exists(MANIFEST));
    control.hold(false);
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::Off);
    assert!(!disk.exists(MANIFEST));
    // Turned on again, it starts over with a fresh rewrite.
    h.run("CONFIG SET appendonly yes");
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), ["0:x=string:1 ttl=None"]);
}

// rule: AOF-19
#[test]
fn a_failed_rewrite_while_waiting_is_tried_again() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    control.hold(true);
    h.run("CONFIG SET appendonly yes");
    run_all(&mut h, &["SET b 2"]);
    // The base's temporary file cannot be written.
    disk.fail(DiskOp::Write, Fault::NoSpace, "temp-rewriteaof-bg-1000001", Some(1));
    control.hold(false);
    log(&mut h);
    cron(&mut h);
    let lines = log(&mut h);
    assert!(lines.contains(&"Background AOF rewrite terminated with error".to_string()), "{lines:?}");
    assert!(lines.contains(&"Removing the temp incr aof file temp-appendonly.aof.incr in the background".to_string()));
    assert_eq!(h.engine.persist.aof.status, AofStatus::WaitRewrite);
    assert_eq!(
        fields(
            &mut h,
            &[
                "aof_enabled",
                "aof_rewrite_in_progress",
                "aof_rewrite_scheduled",
                "aof_last_bgrewrite_status",
                "aof_rewrites_consecutive_failures"
            ]
        ),
        [
            "aof_enabled:1",
            "aof_rewrite_in_progress:0",
            "aof_rewrite_scheduled:1",
            "aof_last_bgrewrite_status:err",
            "aof_rewrites_consecutive_failures:1"
        ]
    );
    assert!(!disk.exists(TEMP_INCR));
    // Writes while no rewrite runs are in the dataset, which the next rewrite captures.
    run_all(&mut h, &["SET c 3"]);
    cron(&mut h); // starts the retry
    run_all(&mut h, &["SET d 4"]);
    cron(&mut h); // completes it
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(
        fields(&mut h, &["aof_last_bgrewrite_status", "aof_rewrites", "aof_rewrites_consecutive_failures"]),
        ["aof_last_bgrewrite_status:ok", "aof_rewrites:2", "aof_rewrites_consecutive_failures:0"]
    );
    let before = keyspace_fingerprint(&h.engine.dbs);
    assert_eq!(before.len(), 4);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), before);
}

// rule: AOF-19
#[test]
fn appendonly_yes_fails_when_no_rewrite_can_start() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    control.fail_next_start("fork: Cannot allocate memory");
    assert_eq!(
        h.run("CONFIG SET appendonly yes"),
        Frame::Error(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs."
                .into()
        )
    );
    assert_eq!(
        h.run("CONFIG GET appendonly"),
        Frame::Map(vec![(Frame::Bulk(b"appendonly".to_vec()), Frame::Bulk(b"no".to_vec()))])
    );
    assert_eq!(h.engine.persist.aof.status, AofStatus::Off);
    let lines = log(&mut h);
    assert_eq!(
        lines[lines.len() - 2..],
        [
            "Can't rewrite append only file in background: fork: fork: Cannot allocate memory".to_string(),
            "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.".to_string()
        ]
    );
}

// rule: AOF-19
#[test]
fn appendonly_yes_restarts_a_rewrite_begun_with_the_aof_off() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    control.hold(true);
    assert_eq!(h.run("BGREWRITEAOF"), Frame::Simple("Background append only file rewriting started".into()));
    log(&mut h);
    h.run("CONFIG SET appendonly yes");
    assert_eq!(
        log(&mut h),
        [
            "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.",
            "Killing running AOF rewrite child: 1000001",
            "Creating AOF incr file temp-appendonly.aof.incr on background rewrite",
            "Background append only file rewriting started by pid 1000002"
        ]
    );
    run_all(&mut h, &["SET b 2"]);
    control.hold(false);
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    // The stopped rewrite is not a failure.
    assert_eq!(info(&mut h, "aof_last_bgrewrite_status"), "ok");
    let before = keyspace_fingerprint(&h.engine.dbs);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), before);
}

// rule: AOF-9
#[test]
fn command_base_is_written_by_the_background_saver() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[("aof-use-rdb-preamble", "no")]);
    run_all(&mut h, &["SET a 1", "RPUSH l x y", "PEXPIRE a 100000"]);
    control.hold(true);
    h.run("CONFIG SET appendonly yes");
    // The base is not written by CONFIG SET: the saver has not run yet.
    let files: Vec<String> = disk.paths().into_iter().filter(|p| p.starts_with(DIR)).collect();
    assert_eq!(files, ["appendonlydir/temp-appendonly.aof.incr"]);
    // Written after the saver's snapshot: not in the base, in the incr file.
    run_all(&mut h, &["SET b 2"]);
    control.hold(false);
    cron(&mut h);
    let base = text(&disk, "appendonlydir/appendonly.aof.1.base.aof");
    assert!(base.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), "{base}");
    assert!(base.contains("$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n$1\r\ny\r\n"), "{base}");
    assert!(base.contains("PEXPIREAT"), "{base}");
    assert!(!base.contains("$1\r\nb\r\n"), "{base}");
    let before = keyspace_fingerprint(&h.engine.dbs);
    assert_eq!(keyspace_fingerprint(&restart(&disk).engine.dbs), before);
}

/// A disk whose files' background syncs wait while the gate is closed: a slow fsync.
#[derive(Clone)]
struct GateDisk {
    inner: SimDisk,
    gate: Arc<(Mutex<bool>, Condvar)>,
}

struct GateFile {
    inner: Box<dyn DiskFile>,
    gate: Arc<(Mutex<bool>, Condvar)>,
    /// Handles given to the background fsync wait at the gate.
    waits: bool,
}

impl GateDisk {
    fn set_open(&self, open: bool) {
        let (lock, cv) = &*self.gate;
        *lock.lock().unwrap() = open;
        cv.notify_all();
    }

    fn wrap(&self, inner: Box<dyn DiskFile>) -> Box<dyn DiskFile> {
        Box::new(GateFile { inner, gate: self.gate.clone(), waits: false })
    }
}

impl Write for GateFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl DiskFile for GateFile {
    fn sync(&mut self) -> io::Result<()> {
        if self.waits {
            let (lock, cv) = &*self.gate;
            let mut open = lock.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
        }
        self.inner.sync()
    }
    fn sync_handle(&self) -> Option<Box<dyn DiskFile>> {
        let inner = self.inner.sync_handle()?;
        Some(Box::new(GateFile { inner, gate: self.gate.clone(), waits: true }))
    }
}

impl Disk for GateDisk {
    fn create(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        let f = self.inner.create(path)?;
        Ok(self.wrap(f))
    }
    fn open(&mut self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        self.inner.open(path)
    }
    fn size(&mut self, path: &str) -> io::Result<u64> {
        self.inner.size(path)
    }
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove(&mut self, path: &str) -> io::Result<()> {
        self.inner.remove(path)
    }
    fn sync_dir(&mut self, path: &str) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
    fn handle(&self) -> Box<dyn Disk> {
        Box::new(self.clone())
    }
    fn append(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        let f = self.inner.append(path)?;
        Ok(self.wrap(f))
    }
    fn truncate(&mut self, path: &str, len: u64) -> io::Result<()> {
        self.inner.truncate(path, len)
    }
    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.inner.create_dir(path)
    }
    fn dir_exists(&mut self, path: &str) -> bool {
        self.inner.dir_exists(path)
    }
}

// rule: AOF-14
#[test]
fn everysec_write_waits_for_a_running_fsync_at_most_two_seconds() {
    let sim = SimDisk::new();
    let disk = GateDisk { inner: sim.clone(), gate: Arc::new((Mutex::new(false), Condvar::new())) };
    let mut config = Config::default();
    config.set("appendonly", b"yes").unwrap();
    config.set("appendfsync", b"everysec").unwrap();
    let mut h = Harness::with_config(config);
    let now = h.now_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), now);
    h.engine.persist.aof.bg = Some(verdis::persist::aof::fsync::BgFsync::start().unwrap());
    h.engine.aof_boot(now).unwrap();
    const INCR: &str = "appendonlydir/appendonly.aof.1.incr.aof";
    h.advance_ms(1000);
    // Written, then a background fsync starts (and hangs at the gate).
    run_all(&mut h, &["SET a 1"]);
    assert!(text(&sim, INCR).contains("$1\r\na\r\n"));
    assert!(h.engine.persist.aof.bg.as_ref().unwrap().busy());
    // The next write waits behind it; the reply need not wait for that write.
    h.advance_ms(100);
    run_all(&mut h, &["SET b 2"]);
    assert!(!text(&sim, INCR).contains("$1\r\nb\r\n"));
    assert!(!h.engine.aof_pending());
    assert_ne!(info(&mut h, "aof_buffer_length"), "0");
    h.advance_ms(1000);
    run_all(&mut h, &["SET c 3"]);
    assert!(!text(&sim, INCR).contains("$1\r\nb\r\n"));
    // After two seconds it goes ahead, counted as a delayed fsync.
    h.advance_ms(1000);
    log(&mut h);
    let now = h.now_ms;
    assert!(h.engine.aof_flush(now));
    assert!(text(&sim, INCR).contains("$1\r\nb\r\n") && text(&sim, INCR).contains("$1\r\nc\r\n"));
    assert_eq!(info(&mut h, "aof_delayed_fsync"), "1");
    assert_eq!(log(&mut h), ["Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis."]);
    disk.set_open(true);
    h.engine.persist.aof.bg.as_ref().unwrap().wait_idle();
    // Once the fsync is done, writes go straight out again.
    run_all(&mut h, &["SET d 4"]);
    assert!(text(&sim, INCR).contains("$1\r\nd\r\n"));
}

// rule: AOF-9, AOF-19
#[test]
fn repeated_failures_hold_scheduled_rewrites_back() {
    let disk = SimDisk::new();
    let (mut h, _control) = server(&disk, &[]);
    run_all(&mut h, &["SET a 1"]);
    // Every base write fails: each rewrite's temporary file is named after its child id.
    for id in 1_000_001..=1_000_004 {
        disk.fail(DiskOp::Write, Fault::NoSpace, &format!("temp-rewriteaof-bg-{id}"), Some(1));
    }
    h.run("CONFIG SET appendonly yes");
    cron(&mut h); // 1st fails, rescheduled
    cron(&mut h); // 2nd starts
    cron(&mut h); // 2nd fails
    cron(&mut h); // 3rd starts
    cron(&mut h); // 3rd fails
    assert_eq!(info(&mut h, "aof_rewrites_consecutive_failures"), "3");
    log(&mut h);
    cron(&mut h); // held back
    assert_eq!(
        log(&mut h),
        ["Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes"]
    );
    assert_eq!(
        fields(&mut h, &["aof_rewrite_in_progress", "aof_rewrite_scheduled"]),
        ["aof_rewrite_in_progress:0", "aof_rewrite_scheduled:1"]
    );
    h.advance_ms(30_000);
    cron(&mut h);
    assert_eq!(info(&mut h, "aof_rewrite_in_progress"), "0");
    h.advance_ms(30_000);
    cron(&mut h); // the minute has passed: the 4th starts (and fails)
    cron(&mut h);
    assert_eq!(info(&mut h, "aof_rewrites_consecutive_failures"), "4");
    // BGREWRITEAOF is not held back, and a success ends the limit.
    assert_eq!(h.run("BGREWRITEAOF"), Frame::Simple("Background append only file rewriting started".into()));
    cron(&mut h);
    assert_eq!(h.engine.persist.aof.status, AofStatus::On);
    assert_eq!(info(&mut h, "aof_rewrites_consecutive_failures"), "0");
}

// rule: AOF-19
#[test]
fn shutdown_waits_for_the_first_rewrite_unless_forced() {
    let disk = SimDisk::new();
    let (mut h, control) = server(&disk, &[]);
    control.hold(true);
    h.run("CONFIG SET appendonly yes");
    log(&mut h);
    assert_eq!(h.run("SHUTDOWN"), Frame::Error("ERR Errors trying to SHUTDOWN. Check logs.".into()));
    assert_eq!(
        log(&mut h),
        [
            "User requested shutdown...",
            "Writing initial AOF, can't exit.",
            "Errors trying to shut down the server. Check the logs for more information."
        ]
    );
    assert!(h.engine.shutdown.is_none());
    assert_eq!(h.run("SHUTDOWN FORCE"), Frame::Raw(Vec::new()));
    assert!(log(&mut h).contains(&"Writing initial AOF. Exit anyway.".to_string()));
}
