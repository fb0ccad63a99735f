//! HINCRBY and HINCRBYFLOAT: a field read as a number (missing = 0), incremented, stored back as
//! its decimal text. HINCRBYFLOAT computes with the x87 `long double` Redis uses (see
//! `engine::longdouble`) and prints the sum as INCRBYFLOAT does.

use super::{change_hash, reply};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::longdouble::{self, LongDouble};
use crate::engine::notify::NOTIFY_HASH;
use crate::engine::Ctx;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

/// HINCRBY key field increment
pub fn hincrby(ctx: &mut Ctx) -> Frame {
    reply(hincrby_inner(ctx))
}

fn hincrby_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let incr = int_arg(ctx.arg(3))?;
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let value = change_hash(ctx, key, |h, limits| {
        let current = match h.get(field) {
            None => 0,
            Some(v) => parse_i64(v).ok_or_else(|| Frame::error("ERR hash value is not an integer"))?,
        };
        let value = current.checked_add(incr).ok_or_else(|| Frame::error(errors::OVERFLOW))?;
        h.set(field, value.to_string().into_bytes(), limits);
        Ok(value)
    })?;
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_HASH, "hincrby", key);
    ctx.dirty(1);
    Ok(Frame::Integer(value))
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat(ctx: &mut Ctx) -> Frame {
    reply(hincrbyfloat_inner(ctx))
}

fn hincrbyfloat_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let incr = longdouble::parse(ctx.arg(3)).ok_or_else(|| Frame::error(errors::NOT_FLOAT))?;
    if incr.is_nan() || incr.is_inf() {
        return Err(Frame::error("ERR value is NaN or Infinity"));
    }
    let (key, field) = (ctx.arg(1), ctx.arg(2));
    let text = change_hash(ctx, key, |h, limits| {
        let current = match h.get(field) {
            None => LongDouble::zero(false),
            Some(v) => longdouble::parse(v).ok_or_else(|| Frame::error("ERR hash value is not a float"))?,
        };
        let sum = current.plus(incr);
        if sum.is_nan() || sum.is_inf() {
            return Err(Frame::error(errors::NAN_OR_INFINITY));
        }
        let text = sum.to_human().into_bytes();
        h.set(field, text.clone(), limits);
        Ok(text)
    })?;
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_HASH, "hincrbyfloat", key);
    ctx.dirty(1);
    // Propagated as the value it produced (Redis's HSET rewrite).
    if ctx.propagating() {
        ctx.propagate_as(vec![b"HSET".to_vec(), key.to_vec(), field.to_vec(), text.clone()]);
    }
    Ok(Frame::Bulk(text))
}
