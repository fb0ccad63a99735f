//! Counters: INCR, DECR, INCRBY, DECRBY on 64-bit integers, and INCRBYFLOAT on the x87 `long
//! double` that Redis computes with (see `engine::longdouble`). All keep the key's expiry.

use super::{as_string, reply, store};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::longdouble::{self, LongDouble};
use crate::engine::notify::NOTIFY_STRING;
use crate::engine::value::{StrValue, Value};
use crate::engine::Ctx;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

/// A stored string as an integer (getLongLongFromObject): `int` values directly, others parsed
/// strictly.
fn string_as_i64(s: &StrValue) -> Result<i64, Frame> {
    match s {
        StrValue::Int(n) => Ok(*n),
        _ => s.as_slice().and_then(parse_i64).ok_or_else(|| Frame::error(errors::NOT_INTEGER)),
    }
}

/// Adds `delta` to the integer at argv[1] (missing counts as 0) and stores the result as `int`.
fn incr_decr(ctx: &mut Ctx, delta: i64) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let Some(v) = ctx.lookup_write(key) else {
        store(ctx, key, StrValue::Int(delta), true);
        ctx.notify(NOTIFY_STRING, "incrby", key);
        ctx.dirty(1);
        return Ok(Frame::Integer(delta));
    };
    let value = string_as_i64(as_string(v)?)?.checked_add(delta).ok_or_else(|| Frame::error(errors::OVERFLOW))?;
    // The existing key's value is replaced where it is (its expiry and access time stay): one
    // hash lookup instead of a second one, and no copy of the key.
    let old = std::mem::replace(v, Value::Str(StrValue::Int(value)));
    ctx.engine.free_overwritten(old);
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_STRING, "incrby", key);
    ctx.dirty(1);
    Ok(Frame::Integer(value))
}

/// INCR key
pub fn incr(ctx: &mut Ctx) -> Frame {
    reply(incr_decr(ctx, 1))
}

/// DECR key
pub fn decr(ctx: &mut Ctx) -> Frame {
    reply(incr_decr(ctx, -1))
}

/// INCRBY key increment
pub fn incrby(ctx: &mut Ctx) -> Frame {
    reply(int_arg(ctx.arg(2)).and_then(|delta| incr_decr(ctx, delta)))
}

/// DECRBY key decrement: the decrement is negated, so i64::MIN is refused up front.
pub fn decrby(ctx: &mut Ctx) -> Frame {
    let result = int_arg(ctx.arg(2)).and_then(|delta| match delta.checked_neg() {
        Some(delta) => incr_decr(ctx, delta),
        None => Err(Frame::error(errors::DECREMENT_OVERFLOW)),
    });
    reply(result)
}

/// A stored string as a long double (getLongDoubleFromObject).
fn string_as_long_double(s: &StrValue) -> Result<LongDouble, Frame> {
    let parsed = match s {
        StrValue::Int(n) => Some(LongDouble::from_i64(*n)),
        _ => s.as_slice().and_then(longdouble::parse),
    };
    parsed.ok_or_else(|| Frame::error(errors::NOT_FLOAT))
}

/// INCRBYFLOAT key increment: the sum is stored as Redis prints it ("%.17Lf" with trailing
/// zeros removed), as a plain string (never `int`-encoded).
pub fn incrbyfloat(ctx: &mut Ctx) -> Frame {
    reply(incrbyfloat_inner(ctx))
}

fn incrbyfloat_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let current = match ctx.lookup_write(key) {
        None => LongDouble::zero(false),
        Some(v) => string_as_long_double(as_string(v)?)?,
    };
    let delta = longdouble::parse(ctx.arg(2)).ok_or_else(|| Frame::error(errors::NOT_FLOAT))?;
    let sum = current.plus(delta);
    if sum.is_nan() || sum.is_inf() {
        return Err(Frame::error(errors::NAN_OR_INFINITY));
    }
    let text = sum.to_human().into_bytes();
    store(ctx, key, StrValue::from_bytes_no_int(text.clone()), true);
    ctx.notify(NOTIFY_STRING, "incrbyfloat", key);
    ctx.dirty(1);
    // Propagated as the value it produced, so replaying does not depend on float formatting.
    if ctx.propagating() {
        ctx.propagate_as(vec![b"SET".to_vec(), key.to_vec(), text.clone(), b"KEEPTTL".to_vec()]);
    }
    Ok(Frame::Bulk(text))
}
