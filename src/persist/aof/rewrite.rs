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
use crate::persist::snapshot::{self, SaveJob};
use std::io::Write;

/// Items per command when a base is written as commands (AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;
/// Automatic rewrites wait this long after a failed one.
const AUTO_REWRITE_RETRY_MS: u64 = 60_000;

/// The keyspace as commands (rewriteAppendOnlyFileRio): SELECT, then per key the command that
/// recreates it and PEXPIREAT for its expiry.
pub fn keyspace_as_commands(dbs: &[Db], out: &mut Vec<u8>) {
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        encode_command(out, &[b"SELECT".to_vec(), i.to_string().into_bytes()]);
        for (key, entry) in db.iter() {
            value_as_commands(key, &entry.value, out);
            if let Some(at_ms) = entry.expire_at_ms {
                encode_command(out, &[b"PEXPIREAT".to_vec(), key.clone(), at_ms.to_string().into_bytes()]);
            }
        }
    }
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
        Value::List(l) => batched(out, b"RPUSH", key, l.iter().cloned().collect(), 1),
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

/// Writes a base file at `path` through a temporary file (rewriteAppendOnlyFile): an RDB marked
/// as an AOF base, or commands. Returns its size.
pub fn write_base(
    disk: &mut dyn Disk,
    dbs: &[Db],
    engine_opts: (crate::persist::rdb::encode::SaveOptions, AuxInfo),
    rdb: bool,
    temp: &str,
    path: &str,
) -> Result<u64, String> {
    if rdb {
        let (opts, aux) = engine_opts;
        return snapshot::write_rdb_file(disk, dbs, opts, &aux, temp, path, || {}).map_err(|e| e.to_string());
    }
    let mut text = Vec::new();
    keyspace_as_commands(dbs, &mut text);
    let mut file = disk.create(temp).map_err(|e| format!("Opening the temp file for AOF rewrite: {}", strerror(&e)))?;
    let written = file.write_all(&text).and_then(|_| file.sync());
    if let Err(e) = written {
        let _ = disk.remove(temp);
        return Err(format!("Write error writing append only file on disk: {}", strerror(&e)));
    }
    drop(file);
    disk.rename(temp, path).map_err(|e| {
        let _ = disk.remove(temp);
        format!("Error moving temp append only file on the final destination: {}", strerror(&e))
    })?;
    Ok(text.len() as u64)
}

impl Engine {
    fn base_save_options(&self) -> (crate::persist::rdb::encode::SaveOptions, AuxInfo) {
        let aux = AuxInfo {
            redis_ver: crate::cmd::connection::REDIS_VERSION.to_string(),
            ctime_s: self.now_ms / 1000,
            used_mem: self.process.rss_bytes,
            aof_base: true,
            functions: self.function_codes(),
        };
        (self.save_options(), aux)
    }

    fn preamble(&self) -> bool {
        self.config.bool_value(index_of("aof-use-rdb-preamble"))
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
            write_base(self.persist.disk.as_mut(), &self.dbs, opts, rdb, &temp, &path)?;
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
        let verb = if had_incr { "Opening" } else { "Creating" };
        self.persist.log(LogLevel::Notice, &format!("{verb} AOF incr file {incr_name} on server start"));
        self.aof_mark_on();
        Ok(())
    }

