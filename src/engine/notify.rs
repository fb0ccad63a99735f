//! Keyspace notifications (Redis's notify.c): when `notify-keyspace-events` enables an event's
//! class, a change to a key is published as Pub/Sub messages on `__keyspace@<db>__:<key>` (the
//! message is the event name) and `__keyevent@<db>__:<event>` (the message is the key).
//!
//! Commands call `ctx.notify(class, event, key)` where Redis calls notifyKeyspaceEvent, in the
//! same order. Every message goes through the outbox (`publish_detached`); at the end of each
//! command the engine moves the messages addressed to the client that ran it into that client's
//! pushes (`Engine::claim_own_messages`), so a RESP3 client subscribed to its own events gets
//! them before the reply, in the order they were raised, as in Redis.
//!
//! The `n` class (a key was created) is raised by Redis inside dbAdd, in the middle of a
//! command. `Db` cannot publish, so while a command runs it journals the keys it creates
//! (`Db::new_keys`), and the journal is published before the next event and at the end of
//! the command: no other event can come between the creation and that point, so the order is
//! Redis's.

use super::config::{NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_NEW};
use super::pubsub::Kind;
use super::{Ctx, Engine};
use crate::resp::Frame;

pub use super::config::{
    NOTIFY_ALL, NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_KEY_MISS, NOTIFY_LIST,
    NOTIFY_MODULE, NOTIFY_SET, NOTIFY_STREAM, NOTIFY_STRING, NOTIFY_ZSET,
};

/// The `__keyspace@<db>__:<key>` channel.
pub fn keyspace_channel(db: usize, key: &[u8]) -> Vec<u8> {
    let mut channel = format!("__keyspace@{db}__:").into_bytes();
    channel.extend_from_slice(key);
    channel
}

/// The `__keyevent@<db>__:<event>` channel.
pub fn keyevent_channel(db: usize, event: &str) -> Vec<u8> {
    format!("__keyevent@{db}__:{event}").into_bytes()
}

impl Engine {
    /// Publishes event `event` of class `class` about `key` of database `db`, if the class is
    /// enabled: first on the keyspace channel, then on the keyevent channel (Redis's order).
    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        self.flush_new_keys();
        self.publish_event(class, event, key, db);
    }

    fn publish_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        let flags = self.config.notify_keyspace_events();
        if flags & class == 0 {
            return;
        }
        if flags & NOTIFY_KEYSPACE != 0 {
            self.publish_detached(Kind::Channel, &keyspace_channel(db, key), event.as_bytes());
        }
        if flags & NOTIFY_KEYEVENT != 0 {
            self.publish_detached(Kind::Channel, &keyevent_channel(db, event), key);
        }
    }

    /// Whether created keys are being journaled. Begin and end set every database's journal
    /// together, so the first database tells for all; checking it spares the hot path (three
    /// calls per command) a walk over all databases when the `n` class is off.
    fn new_key_journal_active(&self) -> bool {
        self.dbs.first().is_some_and(|db| db.new_keys.is_some())
    }

    /// Starts journaling created keys if the `n` class is on (called when a command starts).
    pub fn begin_new_key_journal(&mut self) {
        let on = self.config.notify_keyspace_events() & NOTIFY_NEW != 0;
        if !on && !self.new_key_journal_active() {
            return; // the usual case: nothing to start, nothing to reset in every database
        }
        for db in &mut self.dbs {
            db.new_keys = if on { Some(Vec::new()) } else { None };
        }
    }

    /// Publishes the pending `new` events and stops the journal (the command ended).
    pub fn end_new_key_journal(&mut self) {
        if !self.new_key_journal_active() {
            return;
        }
        self.flush_new_keys();
        for db in &mut self.dbs {
            db.new_keys = None;
        }
    }

    /// Publishes the `new` events of the keys created since the last flush.
    pub fn flush_new_keys(&mut self) {
        if !self.new_key_journal_active() {
            return;
        }
        for db in 0..self.dbs.len() {
            let created = match self.dbs[db].new_keys.as_mut() {
                Some(keys) if !keys.is_empty() => std::mem::take(keys),
                _ => continue,
            };
            for key in &created {
                self.publish_event(NOTIFY_NEW, "new", key, db);
            }
        }
    }

    /// Moves the outbox messages from `mark` on that are addressed to client `id` into `pushes`,
    /// keeping their order: they were raised by the command that client is running.
    pub fn claim_own_messages(&mut self, mark: usize, id: u64, pushes: &mut Vec<Frame>) {
        self.claim_own_messages_split(mark, None, id, pushes, &mut Vec::new());
    }

    /// `claim_own_messages`, where the messages queued at or after outbox index `reply_mark`
    /// go to `after` (written after the command's reply) instead.
    pub fn claim_own_messages_split(
        &mut self,
        mark: usize,
        reply_mark: Option<usize>,
        id: u64,
        pushes: &mut Vec<Frame>,
        after: &mut Vec<Frame>,
    ) {
        if mark >= self.outbox.len() || !self.outbox[mark..].iter().any(|(to, _)| *to == id) {
            return;
        }
        let tail = self.outbox.split_off(mark);
        for (i, (to, frame)) in tail.into_iter().enumerate() {
            if to != id {
                self.outbox.push((to, frame));
            } else if reply_mark.is_some_and(|r| mark + i >= r) {
                after.push(frame);
            } else {
                pushes.push(frame);
            }
        }
    }
}

impl Ctx<'_> {
    /// Marks where Redis's version of the running command writes its reply: the events raised
    /// from here on reach the command's own (RESP3, subscribed) client after the reply, as in
    /// Redis, where the reply and the messages share one output buffer. Pending `new` events
    /// were raised before this point.
    pub fn reply_here(&mut self) {
        self.engine.flush_new_keys();
        self.engine.own_reply_mark = Some(self.engine.outbox.len());
    }

    /// Raises a keyspace event about `key` of the selected database (Redis's
    /// notifyKeyspaceEvent(class, event, key, c->db->id)).
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.client.db;
        self.engine.notify_keyspace_event(class, event, key, db);
    }

    /// Raises a keyspace event about `key` of database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        self.engine.notify_keyspace_event(class, event, key, db);
    }
}

#[cfg(test)]
mod tests;
