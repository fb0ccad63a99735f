//! Rewriting the AOF (Redis 7.0's rewriteAppendOnlyFileBackground and
//! backgroundRewriteDoneHandler), opening it at start-up (aofOpenIfNeededOnServerStart), and
//! turning it on and off at runtime.
//!
//! A rewrite first switches writes to a new incr file (recorded in the manifest), then writes
//! the point-in-time copy of the keyspace as the new base through the same background saver as
//! BGSAVE. When the base is complete, a new manifest naming it, with the older incr files as
//! history, replaces the old one atomically (temporary file, fsync, rename, directory fsync);
//! only then are the history files removed. A crash at any step leaves a manifest that names
//! complete files.

use super::manifest::Manifest;
use super::writer::encode_command;
use super::{AofStatus, RewriteChild};
use crate::engine::config::{index_of, strerror, LogLevel};
use crate::engine::db::Db;
use crate::engine::value::Value;
use crate::engine::Engine;
use crate::persist::disk::Disk;
use crate::persist::rdb::encode::AuxInfo;
use crate::persist::snapshot::{self, SaveFormat, SaveJob, SIGUSR1};
use std::io::Write;

/// Items per command when a base is written as commands (AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;
/// Bytes buffered before each write of a command base.
const BASE_WRITE_BUFFER_BYTES: usize = 64 * 1024;
/// Rewrites failed in a row before automatic and scheduled ones are held back
/// (AOF_REWRITE_LIMITE_THRESHOLD), and the longest hold, in minutes.
const REWRITE_LIMIT_THRESHOLD: u64 = 3;
const REWRITE_LIMIT_MAX_MINUTES: u64 = 60;
/// The reply when a rewrite cannot start.
const CANT_REWRITE: &str =
    "Can't execute an AOF background rewriting. Please check the server logs for more information.";

/// The keyspace as commands (rewriteAppendOnlyFileRio): SELECT, then per key the command that
/// recreates it and PEXPIREAT for its expiry.
pub fn keyspace_as_commands(dbs: &[Db], out: &mut Vec<u8>) {
    let mut sink = |bytes: &[u8]| {
        out.extend_from_slice(bytes);
        Ok(())
    };
    // Writing into a Vec cannot fail.
    let _ = each_key_as_commands(dbs, &mut sink, || {});
}

/// Hands the commands of each key to `write` (SELECT before each database's first key), then
/// calls `after_key`. Returns the bytes handed over.
fn each_key_as_commands(
    dbs: &[Db],
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    mut after_key: impl FnMut(),
) -> std::io::Result<u64> {
    let mut buf = Vec::new();
    let mut total = 0u64;
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        encode_command(&mut buf, &[b"SELECT".to_vec(), i.to_string().into_bytes()]);
        for (key, entry) in db.iter() {
            value_as_commands(key, &entry.value, &mut buf);
            if let Some(at_ms) = entry.expire_at_ms() {
                encode_command(&mut buf, &[b"PEXPIREAT".to_vec(), key.to_vec(), at_ms.to_string().into_bytes()]);
            }
            write(&buf)?;
            total += buf.len() as u64;
            buf.clear();
            after_key();
        }
    }
    Ok(total)
}

/// What a command base starts with: a `#TS:` annotation when `annotate`, then one FUNCTION LOAD
/// per library, before the keys (rewriteAppendOnlyFileRio, rewriteFunctions).
pub fn command_base_prelude(aux: &AuxInfo, annotate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if annotate {
        out.extend_from_slice(format!("#TS:{}\r\n", aux.ctime_s).as_bytes());
    }
    for code in &aux.functions {
        encode_command(&mut out, &[b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.clone()]);
    }
    out
}

