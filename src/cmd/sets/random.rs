//! SPOP and SRANDMEMBER, drawing from the engine's seeded RNG so the same command history gives
//! the same members. The case analysis follows Redis's (whole set, pop one by one, or rebuild
//! the set from the members that stay; draws with repetition, the whole set, subtract from a
//! copy, or collect distinct draws); which members come out differs from Redis, whose RNG and
//! hash tables differ, but every answer is one Redis could give.

use super::algebra::whole_set_reply;
use super::{as_set, max_intset, reply};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::engine::value::{SetValue, Value};
use crate::engine::Ctx;
use crate::resp::Frame;
use rand_core::RngCore;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
const SRANDMEMBER_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// The most members SRANDMEMBER with a negative count returns. Redis has no limit and builds
/// the reply until memory runs out; verdis builds replies in memory, so it refuses larger
/// counts (a documented deviation).
pub const MAX_REPEATED_MEMBERS: u64 = 1 << 24;

/// The error for a negative SRANDMEMBER count beyond `MAX_REPEATED_MEMBERS`.
pub const TOO_MANY_REPEATED: &str = "ERR value is out of range, verdis limits negative counts to -16777216";

/// When the members left after SPOP are fewer than a fifth of those popped, Redis rebuilds the
/// set from the members that stay instead of popping one by one (SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

/// When the set has fewer than three times the members asked for, SRANDMEMBER copies it and
/// removes random members (SRANDMEMBER_SUB_STRATEGY_MUL).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// The set stored under `key` together with the engine's RNG (two fields of the engine,
/// borrowed at once). Use after a lookup has expired the key and checked its type.
fn set_and_rng<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<(&'c mut SetValue, &'c mut Xoshiro256PlusPlus)> {
    let db = ctx.client.db;
    let engine = &mut *ctx.engine;
    match engine.dbs[db].entry_mut(key).map(|e| &mut e.value) {
        Some(Value::Set(s)) => Some((s, &mut engine.rng)),
        _ => None,
    }
}

fn bulks(members: Vec<Vec<u8>>) -> Vec<Frame> {
    members.into_iter().map(Frame::Bulk).collect()
}

/// A uniform index below `n` (n > 0).
fn index_below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// SPOP key [count].
pub fn spop(ctx: &mut Ctx) -> Frame {
    match ctx.argc() {
        2 => reply(spop_one(ctx)),
        3 => reply(spop_count(ctx)),
        _ => Frame::error(errors::SYNTAX),
    }
}

fn spop_one(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let Some(value) = ctx.lookup_write(key) else {
        return Ok(Frame::Null);
    };
    as_set(value)?;
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Frame::Null);
    };
    let Some(member) = set.random_member(rng) else {
        return Ok(Frame::Null);
    };
    set.remove(&member);
    let emptied = set.is_empty();
    ctx.notify(NOTIFY_SET, "spop", key);
    // Redis writes the popped member before deleting an emptied set.
    ctx.reply_here();
    if emptied {
        ctx.db().remove(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
    ctx.signal_modified(key);
    ctx.dirty(1);
    if ctx.propagating() {
        ctx.propagate_as(vec![b"SREM".to_vec(), key.to_vec(), member.clone()]);
    }
    Ok(Frame::Bulk(member))
}

fn spop_count(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let count = int_arg(ctx.arg(2)).ok().filter(|&n| n >= 0).ok_or_else(|| Frame::error(NOT_POSITIVE))? as u64;
    let Some(value) = ctx.lookup_write(key) else {
        return Ok(Frame::Set(Vec::new()));
    };
    let size = as_set(value)?.len() as u64;
    if count == 0 {
        return Ok(Frame::Set(Vec::new()));
    }
    ctx.notify(NOTIFY_SET, "spop", key);
    ctx.dirty(count.min(size));
    if count >= size {
        // Everything goes: the reply is the whole set, and the key is deleted.
        let all = whole_set_reply(ctx, key);
        ctx.reply_here();
        ctx.db().remove(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
        ctx.signal_modified(key);
        if ctx.propagating() {
            ctx.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
        }
        return Ok(all);
    }
    let remaining = size - count;
    let max = max_intset(ctx);
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Frame::Set(Vec::new()));
    };
    let popped = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        pop_one_by_one(set, rng, count)
    } else {
        keep_random(set, rng, remaining, max)
    };
    ctx.signal_modified(key);
    // One SREM per member, in the order popped, instead of the SPOP (as Redis 7.0).
    if ctx.propagating() {
        for member in &popped {
            ctx.also_propagate(vec![b"SREM".to_vec(), key.to_vec(), member.clone()]);
        }
    }
    ctx.prevent_propagation();
    Ok(Frame::Set(bulks(popped)))
}

