//! Loading an RDB file into the engine: records from the reader become keys, with Redis's rules
//! (expired keys skipped on a master, empty containers skipped, duplicate keys refused unless
//! merging). Loading is incremental: `Loader::step` reads a bounded number of bytes, so the server
//! can keep answering clients (with LOADING) during a long load.
//!
//! Values of types the engine does not hold yet (streams, module values) and function
//! libraries are refused with an error naming the key and the type: the file parses, but verdis
//! will not load part of a dataset silently. Each type family replaces its arm in `engine_value`.

use super::rdb::decode::{FileDecoder, KeyRecord, Record};
use super::rdb::input::Source;
use super::rdb::{RdbError, RdbValue};
use crate::engine::config::LogLevel;
use crate::engine::db::Entry;
use crate::engine::value::{StrValue, Value};
use crate::engine::Engine;
use std::fmt;

/// Why a load stopped.
#[derive(Debug)]
pub enum LoadError {
    /// The file is unreadable or malformed.
    Rdb(RdbError),
    /// The file is well formed but cannot be loaded into this server.
    Refused(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Rdb(e) => write!(f, "{e}"),
            LoadError::Refused(what) => write!(f, "{what}"),
        }
    }
}

impl From<RdbError> for LoadError {
    fn from(e: RdbError) -> Self {
        LoadError::Rdb(e)
    }
}

/// Counters of one load (INFO's rdb_last_load_keys_*).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
}

/// The encoding limits a loaded value is given (the `*-max-*` parameters in force), as Redis's
/// loader converts a value that exceeds them.
#[derive(Clone, Copy, Debug)]
pub struct LoadEncodings {
    pub set_max_intset_entries: u64,
    pub zset: crate::engine::zset::Limits,
    pub hash: crate::engine::hash::HashLimits,
    pub list_fill: i64,
}

impl LoadEncodings {
    pub fn from_config(c: &crate::engine::config::Config) -> LoadEncodings {
        LoadEncodings {
            set_max_intset_entries: c.set_max_intset_entries(),
            zset: crate::engine::zset::Limits {
                max_entries: c.zset_max_listpack_entries(),
                max_value: c.zset_max_listpack_value(),
            },
            hash: crate::engine::hash::HashLimits {
                max_entries: c.hash_max_listpack_entries(),
                max_value_bytes: c.hash_max_listpack_value(),
            },
            list_fill: c.list_max_listpack_size(),
        }
    }
}

impl Default for LoadEncodings {
    /// Redis's default limits.
    fn default() -> LoadEncodings {
        LoadEncodings::from_config(&crate::engine::config::Config::default())
    }
}

/// Converts a value read from RDB into an engine value. Strings get the encoding Redis gives a
/// loaded string (int, embstr or raw, as tryObjectEncoding); collections the compact encoding
/// while they fit `enc`'s limits, as Redis's loader decides.
pub fn engine_value(key: &[u8], value: RdbValue, enc: &LoadEncodings) -> Result<Value, String> {
    match value {
        RdbValue::String(bytes) => Ok(Value::Str(StrValue::from_bytes(bytes))),
        RdbValue::Set(members) => {
            // An intset while every member is an integer and the count fits, a hashtable otherwise.
            let mut set = crate::engine::set_value::SetValue::new_intset();
            for member in &members {
                set.add(member, enc.set_max_intset_entries);
            }
            Ok(Value::Set(set))
        }
        // Members are distinct: the decoder refused duplicates.
        RdbValue::ZSet(elements) => Ok(Value::ZSet(crate::engine::zset::ZSet::from_distinct(elements, enc.zset))),
        RdbValue::List(items) => Ok(Value::List(crate::engine::list::ListValue::from_items(items, enc.list_fill))),
        // A quicklist keeps the file's nodes, as Redis's loader appends each node as it is.
        RdbValue::Quicklist { items, node_lens } => {
            Ok(Value::List(crate::engine::list::ListValue::from_nodes(items, &node_lens, enc.list_fill)))
        }
        RdbValue::Hash(fields) => {
            if fields.iter().any(|f| f.expire_at_ms.is_some()) {
                return Err(format!(
                    "verdis cannot load hash fields with expiry times (key '{}')",
                    String::from_utf8_lossy(key)
                ));
            }
            // Fields in file order; distinct: the decoder refused duplicates.
            let pairs = fields.into_iter().map(|f| (f.field, f.value)).collect();
            Ok(Value::Hash(crate::engine::hash::Hash::from_distinct(pairs, enc.hash)))
        }
        RdbValue::Stream(stream) => Ok(Value::Stream(Box::new(stream_value(*stream)))),
        RdbValue::Module(m) => {
            Err(format!("The RDB file contains module data I can't load: no matching module type '{}'", m.name))
        }
    }
}

