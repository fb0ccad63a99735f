//! HRANDFIELD key [count [WITHVALUES]], from the engine's seeded RNG, following the cases of
//! Redis's hrandfieldWithCountCommand:
//! 1. a negative count (or 1): that many independent picks, repeats allowed, in pick order;
//! 2. a count at least the size: the whole hash in its iteration order;
//! 3. a count more than a third of the size: all fields, minus random ones until `count` remain;
//! 4. otherwise: distinct random picks (a listpack is sampled in one ordered pass instead).
//!
//! WITHVALUES replies flat field, value pairs in RESP2 and two-element arrays in RESP3.

use super::{as_hash, c_str_is, reply};
use crate::cmd::args::int_arg;
use crate::engine::hash::Hash;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;
use rand_core::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeSet;

/// The most picks a negative count may ask for. Redis would try to build any size of reply and
/// run out of memory; verdis refuses with the range error instead (a documented deviation).
pub(crate) const MAX_RANDOM_PICKS: u64 = 10_000_000;

pub fn hrandfield(ctx: &mut Ctx) -> Frame {
    reply(hrandfield_inner(ctx))
}

fn hrandfield_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    if ctx.argc() < 3 {
        let Some((h, rng)) = hash_and_rng(ctx, ctx.arg(1))? else {
            return Ok(Frame::Null);
        };
        let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
        return Ok(pick(&pairs, rng).map_or(Frame::Null, |(f, _)| Frame::Bulk(f.to_vec())));
    }
    let count = int_arg(ctx.arg(2))?;
    if count == i64::MIN {
        return Err(Frame::error(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    if ctx.argc() > 4 || (ctx.argc() == 4 && !c_str_is(ctx.arg(3), "withvalues")) {
        return Err(Frame::error(errors::SYNTAX));
    }
    let with_values = ctx.argc() == 4;
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Frame::error("ERR value is out of range"));
    }
    with_count(ctx, count, with_values)
}

/// The hash at `key` (a read lookup: expiry, hit/miss statistics) with the engine's RNG.
fn hash_and_rng<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<(&'c Hash, &'c mut Xoshiro256PlusPlus)>, Frame> {
    if ctx.lookup_read(key).is_none() {
        return Ok(None);
    }
    let db = ctx.client.db;
    let engine = &mut *ctx.engine;
    match engine.dbs[db].entry(key) {
        Some(entry) => Ok(Some((as_hash(&entry.value)?, &mut engine.rng))),
        None => Ok(None),
    }
}

/// Collects the reply: fields alone, flat pairs (RESP2) or two-element arrays (RESP3).
struct Out {
    with_values: bool,
    resp3: bool,
    items: Vec<Frame>,
}

impl Out {
    fn push(&mut self, field: &[u8], value: &[u8]) {
        let f = Frame::Bulk(field.to_vec());
        if !self.with_values {
            self.items.push(f);
        } else if self.resp3 {
            self.items.push(Frame::Array(vec![f, Frame::Bulk(value.to_vec())]));
        } else {
            self.items.push(f);
            self.items.push(Frame::Bulk(value.to_vec()));
        }
    }
}

/// A uniform random number below `n` (n > 0).
fn below(rng: &mut impl RngCore, n: u64) -> u64 {
    rng.next_u64() % n
}

/// A uniformly chosen pair. The pairs are gathered in a vector once per command: a table's own
/// random entry (a random bucket, then a random chain element) favours fields in short chains.
fn pick<'p>(pairs: &[(&'p [u8], &'p [u8])], rng: &mut impl RngCore) -> Option<(&'p [u8], &'p [u8])> {
    if pairs.is_empty() {
        return None;
    }
    Some(pairs[below(rng, pairs.len() as u64) as usize])
}

fn with_count(ctx: &mut Ctx, count: i64, with_values: bool) -> Result<Frame, Frame> {
    let resp3 = ctx.client.resp >= 3;
    let Some((h, rng)) = hash_and_rng(ctx, ctx.arg(1))? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let unique = count >= 0;
    let count = count.unsigned_abs();
    if count == 0 {
        return Ok(Frame::Array(Vec::new()));
    }
    let size = h.len() as u64;
    if !unique && count > MAX_RANDOM_PICKS {
        return Err(Frame::error("ERR value is out of range"));
    }
    let mut pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    let mut out = Out { with_values, resp3, items: Vec::new() };
    if !unique || count == 1 {
        // Case 1: independent picks.
        for _ in 0..count {
            if let Some((f, v)) = pick(&pairs, rng) {
                out.push(f, v);
            }
        }
    } else if count >= size {
        // Case 2: everything.
        for (f, v) in pairs {
            out.push(f, v);
        }
    } else if count * 3 > size {
        // Case 3: drop random pairs until `count` remain.
        while pairs.len() as u64 > count {
            let i = below(rng, pairs.len() as u64) as usize;
            pairs.swap_remove(i);
        }
        for (f, v) in pairs {
            out.push(f, v);
        }
    } else if h.is_listpack() {
        // Case 4 on a listpack: one ordered pass, each pair taken with probability
        // (still wanted) / (still unvisited), as lpRandomPairsUnique.
        let mut wanted = count;
        for (i, (f, v)) in pairs.iter().enumerate() {
            if wanted == 0 {
                break;
            }
            if below(rng, size - i as u64) < wanted {
                out.push(f, v);
                wanted -= 1;
            }
        }
    } else {
        // Case 4 on a table: random picks in pick order, skipping repeats. `count` is under a
        // third of the size, so a pick is new with probability above 2/3; the bound on picks
        // only matters for a broken RNG, and the walk after it completes the count.
        let mut seen: BTreeSet<usize> = BTreeSet::new();
        let mut picks_left = count.saturating_mul(64).saturating_add(1024);
        while (seen.len() as u64) < count && picks_left > 0 {
            picks_left -= 1;
            let i = below(rng, size) as usize;
            if seen.insert(i) {
                out.push(pairs[i].0, pairs[i].1);
            }
        }
        for (i, (f, v)) in pairs.iter().enumerate() {
            if seen.len() as u64 >= count {
                break;
            }
            if seen.insert(i) {
                out.push(f, v);
            }
        }
    }
    Ok(Frame::Array(out.items))
}
