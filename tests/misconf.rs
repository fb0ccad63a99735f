//! Write denial over TCP with real processes: the verdis-server binary (forking BGSAVE) with
//! faults armed by DEBUG FAULT; the same server on a small tmpfs that really fills up (skipped
//! with a message when mounting is not permitted); and real redis-server 7.0.15 failing the same
//! way as verdis (a `dbfilename` that is a directory, a removed `dir`, a full tmpfs), with the
//! replies and INFO status fields compared.

mod common;

use common::oracle::RedisOracle;
use common::wire::{args, Wire};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use verdis::resp::Frame;

const MISCONF_RDB: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist \
to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors \
during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details \
about the RDB error.";

/// A verdis-server process of our own, stopped (by its handle) when dropped.
struct VerdisProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

impl VerdisProcess {
    fn start(dir: &Path, extra: &[&str]) -> VerdisProcess {
        for _attempt in 0..5 {
            let port = free_port();
            let log = dir.with_extension("verdis.log");
            let child = Command::new(env!("CARGO_BIN_EXE_verdis-server"))
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--dir", dir.to_str().expect("utf-8 path"), "--save", "3600 1"])
                .args(["--enable-debug-command", "yes", "--logfile", log.to_str().expect("utf-8 path")])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start verdis-server");
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
            let mut server = VerdisProcess { child, addr, log };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return server;
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start verdis-server");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for VerdisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(w: &mut Wire, line: &str) -> Frame {
    let bytes = w.call(&args(line));
    verdis::resp::decode(&bytes).expect("reply decodes").expect("complete reply").0
}

fn info_field(w: &mut Wire, name: &str) -> String {
    let text = match call(w, "INFO everything") {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("INFO replied {other:?}"),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no INFO field {name}"))
}

/// Waits until no background save runs.
fn wait_for_save(w: &mut Wire) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(w, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bgsave(w: &mut Wire) -> Frame {
    let reply = call(w, "BGSAVE");
    wait_for_save(w);
    reply
}

fn started() -> Frame {
    Frame::Simple("Background saving started".into())
}

fn misconf() -> Frame {
    Frame::Error(MISCONF_RDB.into())
}

#[test]
fn armed_faults_over_tcp() {
    // rules: MISCONF-1 MISCONF-3 MISCONF-4 MISCONF-7 MISCONF-9 MISCONF-10
    let dir = tempfile::tempdir().unwrap();
    let server = VerdisProcess::start(dir.path(), &[]);
    let mut w = Wire::connect(server.addr);
    for i in 0..50 {
        assert_eq!(call(&mut w, &format!("SET k{i} v{i}")), Frame::ok());
    }
    let cases = [
        ("enospc", "Write error saving DB on disk(rdbSaveRio): No space left on device"),
        ("eio", "Write error saving DB on disk(rdbSaveRio): Input/output error"),
        ("short-write", "Write error saving DB on disk(rdbSaveRio): No space left on device"),
        ("fsync", "Write error saving DB on disk(fsync): Input/output error"),
        ("rename", "Error moving temp DB file"),
        ("create", "Failed opening the temp RDB file"),
        ("fork", "Can't save in background: fork: Cannot allocate memory"),
        ("kill", "Background saving terminated by signal 9"),
    ];
    for (name, line) in cases {
        assert_eq!(call(&mut w, &format!("DEBUG FAULT ARM {name} COUNT 1 PATH rdb")), Frame::ok());
        let expected = if name == "fork" { Frame::Error("ERR".into()) } else { started() };
        assert_eq!(bgsave(&mut w), expected, "{name}");
        assert_eq!(info_field(&mut w, "rdb_last_bgsave_status"), "err", "{name}");
        assert_eq!(call(&mut w, "SET k0 x"), misconf(), "{name}");
        assert_eq!(call(&mut w, "PING"), misconf(), "{name}");
        assert_eq!(call(&mut w, "GET k1"), Frame::Bulk(b"v1".to_vec()), "{name}");
        // The fault fired in the child and was counted in the parent: nothing is armed now.
        assert_eq!(call(&mut w, "DEBUG FAULT LIST"), Frame::Array(vec![]), "{name}");
        let log = server.log_text();
        assert!(log.contains(line), "{name}: log lacks {line:?}:\n{log}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: temporary files left: {leftovers:?}");
        assert_eq!(bgsave(&mut w), started(), "{name}");
        assert_eq!(info_field(&mut w, "rdb_last_bgsave_status"), "ok", "{name}");
        assert_eq!(call(&mut w, "SET k0 v0"), Frame::ok(), "{name}");
        assert_eq!(call(&mut w, "PING"), Frame::Simple("PONG".into()));
    }
    // A fault armed until disarmed fails every save, in forked children too.
    call(&mut w, "DEBUG FAULT ARM eio");
    for _ in 0..2 {
        assert_eq!(bgsave(&mut w), started());
        assert_eq!(call(&mut w, "SET k0 x"), misconf());
    }
    let Frame::Array(armed) = call(&mut w, "DEBUG FAULT LIST") else { panic!("array") };
    assert_eq!(armed, vec![Frame::Bulk(b"eio remaining=forever path= fired=2".to_vec())]);
    assert_eq!(call(&mut w, "DEBUG FAULT DISARM"), Frame::Integer(1));
    assert_eq!(call(&mut w, "CONFIG SET stop-writes-on-bgsave-error no"), Frame::ok());
    assert_eq!(call(&mut w, "SET k0 x"), Frame::ok());
}

#[test]
fn debug_fault_needs_enable_debug_command() {
    // rule: MISCONF-10
    let dir = tempfile::tempdir().unwrap();
    let server = VerdisProcess::start(dir.path(), &["--enable-debug-command", "no"]);
    let mut w = Wire::connect(server.addr);
    let Frame::Error(e) = call(&mut w, "DEBUG FAULT ARM enospc") else { panic!("an error") };
    assert!(e.starts_with("ERR DEBUG command not allowed."), "{e}");
}

/// A tmpfs of `size_mb` MiB mounted on a fresh directory, unmounted when dropped; None (with a
/// message) when mounting is not permitted here.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mb: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some(Tmpfs { dir }),
            _ => {
                eprintln!(
                    "\n*** SKIPPED: cannot mount a tmpfs here (needs root); the full-disk test did not run ***\n"
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the file system, leaving about `leave_bytes` free.
    fn fill(&self, leave_bytes: u64) {
        let free = fs_free_bytes(self.path());
        let size = free.saturating_sub(leave_bytes);
        std::fs::write(self.path().join("filler"), vec![0u8; size as usize]).expect("filler");
    }

    fn unfill(&self) {
        std::fs::remove_file(self.path().join("filler")).expect("remove filler");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Free bytes of the file system holding `path` (df).
fn fs_free_bytes(path: &Path) -> u64 {
    let out = Command::new("df").args(["-B1", "--output=avail"]).arg(path).output().expect("df");
    String::from_utf8_lossy(&out.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).expect("df output")
}

#[test]
fn a_filesystem_that_fills_up_refuses_writes_until_space_is_freed() {
    // rules: MISCONF-1 MISCONF-7 MISCONF-9
    let Some(fs) = Tmpfs::mount(4) else { return };
    {
        // Uncompressed, so the snapshot's size is the data's.
        let server = VerdisProcess::start(fs.path(), &["--rdbcompression", "no"]);
        let mut w = Wire::connect(server.addr);
        let value = "x".repeat(1000);
        for i in 0..1000 {
            assert_eq!(call(&mut w, &format!("SET key:{i} {value}")), Frame::ok());
        }
        fs.fill(64 * 1024);
        assert_eq!(bgsave(&mut w), started());
        assert_eq!(info_field(&mut w, "rdb_last_bgsave_status"), "err");
        assert_eq!(call(&mut w, "SET key:0 y"), misconf());
        assert_eq!(call(&mut w, "DBSIZE"), Frame::Integer(1000));
        let log = server.log_text();
        assert!(log.contains("Write error saving DB on disk(rdbSaveRio): No space left on device"), "{log}");
        assert!(!fs.path().read_dir().unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("temp-")));
        fs.unfill();
        assert_eq!(bgsave(&mut w), started());
        assert_eq!(info_field(&mut w, "rdb_last_bgsave_status"), "ok");
        assert_eq!(call(&mut w, "SET key:0 y"), Frame::ok());
        assert!(fs.path().join("dump.rdb").exists());
    }
}

/// One side of the interop comparison: an address and how to break and repair its disk.
struct Side {
    name: &'static str,
    w: Wire,
    dir: PathBuf,
}

/// The same sequence on both servers; every reply and status field must be equal.
fn run_failure_scenario(sides: &mut [Side], break_disk: &dyn Fn(&Path), repair_disk: &dyn Fn(&Path)) {
    let mut transcripts: Vec<Vec<String>> = vec![Vec::new(); sides.len()];
    for (side, out) in sides.iter_mut().zip(transcripts.iter_mut()) {
        let w = &mut side.w;
        let step = |w: &mut Wire, out: &mut Vec<String>, line: &str| out.push(format!("{line} -> {:?}", call(w, line)));
        step(w, out, "FLUSHALL");
        step(w, out, "CONFIG SET save \"3600 1\"");
        step(w, out, "SET k v");
        break_disk(&side.dir);
        out.push(format!("BGSAVE -> {:?}", bgsave(w)));
        out.push(format!("status {}", info_field(w, "rdb_last_bgsave_status")));
        for line in ["SET k w", "PING", "GET k", "LPUSH l a", "DEL k", "ECHO e", "MULTI", "GET k", "SET k x", "EXEC"] {
            step(w, out, line);
        }
        step(w, out, "CONFIG SET stop-writes-on-bgsave-error no");
        step(w, out, "SET k w2");
        step(w, out, "CONFIG SET stop-writes-on-bgsave-error yes");
        step(w, out, "SET k w3");
        step(w, out, "CONFIG SET save \"\"");
        step(w, out, "SET k w4");
        step(w, out, "CONFIG SET save \"3600 1\"");
        step(w, out, "SET k w5");
        repair_disk(&side.dir);
        out.push(format!("BGSAVE -> {:?}", bgsave(w)));
        out.push(format!("status {}", info_field(w, "rdb_last_bgsave_status")));
        step(w, out, "SET k w6");
        step(w, out, "GET k");
        step(w, out, "CONFIG SET save \"\"");
    }
    for (i, side) in sides.iter().enumerate().skip(1) {
        assert_eq!(transcripts[0], transcripts[i], "{} and {} differ", sides[0].name, side.name);
    }
    assert!(transcripts[0].iter().any(|l| l.contains("MISCONF")), "the scenario provoked MISCONF");
}

fn config_dir(w: &mut Wire) -> PathBuf {
    match call(w, "CONFIG GET dir") {
        Frame::Array(items) if items.len() == 2 => match &items[1] {
            Frame::Bulk(b) => PathBuf::from(String::from_utf8_lossy(b).into_owned()),
            other => panic!("dir {other:?}"),
        },
        other => panic!("CONFIG GET dir replied {other:?}"),
    }
}

fn sides(oracle: &RedisOracle, verdis: &VerdisProcess) -> Vec<Side> {
    let mut r = Wire::connect(oracle.addr);
    let mut v = Wire::connect(verdis.addr);
    let (rdir, vdir) = (config_dir(&mut r), config_dir(&mut v));
    vec![Side { name: "redis-server", w: r, dir: rdir }, Side { name: "verdis", w: v, dir: vdir }]
}

#[test]
fn interop_dbfilename_is_a_directory() {
    // rules: MISCONF-1 MISCONF-3 MISCONF-4 MISCONF-5 MISCONF-7
    let Some(oracle) = RedisOracle::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let verdis = VerdisProcess::start(dir.path(), &["--save", ""]);
    let mut sides = sides(&oracle, &verdis);
    // The rename of the temporary file onto dump.rdb fails (EISDIR), even for root.
    let break_disk = |d: &Path| {
        let _ = std::fs::remove_file(d.join("dump.rdb"));
        std::fs::create_dir(d.join("dump.rdb")).unwrap();
    };
    let repair_disk = |d: &Path| std::fs::remove_dir(d.join("dump.rdb")).unwrap();
    run_failure_scenario(&mut sides, &break_disk, &repair_disk);
}

#[test]
fn interop_removed_dir() {
    // rules: MISCONF-1 MISCONF-4 MISCONF-7
    let Some(oracle) = RedisOracle::start(&[]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("data");
    std::fs::create_dir(&vdir).unwrap();
    let verdis = VerdisProcess::start(&vdir, &["--save", ""]);
    let mut sides = sides(&oracle, &verdis);
    // Creating the temporary file fails (ENOENT): the directory is gone. It is not recreated:
    // Redis, whose working directory is the removed one, would keep failing, while verdis, which
    // names files by their full path, would recover (specs/deviations.md).
    let break_disk = |d: &Path| std::fs::remove_dir_all(d).unwrap();
    let repair_disk = |_: &Path| {};
    run_failure_scenario(&mut sides, &break_disk, &repair_disk);
}

#[test]
fn interop_full_filesystem() {
    // rules: MISCONF-1 MISCONF-7
    let Some(oracle) = RedisOracle::start(&[]) else { return };
    let (Some(rfs), Some(vfs)) = (Tmpfs::mount(4), Tmpfs::mount(4)) else { return };
    // The oracle's `dir` is a protected config: start another oracle on its tmpfs.
    drop(oracle);
    let Some(oracle) = RedisOracle::start(&["--dir", rfs.path().to_str().unwrap()]) else { return };
    let verdis = VerdisProcess::start(vfs.path(), &["--save", ""]);
    let mut sides = sides(&oracle, &verdis);
    assert_eq!(sides[0].dir, rfs.path());
    let value = "y".repeat(1000);
    let fill = |d: &Path| {
        let free = fs_free_bytes(d);
        std::fs::write(d.join("filler"), vec![0u8; free.saturating_sub(16 * 1024) as usize]).unwrap();
    };
    let unfill = |d: &Path| std::fs::remove_file(d.join("filler")).unwrap();
    // The scenario writes only a few small keys: add bulk first on each side.
    for side in sides.iter_mut() {
        for i in 0..200 {
            call(&mut side.w, &format!("SET bulk:{i} {value}"));
        }
    }
    let break_disk = |d: &Path| fill(d);
    let repair_disk = |d: &Path| unfill(d);
    // FLUSHALL at the start of the scenario would drop the bulk: run a variant without it.
    let mut transcripts = Vec::new();
    for side in sides.iter_mut() {
        let w = &mut side.w;
        let mut out = Vec::new();
        out.push(format!("{:?}", call(w, "CONFIG SET rdbcompression no")));
        out.push(format!("{:?}", call(w, "CONFIG SET save \"3600 1\"")));
        break_disk(&side.dir);
        out.push(format!("{:?}", bgsave(w)));
        out.push(info_field(w, "rdb_last_bgsave_status"));
        out.push(format!("{:?}", call(w, "SET k v")));
        out.push(format!("{:?}", call(w, "GET bulk:1")));
        repair_disk(&side.dir);
        out.push(format!("{:?}", bgsave(w)));
        out.push(info_field(w, "rdb_last_bgsave_status"));
        out.push(format!("{:?}", call(w, "SET k v")));
        out.push(format!("{:?}", call(w, "CONFIG SET save \"\"")));
        transcripts.push(out);
    }
    assert_eq!(transcripts[0], transcripts[1]);
    assert!(transcripts[0].iter().any(|l| l.contains("MISCONF")));
    drop(sides);
    drop(oracle);
    drop(verdis);
}

/// The AOF case through a real process: a full disk under the AOF's incr file makes writes after
/// the failed one get the AOF MISCONF text (the failed write itself was acknowledged, as Redis
/// acknowledges it with `everysec`, and kept for the retry); once the disk takes writes again
/// the retry succeeds, writes are accepted, and everything is in the AOF after a restart.
#[test]
fn aof_write_failure_over_tcp() {
    // rules: MISCONF-2 MISCONF-8 MISCONF-9
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"];
    let aof_misconf = Frame::Error("MISCONF Errors writing to the AOF file: No space left on device".into());
    {
        let server = VerdisProcess::start(dir.path(), &flags);
        let mut w = Wire::connect(server.addr);
        assert_eq!(call(&mut w, "SET a 1"), Frame::ok());
        // While a background fsync runs, `everysec` postpones the next write (as Redis): wait
        // for it, so that the write of SET b is attempted (and fails) before SET c.
        let deadline = Instant::now() + Duration::from_secs(10);
        while info_field(&mut w, "aof_pending_bio_fsync") != "0" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(call(&mut w, "DEBUG FAULT ARM enospc PATH incr"), Frame::ok());
        assert_eq!(call(&mut w, "SET b 2"), Frame::ok());
        assert_eq!(call(&mut w, "SET c 3"), aof_misconf);
        assert_eq!(call(&mut w, "PING"), aof_misconf);
        assert_eq!(call(&mut w, "GET a"), Frame::Bulk(b"1".to_vec()));
        assert_eq!(info_field(&mut w, "aof_last_write_status"), "err");
        assert_eq!(call(&mut w, "DEBUG FAULT DISARM"), Frame::Integer(1));
        let deadline = Instant::now() + Duration::from_secs(10);
        while info_field(&mut w, "aof_last_write_status") != "ok" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(call(&mut w, "SET d 4"), Frame::ok());
        assert!(server.log_text().contains("AOF write error looks solved"), "{}", server.log_text());
    }
    let server = VerdisProcess::start(dir.path(), &flags);
    let mut w = Wire::connect(server.addr);
    let values = call(&mut w, "MGET a b c d");
    let bulk = |s: &str| Frame::Bulk(s.as_bytes().to_vec());
    assert_eq!(values, Frame::Array(vec![bulk("1"), bulk("2"), Frame::Null, bulk("4")]));
}
