//! The append-only file, as Redis 7.0's multi-part AOF: a directory (`appenddirname`) holding a
//! base file (an RDB with `aof-base` set, or commands), incremental files of commands in RESP, and
//! a manifest naming them (`manifest`). Commands come from the engine's propagation feed
//! (`Engine::take_propagated`), are encoded into `buf` (with SELECT when the database changes),
//! written before replies go out and synced as `appendfsync` says (`writer`). `load` replays the
//! files at start-up, `rewrite` writes a new base on the snapshot mechanism, `fsync` is the
//! background fsync thread of `everysec`.
//!
//! All file access goes through the `Disk` trait, so the crash tests run the same code against
//! the simulated disk.

pub mod check;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod rewrite;
pub mod writer;

use super::disk::DiskFile;
use manifest::Manifest;

/// Redis's aof_state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofStatus {
    Off,
    On,
    /// Turned on at runtime; on once the first rewrite completes.
    WaitRewrite,
}

/// A rewrite running in the background.
#[derive(Clone, Debug)]
pub struct RewriteChild {
    pub id: u32,
    pub started_ms: u64,
    /// The manifest to install when it succeeds (new base; older incr files as history).
    pub next_manifest: Manifest,
    pub base_name: String,
    /// While the AOF waits for its first rewrite (CONFIG SET appendonly yes), writes go to a
    /// temporary incr file; when the rewrite succeeds it is renamed to this (temporary, final)
    /// name, which `next_manifest` lists.
    pub incr_rename: Option<(String, String)>,
}

/// The last outcome of a write or fsync to the AOF: what MISCONF-style write denial (and INFO)
/// needs. `Err` holds the error text (strerror).
pub type IoStatus = Result<(), String>;

/// AOF state kept in the engine's persistence state.
pub struct AofState {
    pub status: AofStatus,
    pub manifest: Manifest,
    /// The incr file being appended to.
    pub(crate) file: Option<Box<dyn DiskFile>>,
    /// Encoded commands not yet written (Redis's aof_buf).
    pub buf: Vec<u8>,
    /// The database the file's last SELECT chose (None: a SELECT is due before the next command).
    pub selected_db: Option<usize>,
    /// Bytes of base + incr files (aof_current_size).
    pub current_size: u64,
    /// The size after the last rewrite (aof_rewrite_base_size).
    pub base_size: u64,
    /// Bytes written to the current incr file.
    pub incr_size: u64,
    /// Bytes of the current incr file known to be on disk.
    pub incr_synced: u64,
    /// The last write to the AOF (aof_last_write_status).
    pub last_write: IoStatus,
    /// The last fsync of the AOF (an fsync error is reported as a write error by Redis too).
    pub last_fsync: IoStatus,
    /// When the last fsync started, in ms.
    pub last_fsync_ms: u64,
    /// Fsyncs postponed because the previous background one was still running.
    pub delayed_fsync: u64,
    pub rewrite: Option<RewriteChild>,
    pub rewrite_scheduled: bool,
    pub last_bgrewrite_ok: bool,
    /// Rewrites that failed in a row (INFO's aof_rewrites_consecutive_failures).
    pub consecutive_failures: u64,
    /// After repeated failures, automatic and scheduled rewrites wait until this time (ms; 0:
    /// no wait) and the wait doubles each time (minutes): Redis's aofRewriteLimited.
    pub limit_until_ms: u64,
    pub limit_delay_min: u64,
    pub last_rewrite_time_s: i64,
    /// Rewrites started (INFO's aof_rewrites).
    pub rewrites: u64,
    /// Commands are being replayed from the AOF: keys do not expire meanwhile (as Redis while
    /// loading), so the replay reproduces the writes exactly.
    pub replaying: bool,
    /// The background fsync thread (`everysec` in the server); None syncs inline.
    pub bg: Option<fsync::BgFsync>,
    /// Second of the last timestamp annotation written.
    pub last_annotation_s: u64,
    /// The write of `buf` was postponed because a background fsync was running (everysec, as
    /// Redis's aof_flush_postponed_start): when, in ms; 0 when not postponed.
    pub flush_postponed_ms: u64,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            status: AofStatus::Off,
            manifest: Manifest::default(),
            file: None,
            buf: Vec::new(),
            selected_db: None,
            current_size: 0,
            base_size: 0,
            incr_size: 0,
            incr_synced: 0,
            last_write: Ok(()),
            last_fsync: Ok(()),
            last_fsync_ms: 0,
            delayed_fsync: 0,
            rewrite: None,
            rewrite_scheduled: false,
            last_bgrewrite_ok: true,
            consecutive_failures: 0,
            limit_until_ms: 0,
            limit_delay_min: 0,
            last_rewrite_time_s: -1,
            rewrites: 0,
            replaying: false,
            bg: None,
            last_annotation_s: 0,
            flush_postponed_ms: 0,
        }
    }
}

