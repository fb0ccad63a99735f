//! The server's side of persistence: the real disk and the forking saver plugged into the engine,
//! the RDB or AOF load at start-up (run step by step by the event loop, so clients get LOADING
//! instead of a frozen server), and the engine's persistence log lines written to the server log.

use super::log::{self, Level};
use crate::engine::config::{strerror, LogLevel};
use crate::engine::Engine;
use crate::persist::aof::load::{AofBegin, AofLoader, LoadBudget};
use crate::persist::control::LoadingInfo;
use crate::persist::disk::RealDisk;
use crate::persist::fork::ForkSaver;
use crate::persist::load::{LoadError, Loader};
use crate::persist::rdb::input::StreamSource;
use crate::persist::Persistence;
use std::io::Read;
use std::time::Instant;

/// Bytes loaded between two turns of the event loop (Redis's loading-process-events-interval-bytes
/// default).
pub const LOAD_STEP_BYTES: u64 = 2 * 1024 * 1024;
/// Commands replayed from the AOF between two turns of the event loop (Redis serves events every
/// 1024 commands while it loads an AOF).
pub const AOF_LOAD_STEP_COMMANDS: usize = 1024;

/// Real files, and BGSAVE by fork.
pub fn install_real_persistence(engine: &mut Engine) {
    let start_ms = engine.start_ms;
    let mut p = Persistence::new(Box::new(RealDisk), Box::new(ForkSaver::new()), start_ms);
    p.write_version = engine.persist.write_version;
    p.quiet_log = engine.persist.quiet_log;
    engine.persist = p;
}

/// Starts the background fsync thread and the start-up with `appendonly yes`: Ok(Some) with the
/// AOF load the event loop runs a piece at a time (clients get LOADING meanwhile), Ok(None) when
/// there was nothing to load and the AOF is open already. Err is the fatal log line.
pub fn boot_aof(engine: &mut Engine) -> Result<Option<StartupLoad>, String> {
    match crate::persist::aof::fsync::BgFsync::start() {
        Ok(bg) => engine.persist.aof.bg = Some(bg),
        Err(e) => log::log(Level::Warning, &format!("Can't start the AOF fsync thread, syncing inline: {e}")),
    }
    let begun = engine.aof_begin_load(unix_ms());
    let result = match begun {
        Ok(AofBegin::Load(loader)) => Ok(Some(StartupLoad::Aof { loader })),
        Ok(AofBegin::Nothing(_)) => engine.aof_open_on_start().map(|()| None),
        Err(e) => Err(e),
    };
    drain_log(engine);
    result
}

fn unix_ms() -> u64 {
    super::event_loop::unix_ms()
}

/// A load from disk in progress: the RDB file, or the AOF (with `appendonly yes`).
pub enum StartupLoad {
    Rdb { loader: Loader<StreamSource<Box<dyn Read + Send>>>, started: Instant },
    Aof { loader: Box<AofLoader> },
}

/// Opens the RDB file for loading, if there is one. Err carries the fatal log line.
pub fn begin_load(engine: &mut Engine, now_ms: u64) -> Result<Option<StartupLoad>, String> {
    let path = engine.rdb_path();
    let disk = engine.persist.disk.as_mut();
    let size = match disk.size(&path) {
        Ok(size) => size,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("Fatal error loading the DB: {}. Exiting.", strerror(&e))),
    };
    let reader = disk.open(&path).map_err(|e| format!("Fatal error loading the DB: {}. Exiting.", strerror(&e)))?;
    let verify = engine.rdb_verify_checksum();
    let loader = Loader::new(StreamSource::new(reader), now_ms, false, verify).map_err(|e| e.to_string())?;
    engine.persist.loading = Some(LoadingInfo { start_ms: now_ms, total_bytes: size, loaded_bytes: 0 });
    Ok(Some(StartupLoad::Rdb { loader, started: Instant::now() }))
}

impl StartupLoad {
    /// Loads the next piece. Ok(true) once the whole file is in; Err is fatal (with the log line).
    pub fn step(&mut self, engine: &mut Engine) -> Result<bool, String> {
        match self {
            StartupLoad::Rdb { loader, started } => step_rdb(loader, *started, engine),
            StartupLoad::Aof { loader } => step_aof(loader, engine),
        }
    }
}

fn step_rdb(
    loader: &mut Loader<StreamSource<Box<dyn Read + Send>>>,
    started: Instant,
    engine: &mut Engine,
) -> Result<bool, String> {
    let result = loader.step(engine, LOAD_STEP_BYTES);
    if let Some(l) = &mut engine.persist.loading {
        l.loaded_bytes = loader.offset();
    }
    match result {
        Ok(false) => Ok(false),
        Ok(true) => {
            engine.persist.loading = None;
            engine.finish_load(loader.stats);
            if let Some((id, offset, db)) = loader.repl_info() {
                engine.repl_restore_from_rdb(id, offset, db);
            }
            let secs = started.elapsed().as_secs_f64();
            engine.persist.log(LogLevel::Notice, &format!("DB loaded from disk: {secs:.3} seconds"));
            Ok(true)
        }
        Err(e) => {
            engine.persist.loading = None;
            match &e {
                LoadError::Rdb(rdb) => {
                    // Redis logs the reason, then runs redis-check-rdb on the file, which reports
                    // it again with its offset; verdis writes that report's core lines.
                    engine.persist.log(LogLevel::Warning, &rdb.report());
                    engine.persist.log(LogLevel::Warning, "--- RDB ERROR DETECTED ---");
                    engine.persist.log(LogLevel::Warning, &format!("[offset {}] {}", rdb.offset(), rdb.report()));
                }
                LoadError::Refused(_) => engine.persist.log(LogLevel::Warning, &e.to_string()),
            }
            Err("Terminating server after rdb file reading failure.".to_string())
        }
    }
}

/// A piece of the AOF load; at the end the AOF is opened for appending (a failure there is
/// fatal, as at any start-up with `appendonly yes`).
fn step_aof(loader: &mut AofLoader, engine: &mut Engine) -> Result<bool, String> {
    let budget = LoadBudget { rdb_bytes: LOAD_STEP_BYTES, commands: AOF_LOAD_STEP_COMMANDS };
    if !loader.step(engine, budget)? {
        return Ok(false);
    }
    let secs = loader.elapsed_s();
    engine.persist.log(LogLevel::Notice, &format!("DB loaded from append only file: {secs:.3} seconds"));
    engine.aof_open_on_start()?;
    Ok(true)
}

/// Writes the engine's pending persistence log lines (an embedded server, which has no log,
/// marks its engine `quiet_log` and they are dropped).
pub fn drain_log(engine: &mut Engine) {
    if engine.persist.quiet_log {
        engine.persist.log.clear();
        return;
    }
    for (level, message) in engine.persist.log.drain(..) {
        let level = match level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Verbose => Level::Verbose,
            LogLevel::Notice => Level::Notice,
            LogLevel::Warning => Level::Warning,
        };
        log::log(level, &message);
    }
}
