//! The hashes command family (Redis's t_hash.c): HSET and friends, reads of one field or of the
//! whole hash, the counters HINCRBY and HINCRBYFLOAT, HRANDFIELD and HSCAN.
//!
//! The value type and its encodings (listpack, hashtable) live in `engine::hash`; the sizes that
//! choose the encoding come from `hash-max-listpack-entries` and `hash-max-listpack-value`.

mod basic;
mod counter;
mod random;
mod scan;
#[cfg(test)]
mod tests;

use crate::engine::hash::{Hash, HashLimits};
use crate::engine::value::Value;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "hset" | "hmset" => basic::hset,
        "hsetnx" => basic::hsetnx,
        "hget" => basic::hget,
        "hmget" => basic::hmget,
        "hdel" => basic::hdel,
        "hlen" => basic::hlen,
        "hstrlen" => basic::hstrlen,
        "hexists" => basic::hexists,
        "hkeys" => basic::hkeys,
        "hvals" => basic::hvals,
        "hgetall" => basic::hgetall,
        "hincrby" => counter::hincrby,
        "hincrbyfloat" => counter::hincrbyfloat,
        "hrandfield" => random::hrandfield,
        "hscan" => scan::hscan,
        _ => return None,
    };
    Some(h)
}

/// The hash held by `value`, or WRONGTYPE (Redis's checkType).
pub(crate) fn as_hash(value: &Value) -> Result<&Hash, Frame> {
    match value {
        Value::Hash(h) => Ok(h),
        _ => Err(Frame::error(errors::WRONGTYPE)),
    }
}

/// The encoding limits from the configuration.
pub(crate) fn limits(ctx: &Ctx) -> HashLimits {
    HashLimits {
        max_entries: ctx.engine.config.hash_max_listpack_entries(),
        max_value_bytes: ctx.engine.config.hash_max_listpack_value(),
    }
}

/// Reads the hash at `key` (lookupKeyRead + checkType): `Ok(None)` when the key is missing.
fn read_hash<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c Hash>, Frame> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(v) => as_hash(v).map(Some),
    }
}

/// Redis's hashTypeLookupWriteOrCreate followed by the command's changes: runs `change` on the
/// hash at `key`, created empty when missing. WRONGTYPE for another type. A hash left empty
/// (the change deleted its last field, or failed on a new key) is removed, as Redis never stores
/// an empty collection.
fn change_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    change: impl FnOnce(&mut Hash, HashLimits) -> Result<R, Frame>,
) -> Result<R, Frame> {
    let limits = limits(ctx);
    let created = match ctx.lookup_write(key) {
        None => true,
        Some(v) => {
            as_hash(v)?;
            false
        }
    };
    if created {
        let now_ms = ctx.now_ms;
        ctx.db().set(key.to_vec(), Value::Hash(Hash::new()), now_ms);
    }
    let (result, now_empty) = match ctx.db().entry_mut(key).map(|e| &mut e.value) {
        Some(Value::Hash(h)) => {
            let result = change(h, limits);
            (result, h.is_empty())
        }
        _ => return Err(Frame::error(errors::WRONGTYPE)),
    };
    if now_empty {
        ctx.db().remove(key);
    }
    result
}

/// An option name compared as Redis's strcasecmp does: only up to the first NUL byte.
pub(crate) fn c_str_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// Turns a handler body's `Result` into its reply.
fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}
