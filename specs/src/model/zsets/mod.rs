//! Sorted set commands (Redis: t_zset.c), written the plain way: a sorted set is a map from
//! member to score, sorted on demand by (score, member).
//!
//! The model also tracks which encoding Redis would use (`listpack` or `skiplist`, with
//! Redis's default limits of 128 elements and 64-byte members), because it shows: OBJECT
//! ENCODING, ZSCAN (a listpack answers in one call, in order), and a score of -0, which a
//! listpack stores as the integer 0 while a skiplist keeps it.

mod judge;
mod multi;
pub mod num;
mod ranges;

use super::dispatch::Call;
use super::notify::{GENERIC, ZSET};
use super::{wrongtype, Item, MValue, Model};
use crate::num::opt_is;
use crate::reply::Reply;
use std::collections::BTreeMap;

pub(super) use judge::{judge_zrandmember, judge_zscan};
pub(super) use multi::{
    bzmpop, bzpopmax, bzpopmin, serve_blocked_zset, zdiff, zdiffstore, zinter, zintercard, zinterstore, zmpop, zpopmax,
    zpopmin, zrandmember, zscan, zunion, zunionstore,
};
pub(super) use ranges::{
    zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};

/// zset-max-listpack-entries's default.
pub const MAX_LISTPACK_ENTRIES: usize = 128;
/// zset-max-listpack-value's default.
pub const MAX_LISTPACK_VALUE: usize = 64;

/// A score; equality is bit for bit, so -0 and 0 differ (Redis can store either).
#[derive(Clone, Copy, Debug)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Score) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Score {}

/// A sorted set value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZSetValue {
    /// Member -> score. Never empty while stored.
    pub scores: BTreeMap<Vec<u8>, Score>,
    /// True when Redis would keep it as a listpack.
    pub listpack: bool,
}

/// The order of a sorted set: by score, then by member bytes.
pub fn by_score_then_member(a: &(Vec<u8>, f64), b: &(Vec<u8>, f64)) -> std::cmp::Ordering {
    a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0))
}

impl ZSetValue {
    /// An empty set in the given encoding.
    pub fn new(listpack: bool) -> ZSetValue {
        ZSetValue { scores: BTreeMap::new(), listpack }
    }

    /// The elements in order.
    pub fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<(Vec<u8>, f64)> = self.scores.iter().map(|(m, s)| (m.clone(), s.0)).collect();
        v.sort_by(by_score_then_member);
        v
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).map(|s| s.0)
    }

    /// A listpack writes integral scores as integers: -0 comes back as 0.
    fn stored(&self, score: f64) -> Score {
        Score(if self.listpack && score == 0.0 { 0.0 } else { score })
    }

    /// Adds a new member: a listpack that would grow past 128 elements or receive a member
    /// longer than 64 bytes turns into a skiplist first.
    pub fn add_new(&mut self, member: &[u8], score: f64) {
        if self.listpack && (self.scores.len() + 1 > MAX_LISTPACK_ENTRIES || member.len() > MAX_LISTPACK_VALUE) {
            self.listpack = false;
        }
        let s = self.stored(score);
        self.scores.insert(member.to_vec(), s);
    }

    /// Changes a present member's score (no conversion).
    pub fn rescore(&mut self, member: &[u8], score: f64) {
        let s = self.stored(score);
        self.scores.insert(member.to_vec(), s);
    }

    /// What the STORE commands do with their result: a skiplist that fits the limits becomes
    /// a listpack.
    pub fn shrink_if_fits(&mut self) {
        let longest = self.scores.keys().map(Vec::len).max().unwrap_or(0);
        if !self.listpack && self.scores.len() <= MAX_LISTPACK_ENTRIES && longest <= MAX_LISTPACK_VALUE {
            self.listpack = true;
            for s in self.scores.values_mut() {
                if s.0 == 0.0 {
                    s.0 = 0.0;
                }
            }
        }
    }
}

impl std::fmt::Display for ZSetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let items: Vec<String> = self
            .sorted()
            .iter()
            .map(|(m, s)| format!("{:?}:{}", String::from_utf8_lossy(m), num::fmt_17g(*s)))
            .collect();
        write!(f, "zset[{}]{{{}}}", if self.listpack { "listpack" } else { "skiplist" }, items.join(", "))
    }
}

