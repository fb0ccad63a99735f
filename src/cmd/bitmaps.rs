//! The bitmap commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, and BITFIELD /
//! BITFIELD_RO in `bitmaps/bitfield.rs`.
//!
//! Bitmaps are plain string values: bit 0 is the most significant bit of the first byte. Reads
//! see an integer-encoded string as its decimal digits; writes make the value `raw` (Redis
//! unshares it before editing) and grow it with zero bytes. Offsets are limited so that the
//! string stays below `proto-max-bulk-len` (512 MB by default).

mod bitfield;
#[cfg(test)]
mod tests;

use crate::cmd::args::int_arg;
use crate::cmd::strings::as_string;
use crate::engine::errors;
use crate::engine::notify::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::engine::value::{StrValue, Value};
use crate::engine::{Ctx, Handler};
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "setbit" => setbit,
        "getbit" => getbit,
        "bitcount" => bitcount,
        "bitpos" => bitpos,
        "bitop" => bitop,
        "bitfield" => bitfield::bitfield,
        "bitfield_ro" => bitfield::bitfield_ro,
        _ => return None,
    };
    Some(h)
}

const BIT_OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERR: &str = "ERR bit is not an integer or out of range";
const BITPOS_BIT_ERR: &str = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT_ERR: &str = "ERR BITOP NOT must be called with a single source key.";

/// Turns a handler body's `Result` into its reply.
fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}

/// The bytes before the first NUL: what C's strcasecmp compares.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |end| &arg[..end])
}

/// Case-insensitive match of an option word, with C string semantics.
fn word_is(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// A bit offset argument (getBitOffsetFromArgument). With `hash_bits`, BITFIELD's `#n` form is
/// accepted and means `n * bits` (multiplied with 64-bit wrap-around, as Redis does). The offset
/// must be non-negative and address a byte below `proto-max-bulk-len`.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Frame> {
    let (digits, scale) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits).ok_or_else(|| Frame::error(BIT_OFFSET_ERR))?.wrapping_mul(scale);
    if offset < 0 || (offset as u64 >> 3) >= ctx.engine.config.proto_max_bulk_len {
        return Err(Frame::error(BIT_OFFSET_ERR));
    }
    Ok(offset as u64)
}

/// Looks `key` up for a bit write that reaches bit `max_bit` (lookupStringForBitCommand): a
/// missing key is created as a zeroed `raw` string, an existing string is made `raw` and grown
/// with zero bytes to cover the bit. Returns whether the value was created or grew.
fn prepare_bit_write(ctx: &mut Ctx, key: &[u8], max_bit: u64) -> Result<bool, Frame> {
    let len = (max_bit >> 3) as usize + 1;
    match ctx.lookup_write(key) {
        Some(value) => {
            let bytes = string_mut(value)?.make_raw();
            if bytes.len() >= len {
                return Ok(false);
            }
            grow_zeroed(bytes, len)?;
            Ok(true)
        }
        None => {
            let mut bytes = Vec::new();
            grow_zeroed(&mut bytes, len)?;
            let now_ms = ctx.now_ms;
            ctx.db().set(key.to_vec(), Value::Str(StrValue::Raw(bytes)), now_ms);
            Ok(true)
        }
    }
}

/// Pads `bytes` with zeros up to `len`. Redis aborts when it cannot allocate; an error reply is
/// the gentler stand-in.
fn grow_zeroed(bytes: &mut Vec<u8>, len: usize) -> Result<(), Frame> {
    if bytes.try_reserve_exact(len.saturating_sub(bytes.len())).is_err() {
        return Err(Frame::error(errors::STRING_TOO_LONG));
    }
    bytes.resize(len, 0);
    Ok(())
}

fn string_mut(value: &mut Value) -> Result<&mut StrValue, Frame> {
    crate::cmd::strings::as_string_mut(value)
}

/// The raw bytes of the string under an existing key (after `prepare_bit_write`).
fn raw_bytes<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut Vec<u8>, Frame> {
    match ctx.db().entry_mut(key) {
        Some(entry) => Ok(string_mut(&mut entry.value)?.make_raw()),
        None => Err(Frame::error(errors::NO_SUCH_KEY)),
    }
}

/// The value of bit `offset` (0 past the end).
fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let byte = usize::try_from(offset >> 3).ok().and_then(|i| bytes.get(i)).copied().unwrap_or(0);
    byte & (0x80 >> (offset & 7)) != 0
}

/// SETBIT key offset 0|1: replies the bit's previous value. The key counts as changed when it
/// was created, grew, or the bit flipped.
pub fn setbit(ctx: &mut Ctx) -> Frame {
    reply(setbit_inner(ctx))
}

