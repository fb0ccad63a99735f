//! Transactions: a client's MULTI state, and the WATCH registry (Redis's multi.c).
//!
//! The MULTI queue lives in the client (only the client itself touches it). The WATCH state lives
//! in the engine, because the writes that invalidate a watch come from any client, from expiry
//! and from flushes, some of them while the watching client's state is lent to a running command:
//! the registry maps each watched (database, key) to its watchers in the order they started
//! watching, each client to its watched keys, and keeps the set of clients whose watch was
//! touched (Redis's CLIENT_DIRTY_CAS).

use super::client::ClientState;
use super::db::Db;
use super::table::Flags;
use super::Engine;
use crate::resp::Frame;
use std::collections::{BTreeMap, BTreeSet};

/// The reply of EXEC after a command was rejected while queuing.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Memory Redis counts per queued argument besides its bytes (one object pointer).
const ARG_POINTER_BYTES: usize = 8;

/// A client's MULTI state (Redis's multiState with the CLIENT_MULTI and CLIENT_DIRTY_EXEC flags).
#[derive(Clone, Debug, Default)]
pub struct MultiState {
    /// Between MULTI and EXEC/DISCARD.
    pub active: bool,
    /// A command was rejected while queuing: EXEC will abort with EXECABORT.
    pub dirty_exec: bool,
    /// The queued commands, in order.
    pub queued: Vec<Vec<Vec<u8>>>,
    /// How many commands are queued (CLIENT LIST `multi=`). Kept apart from `queued`, which EXEC
    /// takes out while the count stays visible until EXEC ends, as in Redis.
    pub count: usize,
    /// The queued arguments' bytes plus a pointer per argument (CLIENT LIST `multi-mem=`).
    pub argv_len_sums: usize,
    /// The union of the queued commands' flags: EXEC counts as a write when one of them is.
    pub cmd_flags: Flags,
    /// A queued command lacks the `stale` flag (Redis's cmd_inv_flags & CMD_STALE): EXEC is
    /// refused on a stale replica then.
    pub not_stale: bool,
}

impl MultiState {
    /// CLIENT LIST's `multi=`: the queued count inside MULTI, -1 outside.
    pub fn list_count(&self) -> i64 {
        if self.active {
            self.count as i64
        } else {
            -1
        }
    }

    /// Leaves MULTI and forgets the queue (the watches are the engine's; see `discard`).
    fn clear(&mut self) {
        *self = MultiState::default();
    }
}

/// One client watching one key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Watcher {
    client: u64,
    /// The key had already expired (but was still stored) when WATCH ran: its deletion by
    /// expiry is then no change (Redis's watchedKey.expired).
    expired: bool,
}

/// Every WATCH in the server.
#[derive(Clone, Debug, Default)]
pub struct Watches {
    /// Watchers by database, then key, in the order they started watching.
    by_key: BTreeMap<usize, BTreeMap<Vec<u8>, Vec<Watcher>>>,
    /// Each client's watched keys, in WATCH order.
    by_client: BTreeMap<u64, Vec<(usize, Vec<u8>)>>,
    /// Clients whose watched keys were touched: their next EXEC fails.
    dirty: BTreeSet<u64>,
}

impl Watches {
    /// True when nobody watches anything: the write path then has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }

    /// True when the client's watch was touched (CLIENT LIST flag `d`).
    pub fn is_dirty(&self, client: u64) -> bool {
        self.dirty.contains(&client)
    }

    /// How many keys the client watches.
    pub fn watched_count(&self, client: u64) -> usize {
        self.by_client.get(&client).map_or(0, Vec::len)
    }

    /// Starts watching `key` of `db` for `client`, unless it already does.
    fn watch(&mut self, client: u64, db: usize, key: &[u8], expired: bool) {
        let keys = self.by_client.entry(client).or_default();
        if keys.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        keys.push((db, key.to_vec()));
        self.by_key.entry(db).or_default().entry(key.to_vec()).or_default().push(Watcher { client, expired });
    }

    /// Forgets every key the client watches (Redis's unwatchAllKeys); the dirty flag stays.
    fn unwatch_all(&mut self, client: u64) {
        let Some(keys) = self.by_client.remove(&client) else {
            return;
        };
        for (db, key) in keys {
            let Some(db_keys) = self.by_key.get_mut(&db) else {
                continue;
            };
            if let Some(watchers) = db_keys.get_mut(&key) {
                watchers.retain(|w| w.client != client);
                if watchers.is_empty() {
                    db_keys.remove(&key);
                }
            }
            if db_keys.is_empty() {
                self.by_key.remove(&db);
            }
        }
    }

