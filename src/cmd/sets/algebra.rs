//! Set algebra (Redis's sinterGenericCommand and sunionDiffGenericCommand): SMEMBERS, SINTER,
//! SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.
//!
//! Results are built the way Redis builds them, starting from an empty intset and adding
//! members, so a stored result has the encoding Redis would give it (an intset when every
//! member is an integer and there are few enough, even if the sources were hash tables).

use super::{as_set, max_intset, opt_is, reply};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::engine::value::{SetValue, Value};
use crate::engine::Ctx;
use crate::resp::Frame;

const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
const TOO_MANY_NUMKEYS: &str = "ERR Number of keys can't be greater than number of args";
const LIMIT_NEGATIVE: &str = "ERR LIMIT can't be negative";

/// Looks every key up for reading, in argument order (Redis's lookupKeyRead: expiry, keyspace
/// hit or miss), and fails with WRONGTYPE at the first key that holds another type.
fn check_sets(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<(), Frame> {
    for key in keys {
        if let Some(value) = ctx.lookup_read(key) {
            as_set(value)?;
        }
    }
    Ok(())
}

/// The sets under `keys` after `check_sets`: `None` for missing keys.
fn stored_sets<'c>(ctx: &'c Ctx, keys: &[Vec<u8>]) -> Vec<Option<&'c SetValue>> {
    let db = &ctx.engine.dbs[ctx.client.db];
    keys.iter()
        .map(|k| match db.entry(k).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(s),
            _ => None,
        })
        .collect()
}

/// Stores a computed set under `dst` as Redis's STORE forms do: a non-empty result replaces
/// whatever was there (its TTL too); an empty one deletes `dst`. Replies the result's size.
///
/// Redis writes the reply before the events, except on SINTERSTORE's early path for a missing
/// input (`reply_first` false); see `Ctx::reply_here`.
fn store(ctx: &mut Ctx, dst: &[u8], result: SetValue, reply_first: bool) -> Frame {
    let len = result.len();
    if len == 0 && reply_first {
        ctx.reply_here();
    }
    if len > 0 {
        // setKey: a write lookup first (expires the old key), then the value without TTL.
        ctx.lookup_write(dst);
        let now_ms = ctx.now_ms;
        ctx.db().set(dst.to_vec(), Value::Set(result), now_ms);
        ctx.reply_here();
        ctx.signal_modified(dst);
        // The event is the command's name: sinterstore, sunionstore or sdiffstore.
        ctx.notify(NOTIFY_SET, ctx.meta.name, dst);
        ctx.dirty(1);
    } else if ctx.db().remove(dst).is_some() {
        ctx.signal_modified(dst);
        ctx.notify(NOTIFY_GENERIC, "del", dst);
        ctx.dirty(1);
    }
    Frame::Integer(len as i64)
}

/// What `sinter_generic` produces.
enum InterOutput<'d> {
    /// SINTER/SMEMBERS: reply with the members.
    Reply,
    /// SINTERCARD: count, stopping at `limit` (0 = no limit).
    Card { limit: u64 },
    /// SINTERSTORE: store under this key.
    Store(&'d [u8]),
}

fn sinter_generic(ctx: &mut Ctx, keys: &[Vec<u8>], output: InterOutput) -> Result<Frame, Frame> {
    check_sets(ctx, keys)?;
    let max = max_intset(ctx);
    let sets = stored_sets(ctx, keys);
    if sets.iter().any(Option::is_none) {
        // Intersecting with an empty set gives the empty set.
        return Ok(match output {
            InterOutput::Reply => Frame::Set(Vec::new()),
            InterOutput::Card { .. } => Frame::Integer(0),
            // Redis deletes (and notifies) before replying on this early path.
            InterOutput::Store(dst) => store(ctx, dst, SetValue::new_intset(), false),
        });
    }
    let mut sets: Vec<&SetValue> = sets.into_iter().flatten().collect();
    // Walk the smallest set, testing each member against the others.
    sets.sort_by_key(|s| s.len());
    let (first, rest) = (sets[0], &sets[1..]);
    let common = first.iter().filter(|m| rest.iter().all(|s| std::ptr::eq(*s, first) || s.contains(m)));
    match output {
        InterOutput::Reply => Ok(Frame::Set(common.map(|m| Frame::Bulk(m.into_owned())).collect())),
        InterOutput::Card { limit } => {
            let take = if limit == 0 { usize::MAX } else { usize::try_from(limit).unwrap_or(usize::MAX) };
            Ok(Frame::Integer(common.take(take).count() as i64))
        }
        InterOutput::Store(dst) => {
            let mut result = SetValue::new_intset();
            for m in common {
                result.add(&m, max);
            }
            Ok(store(ctx, dst, result, true))
        }
    }
}