impl AofState {
    /// True when the last write and fsync succeeded: what write denial (issue 8) checks.
    pub fn healthy(&self) -> bool {
        self.last_write.is_ok() && self.last_fsync.is_ok()
    }

    /// Redis's aof_last_write_status text.
    pub fn last_write_status(&self) -> &'static str {
        if self.healthy() {
            "ok"
        } else {
            "err"
        }
    }
}

impl crate::engine::Engine {
    /// `dir`/`appenddirname`.
    pub fn aof_dir(&self) -> String {
        super::snapshot::join(self.config.dir(), &self.config.appenddirname())
    }

    /// A file in the AOF directory.
    pub fn aof_path(&self, name: &str) -> String {
        super::snapshot::join(&self.aof_dir(), name)
    }

    /// The manifest's path.
    pub fn aof_manifest_path(&self) -> String {
        self.aof_path(&format!("{}.manifest", self.config.appendfilename()))
    }

    /// True when the AOF is on (or waiting for its first rewrite).
    pub fn aof_on(&self) -> bool {
        self.persist.aof.status != AofStatus::Off
    }

    /// The error of the last failed AOF write or fsync while the AOF is on (the text after
    /// Redis's `-MISCONF Errors writing to the AOF file: `), None when writes may be accepted.
    /// For write denial (Redis's writeCommandsDeniedByDiskError).
    pub fn aof_write_error(&self) -> Option<&str> {
        if !self.aof_on() {
            return None;
        }
        let aof = &self.persist.aof;
        aof.last_write.as_ref().err().or(aof.last_fsync.as_ref().err()).map(String::as_str)
    }
}

/// A canonical description of the keyspace (sorted keys; members in an order that does not depend
/// on hash-table history), to compare the state before a crash with the state after reloading.
pub fn keyspace_fingerprint(dbs: &[crate::engine::db::Db]) -> Vec<String> {
    use crate::engine::value::Value;
    let mut out = Vec::new();
    for (i, db) in dbs.iter().enumerate() {
        for (key, entry) in db.iter() {
            let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let value = match &entry.value {
                Value::Str(s) => format!("string:{}", show(&s.as_bytes())),
                Value::List(l) => format!("list:{:?}", l.iter().map(|x| show(x)).collect::<Vec<_>>()),
                Value::Set(s) => {
                    let mut m: Vec<String> = s.members().iter().map(|x| show(x)).collect();
                    m.sort();
                    format!("set:{m:?}")
                }
                Value::ZSet(z) => format!("zset:{:?}", z.iter().map(|(sc, m)| (sc, show(m))).collect::<Vec<_>>()),
                Value::Hash(h) => {
                    let mut m: Vec<(String, String)> = h.iter().map(|(f, v)| (show(f), show(v))).collect();
                    m.sort();
                    format!("hash:{m:?}")
                }
                Value::Stream(s) => {
                    let all = (
                        crate::engine::stream::StreamId::new(0, 0),
                        crate::engine::stream::StreamId::new(u64::MAX, u64::MAX),
                    );
                    let entries: Vec<(String, String)> =
                        s.range(all.0, all.1).map(|(id, f)| (show(&id.to_bytes()), format!("{f:?}"))).collect();
                    format!("stream:{entries:?} last={} groups={:?}", show(&s.last_id.to_bytes()), s.groups)
                }
            };
            out.push(format!("{i}:{}={value} ttl={:?}", show(key), entry.expire_at_ms()));
        }
    }
    out.sort();
    out
}
