//! Transactions (Redis: multi.c): MULTI queues, EXEC runs the queue, WATCH
//! makes EXEC fail when a watched key changed.
//!
//! The state is in each client: the queue (`None` outside MULTI), whether a
//! command was refused while queuing, the watched keys, and whether one of
//! them was touched. A key is "touched" when a command writes it (even with
//! the same value), deletes it (expired keys included), or a flush or SWAPDB
//! changes what is stored under its name.

use super::dispatch::Call;
use super::Model;
use crate::reply::Reply;

/// A key one client watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    /// The database the client had selected when it ran WATCH.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
    /// The key was stored but already expired when watched: removing it is
    /// not a change.
    pub stale: bool,
    /// When WATCH ran, server-wide (the order in which watchers are visited).
    pub order: u64,
}

/// The error EXEC gives after a refused command.
const EXEC_ABORTED: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Commands that run at once between MULTI and EXEC instead of being queued.
pub(super) fn runs_now(name: &str) -> bool {
    ["exec", "discard", "multi", "watch", "quit", "reset"].contains(&name)
}

impl Model {
    /// True between MULTI and EXEC/DISCARD.
    pub fn in_multi(&self, client: u64) -> bool {
        self.clients.get(&client).is_some_and(|c| c.queue.is_some())
    }

    /// Puts a command in the client's queue and answers QUEUED.
    pub(super) fn enqueue(&mut self, client: u64, argv: &[Vec<u8>]) -> Reply {
        let c = self.client_mut(client);
        if let Some(queue) = c.queue.as_mut() {
            queue.push(argv.to_vec());
        }
        Reply::Status("QUEUED".to_string())
    }

    /// A command refused before running (unknown, wrong arity): inside MULTI
    /// the transaction is doomed; a refused EXEC (even outside MULTI) ends it
    /// with the reason.
    pub(super) fn refuse(&mut self, client: u64, error: Reply, is_exec: bool) -> Reply {
        if self.in_multi(client) {
            self.client_mut(client).queue_refused = true;
        }
        if !is_exec {
            return error;
        }
        self.end_transaction(client);
        let Reply::Error(text) = error else {
            return error;
        };
        let reason = text.strip_prefix("ERR ").unwrap_or(&text).to_string();
        Reply::Error(format!("EXECABORT Transaction discarded because of: {reason}"))
    }

    /// Leaves MULTI and forgets the queue and every watched key.
    fn end_transaction(&mut self, client: u64) {
        let c = self.client_mut(client);
        c.queue = None;
        c.queue_refused = false;
        c.watching.clear();
        c.watch_touched = false;
    }

    /// What EXEC will do now: `Some(reply)` when it fails (and the
    /// transaction is over), `None` when the queue runs.
    fn exec_failure(&mut self, client: u64, now_ms: u64) -> Option<Reply> {
        let c = self.client(client);
        let expired_since =
            c.watching.iter().any(|w| !w.stale && self.dbs[w.db].get(&w.key).is_some_and(|item| item.is_dead(now_ms)));
        let reply = if c.queue_refused {
            Reply::Error(EXEC_ABORTED.to_string())
        } else if c.watch_touched || expired_since {
            Reply::NilArray
        } else {
            return None;
        };
        self.end_transaction(client);
        Some(reply)
    }

    /// Takes the queue for EXEC, after `exec_failure` said it runs.
    fn take_queue(&mut self, client: u64) -> Vec<Vec<Vec<u8>>> {
        let queue = self.client_mut(client).queue.take().unwrap_or_default();
        self.end_transaction(client);
        queue
    }

    /// EXEC as judged by [`Model::check`]: `Err(reply)` when the transaction
    /// fails, otherwise the queued commands, which the caller checks one by
    /// one against the elements of the received array.
    pub(super) fn exec_for_check(&mut self, client: u64, now_ms: u64) -> Result<Vec<Vec<Vec<u8>>>, Reply> {
        if !self.in_multi(client) {
            return Err(Reply::err("EXEC without MULTI"));
        }
        match self.exec_failure(client, now_ms) {
            Some(reply) => Err(reply),
            None => Ok(self.take_queue(client)),
        }
    }