/// SMEMBERS key: Redis serves it with SINTER of one key.
pub fn smembers(ctx: &mut Ctx) -> Frame {
    reply(sinter_generic(ctx, &ctx.argv[1..2], InterOutput::Reply))
}

pub fn sinter(ctx: &mut Ctx) -> Frame {
    reply(sinter_generic(ctx, &ctx.argv[1..], InterOutput::Reply))
}

pub fn sinterstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    reply(sinter_generic(ctx, &ctx.argv[2..], InterOutput::Store(dst)))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit].
pub fn sintercard(ctx: &mut Ctx) -> Frame {
    reply(sintercard_inner(ctx))
}

fn sintercard_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let numkeys = int_arg(ctx.arg(1)).ok().filter(|&n| n >= 1).ok_or_else(|| Frame::error(NUMKEYS_NOT_POSITIVE))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > ctx.argc() - 2 {
        return Err(Frame::error(TOO_MANY_NUMKEYS));
    }
    let mut limit = 0u64;
    let mut i = 2 + numkeys;
    while i < ctx.argc() {
        let more = ctx.argc() - 1 - i;
        if opt_is(ctx.arg(i), "LIMIT") && more > 0 {
            i += 1;
            limit = int_arg(ctx.arg(i)).ok().filter(|&n| n >= 0).ok_or_else(|| Frame::error(LIMIT_NEGATIVE))? as u64;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    sinter_generic(ctx, &ctx.argv[2..2 + numkeys], InterOutput::Card { limit })
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// Computes the union or difference of the sets under `keys` as a new set. Missing keys are
/// empty sets.
fn union_diff(ctx: &mut Ctx, keys: &[Vec<u8>], op: SetOp) -> Result<SetValue, Frame> {
    check_sets(ctx, keys)?;
    let max = max_intset(ctx);
    let sets = stored_sets(ctx, keys);
    let mut result = SetValue::new_intset();
    match op {
        SetOp::Union => {
            for set in sets.iter().flatten() {
                for m in set.iter() {
                    result.add(&m, max);
                }
            }
        }
        SetOp::Diff => {
            let Some(first) = sets[0] else {
                return Ok(result);
            };
            // The first key named again: everything is subtracted.
            if keys[1..].iter().any(|k| *k == keys[0]) {
                return Ok(result);
            }
            let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
            if diff_by_lookups(first, &others) {
                // Member by member: keep those no other set has.
                for m in first.iter() {
                    if !others.iter().any(|s| s.contains(&m)) {
                        result.add(&m, max);
                    }
                }
            } else {
                // Copy the first set, then remove every member of the others.
                for m in first.iter() {
                    result.add(&m, max);
                }
                for set in &others {
                    if result.is_empty() {
                        break;
                    }
                    for m in set.iter() {
                        result.remove(&m);
                    }
                }
            }
        }
    }
    Ok(result)
}

/// Redis's choice between its two SDIFF algorithms: testing each member of the first set
/// against the others (work: size of the first set times the number of sets, halved for its
/// better constants) or copying the first set and removing the others' members (work: all
/// members). The choice is visible: the copy goes through a hash table when the first set has
/// non-integer members, even if they are all removed afterwards.
fn diff_by_lookups(first: &SetValue, others: &[&SetValue]) -> bool {
    let sets = 1 + others.len() as u64;
    let lookups = first.len() as u64 * sets / 2;
    let copy = first.len() as u64 + others.iter().map(|s| s.len() as u64).sum::<u64>();
    lookups <= copy
}

fn members_reply(set: &SetValue) -> Frame {
    Frame::Set(set.iter().map(|m| Frame::Bulk(m.into_owned())).collect())
}

pub fn sunion(ctx: &mut Ctx) -> Frame {
    reply(union_diff(ctx, &ctx.argv[1..], SetOp::Union).map(|s| members_reply(&s)))
}

pub fn sdiff(ctx: &mut Ctx) -> Frame {
    reply(union_diff(ctx, &ctx.argv[1..], SetOp::Diff).map(|s| members_reply(&s)))
}

pub fn sunionstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    reply(union_diff(ctx, &ctx.argv[2..], SetOp::Union).map(|s| store(ctx, dst, s, true)))
}

pub fn sdiffstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    reply(union_diff(ctx, &ctx.argv[2..], SetOp::Diff).map(|s| store(ctx, dst, s, true)))
}

/// The whole set under `key` as a reply, the way SPOP with a count at least the set's size
/// answers (Redis runs SUNION on the one key).
pub(super) fn whole_set_reply(ctx: &mut Ctx, key: &[u8]) -> Frame {
    let keys = [key.to_vec()];
    reply(union_diff(ctx, &keys, SetOp::Union).map(|s| members_reply(&s)))
}
