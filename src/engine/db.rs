//! One database: the keyspace with each key's expiry time and last access time.
//! Expiry is checked by the engine (`Ctx`), which knows the time; `Db` only stores.

use super::dict::Dict;
use super::small_bytes::SmallBytes;
use super::value::Value;
use rand_core::RngCore;

/// A key as the keyspace stores it: inline up to 22 bytes, so that a key as short as most are
/// (`user:1000`, redis-benchmark's `key:000000012345`) takes no allocation of its own and the
/// table entry stays as small as with a `Vec` header.
pub type Key = SmallBytes<22>;

/// `expire_at_ms` of a key without expiry. A `u64` with a sentinel instead of an `Option<u64>`
/// saves 8 bytes per key, which keeps a table entry (key + entry) at 88 bytes, one 96-byte
/// allocator chunk. No command can set this time: expiry times fit in an i64.
const NO_EXPIRE: u64 = u64::MAX;

/// One key's value with its metadata.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry time in Unix milliseconds, or `NO_EXPIRE` (see `expire_at_ms()`).
    expire_at: u64,
    /// Redis's 24-bit `lru` field, widened: the last access time in Unix milliseconds in the low
    /// 56 bits (OBJECT IDLETIME, LRU eviction, and the LFU counter's last decrement time), the
    /// LFU access counter XOR `LFU_INIT_COUNTER` in the top 8 bits, so that a new entry starts at
    /// Redis's initial counter without a field of its own (a field would cost 16 bytes a key).
    access: u64,
}

/// The access counter a new key starts with (Redis's LFU_INIT_VAL).
pub const LFU_INIT_COUNTER: u8 = 5;
const ACCESS_TIME_BITS: u32 = 56;
const ACCESS_TIME_MASK: u64 = (1 << ACCESS_TIME_BITS) - 1;

impl Entry {
    /// An entry expiring at `expire_at_ms` (absolute Unix milliseconds), if given, last accessed
    /// at `access_ms`, with the initial LFU counter.
    pub fn new(value: Value, expire_at_ms: Option<u64>, access_ms: u64) -> Entry {
        let mut entry = Entry { value, expire_at: NO_EXPIRE, access: access_ms & ACCESS_TIME_MASK };
        entry.set_expire_at_ms(expire_at_ms);
        entry
    }

    /// The last access time in Unix milliseconds.
    pub fn access_ms(&self) -> u64 {
        self.access & ACCESS_TIME_MASK
    }

    /// Records an access at `now_ms` (the LFU counter is kept).
    pub fn set_access_ms(&mut self, now_ms: u64) {
        self.access = (self.access & !ACCESS_TIME_MASK) | (now_ms & ACCESS_TIME_MASK);
    }

    /// The LFU access counter as last stored (before any decay).
    pub fn lfu_counter(&self) -> u8 {
        ((self.access >> ACCESS_TIME_BITS) as u8) ^ LFU_INIT_COUNTER
    }

    pub fn set_lfu_counter(&mut self, counter: u8) {
        let stored = u64::from(counter ^ LFU_INIT_COUNTER);
        self.access = (self.access & ACCESS_TIME_MASK) | (stored << ACCESS_TIME_BITS);
    }

    /// Absolute expiry time in Unix milliseconds, if the key is volatile.
    pub fn expire_at_ms(&self) -> Option<u64> {
        (self.expire_at != NO_EXPIRE).then_some(self.expire_at)
    }

    fn set_expire_at_ms(&mut self, at_ms: Option<u64>) {
        // The sentinel itself is not a time any command produces; keep such a time volatile.
        self.expire_at = at_ms.map_or(NO_EXPIRE, |t| t.min(NO_EXPIRE - 1));
    }

    /// Drops the expiry; true when there was one.
    fn take_expire(&mut self) -> bool {
        std::mem::replace(&mut self.expire_at, NO_EXPIRE) != NO_EXPIRE
    }
}

/// A database's key tables, taken out of it whole (`Db::take_tables`); dropping them frees every
/// key and value.
#[derive(Debug, Default)]
pub struct DbTables {
    keys: Dict<Key, Entry>,
    /// Never read: held so that it is freed where the tables are dropped.
    #[allow(dead_code)]
    volatile: Dict<Key, ()>,
}

