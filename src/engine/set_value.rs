//! The set type's value in Redis 7.0's two encodings: `intset` (a sorted array of 64-bit
//! integers, used while every member is the canonical decimal text of an integer and there are
//! at most `set-max-intset-entries` of them) and `hashtable` (a `Dict`, whose bucket walk gives
//! SSCAN Redis's cursor guarantees). A set moves from intset to hashtable when a member that is
//! not an integer arrives or the limit is passed, and never moves back (Redis 7.0 has no
//! listpack sets and never converts a hashtable back).

use super::dict::Dict;
use crate::resp::parse::parse_i64;
use rand_core::RngCore;
use std::borrow::Cow;

/// Redis caps the intset size at 2^30 entries whatever the configuration says.
const INTSET_HARD_LIMIT: u64 = 1 << 30;

/// A set value.
#[derive(Clone, Debug)]
pub enum SetValue {
    /// `intset`: members in ascending order, no duplicates.
    Ints(Vec<i64>),
    /// `hashtable`: members as exact-size boxes (16 bytes in the table rather than a `Vec`'s 24,
    /// and no spare capacity).
    Hash(Dict<Box<[u8]>, ()>),
}

impl PartialEq for SetValue {
    /// Two sets are equal when they hold the same members in the same encoding.
    fn eq(&self, other: &SetValue) -> bool {
        match (self, other) {
            (SetValue::Ints(a), SetValue::Ints(b)) => a == b,
            (SetValue::Hash(a), SetValue::Hash(b)) => a.len() == b.len() && a.keys().all(|k| b.contains_key(k)),
            _ => false,
        }
    }
}

/// The integer a member stands for in an intset: only the canonical decimal form of an i64
/// (Redis's string2ll: no sign `+`, no leading zeros, no spaces, `-0` excluded).
pub fn member_as_int(member: &[u8]) -> Option<i64> {
    parse_i64(member)
}

impl SetValue {
    /// An empty intset (Redis's createIntsetObject): the start of every computed set.
    pub fn new_intset() -> SetValue {
        SetValue::Ints(Vec::new())
    }

    /// An empty set in the encoding that can hold `first` (Redis's setTypeCreate).
    pub fn new_for(first: &[u8]) -> SetValue {
        if member_as_int(first).is_some() {
            SetValue::Ints(Vec::new())
        } else {
            SetValue::Hash(Dict::new())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Ints(v) => v.len(),
            SetValue::Hash(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Ints(_) => "intset",
            SetValue::Hash(_) => "hashtable",
        }
    }

    /// Redis's lazyfreeGetFreeEffort: an intset is one allocation, a hash table one per member.
    pub fn free_effort(&self) -> usize {
        match self {
            SetValue::Ints(_) => 1,
            SetValue::Hash(d) => d.len(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::Ints(v) => member_as_int(member).is_some_and(|n| v.binary_search(&n).is_ok()),
            SetValue::Hash(d) => d.contains_key(member),
        }
    }

    /// Adds a member; false when it was already there (Redis's setTypeAdd). `max_intset` is
    /// `set-max-intset-entries`: an intset growing past it becomes a hash table.
    pub fn add(&mut self, member: &[u8], max_intset: u64) -> bool {
        match self {
            SetValue::Hash(d) => {
                if d.contains_key(member) {
                    return false;
                }
                d.insert(Box::from(member), ());
                true
            }
            SetValue::Ints(v) => match member_as_int(member) {
                Some(n) => {
                    let Err(pos) = v.binary_search(&n) else {
                        return false;
                    };
                    v.insert(pos, n);
                    if v.len() as u64 > max_intset.min(INTSET_HARD_LIMIT) {
                        self.convert_to_hash();
                    }
                    true
                }
                None => {
                    self.convert_to_hash();
                    if let SetValue::Hash(d) = self {
                        d.insert(Box::from(member), ());
                    }
                    true
                }
            },
        }
    }

    /// Removes a member; false when it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Hash(d) => d.remove(member).is_some(),
            SetValue::Ints(v) => match member_as_int(member).map(|n| v.binary_search(&n)) {
                Some(Ok(pos)) => {
                    v.remove(pos);
                    true
                }
                _ => false,
            },
        }
    }

    /// Turns an intset into a hash table holding the same members (Redis's setTypeConvert).
    fn convert_to_hash(&mut self) {
        if let SetValue::Ints(v) = self {
            let mut d = Dict::new();
            for n in v.iter() {
                d.insert(n.to_string().into_bytes().into_boxed_slice(), ());
            }
            *self = SetValue::Hash(d);
        }
    }

    /// Every member, in the encoding's order (ascending for an intset, table order otherwise).
    pub fn members(&self) -> Vec<Vec<u8>> {
        self.iter().map(Cow::into_owned).collect()
    }

