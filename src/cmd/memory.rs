//! MEMORY USAGE key [SAMPLES count] (Redis's object.c memoryCommand). verdis does not measure its
//! allocations; the reply is an estimate in the spirit of Redis's objectComputeSize (object
//! header, key, dict entry and the value's own bytes), always positive for an existing key.

use crate::cmd::args::{int_arg, is};
use crate::engine::value::{StrValue, Value};
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

fn usage(ctx: &mut Ctx) -> Frame {
    let mut i = 3;
    while i < ctx.argc() {
        if is(ctx.arg(i), "samples") && i + 1 < ctx.argc() {
            match int_arg(ctx.arg(i + 1)) {
                Ok(n) if n < 0 => return Frame::error(errors::SYNTAX),
                Ok(_) => {}
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
            let bytes = value_bytes(&entry.value) + key.len() + SDS_OVERHEAD_BYTES + DICT_ENTRY_BYTES;
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
