//! XPENDING, XCLAIM and XAUTOCLAIM.

use super::ids::{parse_id, parse_interval, parse_range, IdParse};
use super::read::touch_consumer;
use super::{entry_frame, id_frame, int, is, lossy, no_key_or_group, stream_for_read, stream_mut};
use crate::engine::errors;
use crate::engine::notify::NOTIFY_STREAM;
use crate::engine::stream::{Nack, StreamId};
use crate::engine::Ctx;
use crate::resp::Frame;

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(ctx: &mut Ctx) -> Frame {
    xpending_inner(ctx).unwrap_or_else(|e| e)
}

fn xpending_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argc = ctx.argc();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Frame::error(errors::SYNTAX));
    }
    let mut min_idle: i64 = 0;
    let mut count: i64 = 0;
    let mut range = (StreamId::MIN, StreamId::MAX);
    let mut consumer: Option<&[u8]> = None;
    if argc >= 6 {
        let mut at = 3;
        if is(ctx.arg(3), "IDLE") {
            min_idle = int(ctx.arg(4))?;
            if argc < 8 {
                return Err(Frame::error(errors::SYNTAX));
            }
            at += 2;
        }
        count = int(ctx.arg(at + 2))?.max(0);
        range = parse_range(ctx.arg(at), ctx.arg(at + 1))?;
        if at + 3 < argc {
            consumer = Some(ctx.arg(at + 3));
        }
    }
    let (key, group) = (ctx.arg(1), ctx.arg(2));
    let now = ctx.now_ms as i64;
    let s = stream_for_read(ctx, key)?;
    let Some(g) = s.and_then(|s| s.groups.get(group)) else {
        return Err(no_key_or_group(key, group, ""));
    };
    if justinfo {
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            return Ok(Frame::Array(vec![Frame::Integer(0), Frame::Null, Frame::Null, Frame::NullArray]));
        };
        let owners = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pending.is_empty())
            .map(|(name, c)| {
                Frame::Array(vec![Frame::Bulk(name.clone()), Frame::Bulk(c.pending.len().to_string().into_bytes())])
            })
            .collect();
        return Ok(Frame::Array(vec![
            Frame::Integer(g.pel.len() as i64),
            id_frame(*first),
            id_frame(*last),
            Frame::Array(owners),
        ]));
    }
    let (start, end) = range;
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name) {
            None => return Ok(Frame::Array(Vec::new())),
            Some(c) if start <= end => c.pending.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        let idle = now.wrapping_sub(n.delivery_time_ms as i64);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        count -= 1;
        out.push(Frame::Array(vec![
            id_frame(id),
            Frame::Bulk(n.consumer.clone()),
            Frame::Integer(idle.max(0)),
            Frame::Integer(n.delivery_count as i64),
        ]));
    }
    Ok(Frame::Array(out))
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
/// [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut Ctx) -> Frame {
    xclaim_inner(ctx).unwrap_or_else(|e| e)
}

