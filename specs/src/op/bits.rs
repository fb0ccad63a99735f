//! Generated arguments for the bitmap and HyperLogLog operations.
//!
//! Offsets stay small (writes grow the string up to the offset) apart from a
//! few invalid ones; field types, values and overflow policies are chosen so
//! that every overflow case is common. HyperLogLog samples include corrupted
//! strings and every error the header checks give.

use super::{pick, Key, KeyList};
use arbitrary::{Arbitrary, Unstructured};

/// A SETBIT/GETBIT offset.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitOffset(pub u8);

const BIT_OFFSET_TABLE: &[&str] =
    &["0", "1", "2", "7", "8", "9", "15", "16", "23", "31", "63", "100", "-1", "x", "4294967296", "01", "#1"];

/// A SETBIT value or BITPOS bit.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitArg(pub u8);

const BIT_ARG_TABLE: &[&str] = &["0", "1", "0", "1", "2", "-1", "x"];

/// A BITCOUNT/BITPOS range bound.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeArg(pub u8);

const RANGE_TABLE: &[&str] =
    &["0", "1", "2", "3", "5", "7", "8", "9", "15", "-1", "-2", "-8", "-9", "-100", "100", "x"];

/// BYTE, BIT or an invalid unit.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitUnit {
    Byte,
    Bit,
    BitLower,
    Bad,
}

impl BitUnit {
    fn text(self) -> &'static str {
        match self {
            BitUnit::Byte => "BYTE",
            BitUnit::Bit => "BIT",
            BitUnit::BitLower => "bit",
            BitUnit::Bad => "bits",
        }
    }
}

/// BITPOS's end bound and optional unit.
pub type BitPosEnd = (RangeArg, Option<BitUnit>);

/// BITOP's operation.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOpKind {
    And,
    Or,
    Xor,
    Not,
    Bad,
}

/// A BITFIELD type.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldType(pub u8);

const FIELD_TYPE_TABLE: &[&str] =
    &["u8", "i8", "u1", "i1", "u4", "i5", "i16", "u16", "i32", "u31", "i63", "u63", "i64", "u64", "x8", "i0"];

/// A BITFIELD offset (plain or `#n`).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldOffset(pub u8);

const FIELD_OFFSET_TABLE: &[&str] =
    &["0", "1", "3", "7", "8", "13", "#0", "#1", "#2", "#3", "-1", "x", "100", "#288230376151711744", "#-1"];

/// A BITFIELD SET value or INCRBY increment.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldValue(pub u8);

const FIELD_VALUE_TABLE: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "100",
    "127",
    "128",
    "-128",
    "-129",
    "255",
    "256",
    "1000",
    "-1000",
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775681",
    "x",
];

/// OVERFLOW's argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverflowKind {
    Wrap,
    Sat,
    Fail,
    Bad,
}

/// One BITFIELD subcommand.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldSub {
    Get(FieldType, FieldOffset),
    Set(FieldType, FieldOffset, FieldValue),
    IncrBy(FieldType, FieldOffset, FieldValue),
    Overflow(OverflowKind),
}

/// 0 to 4 BITFIELD subcommands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSubs(pub Vec<FieldSub>);

impl<'a> Arbitrary<'a> for FieldSubs {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(0..=4)?;
        (0..n).map(|_| FieldSub::arbitrary(u)).collect::<Result<_, _>>().map(FieldSubs)
    }
}

/// A PFADD element.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element(pub u8);

/// The last element hashes to a run of 33 (register 3655): above what the
/// sparse encoding holds, so adding it makes a HyperLogLog dense.
const ELEMENT_TABLE: &[&[u8]] =
    &[b"a", b"b", b"c", b"", b"foo", b"bar", b"x1", b"x2", b"1", b"hello", b"a\0b", b"zz", b"\xba\x09\x9d\xba\0\0\0\0"];

/// 0 to 4 PFADD elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elements(pub Vec<Element>);

impl<'a> Arbitrary<'a> for Elements {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(0..=4)?;
        (0..n).map(|_| Element::arbitrary(u)).collect::<Result<_, _>>().map(Elements)
    }
}

/// How many generated elements a bulk PFADD adds: enough to fill the sparse
/// encoding and turn dense at the largest size.
const BULK_SIZES: &[usize] = &[20, 150, 600, 1500];

/// A PFDEBUG subcommand.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PfDebugSub {
    GetReg,
    Decode,
    Encoding,
    ToDense,
    Bad,
}

/// A hand-made string stored with SET next to HyperLogLogs: valid sparse and
/// dense ones, corrupted ones, and strings that fail the header checks.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct HllSample(pub u8);

const HEADER_SPARSE: &[u8] = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";

