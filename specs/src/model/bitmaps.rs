//! Bitmap commands (Redis: bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP, BITFIELD, BITFIELD_RO.
//!
//! A bitmap is a string read as a sequence of bits, most significant bit of
//! the first byte first. Everything here works bit by bit on plain byte
//! vectors; field arithmetic is done in i128 so that overflow is decided on
//! exact results.

use super::dispatch::Call;
use super::notify::{GENERIC, STRING};
use super::{Model, PROTO_MAX_BULK_LEN};
use crate::num::{c_str, int_arg, opt_is, parse_i64};
use crate::reply::Reply;

const OFFSET_ERR: &str = "bit offset is not an integer or out of range";
const TYPE_ERR: &str = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// The string under a live key; WRONGTYPE for another type.
pub(super) fn read_string(m: &mut Model, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Vec<u8>>, Reply> {
    m.get_str(db, key, now_ms)
}

/// Bit `i` of `bytes` (bits past the end are 0).
fn bit(bytes: &[u8], i: u64) -> bool {
    let byte = usize::try_from(i / 8).ok().and_then(|b| bytes.get(b)).copied().unwrap_or(0);
    (byte >> (7 - i % 8)) & 1 == 1
}

fn put_bit(bytes: &mut Vec<u8>, i: u64, on: bool) {
    let byte = (i / 8) as usize;
    if bytes.len() <= byte {
        bytes.resize(byte + 1, 0);
    }
    let mask = 1u8 << (7 - i % 8);
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
}

/// A bit offset: a non-negative integer whose byte is below the 512 MB limit.
/// BITFIELD also takes `#n`, meaning n times the field width, multiplied in
/// wrapping 64-bit arithmetic (so a huge n can wrap to a small offset).
fn parse_offset(arg: &[u8], width: Option<u32>) -> Result<u64, Reply> {
    let (digits, times) = match (arg.first(), width) {
        (Some(b'#'), Some(w)) => (&arg[1..], i64::from(w)),
        _ => (arg, 1),
    };
    let n = parse_i64(digits).ok_or_else(|| Reply::err(OFFSET_ERR))?.wrapping_mul(times);
    if n < 0 || (n as u64) / 8 >= PROTO_MAX_BULK_LEN {
        return Err(Reply::err(OFFSET_ERR));
    }
    Ok(n as u64)
}

/// The model's write: the key keeps its TTL; a new key has none.
fn store(m: &mut Model, call: &Call, bytes: Vec<u8>) {
    m.overwrite_str(call.db, call.arg(1), bytes);
}

pub(super) fn setbit(m: &mut Model, call: &Call) -> Reply {
    let offset = match parse_offset(call.arg(2), None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let on = match parse_i64(call.arg(3)) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return Reply::err("bit is not an integer or out of range"),
    };
    let (mut bytes, existed) = match read_string(m, call.db, call.arg(1), call.now_ms) {
        Ok(v) => (v.clone().unwrap_or_default(), v.is_some()),
        Err(e) => return e,
    };
    let before = bytes.len();
    let old = bit(&bytes, offset);
    put_bit(&mut bytes, offset, on);
    // Redis changes (and signals) the key only when it is created, grows, or the bit flips.
    if !existed || bytes.len() != before || old != on {
        store(m, call, bytes);
        m.notify_call(call, STRING, "setbit", call.arg(1));
    }
    Reply::Int(i64::from(old))
}

pub(super) fn getbit(m: &mut Model, call: &Call) -> Reply {
    let offset = match parse_offset(call.arg(2), None) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match read_string(m, call.db, call.arg(1), call.now_ms) {
        Ok(v) => Reply::Int(i64::from(bit(&v.unwrap_or_default(), offset))),
        Err(e) => e,
    }
}

/// BYTE or BIT (any case, C-string comparison); anything else is a syntax error.
fn parse_unit(arg: &[u8]) -> Result<bool, Reply> {
    if opt_is(arg, "bit") {
        Ok(true)
    } else if opt_is(arg, "byte") {
        Ok(false)
    } else {
        Err(Reply::err("syntax error"))
    }
}

/// The inclusive bit interval selected by `start`/`end` in a string of `len`
/// bytes: negative values count from the end; start is clamped up to 0, end
/// to the last unit. None when nothing is selected.
fn bit_interval(len: usize, start: i64, end: i64, in_bits: bool) -> Option<(u64, u64)> {
    let units = if in_bits { len as i128 * 8 } else { len as i128 };
    let resolve = |i: i64| if i < 0 { (units + i128::from(i)).max(0) } else { i128::from(i) };
    let first = resolve(start);
    let last = resolve(end).min(units - 1);
    if first > last {
        return None;
    }
    if in_bits {
        Some((first as u64, last as u64))
    } else {
        Some((first as u64 * 8, last as u64 * 8 + 7))
    }
}

pub(super) fn bitcount(m: &mut Model, call: &Call) -> Reply {
    let bytes = match read_string(m, call.db, call.arg(1), call.now_ms) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let interval = match call.argv.len() {
        2 => bit_interval(bytes.len(), 0, -1, false),
        4 | 5 => {
            let (start, end) = match (int_arg(call.arg(2)), int_arg(call.arg(3))) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            if start < 0 && end < 0 && start > end {
                return Reply::Int(0);
            }
            let in_bits = match call.argv.get(4).map(|u| parse_unit(u)) {
                Some(Err(e)) => return e,
                Some(Ok(b)) => b,
                None => false,
            };
            bit_interval(bytes.len(), start, end, in_bits)
        }
        _ => return Reply::err("syntax error"),
    };
    let count = interval.map_or(0, |(first, last)| (first..=last).filter(|&i| bit(&bytes, i)).count());
    Reply::Int(count as i64)
}

pub(super) fn bitpos(m: &mut Model, call: &Call) -> Reply {
    let want = match int_arg(call.arg(2)) {
        Ok(0) => false,
        Ok(1) => true,
        Ok(_) => return Reply::err("The bit argument must be 1 or 0."),
        Err(e) => return e,
    };
    let bytes = match read_string(m, call.db, call.arg(1), call.now_ms) {
        Ok(Some(v)) => v,
        // A missing key is an endless run of zeros.
        Ok(None) => return Reply::Int(if want { -1 } else { 0 }),
        Err(e) => return e,
    };
    let argc = call.argv.len();
    if argc > 6 {
        return Reply::err("syntax error");
    }
    let start = if argc >= 4 {
        match int_arg(call.arg(3)) {
            Ok(s) => s,
            Err(e) => return e,
        }
    } else {
        0
    };
    // The unit is read before the end.
    let in_bits = if argc == 6 {
        match parse_unit(call.arg(5)) {
            Ok(b) => b,
            Err(e) => return e,
        }
    } else {
        false
    };
    let end = if argc >= 5 {
        match int_arg(call.arg(4)) {
            Ok(e) => Some(e),
            Err(e) => return e,
        }
    } else {
        None
    };
    let Some((first, last)) = bit_interval(bytes.len(), start, end.unwrap_or(-1), in_bits) else {
        return Reply::Int(-1);
    };
    match (first..=last).find(|&i| bit(&bytes, i) == want) {
        Some(i) => Reply::Int(i as i64),
        // Looking for a zero with no explicit end: the string is followed by zeros.
        None if !want && end.is_none() => Reply::Int(last as i64 + 1),
        None => Reply::Int(-1),
    }
}

pub(super) fn bitop(m: &mut Model, call: &Call) -> Reply {
    let op = c_str(call.arg(1)).to_ascii_lowercase();
    if !matches!(op.as_slice(), b"and" | b"or" | b"xor" | b"not") {
        return Reply::err("syntax error");
    }
    if op == b"not" && call.argv.len() != 4 {
        return Reply::err("BITOP NOT must be called with a single source key.");
    }
    let mut sources = Vec::new();
    for key in &call.argv[3..] {
        match read_string(m, call.db, key, call.now_ms) {
            Ok(v) => sources.push(v.unwrap_or_default()),
            Err(e) => return e,
        }
    }
    let len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let dest = call.arg(2);
    if len == 0 {
        // Nothing to store: the destination is removed (dead or alive).
        if m.dbs[call.db].remove(dest).is_some() {
            m.notify_call(call, GENERIC, "del", dest);
        }
        return Reply::Int(0);
    }
    let byte_of = |s: &Vec<u8>, j: usize| s.get(j).copied().unwrap_or(0);
    let result: Vec<u8> = (0..len)
        .map(|j| {
            let mut acc = byte_of(&sources[0], j);
            for s in &sources[1..] {
                let b = byte_of(s, j);
                match op.as_slice() {
                    b"and" => acc &= b,
                    b"or" => acc |= b,
                    _ => acc ^= b,
                }
            }
            if op == b"not" {
                !acc
            } else {
                acc
            }
        })
        .collect();
    m.set_str(call.db, dest, result, false);
    m.notify_call(call, STRING, "set", dest);
    Reply::Int(len as i64)
}

/// A parsed BITFIELD operation.
struct FieldOp {
    /// 0 GET, 1 SET, 2 INCRBY.
    kind: u8,
    signed: bool,
    width: u32,
    offset: u64,
    value: i64,
    /// 0 WRAP, 1 SAT, 2 FAIL.
    overflow: u8,
}

fn parse_width(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let (signed, limit) = match arg.first() {
        Some(b'i') => (true, 64),
        Some(b'u') => (false, 63),
        _ => return Err(Reply::err(TYPE_ERR)),
    };
    match parse_i64(c_str(&arg[1..])) {
        Some(w) if (1..=limit).contains(&w) => Ok((signed, w as u32)),
        _ => Err(Reply::err(TYPE_ERR)),
    }
}

fn parse_field_ops(call: &Call) -> Result<Vec<FieldOp>, Reply> {
    let args = &call.argv[2..];
    let mut ops = Vec::new();
    let mut overflow = 0;
    let mut i = 0;
    while i < args.len() {
        let left = args.len() - i - 1;
        let word = &args[i];
        let kind = if opt_is(word, "get") && left >= 2 {
            0
        } else if opt_is(word, "set") && left >= 3 {
            1
        } else if opt_is(word, "incrby") && left >= 3 {
            2
        } else if opt_is(word, "overflow") && left >= 1 {
            overflow = match ["wrap", "sat", "fail"].iter().position(|p| opt_is(&args[i + 1], p)) {
                Some(p) => p as u8,
                None => return Err(Reply::err("Invalid OVERFLOW type specified")),
            };
            i += 2;
            continue;
        } else {
            return Err(Reply::err("syntax error"));
        };
        let (signed, width) = parse_width(&args[i + 1])?;
        let offset = parse_offset(&args[i + 2], Some(width))?;
        let value = if kind == 0 { 0 } else { int_arg(&args[i + 3])? };
        ops.push(FieldOp { kind, signed, width, offset, value, overflow });
        i += if kind == 0 { 3 } else { 4 };
    }
    Ok(ops)
}

fn read_field(bytes: &[u8], op: &FieldOp) -> i128 {
    let mut v: i128 = 0;
    for i in 0..u64::from(op.width) {
        v = v * 2 + i128::from(bit(bytes, op.offset + i));
    }
    if op.signed && v >= 1i128 << (op.width - 1) {
        v -= 1i128 << op.width;
    }
    v
}

fn write_field(bytes: &mut Vec<u8>, op: &FieldOp, v: i128) {
    let pattern = v.rem_euclid(1i128 << op.width);
    for i in 0..u64::from(op.width) {
        let on = (pattern >> (u64::from(op.width) - 1 - i)) & 1 == 1;
        put_bit(bytes, op.offset + i, on);
    }
}

/// The value a SET or INCRBY stores, or None for FAIL on overflow.
fn field_result(op: &FieldOp, old: i128) -> Option<i128> {
    let size = 1i128 << op.width;
    let (min, max) = if op.signed { (-(size / 2), size / 2 - 1) } else { (0, size - 1) };
    // An unsigned SET takes the value's 64-bit two's complement pattern.
    let target = match (op.kind, op.signed) {
        (2, _) => old + i128::from(op.value),
        (_, true) => i128::from(op.value),
        (_, false) => i128::from(op.value as u64),
    };
    if (min..=max).contains(&target) {
        return Some(target);
    }
    let mut above = target > max;
    // Redis decides the direction with a subtraction that wraps in 64 bits: a
    // signed SET far below the minimum is taken as an overflow upwards.
    if op.kind == 1 && op.signed && op.width < 64 && target < max - i128::from(i64::MAX) {
        above = true;
    }
    match op.overflow {
        0 => Some((target - min).rem_euclid(size) + min),
        1 => Some(if above { max } else { min }),
        _ => None,
    }
}

pub(super) fn bitfield(m: &mut Model, call: &Call) -> Reply {
    bitfield_generic(m, call, false)
}

pub(super) fn bitfield_ro(m: &mut Model, call: &Call) -> Reply {
    bitfield_generic(m, call, true)
}

fn bitfield_generic(m: &mut Model, call: &Call, read_only: bool) -> Reply {
    let ops = match parse_field_ops(call) {
        Ok(ops) => ops,
        Err(e) => return e,
    };
    let writes = ops.iter().any(|op| op.kind != 0);
    if writes && read_only {
        return Reply::err("BITFIELD_RO only supports the GET subcommand");
    }
    let (mut bytes, existed) = match read_string(m, call.db, call.arg(1), call.now_ms) {
        Ok(v) => (v.clone().unwrap_or_default(), v.is_some()),
        Err(e) => return e,
    };
    // Redis counts a write as a change when it changes the field or the string had to be
    // created or lengthened for the writes.
    let needed = ops.iter().filter(|op| op.kind != 0).map(|op| (op.offset + u64::from(op.width)).div_ceil(8)).max();
    let grew = writes && (!existed || (bytes.len() as u64) < needed.unwrap_or(0));
    let mut changes = 0;
    let mut replies = Vec::new();
    for op in &ops {
        let old = read_field(&bytes, op);
        if op.kind == 0 {
            replies.push(Reply::Int(old as i64));
            continue;
        }
        match field_result(op, old) {
            None => replies.push(Reply::Nil),
            Some(new) => {
                let before = bytes.clone();
                write_field(&mut bytes, op, new);
                if grew || bytes != before {
                    changes += 1;
                }
                replies.push(Reply::Int(if op.kind == 1 { old as i64 } else { new as i64 }));
            }
        }
    }
    if changes > 0 {
        // Redis writes BITFIELD's reply before the event.
        m.reply_here();
        m.notify_call(call, STRING, "setbit", call.arg(1));
    }
    if writes {
        // Writing makes the string reach the farthest written bit, whether
        // or not a write happened (FAIL), and creates a missing key.
        let end = ops.iter().filter(|op| op.kind != 0).map(|op| (op.offset + u64::from(op.width)).div_ceil(8)).max();
        let needed = end.unwrap_or(0) as usize;
        if bytes.len() < needed {
            bytes.resize(needed, 0);
        }
        store(m, call, bytes);
    }
    Reply::Array(replies)
}
