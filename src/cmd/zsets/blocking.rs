//! BZPOPMIN, BZPOPMAX and BZMPOP (Redis's blockingGenericZpopCommand and
//! serveClientBlockedOnSortedSet), on the engine's blocking machinery (`engine::blocking`).
//!
//! The timeout is read first (BZMPOP reads numkeys, MIN|MAX and COUNT before it); then the keys
//! are looked up for writing, in argument order: a key of another type replies WRONGTYPE, the
//! first non-empty sorted set is popped at once. Otherwise the client blocks on all the keys,
//! or, where it may not block (MULTI/EXEC, scripts), gets the null array as on a timeout. A
//! blocked client is served from the key that became ready, popping as the command would.

use super::pop::{first_nonempty, parse_mpop, pop_from, pop_propagation, End, PopShape};
use crate::engine::blocking::{deadline_from_secs, BlockKind, BlockRequest};
use crate::engine::Ctx;
use crate::resp::Frame;

fn end_of(name: &str) -> End {
    if name.ends_with("max") {
        End::Max
    } else {
        End::Min
    }
}

pub fn bzpopmin(ctx: &mut Ctx) -> Frame {
    bzpop(ctx)
}

pub fn bzpopmax(ctx: &mut Ctx) -> Frame {
    bzpop(ctx)
}

/// BZPOPMIN|BZPOPMAX key [key ...] timeout.
fn bzpop(ctx: &mut Ctx) -> Frame {
    let argv = ctx.argv;
    let (keys, timeout) = argv[1..].split_at(argv.len() - 2);
    let deadline_ms = match deadline_from_secs(&timeout[0], ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let end = end_of(ctx.meta.name);
    match first_nonempty(ctx, keys) {
        Err(e) => e,
        Ok(Some(key)) => {
            ctx.propagate_as(pop_propagation(end, key, None));
            pop_from(ctx, key, end, 1, PopShape::FlatWithKey)
        }
        Ok(None) if !ctx.may_block() => Frame::NullArray,
        Ok(None) => ctx.block(BlockRequest {
            kind: BlockKind::Zset,
            keys: keys.to_vec(),
            deadline_ms,
            serve: serve_bzpop,
            argv: None,
        }),
    }
}

/// A blocked BZPOPMIN/BZPOPMAX served from `key`, which holds a sorted set (Redis's
/// serveClientBlockedOnSortedSet: a pop as the command would make, signal and dirty included).
fn serve_bzpop(ctx: &mut Ctx, key: &[u8]) -> Option<Frame> {
    let end = end_of(ctx.meta.name);
    ctx.propagate_as(pop_propagation(end, key, None));
    Some(pop_from(ctx, key, end, 1, PopShape::FlatWithKey))
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx) -> Frame {
    let args = match parse_mpop(ctx.argv, 2) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let deadline_ms = match deadline_from_secs(ctx.arg(1), ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    match first_nonempty(ctx, args.keys) {
        Err(e) => e,
        Ok(Some(key)) => mpop_now(ctx, key, args.end, args.count),
        Ok(None) if !ctx.may_block() => Frame::NullArray,
        Ok(None) => ctx.block(BlockRequest {
            kind: BlockKind::Zset,
            keys: args.keys.to_vec(),
            deadline_ms,
            serve: serve_bzmpop,
            argv: None,
        }),
    }
}

/// A blocked BZMPOP served from `key`: its MIN|MAX and COUNT were checked when it blocked.
fn serve_bzmpop(ctx: &mut Ctx, key: &[u8]) -> Option<Frame> {
    let args = parse_mpop(ctx.argv, 2).ok()?;
    Some(mpop_now(ctx, key, args.end, args.count))
}

/// Pops for BZMPOP, propagated as ZPOPMIN/ZPOPMAX key n with the number actually popped.
fn mpop_now(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> Frame {
    let len = super::zset_len(ctx, key);
    ctx.propagate_as(pop_propagation(end, key, Some(count.min(len))));
    pop_from(ctx, key, end, count, PopShape::NestedWithKey)
}
