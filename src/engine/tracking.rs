//! Client-side caching (Redis's tracking.c): which clients may hold which keys in a local
//! cache, and the invalidation messages they get when those keys change.
//!
//! Two modes. In the default mode the server remembers, for each key a tracking client read
//! with a read-only command, the ids of those clients; the first change to the key sends each
//! of them one invalidation and forgets the key (they must read it again to be told again).
//! In BCAST mode nothing is remembered per key: a client subscribes to key prefixes, changed
//! keys are collected per prefix, and `tracking_broadcast` sends them in one message per prefix
//! (the server calls it after each batch of commands, where Redis calls it in beforeSleep).
//!
//! Keys are tracked by name only, whatever their database, as in Redis.
//!
//! Delivery: a RESP3 client gets `>2 invalidate [keys]` pushes; a client may instead REDIRECT
//! its invalidations to another connection, which in RESP2 gets them as Pub/Sub messages on
//! `__redis__:invalidate` if it is subscribed. A flush sends a null instead of the keys.
//! Messages go through the outbox, except those for the client whose command caused them: as in
//! Redis, they are held back until that command's reply has been written (`pending`).

use super::client::ClientState;
use super::Engine;
use crate::resp::Frame;
use rand_core::RngCore;
use std::collections::{BTreeMap, BTreeSet};

/// The channel RESP2 redirect targets get invalidations on.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// One client's tracking settings (Redis's CLIENT_TRACKING_* flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientTracking {
    pub on: bool,
    /// The client invalidations are sent to instead (0: none).
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING YES (in OPTIN) or NO (in OPTOUT) was given for the next command.
    pub caching: bool,
    /// The redirect target has disconnected.
    pub broken_redirect: bool,
    /// BCAST prefixes, in byte order.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// What a BCAST prefix collects: the keys changed since the last broadcast, each with the
/// client that changed it last (for NOLOOP), and its subscribers.
#[derive(Clone, Debug, Default)]
struct Bcast {
    keys: BTreeMap<Vec<u8>, Option<u64>>,
    clients: BTreeSet<u64>,
}

/// An invalidation held back for the running client.
#[derive(Clone, Debug)]
enum Pending {
    Key(Vec<u8>),
    Flush,
}

/// What an invalidation message carries.
enum Payload {
    Keys(Vec<Vec<u8>>),
    /// Every key (after FLUSHALL/FLUSHDB).
    All,
}

/// The running client's protocol and Pub/Sub state: it is lent to its command while it runs,
/// and a message redirected to it still needs them.
#[derive(Clone, Copy, Debug)]
struct Running {
    id: u64,
    resp: u8,
    subscribed: bool,
}

/// The running command's tracking state, put aside while a blocked client is served.
pub struct TrackingSaved {
    running: Option<Running>,
    pending: Vec<Pending>,
}

/// The server-wide tracking state.
#[derive(Clone, Debug, Default)]
pub struct Tracking {
    /// Key -> ids of the clients that may cache it.
    table: BTreeMap<Vec<u8>, BTreeSet<u64>>,
    /// Client ids across the whole table (INFO's tracking_total_items).
    total_items: u64,
    prefixes: BTreeMap<Vec<u8>, Bcast>,
    /// Clients with tracking on (INFO's tracking_clients).
    pub clients: usize,
    pending: Vec<Pending>,
    running: Option<Running>,
    /// Consecutive calls of the table limit that could not get under it (more effort each time).
    limit_rounds: u32,
}