    /// Some command wrote or deleted `key` of `db`. Watchers are visited in
    /// the order they started watching; each one whose watch counts becomes
    /// touched and stops watching anything. A watcher that saw the key
    /// already expired ignores its removal (and from then on watches it as
    /// an ordinary key); if the key is still stored, Redis 7.0 stops the walk
    /// at such a watcher.
    pub(super) fn touch(&mut self, db: usize, key: &[u8]) {
        self.touched_now.insert((db, key.to_vec()));
        let stored = self.dbs[db].contains_key(key);
        let mut watchers: Vec<(u64, u64)> = Vec::new();
        for (&id, c) in &self.clients {
            for w in c.watching.iter().filter(|w| w.db == db && w.key == key) {
                watchers.push((w.order, id));
            }
        }
        watchers.sort_unstable();
        let mut hit = Vec::new();
        for (_, id) in watchers {
            let c = self.client_mut(id);
            let Some(w) = c.watching.iter_mut().find(|w| w.db == db && w.key == key) else {
                continue;
            };
            if w.stale {
                if stored {
                    break;
                }
                w.stale = false;
                continue;
            }
            hit.push(id);
        }
        for id in hit {
            let c = self.client_mut(id);
            c.watch_touched = true;
            c.watching.clear();
        }
    }

    /// `db` is about to be emptied (`other` is `None`) or to take the
    /// contents of `other` (SWAPDB). A watched name counts as changed when
    /// something is stored under it in either database, except when nothing
    /// live is there before and after: an expired key going away, a missing
    /// or expired key becoming another expired key. Watchers stay watching.
    pub(super) fn touch_db(&mut self, db: usize, other: Option<usize>, now_ms: u64) {
        let ids: Vec<u64> = self.clients.keys().copied().collect();
        for id in ids {
            let mut touched = false;
            let mut watching = std::mem::take(&mut self.client_mut(id).watching);
            for w in watching.iter_mut().filter(|w| w.db == db) {
                self.touched_now.insert((db, w.key.clone()));
                let here = self.dbs[db].get(&w.key);
                let there = other.and_then(|o| self.dbs[o].get(&w.key));
                if here.is_none() && there.is_none() {
                    continue;
                }
                let there_dead = there.is_some_and(|i| i.is_dead(now_ms));
                if w.stale {
                    match there {
                        None => w.stale = false,
                        Some(_) if there_dead => {}
                        Some(_) => touched = true,
                    }
                } else if here.is_none() && there_dead {
                    w.stale = true;
                } else {
                    touched = true;
                }
            }
            let c = self.client_mut(id);
            c.watching = watching;
            c.watch_touched |= touched;
        }
    }
}

/// MULTI
pub(super) fn multi(m: &mut Model, call: &Call) -> Reply {
    let c = m.client_mut(call.client);
    if c.queue.is_some() {
        return Reply::err("MULTI calls can not be nested");
    }
    c.queue = Some(Vec::new());
    Reply::ok()
}

/// DISCARD
pub(super) fn discard(m: &mut Model, call: &Call) -> Reply {
    if !m.in_multi(call.client) {
        return Reply::err("DISCARD without MULTI");
    }
    m.end_transaction(call.client);
    Reply::ok()
}

/// EXEC: the replies of the queued commands, run now one after the other.
pub(super) fn exec(m: &mut Model, call: &Call) -> Reply {
    match m.exec_for_check(call.client, call.now_ms) {
        Err(reply) => reply,
        Ok(queue) => {
            m.client_mut(call.client).in_exec = true;
            let replies = queue.iter().map(|argv| m.apply(call.client, argv, call.now_ms)).collect();
            m.client_mut(call.client).in_exec = false;
            Reply::Array(replies)
        }
    }
}

/// WATCH key [key ...]
pub(super) fn watch(m: &mut Model, call: &Call) -> Reply {
    if m.in_multi(call.client) {
        return Reply::err("WATCH inside MULTI is not allowed");
    }
    if m.client(call.client).watch_touched {
        return Reply::ok();
    }
    for key in &call.argv[1..] {
        let stale = m.dbs[call.db].get(key.as_slice()).is_some_and(|i| i.is_dead(call.now_ms));
        m.watch_order += 1;
        let order = m.watch_order;
        let c = m.client_mut(call.client);
        if !c.watching.iter().any(|w| w.db == call.db && w.key == *key) {
            c.watching.push(Watched { db: call.db, key: key.clone(), stale, order });
        }
    }
    Reply::ok()
}

/// UNWATCH
pub(super) fn unwatch(m: &mut Model, call: &Call) -> Reply {
    let c = m.client_mut(call.client);
    c.watching.clear();
    c.watch_touched = false;
    Reply::ok()
}