/// Writes an AOF base of commands at `path` (Redis's rewriteAppendOnlyFile with
/// aof-use-rdb-preamble no): a temporary file, fsync, rename, directory fsync. This runs in the
/// background saver (the forked child in the server), like an RDB base. Returns the size; Err
/// is the log line.
pub fn write_command_base(
    disk: &mut dyn Disk,
    dbs: &[Db],
    prelude: &[u8],
    temp: &str,
    path: &str,
    after_key: impl FnMut(),
) -> Result<u64, String> {
    let file = disk
        .create(temp)
        .map_err(|e| format!("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}", strerror(&e)))?;
    let mut out = std::io::BufWriter::with_capacity(BASE_WRITE_BUFFER_BYTES, file);
    let written = out
        .write_all(prelude)
        .and_then(|()| each_key_as_commands(dbs, &mut |bytes| out.write_all(bytes), after_key))
        .and_then(|size| {
            let mut file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync()?;
            Ok(prelude.len() as u64 + size)
        });
    let size = match written {
        Ok(size) => size,
        Err(e) => {
            let _ = disk.remove(temp);
            return Err(format!("Write error writing append only file on disk: {}", strerror(&e)));
        }
    };
    disk.rename(temp, path).map_err(|e| {
        let _ = disk.remove(temp);
        format!("Error moving temp append only file on the final destination: {}", strerror(&e))
    })?;
    disk.sync_dir(path).map_err(|e| format!("Write error writing append only file on disk: {}", strerror(&e)))?;
    Ok(size)
}

fn batched(out: &mut Vec<u8>, name: &[u8], key: &[u8], items: Vec<Vec<u8>>, per_item: usize) {
    for chunk in items.chunks(ITEMS_PER_CMD * per_item) {
        let mut argv = Vec::with_capacity(chunk.len() + 2);
        argv.push(name.to_vec());
        argv.push(key.to_vec());
        argv.extend(chunk.iter().cloned());
        encode_command(out, &argv);
    }
}

fn value_as_commands(key: &[u8], value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Str(s) => encode_command(out, &[b"SET".to_vec(), key.to_vec(), s.as_bytes().into_owned()]),
        Value::List(l) => batched(out, b"RPUSH", key, l.iter().map(<[u8]>::to_vec).collect(), 1),
        Value::Set(s) => batched(out, b"SADD", key, s.members(), 1),
        Value::ZSet(z) => {
            let items = z.iter().flat_map(|(score, m)| [format_score(score), m.to_vec()]).collect();
            batched(out, b"ZADD", key, items, 2);
        }
        Value::Hash(h) => {
            let items = h.iter().flat_map(|(f, v)| [f.to_vec(), v.to_vec()]).collect();
            batched(out, b"HMSET", key, items, 2);
        }
        Value::Stream(s) => stream_as_commands(key, s, out),
    }
}