impl Tracking {
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    pub fn total_items(&self) -> u64 {
        self.total_items
    }

    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

/// Options of CLIENT TRACKING ON.
#[derive(Clone, Debug, Default)]
pub struct TrackingOptions {
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub prefixes: Vec<Vec<u8>>,
}

/// Two prefixes collide when one starts with the other: both would match the same keys.
fn prefixes_collide(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Checks CLIENT TRACKING's prefixes against the client's and each other's (Redis's
/// checkPrefixCollisionsOrReply); the error text when two overlap.
pub fn check_prefix_collisions(client: &ClientTracking, new: &[Vec<u8>]) -> Result<(), String> {
    for (i, prefix) in new.iter().enumerate() {
        if let Some(old) = client.prefixes.iter().find(|old| prefixes_collide(old, prefix)) {
            return Err(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(prefix),
                String::from_utf8_lossy(old)
            ));
        }
        if let Some(other) = new[i + 1..].iter().find(|other| prefixes_collide(prefix, other)) {
            return Err(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                String::from_utf8_lossy(prefix),
                String::from_utf8_lossy(other)
            ));
        }
    }
    Ok(())
}

impl Engine {
    /// Turns tracking on for `client` with `options` (Redis's enableTracking); the options
    /// were validated by CLIENT TRACKING.
    pub fn enable_tracking(&mut self, client: &mut ClientState, options: TrackingOptions) {
        let t = &mut client.tracking;
        if !t.on {
            self.tracking.clients += 1;
        }
        t.on = true;
        t.broken_redirect = false;
        t.redirect = options.redirect;
        t.optin = options.optin;
        t.optout = options.optout;
        t.noloop = options.noloop;
        if options.bcast {
            t.bcast = true;
            let prefixes = if options.prefixes.is_empty() { vec![Vec::new()] } else { options.prefixes };
            for prefix in prefixes {
                self.tracking.prefixes.entry(prefix.clone()).or_default().clients.insert(client.id);
                client.tracking.prefixes.insert(prefix);
            }
        } else {
            t.bcast = false;
        }
    }

    /// Turns tracking off (Redis's disableTracking): leaves every prefix, clears the flags.
    /// The client's entries in the key table are dropped lazily, when the keys change.
    pub fn disable_tracking(&mut self, client: &mut ClientState) {
        for prefix in std::mem::take(&mut client.tracking.prefixes) {
            if let Some(bcast) = self.tracking.prefixes.get_mut(&prefix) {
                bcast.clients.remove(&client.id);
                if bcast.clients.is_empty() {
                    self.tracking.prefixes.remove(&prefix);
                }
            }
        }
        if client.tracking.on {
            self.tracking.clients = self.tracking.clients.saturating_sub(1);
        }
        client.tracking = ClientTracking::default();
    }

    /// A disconnected client stops tracking.
    pub fn forget_tracking(&mut self, id: u64) {
        if let Some(mut client) = self.clients.remove(&id) {
            self.disable_tracking(&mut client);
            self.clients.insert(id, client);
        }
    }

    /// Before a command (Redis's processCommand): keeps the key table within its limit, then
    /// marks `client` as the one running a command (invalidations it causes for itself wait for
    /// its reply). Invalidations the limit sends to `client` itself go before its reply.
    pub(crate) fn tracking_before_command(&mut self, client: &mut ClientState) {
        if self.tracking.clients > 0 {
            let mark = self.outbox.len();
            self.tracking_limit_used_slots();
            self.claim_own_messages(mark, client.id, &mut client.pushes);
        }
        self.tracking.running = Some(Running { id: client.id, resp: client.resp, subscribed: client.subs.active() });
    }

    /// After a command: the running client is back among the clients; sends what was held
    /// back for it, and ends the one-command effect of CLIENT CACHING.
    pub(crate) fn tracking_end_command(&mut self, id: u64) {
        self.tracking.running = None;
        if let Some(client) = self.clients.get_mut(&id) {
            // CLIENT CACHING applies to the next command or transaction.
            if !client.multi.active && !client.last_cmd.starts_with("client") {
                client.tracking.caching = false;
            }
        }
        self.send_pending_invalidations(id);
    }

    /// While a blocked client is served (inside another client's command), it is the running
    /// one: invalidations its pop or move causes for itself come after its reply. Returns the
    /// state to give back to `tracking_serve_end`.
    pub(crate) fn tracking_serve_begin(&mut self, client: &ClientState) -> TrackingSaved {
        let saved =
            TrackingSaved { running: self.tracking.running, pending: std::mem::take(&mut self.tracking.pending) };
        self.tracking.running = Some(Running { id: client.id, resp: client.resp, subscribed: client.subs.active() });
        saved
    }