fn hll_sample(i: u8) -> Vec<u8> {
    let sparse = |body: &[u8]| [HEADER_SPARSE, body].concat();
    match i % 12 {
        // Valid: empty, a few values, a stale cache with a run split in two.
        0 => sparse(b"\x7f\xff"),
        1 => sparse(b"\x80\x84\x88\x8c\x7f\xfb"),
        2 => sparse(b"\x3f\x84\x84\x7f\xbd"),
        // Corrupted: too few registers, too many, a value run past the end,
        // nothing after the header.
        3 => sparse(b"\x7f\x00"),
        4 => sparse(b"\x7f\xff\x00"),
        5 => sparse(b"\x7f\xff\x84"),
        6 => HEADER_SPARSE.to_vec(),
        // A valid one with a cached cardinality of 5.
        7 => [&b"HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00"[..], b"\x7f\xff"].concat(),
        // Not HyperLogLogs: bad magic, bad encoding, dense of the wrong size.
        8 => [&b"HYLX"[..], &HEADER_SPARSE[4..], b"\x7f\xff"].concat(),
        9 => [&b"HYLL\x02"[..], &HEADER_SPARSE[5..], b"\x7f\xff"].concat(),
        10 => [&b"HYLL\x00"[..], &HEADER_SPARSE[5..], b"\x7f\xff"].concat(),
        // Dense, with a few registers set (one at 40, above the sparse limit).
        _ => {
            let mut dense = [&b"HYLL\x00"[..], &HEADER_SPARSE[5..]].concat();
            dense.resize(16 + 12288, 0);
            dense[16] = 0x03;
            dense[20] = 0xa0;
            dense[16 + 12287] = 0x28 << 2;
            dense
        }
    }
}

/// The argv pieces of the bit and HyperLogLog operations.
pub(super) fn offset_text(o: BitOffset) -> &'static str {
    pick(BIT_OFFSET_TABLE, o.0)
}

pub(super) fn bit_arg_text(b: BitArg) -> &'static str {
    pick(BIT_ARG_TABLE, b.0)
}

pub(super) fn range_text(r: RangeArg) -> &'static str {
    pick(RANGE_TABLE, r.0)
}

pub(super) fn unit_text(u: BitUnit) -> &'static str {
    u.text()
}

pub(super) fn bitop_argv(kind: BitOpKind, dest: Key, sources: &KeyList) -> Vec<Vec<u8>> {
    let op = match kind {
        BitOpKind::And => "AND",
        BitOpKind::Or => "or",
        BitOpKind::Xor => "XOR",
        BitOpKind::Not => "NOT",
        BitOpKind::Bad => "NAND",
    };
    let mut argv = vec![b"BITOP".to_vec(), op.as_bytes().to_vec(), dest.bytes()];
    argv.extend(sources.0.iter().map(|k| k.bytes()));
    argv
}

pub(super) fn bitfield_argv(key: Key, subs: &FieldSubs, read_only: bool) -> Vec<Vec<u8>> {
    let name: &[u8] = if read_only { b"BITFIELD_RO" } else { b"BITFIELD" };
    let mut argv = vec![name.to_vec(), key.bytes()];
    let mut push = |s: &str| argv.push(s.as_bytes().to_vec());
    for sub in &subs.0 {
        match *sub {
            FieldSub::Get(t, o) => {
                push("GET");
                push(pick(FIELD_TYPE_TABLE, t.0));
                push(pick(FIELD_OFFSET_TABLE, o.0));
            }
            FieldSub::Set(t, o, v) | FieldSub::IncrBy(t, o, v) => {
                push(if matches!(sub, FieldSub::Set(..)) { "SET" } else { "INCRBY" });
                push(pick(FIELD_TYPE_TABLE, t.0));
                push(pick(FIELD_OFFSET_TABLE, o.0));
                push(pick(FIELD_VALUE_TABLE, v.0));
            }
            FieldSub::Overflow(k) => {
                push("OVERFLOW");
                push(match k {
                    OverflowKind::Wrap => "WRAP",
                    OverflowKind::Sat => "sat",
                    OverflowKind::Fail => "FAIL",
                    OverflowKind::Bad => "SATURATE",
                });
            }
        }
    }
    argv
}

pub(super) fn pfadd_argv(key: Key, elements: &Elements) -> Vec<Vec<u8>> {
    let mut argv = vec![b"PFADD".to_vec(), key.bytes()];
    argv.extend(elements.0.iter().map(|e| pick(ELEMENT_TABLE, e.0).to_vec()));
    argv
}

pub(super) fn pfadd_bulk_argv(key: Key, seed: u8, size: u8) -> Vec<Vec<u8>> {
    let n = pick(BULK_SIZES, size);
    let mut argv = vec![b"PFADD".to_vec(), key.bytes()];
    argv.extend((0..n).map(|i| format!("{seed}:{i}").into_bytes()));
    argv
}

pub(super) fn pfdebug_argv(sub: PfDebugSub, key: Key) -> Vec<Vec<u8>> {
    let sub = match sub {
        PfDebugSub::GetReg => "GETREG",
        PfDebugSub::Decode => "decode",
        PfDebugSub::Encoding => "ENCODING",
        PfDebugSub::ToDense => "TODENSE",
        PfDebugSub::Bad => "REGS",
    };
    vec![b"PFDEBUG".to_vec(), sub.as_bytes().to_vec(), key.bytes()]
}

pub(super) fn set_hll_argv(key: Key, sample: HllSample) -> Vec<Vec<u8>> {
    vec![b"SET".to_vec(), key.bytes(), hll_sample(sample.0)]
}

/// Malformed calls of these commands.
pub(super) const MALFORMED: &[&[&str]] = &[
    &["setbit", "a", "1"],
    &["getbit", "a"],
    &["bitcount", "a", "0"],
    &["bitcount", "a", "0", "1", "bit", "x"],
    &["bitpos", "a"],
    &["bitpos", "a", "1", "0", "1", "bit", "x"],
    &["bitop", "and", "d"],
    &["bitop", "not", "d", "a", "b"],
    &["bitfield_ro", "a", "incrby", "u8", "0", "1"],
    &["bitfield", "a", "get", "u8"],
    &["pfdebug", "getreg"],
    &["pfdebug", "getreg", "a", "b"],
    &["pfselftest", "x"],
    &["pfadd"],
    &["pfcount"],
];