/// A loaded stream with Redis's node layout, tombstones, groups and consumers.
fn stream_value(rdb: super::rdb::RdbStream) -> crate::engine::stream::Stream {
    use crate::engine::stream::{Consumer, Group, Item, Nack, Node, Stream, StreamId};
    let id = |i: super::rdb::StreamId| StreamId::new(i.ms, i.seq);
    let mut s = Stream::new();
    for n in rdb.node_list {
        let items = n
            .items
            .into_iter()
            .map(|it| Item { id: id(it.id), deleted: it.deleted, same_fields: it.same_fields, fields: it.fields })
            .collect();
        if let Some(node) = Node::from_parts(n.master_fields, items) {
            if node.live > 0 {
                s.nodes.insert(id(n.master), node);
            }
        }
    }
    s.length = rdb.length;
    s.last_id = id(rdb.last_id);
    s.first_id = id(rdb.first_id);
    s.max_deleted_id = id(rdb.max_deleted_id);
    s.entries_added = rdb.entries_added;
    for g in rdb.groups {
        // Files from before Redis 7.0 have no read counters: Redis estimates them on load.
        let entries_read = if rdb.legacy { s.estimate_entries_read(id(g.last_id)) } else { g.entries_read };
        let mut group = Group::new(id(g.last_id), entries_read);
        for c in &g.consumers {
            let pending = c.pending.iter().map(|p| id(*p)).collect();
            group.consumers.insert(c.name.clone(), Consumer { seen_time_ms: c.seen_time_ms, pending });
        }
        for p in g.pending {
            let consumer = p.consumer.unwrap_or_default();
            let nack = Nack { delivery_time_ms: p.delivery_time_ms, delivery_count: p.delivery_count, consumer };
            group.pel.insert(id(p.id), nack);
        }
        s.groups.insert(g.name, group);
    }
    s
}

/// An RDB load in progress.
pub struct Loader<S: Source> {
    decoder: FileDecoder<S>,
    pub stats: LoadStats,
    /// Replace keys that already exist (DEBUG RELOAD MERGE) instead of refusing the file.
    allow_dup: bool,
    /// Time used to decide which keys have already expired.
    now_ms: u64,
    done: bool,
    /// Keep keys whose expiry has passed (an AOF base: the commands after it may still touch
    /// them, as Redis loads an AOF preamble with RDBFLAGS_AOF_PREAMBLE).
    pub keep_expired: bool,
    /// The `repl-stream-db` aux field: the database a master's stream had selected.
    pub repl_stream_db: Option<u64>,
    /// The `repl-id` and `repl-offset` aux fields: the replication history the data is at.
    pub repl_id: Option<String>,
    pub repl_offset: Option<i64>,
}

impl<S: Source> Loader<S> {
    /// The replication state the file records (rdbSaveInfo), when complete: ID, offset and the
    /// stream's database.
    pub fn repl_info(&self) -> Option<(String, u64, usize)> {
        let id = self.repl_id.clone()?;
        let offset = u64::try_from(self.repl_offset?).ok()?;
        Some((id, offset, usize::try_from(self.repl_stream_db?).ok()?))
    }

