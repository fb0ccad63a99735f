//! The executable model: the keyspace as plain ordered maps.
//!
//! Everything is computed in the most direct way. Time is an argument
//! (`now_ms`); a key whose expire time is strictly before `now_ms` is dead
//! (Redis's `keyIsExpired` is `now > when`). Dead keys are kept in the map
//! until a command would have deleted them in Redis (any lookup of that key,
//! an overwrite, a flush): this lets the model bound DBSIZE, which counts
//! dead keys that Redis has not reclaimed yet. Active expiry is not modelled,
//! so DBSIZE is checked against a range (see [`Model::check`]).

pub mod acl;
mod bitmaps;
mod check;
pub mod crash;
mod dispatch;
mod expiry;
mod geo;
mod hashes;
mod hll;
mod hyperloglog;
mod keyspace;
mod lists;
mod notify;
mod pqsort;
mod pubsub;
mod sets;
mod sort;
mod streams;
mod streams_groups;
mod strings;
mod tx;
mod zsets;

use crate::reply::Reply;
use std::collections::{BTreeMap, BTreeSet};

pub use check::Mismatch;
pub use keyspace::ScanExpectation;
pub use lists::{Blocked, NO_REPLY};
pub use pubsub::{Kind as SubscriptionKind, Subscription};
pub use streams::{GroupValue, PendingValue, StreamValue};
pub use tx::Watched;
pub use zsets::{unspecified_in_redis, Score, ZSetValue};

/// Redis's WRONGTYPE error.
pub(crate) fn wrongtype() -> Reply {
    Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value".to_string())
}

/// Number of logical databases (Redis's default `databases 16`).
pub const NUM_DBS: usize = 16;

/// Redis's default `proto-max-bulk-len`: the largest string a command may build.
pub const PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;

/// A stored value. Encodings (int/embstr/raw strings, intset/hashtable
/// sets) are representation, not semantics, and are not modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MValue {
    /// A string value.
    Str(Vec<u8>),
    /// A list: its elements head first, never empty while stored.
    List(Vec<Vec<u8>>),
    /// A set: its members, never empty while stored.
    Set(BTreeSet<Vec<u8>>),
    /// A sorted set (never empty while stored), with the encoding Redis would give it.
    ZSet(ZSetValue),
    /// A hash: field to value, never empty while stored.
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    /// A stream (may be empty while stored).
    Stream(Box<StreamValue>),
}

impl MValue {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            MValue::Str(_) => "string",
            MValue::List(_) => "list",
            MValue::Set(_) => "set",
            MValue::ZSet(_) => "zset",
            MValue::Hash(_) => "hash",
            MValue::Stream(_) => "stream",
        }
    }
}

/// Shown in state-difference reports: strings quoted, collections as their elements.
impl std::fmt::Display for MValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MValue::Str(bytes) => write!(f, "{:?}", String::from_utf8_lossy(bytes)),
            MValue::List(items) => {
                let shown: Vec<String> = items.iter().map(|i| format!("{:?}", String::from_utf8_lossy(i))).collect();
                write!(f, "list[{}]", shown.join(", "))
            }
            MValue::Set(members) => {
                let shown: Vec<String> = members.iter().map(|m| format!("{:?}", String::from_utf8_lossy(m))).collect();
                write!(f, "set{{{}}}", shown.join(", "))
            }
            MValue::ZSet(z) => write!(f, "{z}"),
            MValue::Hash(fields) => {
                let shown: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{:?}: {:?}", String::from_utf8_lossy(k), String::from_utf8_lossy(v)))
                    .collect();
                write!(f, "hash{{{}}}", shown.join(", "))
            }
            MValue::Stream(s) => write!(f, "{s}"),
        }
    }
}

/// A key's value and absolute expire time (Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: MValue,
    /// When set, the key is dead once `now_ms > expire_at_ms`.
    pub expire_at_ms: Option<u64>,
}

impl Item {
    /// True when the key is logically expired at `now_ms`.
    pub fn is_dead(&self, now_ms: u64) -> bool {
        self.expire_at_ms.is_some_and(|at| now_ms > at)
    }
}