/// True when Redis's reply to `argv` is not determined: a lex range over a skiplist-encoded
/// set whose members have different scores. Redis then walks its skiplist from the highest
/// level down, and where the walk stops depends on the random levels of the nodes. (verdis and
/// the model answer as a listpack does, see rule ZSET-15.)
pub fn unspecified_in_redis(m: &Model, client: u64, argv: &[Vec<u8>], now_ms: u64) -> bool {
    let name = argv.first().map(|n| String::from_utf8_lossy(n).to_ascii_lowercase()).unwrap_or_default();
    let key_at = match name.as_str() {
        "zrangebylex" | "zrevrangebylex" | "zlexcount" | "zremrangebylex" => 1,
        "zrange" if argv.iter().any(|a| opt_is(a, "bylex")) => 1,
        "zrangestore" if argv.iter().any(|a| opt_is(a, "bylex")) => 2,
        _ => return false,
    };
    let Some(key) = argv.get(key_at) else {
        return false;
    };
    match m.item(m.selected_db(client), key, now_ms).map(|i| &i.value) {
        Some(MValue::ZSet(z)) if !z.listpack => {
            let v = z.sorted();
            v.first().map(|e| e.1) != v.last().map(|e| e.1)
        }
        _ => false,
    }
}

// ----- keyspace access -----

/// The sorted set at `key` (a dead key is deleted first); WRONGTYPE for another type.
pub(super) fn get(m: &mut Model, db: usize, key: &[u8], now_ms: u64) -> Result<Option<ZSetValue>, Reply> {
    match m.lookup(db, key, now_ms).map(|i| &i.value) {
        None => Ok(None),
        Some(MValue::ZSet(z)) => Ok(Some(z.clone())),
        Some(_) => Err(wrongtype()),
    }
}

/// Writes back a changed set, keeping the key's TTL; an empty set deletes the key.
pub(super) fn put_back(m: &mut Model, db: usize, key: &[u8], z: ZSetValue) {
    if z.is_empty() {
        m.dbs[db].remove(key);
    } else if let Some(item) = m.dbs[db].get_mut(key) {
        item.value = MValue::ZSet(z);
    } else {
        m.dbs[db].insert(key.to_vec(), Item { value: MValue::ZSet(z), expire_at_ms: None });
    }
}

/// A STORE command's result: a non-empty set replaces `dst` (any type, no TTL); an empty one
/// deletes whatever `dst` holds, dead or alive. Replies with the size, which Redis writes
/// before the event (the command's name, or `del`).
pub(super) fn store(m: &mut Model, call: &Call, dst: &[u8], z: ZSetValue) -> Reply {
    m.reply_here();
    store_raising(m, call, dst, z, call.name)
}

/// `store` raising `event` for a stored result, with the events before the reply (the geo
/// STORE forms: `geosearchstore`, `georadiusstore`).
pub(in crate::model) fn store_raising(m: &mut Model, call: &Call, dst: &[u8], z: ZSetValue, event: &str) -> Reply {
    let (db, now_ms) = (call.db, call.now_ms);
    let n = z.len();
    if n > 0 {
        m.lookup(db, dst, now_ms);
        m.dbs[db].insert(dst.to_vec(), Item { value: MValue::ZSet(z), expire_at_ms: None });
        m.notify_call(call, ZSET, event, dst);
    } else if m.dbs[db].remove(dst).is_some() {
        m.notify_call(call, GENERIC, "del", dst);
    }
    Reply::Int(n as i64)
}

/// The client's protocol.
fn resp(m: &Model, call: &Call) -> u8 {
    m.client(call.client).resp
}

/// Members (with scores): flat in RESP2, [member, score] pairs in RESP3.
pub(super) fn with_scores(resp: u8, items: Vec<(Vec<u8>, f64)>, withscores: bool) -> Reply {
    let mut out = Vec::new();
    for (member, score) in items {
        if !withscores {
            out.push(Reply::Bulk(member));
        } else if resp >= 3 {
            out.push(Reply::Array(vec![Reply::Bulk(member), Reply::Double(score)]));
        } else {
            out.push(Reply::Bulk(member));
            out.push(Reply::Double(score));
        }
    }
    Reply::Array(out)
}

// ----- ZADD, ZINCRBY -----

#[derive(Default, Clone, Copy)]
struct Flags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

pub(super) fn zadd(m: &mut Model, call: &Call) -> Reply {
    add(m, call, Flags::default())
}