    /// After the served client's reply was queued: its held-back invalidations, then the
    /// running command's state again.
    pub(crate) fn tracking_serve_end(&mut self, id: u64, saved: TrackingSaved) {
        self.tracking.running = None;
        self.send_pending_invalidations(id);
        self.tracking.running = saved.running;
        self.tracking.pending = saved.pending;
    }

    fn send_pending_invalidations(&mut self, id: u64) {
        for pending in std::mem::take(&mut self.tracking.pending) {
            let Some(t) = self.clients.get(&id).map(|c| &c.tracking) else {
                break;
            };
            match pending {
                Pending::Key(key) if t.on && !t.bcast && !t.noloop => {
                    self.send_tracking_message(id, Payload::Keys(vec![key]))
                }
                Pending::Flush if t.on => self.send_tracking_message(id, Payload::All),
                _ => {}
            }
        }
    }

    /// After a read-only command of a tracking client (not in BCAST mode): remembers that the
    /// client may now cache the keys the command named (Redis's trackingRememberKeys).
    pub(crate) fn tracking_remember_keys(
        &mut self,
        client: &ClientState,
        meta: &super::meta::CommandMeta,
        argv: &[Vec<u8>],
    ) {
        let t = &client.tracking;
        if (t.optin && !t.caching) || (t.optout && t.caching) {
            return;
        }
        for key in super::keys::get_keys(meta, argv) {
            let Some(name) = argv.get(key.pos) else {
                continue;
            };
            if self.tracking.table.entry(name.clone()).or_default().insert(client.id) {
                self.tracking.total_items += 1;
            }
        }
    }

