//! Setting, deleting and reading fields: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
//! HEXISTS, HKEYS, HVALS, HGETALL.

use super::{change_hash, read_hash, reply};
use crate::engine::hash::Hash;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_HASH};
use crate::engine::value::Value;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

/// HSET key field value [field value ...] (replies the number of new fields) and HMSET (replies
/// OK). Every pair counts as one change, new or not.
pub fn hset(ctx: &mut Ctx) -> Frame {
    if ctx.argc() % 2 == 1 {
        return Frame::error(errors::wrong_arity(ctx.meta.name));
    }
    let key = ctx.arg(1);
    let args = &ctx.argv[2..];
    let created = change_hash(ctx, key, |h, limits| {
        h.prepare_for(args.iter().map(Vec::as_slice), limits);
        let mut created = 0;
        for pair in args.chunks_exact(2) {
            if !h.set(&pair[0], pair[1].clone(), limits) {
                created += 1;
            }
        }
        Ok(created)
    });
    let created = match created {
        Ok(n) => n,
        Err(e) => return e,
    };
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_HASH, "hset", key);
    ctx.dirty(args.len() as u64 / 2);
    if ctx.meta.name == "hset" {
        Frame::Integer(created)
    } else {
        Frame::ok()
    }
}

/// HSETNX key field value: sets the field only when it is missing; replies 1 if it did.
pub fn hsetnx(ctx: &mut Ctx) -> Frame {
    let (key, field, value) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let stored = change_hash(ctx, key, |h, limits| {
        if h.contains(field) {
            return Ok(false);
        }
        h.prepare_for([field, value], limits);
        h.set(field, value.to_vec(), limits);
        Ok(true)
    });
    match stored {
        Ok(true) => {
            ctx.reply_here();
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_HASH, "hset", key);
            ctx.dirty(1);
            Frame::Integer(1)
        }
        Ok(false) => Frame::Integer(0),
        Err(e) => e,
    }
}

/// A field's value as a reply: the bytes, or nil.
fn field_reply(value: Option<&[u8]>) -> Frame {
    value.map_or(Frame::Null, |v| Frame::Bulk(v.to_vec()))
}

/// HGET key field
pub fn hget(ctx: &mut Ctx) -> Frame {
    let field = ctx.arg(2);
    match read_hash(ctx, ctx.arg(1)) {
        Ok(h) => field_reply(h.and_then(|h| h.get(field))),
        Err(e) => e,
    }
}

/// HMGET key field [field ...]: a missing key is an empty hash (all nils).
pub fn hmget(ctx: &mut Ctx) -> Frame {
    let fields = &ctx.argv[2..];
    match read_hash(ctx, ctx.arg(1)) {
        Ok(h) => Frame::Array(fields.iter().map(|f| field_reply(h.and_then(|h| h.get(f)))).collect()),
        Err(e) => e,
    }
}

/// HDEL key field [field ...]: replies how many fields were deleted; deleting the last field
/// deletes the key (and stops there, as Redis does).
pub fn hdel(ctx: &mut Ctx) -> Frame {
    reply(hdel_inner(ctx))
}

fn hdel_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let fields = &ctx.argv[2..];
    let (deleted, now_empty) = match ctx.lookup_write(key) {
        None => return Ok(Frame::Integer(0)),
        Some(Value::Hash(h)) => {
            let mut deleted: i64 = 0;
            for field in fields {
                if h.remove(field) {
                    deleted += 1;
                    if h.is_empty() {
                        break;
                    }
                }
            }
            (deleted, h.is_empty())
        }
        Some(_) => return Err(Frame::error(errors::WRONGTYPE)),
    };
    if now_empty {
        ctx.db().remove(key);
    }
    if deleted > 0 {
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_HASH, "hdel", key);
        if now_empty {
            ctx.notify(NOTIFY_GENERIC, "del", key);
        }
        ctx.dirty(deleted as u64);
    }
    Ok(Frame::Integer(deleted))
}

/// Runs `f` on the hash at argv[1] for a reply that is 0 when the key is missing (HLEN,
/// HSTRLEN, HEXISTS: lookupKeyReadOrReply with czero).
fn with_hash_or_zero(ctx: &mut Ctx, f: impl FnOnce(&Hash) -> i64) -> Frame {
    match read_hash(ctx, ctx.arg(1)) {
        Ok(Some(h)) => Frame::Integer(f(h)),
        Ok(None) => Frame::Integer(0),
        Err(e) => e,
    }
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx) -> Frame {
    with_hash_or_zero(ctx, |h| h.len() as i64)
}

/// HSTRLEN key field: the value's length, 0 when the field is missing.
pub fn hstrlen(ctx: &mut Ctx) -> Frame {
    let field = ctx.arg(2);
    with_hash_or_zero(ctx, |h| h.get(field).map_or(0, |v| v.len() as i64))
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx) -> Frame {
    let field = ctx.arg(2);
    with_hash_or_zero(ctx, |h| i64::from(h.contains(field)))
}

/// What HKEYS, HVALS and HGETALL list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

/// genericHgetallCommand: fields, values or both (a map) in the hash's iteration order.
fn get_all(ctx: &mut Ctx, parts: Parts) -> Frame {
    let h = match read_hash(ctx, ctx.arg(1)) {
        Ok(Some(h)) => h,
        Ok(None) if parts == Parts::Both => return Frame::Map(Vec::new()),
        Ok(None) => return Frame::Array(Vec::new()),
        Err(e) => return e,
    };
    let bulk = |b: &[u8]| Frame::Bulk(b.to_vec());
    match parts {
        Parts::Fields => Frame::Array(h.iter().map(|(f, _)| bulk(f)).collect()),
        Parts::Values => Frame::Array(h.iter().map(|(_, v)| bulk(v)).collect()),
        Parts::Both => Frame::Map(h.iter().map(|(f, v)| (bulk(f), bulk(v))).collect()),
    }
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx) -> Frame {
    get_all(ctx, Parts::Fields)
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx) -> Frame {
    get_all(ctx, Parts::Values)
}

/// HGETALL key: a map (a flat array of field, value pairs in RESP2).
pub fn hgetall(ctx: &mut Ctx) -> Frame {
    get_all(ctx, Parts::Both)
}
