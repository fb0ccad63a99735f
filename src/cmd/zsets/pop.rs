//! ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN.

use super::{delete_if_empty, opt, read_zset, write_zset};
use crate::cmd::args::int_arg;
use crate::cmd::keyspace::parse_scan_cursor;
use crate::engine::glob::string_match;
use crate::engine::notify::NOTIFY_ZSET;
use crate::engine::value::Value;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

/// Which end a pop takes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum End {
    Min,
    Max,
}

/// How a pop's reply is shaped (genericZpopCommand's `emitkey` and `use_nested_array`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PopShape {
    /// ZPOPMIN/ZPOPMAX: [member, score, ...].
    Flat,
    /// ZPOPMIN/ZPOPMAX with a count in RESP3: [[member, score], ...].
    Nested,
    /// BZPOPMIN/BZPOPMAX: [key, member, score].
    FlatWithKey,
    /// ZMPOP/BZMPOP: [key, [[member, score], ...]].
    NestedWithKey,
}

/// Pops up to `count` elements from the sorted set at `key` (which must exist and be a sorted
/// set), deletes the key when it empties, and builds the reply.
pub(crate) fn pop_from(ctx: &mut Ctx, key: &[u8], end: End, count: usize, shape: PopShape) -> Frame {
    let popped = match ctx.lookup_write(key) {
        Some(Value::ZSet(z)) => {
            let n = count.min(z.len());
            if end == End::Min {
                z.remove_range(0, n)
            } else {
                let len = z.len();
                let mut v = z.remove_range(len - n, len);
                v.reverse();
                v
            }
        }
        _ => Vec::new(),
    };
    if !popped.is_empty() {
        ctx.notify(NOTIFY_ZSET, if end == End::Min { "zpopmin" } else { "zpopmax" }, key);
        ctx.signal_modified(key);
        ctx.dirty(popped.len() as u64);
        delete_if_empty(ctx, key);
    }
    let pair = |(s, m): (f64, Vec<u8>)| Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)]);
    let flat = |v: Vec<(f64, Vec<u8>)>| v.into_iter().flat_map(|(s, m)| [Frame::Bulk(m), Frame::Double(s)]);
    match shape {
        PopShape::Flat => Frame::Array(flat(popped).collect()),
        PopShape::Nested => Frame::Array(popped.into_iter().map(pair).collect()),
        PopShape::FlatWithKey => Frame::Array(std::iter::once(Frame::Bulk(key.to_vec())).chain(flat(popped)).collect()),
        PopShape::NestedWithKey => {
            Frame::Array(vec![Frame::Bulk(key.to_vec()), Frame::Array(popped.into_iter().map(pair).collect())])
        }
    }
}

pub fn zpopmin(ctx: &mut Ctx) -> Frame {
    zpop_generic(ctx, End::Min)
}

pub fn zpopmax(ctx: &mut Ctx) -> Frame {
    zpop_generic(ctx, End::Max)
}

/// getPositiveLongFromObjectOrReply with Redis's default message.
fn positive_arg(arg: &[u8]) -> Result<i64, Frame> {
    match int_arg(arg) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(Frame::error("ERR value is out of range, must be positive")),
    }
}

/// ZPOPMIN/ZPOPMAX key [count].
fn zpop_generic(ctx: &mut Ctx, end: End) -> Frame {
    if ctx.argc() > 3 {
        return Frame::error(errors::SYNTAX);
    }
    let count = if ctx.argc() == 3 {
        match positive_arg(ctx.arg(2)) {
            Ok(n) => Some(n),
            Err(e) => return e,
        }
    } else {
        None
    };
    let key = ctx.arg(1);
    match write_zset(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(Vec::new()),
        Ok(Some(_)) => {}
    }
    if count == Some(0) {
        return Frame::Array(Vec::new());
    }
    let shape = if ctx.client.resp > 2 && count.is_some() { PopShape::Nested } else { PopShape::Flat };
    let n = count.map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX));
    pop_from(ctx, key, end, n, shape)
}

/// The parsed arguments of ZMPOP/BZMPOP: keys, end and count.
pub(crate) struct MpopArgs<'a> {
    pub keys: &'a [Vec<u8>],
    pub end: End,
    pub count: usize,
}