    /// The client's watched keys with their "already expired" flag.
    fn watched_by(&self, client: u64) -> Vec<(usize, Vec<u8>, bool)> {
        let Some(keys) = self.by_client.get(&client) else {
            return Vec::new();
        };
        keys.iter()
            .map(|(db, key)| {
                let expired = self
                    .by_key
                    .get(db)
                    .and_then(|m| m.get(key))
                    .and_then(|ws| ws.iter().find(|w| w.client == client))
                    .is_some_and(|w| w.expired);
                (*db, key.clone(), expired)
            })
            .collect()
    }

    /// A key was modified (Redis's touchWatchedKey): its watchers become dirty and stop watching
    /// anything, except one that watched the key already expired and now sees it deleted, which
    /// is no change. `stored` tells whether the key is stored in the database now. As Redis
    /// 7.0 does, a watcher of an already expired key that is still stored ends the walk.
    fn touch(&mut self, db: usize, key: &[u8], stored: bool) {
        let Some(watchers) = self.by_key.get_mut(&db).and_then(|m| m.get_mut(key)) else {
            return;
        };
        let mut touched = Vec::new();
        for w in watchers.iter_mut() {
            if w.expired {
                if !stored {
                    w.expired = false;
                    continue;
                }
                break;
            }
            touched.push(w.client);
        }
        for client in touched {
            self.dirty.insert(client);
            self.unwatch_all(client);
        }
    }

    /// The keys watched in `db`, in key order.
    fn keys_in(&self, db: usize) -> Vec<Vec<u8>> {
        self.by_key.get(&db).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    fn watchers_mut(&mut self, db: usize, key: &[u8]) -> Option<&mut Vec<Watcher>> {
        self.by_key.get_mut(&db).and_then(|m| m.get_mut(key))
    }

    /// Forgets a disconnected client.
    fn forget(&mut self, client: u64) {
        self.unwatch_all(client);
        self.dirty.remove(&client);
    }
}

impl Engine {
    /// WATCH: `client` watches `key` of `db`, remembering whether it had already expired.
    pub fn watch_key(&mut self, client: u64, db: usize, key: &[u8], now_ms: u64) {
        let expired = self.dbs.get(db).is_some_and(|d| d.is_expired(key, now_ms));
        self.watches.watch(client, db, key, expired);
    }

    /// UNWATCH (and the end of every transaction): forgets the watched keys and the dirty flag.
    pub fn unwatch(&mut self, client: u64) {
        self.watches.unwatch_all(client);
        self.watches.dirty.remove(&client);
    }

    /// Marks the client's transaction as failed by a touched watch.
    pub fn mark_watch_dirty(&mut self, client: u64) {
        self.watches.dirty.insert(client);
    }

    /// Forgets a disconnected client's watches.
    pub fn forget_watches(&mut self, client: u64) {
        self.watches.forget(client);
    }

    /// A key was written or deleted: watchers of it will fail their EXEC.
    pub fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        if self.watches.is_empty() {
            return;
        }
        let stored = self.dbs.get(db).is_some_and(|d| d.contains(key));
        self.watches.touch(db, key, stored);
    }

    /// True when one of the client's watched keys, not already expired when watched, has
    /// expired by now (Redis's isWatchedKeyExpired, checked by EXEC).
    pub fn watched_key_expired(&self, client: u64, now_ms: u64) -> bool {
        self.watches
            .watched_by(client)
            .iter()
            .filter(|(_, _, expired)| !expired)
            .any(|(db, key, _)| self.dbs.get(*db).is_some_and(|d| d.is_expired(key, now_ms)))
    }

