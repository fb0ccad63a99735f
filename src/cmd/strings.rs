//! The strings command family (Redis's t_string.c): GET/SET and their variants, multi-key
//! MGET/MSET, in-place edits (APPEND, SETRANGE), counters (INCR..., INCRBYFLOAT) and LCS.
//!
//! Encodings follow Redis so OBJECT ENCODING answers the same: values taken from arguments go
//! through `StrValue::from_bytes` (tryObjectEncoding), in-place edits make the value `raw`,
//! integer counters store `int`, INCRBYFLOAT stores its text without trying `int`.

pub mod basic;
mod counter;
mod lcs;
mod range;
#[cfg(test)]
mod tests;

use crate::engine::errors;
use crate::engine::value::{StrValue, Value};
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "get" => basic::get,
        "set" => basic::set,
        "setnx" => basic::setnx,
        "setex" => basic::setex,
        "psetex" => basic::psetex,
        "getset" => basic::getset,
        "getdel" => basic::getdel,
        "getex" => basic::getex,
        "mget" => basic::mget,
        "mset" => basic::mset,
        "msetnx" => basic::msetnx,
        "append" => range::append,
        "strlen" => range::strlen,
        "getrange" | "substr" => range::getrange,
        "setrange" => range::setrange,
        "incr" => counter::incr,
        "decr" => counter::decr,
        "incrby" => counter::incrby,
        "decrby" => counter::decrby,
        "incrbyfloat" => counter::incrbyfloat,
        "lcs" => lcs::lcs,
        _ => return None,
    };
    Some(h)
}

/// The string held by `value`, or WRONGTYPE for any other type (Redis's checkType).
#[allow(unreachable_patterns)] // Only strings exist so far; the other types will land here.
pub(crate) fn as_string(value: &Value) -> Result<&StrValue, Frame> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// Mutable form of `as_string`.
#[allow(unreachable_patterns)]
pub(crate) fn as_string_mut(value: &mut Value) -> Result<&mut StrValue, Frame> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// Reads a key's string for a reply (lookupKeyRead + checkType): `Ok(None)` when missing.
fn read_bytes(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => Ok(Some(as_string(v)?.as_bytes().into_owned())),
    }
}

/// Stores a string under `key` (Redis's setKey): the key loses its expiry unless `keep_ttl`.
/// Signals the change; the caller counts it in `dirty`, as each command does its own way.
fn store(ctx: &mut Ctx, key: &[u8], value: StrValue, keep_ttl: bool) {
    let now_ms = ctx.now_ms;
    let value = Value::Str(value);
    let replaced = match ctx.db().overwrite(key, value, keep_ttl, now_ms) {
        Ok(old) => Some(old),
        Err(value) => ctx.db().set_keep_ttl(key.to_vec(), value, now_ms),
    };
    // An overwritten value is freed as a server-side delete (LAZY-6).
    if let Some(old) = replaced {
        ctx.engine.free_overwritten(old);
    }
    ctx.signal_modified(key);
}

/// An option name as Redis's C comparisons see it: they stop at the first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// Case-insensitive option match with C string semantics.
fn opt_is(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// The error reply for a string that would grow past proto-max-bulk-len (checkStringLength):
/// `Err` when `current + added` exceeds the limit.
fn check_string_length(ctx: &Ctx, current: u64, added: u64) -> Result<(), Frame> {
    let limit = ctx.engine.config.proto_max_bulk_len as u128;
    if current as u128 + added as u128 > limit {
        return Err(Frame::error(errors::STRING_TOO_LONG));
    }
    Ok(())
}

/// Turns a handler body's `Result` into its reply.
fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}
