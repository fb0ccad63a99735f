//! The engine's side of RDB persistence: what to save, when, and what it means for the state
//! (Redis's rdbSave, rdbSaveBackground, backgroundSaveDoneHandler, the save points of serverCron,
//! and the flags INFO persistence reports). The engine decides; the `Disk` and `BackgroundSaver`
//! it holds do the I/O, so the same logic runs against real files and forks in the server and
//! against the simulated disk and the in-process saver in tests.

use super::disk::{Disk, SimDisk};
use super::faults::{FaultDisk, FaultPlan};
use super::load::{LoadError, LoadStats, Loader};
use super::rdb::encode::{AuxInfo, SaveOptions};
use super::rdb::input::StreamSource;
use super::rdb::RDB_VERSION_DEFAULT;
use super::snapshot::{self, BackgroundSaver, InlineSaver, SaveJob, SaveOutcome, SIGUSR1};
use crate::engine::config::{index_of, LogLevel};
use crate::engine::Engine;

/// Seconds to wait before retrying a failed background save (CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_DELAY_S: u64 = 5;

/// The background save in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RdbChild {
    pub id: u32,
    pub started_ms: u64,
}

/// A load in progress (INFO's loading_* fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadingInfo {
    pub start_ms: u64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
}

/// What the parent knows of the running background save (Redis's stat_current_* fields): all 0
/// when none runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CurrentSave {
    /// The largest copy-on-write size reported so far.
    pub cow_peak: u64,
    /// The latest reported copy-on-write size.
    pub cow_bytes: u64,
    /// When (engine time) that size was measured; None before the first report.
    pub cow_updated_ms: Option<u64>,
    pub keys_processed: u64,
    /// The keys in the dataset when the save started.
    pub keys_total: u64,
    /// When the parent last read the child's reports (it reads about once a second).
    pub last_read_ms: u64,
}

impl CurrentSave {
    /// Percentage of the keys saved so far (INFO's current_fork_perc).
    pub fn percent(&self) -> f64 {
        if self.keys_total == 0 {
            return 0.0;
        }
        self.keys_processed as f64 / self.keys_total as f64 * 100.0
    }
}

/// How often the parent reads the child's progress reports (Redis's run_with_period(1000)).
const PROGRESS_READ_PERIOD_MS: u64 = 1000;

/// Persistence state kept by the engine.
pub struct Persistence {
    pub disk: Box<dyn Disk>,
    pub saver: Box<dyn BackgroundSaver>,
    /// Time of the last successful save, in Unix seconds (LASTSAVE); the start time initially.
    pub lastsave_s: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_try_s: u64,
    /// `dirty` when the running background save started.
    pub dirty_before_bgsave: u64,
    /// Saves started (SAVE, BGSAVE and automatic ones): INFO's rdb_saves.
    pub rdb_saves: u64,
    pub child: Option<RdbChild>,
    pub last_bgsave_duration_s: i64,
    pub last_cow_bytes: u64,
    /// The running background save's progress (INFO's current_* fields).
    pub current: CurrentSave,
    /// BGSAVE SCHEDULE (or a save requested while another child runs) waits for the next cron.
    pub bgsave_scheduled: bool,
    /// How long starting the last background save stalled the caller (Redis's latest_fork_usec).
    pub latest_fork_usec: u64,
    /// Background saves started (INFO's total_forks).
    pub total_forks: u64,
    pub loading: Option<LoadingInfo>,
    pub loading_rdb_used_mem: u64,
    pub last_load: LoadStats,
    /// The RDB version written (10 by default; 11 on request).
    pub write_version: u16,
    /// Log lines for the server to write (the engine has no log of its own).
    pub log: Vec<(LogLevel, String)>,
    /// Drop the log lines instead of writing them (embedded servers).
    pub quiet_log: bool,
    /// A forked child shares the memory: avoid writes that are not needed (access times, table
    /// resizes), which would copy pages (Redis's "copy on write madness").
    pub avoid_writes: bool,
    /// The armed faults (`DEBUG FAULT`): the disk and the saver read them.
    pub faults: FaultPlan,
    /// The append-only file.
    pub aof: super::aof::AofState,
    /// EXEC is running its queue: a fork now would see half a transaction, so BGREWRITEAOF and
    /// CONFIG SET appendonly yes schedule their rewrite instead (Redis's server.in_exec).
    pub in_exec: bool,
}