    pub fn new(src: S, now_ms: u64, allow_dup: bool, verify_checksum: bool) -> Result<Loader<S>, LoadError> {
        let mut decoder = FileDecoder::new(src)?;
        decoder.verify_checksum = verify_checksum;
        Ok(Loader {
            decoder,
            stats: LoadStats::default(),
            allow_dup,
            now_ms,
            done: false,
            keep_expired: false,
            repl_stream_db: None,
            repl_id: None,
            repl_offset: None,
        })
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.decoder.offset()
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Loads records until at least `budget_bytes` more bytes have been read, or the file ends.
    /// Returns true once the whole file is loaded.
    pub fn step(&mut self, engine: &mut Engine, budget_bytes: u64) -> Result<bool, LoadError> {
        let stop_at = self.decoder.offset().saturating_add(budget_bytes);
        let enc = LoadEncodings::from_config(&engine.config);
        while !self.done && self.decoder.offset() < stop_at {
            match self.decoder.next_record()? {
                None => self.done = true,
                Some(record) => self.apply(engine, record, &enc)?,
            }
        }
        Ok(self.done)
    }

    fn apply(&mut self, engine: &mut Engine, record: Record, enc: &LoadEncodings) -> Result<(), LoadError> {
        match record {
            Record::Aux { key, value } => {
                let text = || std::str::from_utf8(&value).ok().map(str::trim);
                match key.as_slice() {
                    b"repl-stream-db" => self.repl_stream_db = text().and_then(|v| v.parse().ok()),
                    b"repl-id" => self.repl_id = text().filter(|v| v.len() == 40).map(str::to_string),
                    b"repl-offset" => self.repl_offset = text().and_then(|v| v.parse().ok()),
                    _ => {}
                }
                log_aux(engine, &key, &value, self.now_ms)
            }
            Record::SelectDb(db) => {
                if db >= engine.dbs.len() as u64 {
                    return Err(LoadError::Refused(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        engine.dbs.len()
                    )));
                }
            }
            Record::ResizeDb { .. } | Record::SlotInfo { .. } => {}
            Record::Function(code) => {
                if let Err(e) = engine.function_load(&code, true) {
                    return Err(LoadError::Refused(format!("Failed loading library, {e}")));
                }
            }
            Record::ModuleAux { name, .. } => {
                return Err(LoadError::Refused(format!(
                    "The RDB file contains AUX module data I can't load: no matching module '{name}'"
                )))
            }
            Record::Key(k) => self.load_key(engine, k, enc)?,
            Record::Eof { stored_crc, .. } => {
                if stored_crc == Some(0) {
                    engine
                        .persist
                        .log(LogLevel::Notice, "RDB file was saved with checksum disabled: no check performed.");
                }
            }
        }
        Ok(())
    }

    fn load_key(&mut self, engine: &mut Engine, k: KeyRecord, enc: &LoadEncodings) -> Result<(), LoadError> {
        let db = k.db as usize;
        if db >= engine.dbs.len() {
            return Err(LoadError::Refused("key in a database this server does not have".into()));
        }
        if k.value.is_empty_container() {
            if self.stats.empty_keys_skipped < 10 {
                let key = String::from_utf8_lossy(&k.key).into_owned();
                engine.persist.log(LogLevel::Notice, &format!("rdbLoadObject skipping empty key: {key}"));
            }
            self.stats.empty_keys_skipped += 1;
            return Ok(());
        }
        // A master drops keys that expired while the file sat on disk.
        if !self.keep_expired && k.expire_at_ms.is_some_and(|t| t < 0 || (t as u64) < self.now_ms) {
            self.stats.keys_expired += 1;
            return Ok(());
        }
        let value = engine_value(&k.key, k.value, enc).map_err(LoadError::Refused)?;
        let idle_ms = k.idle_s.unwrap_or(0).saturating_mul(1000);
        let mut entry = Entry::new(value, k.expire_at_ms.map(|t| t as u64), self.now_ms.saturating_sub(idle_ms));
        if let Some(counter) = k.freq {
            entry.set_lfu_counter(counter);
        }
        if engine.dbs[db].contains(&k.key) {
            if !self.allow_dup {
                let key = String::from_utf8_lossy(&k.key).into_owned();
                return Err(LoadError::Refused(format!(
                    "RDB has duplicated key '{key}' in DB {db}: Duplicated key found in RDB file"
                )));
            }
            engine.dbs[db].remove(&k.key);
        }
        engine.dbs[db].insert_entry(k.key, entry);
        self.stats.keys_loaded += 1;
        Ok(())
    }
}

/// Logs what Redis logs about the aux fields it recognises.
fn log_aux(engine: &mut Engine, key: &[u8], value: &[u8], now_ms: u64) {
    let text = String::from_utf8_lossy(value).into_owned();
    let lower = String::from_utf8_lossy(key).to_ascii_lowercase();
    let message = match lower.as_str() {
        k if k.starts_with('%') => format!("RDB '{}': {text}", String::from_utf8_lossy(key)),
        "redis-ver" => format!("Loading RDB produced by version {text}"),
        "ctime" => {
            let ctime: i64 = text.trim().parse().unwrap_or(0);
            format!("RDB age {} seconds", (now_ms as i64 / 1000 - ctime).max(0))
        }
        "used-mem" => {
            let used: i64 = text.trim().parse().unwrap_or(0);
            engine.persist.loading_rdb_used_mem = used.max(0) as u64;
            format!("RDB memory usage when created {:.2} Mb", used as f64 / (1024.0 * 1024.0))
        }
        "aof-preamble" if text.trim() != "0" => "RDB has an AOF tail".to_string(),
        "aof-base" if text.trim() != "0" => "RDB is base AOF".to_string(),
        _ => return,
    };
    engine.persist.log(LogLevel::Notice, &message);
}
