//! BITFIELD and BITFIELD_RO: integer fields of 1 to 64 bits (signed) or 1 to 63 bits (unsigned)
//! at any bit offset, read with GET, written with SET and INCRBY, with the OVERFLOW policy in
//! force when each operation was parsed.
//!
//! Every operation is parsed (and every error reported) before the key is touched. Fields are
//! big-endian: the field's first bit is its most significant one.

use super::{bit_at, bit_offset, prepare_bit_write, raw_bytes, reply, word_is};
use crate::cmd::args::int_arg;
use crate::cmd::strings::as_string;
use crate::engine::notify::NOTIFY_STRING;
use crate::engine::Ctx;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

const TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const OVERFLOW_TYPE_ERR: &str = "ERR Invalid OVERFLOW type specified";
const RO_ERR: &str = "ERR BITFIELD_RO only supports the GET subcommand";

/// What INCRBY and SET do when the result does not fit the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    /// Keep the low bits (two's complement wrap-around).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Change nothing and reply nil.
    Fail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    IncrBy,
}

/// One parsed operation.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    arg: i64,
    overflow: Overflow,
}

/// A field type `i<bits>` (1..=64) or `u<bits>` (1..=63). The width is read up to the first NUL,
/// as C's strlen sees the argument.
fn parse_type(arg: &[u8]) -> Result<(bool, u32), Frame> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(Frame::error(TYPE_ERR)),
    };
    let width = super::c_str(&arg[1..]);
    match parse_i64(width) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => Ok((signed, bits as u32)),
        _ => Err(Frame::error(TYPE_ERR)),
    }
}

/// Parses the whole operation list (bitfieldGeneric's first loop).
fn parse_ops(ctx: &Ctx) -> Result<Vec<FieldOp>, Frame> {
    let argv = ctx.argv;
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let word = &argv[j];
        let kind = if word_is(word, "get") && remaining >= 2 {
            Kind::Get
        } else if word_is(word, "set") && remaining >= 3 {
            Kind::Set
        } else if word_is(word, "incrby") && remaining >= 3 {
            Kind::IncrBy
        } else if word_is(word, "overflow") && remaining >= 1 {
            let policy = &argv[j + 1];
            overflow = if word_is(policy, "wrap") {
                Overflow::Wrap
            } else if word_is(policy, "sat") {
                Overflow::Sat
            } else if word_is(policy, "fail") {
                Overflow::Fail
            } else {
                return Err(Frame::error(OVERFLOW_TYPE_ERR));
            };
            j += 2;
            continue;
        } else {
            return Err(Frame::error(crate::engine::errors::SYNTAX));
        };
        let (signed, bits) = parse_type(&argv[j + 1])?;
        let offset = bit_offset(ctx, &argv[j + 2], Some(bits))?;
        let arg = if kind == Kind::Get { 0 } else { int_arg(&argv[j + 3])? };
        ops.push(FieldOp { kind, signed, bits, offset, arg, overflow });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// Reads an unsigned field; bits past the end of the string read as zero.
fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |acc, i| (acc << 1) | bit_at(bytes, offset + i) as u64)
}

/// Reads a signed field: the unsigned bits with the top one extended.
fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let raw = get_unsigned(bytes, offset, bits);
    if bits < 64 && raw & (1 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// Writes the low `bits` bits of `value` (the string already covers the field).
fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let on = value >> (u64::from(bits) - 1 - i) & 1 == 1;
        let at = offset + i;
        let mask = 0x80u8 >> (at & 7);
        let byte = &mut bytes[(at >> 3) as usize];
        if on {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// Redis's checkUnsignedBitfieldOverflow: `value + incr` against an unsigned field. `None` when
/// it fits, else the value the policy gives (unused for FAIL).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, policy: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    // The same 64-bit conversions as Redis's, so the same edge cases overflow.
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let wrapped = value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > max_incr) {
        Some(if policy == Overflow::Sat { max } else { wrapped })
    } else if incr < 0 && incr < min_incr {
        Some(if policy == Overflow::Sat { 0 } else { wrapped })
    } else {
        None
    }
}

