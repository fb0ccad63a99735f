//! MEMORY USAGE key [SAMPLES count] (Redis's object.c memoryCommand). verdis does not measure its
//! allocations; the reply is an estimate in the spirit of Redis's objectComputeSize (object
//! header, key, dict entry and the value's own bytes), always positive for an existing key.

use crate::cmd::args::{int_arg, is};
use crate::engine::value::{ListValue, StrValue, Value};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "memory|usage" => usage,
        _ => return None,
    };
    Some(h)
}

/// Redis's robj header (type, encoding, LRU, refcount, pointer).
const OBJECT_HEADER_BYTES: usize = 16;
/// A dictEntry: key, value and next pointers.
const DICT_ENTRY_BYTES: usize = 24;
/// An sds header for short strings plus its terminating NUL.
const SDS_OVERHEAD_BYTES: usize = 4;

/// Nodes MEMORY USAGE looks at by default (OBJ_COMPUTE_SIZE_DEF_SAMPLES).
const DEFAULT_SAMPLES: usize = 5;

fn usage(ctx: &mut Ctx) -> Frame {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < ctx.argc() {
        if is(ctx.arg(i), "samples") && i + 1 < ctx.argc() {
            match int_arg(ctx.arg(i + 1)) {
                Ok(n) if n < 0 => return Frame::error(errors::SYNTAX),
                // SAMPLES 0 means every element.
                Ok(0) => samples = usize::MAX,
                Ok(n) => samples = usize::try_from(n).unwrap_or(usize::MAX),
                Err(e) => return e,
            }
            i += 2;
        } else {
            return Frame::error(errors::SYNTAX);
        }
    }
    let key = ctx.arg(2);
    // As Redis: a plain dictionary lookup, without expiring the key or counting a hit.
    match ctx.db().entry(key) {
        Some(entry) => {
            let value = match &entry.value {
                Value::List(list) => list_bytes(list, samples),
                other => value_bytes(other),
            };
            let bytes = value + key.len() + SDS_OVERHEAD_BYTES + DICT_ENTRY_BYTES;
            Frame::Integer(bytes as i64)
        }
        None => Frame::Null,
    }
}

/// The estimated size of a value.
#[allow(unreachable_patterns)] // other types land here with their own arms
fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Str(StrValue::Int(_)) => OBJECT_HEADER_BYTES,
        Value::Str(s) => OBJECT_HEADER_BYTES + s.len() + SDS_OVERHEAD_BYTES,
        Value::Hash(h) if h.is_listpack() => {
            OBJECT_HEADER_BYTES + 7 + h.iter().map(|(f, v)| f.len() + v.len() + 4).sum::<usize>()
        }
        Value::Hash(h) => {
            OBJECT_HEADER_BYTES
                + h.iter().map(|(f, v)| DICT_ENTRY_BYTES + f.len() + v.len() + 2 * SDS_OVERHEAD_BYTES).sum::<usize>()
        }
        other => OBJECT_HEADER_BYTES + other.free_effort() * DICT_ENTRY_BYTES,
    }
}

/// Redis's quicklist struct and node struct sizes.
const QUICKLIST_BYTES: usize = 40;
const QUICKLIST_NODE_BYTES: usize = 40;

/// A list as objectComputeSize weighs a quicklist: the object and quicklist headers, plus the
/// average of the first `samples` nodes (node struct and its listpack's allocation) times the
/// node count.
fn list_bytes(list: &ListValue, samples: usize) -> usize {
    let sampled: Vec<usize> =
        list.node_sizes().take(samples.max(1)).map(|sz| QUICKLIST_NODE_BYTES + allocation_bytes(sz)).collect();
    let average = sampled.iter().sum::<usize>() as f64 / sampled.len().max(1) as f64;
    OBJECT_HEADER_BYTES + QUICKLIST_BYTES + (average * list.node_count() as f64) as usize
}

/// The size class jemalloc serves a request of `bytes` from (what zmalloc_size reports): 8, then
/// multiples of 16 up to 128, then four classes per doubling.
fn allocation_bytes(bytes: usize) -> usize {
    if bytes <= 8 {
        return 8;
    }
    if bytes <= 128 {
        return bytes.div_ceil(16) * 16;
    }
    let power = usize::BITS - (bytes - 1).leading_zeros(); // 2^power >= bytes > 2^(power-1)
    let step = 1usize << (power - 3);
    bytes.div_ceil(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::Harness;

    #[test]
    fn allocation_sizes_follow_jemalloc_classes() {
        let classes: Vec<usize> = [1, 9, 16, 17, 128, 129, 207, 257, 8193].map(allocation_bytes).to_vec();
        assert_eq!(classes, vec![8, 16, 16, 32, 128, 160, 224, 320, 10240]);
    }

    #[test]
    fn list_usage_weighs_quicklist_nodes() {
        // redis-server 7.0.15: `RPUSH m 1 .. 100` then `MEMORY USAGE m` is 352, of which 32 are
        // the key's sds and dict entry (verdis counts 29 for those).
        let mut h = Harness::new();
        let items: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
        h.run(&format!("RPUSH m {}", items.join(" ")));
        assert_eq!(h.run("MEMORY USAGE m"), Frame::Integer(352 - 32 + 29));
        assert_eq!(h.run("MEMORY USAGE m SAMPLES 0"), Frame::Integer(352 - 32 + 29));
    }
}
