//! Loading the AOF at start-up (Redis's loadAppendOnlyFiles and loadSingleAppendOnlyFile): the
//! base file (an RDB, or commands), then every incr file, replayed through the engine as a
//! client would send them, with keys not expiring meanwhile. A file that ends in the middle of a
//! command (a crash while writing) is cut back to its last whole command when
//! `aof-load-truncated` is on and it is the last file; a transaction left open at the end is
//! dropped the same way; anything else malformed stops the start-up.
//!
//! The load runs a piece at a time (`AofLoader::step`), so the server can answer clients between
//! pieces: with `-LOADING` and INFO's `loading:1` and `loading_*` figures, as for an RDB load
//! (Redis serves events every 1024 commands while it loads an AOF).

use super::manifest::{AofFile, Manifest};
use super::AofStatus;
use crate::engine::config::{index_of, strerror, LogLevel};
use crate::engine::Engine;
use crate::persist::control::LoadingInfo;
use crate::persist::load::Loader;
use crate::persist::rdb::input::{SliceSource, StreamSource};
use std::io::Read;

/// One parsed item of a command file.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// A command and the offset just past it.
    Command(Vec<Vec<u8>>, usize),
    /// An annotation line (`#...`), skipped; the offset past it.
    Annotation(usize),
    /// The data ends inside a command (a short write): Redis's unexpected EOF.
    Truncated,
    /// Something that is not a command: Redis's "Bad file format".
    Bad,
}

/// The line starting at `pos` (without its newline, if any) and the offset after it, as fgets
/// reads it.
fn line_at(data: &[u8], pos: usize) -> (&[u8], usize, bool) {
    match data[pos..].iter().position(|&b| b == b'\n') {
        Some(i) => (&data[pos..pos + i], pos + i + 1, true),
        None => (&data[pos..], data.len(), false),
    }
}

/// C's atoi/strtol on a header line: optional sign, then digits.
fn header_number(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg {
        -n
    } else {
        n
    }
}

/// Parses the item at `pos` (< data.len()).
pub fn next_item(data: &[u8], pos: usize) -> Item {
    let (line, mut at, _) = line_at(data, pos);
    if line.first() == Some(&b'#') {
        return Item::Annotation(at);
    }
    if line.first() != Some(&b'*') {
        return Item::Bad;
    }
    if line.len() == 1 && at == data.len() {
        return Item::Truncated;
    }
    let argc = header_number(&line[1..]);
    if argc < 1 {
        return Item::Bad;
    }
    let mut argv = Vec::with_capacity((argc as usize).min(1024));
    for _ in 0..argc {
        if at >= data.len() {
            return Item::Truncated;
        }
        let (len_line, next, _) = line_at(data, at);
        if len_line.first() != Some(&b'$') {
            return Item::Bad;
        }
        let len = header_number(&len_line[1..]).max(0) as usize;
        let Some(end) = next.checked_add(len).filter(|&e| e <= data.len()) else {
            return Item::Truncated;
        };
        // The two bytes after the argument (CRLF) are read and not checked, as Redis does.
        if end + 2 > data.len() {
            return Item::Truncated;
        }
        argv.push(data[next..end].to_vec());
        at = end + 2;
    }
    Item::Command(argv, at)
}

/// How one file loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum FileOutcome {
    Ok,
    Empty,
    /// It ended inside a command (or an open transaction); valid up to this offset.
    Truncated(u64),
}

/// Loads the commands (and RDB preamble) of one file into the engine, at once. Err is the fatal
/// log line.
pub fn load_file(engine: &mut Engine, name: &str, data: &[u8], now_ms: u64) -> Result<FileOutcome, String> {
    if data.is_empty() {
        return Ok(FileOutcome::Empty);
    }
    let mut pos = 0usize;
    if data.starts_with(b"REDIS") {
        let old_style = log_rdb_start(engine, name);
        let verify = engine.rdb_verify_checksum();
        let mut loader =
            Loader::new(SliceSource::new(data), now_ms, false, verify).map_err(|_| rdb_failed(name, old_style))?;
        loader.keep_expired = true;
        loader.step(engine, u64::MAX).map_err(|e| format!("{e}. {}", rdb_failed(name, old_style)))?;
        pos = loader.offset() as usize;
        if old_style {
            engine.persist.log(LogLevel::Notice, "Reading the remaining AOF tail...");
        }
    }
    let mut replay = Replay::new(engine, pos, now_ms);
    let result = replay.run(engine, name, data, usize::MAX);
    replay.end(engine);
    result.map(|outcome| outcome.unwrap_or(FileOutcome::Ok))
}