impl Persistence {
    /// The in-memory disk and the in-process saver: deterministic, for tests and simulation.
    pub fn simulated(start_ms: u64) -> Persistence {
        Persistence::new(Box::new(SimDisk::new()), Box::new(InlineSaver::new()), start_ms)
    }

    /// Every disk operation goes through a `FaultDisk` and the saver reads the same fault plan,
    /// so faults can be armed on any engine (nothing fires until one is).
    pub fn new(disk: Box<dyn Disk>, mut saver: Box<dyn BackgroundSaver>, start_ms: u64) -> Persistence {
        let faults = FaultPlan::new();
        saver.arm_faults(faults.clone());
        Persistence {
            disk: Box::new(FaultDisk::new(disk, faults.clone())),
            saver,
            lastsave_s: start_ms / 1000,
            last_bgsave_ok: true,
            last_bgsave_try_s: 0,
            dirty_before_bgsave: 0,
            rdb_saves: 0,
            child: None,
            last_bgsave_duration_s: -1,
            last_cow_bytes: 0,
            current: CurrentSave::default(),
            bgsave_scheduled: false,
            latest_fork_usec: 0,
            total_forks: 0,
            loading: None,
            loading_rdb_used_mem: 0,
            last_load: LoadStats::default(),
            write_version: RDB_VERSION_DEFAULT,
            log: Vec::new(),
            quiet_log: false,
            avoid_writes: false,
            faults,
            aof: super::aof::AofState::default(),
            in_exec: false,
        }
    }

    pub fn log(&mut self, level: LogLevel, message: &str) {
        // Bounded: a server that never drains (a test harness) keeps only the latest lines.
        if self.log.len() >= 1000 {
            self.log.drain(..500);
        }
        self.log.push((level, message.to_string()));
    }
}

impl Engine {
    /// `dir`/`dbfilename`.
    pub fn rdb_path(&self) -> String {
        snapshot::join(self.config.dir(), &self.config.dbfilename())
    }

    pub fn save_options(&self) -> SaveOptions {
        SaveOptions {
            version: self.persist.write_version,
            compression: self.config.bool_value(index_of("rdbcompression")),
            checksum: self.config.bool_value(index_of("rdbchecksum")),
            access: self.access_save(),
        }
    }

    /// Redis saves each key's idle time under an LRU policy and its access counter under an
    /// LFU one (rdbSaveKeyValuePair).
    fn access_save(&self) -> crate::persist::rdb::encode::AccessSave {
        use crate::engine::config::MaxmemoryPolicy::{AllkeysLru, VolatileLru};
        use crate::persist::rdb::encode::AccessSave;
        let now_ms = self.now_ms;
        match self.config.maxmemory_policy() {
            AllkeysLru | VolatileLru => AccessSave::Idle { now_ms },
            p if p.is_lfu() => AccessSave::Freq { now_ms, params: self.lfu_params() },
            _ => AccessSave::Nothing,
        }
    }

    fn aux_info(&self) -> AuxInfo {
        AuxInfo {
            redis_ver: crate::cmd::connection::REDIS_VERSION.to_string(),
            ctime_s: self.now_ms / 1000,
            used_mem: self.process.rss_bytes,
            aof_base: false,
            functions: self.function_codes(),
            repl: self.repl_save_info(),
        }
    }