/// Pops `count` (< size) random members one at a time.
fn pop_one_by_one(set: &mut SetValue, rng: &mut Xoshiro256PlusPlus, count: u64) -> Vec<Vec<u8>> {
    let mut popped = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let Some(member) = set.random_member(rng) else {
            break;
        };
        set.remove(&member);
        popped.push(member);
    }
    popped
}

/// Moves `remaining` (>= 1) random members into a new set, which replaces the old one; returns
/// the members left behind, which are the ones popped. The new set starts in the encoding its
/// first member allows, as Redis's setTypeCreate, so a hash table can become an intset here.
fn keep_random(set: &mut SetValue, rng: &mut Xoshiro256PlusPlus, remaining: u64, max: u64) -> Vec<Vec<u8>> {
    let mut kept: Option<SetValue> = None;
    for _ in 0..remaining {
        let Some(member) = set.random_member(rng) else {
            break;
        };
        set.remove(&member);
        kept.get_or_insert_with(|| SetValue::new_for(&member)).add(&member, max);
    }
    let popped = set.members();
    if let Some(kept) = kept {
        *set = kept;
    }
    popped
}

/// SRANDMEMBER key [count].
pub fn srandmember(ctx: &mut Ctx) -> Frame {
    match ctx.argc() {
        2 => reply(srandmember_one(ctx)),
        3 => reply(srandmember_count(ctx)),
        _ => Frame::error(errors::SYNTAX),
    }
}

fn srandmember_one(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let Some(value) = ctx.lookup_read(key) else {
        return Ok(Frame::Null);
    };
    as_set(value)?;
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Frame::Null);
    };
    Ok(set.random_member(rng).map_or(Frame::Null, Frame::Bulk))
}

fn srandmember_count(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let count = int_arg(ctx.arg(2))?;
    if count == i64::MIN {
        return Err(Frame::error(SRANDMEMBER_RANGE));
    }
    // A negative count allows the same member several times.
    let (count, distinct) = (count.unsigned_abs(), count >= 0);
    let Some(value) = ctx.lookup_read(key) else {
        return Ok(Frame::Array(Vec::new()));
    };
    as_set(value)?;
    if count == 0 {
        return Ok(Frame::Array(Vec::new()));
    }
    if !distinct && count > MAX_REPEATED_MEMBERS {
        return Err(Frame::error(TOO_MANY_REPEATED));
    }
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let size = set.len() as u64;
    let members = if !distinct || count == 1 {
        (0..count).filter_map(|_| set.random_member(rng)).collect()
    } else if count >= size {
        set.members()
    } else if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        subtract_random(set, rng, count as usize)
    } else {
        distinct_draws(set, rng, count as usize)
    };
    Ok(Frame::Array(bulks(members)))
}

/// `count` distinct members of a set not much bigger: all members, minus random ones.
fn subtract_random(set: &SetValue, rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<Vec<u8>> {
    let mut members = set.members();
    while members.len() > count {
        let i = index_below(rng, members.len());
        members.swap_remove(i);
    }
    members
}

/// `count` distinct members of a set at least three times bigger: random draws, skipping
/// repeats. Each draw is new with probability at least 2/3, so the bound on draws is never
/// reached in practice; if it were, the table order supplies the missing members.
fn distinct_draws(set: &SetValue, rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<Vec<u8>> {
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    let max_draws = count.saturating_mul(64).saturating_add(64);
    for _ in 0..max_draws {
        if out.len() == count {
            return out;
        }
        if let Some(member) = set.random_member(rng) {
            if seen.insert(member.clone()) {
                out.push(member);
            }
        }
    }
    for member in set.iter() {
        if out.len() == count {
            break;
        }
        if !seen.contains(member.as_ref()) {
            seen.insert(member.to_vec());
            out.push(member.into_owned());
        }
    }
    out
}