/// Per-connection state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientState {
    /// The selected database.
    pub db: usize,
    /// The protocol version (2 or 3). Replies are protocol-neutral, so this
    /// is recorded but changes no reply of the modelled commands.
    pub resp: u8,
    /// The commands queued since MULTI; `None` outside MULTI.
    pub queue: Option<Vec<Vec<Vec<u8>>>>,
    /// A command was refused while queuing: EXEC will abort.
    pub queue_refused: bool,
    /// The keys this client watches.
    pub watching: Vec<Watched>,
    /// A watched key was touched: EXEC will fail.
    pub watch_touched: bool,
    /// EXEC is running this client's queue.
    pub in_exec: bool,
}

impl Default for ClientState {
    fn default() -> Self {
        ClientState {
            db: 0,
            resp: 2,
            queue: None,
            queue_refused: false,
            watching: Vec::new(),
            watch_touched: false,
            in_exec: false,
        }
    }
}

/// The whole server state as the model sees it.
#[derive(Clone, Debug)]
pub struct Model {
    dbs: Vec<BTreeMap<Vec<u8>, Item>>,
    clients: BTreeMap<u64, ClientState>,
    /// Clients waiting in blocking commands, in the order they blocked.
    blocked: Vec<lists::Blocked>,
    /// Replies to blocked clients not yet taken (see `take_deliveries`).
    deliveries: Vec<(u64, Reply)>,
    /// How many WATCHes happened: orders the watchers of a key.
    watch_order: u64,
    /// The time of the command running now (writes expire a dead key first).
    clock_ms: u64,
    /// The names the running command touched (see `tx.rs`).
    touched_now: BTreeSet<(usize, Vec<u8>)>,
    /// How deep `dispatch::run` is nested (EXEC runs its queue inside).
    run_depth: u32,
    /// Every Pub/Sub subscription, oldest first.
    subscriptions: Vec<Subscription>,
    /// The `notify-keyspace-events` classes (see `notify.rs`).
    notify_flags: u32,
    /// Keyspace-event messages for the client running the command.
    own_events: Vec<Reply>,
    /// Where in `own_events` the command's reply goes (`None`: after all).
    own_split: Option<usize>,
    /// Keys the running command changed without Redis counting it as a modification (stream
    /// consumer-group bookkeeping): WATCH does not see these changes.
    quiet_changes: BTreeSet<(usize, Vec<u8>)>,
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

/// A live key's value and expire time, as returned by [`Model::keys`].
pub type KeyState = (MValue, Option<u64>);

impl Model {
    /// An empty server: 16 empty databases, no clients yet (clients appear,
    /// on db 0 with RESP2, when first used).
    pub fn new() -> Model {
        Model {
            dbs: vec![BTreeMap::new(); NUM_DBS],
            clients: BTreeMap::new(),
            blocked: Vec::new(),
            deliveries: Vec::new(),
            watch_order: 0,
            clock_ms: 0,
            touched_now: BTreeSet::new(),
            run_depth: 0,
            quiet_changes: BTreeSet::new(),
            subscriptions: Vec::new(),
            notify_flags: 0,
            own_events: Vec::new(),
            own_split: None,
        }
    }

    /// Executes one command for `client` at time `now_ms` and returns the
    /// reply Redis 7.0 would give. For commands whose reply is not fully
    /// determined (KEYS order, RANDOMKEY, SCAN, DBSIZE), this returns one
    /// valid reply; use [`Model::check`] to judge another implementation.
    pub fn apply(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
        dispatch::run(self, client, argv, now_ms)
    }

    /// The lower-case names of every command the model implements.
    pub fn command_names() -> Vec<&'static str> {
        dispatch::command_names().collect()
    }

    /// Sets a client's protocol version (what HELLO 2/3 would do).
    pub fn set_protocol(&mut self, client: u64, resp: u8) {
        self.client_mut(client).resp = resp;
    }

    /// A client's state (the default state if the client is unknown).
    pub fn client(&self, client: u64) -> ClientState {
        self.clients.get(&client).cloned().unwrap_or_default()
    }

    /// The database a client has selected.
    pub fn selected_db(&self, client: u64) -> usize {
        self.client(client).db
    }

    fn client_mut(&mut self, client: u64) -> &mut ClientState {
        self.clients.entry(client).or_default()
    }

    /// The live keys of a database at `now_ms`: values and expire times.
    pub fn keys(&self, db: usize, now_ms: u64) -> BTreeMap<Vec<u8>, KeyState> {
        let Some(map) = self.dbs.get(db) else {
            return BTreeMap::new();
        };
        map.iter()
            .filter(|(_, item)| !item.is_dead(now_ms))
            .map(|(k, item)| (k.clone(), (item.value.clone(), item.expire_at_ms)))
            .collect()
    }

