//! Writing a point-in-time copy of the keyspace, in the foreground (SAVE) or in the background
//! (BGSAVE), behind the `BackgroundSaver` trait:
//! - `fork::ForkSaver` (the server): forks; the child sees the keyspace frozen at the fork and
//!   writes it while the parent keeps serving (copy-on-write, as Redis). See
//!   docs/decisions/002-snapshots.md for why.
//! - `InlineSaver` (tests, the simulator): clones the keyspace when the save starts and writes the
//!   clone when the test lets it, so a test decides exactly when the save completes or fails.
//!
//! Both write through `write_job_file`: a temporary file, fsync, rename into place, directory
//! fsync, as Redis's rdbSave (an RDB file, or an AOF base of commands).

use super::disk::Disk;
use super::faults::{self, FaultKind, FaultPlan};
use super::rdb::encode::{write_snapshot, AuxInfo, SaveOptions};
use crate::engine::db::Db;
use std::fmt;

/// The form of the file a save writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SaveFormat {
    /// An RDB file (BGSAVE, and an AOF base with `aof-use-rdb-preamble yes`).
    #[default]
    Rdb,
    /// An AOF base of commands (`aof-use-rdb-preamble no`): Redis's rewriteAppendOnlyFileRio.
    /// `annotate`: start with a `#TS:` line (`aof-timestamp-enabled`).
    AofCommands { annotate: bool },
}

/// What a background save writes.
#[derive(Clone, Debug)]
pub struct SaveJob {
    /// The final path (`dir`/`dbfilename`).
    pub path: String,
    pub format: SaveFormat,
    /// The directory the temporary file goes in ("" for the working directory).
    pub dir: String,
    pub opts: SaveOptions,
    pub aux: AuxInfo,
    /// `rdb-key-save-delay` in microseconds (a test hook: sleep after each key; the in-process
    /// saver ignores it).
    pub key_save_delay_us: i64,
}

/// How a background save ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveOutcome {
    /// The child's id (a pid for a forked child).
    pub child_id: u32,
    /// Exit code 0 and not killed.
    pub ok: bool,
    /// The signal that ended the child, if any (SIGUSR1 = 10 for a deliberate kill).
    pub signal: Option<i32>,
    /// Bytes of memory copied on write during the save (the child's private dirty memory).
    pub cow_bytes: u64,
    /// The child's own report of what failed.
    pub error: Option<String>,
    /// Its temporary file (removed by the caller when the child was killed).
    pub temp_path: String,
}

/// A running save's latest report of its progress (Redis's CHILD_INFO_TYPE_CURRENT_INFO).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveProgress {
    /// Keys the child has reached.
    pub keys_processed: u64,
    /// The child's private dirty memory at its last measurement.
    pub cow_bytes: u64,
    /// How long ago (when the report was read) that measurement was taken.
    pub cow_age_ms: u64,
}

/// A failed foreground write, with the step that failed (Redis's log texts).
#[derive(Debug)]
pub enum WriteError {
    Open { temp: String, err: std::io::Error },
    Write { op: &'static str, err: std::io::Error },
    Rename { temp: String, path: String, err: std::io::Error },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Open { temp, err } => write!(
                f,
                "Failed opening the temp RDB file {temp} (in server root dir {}) for saving: {}",
                server_root_dir(),
                crate::engine::config::strerror(err)
            ),
            WriteError::Write { op, err } => {
                write!(f, "Write error saving DB on disk({op}): {}", crate::engine::config::strerror(err))
            }
            WriteError::Rename { temp, path, err } => write!(
                f,
                "Error moving temp DB file {temp} on the final destination {path} (in server root dir {}): {}",
                server_root_dir(),
                crate::engine::config::strerror(err)
            ),
        }
    }
}

/// The working directory for the log, as Redis's getcwd ("unknown" when it cannot be read,
/// for example because it was removed).
fn server_root_dir() -> String {
    std::env::current_dir().map_or_else(|_| "unknown".to_string(), |d| d.to_string_lossy().into_owned())
}

/// The temporary file of the saving process `pid`, in `dir` (Redis's temp-<pid>.rdb).
pub fn temp_path(dir: &str, pid: u32) -> String {
    join(dir, &format!("temp-{pid}.rdb"))
}

