//! `Dict`: a chained hash table with a fixed-seed hash, Redis's dict.c reduced to what verdis
//! needs. Why not std's HashMap: SCAN's guarantees (every element present for the whole iteration
//! is returned, a full iteration ends even while the table grows or shrinks) come from walking
//! buckets with Redis's reverse-binary cursor, which needs the bucket of each key to be
//! `hash & mask`. Chaining gives exactly that. The seed is fixed, so iteration order is a function
//! of the history of operations: the same commands give the same SCAN and KEYS order.

use rand_core::RngCore;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The fixed hash seed. Changing it changes SCAN/KEYS order, never results.
const HASH_SEED: u64 = 0x7665_7264_6973_2121; // "verdis!!"
/// Smallest table (Redis's DICT_HT_INITIAL_SIZE).
const MIN_BUCKETS: usize = 4;

pub fn hash_bytes(key: &[u8]) -> u64 {
    xxh3_64_with_seed(key, HASH_SEED)
}

/// A bucket's chain of entries, in insertion order (removal moves the last entry into the gap).
/// An exact-size boxed slice rather than a `Vec`: 16 bytes per bucket instead of 24, and no spare
/// capacity. An empty chain allocates nothing.
type Chain<K, V> = Box<[(K, V)]>;

/// A hash table from byte-string keys to values.
#[derive(Clone, Debug)]
pub struct Dict<K, V> {
    buckets: Vec<Chain<K, V>>,
    len: usize,
    /// False while a forked child shares the memory (Redis's dict_can_resize): a resize would
    /// rewrite every bucket and copy the whole table on write. Growing then waits until the table
    /// is five times over-full (dict_force_resize_ratio), and shrinking waits.
    resize_avoided: bool,
}

impl<K: AsRef<[u8]>, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: AsRef<[u8]>, V> Dict<K, V> {
    pub fn new() -> Self {
        Dict { buckets: Vec::new(), len: 0, resize_avoided: false }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets (a power of two, or 0 for an empty table).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    fn index(&self, key: &[u8]) -> usize {
        debug_assert!(self.buckets.len().is_power_of_two());
        (hash_bytes(key) as usize) & (self.buckets.len() - 1)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.buckets.is_empty() {
            return None;
        }
        self.buckets[self.index(key)].iter().find(|(k, _)| k.as_ref() == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.buckets.is_empty() {
            return None;
        }
        let i = self.index(key);
        self.buckets[i].iter_mut().find(|(k, _)| k.as_ref() == key).map(|(_, v)| v)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&K, &V)> {
        if self.buckets.is_empty() {
            return None;
        }
        self.buckets[self.index(key)].iter().find(|(k, _)| k.as_ref() == key).map(|(k, v)| (k, v))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key.as_ref()) {
            return Some(std::mem::replace(slot, value));
        }
        self.grow_if_needed();
        let i = self.index(key.as_ref());
        push_exact(&mut self.buckets[i], (key, value));
        self.len += 1;
        None
    }

    /// Removes a key; returns its key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(K, V)> {
        if self.buckets.is_empty() {
            return None;
        }
        let i = self.index(key);
        let pos = self.buckets[i].iter().position(|(k, _)| k.as_ref() == key)?;
        let mut chain = std::mem::take(&mut self.buckets[i]).into_vec();
        let entry = chain.swap_remove(pos);
        // Back to an exact-size slice: shrinks the allocation, or frees it when empty.
        self.buckets[i] = chain.into_boxed_slice();
        self.len -= 1;
        self.shrink_if_needed();
        Some(entry)
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.len = 0;
    }

    /// Takes all the contents, leaving an empty table (O(1): used by FLUSHALL ASYNC later).
    pub fn take(&mut self) -> Dict<K, V> {
        std::mem::take(self)
    }

    /// Avoids resizing (see `resize_avoided`) or allows it again.
    pub fn set_resize_avoided(&mut self, avoided: bool) {
        self.resize_avoided = avoided;
    }