/// Logs the start of an RDB base (or preamble); true for an old-style AOF (a preamble).
fn log_rdb_start(engine: &mut Engine, name: &str) -> bool {
    let old_style = name == engine.config.appendfilename();
    let what =
        if old_style { "Reading RDB preamble from AOF file..." } else { "Reading RDB base file on AOF loading..." };
    engine.persist.log(LogLevel::Notice, what);
    old_style
}

fn rdb_failed(name: &str, old_style: bool) -> String {
    if old_style {
        format!("Error reading the RDB preamble of the AOF file {name}, AOF loading aborted")
    } else {
        format!("Error reading the RDB base file {name}, AOF loading aborted")
    }
}

/// The replay of a file's commands, resumable: where it is and what a torn end is cut back to.
struct Replay {
    /// The fake client the commands run as.
    client: u64,
    pos: usize,
    valid_up_to: usize,
    valid_before_multi: usize,
    in_multi: bool,
    now_ms: u64,
}

impl Replay {
    fn new(engine: &mut Engine, pos: usize, now_ms: u64) -> Replay {
        let client = engine.connect(String::new(), String::new(), now_ms);
        if let Some(c) = engine.client_mut(client) {
            c.authenticated = true;
        }
        Replay { client, pos, valid_up_to: pos, valid_before_multi: pos, in_multi: false, now_ms }
    }

    fn end(self, engine: &mut Engine) {
        engine.disconnect(self.client);
    }