impl DbTables {
    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A database: keys with values, and the set of volatile keys (those with an expiry) that the
/// active expire cycle walks.
#[derive(Clone, Debug, Default)]
pub struct Db {
    keys: Dict<Key, Entry>,
    volatile: Dict<Key, ()>,
    /// Where the active expire cycle resumes its walk of `volatile`.
    pub expire_cursor: u64,
    /// Running average TTL of sampled keys, for INFO keyspace's `avg_ttl`.
    pub avg_ttl_ms: u64,
    /// While a command runs with the `n` notification class on: the keys it created, for the
    /// `new` events (see `engine::notify`).
    pub new_keys: Option<Vec<Vec<u8>>>,
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The entry, expired or not. Commands go through `Ctx`, which expires keys first.
    pub fn entry(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.get(key)
    }

    pub fn entry_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.keys.get_mut(key)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.keys.contains_key(key)
    }

    /// True when `key` exists and its expiry time has passed at `now_ms`. As Redis's
    /// keyIsExpired, a key is still alive at exactly its expiry time (`now > when` expires it).
    pub fn is_expired(&self, key: &[u8], now_ms: u64) -> bool {
        // Only volatile keys can expire; with none, every command's passive-expiry check is
        // spared a hash lookup.
        if self.volatile.is_empty() {
            return false;
        }
        matches!(self.keys.get(key).and_then(Entry::expire_at_ms), Some(t) if t < now_ms)
    }

    /// Number of keys that are logically expired at `now_ms` but not yet removed.
    pub fn stale_count(&self, now_ms: u64) -> usize {
        self.volatile.keys().filter(|k| self.is_expired(k, now_ms)).count()
    }

    /// Number of buckets of the volatile-key table (the active expire cycle's `slots`).
    pub fn volatile_buckets(&self) -> usize {
        self.volatile.bucket_count()
    }

    /// Stores `value` under `key`, dropping any expiry (as Redis's setKey without KEEPTTL).
    pub fn set(&mut self, key: Vec<u8>, value: Value, now_ms: u64) -> Option<Entry> {
        self.volatile.remove(&key);
        if self.new_keys.is_some() && !self.keys.contains_key(&key) {
            self.journal_new(key.clone());
        }
        self.keys.insert(Key::from_vec(key), Entry::new(value, None, now_ms))
    }

    fn journal_new(&mut self, key: Vec<u8>) {
        if let Some(keys) = self.new_keys.as_mut() {
            keys.push(key);
        }
    }

    /// Stores `value` under `key`, keeping the key's expiry if it already had one. Returns the
    /// value it replaced, for the caller to free (lazily or not).
    pub fn set_keep_ttl(&mut self, key: Vec<u8>, value: Value, now_ms: u64) -> Option<Value> {
        if let Some(entry) = self.keys.get_mut(&key) {
            entry.set_access_ms(now_ms);
            Some(std::mem::replace(&mut entry.value, value))
        } else {
            if self.new_keys.is_some() {
                self.journal_new(key.clone());
            }
            self.keys.insert(Key::from_vec(key), Entry::new(value, None, now_ms));
            None
        }
    }

    /// Replaces the value of an existing key where it is, without copying the key (SET and
    /// MSET over existing keys): `Ok` with the old value, or `Err` giving `value` back when the
    /// key is absent. The expiry is dropped unless `keep_ttl`.
    pub fn overwrite(&mut self, key: &[u8], value: Value, keep_ttl: bool, now_ms: u64) -> Result<Value, Value> {
        let Some(entry) = self.keys.get_mut(key) else {
            return Err(value);
        };
        entry.set_access_ms(now_ms);
        let old = std::mem::replace(&mut entry.value, value);
        if !keep_ttl && entry.take_expire() {
            self.volatile.remove(key);
        }
        Ok(old)
    }

    /// Inserts a whole entry (used by MOVE, COPY, RENAME and loading).
    pub fn insert_entry(&mut self, key: Vec<u8>, entry: Entry) -> Option<Entry> {
        if entry.expire_at_ms().is_some() {
            self.volatile.insert(Key::from_slice(&key), ());
        } else {
            self.volatile.remove(&key);
        }
        if self.new_keys.is_some() && !self.keys.contains_key(&key) {
            self.journal_new(key.clone());
        }
        self.keys.insert(Key::from_vec(key), entry)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let entry = self.keys.remove(key)?;
        if entry.expire_at_ms().is_some() {
            self.volatile.remove(key);
        }
        Some(entry)
    }

