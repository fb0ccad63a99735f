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
use super::packed::Packed;

/// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack is never allowed to grow past this.
const LISTPACK_MAX_SAFETY_BYTES: usize = 1 << 30;

/// The size limits that decide the encoding (the `hash-max-listpack-*` parameters).
#[derive(Clone, Copy, Debug)]
pub struct HashLimits {
    pub max_entries: u64,
    pub max_value_bytes: u64,
}

/// A hash value. The representation stays private so that callers go through the methods and
/// the listpack's layout can change without them noticing.
#[derive(Clone, Debug)]
pub struct Hash {
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// field, value, field, value, ... in one allocation (`Packed`), as Redis's listpack.
    Listpack(Packed),
    /// Fields and values as exact-size boxes: 16 bytes each in the table instead of a `Vec`'s
    /// 24, and no spare capacity.
    Table(Dict<Box<[u8]>, Box<[u8]>>),
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
        Hash { repr: Repr::Listpack(Packed::new()) }
    }

    /// A hash of `pairs` whose fields are known to be distinct (a loaded RDB value: the decoder
    /// checked), built at once: what setting them one by one would give (a listpack while every
    /// field and value fits `limits` and there are few enough, a table with the same insertion
    /// history otherwise), without a linear search per field.
    pub fn from_distinct(pairs: Vec<(Vec<u8>, Vec<u8>)>, limits: HashLimits) -> Hash {
        let short = |b: &[u8]| b.len() as u64 <= limits.max_value_bytes;
        if pairs.len() as u64 <= limits.max_entries && pairs.iter().all(|(f, v)| short(f) && short(v)) {
            let packed = Packed::from_pairs(pairs.iter().map(|(f, v)| (f.as_slice(), v.as_slice())));
            return Hash { repr: Repr::Listpack(packed) };
        }
        let mut d = Dict::new();
        for (f, v) in pairs {
            d.insert(f.into_boxed_slice(), v.into_boxed_slice());
        }
        Hash { repr: Repr::Table(d) }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(p) => p.len() / 2,
            Repr::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// lazyfreeGetFreeEffort: a listpack is one allocation, a table one per field.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Listpack(_) => 1,
            Repr::Table(d) => d.len(),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Listpack(p) => p.pairs().find(|(f, _)| *f == field).map(|(_, v)| v),
            Repr::Table(d) => d.get(field).map(|v| &v[..]),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// The pairs in iteration order (insertion order for a listpack, table order otherwise).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(p) => Box::new(p.pairs()),
            Repr::Table(d) => Box::new(d.iter().map(|(f, v)| (&f[..], &v[..]))),
        }
    }

    /// Converts a listpack to a table (hashTypeConvert); a table stays as it is.
    pub fn convert_to_table(&mut self) {
        if let Repr::Listpack(p) = &self.repr {
            let mut d = Dict::new();
            for (f, v) in p.pairs() {
                d.insert(Box::from(f), Box::from(v));
            }
            self.repr = Repr::Table(d);
        }
    }

    /// The bytes a listpack of these pairs takes, closely enough for the 1 GiB safety limit: each
    /// entry has up to 5 bytes of header and up to 5 of back-length.
    fn listpack_bytes(pairs: &Packed) -> usize {
        pairs.pairs().map(|(f, v)| f.len() + v.len() + 20).sum::<usize>() + 7
    }

    /// Redis's hashTypeTryConversion before HSET/HSETNX write `args` (fields and values): a
    /// listpack becomes a table when any of them is longer than the value limit or when adding
    /// them all could pass the listpack safety size.
    pub fn prepare_for<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: HashLimits) {
        let Repr::Listpack(pairs) = &self.repr else {
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
        let bound = (self.len() as u64)
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
        if self.is_listpack()
            && (field.len() as u64 > limits.max_value_bytes || value.len() as u64 > limits.max_value_bytes)
        {
            self.convert_to_table();
        }
        match &mut self.repr {
            Repr::Listpack(p) => {
                // An update rewrites the value in place, keeping the field's position; a new
                // field goes to the tail.
                let updated = match p.find(field, 0, 2) {
                    Some(i) => p.replace(i + 1, &value),
                    None => {
                        p.insert_many(p.len(), &[field, &value]);
                        false
                    }
                };
                if p.len() as u64 / 2 > limits.max_entries {
                    self.convert_to_table();
                }
                updated
            }
            Repr::Table(d) => match d.get_mut(field) {
                Some(slot) => {
                    *slot = value.into_boxed_slice();
                    true
                }
                None => {
                    d.insert(Box::from(field), value.into_boxed_slice());
                    false
                }
            },
        }
    }

    /// Deletes a field; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Listpack(p) => match p.find(field, 0, 2) {
                Some(i) => {
                    p.remove_range(i, 2);
                    true
                }
                None => false,
            },
            Repr::Table(d) => d.remove(field).is_some(),
        }
    }

    /// One step of HSCAN over a table: visits one bucket and returns the next cursor. `None` for
    /// a listpack, which HSCAN returns whole.
    pub fn scan_table(&self, cursor: u64, mut visit: impl FnMut(&[u8], &[u8])) -> Option<u64> {
        match &self.repr {
            Repr::Listpack(_) => None,
            Repr::Table(d) => Some(d.scan(cursor, |f, v| visit(f, v))),
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
    fn listpack_deletes_close_the_gap_and_updates_keep_their_place() {
        let mut h = Hash::new();
        for (f, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
            h.set(f.as_bytes(), v.as_bytes().to_vec(), LIMITS);
        }
        assert!(h.remove(b"b"));
        assert!(!h.set(b"d", b"".to_vec(), LIMITS));
        assert!(h.set(b"a", b"1234".to_vec(), LIMITS));
        let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"a"[..], &b"1234"[..]), (b"c", b"3"), (b"d", b"")]);
        assert_eq!(h.len(), 3);
        assert_eq!(h.get(b"d"), Some(&b""[..]));
        assert_eq!(h.get(b"3"), None, "values are not fields");
        assert!(!h.remove(b"3"));
        h.convert_to_table();
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"a"), Some(&b"1234"[..]));
        assert_eq!(h.len(), 3);
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