    /// Replays at most `max_commands` commands of `data`. Ok(None) when more remain, Ok(Some)
    /// at the end of the data.
    fn run(
        &mut self,
        engine: &mut Engine,
        name: &str,
        data: &[u8],
        max_commands: usize,
    ) -> Result<Option<FileOutcome>, String> {
        // Each item consumes at least one byte, or the loop stops.
        let mut commands = 0usize;
        while self.pos < data.len() {
            if commands >= max_commands {
                return Ok(None);
            }
            match next_item(data, self.pos) {
                Item::Annotation(next) => self.pos = next,
                Item::Command(argv, next) => {
                    if engine.table.lookup(&argv[0]).is_none() {
                        return Err(format!(
                            "Unknown command '{}' reading the append only file {name}",
                            String::from_utf8_lossy(&argv[0])
                        ));
                    }
                    if argv[0].eq_ignore_ascii_case(b"MULTI") {
                        self.valid_before_multi = self.valid_up_to;
                        self.in_multi = true;
                    } else if argv[0].eq_ignore_ascii_case(b"EXEC") {
                        self.in_multi = false;
                    }
                    engine.execute(self.client, &argv, self.now_ms);
                    commands += 1;
                    self.pos = next;
                    self.valid_up_to = self.pos;
                }
                Item::Truncated => {
                    // A command torn inside a transaction cuts the file before its MULTI. (Redis
                    // 7.0.15 cuts after the MULTI, so commands appended after the restart end up
                    // inside that transaction and are dropped at the next load: a deviation, see
                    // specs/deviations.md.)
                    let valid = if self.in_multi { self.valid_before_multi } else { self.valid_up_to };
                    return Ok(Some(FileOutcome::Truncated(valid as u64)));
                }
                Item::Bad => {
                    return Err(format!(
                        "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
                    ))
                }
            }
        }
        if self.in_multi {
            engine
                .persist
                .log(LogLevel::Warning, &format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"));
            return Ok(Some(FileOutcome::Truncated(self.valid_before_multi as u64)));
        }
        Ok(Some(FileOutcome::Ok))
    }
}

/// What the start-up load found.
#[derive(Debug, PartialEq, Eq)]
pub enum AofLoad {
    /// No AOF files: start empty.
    NotExist,
    /// Only empty files.
    Empty,
    Loaded,
}

/// How a start-up with `appendonly yes` begins.
pub enum AofBegin {
    /// Nothing to load.
    Nothing(AofLoad),
    /// Files to load, a piece at a time.
    Load(Box<AofLoader>),
}

/// The file being loaded.
enum Current {
    /// An RDB base (or preamble), read from the disk as it loads.
    Rdb { loader: Loader<StreamSource<Box<dyn Read + Send>>>, old_style: bool },
    /// Commands, from `pos` in `data` (the whole file).
    Commands { data: Vec<u8>, replay: Replay },
}

/// A start-up load of the AOF in progress (loadAppendOnlyFiles run a piece at a time).
pub struct AofLoader {
    files: Vec<AofFile>,
    /// The next file to open.
    next: usize,
    /// The file being loaded, its index in `files` and when it started.
    current: Option<(usize, Current, std::time::Instant)>,
    /// Bytes of the files already loaded.
    done_bytes: u64,
    base_size: u64,
    now_ms: u64,
    started: std::time::Instant,
}

/// Upper bounds of the work of one `AofLoader::step`.
#[derive(Clone, Copy, Debug)]
pub struct LoadBudget {
    /// RDB bytes (an RDB base).
    pub rdb_bytes: u64,
    /// Commands replayed.
    pub commands: usize,
}

impl LoadBudget {
    /// Everything at once.
    pub const ALL: LoadBudget = LoadBudget { rdb_bytes: u64::MAX, commands: usize::MAX };
}

impl AofLoader {
    /// When the load started (for the "DB loaded from append only file" line).
    pub fn elapsed_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Loads the next piece. Ok(true) once every file is in (the engine then has the figures of
    /// the loaded files and is no longer loading); Err is the fatal log line.
    pub fn step(&mut self, engine: &mut Engine, budget: LoadBudget) -> Result<bool, String> {
        // The replay is not the clients' activity: INFO's figures stay as they were.
        let (stats, command_stats) = (engine.stats.clone(), engine.command_stats.clone());
        engine.persist.aof.replaying = true;
        let result = self.step_files(engine, budget);
        engine.persist.aof.replaying = false;
        engine.stats = stats;
        engine.command_stats = command_stats;
        let position = self.position();
        if let Some(l) = &mut engine.persist.loading {
            l.loaded_bytes = position;
        }
        match result {
            Ok(true) => {
                self.finish(engine);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => {
                if let Some((_, Current::Commands { replay, .. }, _)) = self.current.take() {
                    replay.end(engine);
                }
                engine.persist.loading = None;
                Err(e)
            }
        }
    }

    /// Bytes loaded so far, over all files.
    fn position(&self) -> u64 {
        let within = match &self.current {
            Some((_, Current::Rdb { loader, .. }, _)) => loader.offset(),
            Some((_, Current::Commands { replay, .. }, _)) => replay.pos as u64,
            None => 0,
        };
        self.done_bytes + within
    }

    fn step_files(&mut self, engine: &mut Engine, budget: LoadBudget) -> Result<bool, String> {
        // Each turn opens a file or works on the open one; a step ends after one piece of work.
        for _ in 0..=self.files.len() {
            if self.current.is_none() {
                if self.next >= self.files.len() {
                    return Ok(true);
                }
                let index = self.next;
                self.next += 1;
                if !self.open(engine, index)? {
                    continue;
                }
            }
            let Some((index, current, _)) = &mut self.current else { continue };
            let index = *index;
            let name = self.files[index].name.clone();
            match current {
                Current::Rdb { loader, old_style } => {
                    let done = loader
                        .step(engine, budget.rdb_bytes)
                        .map_err(|e| format!("{e}. {}", rdb_failed(&name, *old_style)))?;
                    if !done {
                        return Ok(false);
                    }
                    let (offset, old_style) = (loader.offset(), *old_style);
                    self.rdb_done(engine, index, offset, old_style)?;
                }
                Current::Commands { data, replay } => {
                    let Some(outcome) = replay.run(engine, &name, data, budget.commands)? else {
                        return Ok(false);
                    };
                    self.file_done(engine, index, outcome)?;
                }
            }
            if self.current.is_some() {
                return Ok(false);
            }
        }
        Ok(self.next >= self.files.len() && self.current.is_none())
    }

    /// Opens file `index`; false when it is empty (nothing to load).
    fn open(&mut self, engine: &mut Engine, index: usize) -> Result<bool, String> {
        let name = self.files[index].name.clone();
        let path = engine.aof_path(&name);
        let size = engine.persist.disk.size(&path).unwrap_or(0);
        if size == 0 {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let mut reader =
            engine.persist.disk.open(&path).map_err(|e| {
                format!("Fatal error: can't open the append log file {name} for reading: {}", strerror(&e))
            })?;
        let mut sig = [0u8; 5];
        let is_rdb = reader.read_exact(&mut sig).is_ok() && &sig == b"REDIS";
        if is_rdb {
            let old_style = log_rdb_start(engine, &name);
            let reader = engine.persist.disk.open(&path).map_err(|e| {
                format!("Fatal error: can't open the append log file {name} for reading: {}", strerror(&e))
            })?;
            let verify = engine.rdb_verify_checksum();
            let mut loader = Loader::new(StreamSource::new(reader), self.now_ms, false, verify)
                .map_err(|e| format!("{e}. {}", rdb_failed(&name, old_style)))?;
            loader.keep_expired = true;
            self.current = Some((index, Current::Rdb { loader, old_style }, started));
        } else {
            let data = read_all(engine.persist.disk.as_mut(), &path)
                .map_err(|e| format!("Fatal error: can't open the append log file {name} for reading: {e}"))?;
            let replay = Replay::new(engine, 0, self.now_ms);
            self.current = Some((index, Current::Commands { data, replay }, started));
        }
        Ok(true)
    }

    /// The RDB part of a file is in: the file ends there, or a tail of commands follows.
    fn rdb_done(&mut self, engine: &mut Engine, index: usize, offset: u64, old_style: bool) -> Result<(), String> {
        let name = self.files[index].name.clone();
        let path = engine.aof_path(&name);
        let size = engine.persist.disk.size(&path).unwrap_or(0);
        if old_style {
            engine.persist.log(LogLevel::Notice, "Reading the remaining AOF tail...");
        }
        if offset >= size {
            return self.file_done(engine, index, FileOutcome::Ok);
        }
        let data = read_all(engine.persist.disk.as_mut(), &path)
            .map_err(|e| format!("Fatal error: can't open the append log file {name} for reading: {e}"))?;
        let replay = Replay::new(engine, offset as usize, self.now_ms);
        if let Some((_, current, _)) = &mut self.current {
            *current = Current::Commands { data, replay };
        }
        Ok(())
    }

    /// A file is loaded: a torn end is cut back (when allowed and it is the last file).
    fn file_done(&mut self, engine: &mut Engine, index: usize, outcome: FileOutcome) -> Result<(), String> {
        let Some((_, current, started)) = self.current.take() else { return Ok(()) };
        if let Current::Commands { replay, .. } = current {
            replay.end(engine);
        }
        let f = &self.files[index];
        let last = index + 1 == self.files.len();
        let path = engine.aof_path(&f.name);
        if let FileOutcome::Truncated(valid) = outcome {
            engine.aof_cut_torn_end(&f.name, &path, valid, last)?;
        }
        let kind = if f.kind == super::manifest::FileKind::Base { "base" } else { "incr" };
        let secs = started.elapsed().as_secs_f64();
        engine.persist.log(LogLevel::Notice, &format!("DB loaded from {kind} file {}: {secs:.3} seconds", f.name));
        self.done_bytes += engine.persist.disk.size(&path).unwrap_or(0);
        Ok(())
    }

    /// Every file is in: the sizes the AOF starts from (loadAppendOnlyFiles's end).
    fn finish(&mut self, engine: &mut Engine) {
        let sizes: u64 = self.files.iter().map(|f| engine.aof_size_of(&f.name)).sum();
        engine.persist.aof.current_size = sizes;
        engine.persist.aof.base_size = self.base_size;
        engine.persist.loading = None;
    }
}

impl Engine {
    /// Reads the manifest, if any (aofLoadManifestFromDisk). Err is the fatal log text.
    pub fn aof_read_manifest(&mut self) -> Result<Manifest, String> {
        let dir = self.aof_dir();
        let path = self.aof_manifest_path();
        let disk = self.persist.disk.as_mut();
        if !disk.dir_exists(&dir) || disk.size(&path).is_err() {
            return Ok(Manifest::default());
        }
        let text = read_all(disk, &path)
            .map_err(|e| format!("Fatal error: can't open the AOF manifest file {path} for reading: {e}"))?;
        Manifest::parse(&text).map_err(|e| format!("*** FATAL AOF MANIFEST FILE ERROR *** {e}"))
    }

    /// Starts the start-up load of the AOF (loadAppendOnlyFiles), upgrading an old single-file
    /// AOF first: the files to load, with the engine marked as loading (INFO's loading_*
    /// figures, `-LOADING` for clients). Err is the fatal log line; the caller exits.
    pub fn aof_begin_load(&mut self, now_ms: u64) -> Result<AofBegin, String> {
        let mut manifest = self.aof_read_manifest()?;
        self.aof_upgrade_if_needed(&mut manifest)?;
        self.persist.aof.manifest = manifest.clone();
        if manifest.is_empty() {
            return Ok(AofBegin::Nothing(AofLoad::NotExist));
        }
        let files: Vec<AofFile> = manifest.load_order().into_iter().cloned().collect();
        let mut total = 0u64;
        for f in &files {
            let path = self.aof_path(&f.name);
            match self.persist.disk.size(&path) {
                Ok(n) => total += n,
                Err(e) => {
                    return Err(format!("Unable to obtain the AOF file {} length. stat: {}", f.name, strerror(&e)))
                }
            }
        }
        if total == 0 {
            return Ok(AofBegin::Nothing(AofLoad::Empty));
        }
        let base_size = match &manifest.base {
            Some(b) => self.aof_size_of(&b.name.clone()),
            None => 0,
        };
        self.persist.loading = Some(LoadingInfo { start_ms: now_ms, total_bytes: total, loaded_bytes: 0 });
        Ok(AofBegin::Load(Box::new(AofLoader {
            files,
            next: 0,
            current: None,
            done_bytes: 0,
            base_size,
            now_ms,
            started: std::time::Instant::now(),
        })))
    }

    /// Loads the AOF at start-up at once (see `aof_begin_load`). Err is the fatal log line.
    pub fn aof_load(&mut self, now_ms: u64) -> Result<AofLoad, String> {
        match self.aof_begin_load(now_ms)? {
            AofBegin::Nothing(found) => Ok(found),
            AofBegin::Load(mut loader) => {
                // One step with no limits loads everything.
                while !loader.step(self, LoadBudget::ALL)? {}
                let secs = loader.elapsed_s();
                self.persist.log(LogLevel::Notice, &format!("DB loaded from append only file: {secs:.3} seconds"));
                Ok(AofLoad::Loaded)
            }
        }
    }

    pub(crate) fn aof_size_of(&mut self, name: &str) -> u64 {
        let p = self.aof_path(name);
        self.persist.disk.size(&p).unwrap_or(0)
    }

    /// A file that ended inside a command: cut back to `valid` bytes when `aof-load-truncated`
    /// allows it and it is the last file, durably; Err (fatal) otherwise.
    fn aof_cut_torn_end(&mut self, name: &str, path: &str, valid: u64, last: bool) -> Result<(), String> {
        if !self.config.bool_value(index_of("aof-load-truncated")) {
            return Err(format!("Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."));
        }
        self.persist.log(LogLevel::Warning, &format!("!!! Warning: short read while loading the AOF file {name}!!!"));
        self.persist.log(LogLevel::Warning, &format!("!!! Truncating the AOF {name} at offset {valid} !!!"));
        if !last {
            return Err("Fatal error: the truncated file is not the last file".to_string());
        }
        self.persist
            .disk
            .truncate(path, valid)
            .map_err(|e| format!("Error truncating the AOF file {name}: {}", strerror(&e)))?;
        // The cut is made durable at once: undone by a power loss, it would bring the torn
        // command back, possibly in a file that is no longer the last one.
        self.persist
            .disk
            .append(path)
            .and_then(|mut file| file.sync())
            .map_err(|e| format!("Error syncing the truncated AOF file {name}: {}", strerror(&e)))?;
        self.persist.log(LogLevel::Warning, &format!("AOF {name} loaded anyway because aof-load-truncated is enabled"));
        Ok(())
    }

    /// An `appendfilename` file in `dir` is an AOF from before Redis 7.0: move it into the AOF
    /// directory as the base of a new manifest (aofUpgradePrepare).
    fn aof_upgrade_if_needed(&mut self, manifest: &mut Manifest) -> Result<(), String> {
        let name = self.config.appendfilename();
        let old_path = crate::persist::snapshot::join(self.config.dir(), &name);
        let dir = self.aof_dir();
        let new_path = self.aof_path(&name);
        let disk = self.persist.disk.as_mut();
        if disk.size(&old_path).is_err() {
            return Ok(());
        }
        let dir_missing = !disk.dir_exists(&dir);
        let only_old_base = manifest.incrs.is_empty()
            && manifest.base.as_ref().is_some_and(|b| b.name == name)
            && disk.size(&new_path).is_err();
        if !(dir_missing || manifest.is_empty() || only_old_base) {
            return Ok(());
        }
        disk.create_dir(&dir).map_err(|e| format!("Can't open or create append-only dir {dir}: {}", strerror(&e)))?;
        *manifest = Manifest {
            base: Some(AofFile { name: name.clone(), seq: 1, kind: super::manifest::FileKind::Base }),
            base_seq: 1,
            ..Manifest::default()
        };
        self.aof_write_manifest(manifest).map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
        let disk = self.persist.disk.as_mut();
        disk.rename(&old_path, &new_path)
            .map_err(|e| format!("Error trying to move the old AOF file {name} into dir {dir}: {}", strerror(&e)))?;
        self.persist.log(
            LogLevel::Notice,
            &format!("Successfully migrated an old-style AOF file ({name}) into the AOF directory ({dir})."),
        );
        Ok(())
    }

    /// Start-up with `appendonly yes` (loadDataFromDisk, then aofOpenIfNeededOnServerStart):
    /// loads the AOF and opens it for appending. Err is the fatal log line.
    pub fn aof_boot(&mut self, now_ms: u64) -> Result<AofLoad, String> {
        let loaded = self.aof_load(now_ms)?;
        self.aof_open_on_start()?;
        Ok(loaded)
    }

    /// Marks the AOF on after a successful start-up with `appendonly yes`.
    pub fn aof_mark_on(&mut self) {
        self.persist.aof.status = AofStatus::On;
        self.prop.enabled = true;
    }
}

/// A whole file through the disk.
pub fn read_all(disk: &mut dyn crate::persist::disk::Disk, path: &str) -> Result<Vec<u8>, String> {
    let mut reader = disk.open(path).map_err(|e| strerror(&e))?;
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut data).map_err(|e| strerror(&e))?;
    Ok(data)
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;

    // rule: AOF-6
    #[test]
    fn items() {
        let data = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n#TS:1\r\n*1\r\n$4\r\nPING";
        assert_eq!(next_item(data, 0), Item::Command(vec![b"GET".to_vec(), b"k".to_vec()], 20));
        assert_eq!(next_item(data, 20), Item::Annotation(27));
        assert_eq!(next_item(data, 27), Item::Truncated);
        assert_eq!(next_item(b"*", 0), Item::Truncated);
        assert_eq!(next_item(b"*0\r\n", 0), Item::Bad);
        assert_eq!(next_item(b"+OK\r\n", 0), Item::Bad);
        assert_eq!(next_item(b"*1\r\n+x\r\n", 0), Item::Bad);
        assert_eq!(next_item(b"*1\r\n$2\r\nab", 0), Item::Truncated);
        assert_eq!(next_item(b"*2\r\n$2\r\nab\r\n", 0), Item::Truncated);
    }
}
