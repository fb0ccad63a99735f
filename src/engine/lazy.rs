//! The engine's side of lazy free (Redis's lazyfree.c and the deleting parts of db.c): what a
//! job is, when a removed value goes to the free thread, and how databases are emptied.
//! The rules are in `specs/rules/lazyfree.md` (LAZY-n); `specs/lazyfree.md` maps them to the code.
//!
//! Lazy freeing changes when memory is released, never what a command replies or what the
//! keyspace holds: every function here removes the data from the keyspace first, on the engine's
//! thread, and only the deallocation of data no command can reach any more is deferred.

use super::db::{DbTables, Entry};
use super::value::Value;
use super::{Ctx, Engine};
use crate::lazyfree::Job;

/// A value goes to the free thread only when freeing it takes more than this many units of work
/// (Redis's LAZYFREE_THRESHOLD): for small values the handoff costs more than the free (LAZY-2).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// True when freeing a value of this effort in the background pays (Redis's freeObjAsync test).
pub fn worth_deferring(free_effort: usize) -> bool {
    free_effort > LAZYFREE_THRESHOLD
}

/// The default capacity of the free thread's queue, in jobs (a job is one big value or the
/// tables of a FLUSHDB/FLUSHALL). A queue this full means the free thread is far behind; further
/// jobs are then freed by the engine's thread itself (back-pressure; see `crate::lazyfree`).
pub const QUEUE_CAPACITY: usize = 1024;

/// Data handed to lazy free.
#[derive(Debug)]
pub enum Garbage {
    /// One value removed from the keyspace (counts as 1 object, as in Redis).
    Value(Value),
    /// The key tables of emptied databases (count as their number of keys).
    Tables(Vec<DbTables>),
}

impl Job for Garbage {
    fn objects(&self) -> u64 {
        match self {
            Garbage::Value(_) => 1,
            Garbage::Tables(tables) => tables.iter().map(|t| t.len() as u64).sum(),
        }
    }
}

/// The lazy-free handle the engine owns.
pub type LazyFree = crate::lazyfree::LazyFree<Garbage>;

/// Which FLUSHALL/FLUSHDB argument was given (Redis's getFlushCommandFlags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    Sync,
    Async,
    /// No argument: `lazyfree-lazy-user-flush` decides (LAZY-5).
    Default,
}

impl Engine {
    /// Frees a value that left the keyspace: through lazy free when `lazy` and the value is big
    /// enough (LAZY-2), at once otherwise. True when it went to lazy free.
    pub fn free_value(&self, value: Value, lazy: bool) -> bool {
        if lazy && worth_deferring(value.free_effort()) {
            self.lazyfree.submit(Garbage::Value(value));
            true
        } else {
            drop(value);
            false
        }
    }

    /// Frees an entry that left the keyspace (its value as `free_value` does).
    pub fn free_entry(&self, entry: Entry, lazy: bool) -> bool {
        self.free_value(entry.value, lazy)
    }

    /// Removes `key` from database `db` and frees its value, lazily when `lazy` (Redis's
    /// dbAsyncDelete when true, dbSyncDelete when false). True when the key existed.
    pub fn delete_key(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        match self.dbs[db].remove(key) {
            Some(entry) => {
                self.free_entry(entry, lazy);
                true
            }
            None => false,
        }
    }

    /// Frees a value replaced by a write (SET over an existing key, RENAME or COPY REPLACE over
    /// a destination): lazily when `lazyfree-lazy-server-del` (LAZY-6).
    pub fn free_overwritten(&self, value: Value) -> bool {
        self.free_value(value, self.config.lazyfree_lazy_server_del())
    }

    /// Whether a FLUSHALL/FLUSHDB with this argument frees in the background.
    pub fn flush_is_async(&self, mode: FlushMode) -> bool {
        match mode {
            FlushMode::Sync => false,
            FlushMode::Async => true,
            FlushMode::Default => self.config.lazyfree_lazy_user_flush(),
        }
    }

    /// Empties the given databases; returns how many keys they held. Async: every non-empty
    /// database's tables are swapped for empty ones in O(1) and handed over as one job, whatever
    /// their size (LAZY-4). Sync: freed here, now.
    pub fn empty_dbs(&mut self, dbs: std::ops::Range<usize>, lazy: bool) -> u64 {
        // Watchers see the flush while the keys are still there (Redis's signalFlushedDb).
        for db in dbs.clone() {
            self.touch_all_watched_keys_in_db(db, None, self.now_ms);
        }
        // Tracking clients are told that every key is invalid.
        self.tracking_invalidate_all();
        let streams: Vec<(usize, Vec<Vec<u8>>)> = dbs.clone().map(|db| (db, self.waited_stream_keys(db))).collect();
        let mut removed = 0u64;
        let mut taken = Vec::new();
        for db in dbs {
            let Some(database) = self.dbs.get_mut(db) else {
                continue;
            };
            removed += database.len() as u64;
            if lazy && !database.is_empty() {
                taken.push(database.take_tables());
            } else {
                database.clear();
            }
        }
        if !taken.is_empty() {
            self.lazyfree.submit(Garbage::Tables(taken));
        }
        for (db, keys) in streams {
            self.signal_lost_streams(db, &keys);
        }
        removed
    }

    /// Installs the threaded lazy-free back end (the server does this at start-up). On failure to
    /// start the thread the inline back end stays, and the error is returned for the log.
    pub fn start_lazyfree_thread(&mut self) -> std::io::Result<()> {
        // The inline handle being replaced has nothing pending (it frees synchronously).
        self.lazyfree = LazyFree::threaded(QUEUE_CAPACITY)?;
        Ok(())
    }
}

impl Ctx<'_> {
    /// Deletes a key of the selected database, lazily when `lazy` (DEL, UNLINK, GETDEL, an
    /// expiry in the past). True when the key existed.
    pub fn delete_key(&mut self, key: &[u8], lazy: bool) -> bool {
        let db = self.client.db;
        self.engine.delete_key(db, key, lazy)
    }
}

#[cfg(test)]
mod tests;
