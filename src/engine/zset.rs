//! Sorted set values in Redis's two encodings.
//!
//! - `listpack`: small sets, a vector of (score, member) in order, searched linearly as Redis's
//!   listpack is. Redis writes listpack scores as text, integral ones as integers, so a score of
//!   -0 reads back as 0: `normalize_listpack_score` keeps that.
//! - `skiplist`: a member -> score `Dict` (Redis's dict, so ZSCAN keeps its cursor guarantees)
//!   plus the order with ranks (`ordered::Ordered`, see there why it is not a skiplist).
//!
//! The conversions follow Redis (t_zset.c): a set starts as a listpack unless
//! zset-max-listpack-entries is 0 or its first member is longer than zset-max-listpack-value; it
//! becomes a skiplist when an insert would pass either limit, and never goes back, except for
//! the results of the STORE commands, which are built as skiplists and converted when they fit.

pub mod ordered;

use super::dict::Dict;
use ordered::{cmp_entry, Member, Ordered};
use rand_core::RngCore;
use std::cmp::Ordering;

/// The two `zset-max-listpack-*` limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: u64,
    pub max_value: u64,
}

impl Limits {
    /// True when an element of `member_len` bytes may go into a listpack holding `len` elements.
    fn listpack_accepts(&self, len: usize, member_len: usize) -> bool {
        (len as u64) < self.max_entries && member_len as u64 <= self.max_value
    }
}

/// A listpack stores integral scores as integers, which has no negative zero.
fn normalize_listpack_score(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

#[derive(Clone, Debug)]
struct Large {
    dict: Dict<Member, f64>,
    order: Ordered,
}

#[derive(Clone, Debug)]
enum Repr {
    Listpack(Vec<(f64, Vec<u8>)>),
    Skiplist(Box<Large>),
}

/// A sorted set.
#[derive(Clone, Debug)]
pub struct ZSet {
    repr: Repr,
}

/// Two sets are equal when they have the same encoding and the same elements (scores compared
/// bit for bit, so -0 and 0 differ).
impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.is_listpack() == other.is_listpack()
            && self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((s1, m1), (s2, m2))| s1.to_bits() == s2.to_bits() && m1 == m2)
    }
}

impl ZSet {
    pub fn new_listpack() -> ZSet {
        ZSet { repr: Repr::Listpack(Vec::new()) }
    }

    pub fn new_skiplist() -> ZSet {
        ZSet { repr: Repr::Skiplist(Box::new(Large { dict: Dict::new(), order: Ordered::new() })) }
    }

