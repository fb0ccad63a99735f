//! Length and byte-range commands: APPEND, STRLEN, GETRANGE (and its old name SUBSTR), SETRANGE.

use super::{as_string, as_string_mut, check_string_length, reply};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::notify::NOTIFY_STRING;
use crate::engine::value::{StrValue, Value};
use crate::engine::Ctx;
use crate::resp::Frame;

/// APPEND key value: replies with the new length. Appending to an existing value makes it
/// `raw` (even when appending nothing), as Redis unshares it before editing.
pub fn append(ctx: &mut Ctx) -> Frame {
    reply(append_inner(ctx))
}

fn append_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (key, tail) = (ctx.arg(1), ctx.arg(2));
    let current = match ctx.lookup_write(key) {
        None => None,
        Some(v) => Some(as_string(v)?.len()),
    };
    let total = match current {
        None => {
            let now_ms = ctx.now_ms;
            ctx.db().set(key.to_vec(), Value::str(tail.to_vec()), now_ms);
            tail.len()
        }
        Some(len) => {
            check_string_length(ctx, len as u64, tail.len() as u64)?;
            let bytes = string_mut(ctx, key)?.make_raw();
            bytes.extend_from_slice(tail);
            bytes.len()
        }
    };
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_STRING, "append", key);
    ctx.dirty(1);
    Ok(Frame::Integer(total as i64))
}

/// The string under an existing key, for editing in place.
fn string_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut StrValue, Frame> {
    match ctx.db().entry_mut(key) {
        Some(entry) => as_string_mut(&mut entry.value),
        None => Err(Frame::error(errors::NO_SUCH_KEY)),
    }
}

/// STRLEN key: 0 for a missing key.
pub fn strlen(ctx: &mut Ctx) -> Frame {
    match ctx.lookup_read(ctx.arg(1)) {
        None => Frame::Integer(0),
        Some(v) => reply(as_string(v).map(|s| Frame::Integer(s.len() as i64))),
    }
}

/// GETRANGE key start end (also SUBSTR): the bytes from `start` to `end` inclusive, negative
/// offsets counting from the end.
pub fn getrange(ctx: &mut Ctx) -> Frame {
    reply(getrange_inner(ctx))
}

fn getrange_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let start = int_arg(ctx.arg(2))?;
    let end = int_arg(ctx.arg(3))?;
    let bytes = match ctx.lookup_read(ctx.arg(1)) {
        None => return Ok(Frame::Bulk(Vec::new())),
        Some(v) => as_string(v)?.as_bytes(),
    };
    Ok(Frame::Bulk(byte_range(&bytes, start, end).to_vec()))
}

/// Redis's range arithmetic for GETRANGE: both offsets negative with start after end is empty;
/// otherwise negative offsets count from the end and are clamped to the string.
fn byte_range(bytes: &[u8], start: i64, end: i64) -> &[u8] {
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let len = bytes.len() as i128;
    let from_end = |i: i64| {
        if i < 0 {
            (len + i as i128).max(0)
        } else {
            i as i128
        }
    };
    let start = from_end(start);
    let end = from_end(end).min(len - 1);
    if len == 0 || start > end {
        return &[];
    }
    &bytes[start as usize..=end as usize]
}

/// SETRANGE key offset value: writes `value` at `offset`, padding with zero bytes; replies with
/// the new length. Writing nothing changes nothing (and creates no key).
pub fn setrange(ctx: &mut Ctx) -> Frame {
    reply(setrange_inner(ctx))
}

fn setrange_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (key, patch) = (ctx.arg(1), ctx.arg(3));
    let offset = int_arg(ctx.arg(2))?;
    if offset < 0 {
        return Err(Frame::error(errors::OFFSET_OUT_OF_RANGE));
    }
    let offset = offset as u64;
    let current = match ctx.lookup_write(key) {
        None => None,
        Some(v) => Some(as_string(v)?.len()),
    };
    if patch.is_empty() {
        return Ok(Frame::Integer(current.unwrap_or(0) as i64));
    }
    check_string_length(ctx, offset, patch.len() as u64)?;
    if current.is_none() {
        // A new value is created as a plain buffer: `raw`, never `int` or `embstr`.
        let now_ms = ctx.now_ms;
        ctx.db().set(key.to_vec(), Value::Str(StrValue::Raw(Vec::new())), now_ms);
    }
    let bytes = string_mut(ctx, key)?.make_raw();
    // The length check above bounds offset + len by proto-max-bulk-len, so these fit.
    let (start, end) = (offset as usize, offset as usize + patch.len());
    if bytes.len() < end {
        // Redis aborts when it cannot allocate; an error reply is the gentler stand-in.
        if bytes.try_reserve_exact(end - bytes.len()).is_err() {
            return Err(Frame::error(errors::STRING_TOO_LONG));
        }
        bytes.resize(end, 0);
    }
    bytes[start..end].copy_from_slice(patch);
    let total = bytes.len();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_STRING, "setrange", key);
    ctx.dirty(1);
    Ok(Frame::Integer(total as i64))
}