/// Parses `numkeys key... MIN|MAX [COUNT count]` starting at argument `numkeys_idx`.
pub(crate) fn parse_mpop<'a>(argv: &'a [Vec<u8>], numkeys_idx: usize) -> Result<MpopArgs<'a>, Frame> {
    let numkeys = match int_arg(&argv[numkeys_idx]) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(Frame::error("ERR numkeys should be greater than 0")),
    };
    let where_idx = (numkeys_idx as u64).saturating_add(numkeys).saturating_add(1);
    let Some(where_arg) = usize::try_from(where_idx).ok().and_then(|i| argv.get(i)) else {
        return Err(Frame::error(errors::SYNTAX));
    };
    let where_idx = where_idx as usize;
    let end = if opt(where_arg, "min") {
        End::Min
    } else if opt(where_arg, "max") {
        End::Max
    } else {
        return Err(Frame::error(errors::SYNTAX));
    };
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count.is_none() && opt(&argv[j], "count") && more > 0 {
            j += 1;
            match int_arg(&argv[j]) {
                Ok(n) if n >= 1 => count = Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => return Err(Frame::error("ERR count should be greater than 0")),
            }
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(MpopArgs { keys: &argv[numkeys_idx + 1..where_idx], end, count: count.unwrap_or(1) })
}

