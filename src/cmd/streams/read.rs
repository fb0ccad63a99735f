//! XRANGE, XREVRANGE, XREAD and XREADGROUP, with the blocking forms of the last two.

use super::ids::{parse_id, parse_range, IdParse};
use super::{cstr, entry_frame, int, is, lossy, no_key_or_group, stream_for_read, stream_mut, GroupProp};
use crate::engine::blocking::{deadline_from_millis, BlockKind, BlockRequest, DeadlineMs};
use crate::engine::errors;
use crate::engine::notify::NOTIFY_STREAM;
use crate::engine::stream::{Consumer, Group, Nack, Stream, StreamId};
use crate::engine::value::Value;
use crate::engine::Ctx;
use crate::resp::Frame;

pub fn xrange(ctx: &mut Ctx) -> Frame {
    range(ctx, false).unwrap_or_else(|e| e)
}

pub fn xrevrange(ctx: &mut Ctx) -> Frame {
    range(ctx, true).unwrap_or_else(|e| e)
}

/// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n].
fn range(ctx: &mut Ctx, rev: bool) -> Result<Frame, Frame> {
    let (start_arg, end_arg) = if rev { (ctx.arg(3), ctx.arg(2)) } else { (ctx.arg(2), ctx.arg(3)) };
    let (start, end) = parse_range(start_arg, end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < ctx.argc() {
        if is(ctx.arg(j), "COUNT") && j + 1 < ctx.argc() {
            count = int(ctx.arg(j + 1))?.max(0);
            j += 2;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
    }
    let Some(s) = stream_for_read(ctx, ctx.arg(1))? else {
        return Ok(Frame::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Frame::NullArray);
    }
    let limit = if count < 0 { usize::MAX } else { count as usize };
    let entries: Vec<Frame> = if rev {
        s.range_rev(start, end).take(limit).map(|(id, f)| entry_frame(id, f)).collect()
    } else {
        s.range(start, end).take(limit).map(|(id, f)| entry_frame(id, f)).collect()
    };
    Ok(Frame::Array(entries))
}

/// XREAD/XREADGROUP's parsed arguments.
struct ReadArgs<'a> {
    block: Option<DeadlineMs>,
    count: u64,
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    /// Index of the first key.
    streams_at: usize,
    n: usize,
}

/// `>`: new messages for the group, represented as the maximal ID as Redis does.
const NEW_MESSAGES: StreamId = StreamId::MAX;

fn parse_read_args<'a>(
    argv: &'a [Vec<u8>],
    xreadgroup: bool,
    now_ms: u64,
    from_script: bool,
) -> Result<ReadArgs<'a>, Frame> {
    let mut a = ReadArgs { block: None, count: 0, group: None, noack: false, streams_at: 0, n: 0 };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = &argv[i][..];
        if is(o, "BLOCK") && more > 0 {
            // Scripts never block; Redis refuses the option outright there.
            if from_script {
                let name = if xreadgroup { "xreadgroup" } else { "xread" };
                return Err(Frame::error(format!("ERR {name} command is not allowed with BLOCK option from scripts")));
            }
            i += 1;
            a.block = Some(deadline_from_millis(&argv[i], now_ms)?);
        } else if is(o, "COUNT") && more > 0 {
            i += 1;
            a.count = int(&argv[i])?.max(0) as u64;
        } else if is(o, "STREAMS") && more > 0 {
            a.streams_at = i + 1;
            let rest = argv.len() - a.streams_at;
            if rest % 2 != 0 {
                return Err(Frame::error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            a.n = rest / 2;
            break;
        } else if is(o, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(Frame::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.group = Some((&argv[i + 1], &argv[i + 2]));
            i += 2;
        } else if is(o, "NOACK") {
            if !xreadgroup {
                return Err(Frame::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.noack = true;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    if a.streams_at == 0 {
        return Err(Frame::error(errors::SYNTAX));
    }
    if xreadgroup && a.group.is_none() {
        return Err(Frame::error("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(a)
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]
/// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
pub fn xread(ctx: &mut Ctx) -> Frame {
    // A group read propagates as the XCLAIM/XGROUP commands it queues, never as typed.
    ctx.prevent_propagation();
    xread_inner(ctx).unwrap_or_else(|e| e)
}

fn xread_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let xreadgroup = ctx.meta.name == "xreadgroup";
    let from_script = ctx.client.id == crate::engine::script::run::SCRIPT_CLIENT_ID;
    let a = parse_read_args(argv, xreadgroup, ctx.now_ms, from_script)?;
    let keys = &argv[a.streams_at..a.streams_at + a.n];
    let id_args = &argv[a.streams_at + a.n..];
    let mut ids = Vec::with_capacity(a.n);
    for (key, id_arg) in keys.iter().zip(id_args) {
        let s = stream_for_read(ctx, key)?;
        if let Some((group, _)) = a.group {
            if s.is_none_or(|s| !s.groups.contains_key(group)) {
                return Err(no_key_or_group(key, group, " in XREADGROUP with GROUP option"));
            }
        }
        let id = if cstr(id_arg) == b"$" {
            if xreadgroup {
                return Err(Frame::error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."));
            }
            s.map_or(StreamId::MIN, |s| s.last_id)
        } else if cstr(id_arg) == b">" {
            if !xreadgroup {
                return Err(Frame::error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            NEW_MESSAGES
        } else {
            parse_id(id_arg, 0, IdParse::Strict)?
        };
        ids.push(id);
    }
    let mut out: Vec<(Frame, Frame)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(s) = stream_for_read(ctx, key)? else {
            continue;
        };
        let mut gt = ids[i];
        let mut history = false;
        let serve = match a.group {
            Some((group, _)) => {
                let last = s.groups.get(group).map_or(StreamId::MIN, |g| g.last_id);
                if gt != NEW_MESSAGES {
                    history = true;
                    true
                } else if s.length > 0 && s.last_live_id().is_some_and(|max| max > last) {
                    gt = last;
                    true
                } else {
                    false
                }
            }
            None => s.length > 0 && s.last_live_id().is_some_and(|max| max > gt),
        };
        if !serve {
            continue;
        }
        let start = gt.next().unwrap_or(StreamId::MIN);
        let entries = match a.group {
            Some((group, consumer)) => {
                let now = ctx.now_ms;
                let mut prop = GroupProp::new(ctx, key, group);
                let created = {
                    let Some(s) = stream_mut(ctx, key) else { continue };
                    deliver_to_group(s, group, consumer, start, a.count, history, a.noack, now, &mut prop)
                };
                let (frame, created) = created;
                if created {
                    ctx.dirty(1);
                    ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
                }
                ctx.dirty(1);
                prop.emit(ctx);
                frame
            }
            None => Frame::Array(read_plain(s, start, a.count)),
        };
        out.push((Frame::Bulk(key.clone()), entries));
    }
    if !out.is_empty() {
        return Ok(keyed_reply(ctx, out));
    }
    let Some(deadline_ms) = a.block else {
        return Ok(Frame::NullArray);
    };
    if !ctx.may_block() {
        return Ok(Frame::NullArray);
    }
    // The serve callback re-reads the command: `$` becomes the ID it stands for now.
    let mut blocked_argv = argv.to_vec();
    for (i, id) in ids.iter().enumerate() {
        if cstr(&argv[a.streams_at + a.n + i]) == b"$" {
            blocked_argv[a.streams_at + a.n + i] = id.to_bytes();
        }
    }
    Ok(ctx.block(BlockRequest {
        kind: BlockKind::Stream,
        keys: keys.to_vec(),
        deadline_ms,
        serve: serve_blocked,
        argv: Some(blocked_argv),
    }))
}

/// XREAD's reply: an array of `[key, entries]` pairs in RESP2, a map in RESP3.
fn keyed_reply(ctx: &Ctx, pairs: Vec<(Frame, Frame)>) -> Frame {
    if ctx.client.resp >= 3 {
        Frame::Map(pairs)
    } else {
        Frame::Array(pairs.into_iter().map(|(k, v)| Frame::Array(vec![k, v])).collect())
    }
}

/// Entries after `start` (inclusive) for XREAD; `count` 0 means all.
fn read_plain(s: &Stream, start: StreamId, count: u64) -> Vec<Frame> {
    let limit = if count == 0 { usize::MAX } else { count as usize };
    s.range(start, StreamId::MAX).take(limit).map(|(id, f)| entry_frame(id, f)).collect()
}

/// Looks a consumer up (refreshing its seen time) or creates it; true when created.
pub(super) fn touch_consumer(g: &mut Group, name: &[u8], now_ms: u64) -> bool {
    match g.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time_ms = now_ms;
            false
        }
        None => {
            g.consumers.insert(name.to_vec(), Consumer { seen_time_ms: now_ms, pending: Default::default() });
            true
        }
    }
}

/// Serves a group read from `start`: the consumer's own history, or new entries that advance
/// the group and enter its PEL (unless NOACK). Returns the entries and whether the consumer was
/// created. What it changed goes to `prop` as Redis propagates it: a NOACK reader it created as
/// XGROUP CREATECONSUMER, each new pending entry as an XCLAIM, and the last ID a NOACK read moved
/// as XGROUP SETID. A history read changes delivery counts and times without propagating them.
#[allow(clippy::too_many_arguments)]
fn deliver_to_group(
    s: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: u64,
    history: bool,
    noack: bool,
    now_ms: u64,
    prop: &mut GroupProp,
) -> (Frame, bool) {
    let Some(mut g) = s.groups.remove(group) else {
        return (Frame::Array(Vec::new()), false);
    };
    let created = touch_consumer(&mut g, consumer, now_ms);
    if created && noack {
        prop.consumer_created(consumer);
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let mut out = Vec::new();
    if history {
        let ids: Vec<StreamId> = g
            .consumers
            .get(consumer)
            .map(|c| c.pending.range(start..).take(limit).copied().collect())
            .unwrap_or_default();
        for id in ids {
            match s.get(id) {
                Some(fields) => {
                    out.push(entry_frame(id, fields));
                    if let Some(n) = g.pel.get_mut(&id) {
                        n.delivery_time_ms = now_ms;
                        n.delivery_count += 1;
                    }
                }
                None => out.push(Frame::Array(vec![super::id_frame(id), Frame::NullArray])),
            }
        }
    } else {
        let delivered: Vec<StreamId> = s.range(start, StreamId::MAX).take(limit).map(|(id, _)| id).collect();
        let mut moved = false;
        for id in delivered {
            moved |= id > g.last_id;
            s.deliver_advance(&mut g, id);
            if let Some(fields) = s.get(id) {
                out.push(entry_frame(id, fields));
            }
            if !noack {
                let nack = Nack { delivery_time_ms: now_ms, delivery_count: 1, consumer: consumer.to_vec() };
                match g.pel.get_mut(&id) {
                    Some(existing) => {
                        existing.delivery_time_ms = now_ms;
                        existing.delivery_count = 1;
                        g.assign(id, consumer);
                    }
                    None => {
                        g.pel.insert(id, nack);
                        g.assign(id, consumer);
                    }
                }
                if let Some(nack) = g.pel.get(&id) {
                    prop.xclaim(&id.to_bytes(), nack, g.last_id);
                }
            }
        }
        if noack && moved {
            prop.set_id(g.last_id, g.entries_read);
        }
    }
    s.groups.insert(group.to_vec(), g);
    (Frame::Array(out), created)
}

/// Serves a client blocked in XREAD/XREADGROUP from `key` (serveClientsBlockedOnStreamKey and
/// unblockDeletedStreamReadgroupClients).
fn serve_blocked(ctx: &mut Ctx, key: &[u8]) -> Option<Frame> {
    let argv = ctx.argv;
    let xreadgroup = ctx.meta.name == "xreadgroup";
    let a = parse_read_args(argv, xreadgroup, ctx.now_ms, false).ok()?;
    let keys = &argv[a.streams_at..a.streams_at + a.n];
    let i = keys.iter().position(|k| k.as_slice() == key)?;
    let id_arg = &argv[a.streams_at + a.n + i];
    let now = ctx.now_ms;
    let is_stream = matches!(ctx.db().entry(key).map(|e| &e.value), Some(Value::Stream(_)));
    if !is_stream {
        return a.group.map(|_| Frame::error("UNBLOCKED the stream key no longer exists"));
    }
    let s = stream_mut(ctx, key)?;
    let gt = match a.group {
        Some((group, _)) => match s.groups.get(group) {
            None => {
                return Some(Frame::error("NOGROUP the consumer group this client was blocked on no longer exists"))
            }
            Some(g) => g.last_id,
        },
        None => parse_id(id_arg, 0, IdParse::Strict).ok()?,
    };
    if s.last_id <= gt {
        return None;
    }
    let start = gt.next().unwrap_or(StreamId::MIN);
    let count = if a.count == 0 { 1000 } else { a.count };
    let entries = match a.group {
        Some((group, consumer)) => {
            let mut prop = GroupProp::new(ctx, key, group);
            let s = stream_mut(ctx, key)?;
            let (frame, created) = deliver_to_group(s, group, consumer, start, count, false, a.noack, now, &mut prop);
            if created {
                ctx.dirty(1);
                ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
            }
            // The served client's claims propagate as their own unit (end_served_propagation).
            prop.emit(ctx);
            frame
        }
        None => Frame::Array(read_plain(s, start, count)),
    };
    let _ = lossy;
    Some(keyed_reply(ctx, vec![(Frame::Bulk(key.to_vec()), entries)]))
}