fn setbit_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let key = ctx.arg(1);
    let offset = bit_offset(ctx, ctx.arg(2), None)?;
    let on = parse_i64(ctx.arg(3)).ok_or_else(|| Frame::error(BIT_VALUE_ERR))?;
    if on & !1 != 0 {
        return Err(Frame::error(BIT_VALUE_ERR));
    }
    let grew = prepare_bit_write(ctx, key, offset)?;
    let bytes = raw_bytes(ctx, key)?;
    let (byte, mask) = ((offset >> 3) as usize, 0x80u8 >> (offset & 7));
    let old = bytes[byte] & mask != 0;
    if grew || old != (on == 1) {
        if on == 1 {
            bytes[byte] |= mask;
        } else {
            bytes[byte] &= !mask;
        }
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_STRING, "setbit", key);
        ctx.dirty(1);
    }
    Ok(Frame::Integer(old as i64))
}

/// GETBIT key offset: 0 for a missing key or an offset past the end.
pub fn getbit(ctx: &mut Ctx) -> Frame {
    reply(getbit_inner(ctx))
}

fn getbit_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let offset = bit_offset(ctx, ctx.arg(2), None)?;
    let bit = match ctx.lookup_read(ctx.arg(1)) {
        None => false,
        Some(v) => bit_at(&as_string(v)?.as_bytes(), offset),
    };
    Ok(Frame::Integer(bit as i64))
}

/// A BITCOUNT/BITPOS range in bits, inclusive, within the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BitRange {
    first: u64,
    last: u64,
}

/// Resolves `start`/`end` (bytes, or bits when `in_bits`) against a string of `len` bytes as
/// Redis does: negative values count from the end, both are clamped to the string. `None` when
/// the range is empty.
fn resolve_range(len: u64, start: i64, end: i64, in_bits: bool) -> Option<BitRange> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits { BitRange { first: start, last: end } } else { BitRange { first: start * 8, last: end * 8 + 7 } })
}

/// Whether the unit argument says bits (`BIT`) or bytes (`BYTE`); anything else is a syntax
/// error.
fn unit_is_bit(arg: &[u8]) -> Result<bool, Frame> {
    if word_is(arg, "bit") {
        Ok(true)
    } else if word_is(arg, "byte") {
        Ok(false)
    } else {
        Err(Frame::error(errors::SYNTAX))
    }
}

/// The number of set bits in a bit range.
fn count_bits(bytes: &[u8], range: BitRange) -> i64 {
    let (first_byte, last_byte) = ((range.first >> 3) as usize, (range.last >> 3) as usize);
    let mut count: i64 = bytes[first_byte..=last_byte].iter().map(|b| b.count_ones() as i64).sum();
    // Take back the bits of the edge bytes that lie outside the range.
    let head_mask = !(0xffu8 >> (range.first & 7));
    let tail_mask = (0xffu16 >> ((range.last & 7) + 1)) as u8;
    count -= (bytes[first_byte] & head_mask).count_ones() as i64;
    count -= (bytes[last_byte] & tail_mask).count_ones() as i64;
    count
}

/// BITCOUNT key [start end [BYTE|BIT]]: the number of set bits. A missing key replies 0 before
/// the arguments are looked at.
pub fn bitcount(ctx: &mut Ctx) -> Frame {
    reply(bitcount_inner(ctx))
}

fn bitcount_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let Some(value) = ctx.lookup_read(&argv[1]) else {
        return Ok(Frame::Integer(0));
    };
    let s = as_string(value)?.as_bytes();
    let len = s.len() as u64;
    let range = match argv.len() {
        2 => resolve_range(len, 0, -1, false),
        4 | 5 => {
            let start = int_arg(&argv[2])?;
            let end = int_arg(&argv[3])?;
            if start < 0 && end < 0 && start > end {
                return Ok(Frame::Integer(0));
            }
            let in_bits = match argv.get(4) {
                Some(unit) => unit_is_bit(unit)?,
                None => false,
            };
            resolve_range(len, start, end, in_bits)
        }
        _ => return Err(Frame::error(errors::SYNTAX)),
    };
    Ok(Frame::Integer(range.map_or(0, |r| count_bits(&s, r))))
}

/// BITPOS key bit [start [end [BYTE|BIT]]]: the position of the first bit equal to `bit`, or -1.
/// A missing key is an endless run of zeros (0 for bit 0, -1 for bit 1). Searching for 0 without
/// an explicit end treats the bits after the string as zeros.
pub fn bitpos(ctx: &mut Ctx) -> Frame {
    reply(bitpos_inner(ctx))
}