    /// Iterates the members in the encoding's order; intset members are formatted as decimal.
    pub fn iter(&self) -> SetIter<'_> {
        match self {
            SetValue::Ints(v) => SetIter::Ints(v.iter()),
            SetValue::Hash(d) => SetIter::Hash(Box::new(d.keys())),
        }
    }

    /// A uniformly chosen member of a non-empty set (`None` when empty).
    pub fn random_member(&self, rng: &mut impl RngCore) -> Option<Vec<u8>> {
        match self {
            SetValue::Ints(v) if !v.is_empty() => {
                let i = (rng.next_u64() % v.len() as u64) as usize;
                Some(v[i].to_string().into_bytes())
            }
            SetValue::Ints(_) => None,
            SetValue::Hash(d) => fair_random_key(d, rng),
        }
    }

    /// The intset's integers, for callers that can use them directly.
    pub fn ints(&self) -> Option<&[i64]> {
        match self {
            SetValue::Ints(v) => Some(v),
            SetValue::Hash(_) => None,
        }
    }

    /// The hash table, for SSCAN's bucket walk.
    pub fn dict(&self) -> Option<&Dict<Box<[u8]>, ()>> {
        match self {
            SetValue::Hash(d) => Some(d),
            SetValue::Ints(_) => None,
        }
    }
}

/// How many members a fair random draw samples (Redis's GETFAIR_NUM_ENTRIES).
const FAIR_SAMPLE: usize = 20;

/// A random key of a non-empty table, fair across chain lengths as Redis's
/// dictGetFairRandomKey: collect up to 20 keys walking the buckets from a random one, then pick
/// one of them uniformly. (Picking a random bucket and then a random key in its chain would
/// favour keys alone in their bucket.) Small tables are sampled whole, so the draw is uniform.
fn fair_random_key(d: &Dict<Box<[u8]>, ()>, rng: &mut impl RngCore) -> Option<Vec<u8>> {
    let buckets = d.bucket_count();
    if d.is_empty() || buckets == 0 {
        return None;
    }
    let mask = (buckets - 1) as u64;
    let mut sample: Vec<&[u8]> = Vec::with_capacity(FAIR_SAMPLE);
    let mut bucket = rng.next_u64() & mask;
    let mut empty_run = 0;
    // Buckets visited since the walk started or last jumped; a whole lap has seen every key once.
    let mut walked = 0;
    for _ in 0..FAIR_SAMPLE * 10 {
        let before = sample.len();
        sample.extend(d.bucket_entries(bucket as usize).map(|(k, _)| &k[..]).take(FAIR_SAMPLE - before));
        walked += 1;
        if sample.len() >= FAIR_SAMPLE || walked == buckets {
            break;
        }
        empty_run = if sample.len() == before { empty_run + 1 } else { 0 };
        if empty_run > FAIR_SAMPLE {
            // A long empty stretch: try somewhere else.
            bucket = rng.next_u64() & mask;
            empty_run = 0;
            walked = 0;
        } else {
            bucket = (bucket + 1) & mask;
        }
    }
    if sample.is_empty() {
        return d.random_entry(rng).map(|(k, _)| k.to_vec());
    }
    let i = (rng.next_u64() % sample.len() as u64) as usize;
    Some(sample[i].to_vec())
}

/// An iterator over a set's members.
pub enum SetIter<'a> {
    Ints(std::slice::Iter<'a, i64>),
    Hash(Box<dyn Iterator<Item = &'a Box<[u8]>> + 'a>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = Cow<'a, [u8]>;

    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        match self {
            SetIter::Ints(it) => it.next().map(|n| Cow::Owned(n.to_string().into_bytes())),
            SetIter::Hash(it) => it.next().map(|k| Cow::Borrowed(&k[..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_until_limit_then_hashtable() {
        let mut s = SetValue::new_for(b"1");
        assert!(s.add(b"3", 3));
        assert!(s.add(b"1", 3));
        assert!(!s.add(b"1", 3));
        assert!(s.add(b"2", 3));
        assert_eq!(s.encoding(), "intset");
        assert_eq!(s.members(), vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"4") && s.remove(b"3") && s.remove(b"2"));
        assert_eq!(s.encoding(), "hashtable", "never converted back");
    }

    #[test]
    fn non_canonical_integers_are_strings() {
        for m in [&b"01"[..], b"+1", b" 1", b"-0", b"1.0", b"9223372036854775808", b""] {
            let mut s = SetValue::new_for(b"5");
            s.add(b"5", 512);
            assert!(!s.contains(m));
            assert!(s.add(m, 512));
            assert_eq!(s.encoding(), "hashtable", "{m:?}");
            assert!(s.contains(m) && s.contains(b"5"));
        }
    }

    #[test]
    fn zero_limit_means_always_hashtable() {
        let mut s = SetValue::new_for(b"1");
        s.add(b"1", 0);
        assert_eq!(s.encoding(), "hashtable");
    }
}