    /// The live keys of every database, indexed by database number.
    pub fn all_keys(&self, now_ms: u64) -> Vec<BTreeMap<Vec<u8>, KeyState>> {
        (0..NUM_DBS).map(|db| self.keys(db, now_ms)).collect()
    }

    /// One live item, if any.
    pub fn item(&self, db: usize, key: &[u8], now_ms: u64) -> Option<&Item> {
        self.dbs.get(db)?.get(key).filter(|item| !item.is_dead(now_ms))
    }

    /// How many keys are live in `db`: the least DBSIZE may report.
    pub fn live_len(&self, db: usize, now_ms: u64) -> usize {
        self.dbs.get(db).map_or(0, |m| m.values().filter(|i| !i.is_dead(now_ms)).count())
    }

    /// How many keys Redis may still physically hold in `db` (live ones plus
    /// dead ones no command has reclaimed): the most DBSIZE may report.
    pub fn stored_len(&self, db: usize) -> usize {
        self.dbs.get(db).map_or(0, BTreeMap::len)
    }

    /// Forgets dead keys (what a complete active-expiry cycle would do).
    pub fn purge_dead(&mut self, now_ms: u64) {
        for db in 0..self.dbs.len() {
            let dead: Vec<Vec<u8>> =
                self.dbs[db].iter().filter(|(_, item)| item.is_dead(now_ms)).map(|(k, _)| k.clone()).collect();
            for key in dead {
                self.dbs[db].remove(&key);
                self.touch(db, &key);
            }
        }
    }

    // ----- primitives used by the command implementations -----

    /// Redis's lookupKey: a dead key is deleted and reported missing.
    fn lookup(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<&Item> {
        if self.dbs[db].get(key).is_some_and(|item| item.is_dead(now_ms)) {
            self.dbs[db].remove(key);
            self.touch(db, key);
        }
        self.dbs[db].get(key)
    }

    /// True when a live key exists (deleting it if it is dead).
    fn exists(&mut self, db: usize, key: &[u8], now_ms: u64) -> bool {
        self.lookup(db, key, now_ms).is_some()
    }

    /// The string value of a live key (deleting it if it is dead); a key of
    /// another type is `Err(WRONGTYPE)`.
    fn get_str(&mut self, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Vec<u8>>, Reply> {
        match self.lookup(db, key, now_ms).map(|item| &item.value) {
            None => Ok(None),
            Some(MValue::Str(bytes)) => Ok(Some(bytes.clone())),
            Some(_) => Err(wrongtype()),
        }
    }

    /// The expire time of a live key (None also when the key is missing).
    fn expire_of(&mut self, db: usize, key: &[u8], now_ms: u64) -> Option<u64> {
        self.lookup(db, key, now_ms).and_then(|i| i.expire_at_ms)
    }

    /// Stores a string, dropping any TTL unless `keep_ttl` (Redis's setKey).
    fn set_str(&mut self, db: usize, key: &[u8], value: Vec<u8>, keep_ttl: bool) {
        // A write looks the key up first, which deletes it if it is dead.
        self.lookup(db, key, self.clock_ms);
        let map = &mut self.dbs[db];
        let expire_at_ms = if keep_ttl { map.get(key).and_then(|i| i.expire_at_ms) } else { None };
        map.insert(key.to_vec(), Item { value: MValue::Str(value), expire_at_ms });
        self.touch(db, key);
    }

    /// Replaces the value of an existing key, keeping its TTL (dbOverwrite),
    /// or creates it without TTL (dbAdd).
    fn overwrite_str(&mut self, db: usize, key: &[u8], value: Vec<u8>) {
        self.set_str(db, key, value, true);
    }

    /// Sets or clears the expire time of an existing key.
    fn set_expire(&mut self, db: usize, key: &[u8], at_ms: Option<u64>) {
        let Some(item) = self.dbs[db].get_mut(key) else {
            return;
        };
        // Setting a time always counts as a write; removing none does not.
        let changed = at_ms.is_some() || item.expire_at_ms.is_some();
        item.expire_at_ms = at_ms;
        if changed {
            self.touch(db, key);
        }
    }

    /// Deletes a key after the usual lookup; true when a live key was removed.
    fn delete(&mut self, db: usize, key: &[u8], now_ms: u64) -> bool {
        let removed = self.exists(db, key, now_ms) && self.dbs[db].remove(key).is_some();
        if removed {
            self.touch(db, key);
        }
        removed
    }
}
