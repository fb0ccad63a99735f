//! ZADD, ZINCRBY, ZREM and the single-member reads.

use super::score::string2d;
use super::{delete_if_empty, limits, opt, read_zset, write_zset};
use crate::engine::notify::NOTIFY_ZSET;
use crate::engine::value::Value;
use crate::engine::zset::{Limits, ZSet};
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";

/// ZADD's condition flags.
#[derive(Clone, Copy, Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
}

/// What one zsetAdd did.
enum Added {
    /// The increment made the score NaN; nothing changed.
    Nan,
    /// Nothing to do (NX on a present member, XX on a missing one, GT/LT refused).
    Nop,
    /// A new member with this score.
    New(f64),
    /// A present member now has this score (which may equal the old one).
    Updated { score: f64, changed: bool },
}

/// Redis's zsetAdd for one member.
fn zset_add(z: &mut ZSet, score: f64, member: &[u8], f: AddFlags, limits: Limits) -> Added {
    if score.is_nan() {
        return Added::Nan;
    }
    let Some(current) = z.score(member) else {
        if f.xx {
            return Added::Nop;
        }
        z.insert_new(score, member, limits);
        return Added::New(score);
    };
    if f.nx {
        return Added::Nop;
    }
    let score = if f.incr { score + current } else { score };
    if score.is_nan() {
        return Added::Nan;
    }
    if (f.lt && score >= current) || (f.gt && score <= current) {
        return Added::Nop;
    }
    // As C's `!=`: -0 and 0 are the same score, so no change.
    let changed = score != current;
    if changed {
        z.set_score(member, score);
    }
    Added::Updated { score, changed }
}

pub fn zadd(ctx: &mut Ctx) -> Frame {
    zadd_generic(ctx, AddFlags::default())
}

pub fn zincrby(ctx: &mut Ctx) -> Frame {
    zadd_generic(ctx, AddFlags { incr: true, ..AddFlags::default() })
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ... (and ZINCRBY key increment member, which
/// goes through the same option loop, as in Redis).
fn zadd_generic(ctx: &mut Ctx, mut f: AddFlags) -> Frame {
    let key = ctx.arg(1);
    let mut ch = false;
    let mut first = 2;
    while first < ctx.argc() {
        let arg = ctx.arg(first);
        if opt(arg, "nx") {
            f.nx = true;
        } else if opt(arg, "xx") {
            f.xx = true;
        } else if opt(arg, "ch") {
            ch = true;
        } else if opt(arg, "incr") {
            f.incr = true;
        } else if opt(arg, "gt") {
            f.gt = true;
        } else if opt(arg, "lt") {
            f.lt = true;
        } else {
            break;
        }
        first += 1;
    }
    let elements = ctx.argc() - first;
    if elements == 0 || elements % 2 == 1 {
        return Frame::error(errors::SYNTAX);
    }
    if f.nx && f.xx {
        return Frame::error("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Frame::error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && elements > 2 {
        return Frame::error("ERR INCR option supports a single increment-element pair");
    }
    // Every score is parsed before anything changes: the command runs fully or not at all.
    let mut pairs = Vec::with_capacity(elements / 2);
    for i in (first..ctx.argc()).step_by(2) {
        match string2d(ctx.arg(i)) {
            Some(score) => pairs.push((score, ctx.arg(i + 1))),
            None => return Frame::error(errors::NOT_FLOAT),
        }
    }
    let limits = limits(ctx);
    let z = match write_zset(ctx, key) {
        Err(e) => return e,
        Ok(Some(z)) => z,
        Ok(None) if f.xx => return add_reply(f.incr, ch, 0, 0, None),
        Ok(None) => {
            let now = ctx.now_ms;
            let db = ctx.db();
            db.set(key.to_vec(), Value::ZSet(ZSet::new_for(limits, pairs[0].1.len())), now);
            match db.entry_mut(key).map(|e| &mut e.value) {
                Some(Value::ZSet(z)) => z,
                _ => return Frame::error(errors::WRONGTYPE),
            }
        }
    };
    let (mut added, mut updated) = (0, 0);
    let mut last_score = None;
    let mut failed = false;
    for &(score, member) in &pairs {
        match zset_add(z, score, member, f, limits) {
            Added::Nan => {
                failed = true;
                break;
            }
            Added::Nop => {}
            Added::New(s) => {
                added += 1;
                last_score = Some(s);
            }
            Added::Updated { score, changed } => {
                updated += usize::from(changed);
                last_score = Some(score);
            }
        }
    }
    if added + updated > 0 {
        ctx.reply_here();
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_ZSET, if f.incr { "zincr" } else { "zadd" }, key);
        ctx.dirty((added + updated) as u64);
    }
    if failed {
        return Frame::error(NAN_RESULT);
    }
    add_reply(f.incr, ch, added, updated, last_score)
}

/// ZADD's reply: the count of added (or, with CH, added and changed) members; with INCR the new
/// score, or nil when nothing was done.
fn add_reply(incr: bool, ch: bool, added: usize, updated: usize, score: Option<f64>) -> Frame {
    if incr {
        score.map_or(Frame::Null, Frame::Double)
    } else {
        Frame::Integer((if ch { added + updated } else { added }) as i64)
    }
}

pub fn zrem(ctx: &mut Ctx) -> Frame {
    let (argv, key) = (ctx.argv, ctx.arg(1));
    let z = match write_zset(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(z)) => z,
    };
    let mut deleted: u64 = 0;
    for member in &argv[2..] {
        if z.remove(member).is_some() {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    if deleted > 0 {
        ctx.notify(NOTIFY_ZSET, "zrem", key);
        delete_if_empty(ctx, key);
        ctx.signal_modified(key);
        ctx.dirty(deleted);
    }
    Frame::Integer(deleted as i64)
}

pub fn zcard(ctx: &mut Ctx) -> Frame {
    match read_zset(ctx, ctx.arg(1)) {
        Err(e) => e,
        Ok(z) => Frame::Integer(z.map_or(0, |z| z.len() as i64)),
    }
}

pub fn zscore(ctx: &mut Ctx) -> Frame {
    let member = ctx.arg(2);
    match read_zset(ctx, ctx.arg(1)) {
        Err(e) => e,
        Ok(z) => z.and_then(|z| z.score(member)).map_or(Frame::Null, Frame::Double),
    }
}

pub fn zmscore(ctx: &mut Ctx) -> Frame {
    let argv = ctx.argv;
    match read_zset(ctx, &argv[1]) {
        Err(e) => e,
        Ok(z) => Frame::Array(
            argv[2..].iter().map(|m| z.and_then(|z| z.score(m)).map_or(Frame::Null, Frame::Double)).collect(),
        ),
    }
}

pub fn zrank(ctx: &mut Ctx) -> Frame {
    rank_generic(ctx, false)
}

pub fn zrevrank(ctx: &mut Ctx) -> Frame {
    rank_generic(ctx, true)
}

fn rank_generic(ctx: &mut Ctx, reverse: bool) -> Frame {
    let member = ctx.arg(2);
    let z = match read_zset(ctx, ctx.arg(1)) {
        Err(e) => return e,
        Ok(None) => return Frame::Null,
        Ok(Some(z)) => z,
    };
    match z.rank(member) {
        Some(r) if reverse => Frame::Integer((z.len() - 1 - r) as i64),
        Some(r) => Frame::Integer(r as i64),
        None => Frame::Null,
    }
}
