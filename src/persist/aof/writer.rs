//! Writing the AOF (Redis's feedAppendOnlyFile and flushAppendOnlyFile): propagated commands are
//! encoded into the buffer, the buffer is written to the incr file before replies go out, and
//! synced as `appendfsync` says: `always` before the replies (one fsync for every command of the
//! event-loop turn: group commit), `everysec` in the background about once a second, `no` never.

use super::AofStatus;
use crate::engine::config::{index_of, strerror, AppendFsync, LogLevel};
use crate::engine::Engine;

/// How long a write may wait behind a running background fsync (`everysec`) before it goes
/// ahead anyway (Redis's two seconds).
pub const FLUSH_POSTPONE_MAX_MS: u64 = 2000;

/// Appends `argv` as a RESP array (catAppendOnlyGenericCommand).
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    out.push(b'*');
    out.extend_from_slice(argv.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        let arg = arg.as_ref();
        out.push(b'$');
        out.extend_from_slice(arg.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

impl Engine {
    /// Moves what commands propagated into the AOF buffer (feedAppendOnlyFile), adding SELECT
    /// when the database changes and timestamp annotations when `aof-timestamp-enabled`.
    pub fn aof_feed(&mut self) {
        if !self.prop.has_output() {
            return;
        }
        let ops = self.take_propagated();
        let aof = &self.persist.aof;
        // While the AOF waits for its first rewrite, only writes made after that rewrite's
        // snapshot belong in the file (Redis buffers only while the AOF child runs): earlier
        // ones are in the dataset the rewrite will capture.
        if aof.status == AofStatus::Off || (aof.status == AofStatus::WaitRewrite && aof.rewrite.is_none()) {
            return;
        }
        let stamps = self.config.bool_value(index_of("aof-timestamp-enabled"));
        let now_s = self.now_ms / 1000;
        let aof = &mut self.persist.aof;
        for (db, argv) in ops {
            // PUBLISH and SPUBLISH propagate to replicas only (Redis's PROPAGATE_REPL target).
            if argv.first().is_some_and(|n| n.eq_ignore_ascii_case(b"publish") || n.eq_ignore_ascii_case(b"spublish")) {
                continue;
            }
            if stamps && now_s > aof.last_annotation_s {
                aof.buf.extend_from_slice(format!("#TS:{now_s}\r\n").as_bytes());
                aof.last_annotation_s = now_s;
            }
            if aof.selected_db != Some(db) {
                encode_command(&mut aof.buf, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
                aof.selected_db = Some(db);
            }
            encode_command(&mut aof.buf, &argv);
        }
    }

    /// True when replies must wait for the AOF: commands propagated or buffered but not written
    /// (unless the write is postponed behind a running background fsync: then, as in Redis, the
    /// replies do not wait for it), or (with `always`) written but not synced.
    pub fn aof_pending(&self) -> bool {
        let aof = &self.persist.aof;
        aof.status != AofStatus::Off
            && (self.prop.has_output()
                || (!aof.buf.is_empty() && aof.flush_postponed_ms == 0)
                || (self.config.appendfsync() == AppendFsync::Always && aof.incr_synced < aof.incr_size))
    }

    /// Writes the buffer to the incr file and syncs per `appendfsync` (flushAppendOnlyFile).
    /// With `everysec`, while the background fsync runs the write is postponed (up to
    /// `FLUSH_POSTPONE_MAX_MS`): on Linux a write(2) to a file being fsynced can block until the
    /// fsync ends, which would stall the event loop. Returns false when `appendfsync always`
    /// could not make the data durable: Redis exits then, since acknowledged writes could be
    /// lost.
    pub fn aof_flush(&mut self, now_ms: u64) -> bool {
        self.aof_flush_with(now_ms, false)
    }

    /// `aof_flush` that writes even behind a running background fsync (flushAppendOnlyFile(1)):
    /// before a switch of files, a shutdown, or turning the AOF off.
    pub fn aof_flush_forced(&mut self, now_ms: u64) -> bool {
        self.aof_flush_with(now_ms, true)
    }

    fn aof_flush_with(&mut self, now_ms: u64, force: bool) -> bool {
        self.now_ms = self.now_ms.max(now_ms);
        self.aof_feed();
        self.aof_collect_bg_fsync();
        if self.persist.aof.status == AofStatus::Off || self.persist.aof.file.is_none() {
            return true;
        }
        let policy = self.config.appendfsync();
        if !self.persist.aof.buf.is_empty() {
            if policy == AppendFsync::Everysec && !force && self.aof_postpone_write(now_ms) {
                return true;
            }
            self.persist.aof.flush_postponed_ms = 0;
            if !self.aof_write_buf() {
                return policy != AppendFsync::Always;
            }
        }
        match policy {
            AppendFsync::Always => self.aof_sync_now(),
            AppendFsync::Everysec => {
                if now_ms.saturating_sub(self.persist.aof.last_fsync_ms) >= 1000 {
                    self.aof_sync_background(now_ms);
                }
                true
            }
            AppendFsync::No => true,
        }
    }

    /// True when the write should wait for the running background fsync: for at most
    /// `FLUSH_POSTPONE_MAX_MS`, after which it goes ahead (counted in aof_delayed_fsync).
    fn aof_postpone_write(&mut self, now_ms: u64) -> bool {
        let aof = &mut self.persist.aof;
        if !aof.bg.as_ref().is_some_and(|bg| bg.busy()) {
            return false;
        }
        if aof.flush_postponed_ms == 0 {
            aof.flush_postponed_ms = now_ms.max(1);
            return true;
        }
        if now_ms.saturating_sub(aof.flush_postponed_ms) < FLUSH_POSTPONE_MAX_MS {
            return true;
        }
        aof.delayed_fsync += 1;
        self.persist.log(LogLevel::Notice, "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        false
    }

    /// Writes the whole buffer; on failure records the error and keeps what was not written.
    fn aof_write_buf(&mut self) -> bool {
        let aof = &mut self.persist.aof;
        let Some(file) = aof.file.as_mut() else { return false };
        let mut written = 0usize;
        let mut error = None;
        // Each turn writes at least one byte or stops.
        while written < aof.buf.len() {
            match file.write(&aof.buf[written..]) {
                Ok(0) => {
                    error = Some("No space left on device".to_string());
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(strerror(&e));
                    break;
                }
            }
        }
        // What reached the file stays there (Redis trims it when it can; the loader's
        // aof-load-truncated handles a partial command at the end after a crash).
        aof.buf.drain(..written);
        aof.incr_size += written as u64;
        aof.current_size += written as u64;
        match error {
            None => {
                if aof.last_write.is_err() {
                    self.persist.log(LogLevel::Warning, "AOF write error looks solved, Redis can write again.");
                }
                self.persist.aof.last_write = Ok(());
                true
            }
            Some(e) => {
                let line = if written > 0 {
                    format!(
                        "Short write while writing to the AOF file: (nwritten={written}, expected={})",
                        written + self.persist.aof.buf.len()
                    )
                } else {
                    format!("Error writing to the AOF file: {e}")
                };
                self.persist.log(LogLevel::Warning, &line);
                self.persist.aof.last_write = Err(e);
                false
            }
        }
    }

    /// Syncs the incr file in the foreground.
    fn aof_sync_now(&mut self) -> bool {
        let aof = &mut self.persist.aof;
        if aof.incr_synced >= aof.incr_size {
            return true;
        }
        let Some(file) = aof.file.as_mut() else { return false };
        let target = aof.incr_size;
        match file.sync() {
            Ok(()) => {
                aof.incr_synced = target;
                aof.last_fsync = Ok(());
                aof.last_fsync_ms = self.now_ms;
                true
            }
            Err(e) => {
                let text = strerror(&e);
                aof.last_fsync = Err(text.clone());
                self.persist.log(
                    LogLevel::Warning,
                    &format!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {text}. Exiting..."
                    ),
                );
                false
            }
        }
    }

    /// Starts a background sync (everysec), or syncs inline when there is no thread.
    fn aof_sync_background(&mut self, now_ms: u64) {
        let aof = &mut self.persist.aof;
        if aof.incr_synced >= aof.incr_size {
            return;
        }
        let target = aof.incr_size;
        let Some(bg) = aof.bg.as_ref() else {
            if let Some(file) = aof.file.as_mut() {
                match file.sync() {
                    Ok(()) => {
                        aof.incr_synced = target;
                        aof.last_fsync = Ok(());
                    }
                    Err(e) => aof.last_fsync = Err(strerror(&e)),
                }
            }
            aof.last_fsync_ms = now_ms;
            return;
        };
        if bg.busy() {
            // Tried again at the next flush (Redis counts a delay only when a write had to go
            // ahead of the fsync, above).
            return;
        }
        if let Some(handle) = aof.file.as_ref().and_then(|f| f.sync_handle()) {
            if bg.submit(handle, target) {
                aof.last_fsync_ms = now_ms;
            }
        }
    }

    /// Picks up the outcome of a finished background sync.
    fn aof_collect_bg_fsync(&mut self) {
        let aof = &mut self.persist.aof;
        let Some((offset, result)) = aof.bg.as_ref().and_then(|bg| bg.take_done()) else { return };
        match result {
            Ok(()) => {
                aof.incr_synced = aof.incr_synced.max(offset.min(aof.incr_size));
                aof.last_fsync = Ok(());
            }
            Err(e) => {
                self.persist.log(LogLevel::Warning, &format!("Error syncing the AOF file in the background: {e}"));
                self.persist.aof.last_fsync = Err(e);
            }
        }
    }

    /// AOF work of serverCron: flush (everysec fsync, retry after a failed write), and start an
    /// automatic rewrite when the file grew past the configured limits.
    pub fn aof_cron(&mut self, now_ms: u64) {
        // A rewrite may run with the AOF off (BGREWRITEAOF), and must be reaped then too.
        self.aof_poll_rewrite(now_ms);
        if self.persist.aof.status == AofStatus::Off {
            return;
        }
        self.aof_flush(now_ms);
        self.aof_auto_rewrite(now_ms);
    }
}