    /// Database `emptied` is flushed, or (with `replaced_with`) swapped with another one
    /// (Redis's touchAllWatchedKeysInDb, called before the change): watchers of a key stored
    /// in either database become dirty, except where the change is no logical change (an
    /// expired key deleted, or a missing key replaced with an expired one). Unlike a single
    /// touch, the dirty clients keep their other watches.
    pub fn touch_all_watched_keys_in_db(&mut self, emptied: usize, replaced_with: Option<usize>, now_ms: u64) {
        if self.watches.is_empty() {
            return;
        }
        for key in self.watches.keys_in(emptied) {
            let in_emptied = self.dbs.get(emptied).is_some_and(|d| d.contains(&key));
            let other: Option<&Db> = replaced_with.and_then(|r| self.dbs.get(r));
            let in_other = other.is_some_and(|d| d.contains(&key));
            if !in_emptied && !in_other {
                continue;
            }
            let other_expired = other.is_some_and(|d| d.is_expired(&key, now_ms));
            let Some(watchers) = self.watches.watchers_mut(emptied, &key) else {
                continue;
            };
            let mut touched = Vec::new();
            for w in watchers.iter_mut() {
                if w.expired {
                    if !in_other {
                        // The expired key is deleted: no logical change.
                        w.expired = false;
                        continue;
                    } else if other_expired {
                        // Replaced with another expired key: still nothing there.
                        continue;
                    }
                } else if !in_emptied && other_expired {
                    // Nothing replaced with an expired key: still nothing there.
                    w.expired = true;
                    continue;
                }
                touched.push(w.client);
            }
            self.watches.dirty.extend(touched);
        }
    }

    /// SWAPDB's effect on watches: both databases are touched against each other.
    pub fn touch_swapped_dbs(&mut self, a: usize, b: usize, now_ms: u64) {
        if a == b {
            return;
        }
        self.touch_all_watched_keys_in_db(a, Some(b), now_ms);
        self.touch_all_watched_keys_in_db(b, Some(a), now_ms);
    }

    /// Leaves MULTI, forgets the queue, the watches and both dirty flags (Redis's
    /// discardTransaction).
    pub fn discard_transaction(&mut self, client: &mut ClientState) {
        client.multi.clear();
        self.unwatch(client.id);
    }

    /// A command was rejected before running (Redis's rejectCommand): inside MULTI the
    /// transaction will abort; a rejected EXEC, inside MULTI or not, ends it at once, naming
    /// the reason.
    pub fn reject_in_multi(&mut self, client: &mut ClientState, is_exec: bool, reply: Frame) -> Frame {
        if client.multi.active {
            client.multi.dirty_exec = true;
        }
        if !is_exec {
            return reply;
        }
        self.discard_transaction(client);
        let text = reply.error_text().unwrap_or_default();
        // Redis formats these errors without their ERR code; other codes stay (NOPERM, OOM).
        let reason = text.strip_prefix("ERR ").unwrap_or(text);
        Frame::error(format!("EXECABORT Transaction discarded because of: {reason}"))
    }

    /// Queues a command inside MULTI and replies QUEUED. A transaction that will fail anyway
    /// (a rejected command, a touched watch) stores nothing more, as Redis saves the memory.
    pub fn queue_in_multi(&mut self, client: &mut ClientState, argv: &[Vec<u8>], flags: Flags) -> Frame {
        let multi = &mut client.multi;
        if !multi.dirty_exec && !self.watches.is_dirty(client.id) {
            multi.cmd_flags = multi.cmd_flags.union(flags);
            multi.not_stale |= !flags.contains(Flags::STALE);
            multi.argv_len_sums += argv.iter().map(|a| a.len() + ARG_POINTER_BYTES).sum::<usize>();
            multi.queued.push(argv.to_vec());
            multi.count += 1;
        }
        Frame::simple("QUEUED")
    }
}

/// Commands that run at once inside MULTI instead of being queued.
pub fn runs_inside_multi(full_name: &str) -> bool {
    matches!(full_name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_marks_watchers_and_unwatches_them() {
        let mut w = Watches::default();
        w.watch(1, 0, b"a", false);
        w.watch(1, 0, b"b", false);
        w.watch(2, 0, b"a", false);
        w.watch(1, 0, b"a", false);
        assert_eq!(w.watched_count(1), 2);
        w.touch(0, b"a", true);
        assert!(w.is_dirty(1) && w.is_dirty(2));
        assert_eq!(w.watched_count(1), 0);
        assert!(w.is_empty());
    }

    #[test]
    fn expired_watcher_cleared_by_deletion_and_stops_walk_otherwise() {
        let mut w = Watches::default();
        w.watch(1, 0, b"a", true);
        w.watch(2, 0, b"a", false);
        // Stored and modified: the walk stops at the expired watcher (Redis 7.0).
        w.touch(0, b"a", true);
        assert!(!w.is_dirty(1) && !w.is_dirty(2));
        // Deleted: the expired flag clears, the other watcher is dirty.
        w.touch(0, b"a", false);
        assert!(!w.is_dirty(1) && w.is_dirty(2));
        w.touch(0, b"a", true);
        assert!(w.is_dirty(1));
    }
}