fn bitpos_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let bit = int_arg(&argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(Frame::error(BITPOS_BIT_ERR));
    }
    let want = bit == 1;
    let Some(value) = ctx.lookup_read(&argv[1]) else {
        return Ok(Frame::Integer(if want { -1 } else { 0 }));
    };
    let s = as_string(value)?.as_bytes();
    let len = s.len() as u64;
    let (range, end_given) = match argv.len() {
        3 => (resolve_range(len, 0, -1, false), false),
        4..=6 => {
            let start = int_arg(&argv[3])?;
            let in_bits = match argv.get(5) {
                Some(unit) => unit_is_bit(unit)?,
                None => false,
            };
            match argv.get(4) {
                Some(end) => (resolve_range(len, start, int_arg(end)?, in_bits), true),
                None => (resolve_range(len, start, -1, false), false),
            }
        }
        _ => return Err(Frame::error(errors::SYNTAX)),
    };
    let Some(range) = range else {
        return Ok(Frame::Integer(-1));
    };
    let found = first_bit(&s, range, want);
    let pos = match found {
        Some(i) => i as i64,
        // No clear bit inside: without an explicit end the string continues with zeros.
        None if !want && !end_given => range.last as i64 + 1,
        None => -1,
    };
    Ok(Frame::Integer(pos))
}

/// The first bit equal to `want` in a range. Whole bytes that cannot hold it (all zeros when
/// looking for a one, all ones when looking for a zero) are skipped without looking at bits.
fn first_bit(bytes: &[u8], range: BitRange, want: bool) -> Option<u64> {
    let skip = if want { 0x00 } else { 0xff };
    let mut i = range.first;
    while i <= range.last {
        let aligned = i & 7 == 0 && i + 7 <= range.last;
        if aligned && bytes[(i >> 3) as usize] == skip {
            i += 8;
            continue;
        }
        if bit_at(bytes, i) == want {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// BITOP's operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn parse_bitop(arg: &[u8]) -> Option<BitOp> {
    [("and", BitOp::And), ("or", BitOp::Or), ("xor", BitOp::Xor), ("not", BitOp::Not)]
        .into_iter()
        .find(|(name, _)| word_is(arg, name))
        .map(|(_, op)| op)
}

/// Combines the sources byte by byte; shorter sources count as zero-padded.
fn combine(op: BitOp, sources: &[Vec<u8>], len: usize) -> Vec<u8> {
    let byte = |src: &Vec<u8>, j: usize| src.get(j).copied().unwrap_or(0);
    (0..len)
        .map(|j| {
            let first = byte(&sources[0], j);
            let rest = sources[1..].iter().map(|s| byte(s, j));
            match op {
                BitOp::And => rest.fold(first, |acc, b| acc & b),
                BitOp::Or => rest.fold(first, |acc, b| acc | b),
                BitOp::Xor => rest.fold(first, |acc, b| acc ^ b),
                BitOp::Not => !first,
            }
        })
        .collect()
}

/// BITOP AND|OR|XOR|NOT destkey key...: stores the result (as a `raw` string without TTL) and
/// replies its length, the longest source's. When every source is empty or missing the
/// destination is deleted instead.
pub fn bitop(ctx: &mut Ctx) -> Frame {
    reply(bitop_inner(ctx))
}

fn bitop_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let op = parse_bitop(&argv[1]).ok_or_else(|| Frame::error(errors::SYNTAX))?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(Frame::error(BITOP_NOT_ERR));
    }
    let mut sources = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match ctx.lookup_read(key) {
            None => sources.push(Vec::new()),
            Some(v) => sources.push(as_string(v)?.as_bytes().into_owned()),
        }
    }
    let len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let dest = &argv[2];
    if len > 0 {
        let result = combine(op, &sources, len);
        // setKey looks the destination up for writing first, which expires it if due.
        ctx.lookup_write(dest);
        let now_ms = ctx.now_ms;
        if let Some(old) = ctx.db().set(dest.to_vec(), Value::Str(StrValue::Raw(result)), now_ms) {
            ctx.engine.free_overwritten(old.value);
        }
        ctx.signal_modified(dest);
        ctx.notify(NOTIFY_STRING, "set", dest);
        ctx.dirty(1);
    } else if ctx.delete_key(dest, ctx.engine.config.lazyfree_lazy_server_del()) {
        ctx.signal_modified(dest);
        ctx.notify(NOTIFY_GENERIC, "del", dest);
        ctx.dirty(1);
    }
    Ok(Frame::Integer(len as i64))
}
