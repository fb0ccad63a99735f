//! The sets command family (Redis's t_set.c): SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SMOVE
//! here; SPOP and SRANDMEMBER in `random`; SMEMBERS, SINTER, SINTERCARD, SUNION, SDIFF and the
//! STORE forms in `algebra`; SSCAN in `scan`.
//!
//! Values are `SetValue`s, which keep Redis's intset/hashtable encodings and conversion rules,
//! so OBJECT ENCODING answers as Redis does under the same `set-max-intset-entries`.

mod algebra;
mod random;
mod scan;
#[cfg(test)]
mod tests;

use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::engine::value::{SetValue, Value};
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "sadd" => sadd,
        "srem" => srem,
        "sismember" => sismember,
        "smismember" => smismember,
        "scard" => scard,
        "smove" => smove,
        "spop" => random::spop,
        "srandmember" => random::srandmember,
        "smembers" => algebra::smembers,
        "sinter" => algebra::sinter,
        "sintercard" => algebra::sintercard,
        "sinterstore" => algebra::sinterstore,
        "sunion" => algebra::sunion,
        "sunionstore" => algebra::sunionstore,
        "sdiff" => algebra::sdiff,
        "sdiffstore" => algebra::sdiffstore,
        "sscan" => scan::sscan,
        _ => return None,
    };
    Some(h)
}

/// The set held by `value`, or WRONGTYPE (Redis's checkType).
pub(crate) fn as_set(value: &Value) -> Result<&SetValue, Frame> {
    match value {
        Value::Set(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// Mutable form of `as_set`.
pub(crate) fn as_set_mut(value: &mut Value) -> Result<&mut SetValue, Frame> {
    match value {
        Value::Set(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// `set-max-intset-entries`.
fn max_intset(ctx: &Ctx) -> u64 {
    ctx.engine.config.set_max_intset_entries()
}

/// Redis compares option names with strcasecmp, which stops at the first NUL byte.
fn opt_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// The set stored under `key` in the client's database, without a lookup (no expiry, no
/// statistics): for use after a lookup has already done both.
fn stored_set_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut SetValue> {
    match ctx.db().entry_mut(key).map(|e| &mut e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Turns a handler body's `Result` into its reply.
fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}

/// SADD key member [member ...]: creates the set in the encoding the first member allows.
fn sadd(ctx: &mut Ctx) -> Frame {
    reply(sadd_inner(ctx))
}

fn sadd_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let members = &ctx.argv[2..];
    let max = max_intset(ctx);
    let now_ms = ctx.now_ms;
    let added = match ctx.lookup_write(key) {
        Some(value) => {
            let set = as_set_mut(value)?;
            members.iter().filter(|m| set.add(m, max)).count()
        }
        None => {
            let mut set = SetValue::new_for(&members[0]);
            let added = members.iter().filter(|m| set.add(m, max)).count();
            ctx.db().set(key.to_vec(), Value::Set(set), now_ms);
            added
        }
    };
    if added > 0 {
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_SET, "sadd", key);
    }
    ctx.dirty(added as u64);
    Ok(Frame::Integer(added as i64))
}

/// SREM key member [member ...]: the key goes when its last member does.
fn srem(ctx: &mut Ctx) -> Frame {
    reply(srem_inner(ctx))
}

fn srem_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let members = &ctx.argv[2..];
    let Some(value) = ctx.lookup_write(key) else {
        return Ok(Frame::Integer(0));
    };
    let set = as_set_mut(value)?;
    let mut deleted = 0u64;
    for member in members {
        if set.remove(member) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if emptied {
        ctx.db().remove(key);
    }
    if deleted > 0 {
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_SET, "srem", key);
        if emptied {
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        ctx.dirty(deleted);
    }
    Ok(Frame::Integer(deleted as i64))
}

fn sismember(ctx: &mut Ctx) -> Frame {
    let member = ctx.arg(2);
    match ctx.lookup_read(ctx.arg(1)) {
        None => Frame::Integer(0),
        Some(value) => match as_set(value) {
            Ok(set) => Frame::Integer(i64::from(set.contains(member))),
            Err(e) => e,
        },
    }
}

/// SMISMEMBER: a missing key is an empty set, so every answer is 0.
fn smismember(ctx: &mut Ctx) -> Frame {
    let members = &ctx.argv[2..];
    let set = match ctx.lookup_read(ctx.arg(1)) {
        None => None,
        Some(value) => match as_set(value) {
            Ok(set) => Some(set),
            Err(e) => return e,
        },
    };
    Frame::Array(members.iter().map(|m| Frame::Integer(i64::from(set.is_some_and(|s| s.contains(m))))).collect())
}

fn scard(ctx: &mut Ctx) -> Frame {
    match ctx.lookup_read(ctx.arg(1)) {
        None => Frame::Integer(0),
        Some(value) => match as_set(value) {
            Ok(set) => Frame::Integer(set.len() as i64),
            Err(e) => e,
        },
    }
}

/// SMOVE source destination member.
fn smove(ctx: &mut Ctx) -> Frame {
    reply(smove_inner(ctx))
}

fn smove_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (src, dst, member) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    // Both keys are looked up (and expired) before anything is checked, as Redis does.
    let src_is_set = ctx.lookup_write(src).map(|v| matches!(v, Value::Set(_)));
    let dst_is_set = ctx.lookup_write(dst).map(|v| matches!(v, Value::Set(_)));
    // A missing source answers 0 even when the destination has the wrong type.
    let Some(src_is_set) = src_is_set else {
        return Ok(Frame::Integer(0));
    };
    if !src_is_set || dst_is_set == Some(false) {
        return Err(Frame::error(errors::WRONGTYPE));
    }
    let Some(source) = stored_set_mut(ctx, src) else {
        return Ok(Frame::Integer(0));
    };
    if src == dst {
        return Ok(Frame::Integer(i64::from(source.contains(member))));
    }
    if !source.remove(member) {
        return Ok(Frame::Integer(0));
    }
    let emptied = source.is_empty();
    ctx.notify(NOTIFY_SET, "srem", src);
    if emptied {
        ctx.db().remove(src);
        ctx.notify(NOTIFY_GENERIC, "del", src);
    }
    let max = max_intset(ctx);
    let now_ms = ctx.now_ms;
    if dst_is_set.is_none() {
        ctx.db().set(dst.to_vec(), Value::Set(SetValue::new_for(member)), now_ms);
    }
    ctx.signal_modified(src);
    ctx.dirty(1);
    let added = stored_set_mut(ctx, dst).is_some_and(|d| d.add(member, max));
    if added {
        ctx.dirty(1);
        ctx.signal_modified(dst);
        ctx.notify(NOTIFY_SET, "sadd", dst);
    }
    Ok(Frame::Integer(1))
}