    /// Writes out everything buffered and syncs it (before a switch of files or a shutdown).
    pub fn aof_flush_and_sync(&mut self, now_ms: u64) {
        self.aof_flush(now_ms);
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

    /// Starts a rewrite (rewriteAppendOnlyFileBackground). Ok(true) when started, Ok(false)
    /// when scheduled for later (another child runs), Err with the reply's text otherwise.
    pub fn aof_rewrite_background(&mut self, now_ms: u64) -> Result<bool, String> {
        if self.persist.aof.rewrite.is_some() {
            return Err("Background append only file rewriting already in progress".into());
        }
        if self.rdb_child_running() {
            self.persist.aof.rewrite_scheduled = true;
            return Ok(false);
        }
        self.now_ms = self.now_ms.max(now_ms);
        let dir = self.aof_dir();
        if let Err(e) = self.persist.disk.create_dir(&dir) {
            let text = format!("Can't open or create append-only dir {dir}: {}", strerror(&e));
            self.persist.log(LogLevel::Warning, &text);
            return Err(
                "Can't execute an AOF background rewriting. Please check the server logs for more information.".into(),
            );
        }
        self.aof_flush_and_sync(now_ms);
        // Writes from now on go to a new incr file, recorded in the manifest before anything is
        // written to it.
        let filename = self.config.appendfilename();
        if self.aof_on() {
            let mut next = self.persist.aof.manifest.clone();
            let name = next.new_incr(&filename);
            let path = self.aof_path(&name);
            let file = self.persist.disk.create(&path).map_err(|e| {
                let text = format!("Can't open the append-only file {name}: {}", strerror(&e));
                self.persist.log(LogLevel::Warning, &text);
                text
            })?;
            if let Err(e) = self.aof_write_manifest(&next) {
                self.persist.log(LogLevel::Warning, &e);
                return Err(e);
            }
            self.persist.log(LogLevel::Notice, &format!("Creating AOF incr file {name} on background rewrite"));
            let aof = &mut self.persist.aof;
            aof.manifest = next;
            aof.file = Some(file);
            aof.incr_size = 0;
            aof.incr_synced = 0;
            aof.selected_db = None;
        }
        let mut next = self.persist.aof.manifest.clone();
        let rdb = self.preamble();
        let base_name = next.new_base(&filename, rdb);
        if self.aof_on() {
            next.mark_rewritten_incrs_as_history();
        } else {
            next.all_incrs_to_history();
        }
        self.persist.aof.rewrites += 1;
        if !rdb {
            // A base of commands is written in the foreground (the background saver writes RDB).
            let path = self.aof_path(&base_name);
            let temp = self.aof_path(&format!("temp-rewriteaof-{}.aof", self.process.pid));
            let opts = self.base_save_options();
            let result = write_base(self.persist.disk.as_mut(), &self.dbs, opts, false, &temp, &path);
            let child = RewriteChild { id: 0, started_ms: now_ms, next_manifest: next, base_name };
            self.aof_rewrite_done(child, result.map(|_| ()), now_ms);
            return Ok(true);
        }
        let (opts, aux) = self.base_save_options();
        let job = SaveJob {
            path: self.aof_path(&base_name),
            dir: self.aof_dir(),
            opts,
            aux,
            key_save_delay_us: self.config.num_value(index_of("rdb-key-save-delay")),
        };
        let p = &mut self.persist;
        match p.saver.start(&self.dbs, job, p.disk.as_mut()) {
            Ok(id) => {
                p.latest_fork_usec = p.saver.last_start_us();
                p.total_forks += 1;
                p.log(LogLevel::Notice, &format!("Background append only file rewriting started by pid {id}"));
                p.aof.rewrite = Some(RewriteChild { id, started_ms: now_ms, next_manifest: next, base_name });
                Ok(true)
            }
            Err(e) => {
                p.aof.last_bgrewrite_ok = false;
                p.log(LogLevel::Warning, &format!("Can't rewrite append only file in background: fork: {e}"));
                Err("Can't execute an AOF background rewriting. Please check the server logs for more information."
                    .into())
            }
        }
    }

    /// Reaps a finished background rewrite (from cron).
    pub fn aof_poll_rewrite(&mut self, now_ms: u64) {
        if self.persist.aof.rewrite.is_none() {
            if self.persist.aof.rewrite_scheduled && !self.rdb_child_running() {
                self.persist.aof.rewrite_scheduled = false;
                let _ = self.aof_rewrite_background(now_ms);
            }
            return;
        }
        let p = &mut self.persist;
        let Some(outcome) = p.saver.poll(p.disk.as_mut()) else { return };
        let Some(child) = p.aof.rewrite.take() else { return };
        let result = match (outcome.ok, outcome.signal) {
            (true, _) => Ok(()),
            (false, Some(sig)) => {
                let _ = p.disk.remove(&outcome.temp_path);
                Err(format!("Background AOF rewrite terminated by signal {sig}"))
            }
            (false, None) => {
                Err(outcome.error.unwrap_or_else(|| "Background AOF rewrite terminated with error".into()))
            }
        };
        self.aof_rewrite_done(child, result, now_ms);
    }

    /// Installs the new base (backgroundRewriteDoneHandler): the new manifest, then removes the
    /// history files.
    fn aof_rewrite_done(&mut self, child: RewriteChild, result: Result<(), String>, now_ms: u64) {
        self.persist.aof.last_rewrite_time_s = (now_ms.saturating_sub(child.started_ms) / 1000) as i64;
        if let Err(e) = result {
            self.persist.log(LogLevel::Warning, &e);
            self.persist.aof.last_bgrewrite_ok = false;
            self.persist.aof.last_rewrite_fail_ms = now_ms;
            return;
        }
        self.persist.log(LogLevel::Notice, "Background AOF rewrite terminated with success");
        if let Err(e) = self.aof_write_manifest(&child.next_manifest) {
            self.persist.log(LogLevel::Warning, &e);
            self.persist.aof.last_bgrewrite_ok = false;
            self.persist.aof.last_rewrite_fail_ms = now_ms;
            return;
        }
        let base_size = self.aof_file_size(&child.base_name);
        let mut manifest = child.next_manifest;
        // The history files are no longer needed once the manifest without them is durable.
        let history: Vec<_> = std::mem::take(&mut manifest.history);
        if !self.config.bool_value(index_of("aof-disable-auto-gc")) {
            for f in &history {
                self.persist.log(LogLevel::Notice, &format!("Removing the history file {} in the background", f.name));
                let path = self.aof_path(&f.name);
                let _ = self.persist.disk.remove(&path);
            }
            let _ = self.aof_write_manifest(&manifest);
        } else {
            manifest.history = history;
        }
        let aof = &mut self.persist.aof;
        aof.manifest = manifest;
        aof.base_size = base_size + aof.incr_size;
        aof.current_size = base_size + aof.incr_size;
        aof.last_bgrewrite_ok = true;
        if aof.status == AofStatus::WaitRewrite {
            aof.status = AofStatus::On;
        }
        self.persist.log(LogLevel::Notice, "Background AOF rewrite finished successfully");
    }

    fn aof_file_size(&mut self, name: &str) -> u64 {
        let path = self.aof_path(name);
        self.persist.disk.size(&path).unwrap_or(0)
    }

    /// Starts a rewrite when the AOF grew past `auto-aof-rewrite-percentage` of its size after
    /// the last rewrite, and past `auto-aof-rewrite-min-size`.
    pub fn aof_auto_rewrite(&mut self, now_ms: u64) {
        let aof = &self.persist.aof;
        if aof.status != AofStatus::On || aof.rewrite.is_some() || self.rdb_child_running() {
            return;
        }
        if !aof.last_bgrewrite_ok && now_ms.saturating_sub(aof.last_rewrite_fail_ms) < AUTO_REWRITE_RETRY_MS {
            return;
        }
        let perc = self.config.num_value(index_of("auto-aof-rewrite-percentage"));
        let min_size = self.config.num_value(index_of("auto-aof-rewrite-min-size")).max(0) as u64;
        if perc <= 0 || aof.current_size <= min_size {
            return;
        }
        let base = aof.base_size.max(1);
        let growth = (aof.current_size * 100 / base).saturating_sub(100);
        if growth >= perc as u64 {
            self.persist.log(LogLevel::Notice, &format!("Starting automatic rewriting of AOF on {growth}% growth"));
            let _ = self.aof_rewrite_background(now_ms);
        }
    }

    /// CONFIG SET appendonly yes (startAppendOnly): the AOF is turned on with a base written
    /// from the current dataset. verdis writes that base in the foreground, so the AOF is on
    /// (and complete) when CONFIG SET replies.
    pub fn aof_start(&mut self, now_ms: u64) -> Result<(), String> {
        if self.aof_on() {
            return Ok(());
        }
        self.now_ms = self.now_ms.max(now_ms);
        if self.persist.aof.rewrite.is_some() {
            return Err("AOF was enabled while a rewrite was in progress".into());
        }
        let dir = self.aof_dir();
        self.persist.disk.create_dir(&dir).map_err(|e| format!("Can't create the AOF dir: {}", strerror(&e)))?;
        let mut manifest = self.aof_read_manifest().unwrap_or_default();
        let filename = self.config.appendfilename();
        let rdb = self.preamble();
        let base_name = manifest.new_base(&filename, rdb);
        manifest.all_incrs_to_history();
        let incr_name = manifest.new_incr(&filename);
        let path = self.aof_path(&base_name);
        let temp = self.aof_path(&format!("temp-rewriteaof-{}.aof", self.process.pid));
        let opts = self.base_save_options();
        let base_size = write_base(self.persist.disk.as_mut(), &self.dbs, opts, rdb, &temp, &path)?;
        let incr_path = self.aof_path(&incr_name);
        let file = self.persist.disk.create(&incr_path).map_err(|e| strerror(&e))?;
        let history: Vec<_> = std::mem::take(&mut manifest.history);
        self.aof_write_manifest(&manifest)?;
        for f in &history {
            let p = self.aof_path(&f.name);
            let _ = self.persist.disk.remove(&p);
        }
        self.persist.aof.rewrites += 1;
        let aof = &mut self.persist.aof;
        aof.manifest = manifest;
        aof.file = Some(file);
        aof.incr_size = 0;
        aof.incr_synced = 0;
        aof.selected_db = None;
        aof.base_size = base_size;
        aof.current_size = base_size;
        aof.buf.clear();
        self.take_propagated();
        self.aof_mark_on();
        self.persist.log(LogLevel::Notice, "AOF rewrite during CONFIG SET appendonly yes finished: AOF is on.");
        Ok(())
    }

    /// Stops a running rewrite and waits for it (shutdown): its temporary file is removed.
    pub fn aof_kill_rewrite_now(&mut self) {
        if self.persist.aof.rewrite.take().is_none() {
            return;
        }
        self.persist.log(LogLevel::Warning, "There is a child rewriting the AOF. Killing it!");
        let p = &mut self.persist;
        p.saver.kill();
        // The child ends promptly once told; bounded wait.
        for _ in 0..2000 {
            if let Some(outcome) = p.saver.poll(p.disk.as_mut()) {
                let _ = p.disk.remove(&outcome.temp_path);
                break;
            }
            if !p.saver.forks() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// CONFIG SET appendonly no (stopAppendOnly): flush, sync, close.
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
        // Replicas still need the stream once a backlog exists.
        self.prop.enabled = self.repl.backlog.is_some();
        self.take_propagated();
        if self.persist.aof.rewrite.is_some() {
            self.persist.saver.kill();
            self.persist.log(LogLevel::Notice, "Killing running AOF rewrite child");
        }
    }
}
