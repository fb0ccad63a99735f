//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP.

use super::{entry_frame, id_frame, int, is, no_group_for_key, stream_for_read, subcommand_syntax_error};
use crate::engine::errors;
use crate::engine::stream::{Group, Stream, StreamId};
use crate::engine::Ctx;
use crate::resp::Frame;

fn b(s: &str) -> Frame {
    Frame::bulk_str(s)
}

fn int_frame(n: u64) -> Frame {
    Frame::Integer(n as i64)
}

fn read_or_nokey<'c>(ctx: &'c mut Ctx) -> Result<&'c Stream, Frame> {
    let key = ctx.arg(2);
    stream_for_read(ctx, key)?.ok_or_else(|| Frame::error(errors::NO_SUCH_KEY))
}

fn entries_read_frame(g: &Group) -> Frame {
    g.entries_read.map_or(Frame::Null, int_frame)
}

fn lag_frame(s: &Stream, g: &Group) -> Frame {
    s.lag(g).map_or(Frame::Null, Frame::Integer)
}

/// Redis's radix tree node count, computed from the node keys (see `rax_node_count`).
fn rax_nodes(s: &Stream) -> u64 {
    s.rax_nodes()
}

pub fn stream(ctx: &mut Ctx) -> Frame {
    stream_inner(ctx).unwrap_or_else(|e| e)
}

fn stream_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let optc = ctx.argc() - 3;
    let mut full = false;
    let mut count: i64 = 10;
    if optc > 0 {
        if (optc != 1 && optc != 3) || !is(ctx.arg(3), "FULL") {
            return Err(subcommand_syntax_error(ctx));
        }
        full = true;
        if optc == 3 {
            if !is(ctx.arg(4), "COUNT") {
                return Err(subcommand_syntax_error(ctx));
            }
            count = int(ctx.arg(5))?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let s = read_or_nokey(ctx)?;
    let mut m = vec![
        (b("length"), int_frame(s.length)),
        (b("radix-tree-keys"), int_frame(s.nodes.len() as u64)),
        (b("radix-tree-nodes"), int_frame(rax_nodes(s))),
        (b("last-generated-id"), id_frame(s.last_id)),
        (b("max-deleted-entry-id"), id_frame(s.max_deleted_id)),
        (b("entries-added"), int_frame(s.entries_added)),
        (b("recorded-first-entry-id"), id_frame(s.first_id)),
    ];
    if !full {
        m.push((b("groups"), int_frame(s.groups.len() as u64)));
        let first = s.range(StreamId::MIN, StreamId::MAX).next().map_or(Frame::Null, |(id, f)| entry_frame(id, f));
        let last = s.range_rev(StreamId::MIN, StreamId::MAX).next().map_or(Frame::Null, |(id, f)| entry_frame(id, f));
        m.push((b("first-entry"), first));
        m.push((b("last-entry"), last));
        return Ok(Frame::Map(m));
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let entries = s.range(StreamId::MIN, StreamId::MAX).take(limit).map(|(id, f)| entry_frame(id, f)).collect();
    m.push((b("entries"), Frame::Array(entries)));
    let mut groups = Vec::with_capacity(s.groups.len());
    for (name, g) in &s.groups {
        let pel = g
            .pel
            .iter()
            .take(limit)
            .map(|(id, n)| {
                Frame::Array(vec![
                    id_frame(*id),
                    Frame::Bulk(n.consumer.clone()),
                    int_frame(n.delivery_time_ms),
                    int_frame(n.delivery_count),
                ])
            })
            .collect();
        let consumers = g
            .consumers
            .iter()
            .map(|(cname, c)| {
                let pending = c
                    .pending
                    .iter()
                    .take(limit)
                    .map(|id| {
                        let n = g.pel.get(id);
                        Frame::Array(vec![
                            id_frame(*id),
                            int_frame(n.map_or(0, |n| n.delivery_time_ms)),
                            int_frame(n.map_or(0, |n| n.delivery_count)),
                        ])
                    })
                    .collect();
                Frame::Map(vec![
                    (b("name"), Frame::Bulk(cname.clone())),
                    (b("seen-time"), int_frame(c.seen_time_ms)),
                    (b("pel-count"), int_frame(c.pending.len() as u64)),
                    (b("pending"), Frame::Array(pending)),
                ])
            })
            .collect();
        groups.push(Frame::Map(vec![
            (b("name"), Frame::Bulk(name.clone())),
            (b("last-delivered-id"), id_frame(g.last_id)),
            (b("entries-read"), entries_read_frame(g)),
            (b("lag"), lag_frame(s, g)),
            (b("pel-count"), int_frame(g.pel.len() as u64)),
            (b("pending"), Frame::Array(pel)),
            (b("consumers"), Frame::Array(consumers)),
        ]));
    }
    m.push((b("groups"), Frame::Array(groups)));
    Ok(Frame::Map(m))
}

pub fn groups(ctx: &mut Ctx) -> Frame {
    let s = match read_or_nokey(ctx) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let out = s
        .groups
        .iter()
        .map(|(name, g)| {
            Frame::Map(vec![
                (b("name"), Frame::Bulk(name.clone())),
                (b("consumers"), int_frame(g.consumers.len() as u64)),
                (b("pending"), int_frame(g.pel.len() as u64)),
                (b("last-delivered-id"), id_frame(g.last_id)),
                (b("entries-read"), entries_read_frame(g)),
                (b("lag"), lag_frame(s, g)),
            ])
        })
        .collect();
    Frame::Array(out)
}

pub fn consumers(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms;
    let (key, group) = (ctx.arg(2), ctx.arg(3));
    let s = match read_or_nokey(ctx) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let Some(g) = s.groups.get(group) else {
        return no_group_for_key(key, group);
    };
    let out = g
        .consumers
        .iter()
        .map(|(name, c)| {
            Frame::Map(vec![
                (b("name"), Frame::Bulk(name.clone())),
                (b("pending"), int_frame(c.pending.len() as u64)),
                (b("idle"), Frame::Integer((now as i64).saturating_sub(c.seen_time_ms as i64).max(0))),
            ])
        })
        .collect();
    Frame::Array(out)
}

pub fn help(ctx: &mut Ctx) -> Frame {
    if ctx.argc() != 2 {
        return subcommand_syntax_error(ctx);
    }
    crate::cmd::keyspace::help_reply(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    )
}