impl SaveJob {
    /// The temporary file the saving process `pid` writes: temp-<pid>.rdb for an RDB file, or
    /// temp-rewriteaof-bg-<pid>.aof for an AOF base (Redis's name for the rewrite child's file).
    pub fn temp_path(&self, pid: u32) -> String {
        if self.aux.aof_base || matches!(self.format, SaveFormat::AofCommands { .. }) {
            join(&self.dir, &format!("temp-rewriteaof-bg-{pid}.aof"))
        } else {
            temp_path(&self.dir, pid)
        }
    }
}

/// `dir/name`, or `name` when `dir` is empty.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        std::path::Path::new(dir).join(name).to_string_lossy().into_owned()
    }
}

/// Writes `dbs` as an RDB file at `path` through a temporary file: create, write, fsync, rename,
/// fsync the directory. On failure the temporary file is removed. Returns the file's size.
pub fn write_rdb_file(
    disk: &mut dyn Disk,
    dbs: &[Db],
    opts: SaveOptions,
    aux: &AuxInfo,
    temp: &str,
    path: &str,
    after_key: impl FnMut(),
) -> Result<u64, WriteError> {
    let file = disk.create(temp).map_err(|err| WriteError::Open { temp: temp.to_string(), err })?;
    let result = write_snapshot(dbs, opts, aux, file, after_key)
        .map_err(|err| WriteError::Write { op: "rdbSaveRio", err })
        .and_then(|(mut file, size)| {
            file.sync().map_err(|err| WriteError::Write { op: "fsync", err })?;
            Ok(size)
        });
    let size = match result {
        Ok(size) => size,
        Err(e) => {
            let _ = disk.remove(temp);
            return Err(e);
        }
    };
    if let Err(err) = disk.rename(temp, path) {
        let _ = disk.remove(temp);
        return Err(WriteError::Rename { temp: temp.to_string(), path: path.to_string(), err });
    }
    disk.sync_dir(path).map_err(|err| WriteError::Write { op: "fsyncFileDir", err })?;
    Ok(size)
}

/// Writes `dbs` in the job's format at `job.path` through `temp` (see `write_rdb_file`; the
/// command form is `aof::rewrite::write_command_base`). Returns the size; Err is the log line.
pub fn write_job_file(
    disk: &mut dyn Disk,
    dbs: &[Db],
    job: &SaveJob,
    temp: &str,
    after_key: impl FnMut(),
) -> Result<u64, String> {
    match job.format {
        SaveFormat::Rdb => {
            write_rdb_file(disk, dbs, job.opts, &job.aux, temp, &job.path, after_key).map_err(|e| e.to_string())
        }
        SaveFormat::AofCommands { annotate } => {
            let prelude = super::aof::rewrite::command_base_prelude(&job.aux, annotate);
            super::aof::rewrite::write_command_base(disk, dbs, &prelude, temp, &job.path, after_key)
        }
    }
}

/// Runs background saves.
pub trait BackgroundSaver: Send {
    /// Starts saving the state of `dbs` as it is now. Returns the child's id.
    fn start(&mut self, dbs: &[Db], job: SaveJob, disk: &mut dyn Disk) -> Result<u32, String>;
    /// The outcome of the running save once it has ended; never blocks.
    fn poll(&mut self, disk: &mut dyn Disk) -> Option<SaveOutcome>;
    /// Asks the running save to stop (its outcome then reports SIGUSR1).
    fn kill(&mut self);
    /// How long the last `start` kept the caller waiting, in microseconds (Redis's fork time).
    fn last_start_us(&self) -> u64;
    /// True when this saver forks real child processes (INFO reports their memory).
    fn forks(&self) -> bool {
        false
    }
    /// The running save's latest progress report, when one arrived since the last call (a forked
    /// child reports about once a second); never blocks. The in-process saver has none.
    fn progress(&mut self) -> Option<SaveProgress> {
        None
    }
    /// Makes the saver obey the task faults of `plan` (a save that cannot start, a save killed
    /// midway) and, where it writes through a disk of its own (a forked child), the disk faults.
    fn arm_faults(&mut self, _plan: FaultPlan) {}
}

