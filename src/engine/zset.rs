//! Sorted set values in Redis's two encodings.
//!
//! - `listpack`: small sets, member, score, member, score, ... in order in one allocation
//!   (`Packed`), searched linearly as Redis's listpack is. Redis writes listpack scores as text,
//!   integral ones as integers, so a score of -0 reads back as 0: `normalize_listpack_score`
//!   keeps that. Scores are stored in binary (`PackedScore`), which reads back bit for bit.
//! - `skiplist`: a member -> score `Dict` (Redis's dict, so ZSCAN keeps its cursor guarantees)
//!   plus the order with ranks (`ordered::Ordered`, see there why it is not a skiplist). Both
//!   hold the same `Member` (an `Arc<[u8]>`), so a member's bytes are allocated once.
//!
//! The conversions follow Redis (t_zset.c): a set starts as a listpack unless
//! zset-max-listpack-entries is 0 or its first member is longer than zset-max-listpack-value; it
//! becomes a skiplist when an insert would pass either limit, and never goes back, except for
//! the results of the STORE commands, which are built as skiplists and converted when they fit.

pub mod ordered;

use super::dict::Dict;
use super::packed::Packed;
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

/// Integral scores below this magnitude are stored as integers; all of them are exact doubles
/// and their zigzag form fits in 7 bytes, which keeps them apart from the 8-byte raw form.
const PACKED_INT_LIMIT: f64 = (1u64 << 55) as f64;

/// A listpack score as stored in the `Packed`: an integral score (the common case: ranks,
/// timestamps, counters) as a zigzag integer in its shortest little-endian form (0 to 7 bytes),
/// any other score as the 8 bytes of its bit pattern. Why not always the 8 bytes: a small
/// integer then takes 2 bytes with its header instead of 9, close to what Redis's listpack
/// spends. -0 is integral and reads back as 0, which is what a listpack does anyway.
struct PackedScore {
    bytes: [u8; 8],
    len: usize,
}

impl PackedScore {
    fn new(score: f64) -> PackedScore {
        if score.fract() == 0.0 && score.abs() < PACKED_INT_LIMIT {
            let int = score as i64;
            let zigzag = ((int << 1) ^ (int >> 63)) as u64;
            let len = (u64::BITS - zigzag.leading_zeros()).div_ceil(8) as usize;
            PackedScore { bytes: zigzag.to_le_bytes(), len }
        } else {
            PackedScore { bytes: score.to_bits().to_le_bytes(), len: 8 }
        }
    }

    /// The score stored as `bytes` (only ever written by `PackedScore::new`).
    fn decode(bytes: &[u8]) -> f64 {
        let mut raw = [0u8; 8];
        raw[..bytes.len()].copy_from_slice(bytes);
        let raw = u64::from_le_bytes(raw);
        if bytes.len() == 8 {
            f64::from_bits(raw)
        } else {
            ((raw >> 1) as i64 ^ -((raw & 1) as i64)) as f64
        }
    }
}

impl AsRef<[u8]> for PackedScore {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The (score, member) elements of a listpack, in order.
fn elements(p: &Packed) -> impl Iterator<Item = (f64, &[u8])> + '_ {
    p.pairs().map(|(m, s)| (PackedScore::decode(s), m))
}

/// The rank at which (score, member) belongs in a listpack.
fn listpack_slot(p: &Packed, score: f64, member: &[u8]) -> usize {
    elements(p).take_while(|&(s, m)| cmp_entry(s, m, score, member) == Ordering::Less).count()
}

/// The rank of `member` in a listpack.
fn listpack_rank(p: &Packed, member: &[u8]) -> Option<usize> {
    p.find(member, 0, 2).map(|i| i / 2)
}

/// Inserts an element at its place in a listpack, with its score normalized.
fn listpack_insert(p: &mut Packed, score: f64, member: &[u8]) {
    let score = normalize_listpack_score(score);
    let rank = listpack_slot(p, score, member);
    p.insert_many(2 * rank, &[member, PackedScore::new(score).as_ref()]);
}

#[derive(Clone, Debug)]
struct Large {
    dict: Dict<Member, f64>,
    order: Ordered,
}

