//! What SORT sorts: the elements of a list, set or sorted set, in the order SORT loads them.
//!
//! - A list: head to tail.
//! - A sorted set: by score (the skiplist order; BY nosort replies in this order).
//! - A set: Redis loads a hashtable set in its table order, which depends on the server's random
//!   hash seed, so any order is Redis's; verdis uses the order of an intset (integers ascending)
//!   for every set, integers first, then the other members bytewise. An intset gives exactly the
//!   order Redis gives, and the model can predict the order for every set.

use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::engine::value::{ListValue, Value};
use crate::engine::Ctx;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

/// The type of the sorted key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    List,
    Set,
    ZSet,
}

/// The canonical order of set members: integers (as an intset holds them) ascending, then the
/// rest bytewise.
pub fn set_order(members: &mut [Vec<u8>]) {
    members.sort_by(|a, b| match (parse_i64(a), parse_i64(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
}

/// The kind and elements of a sortable value; WRONGTYPE for strings and hashes.
pub fn elements(value: &Value) -> Result<(Kind, Vec<Vec<u8>>), Frame> {
    match value {
        Value::List(l) => Ok((Kind::List, l.iter().map(<[u8]>::to_vec).collect())),
        Value::ZSet(z) => Ok((Kind::ZSet, z.iter().map(|(_, member)| member.to_vec()).collect())),
        Value::Set(s) => {
            let mut members = s.members();
            set_order(&mut members);
            Ok((Kind::Set, members))
        }
        Value::Str(_) | Value::Hash(_) | Value::Stream(_) => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// Converts the sorted set at `key` to the skiplist encoding (Redis's zsetConvert before SORT).
pub fn zset_to_skiplist(ctx: &mut Ctx, key: &[u8]) {
    if let Some(Value::ZSet(z)) = ctx.db().entry_mut(key).map(|e| &mut e.value) {
        z.convert_to_skiplist();
    }
}

/// Stores SORT's result at `dest` as a list (setKey: replacing any value, dropping the TTL), or
/// deletes `dest` when there is nothing to store; counts the changes as Redis does.
pub fn store_list(ctx: &mut Ctx, dest: &[u8], values: Vec<Vec<u8>>) -> Result<(), Frame> {
    let count = values.len() as u64;
    if count == 0 {
        // As Redis's dbDelete: whatever is stored goes, expired or not.
        if ctx.db().remove(dest).is_some() {
            ctx.signal_modified(dest);
            ctx.notify(NOTIFY_GENERIC, "del", dest);
            ctx.dirty(1);
        }
        return Ok(());
    }
    // setKey: an expired destination is gone first; the new list has no TTL.
    ctx.lookup_write(dest);
    let fill = ctx.engine.config.list_max_listpack_size();
    let now_ms = ctx.now_ms;
    ctx.db().set(dest.to_vec(), Value::List(ListValue::from_items(values, fill)), now_ms);
    ctx.signal_modified(dest);
    ctx.notify(NOTIFY_LIST, "sortstore", dest);
    ctx.dirty(count);
    Ok(())
}