/// SIGUSR1: a deliberately stopped child, not an error (as Redis's killRDBChild).
pub const SIGUSR1: i32 = 10;

/// The in-process saver: deterministic. `start` clones the databases; the clone is written at the
/// first `poll` unless the save is held, so tests can write during a save and choose when it ends.
#[derive(Default)]
pub struct InlineSaver {
    pending: Option<(Vec<Db>, SaveJob, u32)>,
    killed: Option<(u32, String)>,
    next_id: u32,
    control: InlineControl,
    faults: Option<FaultPlan>,
    /// The running save was chosen to be killed midway (the `kill` fault).
    kill_pending: bool,
}

/// What a test controls in an `InlineSaver` it has handed to the engine (clones share it).
#[derive(Clone, Debug, Default)]
pub struct InlineControl(std::sync::Arc<std::sync::Mutex<InlineFlags>>);

#[derive(Debug, Default)]
struct InlineFlags {
    hold: bool,
    fail_next_start: Option<String>,
}

impl InlineControl {
    fn flags(&self) -> std::sync::MutexGuard<'_, InlineFlags> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// While held, a started save stays running (polls report nothing).
    pub fn hold(&self, hold: bool) {
        self.flags().hold = hold;
    }

    /// Makes the next start fail with `error` (as a failed fork).
    pub fn fail_next_start(&self, error: &str) {
        self.flags().fail_next_start = Some(error.to_string());
    }
}

impl InlineSaver {
    pub fn new() -> InlineSaver {
        InlineSaver { next_id: 1_000_000, ..InlineSaver::default() }
    }

    /// A handle to hold saves or make them fail.
    pub fn control(&self) -> InlineControl {
        self.control.clone()
    }
}

impl BackgroundSaver for InlineSaver {
    fn start(&mut self, dbs: &[Db], job: SaveJob, _disk: &mut dyn Disk) -> Result<u32, String> {
        if let Some(e) = self.control.flags().fail_next_start.take() {
            return Err(e);
        }
        let fire = |kind| self.faults.as_ref().and_then(|p| p.fire(&[kind], &job.path)).is_some();
        if fire(FaultKind::Fork) {
            return Err(faults::fork_failure_text());
        }
        self.kill_pending = fire(FaultKind::Kill);
        self.next_id = self.next_id.max(1_000_000) + 1;
        self.pending = Some((dbs.to_vec(), job, self.next_id));
        Ok(self.next_id)
    }

    fn poll(&mut self, disk: &mut dyn Disk) -> Option<SaveOutcome> {
        if let Some((child_id, temp_path)) = self.killed.take() {
            return Some(SaveOutcome {
                child_id,
                ok: false,
                signal: Some(SIGUSR1),
                cow_bytes: 0,
                error: None,
                temp_path,
            });
        }
        if self.control.flags().hold {
            return None;
        }
        let (dbs, job, child_id) = self.pending.take()?;
        let temp = job.temp_path(child_id);
        if std::mem::take(&mut self.kill_pending) {
            return Some(killed_midway(child_id, temp));
        }
        let result = write_job_file(disk, &dbs, &job, &temp, || {});
        Some(SaveOutcome {
            child_id,
            ok: result.is_ok(),
            signal: None,
            cow_bytes: 0,
            error: result.err(),
            temp_path: temp,
        })
    }

    fn kill(&mut self) {
        if let Some((_, job, id)) = self.pending.take() {
            self.killed = Some((id, job.temp_path(id)));
        }
    }

    fn last_start_us(&self) -> u64 {
        0
    }

    fn arm_faults(&mut self, plan: FaultPlan) {
        self.faults = Some(plan);
    }
}

/// The `kill` fault in the in-process saver: the save dies of SIGKILL before it has touched the
/// disk (so no other armed fault fires for it; specs/faults.md).
fn killed_midway(child_id: u32, temp_path: String) -> SaveOutcome {
    SaveOutcome { child_id, ok: false, signal: Some(faults::SIGKILL), cow_bytes: 0, error: None, temp_path }
}