    /// A key changed (Redis's trackingInvalidateKey with bcast on): collects it for the BCAST
    /// prefixes it matches, and invalidates it for the clients that may cache it. `by` is the
    /// client that changed it (`None` for expiry), which NOLOOP clients are not told about.
    pub fn tracking_invalidate_key(&mut self, key: &[u8], by: Option<u64>) {
        if self.tracking.clients == 0 && self.tracking.table.is_empty() && self.tracking.prefixes.is_empty() {
            return;
        }
        for (prefix, bcast) in self.tracking.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                bcast.keys.insert(key.to_vec(), by);
            }
        }
        self.invalidate_tracked_key(key);
    }

    /// Sends the invalidation of `key` to the clients in its table entry and drops the entry.
    fn invalidate_tracked_key(&mut self, key: &[u8]) {
        let Some(ids) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.total_items = self.tracking.total_items.saturating_sub(ids.len() as u64);
        let running = self.tracking.running.map(|r| r.id);
        for id in ids {
            if Some(id) == running {
                self.tracking.pending.push(Pending::Key(key.to_vec()));
                continue;
            }
            let Some(t) = self.clients.get(&id).map(|c| &c.tracking) else {
                continue;
            };
            // A client that switched to BCAST no longer gets per-key messages.
            if t.on && !t.bcast {
                self.send_tracking_message(id, Payload::Keys(vec![key.to_vec()]));
            }
        }
    }

    /// FLUSHALL/FLUSHDB: every tracking client is told that all keys are invalid, and the key
    /// table is emptied (Redis's trackingInvalidateKeysOnFlush).
    pub fn tracking_invalidate_all(&mut self) {
        if self.tracking.clients > 0 {
            if self.tracking.running.is_some() {
                self.tracking.pending.push(Pending::Flush);
            }
            let targets: Vec<u64> = self.clients.values().filter(|c| c.tracking.on).map(|c| c.id).collect();
            for id in targets {
                self.send_tracking_message(id, Payload::All);
            }
        }
        self.tracking.table.clear();
        self.tracking.total_items = 0;
    }

    /// Sends the BCAST messages for the keys collected since the last call, one per prefix
    /// (Redis's trackingBroadcastInvalidationMessages, run before the event loop sleeps).
    pub fn tracking_broadcast(&mut self) {
        if self.tracking.clients == 0 {
            return;
        }
        let mut messages: Vec<(u64, Vec<Vec<u8>>)> = Vec::new();
        for bcast in self.tracking.prefixes.values_mut() {
            let keys = std::mem::take(&mut bcast.keys);
            if keys.is_empty() {
                continue;
            }
            for &id in &bcast.clients {
                let noloop = self.clients.get(&id).is_some_and(|c| c.tracking.noloop);
                let list: Vec<Vec<u8>> =
                    keys.iter().filter(|(_, by)| !(noloop && **by == Some(id))).map(|(k, _)| k.clone()).collect();
                if !list.is_empty() {
                    messages.push((id, list));
                }
            }
        }
        for (id, keys) in messages {
            self.send_tracking_message(id, Payload::Keys(keys));
        }
    }

    /// Keeps the key table within `tracking-table-max-keys` by invalidating random keys, as if
    /// they had changed (Redis's trackingLimitUsedSlots, run before each command). The effort
    /// grows with each call that could not get under the limit.
    pub fn tracking_limit_used_slots(&mut self) {
        let max_keys = self.config.tracking_table_max_keys();
        if max_keys == 0 || self.tracking.table.len() as u64 <= max_keys {
            self.tracking.limit_rounds = 0;
            return;
        }
        let effort = 100 * (u64::from(self.tracking.limit_rounds) + 1);
        for _ in 0..effort {
            let len = self.tracking.table.len() as u64;
            if len == 0 {
                break;
            }
            let index = (self.rng.next_u64() % len) as usize;
            let Some(key) = self.tracking.table.keys().nth(index).cloned() else {
                break;
            };
            self.invalidate_tracked_key(&key);
            if self.tracking.table.len() as u64 <= max_keys {
                self.tracking.limit_rounds = 0;
                return;
            }
        }
        self.tracking.limit_rounds = self.tracking.limit_rounds.saturating_add(1);
    }

    /// Sends an invalidation to client `id` (in the clients map), or to its redirect target
    /// (Redis's sendTrackingMessage). Without a redirect only RESP3 clients can be told; a
    /// RESP2 redirect target must be subscribed (it gets a `__redis__:invalidate` message).
    fn send_tracking_message(&mut self, id: u64, payload: Payload) {
        let Some(client) = self.clients.get_mut(&id) else {
            return;
        };
        let redirect = client.tracking.redirect;
        let (target, resp, subscribed) = if redirect == 0 {
            (id, client.resp, client.subs.active())
        } else {
            let running = self.tracking.running.filter(|r| r.id == redirect);
            let target = match running {
                Some(r) => Some((r.resp, r.subscribed)),
                None => self.clients.get(&redirect).map(|c| (c.resp, c.subs.active())),
            };
            match target {
                Some((resp, subscribed)) => (redirect, resp, subscribed),
                None => {
                    let Some(client) = self.clients.get_mut(&id) else {
                        return;
                    };
                    client.tracking.broken_redirect = true;
                    if client.resp > 2 {
                        let frame = Frame::Push(vec![
                            Frame::bulk_str("tracking-redir-broken"),
                            Frame::Integer(redirect as i64),
                        ]);
                        self.outbox.push((id, frame));
                    }
                    return;
                }
            }
        };
        let value = match payload {
            Payload::Keys(keys) => Frame::Array(keys.into_iter().map(Frame::bulk).collect()),
            Payload::All => Frame::Null,
        };
        let frame = if resp > 2 {
            Frame::Push(vec![Frame::bulk_str("invalidate"), value])
        } else if redirect != 0 && subscribed {
            Frame::Push(vec![Frame::bulk_str("message"), Frame::bulk(INVALIDATE_CHANNEL.to_vec()), value])
        } else {
            return;
        };
        self.outbox.push((target, frame));
    }
}

#[cfg(test)]
mod tests;