fn xclaim_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (key, group, name) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let s = stream_for_read(ctx, key)?;
    if !s.is_some_and(|s| s.groups.contains_key(group)) {
        return Err(no_key_or_group(key, group, ""));
    }
    let min_idle = crate::resp::parse::parse_i64(ctx.arg(4))
        .ok_or_else(|| Frame::error("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < ctx.argc() {
        match parse_id(ctx.arg(j), 0, IdParse::Strict) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now_ms as i64;
    let mut force = false;
    let mut justid = false;
    let mut retrycount: i64 = -1;
    let mut delivery: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        let opt = ctx.arg(j);
        let num = |arg: &[u8], what: &str| {
            crate::resp::parse::parse_i64(arg)
                .ok_or_else(|| Frame::error(format!("ERR Invalid {what} option argument for XCLAIM")))
        };
        if is(opt, "FORCE") {
            force = true;
        } else if is(opt, "JUSTID") {
            justid = true;
        } else if is(opt, "IDLE") && more > 0 {
            j += 1;
            delivery = Some(now.wrapping_sub(num(ctx.arg(j), "IDLE")?));
        } else if is(opt, "TIME") && more > 0 {
            j += 1;
            delivery = Some(num(ctx.arg(j), "TIME")?);
        } else if is(opt, "RETRYCOUNT") && more > 0 {
            j += 1;
            retrycount = num(ctx.arg(j), "RETRYCOUNT")?;
        } else if is(opt, "LASTID") && more > 0 {
            j += 1;
            last_id = parse_id(ctx.arg(j), 0, IdParse::Strict)?;
        } else {
            return Err(Frame::error(format!("ERR Unrecognized XCLAIM option '{}'", lossy(opt))));
        }
        j += 1;
    }
    let delivery_ms = match delivery {
        Some(t) if t >= 0 && t <= now => t as u64,
        _ => now as u64,
    };
    let Some(s) = stream_mut(ctx, key) else {
        return Err(no_key_or_group(key, group, ""));
    };
    let Some(mut g) = s.groups.remove(group) else {
        return Err(no_key_or_group(key, group, ""));
    };
    let mut dirty = 0u64;
    if last_id > g.last_id {
        g.last_id = last_id;
        dirty += 1;
    }
    let mut consumer_ready = false;
    let mut created_consumer = false;
    let mut out = Vec::new();
    for id in ids {
        if !s.contains(id) {
            if g.remove_pending(id).is_some() {
                dirty += 1;
            }
            continue;
        }
        let fresh = if force && !g.pel.contains_key(&id) {
            g.pel.insert(id, Nack { delivery_time_ms: now as u64, delivery_count: 1, consumer: Vec::new() });
            true
        } else {
            false
        };
        let Some(nack) = g.pel.get(&id) else { continue };
        if !fresh && min_idle != 0 && now.wrapping_sub(nack.delivery_time_ms as i64) < min_idle {
            continue;
        }
        if !consumer_ready {
            if touch_consumer(&mut g, name, now as u64) {
                dirty += 1;
                created_consumer = true;
            }
            consumer_ready = true;
        }
        if let Some(nack) = g.pel.get_mut(&id) {
            nack.delivery_time_ms = delivery_ms;
            if retrycount >= 0 {
                nack.delivery_count = retrycount as u64;
            } else if !justid {
                nack.delivery_count += 1;
            }
        }
        g.assign(id, name);
        out.push(if justid { id_frame(id) } else { claimed_entry(s.get(id), id) });
        dirty += 1;
    }
    s.groups.insert(group.to_vec(), g);
    if created_consumer {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    ctx.dirty(dirty);
    Ok(Frame::Array(out))
}

fn claimed_entry(fields: Option<&crate::engine::stream::Fields>, id: StreamId) -> Frame {
    match fields {
        Some(f) => entry_frame(id, f),
        None => Frame::Array(vec![id_frame(id), Frame::NullArray]),
    }
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim(ctx: &mut Ctx) -> Frame {
    xautoclaim_inner(ctx).unwrap_or_else(|e| e)
}

fn xautoclaim_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let min_idle = crate::resp::parse::parse_i64(ctx.arg(4))
        .ok_or_else(|| Frame::error("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let (mut start, ex) = parse_interval(ctx.arg(5), 0)?;
    if ex {
        start = start.next().ok_or_else(|| Frame::error("ERR invalid start ID for the interval"))?;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if is(ctx.arg(j), "COUNT") && more > 0 {
            let max_count = i64::MAX / 16;
            count = match crate::resp::parse::parse_i64(ctx.arg(j + 1)) {
                Some(n) if (1..=max_count).contains(&n) => n,
                _ => return Err(Frame::error("ERR COUNT must be > 0")),
            };
            j += 1;
        } else if is(ctx.arg(j), "JUSTID") {
            justid = true;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        j += 1;
    }
    let (key, group, name) = (ctx.arg(1), ctx.arg(2), ctx.arg(3));
    let s = stream_for_read(ctx, key)?;
    if !s.is_some_and(|s| s.groups.contains_key(group)) {
        return Err(no_key_or_group(key, group, ""));
    }
    let now = ctx.now_ms as i64;
    let Some(s) = stream_mut(ctx, key) else {
        return Err(no_key_or_group(key, group, ""));
    };
    let Some(mut g) = s.groups.remove(group) else {
        return Err(no_key_or_group(key, group, ""));
    };
    let mut attempts = count.saturating_mul(10);
    let mut dirty = 0u64;
    let mut consumer_ready = false;
    let mut created_consumer = false;
    let mut out = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut next_id: Option<StreamId> = None;
    loop {
        let Some((&id, nack)) = g.pel.range(cursor..).next() else {
            break;
        };
        if attempts == 0 || count == 0 {
            next_id = Some(id);
            break;
        }
        attempts -= 1;
        cursor = match id.next() {
            Some(n) => n,
            None => StreamId::MAX,
        };
        let idle = now.wrapping_sub(nack.delivery_time_ms as i64);
        if !s.contains(id) {
            g.remove_pending(id);
            deleted.push(id_frame(id));
            dirty += 1;
            count -= 1;
        } else if min_idle == 0 || idle >= min_idle {
            if !consumer_ready {
                if touch_consumer(&mut g, name, now as u64) {
                    dirty += 1;
                    created_consumer = true;
                }
                consumer_ready = true;
            }
            if let Some(nack) = g.pel.get_mut(&id) {
                nack.delivery_time_ms = now as u64;
                if !justid {
                    nack.delivery_count += 1;
                }
            }
            g.assign(id, name);
            out.push(if justid { id_frame(id) } else { claimed_entry(s.get(id), id) });
            count -= 1;
            dirty += 1;
        }
        if id == StreamId::MAX {
            break;
        }
    }
    s.groups.insert(group.to_vec(), g);
    if created_consumer {
        ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
    }
    ctx.dirty(dirty);
    Ok(Frame::Array(vec![id_frame(next_id.unwrap_or(StreamId::MIN)), Frame::Array(out), Frame::Array(deleted)]))
}
