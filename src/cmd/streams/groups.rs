//! XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP) and XACK.

use super::ids::{parse_id, IdParse};
use super::read::touch_consumer;
use super::{cstr, int, is, no_group_for_key, stream_for_read, stream_for_write, stream_mut, subcommand_syntax_error};
use crate::engine::notify::NOTIFY_STREAM;
use crate::engine::stream::{Group, Stream, StreamId};
use crate::engine::value::Value;
use crate::engine::Ctx;
use crate::resp::Frame;

/// What the common part of XGROUP found (Redis's xgroupCommand before its dispatch).
struct Prelude {
    mkstream: bool,
    entries_read: Option<u64>,
    /// The stream exists.
    exists: bool,
}

fn prelude(ctx: &mut Ctx, sub: &str) -> Result<Prelude, Frame> {
    let mut p = Prelude { mkstream: false, entries_read: None, exists: false };
    let create = sub == "create";
    let setid = sub == "setid";
    let mut i = 5;
    while i < ctx.argc() {
        if create && is(ctx.arg(i), "MKSTREAM") {
            p.mkstream = true;
            i += 1;
        } else if (create || setid) && is(ctx.arg(i), "ENTRIESREAD") && i + 1 < ctx.argc() {
            let n = int(ctx.arg(i + 1))?;
            if n < 0 && n != -1 {
                return Err(Frame::error("ERR value for ENTRIESREAD must be positive or -1"));
            }
            p.entries_read = (n >= 0).then_some(n as u64);
            i += 2;
        } else {
            return Err(subcommand_syntax_error(ctx));
        }
    }
    let key = ctx.arg(2);
    let group = ctx.arg(3);
    let has_group = match stream_for_write(ctx, key)? {
        Some(s) => {
            p.exists = true;
            s.groups.contains_key(group)
        }
        None => false,
    };
    if !p.mkstream {
        if !p.exists {
            return Err(Frame::error(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        if !has_group && matches!(sub, "setid" | "createconsumer" | "delconsumer") {
            return Err(no_group_for_key(key, group));
        }
    }
    Ok(p)
}

fn run(ctx: &mut Ctx, sub: &str, body: fn(&mut Ctx, Prelude) -> Result<Frame, Frame>) -> Frame {
    match prelude(ctx, sub).and_then(|p| body(ctx, p)) {
        Ok(f) | Err(f) => f,
    }
}

pub fn create(ctx: &mut Ctx) -> Frame {
    run(ctx, "create", create_body)
}

fn create_body(ctx: &mut Ctx, p: Prelude) -> Result<Frame, Frame> {
    if ctx.argc() > 8 {
        return Err(subcommand_syntax_error(ctx));
    }
    let key = ctx.arg(2);
    let id = if cstr(ctx.arg(4)) == b"$" {
        stream_mut(ctx, key).map_or(StreamId::MIN, |s| s.last_id)
    } else {
        parse_id(ctx.arg(4), 0, IdParse::Strict)?
    };
    if !p.exists {
        let now = ctx.now_ms;
        ctx.db().set(key.to_vec(), Value::Stream(Box::new(Stream::new())), now);
        ctx.signal_modified(key);
    }
    let name = ctx.arg(3).to_vec();
    let s = stream_mut(ctx, key).ok_or_else(|| Frame::error("ERR no such key"))?;
    if s.groups.contains_key(&name) {
        return Err(Frame::error("BUSYGROUP Consumer Group name already exists"));
    }
    s.groups.insert(name, Group::new(id, p.entries_read));
    ctx.dirty(1);
    ctx.reply_here();
    ctx.notify(NOTIFY_STREAM, "xgroup-create", key);
    Ok(Frame::ok())
}

pub fn setid(ctx: &mut Ctx) -> Frame {
    run(ctx, "setid", setid_body)
}

fn setid_body(ctx: &mut Ctx, p: Prelude) -> Result<Frame, Frame> {
    if ctx.argc() != 5 && ctx.argc() != 7 {
        return Err(subcommand_syntax_error(ctx));
    }
    let (key, group, id_arg) = (ctx.arg(2), ctx.arg(3), ctx.arg(4));
    let s = stream_mut(ctx, key).ok_or_else(|| Frame::error("ERR no such key"))?;
    let id = if cstr(id_arg) == b"$" { s.last_id } else { parse_id(id_arg, 0, IdParse::Loose)? };
    if let Some(g) = s.groups.get_mut(group) {
        g.last_id = id;
        g.entries_read = p.entries_read;
    }
    ctx.dirty(1);
    ctx.reply_here();
    ctx.notify(NOTIFY_STREAM, "xgroup-setid", key);
    Ok(Frame::ok())
}

pub fn destroy(ctx: &mut Ctx) -> Frame {
    run(ctx, "destroy", |ctx, _| {
        let (key, group) = (ctx.arg(2), ctx.arg(3));
        let removed = stream_mut(ctx, key).is_some_and(|s| s.groups.remove(group).is_some());
        if !removed {
            return Ok(Frame::Integer(0));
        }
        ctx.dirty(1);
        ctx.reply_here();
        ctx.notify(NOTIFY_STREAM, "xgroup-destroy", key);
        // Clients blocked in XREADGROUP on this group get their NOGROUP error.
        let db = ctx.client.db;
        ctx.engine.signal_key_ready(db, key);
        Ok(Frame::Integer(1))
    })
}

pub fn createconsumer(ctx: &mut Ctx) -> Frame {
    run(ctx, "createconsumer", |ctx, _| {
        let (key, group, name) = (ctx.arg(2), ctx.arg(3), ctx.arg(4));
        let now = ctx.now_ms;
        let created = stream_mut(ctx, key)
            .and_then(|s| s.groups.get_mut(group))
            .is_some_and(|g| !g.consumers.contains_key(name) && touch_consumer(g, name, now));
        if created {
            ctx.dirty(1);
            ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
        }
        Ok(Frame::Integer(i64::from(created)))
    })
}

pub fn delconsumer(ctx: &mut Ctx) -> Frame {
    run(ctx, "delconsumer", |ctx, _| {
        let (key, group, name) = (ctx.arg(2), ctx.arg(3), ctx.arg(4));
        let Some(g) = stream_mut(ctx, key).and_then(|s| s.groups.get_mut(group)) else {
            return Ok(Frame::Integer(0));
        };
        let Some(consumer) = g.consumers.remove(name) else {
            return Ok(Frame::Integer(0));
        };
        for id in &consumer.pending {
            g.pel.remove(id);
        }
        ctx.dirty(1);
        ctx.notify(NOTIFY_STREAM, "xgroup-delconsumer", key);
        Ok(Frame::Integer(consumer.pending.len() as i64))
    })
}

pub fn help(_ctx: &mut Ctx) -> Frame {
    crate::cmd::keyspace::help_reply(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    )
}

/// XACK key group id [id ...]
pub fn xack(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    let group = ctx.arg(2);
    match stream_for_read(ctx, key) {
        Err(e) => return e,
        Ok(Some(s)) if s.groups.contains_key(group) => {}
        Ok(_) => return Frame::Integer(0),
    }
    let mut ids = Vec::with_capacity(ctx.argc() - 3);
    for arg in &ctx.argv[3..] {
        match parse_id(arg, 0, IdParse::Strict) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Some(g) = stream_mut(ctx, key).and_then(|s| s.groups.get_mut(group)) else {
        return Frame::Integer(0);
    };
    let mut acked = 0u64;
    for id in ids {
        if g.remove_pending(id).is_some() {
            acked += 1;
        }
    }
    ctx.dirty(acked);
    Frame::Integer(acked as i64)
}
