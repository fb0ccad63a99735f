//! Sorted set commands (Redis's t_zset.c). The value type and its encodings live in
//! `engine::zset`; this module parses arguments and shapes replies as Redis does.
//!
//! - `add`: ZADD, ZINCRBY, ZREM and the single-member reads (ZCARD, ZSCORE, ZMSCORE, ZRANK,
//!   ZREVRANK).
//! - `range`: ZRANGE and its older forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*.
//! - `pop`: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN.
//! - `blocking`: BZPOPMIN, BZPOPMAX, BZMPOP.
//! - `setops`: ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms.
//! - `score`: score and range argument parsing (C's strtod rules).

mod add;
mod blocking;
mod pop;
mod range;
pub mod score;
mod setops;

use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::engine::value::Value;
use crate::engine::zset::{Limits, ZSet};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "zadd" => add::zadd,
        "zincrby" => add::zincrby,
        "zrem" => add::zrem,
        "zcard" => add::zcard,
        "zscore" => add::zscore,
        "zmscore" => add::zmscore,
        "zrank" => add::zrank,
        "zrevrank" => add::zrevrank,
        "zrange" => range::zrange,
        "zrangestore" => range::zrangestore,
        "zrevrange" => range::zrevrange,
        "zrangebyscore" => range::zrangebyscore,
        "zrevrangebyscore" => range::zrevrangebyscore,
        "zrangebylex" => range::zrangebylex,
        "zrevrangebylex" => range::zrevrangebylex,
        "zcount" => range::zcount,
        "zlexcount" => range::zlexcount,
        "zremrangebyrank" => range::zremrangebyrank,
        "zremrangebyscore" => range::zremrangebyscore,
        "zremrangebylex" => range::zremrangebylex,
        "zpopmin" => pop::zpopmin,
        "zpopmax" => pop::zpopmax,
        "zmpop" => pop::zmpop,
        "bzpopmin" => blocking::bzpopmin,
        "bzpopmax" => blocking::bzpopmax,
        "bzmpop" => blocking::bzmpop,
        "zrandmember" => pop::zrandmember,
        "zscan" => pop::zscan,
        "zunion" => setops::zunion,
        "zinter" => setops::zinter,
        "zdiff" => setops::zdiff,
        "zintercard" => setops::zintercard,
        "zunionstore" => setops::zunionstore,
        "zinterstore" => setops::zinterstore,
        "zdiffstore" => setops::zdiffstore,
        _ => return None,
    };
    Some(h)
}

/// True when Redis's reply to `argv` (run on database `db`) is not determined: a lex range over
/// a skiplist-encoded set whose members have different scores. Redis's answer then depends on
/// the random levels of its skiplist nodes (verdis answers as the listpack encoding does, see
/// `range`). Differential tests skip such commands.
pub fn reply_unspecified(engine: &crate::engine::Engine, db: usize, argv: &[Vec<u8>]) -> bool {
    let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    let key_at = match name.as_slice() {
        b"zrangebylex" | b"zrevrangebylex" | b"zlexcount" | b"zremrangebylex" => 1,
        b"zrange" if argv.iter().any(|a| opt(a, "bylex")) => 1,
        b"zrangestore" if argv.iter().any(|a| opt(a, "bylex")) => 2,
        _ => return false,
    };
    let Some(Value::ZSet(z)) = argv.get(key_at).and_then(|k| engine.dbs.get(db)?.entry(k)).map(|e| &e.value) else {
        return false;
    };
    let (first, last) = (z.get(0), z.len().checked_sub(1).and_then(|i| z.get(i)));
    !z.is_listpack() && first.map(|e| e.0) != last.map(|e| e.0)
}

/// The listpack limits from the configuration.
fn limits(ctx: &Ctx) -> Limits {
    Limits {
        max_entries: ctx.engine.config.zset_max_listpack_entries(),
        max_value: ctx.engine.config.zset_max_listpack_value(),
    }
}

/// An option name compared as Redis's strcasecmp compares C strings: only up to a NUL byte.
fn opt(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

fn wrongtype() -> Frame {
    Frame::error(errors::WRONGTYPE)
}

/// lookupKeyRead plus checkType: `Ok(None)` for a missing key.
fn read_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ZSet>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(wrongtype()),
    }
}

/// lookupKeyWrite plus checkType: `Ok(None)` for a missing key.
fn write_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ZSet>, Frame> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(wrongtype()),
    }
}

/// The size of the sorted set at `key` (0 when there is none), without a lookup's side effects.
fn zset_len(ctx: &mut Ctx, key: &[u8]) -> usize {
    match ctx.db().entry(key).map(|e| &e.value) {
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    }
}

/// Deletes `key` when its sorted set became empty; true when it did.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) -> bool {
    let empty = matches!(ctx.db().entry(key).map(|e| &e.value), Some(Value::ZSet(z)) if z.is_empty());
    if empty {
        ctx.db().remove(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
    empty
}

/// Elements with optional scores, as Redis replies with them: a flat array in RESP2 (member,
/// score, member, score, ...), an array of [member, score] pairs in RESP3.
fn elements_reply(resp: u8, items: Vec<(Vec<u8>, f64)>, withscores: bool) -> Frame {
    if !withscores {
        return Frame::Array(items.into_iter().map(|(m, _)| Frame::Bulk(m)).collect());
    }
    if resp >= 3 {
        Frame::Array(items.into_iter().map(|(m, s)| Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)])).collect())
    } else {
        Frame::Array(items.into_iter().flat_map(|(m, s)| [Frame::Bulk(m), Frame::Double(s)]).collect())
    }
}

/// Stores a STORE command's result in `dst` (setKey: replacing any value and its TTL) or, when
/// it is empty, deletes `dst`; replies with the result's size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: ZSet) -> Frame {
    let len = result.len();
    if len == 0 {
        // Redis replies 0 before deleting the destination.
        ctx.reply_here();
    }
    if len > 0 {
        ctx.exists(dst); // setKey's lookupKeyWrite: an expired destination is expired first
        let now = ctx.now_ms;
        ctx.db().set(dst.to_vec(), Value::ZSet(result), now);
        ctx.reply_here();
        ctx.signal_modified(dst);
        // The event is the command's name (zrangestore, zunionstore, zinterstore, zdiffstore).
        ctx.notify(NOTIFY_ZSET, ctx.meta.name, dst);
        ctx.dirty(1);
    } else if ctx.db().remove(dst).is_some() {
        // dbDelete: no expiry check, a present key counts as deleted.
        ctx.signal_modified(dst);
        ctx.notify(NOTIFY_GENERIC, "del", dst);
        ctx.dirty(1);
    }
    Frame::Integer(len as i64)
}

#[cfg(test)]
mod tests;