pub(super) fn zincrby(m: &mut Model, call: &Call) -> Reply {
    add(m, call, Flags { incr: true, ..Flags::default() })
}

fn add(m: &mut Model, call: &Call, mut f: Flags) -> Reply {
    let mut i = 2;
    while i < call.argv.len() {
        let a = call.arg(i);
        let flag = match () {
            _ if opt_is(a, "nx") => &mut f.nx,
            _ if opt_is(a, "xx") => &mut f.xx,
            _ if opt_is(a, "gt") => &mut f.gt,
            _ if opt_is(a, "lt") => &mut f.lt,
            _ if opt_is(a, "ch") => &mut f.ch,
            _ if opt_is(a, "incr") => &mut f.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let rest = &call.argv[i..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Reply::err("syntax error");
    }
    if f.nx && f.xx {
        return Reply::err("XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Reply::err("GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && rest.len() > 2 {
        return Reply::err("INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::new();
    for pair in rest.chunks(2) {
        let Some(score) = num::string2d(&pair[0]) else {
            return Reply::err("value is not a valid float");
        };
        pairs.push((score, pair[1].clone()));
    }
    let key = call.arg(1);
    let mut z = match get(m, call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(Some(z)) => z,
        Ok(None) if f.xx => return if f.incr { Reply::Nil } else { Reply::Int(0) },
        // The first member decides whether the new set starts as a listpack.
        Ok(None) => ZSetValue::new(pairs[0].1.len() <= MAX_LISTPACK_VALUE),
    };
    let (mut added, mut changed) = (0, 0);
    let mut result = None;
    for (score, member) in pairs {
        match z.score(&member) {
            None if f.xx => {}
            None => {
                z.add_new(&member, score);
                added += 1;
                result = Some(score);
            }
            Some(_) if f.nx => {}
            Some(old) => {
                let new = if f.incr { old + score } else { score };
                if new.is_nan() {
                    return Reply::err("resulting score is not a number (NaN)");
                }
                let refused = (f.gt && new <= old) || (f.lt && new >= old);
                if !refused {
                    if new != old {
                        z.rescore(&member, new);
                        changed += 1;
                    }
                    result = Some(new);
                }
            }
        }
    }
    if added + changed > 0 {
        put_back(m, call.db, key, z);
        m.reply_here();
        m.notify_call(call, ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if f.incr {
        result.map_or(Reply::Nil, Reply::Double)
    } else {
        Reply::Int(if f.ch { added + changed } else { added })
    }
}

// ----- ZREM and single-member reads -----

pub(super) fn zrem(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut z = match get(m, call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(z)) => z,
    };
    let mut removed = 0;
    for member in &call.argv[2..] {
        if z.scores.remove(member).is_some() {
            removed += 1;
        }
    }
    if removed > 0 {
        let emptied = z.is_empty();
        put_back(m, call.db, key, z);
        m.notify_call(call, ZSET, "zrem", key);
        if emptied {
            m.notify_call(call, GENERIC, "del", key);
        }
    }
    Reply::Int(removed)
}

pub(super) fn zcard(m: &mut Model, call: &Call) -> Reply {
    match get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(z) => Reply::Int(z.map_or(0, |z| z.len() as i64)),
    }
}

pub(super) fn zscore(m: &mut Model, call: &Call) -> Reply {
    match get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(z) => z.and_then(|z| z.score(call.arg(2))).map_or(Reply::Nil, Reply::Double),
    }
}

pub(super) fn zmscore(m: &mut Model, call: &Call) -> Reply {
    match get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(z) => Reply::Array(
            call.argv[2..]
                .iter()
                .map(|member| z.as_ref().and_then(|z| z.score(member)).map_or(Reply::Nil, Reply::Double))
                .collect(),
        ),
    }
}

fn rank(m: &mut Model, call: &Call, reverse: bool) -> Reply {
    let z = match get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Nil,
        Ok(Some(z)) => z,
    };
    let sorted = z.sorted();
    match sorted.iter().position(|(member, _)| member.as_slice() == call.arg(2)) {
        None => Reply::Nil,
        Some(i) if reverse => Reply::Int((sorted.len() - 1 - i) as i64),
        Some(i) => Reply::Int(i as i64),
    }
}

pub(super) fn zrank(m: &mut Model, call: &Call) -> Reply {
    rank(m, call, false)
}

pub(super) fn zrevrank(m: &mut Model, call: &Call) -> Reply {
    rank(m, call, true)
}