    fn save_job(&self) -> SaveJob {
        SaveJob {
            path: self.rdb_path(),
            format: snapshot::SaveFormat::Rdb,
            dir: self.config.dir().to_string(),
            opts: self.save_options(),
            aux: self.aux_info(),
            key_save_delay_us: self.config.num_value(index_of("rdb-key-save-delay")),
        }
    }

    /// Saves in the foreground (Redis's rdbSave): on success the change counter is reset.
    pub fn rdb_save(&mut self, now_ms: u64) -> bool {
        self.now_ms = self.now_ms.max(now_ms);
        let job = self.save_job();
        let temp = snapshot::temp_path(&job.dir, self.process.pid);
        let p = &mut self.persist;
        match snapshot::write_rdb_file(p.disk.as_mut(), &self.dbs, job.opts, &job.aux, &temp, &job.path, || {}) {
            Ok(_) => {
                p.log(LogLevel::Notice, "DB saved on disk");
                self.dirty = 0;
                p.lastsave_s = now_ms / 1000;
                p.last_bgsave_ok = true;
                true
            }
            Err(e) => {
                p.log(LogLevel::Warning, &e.to_string());
                false
            }
        }
    }

    /// True when a background save is running.
    pub fn rdb_child_running(&self) -> bool {
        self.persist.child.is_some()
    }

    /// Starts a background save (Redis's rdbSaveBackground).
    pub fn rdb_bgsave(&mut self, now_ms: u64) -> Result<u32, String> {
        if self.rdb_child_running() {
            return Err("Background save already in progress".into());
        }
        if self.persist.aof.rewrite.is_some() {
            return Err("Another child process is active (AOF?): can't BGSAVE right now".into());
        }
        self.now_ms = self.now_ms.max(now_ms);
        let job = self.save_job();
        let p = &mut self.persist;
        p.rdb_saves += 1;
        p.dirty_before_bgsave = self.dirty;
        let keys_total = self.dbs.iter().map(|db| db.len() as u64).sum();
        p.last_bgsave_try_s = now_ms / 1000;
        match p.saver.start(&self.dbs, job, p.disk.as_mut()) {
            Ok(id) => {
                p.latest_fork_usec = p.saver.last_start_us();
                p.total_forks += 1;
                p.child = Some(RdbChild { id, started_ms: now_ms });
                p.current = CurrentSave { keys_total, last_read_ms: now_ms, ..CurrentSave::default() };
                if p.saver.forks() {
                    p.avoid_writes = true;
                    self.dbs.iter_mut().for_each(|db| db.set_resize_avoided(true));
                }
                p.log(LogLevel::Notice, &format!("Background saving started by pid {id}"));
                Ok(id)
            }
            Err(e) => {
                p.last_bgsave_ok = false;
                p.log(LogLevel::Warning, &format!("Can't save in background: {e}"));
                Err(e)
            }
        }
    }

    /// Stops a running background save; its outcome arrives at a later cron.
    pub fn kill_rdb_child(&mut self) {
        if self.persist.child.is_some() {
            self.persist.saver.kill();
        }
    }