/// A stream as Redis's rewriteStreamObject writes it: an XADD per entry (an empty stream is made
/// by `XADD key MAXLEN 0 0-1 x y`), XSETID with the last ID, entries added and the largest deleted
/// ID, then per group XGROUP CREATE with its last ID and read counter, and per consumer either an
/// XCLAIM ... JUSTID FORCE for each pending entry (keeping its delivery time and count) or, with
/// nothing pending, XGROUP CREATECONSUMER.
fn stream_as_commands(key: &[u8], s: &crate::engine::stream::Stream, out: &mut Vec<u8>) {
    use crate::engine::stream::StreamId;
    let text = |n: u64| n.to_string().into_bytes();
    if s.length > 0 {
        for (id, fields) in s.range(StreamId::new(0, 0), StreamId::new(u64::MAX, u64::MAX)) {
            let mut argv = vec![b"XADD".to_vec(), key.to_vec(), id.to_bytes()];
            for (field, value) in fields {
                argv.push(field.clone());
                argv.push(value.clone());
            }
            encode_command(out, &argv);
        }
    } else {
        let argv: [&[u8]; 7] = [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"];
        encode_command(out, &argv.map(<[u8]>::to_vec));
    }
    encode_command(
        out,
        &[
            b"XSETID".to_vec(),
            key.to_vec(),
            s.last_id.to_bytes(),
            b"ENTRIESADDED".to_vec(),
            text(s.entries_added),
            b"MAXDELETEDID".to_vec(),
            s.max_deleted_id.to_bytes(),
        ],
    );
    for (name, group) in &s.groups {
        let entries_read = group.entries_read.map_or(b"-1".to_vec(), text);
        encode_command(
            out,
            &[
                b"XGROUP".to_vec(),
                b"CREATE".to_vec(),
                key.to_vec(),
                name.clone(),
                group.last_id.to_bytes(),
                b"ENTRIESREAD".to_vec(),
                entries_read,
            ],
        );
        for (consumer_name, consumer) in &group.consumers {
            if consumer.pending.is_empty() {
                encode_command(
                    out,
                    &[
                        b"XGROUP".to_vec(),
                        b"CREATECONSUMER".to_vec(),
                        key.to_vec(),
                        name.clone(),
                        consumer_name.clone(),
                    ],
                );
                continue;
            }
            for id in &consumer.pending {
                let Some(nack) = group.pel.get(id) else { continue };
                encode_command(
                    out,
                    &[
                        b"XCLAIM".to_vec(),
                        key.to_vec(),
                        name.clone(),
                        consumer_name.clone(),
                        b"0".to_vec(),
                        id.to_bytes(),
                        b"TIME".to_vec(),
                        text(nack.delivery_time_ms),
                        b"RETRYCOUNT".to_vec(),
                        text(nack.delivery_count),
                        b"JUSTID".to_vec(),
                        b"FORCE".to_vec(),
                    ],
                );
            }
        }
    }
}

/// A score as text that parses back to the same double.
fn format_score(score: f64) -> Vec<u8> {
    if score.is_infinite() {
        return if score > 0.0 { b"inf".to_vec() } else { b"-inf".to_vec() };
    }
    format!("{score}").into_bytes()
}

/// Writes a base file at `path` through a temporary file (rewriteAppendOnlyFile), in the
/// foreground: only the empty dataset's first base at start-up is written this way. Returns its
/// size.
pub fn write_base(
    disk: &mut dyn Disk,
    dbs: &[Db],
    engine_opts: (crate::persist::rdb::encode::SaveOptions, AuxInfo),
    format: SaveFormat,
    temp: &str,
    path: &str,
) -> Result<u64, String> {
    let (opts, aux) = engine_opts;
    match format {
        SaveFormat::Rdb => {
            snapshot::write_rdb_file(disk, dbs, opts, &aux, temp, path, || {}).map_err(|e| e.to_string())
        }
        SaveFormat::AofCommands { annotate } => {
            write_command_base(disk, dbs, &command_base_prelude(&aux, annotate), temp, path, || {})
        }
    }
}

impl Engine {
    /// The form of a new AOF base: RDB (`aof-use-rdb-preamble yes`) or commands.
    fn aof_base_format(&self, rdb: bool) -> SaveFormat {
        if rdb {
            SaveFormat::Rdb
        } else {
            SaveFormat::AofCommands { annotate: self.config.bool_value(index_of("aof-timestamp-enabled")) }
        }
    }

    fn base_save_options(&self) -> (crate::persist::rdb::encode::SaveOptions, AuxInfo) {
        let aux = AuxInfo {
            redis_ver: crate::cmd::connection::REDIS_VERSION.to_string(),
            ctime_s: self.now_ms / 1000,
            used_mem: self.process.rss_bytes,
            aof_base: true,
            functions: self.function_codes(),
            // An AOF base records no replication state (Redis saves it without rdbSaveInfo).
            repl: None,
        };
        (self.save_options(), aux)
    }

    fn preamble(&self) -> bool {
        self.config.bool_value(index_of("aof-use-rdb-preamble"))
    }

    /// The temporary incr file written while the AOF waits for its first rewrite
    /// (getTempIncrAofName).
    fn aof_temp_incr_name(&self) -> String {
        format!("temp-{}.incr", self.config.appendfilename())
    }

    /// Writes `manifest` atomically (writeAofManifestFile): temporary file, fsync, rename, fsync
    /// of the directory.
    pub fn aof_write_manifest(&mut self, manifest: &Manifest) -> Result<(), String> {
        let path = self.aof_manifest_path();
        let temp = self.aof_path(&format!("temp-{}.manifest", self.config.appendfilename()));
        let disk = self.persist.disk.as_mut();
        let mut file =
            disk.create(&temp).map_err(|e| format!("Can't open the AOF manifest file {temp}: {}", strerror(&e)))?;
        if let Err(e) = file.write_all(manifest.to_text().as_bytes()) {
            return Err(format!("Error trying to write the temporary AOF manifest file {temp}: {}", strerror(&e)));
        }
        file.sync().map_err(|e| format!("Fail to fsync the temp AOF file {temp}: {}.", strerror(&e)))?;
        drop(file);
        disk.rename(&temp, &path).map_err(|e| {
            format!("Error trying to rename the temporary AOF manifest file {temp} into {path}: {}", strerror(&e))
        })?;
        disk.sync_dir(&path).map_err(|e| format!("Fail to fsync AOF directory {path}: {}.", strerror(&e)))
    }

    /// Opens the AOF after the start-up load (aofOpenIfNeededOnServerStart): with no files yet a
    /// base is written from the current dataset, then the last incr file is opened for appending
    /// (or a first one created) and the manifest is made durable. Err is fatal.
    pub fn aof_open_on_start(&mut self) -> Result<(), String> {
        let dir = self.aof_dir();
        self.persist
            .disk
            .create_dir(&dir)
            .map_err(|e| format!("Can't open or create append-only dir {dir}: {}", strerror(&e)))?;
        let mut manifest = self.persist.aof.manifest.clone();
        let filename = self.config.appendfilename();
        if manifest.is_empty() {
            let rdb = self.preamble();
            let name = manifest.new_base(&filename, rdb);
            let path = self.aof_path(&name);
            let temp = self.aof_path(&format!("temp-rewriteaof-{}.aof", self.process.pid));
            let opts = self.base_save_options();
            // As Redis, the sizes (aof_current_size, aof_base_size) do not count this first base.
            let format = self.aof_base_format(rdb);
            write_base(self.persist.disk.as_mut(), &self.dbs, opts, format, &temp, &path)?;
            self.persist.log(LogLevel::Notice, &format!("Creating AOF base file {name} on server start"));
        }
        let had_incr = !manifest.incrs.is_empty();
        let incr_name = match manifest.incrs.last() {
            Some(f) => f.name.clone(),
            None => manifest.new_incr(&filename),
        };
        let incr_path = self.aof_path(&incr_name);
        let file = self
            .persist
            .disk
            .append(&incr_path)
            .map_err(|e| format!("Can't open the append-only file {incr_name}: {}", strerror(&e)))?;
        self.aof_write_manifest(&manifest)?;
        let size = self.persist.disk.size(&incr_path).unwrap_or(0);
        let aof = &mut self.persist.aof;
        aof.manifest = manifest;
        aof.file = Some(file);
        aof.incr_size = size;
        aof.incr_synced = size;
        aof.selected_db = None;
        // As Redis (aof_last_fsync starts at the start time): the first everysec fsync comes
        // about a second after the start, not with the first write.
        aof.last_fsync_ms = self.now_ms;
        let verb = if had_incr { "Opening" } else { "Creating" };
        self.persist.log(LogLevel::Notice, &format!("{verb} AOF incr file {incr_name} on server start"));
        self.aof_mark_on();
        Ok(())
    }

    /// Writes out everything buffered and syncs it (before a switch of files or a shutdown).
    pub fn aof_flush_and_sync(&mut self, now_ms: u64) {
        self.aof_flush_forced(now_ms);
        if let Some(bg) = self.persist.aof.bg.as_ref() {
            bg.wait_idle();
        }
        let aof = &mut self.persist.aof;
        if let Some(file) = aof.file.as_mut() {
            if aof.incr_synced < aof.incr_size && file.sync().is_ok() {
                aof.incr_synced = aof.incr_size;
            }
        }
    }

    /// BGREWRITEAOF (bgrewriteaofCommand): Ok(true) when a rewrite started, Ok(false) when it
    /// was scheduled for later (a background save runs, or inside EXEC), Err with the reply's
    /// text otherwise.
    pub fn aof_rewrite_background(&mut self, now_ms: u64) -> Result<bool, String> {
        if self.persist.aof.rewrite.is_some() {
            return Err("Background append only file rewriting already in progress".into());
        }
        if self.rdb_child_running() || self.persist.in_exec {
            self.persist.aof.rewrite_scheduled = true;
            // Asked for explicitly: it runs as soon as it can, however many failed before.
            self.persist.aof.consecutive_failures = 0;
            return Ok(false);
        }
        self.aof_rewrite_start(now_ms)?;
        Ok(true)
    }

    /// Starts a rewrite now (rewriteAppendOnlyFileBackground): writes switch to a new incr file
    /// (with the AOF on: recorded in the manifest first; while waiting for the first rewrite: a
    /// temporary one), then the background saver writes the point-in-time base. Err is the
    /// reply's text; the details are logged.
    fn aof_rewrite_start(&mut self, now_ms: u64) -> Result<(), String> {
        self.now_ms = self.now_ms.max(now_ms);
        let dir = self.aof_dir();
        if let Err(e) = self.persist.disk.create_dir(&dir) {
            let text = format!("Can't open or create append-only dir {dir}: {}", strerror(&e));
            self.persist.log(LogLevel::Warning, &text);
            self.persist.aof.last_bgrewrite_ok = false;
            return Err(CANT_REWRITE.into());
        }
        self.aof_flush_and_sync(now_ms);
        let filename = self.config.appendfilename();
        let status = self.persist.aof.status;
        if let Err(e) = self.aof_switch_incr(status) {
            self.persist.log(LogLevel::Warning, &e);
            self.persist.aof.last_bgrewrite_ok = false;
            return Err(CANT_REWRITE.into());
        }
        let mut next = self.persist.aof.manifest.clone();
        let rdb = self.preamble();
        let base_name = next.new_base(&filename, rdb);
        let mut incr_rename = None;
        match status {
            AofStatus::On => next.mark_rewritten_incrs_as_history(),
            AofStatus::WaitRewrite => {
                next.all_incrs_to_history();
                let final_name = next.new_incr(&filename);
                incr_rename = Some((self.aof_temp_incr_name(), final_name));
            }
            AofStatus::Off => next.all_incrs_to_history(),
        }
        self.persist.aof.rewrites += 1;
        let (opts, aux) = self.base_save_options();
        let job = SaveJob {
            path: self.aof_path(&base_name),
            format: self.aof_base_format(rdb),
            dir: self.aof_dir(),
            opts,
            aux,
            key_save_delay_us: self.config.num_value(index_of("rdb-key-save-delay")),
        };
        let keys_total = self.dbs.iter().map(|db| db.len() as u64).sum();
        let p = &mut self.persist;
        match p.saver.start(&self.dbs, job, p.disk.as_mut()) {
            Ok(id) => {
                p.latest_fork_usec = p.saver.last_start_us();
                p.total_forks += 1;
                p.current =
                    crate::persist::control::CurrentSave { keys_total, last_read_ms: now_ms, ..Default::default() };
                if p.saver.forks() {
                    p.avoid_writes = true;
                    self.dbs.iter_mut().for_each(|db| db.set_resize_avoided(true));
                }
                let p = &mut self.persist;
                p.log(LogLevel::Notice, &format!("Background append only file rewriting started by pid {id}"));
                p.aof.rewrite =
                    Some(RewriteChild { id, started_ms: now_ms, next_manifest: next, base_name, incr_rename });
                p.aof.rewrite_scheduled = false;
                Ok(())
            }
            Err(e) => {
                p.aof.last_bgrewrite_ok = false;
                p.log(LogLevel::Warning, &format!("Can't rewrite append only file in background: fork: {e}"));
                Err(CANT_REWRITE.into())
            }
        }
    }

    /// Points writes at the incr file a rewrite starts with (openNewIncrAofForAppend): with the
    /// AOF on, a new incr file recorded in the manifest before anything is written to it; while
    /// waiting for the first rewrite, the temporary incr file (truncated); with the AOF off,
    /// nothing. Err is the log line.
    fn aof_switch_incr(&mut self, status: AofStatus) -> Result<(), String> {
        let filename = self.config.appendfilename();
        let (name, next) = match status {
            AofStatus::Off => return Ok(()),
            AofStatus::On => {
                let mut next = self.persist.aof.manifest.clone();
                (next.new_incr(&filename), Some(next))
            }
            AofStatus::WaitRewrite => (self.aof_temp_incr_name(), None),
        };
        let path = self.aof_path(&name);
        let file = self
            .persist
            .disk
            .create(&path)
            .map_err(|e| format!("Can't open the append-only file {name}: {}", strerror(&e)))?;
        if let Some(next) = next {
            self.aof_write_manifest(&next)?;
            self.persist.aof.manifest = next;
        }
        self.persist.log(LogLevel::Notice, &format!("Creating AOF incr file {name} on background rewrite"));
        let aof = &mut self.persist.aof;
        aof.file = Some(file);
        aof.incr_size = 0;
        aof.incr_synced = 0;
        aof.selected_db = None;
        Ok(())
    }

    /// Reaps a finished background rewrite, or starts a scheduled one (from cron).
    pub fn aof_poll_rewrite(&mut self, now_ms: u64) {
        if self.persist.aof.rewrite.is_none() {
            if self.persist.aof.rewrite_scheduled && !self.rdb_child_running() && !self.aof_rewrite_limited(now_ms) {
                // On failure it stays scheduled and is tried again at the next cron, as Redis.
                let _ = self.aof_rewrite_start(now_ms);
            }
            return;
        }
        self.read_save_progress(now_ms);
        let p = &mut self.persist;
        let Some(outcome) = p.saver.poll(p.disk.as_mut()) else { return };
        let Some(child) = p.aof.rewrite.take() else { return };
        let result = match (outcome.ok, outcome.signal) {
            (true, _) => Ok(()),
            (false, Some(sig)) => {
                let _ = p.disk.remove(&outcome.temp_path);
                Err((format!("Background AOF rewrite terminated by signal {sig}"), sig != SIGUSR1))
            }
            (false, None) => {
                if let Some(e) = &outcome.error {
                    p.log(LogLevel::Warning, e);
                }
                Err(("Background AOF rewrite terminated with error".to_string(), true))
            }
        };
        self.aof_rewrite_done(child, result, now_ms);
    }

    /// Ends the child bookkeeping shared with BGSAVE (copy-on-write avoidance, progress).
    fn aof_child_gone(&mut self) {
        self.persist.current = Default::default();
        if self.persist.child.is_none() {
            self.persist.avoid_writes = false;
            self.dbs.iter_mut().for_each(|db| db.set_resize_avoided(false));
        }
    }

    /// Installs the new base (backgroundRewriteDoneHandler): renames the temporary incr file
    /// into place when the AOF was waiting for this rewrite, writes the new manifest, removes the
    /// history files, and turns a waiting AOF on. `result`'s Err carries the log line and
    /// whether it counts as a failure (a deliberate stop, SIGUSR1, does not).
    fn aof_rewrite_done(&mut self, child: RewriteChild, result: Result<(), (String, bool)>, now_ms: u64) {
        self.aof_child_gone();
        self.persist.aof.last_rewrite_time_s = (now_ms.saturating_sub(child.started_ms) / 1000) as i64;
        let installed = match result {
            Ok(()) => {
                self.persist.log(LogLevel::Notice, "Background AOF rewrite terminated with success");
                self.aof_install_rewrite(&child)
            }
            Err((line, counts)) => {
                self.persist.log(LogLevel::Warning, &line);
                Err(counts)
            }
        };
        match installed {
            Ok(()) => {
                let aof = &mut self.persist.aof;
                aof.last_bgrewrite_ok = true;
                aof.consecutive_failures = 0;
                self.persist.log(LogLevel::Notice, "Background AOF rewrite finished successfully");
                if self.persist.aof.status == AofStatus::WaitRewrite {
                    self.persist.aof.status = AofStatus::On;
                }
            }
            Err(counts) => {
                if counts {
                    self.persist.aof.last_bgrewrite_ok = false;
                    self.persist.aof.consecutive_failures += 1;
                }
                if self.persist.aof.status == AofStatus::WaitRewrite {
                    self.aof_abandon_wait_rewrite();
                }
            }
        }
    }

    /// A failed rewrite while the AOF waits for its first one: what was written meanwhile is
    /// dropped (it is in the dataset, which the next rewrite captures), and the rewrite is
    /// scheduled again.
    fn aof_abandon_wait_rewrite(&mut self) {
        let name = self.aof_temp_incr_name();
        self.persist.log(LogLevel::Notice, &format!("Removing the temp incr aof file {name} in the background"));
        let path = self.aof_path(&name);
        let _ = self.persist.disk.remove(&path);
        let aof = &mut self.persist.aof;
        aof.file = None;
        aof.buf.clear();
        aof.incr_size = 0;
        aof.incr_synced = 0;
        aof.rewrite_scheduled = true;
    }

    /// The file side of a successful rewrite. Err(true): it failed (logged).
    fn aof_install_rewrite(&mut self, child: &RewriteChild) -> Result<(), bool> {
        if let Some((temp, final_name)) = &child.incr_rename {
            let (from, to) = (self.aof_path(temp), self.aof_path(final_name));
            if let Err(e) = self.persist.disk.rename(&from, &to) {
                let line = format!(
                    "Error trying to rename the temporary AOF incr file {temp} into {final_name}: {}",
                    strerror(&e)
                );
                self.persist.log(LogLevel::Warning, &line);
                let base = self.aof_path(&child.base_name);
                let _ = self.persist.disk.remove(&base);
                return Err(true);
            }
            self.persist.log(
                LogLevel::Notice,
                &format!("Successfully renamed the temporary AOF incr file {temp} into {final_name}"),
            );
        }
        if let Err(e) = self.aof_write_manifest(&child.next_manifest) {
            self.persist.log(LogLevel::Warning, &e);
            let base = self.aof_path(&child.base_name);
            let _ = self.persist.disk.remove(&base);
            if let Some((_, final_name)) = &child.incr_rename {
                let incr = self.aof_path(final_name);
                let _ = self.persist.disk.remove(&incr);
            }
            return Err(true);
        }
        let base_size = self.aof_file_size(&child.base_name);
        self.persist.aof.manifest = child.next_manifest.clone();
        self.aof_delete_history();
        let aof = &mut self.persist.aof;
        if aof.status != AofStatus::Off {
            aof.base_size = base_size + aof.incr_size;
            aof.current_size = base_size + aof.incr_size;
        }
        Ok(())
    }

    /// Removes the history files the manifest lists and writes the manifest without them,
    /// unless `aof-disable-auto-gc` holds them back (aofDelHistoryFiles). The manifest that
    /// still names them is durable before they go, so a crash in between leaves files that
    /// are merely unused.
    pub fn aof_delete_history(&mut self) {
        if self.config.bool_value(index_of("aof-disable-auto-gc")) || self.persist.aof.manifest.history.is_empty() {
            return;
        }
        let history = std::mem::take(&mut self.persist.aof.manifest.history);
        for f in &history {
            self.persist.log(LogLevel::Notice, &format!("Removing the history file {} in the background", f.name));
            let path = self.aof_path(&f.name);
            let _ = self.persist.disk.remove(&path);
        }
        let manifest = self.persist.aof.manifest.clone();
        let _ = self.aof_write_manifest(&manifest);
    }

    fn aof_file_size(&mut self, name: &str) -> u64 {
        let path = self.aof_path(name);
        self.persist.disk.size(&path).unwrap_or(0)
    }

    /// True while automatic and scheduled rewrites are held back after repeated failures
    /// (aofRewriteLimited: after the third failure in a row, 1 minute, then 2, 4, ... up to 60).
    /// BGREWRITEAOF is never held back.
    fn aof_rewrite_limited(&mut self, now_ms: u64) -> bool {
        let aof = &mut self.persist.aof;
        if aof.consecutive_failures < REWRITE_LIMIT_THRESHOLD {
            aof.limit_delay_min = 0;
            aof.limit_until_ms = 0;
            return false;
        }
        if aof.limit_until_ms != 0 {
            if now_ms < aof.limit_until_ms {
                return true;
            }
            aof.limit_until_ms = 0;
            return false;
        }
        aof.limit_delay_min = if aof.limit_delay_min == 0 { 1 } else { aof.limit_delay_min * 2 };
        aof.limit_delay_min = aof.limit_delay_min.min(REWRITE_LIMIT_MAX_MINUTES);
        aof.limit_until_ms = now_ms + aof.limit_delay_min * 60_000;
        let minutes = aof.limit_delay_min;
        self.persist.log(
            LogLevel::Warning,
            &format!(
                "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {minutes} minutes"
            ),
        );
        true
    }

    /// Starts a rewrite when the AOF grew past `auto-aof-rewrite-percentage` of its size after
    /// the last rewrite, and past `auto-aof-rewrite-min-size`.
    pub fn aof_auto_rewrite(&mut self, now_ms: u64) {
        let aof = &self.persist.aof;
        if aof.status != AofStatus::On || aof.rewrite.is_some() || self.rdb_child_running() {
            return;
        }
        let perc = self.config.num_value(index_of("auto-aof-rewrite-percentage"));
        let min_size = self.config.num_value(index_of("auto-aof-rewrite-min-size")).max(0) as u64;
        if perc <= 0 || aof.current_size <= min_size {
            return;
        }
        let base = aof.base_size.max(1);
        let growth = (aof.current_size * 100 / base).saturating_sub(100);
        if growth >= perc as u64 && !self.aof_rewrite_limited(now_ms) {
            self.persist.log(LogLevel::Notice, &format!("Starting automatic rewriting of AOF on {growth}% growth"));
            let _ = self.aof_rewrite_start(now_ms);
        }
    }

    /// CONFIG SET appendonly yes (startAppendOnly): the AOF waits for a rewrite, started now in
    /// the background (or scheduled while another child runs or inside EXEC); it is on once that
    /// rewrite has installed its base and the incr file of the writes made meanwhile. Err when
    /// the rewrite cannot start (the AOF stays off; details logged).
    pub fn aof_start(&mut self, now_ms: u64) -> Result<(), String> {
        if self.aof_on() {
            return Ok(());
        }
        self.now_ms = self.now_ms.max(now_ms);
        if self.persist.aof.manifest.is_empty() {
            // Started without the AOF: continue the numbering of the files on disk, if any.
            if let Ok(manifest) = self.aof_read_manifest() {
                self.persist.aof.manifest = manifest;
            }
        }
        let aof = &mut self.persist.aof;
        aof.status = AofStatus::WaitRewrite;
        aof.buf.clear();
        aof.selected_db = None;
        self.take_propagated();
        self.prop.enabled = true;
        if self.rdb_child_running() {
            self.persist.aof.rewrite_scheduled = true;
            self.persist.log(LogLevel::Warning, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else if self.persist.in_exec {
            self.persist.aof.rewrite_scheduled = true;
            self.persist.log(
                LogLevel::Warning,
                "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.",
            );
        } else {
            if self.persist.aof.rewrite.is_some() {
                // A rewrite started with the AOF off does not produce the incr file this needs.
                self.persist.log(LogLevel::Warning, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.aof_kill_rewrite_child();
            }
            if let Err(e) = self.aof_rewrite_start(now_ms) {
                self.persist.aof.status = AofStatus::Off;
                self.prop.enabled = self.repl.backlog.is_some();
                self.persist.log(LogLevel::Warning, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                return Err(e);
            }
        }
        self.persist.aof.last_fsync_ms = now_ms;
        let aof = &mut self.persist.aof;
        if aof.last_write.is_err() || aof.last_fsync.is_err() {
            aof.last_write = Ok(());
            aof.last_fsync = Ok(());
            self.persist.log(LogLevel::Warning, "AOF reopen, just ignore the last error.");
        }
        Ok(())
    }

    /// Stops a running rewrite child and waits for it (killAppendOnlyChild): its temporary
    /// file is removed; nothing is recorded as a failure.
    fn aof_kill_rewrite_child(&mut self) {
        let Some(child) = self.persist.aof.rewrite.take() else { return };
        self.persist.log(LogLevel::Notice, &format!("Killing running AOF rewrite child: {}", child.id));
        let p = &mut self.persist;
        p.saver.kill();
        // The child ends promptly once told; bounded wait.
        for _ in 0..5000 {
            if let Some(outcome) = p.saver.poll(p.disk.as_mut()) {
                let _ = p.disk.remove(&outcome.temp_path);
                break;
            }
            if !p.saver.forks() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        self.aof_child_gone();
    }

    /// Stops a running rewrite and waits for it (shutdown).
    pub fn aof_kill_rewrite_now(&mut self) {
        if self.persist.aof.rewrite.is_none() {
            return;
        }
        self.persist.log(LogLevel::Warning, "There is a child rewriting the AOF. Killing it!");
        self.aof_kill_rewrite_child();
    }

    /// CONFIG SET appendonly no (stopAppendOnly): flush, sync, close; a running rewrite is
    /// stopped and a scheduled one dropped.
    pub fn aof_stop(&mut self, now_ms: u64) {
        if !self.aof_on() {
            return;
        }
        self.aof_flush_and_sync(now_ms);
        let aof = &mut self.persist.aof;
        aof.file = None;
        aof.status = AofStatus::Off;
        aof.buf.clear();
        aof.selected_db = None;
        aof.rewrite_scheduled = false;
        aof.incr_size = 0;
        aof.incr_synced = 0;
        aof.flush_postponed_ms = 0;
        // Replicas still need the stream once a backlog exists.
        self.prop.enabled = self.repl.backlog.is_some();
        self.take_propagated();
        self.aof_kill_rewrite_child();
    }
}