#[derive(Clone, Debug)]
enum Repr {
    /// member, score, member, score, ... in ascending order.
    Listpack(Packed),
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
        ZSet { repr: Repr::Listpack(Packed::new()) }
    }

    pub fn new_skiplist() -> ZSet {
        ZSet { repr: Repr::Skiplist(Box::new(Large { dict: Dict::new(), order: Ordered::new() })) }
    }

    /// A set of `elements` whose members are known to be distinct (a loaded RDB value: the
    /// decoder checked), built at once: a listpack when it fits the limits, sorted and packed
    /// in one allocation, instead of an ordered insert (and a linear search) per element.
    pub fn from_distinct(mut elements: Vec<(Vec<u8>, f64)>, limits: Limits) -> ZSet {
        let longest = elements.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if elements.len() as u64 > limits.max_entries || longest as u64 > limits.max_value {
            let mut zset = ZSet::new_skiplist();
            for (member, score) in &elements {
                zset.insert_new(*score, member, limits);
            }
            return zset;
        }
        for (_, score) in elements.iter_mut() {
            *score = normalize_listpack_score(*score);
        }
        elements.sort_by(|(m1, s1), (m2, s2)| cmp_entry(*s1, m1, *s2, m2));
        let scores: Vec<PackedScore> = elements.iter().map(|(_, s)| PackedScore::new(*s)).collect();
        let packed = Packed::from_pairs(elements.iter().zip(&scores).map(|((m, _), s)| (m.as_slice(), s.as_ref())));
        ZSet { repr: Repr::Listpack(packed) }
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
            Repr::Listpack(p) => p.len() / 2,
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
            Repr::Listpack(p) => elements(p).find(|&(_, m)| m == member).map(|(s, _)| s),
            Repr::Skiplist(l) => l.dict.get(member).copied(),
        }
    }

    /// The 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.repr {
            Repr::Listpack(p) => listpack_rank(p, member),
            Repr::Skiplist(l) => {
                let score = *l.dict.get(member)?;
                l.order.rank(score, member)
            }
        }
    }

    /// The element at 0-based rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(f64, &[u8])> {
        match &self.repr {
            Repr::Listpack(p) => elements(p).nth(rank),
            Repr::Skiplist(l) => l.order.get(rank).map(|(s, m)| (s, &m[..])),
        }
    }

    /// The number of leading elements (in ascending order) for which `pred` holds; `pred` must
    /// hold for a prefix of the order and not after it.
    pub fn partition_point(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Listpack(p) => elements(p).take_while(|&(s, m)| pred(s, m)).count(),
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
            Repr::Listpack(p) => Box::new(elements(p).skip(rank)),
            Repr::Skiplist(l) => Box::new(l.order.iter_from(rank).map(|(s, m)| (s, &m[..]))),
        }
    }

    /// Elements from rank `rank` down to rank 0, descending. Empty when `rank` is out of range.
    pub fn iter_back_from(&self, rank: usize) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        match &self.repr {
            Repr::Listpack(p) => {
                // The packed lengths only read forwards: collect the head, then walk it back.
                let head: Vec<(f64, &[u8])> =
                    if rank < p.len() / 2 { elements(p).take(rank + 1).collect() } else { Vec::new() };
                Box::new(head.into_iter().rev())
            }
            Repr::Skiplist(l) => Box::new(l.order.iter_back_from(rank).map(|(s, m)| (s, &m[..]))),
        }
    }

    /// Inserts a member that is not in the set, converting a listpack to a skiplist first when
    /// the insert would pass a limit (zsetAdd's rule).
    pub fn insert_new(&mut self, score: f64, member: &[u8], limits: Limits) {
        if self.is_listpack() && !limits.listpack_accepts(self.len(), member.len()) {
            self.convert_to_skiplist();
        }
        match &mut self.repr {
            Repr::Listpack(p) => listpack_insert(p, score, member),
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
            Repr::Listpack(p) => {
                if let Some(rank) = listpack_rank(p, member) {
                    p.remove_range(2 * rank, 2);
                    listpack_insert(p, score, member);
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
            Repr::Listpack(p) => {
                let i = p.find(member, 0, 2)?;
                let score = p.get(i + 1).map(PackedScore::decode)?;
                p.remove_range(i, 2);
                Some(score)
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
            Repr::Listpack(p) => {
                let end = end.min(p.len() / 2);
                if start >= end {
                    return Vec::new();
                }
                let removed = elements(p).skip(start).take(end - start).map(|(s, m)| (s, m.to_vec())).collect();
                p.remove_range(2 * start, 2 * (end - start));
                removed
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
        let Repr::Listpack(p) = &self.repr else {
            return;
        };
        let mut large = Large { dict: Dict::new(), order: Ordered::new() };
        for (score, member) in elements(p) {
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
            let items = l.order.iter().map(|(s, m)| (&m[..], PackedScore::new(normalize_listpack_score(s))));
            self.repr = Repr::Listpack(Packed::from_pairs(items));
        }
    }

    /// One step of ZSCAN: a listpack gives every element at once (cursor 0 after); a skiplist
    /// visits buckets of its member table from `cursor` until `count` elements were found or
    /// `count * 20` buckets were visited (scanGenericCommand doubles COUNT for score pairs).
    /// Scores come as Redis prints them there.
    pub fn scan(&self, mut cursor: u64, count: u64, mut visit: impl FnMut(&[u8], String)) -> u64 {
        match &self.repr {
            Repr::Listpack(p) => {
                for (s, m) in elements(p) {
                    visit(m, listpack_score_text(s));
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
    fn packed_scores_read_back_bit_for_bit() {
        let edge = [
            0.0,
            1.0,
            -1.0,
            63.0,
            64.0,
            -64.0,
            -65.0,
            0.5,
            -1.5,
            1e17,
            (1u64 << 53) as f64 + 2.0,
            PACKED_INT_LIMIT - 8.0,
            PACKED_INT_LIMIT,
            -PACKED_INT_LIMIT,
            i64::MAX as f64,
            i64::MIN as f64,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for score in edge {
            let packed = PackedScore::new(score);
            assert_eq!(PackedScore::decode(packed.as_ref()).to_bits(), score.to_bits(), "{score}");
        }
        assert_eq!(PackedScore::new(0.0).as_ref(), b"");
        assert_eq!(PackedScore::new(1.0).as_ref(), [2]);
        assert_eq!(PackedScore::new(-1.0).as_ref(), [1]);
        assert_eq!(PackedScore::new(PACKED_INT_LIMIT - 8.0).as_ref().len(), 7);
        assert_eq!(PackedScore::new(8.0 - PACKED_INT_LIMIT).as_ref().len(), 7);
        assert_eq!(PackedScore::new(PACKED_INT_LIMIT).as_ref().len(), 8);
        assert_eq!(PackedScore::decode(PackedScore::new(-0.0).as_ref()).to_bits(), 0f64.to_bits());
    }

    proptest::proptest! {
        #[test]
        fn packed_scores_round_trip(bits in proptest::prelude::any::<u64>(), int in proptest::prelude::any::<i64>()) {
            for score in [f64::from_bits(bits), int as f64, (int >> 8) as f64, (int >> 40) as f64] {
                if score.is_nan() {
                    continue;
                }
                let back = PackedScore::decode(PackedScore::new(score).as_ref());
                proptest::prop_assert_eq!(back.to_bits(), normalize_listpack_score(score).to_bits());
            }
        }

        /// A listpack answers every query as a skiplist holding the same elements does (up to the
        /// listpack's -0 normalization).
        #[test]
        fn listpack_agrees_with_skiplist(ops in proptest::collection::vec((0u8..6, 0u8..12, -3i8..4), 0..60)) {
            let roomy = Limits { max_entries: 1000, max_value: 1000 };
            let mut lp = ZSet::new_listpack();
            let mut sl = ZSet::new_skiplist();
            for (op, m, s) in ops {
                let member = format!("m{m}").into_bytes();
                let score = match s { -3 => -0.0, 3 => 0.25, s => f64::from(s) * 1e16 };
                match op {
                    0 | 1 => {
                        if lp.score(&member).is_some() {
                            lp.set_score(&member, score);
                            sl.set_score(&member, score);
                        } else {
                            lp.insert_new(score, &member, roomy);
                            sl.insert_new(score, &member, roomy);
                        }
                    }
                    2 => proptest::prop_assert_eq!(
                        lp.remove(&member).map(normalize_listpack_score).map(f64::to_bits),
                        sl.remove(&member).map(normalize_listpack_score).map(f64::to_bits)
                    ),
                    3 => {
                        let (a, b) = (usize::from(m) / 3, usize::from(m) / 2);
                        let norm = |v: Vec<(f64, Vec<u8>)>| -> Vec<(u64, Vec<u8>)> {
                            v.into_iter().map(|(s, m)| (normalize_listpack_score(s).to_bits(), m)).collect()
                        };
                        proptest::prop_assert_eq!(norm(lp.remove_range(a, b)), norm(sl.remove_range(a, b)));
                    }
                    _ => {}
                }
                let view = |z: &ZSet, it: Box<dyn Iterator<Item = (f64, &[u8])> + '_>| -> Vec<(u64, Vec<u8>)> {
                    let _ = z;
                    it.map(|(s, m)| (normalize_listpack_score(s).to_bits(), m.to_vec())).collect()
                };
                let rank = usize::from(m) % 5;
                proptest::prop_assert_eq!(lp.len(), sl.len());
                proptest::prop_assert_eq!(view(&lp, lp.iter()), view(&sl, sl.iter()));
                proptest::prop_assert_eq!(view(&lp, lp.iter_from(rank)), view(&sl, sl.iter_from(rank)));
                proptest::prop_assert_eq!(view(&lp, lp.iter_back_from(rank)), view(&sl, sl.iter_back_from(rank)));
                proptest::prop_assert_eq!(lp.rank(&member), sl.rank(&member));
                proptest::prop_assert_eq!(lp.get(rank).map(|(_, m)| m), sl.get(rank).map(|(_, m)| m));
                proptest::prop_assert_eq!(lp.partition_point(|s, _| s < 0.0), sl.partition_point(|s, _| s < 0.0));
                let mut back = sl.clone();
                back.convert_to_listpack_if_fits(roomy);
                proptest::prop_assert!(back == lp, "{:?} vs {:?}", back, lp);
                let mut up = lp.clone();
                up.convert_to_skiplist();
                proptest::prop_assert_eq!(view(&up, up.iter()), view(&lp, lp.iter()));
            }
        }
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