/// Redis's checkSignedBitfieldOverflow. Its conditions are kept as they are, including the
/// wrapping subtraction that makes SET of a value far below the minimum saturate to the maximum.
fn signed_overflow(value: i64, incr: i64, bits: u32, policy: Overflow) -> Option<i64> {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let mut wrapped = (value as u64).wrapping_add(incr as u64);
    if bits < 64 {
        let high = u64::MAX << bits;
        wrapped = if wrapped & (1 << (bits - 1)) != 0 { wrapped | high } else { wrapped & !high };
    }
    let wrapped = wrapped as i64;
    let narrow = bits != 64;
    if value > max || (narrow && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        Some(if policy == Overflow::Sat { max } else { wrapped })
    } else if value < min || (narrow && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr) {
        Some(if policy == Overflow::Sat { min } else { wrapped })
    } else {
        None
    }
}

/// Runs one SET or INCRBY on the string: returns the reply (old value for SET, new value for
/// INCRBY, nil on a FAIL overflow) and whether the field's bits changed.
fn write_op(bytes: &mut [u8], op: &FieldOp) -> (Frame, bool) {
    let (old, new, overflowed) = if op.signed {
        let old = get_signed(bytes, op.offset, op.bits);
        let (value, incr) = if op.kind == Kind::IncrBy { (old, op.arg) } else { (op.arg, 0) };
        match signed_overflow(value, incr, op.bits, op.overflow) {
            Some(limited) => (old as u64, limited as u64, true),
            None => (old as u64, value.wrapping_add(incr) as u64, false),
        }
    } else {
        let old = get_unsigned(bytes, op.offset, op.bits);
        let (value, incr) = if op.kind == Kind::IncrBy { (old, op.arg) } else { (op.arg as u64, 0) };
        match unsigned_overflow(value, incr, op.bits, op.overflow) {
            Some(limited) => (old, limited, true),
            None => (old, value.wrapping_add(incr as u64), false),
        }
    };
    if overflowed && op.overflow == Overflow::Fail {
        return (Frame::Null, false);
    }
    set_field(bytes, op.offset, op.bits, new);
    let shown = if op.kind == Kind::Set { old } else { new };
    (Frame::Integer(shown as i64), old != new)
}

/// GET's reply: the field as a signed or unsigned integer.
fn read_op(bytes: &[u8], op: &FieldOp) -> Frame {
    if op.signed {
        Frame::Integer(get_signed(bytes, op.offset, op.bits))
    } else {
        Frame::Integer(get_unsigned(bytes, op.offset, op.bits) as i64)
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset incr]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub fn bitfield(ctx: &mut Ctx) -> Frame {
    reply(bitfield_generic(ctx, false))
}

/// BITFIELD_RO key [GET type offset] ...: only GET is allowed.
pub fn bitfield_ro(ctx: &mut Ctx) -> Frame {
    reply(bitfield_generic(ctx, true))
}

fn bitfield_generic(ctx: &mut Ctx, read_only: bool) -> Result<Frame, Frame> {
    let ops = parse_ops(ctx)?;
    let key = ctx.arg(1);
    let writes = ops.iter().filter(|op| op.kind != Kind::Get);
    let Some(highest) = writes.map(|op| op.offset + u64::from(op.bits) - 1).max() else {
        // Only reads: a missing key reads as zeros.
        let replies = match ctx.lookup_read(key) {
            None => ops.iter().map(|op| read_op(&[], op)).collect(),
            Some(v) => {
                let s = as_string(v)?.as_bytes();
                ops.iter().map(|op| read_op(&s, op)).collect()
            }
        };
        return Ok(Frame::Array(replies));
    };
    if read_only {
        return Err(Frame::error(RO_ERR));
    }
    let grew = prepare_bit_write(ctx, key, highest)?;
    let bytes = raw_bytes(ctx, key)?;
    let mut replies = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for op in &ops {
        if op.kind == Kind::Get {
            replies.push(read_op(bytes, op));
            continue;
        }
        let (frame, changed) = write_op(bytes, op);
        // A FAIL overflow writes nothing and is not counted, even on a new key.
        if !matches!(frame, Frame::Null) && (grew || changed) {
            changes += 1;
        }
        replies.push(frame);
    }
    if changes > 0 {
        ctx.reply_here();
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_STRING, "setbit", key);
        ctx.dirty(changes);
    }
    Ok(Frame::Array(replies))
}