/// The first key holding a sorted set, WRONGTYPE for the first key of another type met before.
pub(crate) fn first_nonempty<'a>(ctx: &mut Ctx, keys: &'a [Vec<u8>]) -> Result<Option<&'a [u8]>, Frame> {
    for key in keys {
        if write_zset(ctx, key)?.is_some() {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: propagated as ZPOPMIN/ZPOPMAX key n.
pub fn zmpop(ctx: &mut Ctx) -> Frame {
    let args = match parse_mpop(ctx.argv, 1) {
        Ok(a) => a,
        Err(e) => return e,
    };
    match first_nonempty(ctx, args.keys) {
        Err(e) => e,
        Ok(None) => Frame::NullArray,
        Ok(Some(key)) => {
            let len = super::zset_len(ctx, key);
            ctx.propagate_as(pop_propagation(args.end, key, Some(args.count.min(len))));
            pop_from(ctx, key, args.end, args.count, PopShape::NestedWithKey)
        }
    }
}

/// How a pop propagates (Redis's rewriteClientCommandVector / alsoPropagate): ZPOPMIN or
/// ZPOPMAX with the key, and the number of elements when the command had a count.
pub(crate) fn pop_propagation(end: End, key: &[u8], count: Option<usize>) -> Vec<Vec<u8>> {
    let name: &[u8] = if end == End::Min { b"ZPOPMIN" } else { b"ZPOPMAX" };
    let mut argv = vec![name.to_vec(), key.to_vec()];
    if let Some(n) = count {
        argv.push(n.to_string().into_bytes());
    }
    argv
}

/// ZRANDMEMBER key [count [WITHSCORES]].
pub fn zrandmember(ctx: &mut Ctx) -> Frame {
    if ctx.argc() == 2 {
        return random_one(ctx);
    }
    let l = match int_arg(ctx.arg(2)) {
        Ok(n) if n == i64::MIN => {
            return Frame::error(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Ok(n) => n,
        Err(e) => return e,
    };
    let withscores = match ctx.argc() {
        3 => false,
        4 if opt(ctx.arg(3), "withscores") => true,
        _ => return Frame::error(errors::SYNTAX),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Frame::error("ERR value is out of range");
    }
    random_with_count(ctx, l, withscores)
}

fn random_one(ctx: &mut Ctx) -> Frame {
    let (db, key) = (ctx.client.db, ctx.arg(1));
    match read_zset(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(_)) => {}
    }
    let engine = &mut *ctx.engine;
    match engine.dbs[db].entry(key).map(|e| &e.value) {
        Some(Value::ZSet(z)) => z.random_element(&mut engine.rng).map_or(Frame::Null, |(_, m)| Frame::Bulk(m.to_vec())),
        _ => Frame::Null,
    }
}

/// The most elements a negative ZRANDMEMBER count may ask for. Redis would try to build any
/// reply (and run out of memory on absurd counts); verdis refuses beyond this, as it does for
/// SRANDMEMBER (specs/deviations.md).
const MAX_RANDOM_PICKS: u64 = 1 << 24;

/// ZRANDMEMBER with a count: distinct members for a positive count (the whole set, highest
/// first, when the count reaches its size), members picked independently for a negative one.
fn random_with_count(ctx: &mut Ctx, l: i64, withscores: bool) -> Frame {
    let (db, key, resp) = (ctx.client.db, ctx.arg(1), ctx.client.resp);
    match read_zset(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(Vec::new()),
        Ok(Some(_)) => {}
    }
    let engine = &mut *ctx.engine;
    let Some(Value::ZSet(z)) = engine.dbs[db].entry(key).map(|e| &e.value) else {
        return Frame::Array(Vec::new());
    };
    let rng = &mut engine.rng;
    let count = l.unsigned_abs();
    if l < 0 && count > MAX_RANDOM_PICKS {
        return Frame::error("ERR value is out of range, verdis limits negative counts to -16777216");
    }
    let size = z.len() as u64;
    // A listpack finds a rank by walking from the front: index it once, as many picks may come.
    let listpack: Option<Vec<(f64, &[u8])>> = z.is_listpack().then(|| z.iter().collect());
    let at = |rank: u64| match &listpack {
        Some(items) => items.get(rank as usize).map(|&(s, m)| (m.to_vec(), s)),
        None => z.get(rank as usize).map(|(s, m)| (m.to_vec(), s)),
    };
    let mut random_rank = || rand_core::RngCore::next_u64(rng) % size;
    let picks: Vec<(Vec<u8>, f64)> = if count == 0 || size == 0 {
        Vec::new()
    } else if l < 0 || count == 1 {
        // Independent picks, each uniform over the set.
        (0..count).filter_map(|_| at(random_rank())).collect()
    } else if count >= size {
        // The whole set, walked from the highest element down as Redis's zuiNext does.
        z.iter_back_from(z.len() - 1).map(|(s, m)| (m.to_vec(), s)).collect()
    } else if count * 3 > size {
        // Most of the set: drop random elements until `count` remain (Redis's CASE 3).
        let mut ranks: Vec<u64> = (0..size).collect();
        while ranks.len() as u64 > count {
            let i = (random_rank() % ranks.len() as u64) as usize;
            ranks.swap_remove(i);
        }
        ranks.sort_unstable();
        ranks.into_iter().filter_map(at).collect()
    } else {
        // A small part of a big set: draw until `count` distinct elements (Redis's CASE 4).
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::with_capacity(count as usize);
        while (out.len() as u64) < count {
            let r = random_rank();
            if seen.insert(r) {
                out.extend(at(r));
            }
        }
        out
    };
    super::elements_reply(resp, picks, withscores)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count].
pub fn zscan(ctx: &mut Ctx) -> Frame {
    let cursor = match parse_scan_cursor(ctx.arg(2)) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match read_zset(ctx, ctx.arg(1)) {
        Err(e) => return e,
        Ok(None) => return Frame::Array(vec![Frame::bulk_str("0"), Frame::Array(Vec::new())]),
        Ok(Some(_)) => {}
    }
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < ctx.argc() {
        let more = ctx.argc() - i;
        if opt(ctx.arg(i), "count") && more >= 2 {
            count = match int_arg(ctx.arg(i + 1)) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if count < 1 {
                return Frame::error(errors::SYNTAX);
            }
        } else if opt(ctx.arg(i), "match") && more >= 2 {
            let p = ctx.arg(i + 1);
            pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Frame::error(errors::SYNTAX);
        }
        i += 2;
    }
    let key = ctx.arg(1);
    let Some(Value::ZSet(z)) = ctx.db().entry(key).map(|e| &e.value) else {
        return Frame::Array(vec![Frame::bulk_str("0"), Frame::Array(Vec::new())]);
    };
    let mut out = Vec::new();
    let next = z.scan(cursor, count as u64, |member, score| {
        if pattern.is_none_or(|p| string_match(p, member, false)) {
            out.push(Frame::Bulk(member.to_vec()));
            out.push(Frame::Bulk(score.into_bytes()));
        }
    });
    // Redis replies with the cursor as a signed 64-bit number.
    Frame::Array(vec![Frame::Bulk((next as i64).to_string().into_bytes()), Frame::Array(out)])
}