    /// The encoding a new set gets for its first member (zaddGenericCommand's choice).
    pub fn new_for(limits: Limits, first_member_len: usize) -> ZSet {
        if limits.max_entries == 0 || limits.max_value < first_member_len as u64 {
            ZSet::new_skiplist()
        } else {
            ZSet::new_listpack()
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.repr, Repr::Listpack(_))
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.len(),
            Repr::Skiplist(l) => l.order.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis's lazyfreeGetFreeEffort: one allocation for a listpack, one per element otherwise.
    pub fn free_effort(&self) -> usize {
        match &self.repr {
            Repr::Listpack(_) => 1,
            Repr::Skiplist(l) => l.order.len(),
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Listpack(v) => v.iter().find(|(_, m)| m == member).map(|(s, _)| *s),
            Repr::Skiplist(l) => l.dict.get(member).copied(),
        }
    }

    /// The 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(v) => v.iter().position(|(_, m)| m == member),
            Repr::Skiplist(l) => {
                let score = *l.dict.get(member)?;
                l.order.rank(score, member)
            }
        }
    }

    /// The element at 0-based rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(f64, &[u8])> {
        match &self.repr {
            Repr::Listpack(v) => v.get(rank).map(|(s, m)| (*s, &m[..])),
            Repr::Skiplist(l) => l.order.get(rank).map(|(s, m)| (s, &m[..])),
        }
    }

    /// The number of leading elements (in ascending order) for which `pred` holds; `pred` must
    /// hold for a prefix of the order and not after it.
    pub fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Listpack(v) => v.partition_point(|(s, m)| pred(*s, m)),
            Repr::Skiplist(l) => l.order.partition_point(pred),
        }
    }

    /// All elements in ascending order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        self.iter_from(0)
    }

    /// Elements from rank `rank` on, ascending.
    pub fn iter_from(&self, rank: usize) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(v) => Box::new(v.get(rank..).unwrap_or(&[]).iter().map(|(s, m)| (*s, &m[..]))),
            Repr::Skiplist(l) => Box::new(l.order.iter_from(rank).map(|(s, m)| (s, &m[..]))),
        }
    }

    /// Elements from rank `rank` down to rank 0, descending. Empty when `rank` is out of range.
    pub fn iter_back_from(&self, rank: usize) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(v) => {
                let head = if rank < v.len() { &v[..=rank] } else { &[] };
                Box::new(head.iter().rev().map(|(s, m)| (*s, &m[..])))
            }
            Repr::Skiplist(l) => Box::new(l.order.iter_back_from(rank).map(|(s, m)| (s, &m[..]))),
        }
    }

    /// Inserts a member that is not in the set, converting a listpack to a skiplist first when
    /// the insert would pass a limit (zsetAdd's rule).
    pub fn insert_new(&mut self, score: f64, member: &[u8], limits: Limits) {
        if let Repr::Listpack(v) = &self.repr {
            if !limits.listpack_accepts(v.len(), member.len()) {
                self.convert_to_skiplist();
            }
        }
        match &mut self.repr {
            Repr::Listpack(v) => {
                let score = normalize_listpack_score(score);
                let at = v.partition_point(|(s, m)| cmp_entry(*s, m, score, member) == Ordering::Less);
                v.insert(at, (score, member.to_vec()));
            }
            Repr::Skiplist(l) => {
                let member: Member = Member::from(member);
                l.dict.insert(member.clone(), score);
                l.order.insert(score, member);
            }
        }
    }

    /// Changes the score of a present member (a listpack deletes and re-inserts it, which keeps
    /// its encoding whatever the limits say, as Redis's zsetAdd does).
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        match &mut self.repr {
            Repr::Listpack(v) => {
                if let Some(i) = v.iter().position(|(_, m)| m == member) {
                    let (_, owned) = v.remove(i);
                    let score = normalize_listpack_score(score);
                    let at = v.partition_point(|(s, m)| cmp_entry(*s, m, score, &owned) == Ordering::Less);
                    v.insert(at, (score, owned));
                }
            }
            Repr::Skiplist(l) => {
                let Some((key, old)) = l.dict.get_key_value(member).map(|(k, s)| (k.clone(), *s)) else {
                    return;
                };
                l.order.remove(old, member);
                l.order.insert(score, key.clone());
                l.dict.insert(key, score);
            }
        }
    }

    /// Removes a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Listpack(v) => {
                let i = v.iter().position(|(_, m)| m == member)?;
                Some(v.remove(i).0)
            }
            Repr::Skiplist(l) => {
                let score = l.dict.remove(member)?;
                l.order.remove(score, member);
                Some(score)
            }
        }
    }

    /// Removes the elements of ranks `start..end` (ascending) and returns them in order.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(f64, Vec<u8>)> {
        match &mut self.repr {
            Repr::Listpack(v) => {
                let end = end.min(v.len());
                if start >= end {
                    return Vec::new();
                }
                v.drain(start..end).collect()
            }
            Repr::Skiplist(l) => {
                let removed = l.order.remove_range(start, end);
                for (_, m) in &removed {
                    l.dict.remove(m);
                }
                removed.into_iter().map(|(s, m)| (s, m.to_vec())).collect()
            }
        }
    }

    pub fn convert_to_skiplist(&mut self) {
        let Repr::Listpack(v) = &mut self.repr else {
            return;
        };
        let items = std::mem::take(v);
        let mut large = Large { dict: Dict::new(), order: Ordered::new() };
        for (score, member) in items {
            let member: Member = Member::from(member);
            large.dict.insert(member.clone(), score);
            large.order.insert(score, member);
        }
        self.repr = Repr::Skiplist(Box::new(large));
    }

    /// zsetConvertToListpackIfNeeded: a skiplist that fits the limits becomes a listpack.
    pub fn convert_to_listpack_if_fits(&mut self, limits: Limits) {
        let Repr::Skiplist(l) = &self.repr else {
            return;
        };
        let longest = l.order.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if l.order.len() as u64 <= limits.max_entries && longest as u64 <= limits.max_value {
            let items = l.order.iter().map(|(s, m)| (normalize_listpack_score(s), m.to_vec())).collect();
            self.repr = Repr::Listpack(items);
        }
    }

    /// One step of ZSCAN: a listpack gives every element at once (cursor 0 after); a skiplist
    /// visits buckets of its member table from `cursor` until `count` elements were found or
    /// `count * 20` buckets were visited (scanGenericCommand doubles COUNT for score pairs).
    /// Scores come as Redis prints them there.
    pub fn scan(&self, mut cursor: u64, count: u64, mut visit: impl FnMut(&[u8], String)) -> u64 {
        match &self.repr {
            Repr::Listpack(v) => {
                for (s, m) in v {
                    visit(m, listpack_score_text(*s));
                }
                0
            }
            Repr::Skiplist(l) => {
                let want = count.saturating_mul(2);
                let mut max_iterations = want.saturating_mul(10);
                let mut found: u64 = 0;
                loop {
                    cursor = l.dict.scan(cursor, |m, s| {
                        found += 2;
                        visit(m, crate::resp::format_double(*s));
                    });
                    let more = cursor != 0 && max_iterations != 0 && found < want;
                    max_iterations = max_iterations.saturating_sub(1);
                    if !more {
                        return cursor;
                    }
                }
            }
        }
    }

    /// A random element, every one equally likely: a uniform rank (Redis's listpack picks a
    /// uniform position too; its skiplist sampling, dictGetFairRandomKey, only approaches this).
    pub fn random_element(&self, rng: &mut impl RngCore) -> Option<(f64, &[u8])> {
        let len = self.len() as u64;
        if len == 0 {
            return None;
        }
        self.get((rng.next_u64() % len) as usize)
    }
}

