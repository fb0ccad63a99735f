//! The list command family (Redis's t_list.c): pushes and pops at both ends, indexed access and
//! edits, LPOS, moves between lists, and the blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP) built on `engine::blocking`.
//!
//! Conventions shared with Redis: a list is never empty (the last pop, trim or removal deletes
//! the key); `lookupKeyRead` (hits and misses counted) for the read-only commands and
//! `lookupKeyWrite` for the others; WRONGTYPE for a key of another type; every change signals
//! the key and adds to `dirty` as the Redis command does (per element for pushes and pops).

mod blocking;
mod edit;
mod push_pop;
mod query;
#[cfg(test)]
mod tests;

use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::engine::value::{ListValue, Value};
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "lpush" => push_pop::lpush,
        "rpush" => push_pop::rpush,
        "lpushx" => push_pop::lpushx,
        "rpushx" => push_pop::rpushx,
        "lpop" => push_pop::lpop,
        "rpop" => push_pop::rpop,
        "lmpop" => push_pop::lmpop,
        "lmove" => push_pop::lmove,
        "rpoplpush" => push_pop::rpoplpush,
        "llen" => query::llen,
        "lrange" => query::lrange,
        "lindex" => query::lindex,
        "lpos" => query::lpos,
        "lset" => edit::lset,
        "linsert" => edit::linsert,
        "lrem" => edit::lrem,
        "ltrim" => edit::ltrim,
        "blpop" => blocking::blpop,
        "brpop" => blocking::brpop,
        "blmove" => blocking::blmove,
        "brpoplpush" => blocking::brpoplpush,
        "blmpop" => blocking::blmpop,
        _ => return None,
    };
    Some(h)
}

/// Which end of a list (Redis's LIST_HEAD / LIST_TAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Head,
    Tail,
}

impl End {
    /// LEFT or RIGHT, compared as C strings (up to a NUL byte), else `ERR syntax error`.
    fn parse(arg: &[u8]) -> Result<End, Frame> {
        if opt_is(arg, "LEFT") {
            Ok(End::Head)
        } else if opt_is(arg, "RIGHT") {
            Ok(End::Tail)
        } else {
            Err(Frame::error(errors::SYNTAX))
        }
    }

    /// The name commands are propagated with (shared.left / shared.right).
    fn name(self) -> &'static str {
        match self {
            End::Head => "LEFT",
            End::Tail => "RIGHT",
        }
    }

    /// The keyspace event of a pop from this end.
    fn pop_event(self) -> &'static str {
        match self {
            End::Head => "lpop",
            End::Tail => "rpop",
        }
    }

    /// The keyspace event of a push at this end.
    fn push_event(self) -> &'static str {
        match self {
            End::Head => "lpush",
            End::Tail => "rpush",
        }
    }

    /// The non-blocking pop that a blocking pop from this end propagates as.
    fn pop_command(self) -> &'static str {
        match self {
            End::Head => "LPOP",
            End::Tail => "RPOP",
        }
    }
}

/// The list held by `value`, or WRONGTYPE.
pub(crate) fn as_list(value: &Value) -> Result<&ListValue, Frame> {
    match value {
        Value::List(l) => Ok(l),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// Mutable form of `as_list`.
pub(crate) fn as_list_mut(value: &mut Value) -> Result<&mut ListValue, Frame> {
    match value {
        Value::List(l) => Ok(l),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// lookupKeyWrite + checkType: the list at `key`, `Ok(None)` when there is no key.
fn list_for_write<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ListValue>, Frame> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(v) => as_list_mut(v).map(Some),
    }
}

/// lookupKeyRead + checkType: the list at `key`, `Ok(None)` when there is no key.
fn list_for_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ListValue>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => as_list(v).map(Some),
    }
}

/// An empty list, shaped by the `list-max-listpack-size` in force (quicklistSetOptions).
fn new_list(ctx: &Ctx) -> ListValue {
    ListValue::new(ctx.engine.config.list_max_listpack_size())
}

/// Stores a new list under a key that does not exist (Redis's dbAdd).
fn add_list(ctx: &mut Ctx, key: &[u8], list: ListValue) {
    let now_ms = ctx.now_ms;
    ctx.db().set(key.to_vec(), Value::List(list), now_ms);
}

/// Deletes `key` if its list became empty; true when it did.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) -> bool {
    let empty = matches!(ctx.db().entry(key).map(|e| &e.value), Some(Value::List(l)) if l.is_empty());
    if empty {
        ctx.db().remove(key);
        ctx.notify(NOTIFY_GENERIC, "del", key);
    }
    empty
}

/// An option compared as Redis's strcasecmp sees it: up to the first NUL byte.
fn opt_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// Redis's getRangeLongFromObjectOrReply with a message: an integer in `min..=i64::MAX`, else
/// `ERR <msg>` (also for a non-integer).
fn ranged_int(arg: &[u8], min: i64, msg: &str) -> Result<i64, Frame> {
    match crate::resp::parse::parse_i64(arg) {
        Some(n) if n >= min => Ok(n),
        _ => Err(Frame::error(format!("ERR {msg}"))),
    }
}

