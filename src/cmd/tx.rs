//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
//!
//! Queuing happens in the dispatcher (`Engine::dispatch`), which also rejects commands that may
//! not be queued and dooms the transaction when a command is rejected; the WATCH registry and
//! its invalidation by writes, expiry, flushes and SWAPDB are in `engine/multi.rs`.

use crate::cmd::args::err;
use crate::engine::multi::EXECABORT;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "multi" => multi,
        "exec" => exec,
        "discard" => discard,
        "watch" => watch,
        "unwatch" => unwatch,
        _ => return None,
    };
    Some(h)
}

/// MULTI: starts queuing. Not a rejection when nested, so the transaction survives it.
fn multi(ctx: &mut Ctx) -> Frame {
    if ctx.client.multi.active {
        return err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi.active = true;
    Frame::ok()
}

/// DISCARD: drops the queue and the watches.
fn discard(ctx: &mut Ctx) -> Frame {
    if !ctx.client.multi.active {
        return err("ERR DISCARD without MULTI");
    }
    ctx.engine.discard_transaction(ctx.client);
    Frame::ok()
}

/// EXEC: runs the queue, unless a watched key was touched or has expired since WATCH (a null
/// array: not an error), or a command was rejected while queuing (EXECABORT).
fn exec(ctx: &mut Ctx) -> Frame {
    if !ctx.client.multi.active {
        return err("ERR EXEC without MULTI");
    }
    let id = ctx.client.id;
    if ctx.engine.watched_key_expired(id, ctx.now_ms) {
        ctx.engine.mark_watch_dirty(id);
    }
    if ctx.client.multi.dirty_exec || ctx.engine.watches.is_dirty(id) {
        let reply = if ctx.client.multi.dirty_exec { err(EXECABORT) } else { Frame::NullArray };
        ctx.engine.discard_transaction(ctx.client);
        return reply;
    }
    // The keys are not watched any more while the queue runs (its own writes must not count).
    ctx.engine.unwatch(id);
    // Blocking commands answer at once as if timed out (Redis's CLIENT_DENY_BLOCKING).
    let deny_blocking_before = ctx.client.deny_blocking;
    ctx.client.deny_blocking = true;
    let queued = std::mem::take(&mut ctx.client.multi.queued);
    let mut replies = Vec::with_capacity(queued.len());
    let in_exec_before = std::mem::replace(&mut ctx.engine.persist.in_exec, true);
    for argv in &queued {
        replies.push(ctx.engine.call_queued(ctx.client, argv, ctx.now_ms));
    }
    ctx.engine.persist.in_exec = in_exec_before;
    ctx.client.deny_blocking = deny_blocking_before;
    ctx.engine.discard_transaction(ctx.client);
    Frame::Array(replies)
}

/// WATCH key [key ...]: remembers the keys; EXEC fails if one is touched before it runs.
fn watch(ctx: &mut Ctx) -> Frame {
    if ctx.client.multi.active {
        return err("ERR WATCH inside MULTI is not allowed");
    }
    let id = ctx.client.id;
    // Already doomed: watching more changes nothing.
    if ctx.engine.watches.is_dirty(id) {
        return Frame::ok();
    }
    let db = ctx.client.db;
    for key in &ctx.argv[1..] {
        ctx.engine.watch_key(id, db, key, ctx.now_ms);
    }
    Frame::ok()
}

/// UNWATCH: forgets every watched key and a touched watch.
fn unwatch(ctx: &mut Ctx) -> Frame {
    ctx.engine.unwatch(ctx.client.id);
    Frame::ok()
}

#[cfg(test)]
mod tests;
