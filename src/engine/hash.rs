//! The hash value type, in Redis 7.0's two encodings (t_hash.c):
//!
//! - `listpack`: field/value pairs in one flat sequence, in insertion order (a new field goes to
//!   the tail, an updated field keeps its place, a deleted one closes the gap). Lookups are linear,
//!   as Redis's lpFind; the encoding only holds small hashes.
//! - `hashtable`: a `Dict` (fixed-seed chained table with Redis's SCAN cursor).
//!
//! A hash starts as a listpack and becomes a hashtable, never the other way, when a field or value
//! longer than `hash-max-listpack-value` is written, when it grows past
//! `hash-max-listpack-entries` fields, or when the listpack would pass Redis's 1 GiB safety size.

use super::dict::Dict;

/// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack is never allowed to grow past this.
const LISTPACK_MAX_SAFETY_BYTES: usize = 1 << 30;

/// The size limits that decide the encoding (the `hash-max-listpack-*` parameters).
#[derive(Clone, Copy, Debug)]
pub struct HashLimits {
    pub max_entries: u64,
    pub max_value_bytes: u64,
}

/// A hash value.
#[derive(Clone, Debug)]
pub enum Hash {
    Listpack(Vec<(Vec<u8>, Vec<u8>)>),
    Table(Dict<Vec<u8>, Vec<u8>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

/// Two hashes are equal when they hold the same pairs, whatever their encoding and order.
impl PartialEq for Hash {
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Hash {
    /// An empty hash: Redis's createHashObject makes a listpack.
    pub fn new() -> Hash {
        Hash::Listpack(Vec::new())
    }

    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(pairs) => pairs.len(),
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// lazyfreeGetFreeEffort: a listpack is one allocation, a table one per field.
    pub fn free_effort(&self) -> usize {
        match self {
            Hash::Listpack(_) => 1,
            Hash::Table(d) => d.len(),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(pairs) => pairs.iter().find(|(f, _)| f == field).map(|(_, v)| v.as_slice()),
            Hash::Table(d) => d.get(field).map(Vec::as_slice),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// The pairs in iteration order (insertion order for a listpack, table order otherwise).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(pairs) => Box::new(pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice()))),
            Hash::Table(d) => Box::new(d.iter().map(|(f, v)| (f.as_slice(), v.as_slice()))),
        }
    }

    /// Converts a listpack to a table (hashTypeConvert); a table stays as it is.
    pub fn convert_to_table(&mut self) {
        if let Hash::Listpack(pairs) = self {
            let mut d = Dict::new();
            for (f, v) in std::mem::take(pairs) {
                d.insert(f, v);
            }
            *self = Hash::Table(d);
        }
    }

    /// The bytes a listpack of these pairs takes, closely enough for the 1 GiB safety limit: each
    /// entry has up to 5 bytes of header and up to 5 of back-length.
    fn listpack_bytes(pairs: &[(Vec<u8>, Vec<u8>)]) -> usize {
        pairs.iter().map(|(f, v)| f.len() + v.len() + 20).sum::<usize>() + 7
    }

    /// Redis's hashTypeTryConversion before HSET/HSETNX write `args` (fields and values): a
    /// listpack becomes a table when any of them is longer than the value limit or when adding
    /// them all could pass the listpack safety size.
    pub fn prepare_for<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: HashLimits) {
        let Hash::Listpack(pairs) = self else {
            return;
        };
        let mut sum = 0usize;
        let mut too_long = false;
        for arg in args {
            if arg.len() as u64 > limits.max_value_bytes {
                too_long = true;
                break;
            }
            sum = sum.saturating_add(arg.len());
        }
        // Every stored entry is at most `max_value_bytes` long, so the exact size is only needed
        // when that bound gets near the safety limit.
        let bound = (pairs.len() as u64)
            .saturating_mul(limits.max_value_bytes.saturating_add(10).saturating_mul(2))
            .saturating_add(sum as u64);
        let near_limit = bound > LISTPACK_MAX_SAFETY_BYTES as u64;
        if too_long || (near_limit && Hash::listpack_bytes(pairs).saturating_add(sum) > LISTPACK_MAX_SAFETY_BYTES) {
            self.convert_to_table();
        }
    }

    /// Sets a field (hashTypeSet); returns true when the field existed (an update). A listpack
    /// becomes a table first if the field or value is too long, and afterwards if it has too
    /// many fields.
    pub fn set(&mut self, field: &[u8], value: Vec<u8>, limits: HashLimits) -> bool {
        if let Hash::Listpack(_) = self {
            if field.len() as u64 > limits.max_value_bytes || value.len() as u64 > limits.max_value_bytes {
                self.convert_to_table();
            }
        }
        match self {
            Hash::Listpack(pairs) => {
                let updated = match pairs.iter_mut().find(|(f, _)| f == field) {
                    Some(pair) => {
                        pair.1 = value;
                        true
                    }
                    None => {
                        pairs.push((field.to_vec(), value));
                        false
                    }
                };
                if pairs.len() as u64 > limits.max_entries {
                    self.convert_to_table();
                }
                updated
            }
            Hash::Table(d) => match d.get_mut(field) {
                Some(slot) => {
                    *slot = value;
                    true
                }
                None => {
                    d.insert(field.to_vec(), value);
                    false
                }
            },
        }
    }

    /// Deletes a field; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(pairs) => match pairs.iter().position(|(f, _)| f == field) {
                Some(i) => {
                    pairs.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    /// One step of HSCAN over a table: visits one bucket and returns the next cursor. `None` for
    /// a listpack, which HSCAN returns whole.
    pub fn scan_table(&self, cursor: u64, visit: impl FnMut(&Vec<u8>, &Vec<u8>)) -> Option<u64> {
        match self {
            Hash::Listpack(_) => None,
            Hash::Table(d) => Some(d.scan(cursor, visit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HashLimits = HashLimits { max_entries: 3, max_value_bytes: 4 };

    #[test]
    fn listpack_keeps_insertion_order_and_converts_past_the_entry_limit() {
        let mut h = Hash::new();
        assert!(!h.set(b"b", b"1".to_vec(), LIMITS));
        assert!(!h.set(b"a", b"2".to_vec(), LIMITS));
        assert!(h.set(b"b", b"3".to_vec(), LIMITS));
        let order: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(order, vec![&b"b"[..], &b"a"[..]]);
        h.set(b"c", b"x".to_vec(), LIMITS);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"d", b"x".to_vec(), LIMITS);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"b"), Some(&b"3"[..]));
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn long_fields_or_values_convert() {
        let mut h = Hash::new();
        h.set(b"f", b"12345".to_vec(), LIMITS);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.prepare_for([&b"f"[..], &b"12345"[..]], LIMITS);
        assert_eq!(h.encoding(), "hashtable");
        let mut h = Hash::new();
        h.prepare_for([&b"f"[..], &b"1234"[..]], LIMITS);
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn equality_ignores_encoding_and_order() {
        let mut a = Hash::new();
        a.set(b"x", b"1".to_vec(), LIMITS);
        a.set(b"y", b"2".to_vec(), LIMITS);
        let mut b = Hash::new();
        b.set(b"y", b"2".to_vec(), LIMITS);
        b.set(b"x", b"1".to_vec(), LIMITS);
        b.convert_to_table();
        assert_eq!(a, b);
        assert!(a.remove(b"x"));
        assert!(!a.remove(b"x"));
        assert_ne!(a, b);
    }
}