/// Resolves `start..=end` (negative from the end) against a list of `len` elements as LRANGE
/// does; `None` for an empty range.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut end = if end < 0 { len.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// Pops up to `count` elements from one end, in pop order.
fn pop_many(list: &mut ListValue, end: End, count: usize) -> Vec<Vec<u8>> {
    match end {
        End::Head => list.drain_front(count),
        End::Tail => list.drain_back(count),
    }
}

fn pop_one(list: &mut ListValue, end: End) -> Option<Vec<u8>> {
    match end {
        End::Head => list.pop_front(),
        End::Tail => list.pop_back(),
    }
}

fn push_one(list: &mut ListValue, end: End, item: Vec<u8>) {
    match end {
        End::Head => list.push_front(item),
        End::Tail => list.push_back(item),
    }
}

/// An array of bulk strings, encoded once into its wire form (`Frame::Raw`): the same bytes in
/// RESP2 and RESP3, without a frame and an allocation per element. LRANGE replies this way, as
/// Redis copies each element straight into the reply buffer.
fn encoded_bulk_array<'a>(items: impl ExactSizeIterator<Item = &'a [u8]>) -> Frame {
    let mut out = Vec::with_capacity(16 + items.len() * 16);
    out.push(b'*');
    out.extend_from_slice(items.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for item in items {
        out.push(b'$');
        out.extend_from_slice(item.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(item);
        out.extend_from_slice(b"\r\n");
    }
    Frame::Raw(out)
}

/// Turns a handler body's `Result` into its reply.
fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}

/// `[key, [elements]]`, the reply of LMPOP and BLMPOP.
fn key_and_elements(key: &[u8], items: Vec<Vec<u8>>) -> Frame {
    Frame::Array(vec![Frame::bulk(key.to_vec()), Frame::Array(items.into_iter().map(Frame::bulk).collect())])
}

/// Pops up to `count` elements from the list at `key` (which holds a non-empty list), deleting
/// the key when it empties, signalling it and counting `dirty` per element (Redis's
/// listPopRangeAndReplyWithKey + listElementsRemoved). Returns the elements.
fn pop_range_from_key(ctx: &mut Ctx, key: &[u8], end: End, count: usize) -> Vec<Vec<u8>> {
    let items = match ctx.lookup_write(key) {
        Some(Value::List(list)) => pop_many(list, end, count),
        _ => Vec::new(),
    };
    ctx.reply_here();
    ctx.notify(NOTIFY_LIST, end.pop_event(), key);
    delete_if_empty(ctx, key);
    ctx.signal_modified(key);
    ctx.dirty(items.len() as u64);
    items
}

/// The LMPOP/BLMPOP arguments after the command name (and BLMPOP's timeout): `numkeys key...
/// LEFT|RIGHT [COUNT n]`, starting at `numkeys_idx`. Returns the key range, the end and the
/// count (1 when not given).
struct MpopArgs {
    first_key: usize,
    numkeys: usize,
    end: End,
    count: usize,
}

fn parse_mpop(argv: &[Vec<u8>], numkeys_idx: usize) -> Result<MpopArgs, Frame> {
    let numkeys = ranged_int(&argv[numkeys_idx], 1, "numkeys should be greater than 0")?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|&i| i < argv.len())
        .ok_or_else(|| Frame::error(errors::SYNTAX))?;
    let end = End::parse(&argv[where_idx])?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count.is_none() && opt_is(&argv[j], "COUNT") && more > 0 {
            j += 1;
            count = Some(ranged_int(&argv[j], 1, "count should be greater than 0")?);
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        j += 1;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    Ok(MpopArgs { first_key: numkeys_idx + 1, numkeys: where_idx - numkeys_idx - 1, end, count })
}

/// The propagated form of a pop of `count` elements: `LPOP key n` / `RPOP key n`.
fn pop_count_argv(end: End, key: &[u8], count: usize) -> Vec<Vec<u8>> {
    vec![end.pop_command().as_bytes().to_vec(), key.to_vec(), count.to_string().into_bytes()]
}

/// Moves one element from the list at `src` (non-empty) to `dst`, creating `dst` if needed
/// (Redis's lmoveGenericCommand after its checks, and lmoveHandlePush): the value is popped from
/// `from`, pushed at `to`; `dst` is signalled; an emptied `src` is deleted.
fn move_element(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> Option<Vec<u8>> {
    let value = match ctx.lookup_write(src) {
        Some(Value::List(list)) => pop_one(list, from)?,
        _ => return None,
    };
    match ctx.lookup_write(dst) {
        Some(Value::List(list)) => push_one(list, to, value.clone()),
        _ => {
            let mut list = new_list(ctx);
            push_one(&mut list, to, value.clone());
            add_list(ctx, dst, list);
        }
    }
    ctx.signal_modified(dst);
    ctx.notify(NOTIFY_LIST, to.push_event(), dst);
    ctx.reply_here();
    ctx.notify(NOTIFY_LIST, from.pop_event(), src);
    delete_if_empty(ctx, src);
    Some(value)
}

/// WRONGTYPE when `key` holds something other than a list (a missing key is fine).
fn check_list_or_missing(ctx: &mut Ctx, key: &[u8]) -> Result<(), Frame> {
    list_for_write(ctx, key).map(|_| ())
}
