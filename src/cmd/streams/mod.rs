//! The stream command family (Redis's t_stream.c): XADD, XTRIM, XDEL, XLEN, XSETID, XRANGE,
//! XREVRANGE, XREAD and XREADGROUP (blocking on `engine::blocking`), the consumer groups (XGROUP,
//! XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO. The value itself is `engine::stream::Stream`.
//!
//! Time (automatic IDs, delivery and seen times, idle times) comes from `ctx.now_ms` only.

mod add;
mod claim;
mod groups;
mod ids;
mod info;
mod read;

use crate::engine::errors;
use crate::engine::stream::{Fields, NodeLimits, Stream, StreamId};
use crate::engine::value::Value;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub use ids::{parse_id, parse_interval, IdParse};

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "xadd" => add::xadd,
        "xtrim" => add::xtrim,
        "xdel" => add::xdel,
        "xlen" => add::xlen,
        "xsetid" => add::xsetid,
        "xrange" => read::xrange,
        "xrevrange" => read::xrevrange,
        "xread" => read::xread,
        "xreadgroup" => read::xread,
        "xgroup|create" => groups::create,
        "xgroup|setid" => groups::setid,
        "xgroup|destroy" => groups::destroy,
        "xgroup|createconsumer" => groups::createconsumer,
        "xgroup|delconsumer" => groups::delconsumer,
        "xgroup|help" => groups::help,
        "xack" => groups::xack,
        "xpending" => claim::xpending,
        "xclaim" => claim::xclaim,
        "xautoclaim" => claim::xautoclaim,
        "xinfo|stream" => info::stream,
        "xinfo|groups" => info::groups,
        "xinfo|consumers" => info::consumers,
        "xinfo|help" => info::help,
        _ => return None,
    };
    Some(h)
}

/// The stream held by `value`, or WRONGTYPE.
fn as_stream(value: &Value) -> Result<&Stream, Frame> {
    match value {
        Value::Stream(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

fn as_stream_mut(value: &mut Value) -> Result<&mut Stream, Frame> {
    match value {
        Value::Stream(s) => Ok(s),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// lookupKeyRead + checkType.
fn stream_for_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Stream>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => as_stream(v).map(Some),
    }
}

/// lookupKeyWrite + checkType.
fn stream_for_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Stream>, Frame> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(v) => as_stream_mut(v).map(Some),
    }
}

/// The stream at `key` after a lookup already made by the command (no statistics, no touch).
fn stream_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c mut Stream> {
    match ctx.db().entry_mut(key).map(|e| &mut e.value) {
        Some(Value::Stream(s)) => Some(s),
        _ => None,
    }
}

/// The node-shaping settings in force.
fn node_limits(ctx: &Ctx) -> NodeLimits {
    NodeLimits {
        max_bytes: ctx.engine.config.stream_node_max_bytes(),
        max_entries: ctx.engine.config.stream_node_max_entries(),
    }
}

fn id_frame(id: StreamId) -> Frame {
    Frame::Bulk(id.to_bytes())
}

/// One entry as Redis replies it: `[id, [field, value, ...]]`.
fn entry_frame(id: StreamId, fields: &Fields) -> Frame {
    let mut flat = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields {
        flat.push(Frame::Bulk(f.clone()));
        flat.push(Frame::Bulk(v.clone()));
    }
    Frame::Array(vec![id_frame(id), Frame::Array(flat)])
}

/// Redis's addReplySubcommandSyntaxError.
fn subcommand_syntax_error(ctx: &Ctx) -> Frame {
    Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), &String::from_utf8_lossy(ctx.arg(0))))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `-NOGROUP No such key '<key>' or consumer group '<group>'` plus a command-specific tail.
fn no_key_or_group(key: &[u8], group: &[u8], tail: &str) -> Frame {
    Frame::error(format!("NOGROUP No such key '{}' or consumer group '{}'{tail}", lossy(key), lossy(group)))
}

/// `-NOGROUP No such consumer group '<group>' for key name '<key>'`.
fn no_group_for_key(key: &[u8], group: &[u8]) -> Frame {
    Frame::error(format!("NOGROUP No such consumer group '{}' for key name '{}'", lossy(group), lossy(key)))
}

/// A count-like integer argument with Redis's generic error.
fn int(arg: &[u8]) -> Result<i64, Frame> {
    crate::cmd::args::int_arg(arg)
}

/// An argument as C code sees it: up to its first NUL byte (Redis compares options and the
/// special IDs `*`, `$`, `>`, `~`, `=` with strcasecmp/strcmp).
fn cstr(arg: &[u8]) -> &[u8] {
    &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())]
}

/// An option name compared as Redis's strcasecmp does.
fn is(arg: &[u8], name: &str) -> bool {
    crate::cmd::args::is(cstr(arg), name)
}

/// The commands a consumer-group operation hands to the AOF (Redis's streamPropagateXCLAIM,
/// streamPropagateGroupID and streamPropagateConsumerCreation). They are collected while the
/// stream is borrowed and queued by `emit`; nothing is built when nobody consumes propagation.
pub(super) struct GroupProp {
    on: bool,
    key: Vec<u8>,
    group: Vec<u8>,
    out: Vec<Vec<Vec<u8>>>,
}

impl GroupProp {
    pub(super) fn new(ctx: &Ctx, key: &[u8], group: &[u8]) -> GroupProp {
        let on = ctx.propagating();
        let (key, group) = if on { (key.to_vec(), group.to_vec()) } else { (Vec::new(), Vec::new()) };
        GroupProp { on, key, group, out: Vec::new() }
    }

    /// An idempotent XCLAIM that recreates pending entry `id` as `nack` describes it (or, for an
    /// entry gone from the stream, removes it on replay) and moves the group's last ID forward.
    pub(super) fn xclaim(&mut self, id_arg: &[u8], nack: &crate::engine::stream::Nack, last_id: StreamId) {
        if !self.on {
            return;
        }
        let num = crate::engine::propagate::num_arg;
        self.out.push(vec![
            b"XCLAIM".to_vec(),
            self.key.clone(),
            self.group.clone(),
            nack.consumer.clone(),
            b"0".to_vec(),
            id_arg.to_vec(),
            b"TIME".to_vec(),
            num(nack.delivery_time_ms as i64),
            b"RETRYCOUNT".to_vec(),
            num(nack.delivery_count as i64),
            b"FORCE".to_vec(),
            b"JUSTID".to_vec(),
            b"LASTID".to_vec(),
            last_id.to_bytes(),
        ]);
    }

    /// XGROUP SETID with the read counter: how a last ID moved without a pending entry travels.
    pub(super) fn set_id(&mut self, last_id: StreamId, entries_read: Option<u64>) {
        if !self.on {
            return;
        }
        let read = entries_read.map_or(-1, |n| n as i64);
        self.out.push(vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            self.key.clone(),
            self.group.clone(),
            last_id.to_bytes(),
            b"ENTRIESREAD".to_vec(),
            crate::engine::propagate::num_arg(read),
        ]);
    }

    /// XGROUP CREATECONSUMER, for a consumer that no XCLAIM would create on replay (NOACK reads).
    pub(super) fn consumer_created(&mut self, consumer: &[u8]) {
        if !self.on {
            return;
        }
        self.out.push(vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            self.key.clone(),
            self.group.clone(),
            consumer.to_vec(),
        ]);
    }

    /// Queues what was collected, in order, after what the command queued so far.
    pub(super) fn emit(self, ctx: &mut Ctx) {
        for argv in self.out {
            ctx.also_propagate(argv);
        }
    }
}