    /// Stops a running background save and waits for it (SHUTDOWN, FLUSHALL): its temporary file
    /// is removed and no outcome is recorded as an error.
    pub fn kill_rdb_child_now(&mut self) {
        let Some(child) = self.persist.child else { return };
        self.persist.log(LogLevel::Warning, "There is a child saving an .rdb. Killing it!");
        self.persist.saver.kill();
        // The child ends promptly on SIGUSR1; bounded wait.
        for _ in 0..2000 {
            let p = &mut self.persist;
            if let Some(outcome) = p.saver.poll(p.disk.as_mut()) {
                let _ = p.disk.remove(&outcome.temp_path);
                break;
            }
            if !p.saver.forks() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = child;
        self.persist.child = None;
        self.persist.current = CurrentSave::default();
        self.persist.avoid_writes = false;
        self.dbs.iter_mut().for_each(|db| db.set_resize_avoided(false));
        self.repl_bgsave_done(false);
    }

    /// What a finished background save changes (Redis's backgroundSaveDoneHandlerDisk).
    fn background_save_done(&mut self, outcome: SaveOutcome, now_ms: u64) {
        // rdb_last_cow_size is the largest copy-on-write size the child reported (Redis's
        // stat_current_cow_peak when the child's final report arrives).
        let cow_peak = std::mem::take(&mut self.persist.current).cow_peak;
        self.persist.avoid_writes = false;
        self.dbs.iter_mut().for_each(|db| db.set_resize_avoided(false));
        let p = &mut self.persist;
        if let Some(child) = p.child.take() {
            p.last_bgsave_duration_s = (now_ms.saturating_sub(child.started_ms) / 1000) as i64;
        }
        if let Some(e) = &outcome.error {
            p.log(LogLevel::Warning, e);
        }
        match (outcome.ok, outcome.signal) {
            (true, _) => {
                p.log(LogLevel::Notice, "Background saving terminated with success");
                self.dirty = self.dirty.saturating_sub(p.dirty_before_bgsave);
                p.lastsave_s = now_ms / 1000;
                p.last_bgsave_ok = true;
                p.last_cow_bytes = outcome.cow_bytes.max(cow_peak);
            }
            (false, None) => {
                p.log(LogLevel::Warning, "Background saving error");
                p.last_bgsave_ok = false;
            }
            (false, Some(sig)) => {
                p.log(LogLevel::Warning, &format!("Background saving terminated by signal {sig}"));
                let _ = p.disk.remove(&outcome.temp_path);
                // A deliberate stop is not an error.
                if sig != SIGUSR1 {
                    p.last_bgsave_ok = false;
                }
            }
        }
        self.repl_bgsave_done(outcome.ok);
    }

    /// Persistence work of serverCron: reap a finished save, run a scheduled one, check the save
    /// points.
    pub fn persist_cron(&mut self, now_ms: u64) {
        let now_s = now_ms / 1000;
        // As serverCron: a running child is reaped, or else the save points are checked; then,
        // with no child left, a scheduled save starts (in the same cron as the reaping).
        let had_child = self.persist.child.is_some();
        if had_child {
            self.read_save_progress(now_ms);
            let p = &mut self.persist;
            if let Some(outcome) = p.saver.poll(p.disk.as_mut()) {
                self.background_save_done(outcome, now_ms);
            }
        }
        if self.persist.loading.is_some() {
            return;
        }
        if !had_child {
            self.check_save_points(now_s, now_ms);
        }
        let retry_ok =
            |p: &Persistence| now_s.saturating_sub(p.last_bgsave_try_s) > BGSAVE_RETRY_DELAY_S || p.last_bgsave_ok;
        if self.persist.child.is_none()
            && self.persist.bgsave_scheduled
            && retry_ok(&self.persist)
            && self.rdb_bgsave(now_ms).is_ok()
        {
            self.persist.bgsave_scheduled = false;
        }
    }

    /// Takes in the running child's latest progress report, at most once a period.
    pub(crate) fn read_save_progress(&mut self, now_ms: u64) {
        let p = &mut self.persist;
        if now_ms < p.current.last_read_ms.saturating_add(PROGRESS_READ_PERIOD_MS) {
            return;
        }
        p.current.last_read_ms = now_ms;
        if let Some(report) = p.saver.progress() {
            let c = &mut p.current;
            c.keys_processed = report.keys_processed;
            c.cow_bytes = report.cow_bytes;
            c.cow_peak = c.cow_peak.max(report.cow_bytes);
            c.cow_updated_ms = Some(now_ms.saturating_sub(report.cow_age_ms));
        }
    }

    /// Starts a background save when a save point is due (serverCron's check).
    fn check_save_points(&mut self, now_s: u64, now_ms: u64) {
        let retry_ok =
            |p: &Persistence| now_s.saturating_sub(p.last_bgsave_try_s) > BGSAVE_RETRY_DELAY_S || p.last_bgsave_ok;
        let due = self.config.save_points().iter().find(|sp| {
            sp.changes >= 0
                && self.dirty >= sp.changes as u64
                && now_s as i64 - self.persist.lastsave_s as i64 > sp.seconds
                && retry_ok(&self.persist)
        });
        if let Some(sp) = due.copied() {
            self.persist.log(LogLevel::Notice, &format!("{} changes in {} seconds. Saving...", sp.changes, sp.seconds));
            let _ = self.rdb_bgsave(now_ms);
        }
    }

    /// Loading checks the file's CRC-64 when `rdbchecksum` is on, unless DEBUG
    /// SET-SKIP-CHECKSUM-VALIDATION turned the check off.
    pub fn rdb_verify_checksum(&self) -> bool {
        self.config.bool_value(index_of("rdbchecksum")) && !self.debug.skip_checksum_validation
    }

    /// Loads the whole RDB file at `path` through the engine's disk (DEBUG RELOAD; tests).
    pub fn rdb_load_file(&mut self, path: &str, now_ms: u64, allow_dup: bool) -> Result<LoadStats, LoadError> {
        let reader = self.persist.disk.open(path).map_err(|e| {
            LoadError::Refused(format!("Fatal error loading the DB: {}", crate::engine::config::strerror(&e)))
        })?;
        let verify = self.rdb_verify_checksum();
        let mut loader = Loader::new(StreamSource::new(reader), now_ms, allow_dup, verify)?;
        while !loader.step(self, u64::MAX)? {}
        self.finish_load(loader.stats);
        Ok(loader.stats)
    }

    /// Records a finished load's figures and logs them as Redis does.
    pub fn finish_load(&mut self, stats: LoadStats) {
        let p = &mut self.persist;
        p.last_load = stats;
        let line = if stats.empty_keys_skipped > 0 {
            format!(
                "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
                stats.keys_loaded, stats.keys_expired, stats.empty_keys_skipped
            )
        } else {
            format!("Done loading RDB, keys loaded: {}, keys expired: {}.", stats.keys_loaded, stats.keys_expired)
        };
        p.log(LogLevel::Notice, &line);
    }

    /// The save a shutdown does (Redis's finishShutdown): stops a running background save, then
    /// saves when save points are configured (unless NOSAVE) or SAVE was asked. False when the
    /// save failed and the shutdown must not proceed (unless forced).
    pub fn shutdown_save(&mut self, save: bool, nosave: bool, force: bool, now_ms: u64) -> bool {
        self.persist.log(LogLevel::Warning, "User requested shutdown...");
        self.kill_rdb_child_now();
        // The AOF turned on at runtime has no complete files until its first rewrite ends:
        // exiting now would lose the dataset (unless forced).
        if self.persist.aof.rewrite.is_some() && self.persist.aof.status == super::aof::AofStatus::WaitRewrite {
            if !force {
                self.persist.log(LogLevel::Warning, "Writing initial AOF, can't exit.");
                self.persist.log(
                    LogLevel::Warning,
                    "Errors trying to shut down the server. Check the logs for more information.",
                );
                return false;
            }
            self.persist.log(LogLevel::Warning, "Writing initial AOF. Exit anyway.");
        }
        let save = (save || !self.config.save_points().is_empty()) && !nosave && self.persist.loading.is_none();
        if !save {
            return true;
        }
        self.persist.log(LogLevel::Notice, "Saving the final RDB snapshot before exiting.");
        if self.rdb_save(now_ms) {
            return true;
        }
        if force {
            self.persist.log(LogLevel::Warning, "Error trying to save the DB. Exit anyway.");
            return true;
        }
        self.persist.log(LogLevel::Warning, "Error trying to save the DB, can't exit.");
        self.persist
            .log(LogLevel::Warning, "Errors trying to shut down the server. Check the logs for more information.");
        false
    }
}