    fn grow_if_needed(&mut self) {
        /// Redis's dict_force_resize_ratio.
        const FORCE_RESIZE_RATIO: usize = 5;
        if self.buckets.is_empty() {
            self.resize(MIN_BUCKETS);
        } else if self.len >= self.buckets.len()
            && (!self.resize_avoided || self.len / self.buckets.len() > FORCE_RESIZE_RATIO)
        {
            self.resize(self.buckets.len() * 2);
        }
    }

    fn shrink_if_needed(&mut self) {
        // As Redis: shrink when under 10% full, to the smallest power of two that holds `len`.
        let size = self.buckets.len();
        if size > MIN_BUCKETS && self.len * 10 < size && !self.resize_avoided {
            let target = self.len.max(MIN_BUCKETS).next_power_of_two();
            if target < size {
                self.resize(target);
            }
        }
    }

    /// Moves every entry to a table of `new_size` buckets, old chains in order, so iteration and
    /// SCAN order are as if the entries had been inserted again. An old chain whose entries all
    /// land in one empty bucket moves there whole (its allocation is reused); otherwise its
    /// entries are appended to their buckets in exact-size steps. Growing a chain entry by entry
    /// reallocated it for every key moved (a tenth of a million-key load), and counting the
    /// chains first needed arrays the size of the table, which the allocator then kept.
    fn resize(&mut self, new_size: usize) {
        assert!(new_size.is_power_of_two() && new_size >= self.len.min(new_size));
        let old = std::mem::take(&mut self.buckets);
        self.buckets.resize_with(new_size, Chain::default);
        let mask = new_size - 1;
        let index = |k: &K| (hash_bytes(k.as_ref()) as usize) & mask;
        for chain in old {
            let Some(first) = chain.first().map(|(k, _)| index(k)) else { continue };
            if chain.iter().all(|(k, _)| index(k) == first) && self.buckets[first].is_empty() {
                self.buckets[first] = chain;
                continue;
            }
            for (k, v) in chain.into_vec() {
                let i = index(&k);
                push_exact(&mut self.buckets[i], (k, v));
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.buckets.iter().flat_map(|b| b.iter().map(|(k, v)| (k, v)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.buckets.iter_mut().flat_map(|b| b.iter_mut().map(|(k, v)| (&*k, v)))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// Consumes the table, yielding its entries.
    pub fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.buckets.into_iter().flat_map(|b| b.into_vec())
    }

    /// Visits one bucket for SCAN and returns the next cursor (0 when the iteration is complete).
    /// Redis's reverse-binary cursor: increments the high bits first, so buckets already visited
    /// stay visited when the table doubles or halves.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        for (k, v) in self.buckets[(cursor & mask) as usize].iter() {
            visit(k, v);
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// The entries of bucket `index & (bucket_count - 1)` (none for an empty table): for
    /// samplers that walk buckets, such as a fair random draw.
    pub fn bucket_entries(&self, index: usize) -> impl Iterator<Item = (&K, &V)> {
        let bucket = match self.buckets.len() {
            0 => None,
            n => self.buckets.get(index & (n - 1)),
        };
        bucket.into_iter().flat_map(|b| b.iter().map(|(k, v)| (k, v)))
    }

    /// A random entry: a random non-empty bucket, then a random element of its chain, as Redis's
    /// dictGetRandomKey. Bounded: after many empty buckets it walks forward from the last one.
    pub fn random_entry(&self, rng: &mut impl RngCore) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut index = (rng.next_u64() as usize) & mask;
        const MAX_PROBES: usize = 1024;
        for _ in 0..MAX_PROBES {
            if !self.buckets[index].is_empty() {
                break;
            }
            index = (rng.next_u64() as usize) & mask;
        }
        for step in 0..self.buckets.len() {
            let bucket = &self.buckets[(index + step) & mask];
            if !bucket.is_empty() {
                let (k, v) = &bucket[(rng.next_u64() as usize) % bucket.len()];
                return Some((k, v));
            }
        }
        unreachable!("a non-empty dict has a non-empty bucket");
    }

    /// Up to `count` distinct entries from consecutive buckets, starting at a random one and
    /// walking at most `count * 10` buckets (Redis's dictGetSomeKeys: cheaper than `count` random
    /// picks and not uniform, but it returns every entry of a small table).
    pub fn some_entries(&self, rng: &mut impl RngCore, count: usize) -> Vec<(&K, &V)> {
        let count = count.min(self.len);
        let mut out = Vec::with_capacity(count);
        if count == 0 {
            return out;
        }
        let mask = self.buckets.len() - 1;
        let start = rng.next_u64() as usize;
        for step in 0..count.saturating_mul(10).min(self.buckets.len()) {
            for (k, v) in self.buckets[(start + step) & mask].iter() {
                if out.len() == count {
                    return out;
                }
                out.push((k, v));
            }
        }
        out
    }
}

/// Appends to a chain, growing it by exactly one entry. Chains hold one or two entries at the
/// usual load factor, and `Vec`'s default growth reserves four: 3 of every 4 slots would be empty,
/// which tripled the memory per key (and with it fork time and free time) for a keyspace of
/// small values.
fn push_exact<T>(bucket: &mut Box<[T]>, item: T) {
    let mut chain = std::mem::take(bucket).into_vec();
    chain.reserve_exact(1);
    chain.push(item);
    *bucket = chain.into_boxed_slice(); // capacity == length: no reallocation here
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use std::collections::BTreeSet;

    #[test]
    fn insert_get_remove() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        for i in 0..1000u32 {
            assert!(d.insert(i.to_string().into_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(b"500"), Some(&500));
        for i in 0..990u32 {
            assert_eq!(d.remove(i.to_string().as_bytes()), Some(i));
        }
        assert_eq!(d.len(), 10);
        assert!(d.bucket_count() <= 16);
    }

    #[test]
    fn scan_survives_resizes() {
        let mut d: Dict<Vec<u8>, ()> = Dict::new();
        for i in 0..500u32 {
            d.insert(format!("k{i}").into_bytes(), ());
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut extra = 0u32;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            // Grow while iterating; the original keys must all be seen.
            for _ in 0..20 {
                if extra < 3000 {
                    d.insert(format!("x{extra}").into_bytes(), ());
                    extra += 1;
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500u32 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i} missed");
        }
    }

    #[test]
    fn iteration_walks_buckets_in_order_through_removals() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        for i in 0..1000u32 {
            d.insert(format!("k{i}").into_bytes(), i);
        }
        for i in (0..1000u32).step_by(3) {
            assert_eq!(d.remove(format!("k{i}").as_bytes()), Some(i));
        }
        let by_bucket: Vec<u32> = (0..d.bucket_count()).flat_map(|b| d.bucket_entries(b).map(|(_, v)| *v)).collect();
        let iterated: Vec<u32> = d.iter().map(|(_, v)| *v).collect();
        assert_eq!(iterated, by_bucket);
        assert_eq!(iterated.len(), d.len());
        for i in 0..1000u32 {
            assert_eq!(d.get(format!("k{i}").as_bytes()).is_some(), i % 3 != 0);
        }
        let entries: Vec<u32> = d.clone().into_entries().map(|(_, v)| v).collect();
        assert_eq!(entries, iterated);
    }

    #[test]
    fn random_entry_is_seeded() {
        let mut d: Dict<Vec<u8>, ()> = Dict::new();
        for i in 0..100u32 {
            d.insert(format!("k{i}").into_bytes(), ());
        }
        let mut a = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut b = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(d.random_entry(&mut a).map(|e| e.0.clone()), d.random_entry(&mut b).map(|e| e.0.clone()));
    }
}
