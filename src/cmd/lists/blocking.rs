//! BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH. With data they act (and propagate) as the
//! non-blocking pop or move; without, they block on their keys (see `engine::blocking`) unless
//! blocking is denied (MULTI/EXEC, scripts), when they answer as on timeout. A served client is
//! handled by `serve`, which follows Redis's serveClientBlockedOnList.

use super::push_pop::{first_nonempty, lmove_generic};
use super::{
    as_list, delete_if_empty, key_and_elements, list_for_write, move_element, parse_mpop, pop_count_argv, pop_one,
    pop_range_from_key, reply, End,
};
use crate::engine::blocking::{deadline_from_secs, BlockKind, BlockRequest};
use crate::engine::notify::NOTIFY_LIST;
use crate::engine::value::Value;
use crate::engine::Ctx;
use crate::resp::Frame;

pub fn blpop(ctx: &mut Ctx) -> Frame {
    reply(bpop(ctx, End::Head))
}

pub fn brpop(ctx: &mut Ctx) -> Frame {
    reply(bpop(ctx, End::Tail))
}

/// B[LR]POP key [key ...] timeout: `[key, element]` from the first non-empty list.
fn bpop(ctx: &mut Ctx, end: End) -> Result<Frame, Frame> {
    let last = ctx.argc() - 1;
    let deadline_ms = deadline_from_secs(ctx.arg(last), ctx.now_ms)?;
    if let Some(i) = first_nonempty(ctx, 1, last - 1)? {
        let key = ctx.arg(i);
        let item = pop_single(ctx, key, end);
        ctx.reply_here();
        ctx.notify(NOTIFY_LIST, end.pop_event(), key);
        delete_if_empty(ctx, key);
        ctx.signal_modified(key);
        ctx.dirty(1);
        ctx.propagate_as(vec![end.pop_command().as_bytes().to_vec(), key.to_vec()]);
        return Ok(Frame::Array(vec![Frame::bulk(key.to_vec()), Frame::bulk(item)]));
    }
    if !ctx.may_block() {
        return Ok(Frame::NullArray);
    }
    let keys = ctx.argv[1..last].to_vec();
    Ok(ctx.block(BlockRequest { kind: BlockKind::List, keys, deadline_ms, serve, argv: None }))
}

/// Pops one element from the non-empty list at `key`.
fn pop_single(ctx: &mut Ctx, key: &[u8], end: End) -> Vec<u8> {
    match ctx.lookup_write(key) {
        Some(Value::List(list)) => pop_one(list, end).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: LMPOP that waits. The
/// arguments after the timeout are checked before the timeout itself.
pub fn blmpop(ctx: &mut Ctx) -> Frame {
    reply(blmpop_body(ctx))
}

fn blmpop_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let args = parse_mpop(ctx.argv, 2)?;
    let deadline_ms = deadline_from_secs(ctx.arg(1), ctx.now_ms)?;
    if let Some(i) = first_nonempty(ctx, args.first_key, args.numkeys)? {
        let key = ctx.arg(i);
        let items = pop_range_from_key(ctx, key, args.end, args.count);
        ctx.propagate_as(pop_count_argv(args.end, key, items.len()));
        return Ok(key_and_elements(key, items));
    }
    if !ctx.may_block() {
        return Ok(Frame::NullArray);
    }
    let keys = ctx.argv[args.first_key..args.first_key + args.numkeys].to_vec();
    Ok(ctx.block(BlockRequest { kind: BlockKind::List, keys, deadline_ms, serve, argv: None }))
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx) -> Frame {
    reply(blmove_body(ctx))
}

fn blmove_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let from = End::parse(ctx.arg(3))?;
    let to = End::parse(ctx.arg(4))?;
    let deadline_ms = deadline_from_secs(ctx.arg(5), ctx.now_ms)?;
    blmove_generic(ctx, from, to, deadline_ms)
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush(ctx: &mut Ctx) -> Frame {
    reply(brpoplpush_body(ctx))
}

fn brpoplpush_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let deadline_ms = deadline_from_secs(ctx.arg(3), ctx.now_ms)?;
    blmove_generic(ctx, End::Tail, End::Head, deadline_ms)
}

/// Redis's blmoveGenericCommand: moves now if the source has elements, else blocks on it.
fn blmove_generic(ctx: &mut Ctx, from: End, to: End, deadline_ms: i64) -> Result<Frame, Frame> {
    let src = ctx.arg(1);
    if list_for_write(ctx, src)?.is_none() {
        if !ctx.may_block() {
            return Ok(Frame::Null);
        }
        let keys = vec![src.to_vec()];
        return Ok(ctx.block(BlockRequest { kind: BlockKind::List, keys, deadline_ms, serve, argv: None }));
    }
    let moved = lmove_generic(ctx, from, to)?;
    let dst = ctx.arg(2);
    ctx.propagate_as(move_argv(ctx.meta.name, src, dst, from, to));
    Ok(moved)
}

/// How a move propagates: BRPOPLPUSH as RPOPLPUSH, BLMOVE as LMOVE.
fn move_argv(name: &str, src: &[u8], dst: &[u8], from: End, to: End) -> Vec<Vec<u8>> {
    if name == "brpoplpush" {
        vec![b"RPOPLPUSH".to_vec(), src.to_vec(), dst.to_vec()]
    } else {
        let mut argv = vec![b"LMOVE".to_vec(), src.to_vec(), dst.to_vec()];
        argv.push(from.name().as_bytes().to_vec());
        argv.push(to.name().as_bytes().to_vec());
        argv
    }
}

/// Serves a client blocked in a list command from `key`, which holds a non-empty list (Redis's
/// serveClientBlockedOnList): B[LR]POP pops one element (no signal, no dirty: the push that
/// woke it did both), BLMPOP pops up to its count, BLMOVE/BRPOPLPUSH move one element unless
/// the destination holds another type, which ends the wait with WRONGTYPE.
fn serve(ctx: &mut Ctx, key: &[u8]) -> Option<Frame> {
    match ctx.meta.name {
        "blpop" | "brpop" => {
            let end = if ctx.meta.name == "blpop" { End::Head } else { End::Tail };
            ctx.propagate_as(vec![end.pop_command().as_bytes().to_vec(), key.to_vec()]);
            let item = pop_single(ctx, key, end);
            ctx.notify(NOTIFY_LIST, end.pop_event(), key);
            delete_if_empty(ctx, key);
            Some(Frame::Array(vec![Frame::bulk(key.to_vec()), Frame::bulk(item)]))
        }
        "blmpop" => {
            let args = parse_mpop(ctx.argv, 2).ok()?;
            let len = ctx.lookup_write(key).and_then(|v| as_list(v).ok()).map_or(0, |l| l.len());
            ctx.propagate_as(pop_count_argv(args.end, key, args.count.min(len)));
            let items = pop_range_from_key(ctx, key, args.end, args.count);
            Some(key_and_elements(key, items))
        }
        "blmove" | "brpoplpush" => {
            let (from, to) = if ctx.meta.name == "brpoplpush" {
                (End::Tail, End::Head)
            } else {
                (End::parse(ctx.arg(3)).ok()?, End::parse(ctx.arg(4)).ok()?)
            };
            let dst = ctx.arg(2);
            if let Err(wrongtype) = list_for_write(ctx, dst) {
                return Some(wrongtype);
            }
            let value = move_element(ctx, key, dst, from, to)?;
            ctx.propagate_as(move_argv(ctx.meta.name, key, dst, from, to));
            Some(Frame::bulk(value))
        }
        _ => None,
    }
}
