//! XADD, XTRIM, XDEL, XLEN and XSETID.

use super::ids::{parse_add_id, parse_id, IdParse};
use super::{cstr, id_frame, int, is, node_limits, stream_for_read, stream_for_write, stream_mut};
use crate::engine::errors;
use crate::engine::notify::NOTIFY_STREAM;
use crate::engine::stream::{AppendError, Stream, StreamId, TrimTo};
use crate::engine::value::Value;
use crate::engine::Ctx;
use crate::resp::Frame;

/// The options XADD and XTRIM share (Redis's streamAddTrimArgs).
#[derive(Default)]
struct TrimArgs {
    to: Option<TrimTo>,
    approx: bool,
    limit: u64,
    /// Index of the MAXLEN/MINID value, for the propagated rewrite.
    arg_idx: usize,
    /// XADD: the ID argument's index, the ID (None for `*`) and whether its sequence was given.
    id_pos: usize,
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
}

const BOTH_STRATEGIES: &str = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

/// Parses the options from argv[2] (streamParseAddOrTrimArgsOrReply).
fn parse_trim_args(ctx: &Ctx, xadd: bool) -> Result<TrimArgs, Frame> {
    let argv = ctx.argv;
    let mut a = TrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i][..];
        if xadd && cstr(opt) == b"*" {
            break;
        } else if (is(opt, "MAXLEN") || is(opt, "MINID")) && more > 0 {
            if a.to.is_some() {
                return Err(Frame::error(BOTH_STRATEGIES));
            }
            a.approx = false;
            let next = &argv[i + 1][..];
            if more >= 2 && cstr(next) == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && cstr(next) == b"=" {
                i += 1;
            }
            if is(opt, "MAXLEN") {
                let max = int(&argv[i + 1])?;
                if max < 0 {
                    return Err(Frame::error("ERR The MAXLEN argument must be >= 0."));
                }
                a.to = Some(TrimTo::MaxLen(max as u64));
            } else {
                a.to = Some(TrimTo::MinId(parse_id(&argv[i + 1], 0, IdParse::Strict)?));
            }
            i += 1;
            a.arg_idx = i;
        } else if is(opt, "LIMIT") && more > 0 {
            let limit = int(&argv[i + 1])?;
            if limit < 0 {
                return Err(Frame::error("ERR The LIMIT argument must be >= 0."));
            }
            a.limit = limit as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "NOMKSTREAM") {
            a.no_mkstream = true;
        } else if xadd {
            a.id = Some(parse_add_id(opt)?);
            break;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    a.id_pos = i;
    if a.limit != 0 && a.to.is_none() {
        return Err(Frame::error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && a.to.is_none() {
        return Err(Frame::error("ERR syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !a.approx {
            return Err(Frame::error("ERR syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if a.approx {
        // At most 100 nodes' worth of entries by default, kept within Redis's bounds.
        let limit = ctx.engine.config.stream_node_max_entries().saturating_mul(100);
        a.limit = if limit <= 0 { 10_000 } else { limit.min(1_000_000) as u64 };
    } else {
        a.limit = 0;
    }
    Ok(a)
}

/// The trim argument as Redis rewrites it for propagation after an approximate trim: `=` and
/// the resulting length, or the first stored ID.
fn rewrite_trim(argv: &mut [Vec<u8>], a: &TrimArgs, s: &Stream) {
    if !a.approx {
        return;
    }
    argv[a.arg_idx - 1] = b"=".to_vec();
    argv[a.arg_idx] = match a.to {
        Some(TrimTo::MaxLen(_)) => s.length.to_string().into_bytes(),
        _ => s.first_stored_id().to_bytes(),
    };
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
pub fn xadd(ctx: &mut Ctx) -> Frame {
    let a = match parse_trim_args(ctx, true) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let field_pos = a.id_pos + 1;
    let nargs = ctx.argc().saturating_sub(field_pos);
    if ctx.argc() < field_pos + 2 || nargs % 2 == 1 {
        return Frame::error(errors::wrong_arity("xadd"));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Frame::error("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let key = ctx.arg(1);
    let typed = ctx.argv;
    match stream_for_write(ctx, key) {
        Err(e) => return e,
        Ok(Some(_)) => {}
        Ok(None) if a.no_mkstream => return Frame::Null,
        Ok(None) => {
            let now = ctx.now_ms;
            ctx.db().set(key.to_vec(), Value::Stream(Box::default()), now);
        }
    }
    let limits = node_limits(ctx);
    let now_ms = ctx.now_ms;
    let fields: Vec<(Vec<u8>, Vec<u8>)> =
        ctx.argv[field_pos..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    let Some(s) = stream_mut(ctx, key) else {
        return Frame::error(errors::WRONGTYPE);
    };
    if s.last_id == StreamId::MAX {
        return Frame::error("ERR The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match a.id {
        Some((id, true)) => Some(id),
        Some((id, false)) if id.ms == s.last_id.ms => {
            (s.last_id.seq < u64::MAX).then(|| StreamId::new(id.ms, s.last_id.seq + 1))
        }
        Some((id, false)) => Some(id),
        None => s.next_auto_id(now_ms),
    };
    let result = match id {
        Some(id) => s.append(id, fields, limits).map(|_| id),
        // Redis fails here without setting errno; 7.0.15 then reports the size error.
        None => Err(AppendError::TooLarge),
    };
    let id = match result {
        Ok(id) => id,
        Err(AppendError::NotGreater) => {
            return Frame::error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        }
        Err(AppendError::TooLarge) => return Frame::error("ERR Elements are too large to be stored"),
    };
    let mut trimmed = false;
    if let Some(to) = a.to {
        trimmed = s.trim(to, a.approx, a.limit) > 0;
    }
    let mut argv = typed.to_vec();
    rewrite_trim(&mut argv, &a, s);
    if !matches!(a.id, Some((_, true))) {
        argv[a.id_pos] = id.to_bytes();
    }
    if argv != typed {
        ctx.propagate_as(argv);
    }
    // Redis writes the new ID before raising `xadd` (and `xtrim` when the trim removed entries).
    ctx.reply_here();
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_STREAM, "xadd", key);
    if trimmed {
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
    }
    ctx.dirty(1);
    id_frame(id)
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut Ctx) -> Frame {
    let a = match parse_trim_args(ctx, false) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let key = ctx.arg(1);
    let typed = ctx.argv;
    let (deleted, argv) = match stream_for_write(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(s)) => {
            let deleted = match a.to {
                Some(to) => s.trim(to, a.approx, a.limit),
                None => 0,
            };
            let mut argv = typed.to_vec();
            rewrite_trim(&mut argv, &a, s);
            (deleted, argv)
        }
    };
    if deleted > 0 {
        if argv != typed {
            ctx.propagate_as(argv);
        }
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_STREAM, "xtrim", key);
        ctx.dirty(deleted);
    }
    Frame::Integer(deleted as i64)
}

/// XDEL key id [id ...]
pub fn xdel(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    match stream_for_write(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Frame::Integer(0),
        Ok(Some(_)) => {}
    }
    let mut ids = Vec::with_capacity(ctx.argc() - 2);
    for arg in &ctx.argv[2..] {
        match parse_id(arg, 0, IdParse::Strict) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Some(s) = stream_mut(ctx, key) else {
        return Frame::Integer(0);
    };
    let mut deleted = 0u64;
    let mut first_entry = false;
    for id in ids {
        if s.delete(id) {
            if id == s.first_id {
                first_entry = true;
            }
            if id > s.max_deleted_id {
                s.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.length == 0 {
            s.first_id = StreamId::MIN;
        } else if first_entry {
            s.first_id = s.first_live_id().unwrap_or(StreamId::MAX);
        }
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_STREAM, "xdel", key);
        ctx.dirty(deleted);
    }
    Frame::Integer(deleted as i64)
}

/// XLEN key
pub fn xlen(ctx: &mut Ctx) -> Frame {
    match stream_for_read(ctx, ctx.arg(1)) {
        Err(e) => e,
        Ok(None) => Frame::Integer(0),
        Ok(Some(s)) => Frame::Integer(s.length as i64),
    }
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(ctx: &mut Ctx) -> Frame {
    match xsetid_inner(ctx) {
        Ok(f) | Err(f) => f,
    }
}

fn xsetid_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let id = parse_id(ctx.arg(2), 0, IdParse::Strict)?;
    let mut entries_added: Option<u64> = None;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < ctx.argc() {
        let more = ctx.argc() - 1 - i;
        let opt = ctx.arg(i);
        if is(opt, "ENTRIESADDED") && more > 0 {
            let n = int(ctx.arg(i + 1))?;
            if n < 0 {
                return Err(Frame::error("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is(opt, "MAXDELETEDID") && more > 0 {
            max_xdel = parse_id(ctx.arg(i + 1), 0, IdParse::Strict)?;
            if id < max_xdel {
                return Err(Frame::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 2;
    }
    let key = ctx.arg(1);
    let s = stream_for_write(ctx, key)?.ok_or_else(|| Frame::error(errors::NO_SUCH_KEY))?;
    if s.length > 0 {
        let max = s.last_live_id().unwrap_or(StreamId::MIN);
        if id < max {
            return Err(Frame::error("ERR The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added.is_some_and(|n| s.length > n) {
            return Err(Frame::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    ctx.reply_here();
    ctx.notify(NOTIFY_STREAM, "xsetid", ctx.arg(1));
    ctx.dirty(1);
    Ok(Frame::ok())
}
