//! LSET, LINSERT, LREM and LTRIM: edits inside a list.

use super::query::resolve_index;
use super::{delete_if_empty, list_for_write, opt_is, reply};
use crate::cmd::args::int_arg;
use crate::engine::notify::NOTIFY_LIST;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

/// LSET key index element (the key is looked up before the index is parsed).
pub fn lset(ctx: &mut Ctx) -> Frame {
    reply(lset_body(ctx))
}

fn lset_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (key, index_arg, element) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let Some(list) = list_for_write(ctx, key)? else {
        return Err(Frame::error(errors::NO_SUCH_KEY));
    };
    let index = int_arg(index_arg)?;
    let replaced = resolve_index(index, list.len()).is_some_and(|i| list.set(i, element));
    if !replaced {
        return Err(Frame::error(errors::INDEX_OUT_OF_RANGE));
    }
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_LIST, "lset", key);
    ctx.dirty(1);
    Ok(Frame::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: inserts next to the first occurrence of pivot;
/// replies the new length, -1 when there is no pivot, 0 when there is no key.
pub fn linsert(ctx: &mut Ctx) -> Frame {
    reply(linsert_body(ctx))
}

fn linsert_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let after = if opt_is(ctx.arg(2), "AFTER") {
        true
    } else if opt_is(ctx.arg(2), "BEFORE") {
        false
    } else {
        return Err(Frame::error(errors::SYNTAX));
    };
    let (key, pivot, element) = (ctx.arg(1), ctx.arg(3), ctx.arg(4));
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let Some(at) = list.iter().position(|item| item == pivot) else {
        return Ok(Frame::Integer(-1));
    };
    list.insert_next_to(at, after, element);
    let len = list.len();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_LIST, "linsert", key);
    ctx.dirty(1);
    Ok(Frame::Integer(len as i64))
}

/// LREM key count element: removes up to |count| occurrences (all for 0), from the head for a
/// positive count and from the tail for a negative one; replies how many went.
pub fn lrem(ctx: &mut Ctx) -> Frame {
    reply(lrem_body(ctx))
}

fn lrem_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let count = int_arg(ctx.arg(2))?;
    let (key, element) = (ctx.arg(1), ctx.arg(3));
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Frame::Integer(0));
    };
    let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    // Mark the occurrences to drop, walking from the chosen end.
    let mut drop = vec![false; list.len()];
    let mut removed = 0usize;
    let last = list.len().saturating_sub(1);
    let order: Box<dyn Iterator<Item = (usize, &[u8])>> = if count < 0 {
        Box::new(list.iter_rev().enumerate().map(|(k, item)| (last - k, item)))
    } else {
        Box::new(list.iter().enumerate())
    };
    for (i, item) in order {
        if removed == limit {
            break;
        }
        if item == element {
            drop[i] = true;
            removed += 1;
        }
    }
    if removed > 0 {
        let mut index = 0;
        list.retain(|_| {
            let keep = !drop[index];
            index += 1;
            keep
        });
        ctx.signal_modified(key);
        ctx.dirty(removed as u64);
        ctx.notify(NOTIFY_LIST, "lrem", key);
        delete_if_empty(ctx, key);
    }
    Ok(Frame::Integer(removed as i64))
}

/// LTRIM key start stop: keeps only the range (indexes as LRANGE's); an empty range deletes
/// the key. Always signals the key and replies OK.
pub fn ltrim(ctx: &mut Ctx) -> Frame {
    reply(ltrim_body(ctx))
}

fn ltrim_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let start = int_arg(ctx.arg(2))?;
    let end = int_arg(ctx.arg(3))?;
    let key = ctx.arg(1);
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(Frame::ok());
    };
    let len = list.len();
    let (left, right) = match super::clamp_range(start, end, len) {
        Some((start, end)) => (start, len - end - 1),
        None => (len, 0),
    };
    list.trim_front(left);
    list.trim_back(right);
    ctx.notify(NOTIFY_LIST, "ltrim", key);
    delete_if_empty(ctx, key);
    ctx.signal_modified(key);
    ctx.dirty((left + right) as u64);
    Ok(Frame::ok())
}