    /// Sets an absolute expiry on an existing key; false when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at_ms: u64) -> bool {
        let Some(entry) = self.keys.get_mut(key) else {
            return false;
        };
        if entry.expire_at_ms().is_none() {
            self.volatile.insert(Key::from_slice(key), ());
        }
        entry.set_expire_at_ms(Some(at_ms));
        true
    }

    /// Removes the expiry; true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(entry) = self.keys.get_mut(key) else {
            return false;
        };
        if entry.take_expire() {
            self.volatile.remove(key);
            true
        } else {
            false
        }
    }

    pub fn expire_of(&self, key: &[u8]) -> Option<u64> {
        self.keys.get(key).and_then(Entry::expire_at_ms)
    }

    /// Takes the key tables in O(1), leaving the database empty as `clear` does (FLUSHDB ASYNC
    /// hands the old tables to lazy free).
    pub fn take_tables(&mut self) -> DbTables {
        let tables = DbTables { keys: self.keys.take(), volatile: self.volatile.take() };
        self.clear();
        tables
    }

    pub fn clear(&mut self) {
        self.keys.clear();
        self.volatile.clear();
        self.expire_cursor = 0;
        self.avg_ttl_ms = 0;
    }

    /// All keys and entries, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.keys.iter().map(|(k, e)| (k.as_slice(), e))
    }

    /// One step of SCAN over the keyspace.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &Entry)) -> u64 {
        self.keys.scan(cursor, |k, e| visit(k, e))
    }

    /// One step of a walk over the volatile keys (the active expire cycle).
    pub fn scan_volatile(&self, cursor: u64, mut visit: impl FnMut(&[u8])) -> u64 {
        self.volatile.scan(cursor, |k, _| visit(k))
    }

    /// Avoids or allows rehashing the tables (avoided while a forked child saves the dataset).
    pub fn set_resize_avoided(&mut self, avoided: bool) {
        self.keys.set_resize_avoided(avoided);
        self.volatile.set_resize_avoided(avoided);
    }

    pub fn random_key(&self, rng: &mut impl RngCore) -> Option<&[u8]> {
        self.keys.random_entry(rng).map(|(k, _)| k.as_slice())
    }

    /// Up to `count` keys sampled as Redis's dictGetSomeKeys does, from all keys or only those
    /// with an expiry (eviction's candidates).
    pub fn sample_keys(&self, rng: &mut impl RngCore, count: usize, volatile_only: bool) -> Vec<Vec<u8>> {
        if volatile_only {
            self.volatile.some_entries(rng, count).into_iter().map(|(k, _)| k.as_slice().to_vec()).collect()
        } else {
            self.keys.some_entries(rng, count).into_iter().map(|(k, _)| k.as_slice().to_vec()).collect()
        }
    }

    /// A random key among those with an expiry (eviction's volatile policies).
    pub fn random_volatile_key(&self, rng: &mut impl RngCore) -> Option<&[u8]> {
        self.volatile.random_entry(rng).map(|(k, _)| k.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_entry_fits_one_96_byte_chunk() {
        // Key and entry live together in the bucket's chain: 88 bytes plus the allocator's 8-byte
        // header is one 96-byte chunk for a key alone in its bucket.
        assert!(std::mem::size_of::<(Key, Entry)>() <= 88, "{}", std::mem::size_of::<(Key, Entry)>());
    }

    #[test]
    fn expiry_round_trips_through_the_sentinel() {
        let mut db = Db::new();
        db.set(b"k".to_vec(), Value::str(b"v".to_vec()), 5);
        assert_eq!(db.expire_of(b"k"), None);
        assert!(db.set_expire(b"k", 0));
        assert_eq!(db.expire_of(b"k"), Some(0));
        assert!(db.is_expired(b"k", 1));
        assert!(db.set_expire(b"k", u64::MAX));
        assert_eq!(db.expire_of(b"k"), Some(u64::MAX - 1));
        assert_eq!(db.volatile_len(), 1);
        assert!(db.persist(b"k"));
        assert!(!db.persist(b"k"));
        assert_eq!(db.volatile_len(), 0);
        let long_key = vec![b'k'; 40];
        db.insert_entry(long_key.clone(), Entry::new(Value::str(b"1".to_vec()), Some(9), 0));
        assert_eq!(db.expire_of(&long_key), Some(9));
        assert_eq!(db.iter().filter(|(k, _)| *k == &long_key[..]).count(), 1);
        let old = db.overwrite(&long_key, Value::str(b"2".to_vec()), false, 0);
        assert!(old.is_ok());
        assert_eq!(db.expire_of(&long_key), None);
        assert_eq!(db.volatile_len(), 0);
    }
}
