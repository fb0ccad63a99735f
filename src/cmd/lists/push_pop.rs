//! LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LMPOP, LMOVE and RPOPLPUSH.

use super::{
    add_list, check_list_or_missing, delete_if_empty, key_and_elements, list_for_write, move_element, new_list,
    parse_mpop, pop_count_argv, pop_many, pop_one, pop_range_from_key, push_one, reply, End,
};
use crate::engine::notify::NOTIFY_LIST;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

pub fn lpush(ctx: &mut Ctx) -> Frame {
    reply(push(ctx, End::Head, false))
}

pub fn rpush(ctx: &mut Ctx) -> Frame {
    reply(push(ctx, End::Tail, false))
}

pub fn lpushx(ctx: &mut Ctx) -> Frame {
    reply(push(ctx, End::Head, true))
}

pub fn rpushx(ctx: &mut Ctx) -> Frame {
    reply(push(ctx, End::Tail, true))
}

/// [LR]PUSH[X] key element [element ...]: pushes the elements one by one (so LPUSH reverses
/// them), creating the list unless `only_existing`; replies the new length.
fn push(ctx: &mut Ctx, end: End, only_existing: bool) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let argv = ctx.argv;
    let items = argv[2..].iter().cloned();
    let len = match list_for_write(ctx, key)? {
        Some(list) => {
            for item in items {
                push_one(list, end, item);
            }
            list.len()
        }
        None if only_existing => return Ok(Frame::Integer(0)),
        None => {
            let mut list = new_list(ctx);
            for item in items {
                push_one(&mut list, end, item);
            }
            let len = list.len();
            add_list(ctx, key, list);
            len
        }
    };
    ctx.dirty((ctx.argc() - 2) as u64);
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_LIST, end.push_event(), key);
    Ok(Frame::Integer(len as i64))
}

pub fn lpop(ctx: &mut Ctx) -> Frame {
    reply(pop(ctx, End::Head))
}

pub fn rpop(ctx: &mut Ctx) -> Frame {
    reply(pop(ctx, End::Tail))
}

/// [LR]POP key [count]: one element as a bulk string, or with a count an array of up to count
/// elements (nil array for a missing key, empty array for count 0).
fn pop(ctx: &mut Ctx, end: End) -> Result<Frame, Frame> {
    if ctx.argc() > 3 {
        return Err(Frame::error(errors::wrong_arity(ctx.meta.name)));
    }
    let count = match ctx.argv.get(2) {
        Some(arg) => Some(super::ranged_int(arg, 0, "value is out of range, must be positive")?),
        None => None,
    };
    let key = ctx.arg(1);
    let Some(list) = list_for_write(ctx, key)? else {
        return Ok(if count.is_some() { Frame::NullArray } else { Frame::Null });
    };
    let reply = match count {
        Some(0) => return Ok(Frame::Array(Vec::new())),
        Some(n) => {
            let items = pop_many(list, end, usize::try_from(n).unwrap_or(usize::MAX));
            ctx.dirty(items.len() as u64);
            Frame::Array(items.into_iter().map(Frame::bulk).collect())
        }
        None => {
            let item = pop_one(list, end).unwrap_or_default();
            ctx.dirty(1);
            Frame::bulk(item)
        }
    };
    ctx.reply_here();
    ctx.notify(NOTIFY_LIST, end.pop_event(), key);
    delete_if_empty(ctx, key);
    ctx.signal_modified(key);
    Ok(reply)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list;
/// replies `[key, [elements]]`, or the nil array when all are empty. Propagated as [LR]POP.
pub fn lmpop(ctx: &mut Ctx) -> Frame {
    reply(lmpop_body(ctx))
}

fn lmpop_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let args = parse_mpop(ctx.argv, 1)?;
    match first_nonempty(ctx, args.first_key, args.numkeys)? {
        Some(i) => {
            let key = ctx.arg(i);
            let items = pop_range_from_key(ctx, key, args.end, args.count);
            ctx.propagate_as(pop_count_argv(args.end, key, items.len()));
            Ok(key_and_elements(key, items))
        }
        None => Ok(Frame::NullArray),
    }
}

/// The index of the first of `numkeys` keys (from argument `first`) that holds a list, all
/// checked for type up to it (Redis stops at the first key of the wrong type).
pub(super) fn first_nonempty(ctx: &mut Ctx, first: usize, numkeys: usize) -> Result<Option<usize>, Frame> {
    for i in first..first + numkeys {
        let key = ctx.arg(i);
        if let Some(list) = list_for_write(ctx, key)? {
            if !list.is_empty() {
                return Ok(Some(i));
            }
        }
    }
    Ok(None)
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx) -> Frame {
    reply(lmove_body(ctx))
}

fn lmove_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let from = End::parse(ctx.arg(3))?;
    let to = End::parse(ctx.arg(4))?;
    lmove_generic(ctx, from, to)
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx) -> Frame {
    reply(lmove_generic(ctx, End::Tail, End::Head))
}

/// Redis's lmoveGenericCommand: nil when the source is missing; WRONGTYPE (nothing moved) when
/// either key holds another type; otherwise moves one element and replies it.
pub(super) fn lmove_generic(ctx: &mut Ctx, from: End, to: End) -> Result<Frame, Frame> {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if list_for_write(ctx, src)?.is_none() {
        return Ok(Frame::Null);
    }
    check_list_or_missing(ctx, dst)?;
    let value = move_element(ctx, src, dst, from, to).unwrap_or_default();
    ctx.signal_modified(src);
    ctx.dirty(1);
    Ok(Frame::bulk(value))
}