/// How a listpack score reads back as text (ZSCAN of a small set): integral scores within
/// +-2^62 are stored as integers (Redis's double2ll), others as `%.17g`.
pub fn listpack_score_text(score: f64) -> String {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if (-LIMIT..=LIMIT).contains(&score) && (score as i64) as f64 == score {
        (score as i64).to_string()
    } else {
        crate::resp::format_double(score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits { max_entries: 3, max_value: 4 };

    #[test]
    fn listpack_converts_on_the_limits_and_drops_negative_zero() {
        let mut z = ZSet::new_for(SMALL, 1);
        z.insert_new(-0.0, b"a", SMALL);
        assert_eq!(z.score(b"a").map(f64::to_bits), Some(0f64.to_bits()));
        z.insert_new(2.0, b"b", SMALL);
        z.insert_new(1.0, b"c", SMALL);
        assert!(z.is_listpack());
        z.insert_new(1.0, b"d", SMALL);
        assert_eq!(z.encoding(), "skiplist");
        let order: Vec<&[u8]> = z.iter().map(|(_, m)| m).collect();
        assert_eq!(order, vec![&b"a"[..], b"c", b"d", b"b"]);
        assert_eq!(z.rank(b"d"), Some(2));
        z.set_score(b"d", -0.0);
        assert_eq!(z.score(b"d").map(f64::to_bits), Some((-0f64).to_bits()));
        assert_eq!(z.rank(b"d"), Some(1));
        let mut long = ZSet::new_for(SMALL, 1);
        long.insert_new(1.0, b"toolong", SMALL);
        assert!(!long.is_listpack());
        assert!(!ZSet::new_for(SMALL, 5).is_listpack());
    }

    #[test]
    fn store_results_convert_back_when_they_fit() {
        let mut z = ZSet::new_skiplist();
        z.insert_new(-0.0, b"a", SMALL);
        z.convert_to_listpack_if_fits(SMALL);
        assert!(z.is_listpack());
        assert_eq!(z.score(b"a").map(f64::to_bits), Some(0f64.to_bits()));
    }

    #[test]
    fn listpack_score_text_prints_integers_plainly() {
        assert_eq!(listpack_score_text(1e17), "100000000000000000");
        assert_eq!(listpack_score_text(1.5), "1.5");
        assert_eq!(listpack_score_text(1e300), "1.0000000000000001e+300");
        assert_eq!(listpack_score_text(f64::INFINITY), "inf");
        assert_eq!(listpack_score_text(-0.0), "0");
    }
}
