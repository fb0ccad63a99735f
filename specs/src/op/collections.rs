//! Argument alphabets of the collection families: lists (with blocking timeouts), sets, hashes
//! and SORT.

use super::*;

/// A list element: few values, so LREM/LPOS/LINSERT find them.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elem(pub u8);

pub(super) const ELEM_TABLE: &[&str] = &["a", "b", "c", "a", "1", "2", "", "x"];

impl Elem {
    /// The element's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(ELEM_TABLE, self.0).as_bytes().to_vec()
    }
}

/// 1 to 4 list elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemList(pub Vec<Elem>);

impl<'a> Arbitrary<'a> for ElemList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| Elem::arbitrary(u)).collect::<Result<_, _>>().map(ElemList)
    }
}

/// A list index or range bound.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListIndex(pub u8);

pub(super) const LIST_INDEX_TABLE: &[&str] = &["0", "1", "2", "-1", "-2", "5", "-10", "x", "0", "-1"];

/// A count argument (LPOP/LMPOP COUNT, LREM, LPOS COUNT/MAXLEN/RANK).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListCount(pub u8);

pub(super) const LIST_COUNT_TABLE: &[&str] = &["0", "1", "2", "3", "-1", "-2", "x", "1", "2"];

/// LEFT or RIGHT (sometimes misspelt).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side(pub u8);

pub(super) const SIDE_TABLE: &[&str] = &["LEFT", "RIGHT", "left", "right", "LEFT", "RIGHT", "up"];

/// A blocking timeout in seconds: mostly short, sometimes forever or invalid.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockTimeout(pub u8);

pub(super) const BLOCK_TIMEOUT_TABLE: &[&str] = &["0.001", "0.01", "0.1", "1", "0.5", "2", "0.001", "0", "-1", "x"];

/// LPOS's options.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LposOpts {
    pub rank: Option<ListCount>,
    pub count: Option<ListCount>,
    pub maxlen: Option<ListCount>,
}

/// A set member: integers (an intset holds them), then strings and
/// non-canonical integers (which make the set a hash table).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member(pub u8);

pub(super) const MEMBER_TABLE: &[&str] = &[
    "1",
    "2",
    "3",
    "10",
    "-1",
    "0",
    "a",
    "b",
    "c",
    "abc",
    "",
    "01",
    "-0",
    "+1",
    "9223372036854775807",
    "9223372036854775808",
];

impl Member {
    /// The member's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(MEMBER_TABLE, self.0).as_bytes().to_vec()
    }
}

/// 1 to 4 members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberList(pub Vec<Member>);

impl<'a> Arbitrary<'a> for MemberList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| Member::arbitrary(u)).collect::<Result<_, _>>().map(MemberList)
    }
}

/// SPOP's count.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PopCount(pub u8);

pub(super) const POP_COUNT_TABLE: &[&str] = &["0", "1", "1", "2", "3", "5", "100", "-1", "x"];

/// SRANDMEMBER's count (negative: members may repeat). No huge negative
/// count: real Redis would build that reply until it runs out of memory.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandCount(pub u8);

pub(super) const RAND_COUNT_TABLE: &[&str] =
    &["0", "1", "2", "3", "10", "-1", "-2", "-5", "9223372036854775807", "-100", "-9223372036854775808", "x"];

/// SINTERCARD's numkeys: mostly right, sometimes not.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumKeys(pub u8);

impl NumKeys {
    /// The argument for `keys` keys.
    pub(super) fn text(self, keys: usize) -> String {
        match self.0 % 8 {
            0 => "0".to_string(),
            1 => "x".to_string(),
            2 => (keys + 1).to_string(),
            3 => keys.saturating_sub(1).to_string(),
            _ => keys.to_string(),
        }
    }
}

/// SINTERCARD's LIMIT.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitArg(pub u8);

pub(super) const LIMIT_TABLE: &[&str] = &["0", "1", "2", "-1", "x"];

/// An SSCAN MATCH pattern over members.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberPattern(pub u8);

pub(super) const MEMBER_PATTERN_TABLE: &[&str] = &["*", "1*", "a*", "?", "[ab]", "*b*", "zz", "-*"];

/// Hand-picked malformed set commands.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetMalformed(pub u8);

pub(super) const SET_MALFORMED_TABLE: &[&[&str]] = &[
    &["spop", "a", "1", "2"],
    &["srandmember", "a", "1", "2"],
    &["sintercard", "1", "a", "LIMIT"],
    &["sintercard", "1", "a", "foo"],
    &["sintercard", "1", "a", "LIMIT", "1", "LIMIT", "0"],
    &["sscan", "a", "0", "TYPE", "set"],
    &["sscan", "a", "0", "COUNT"],
    &["sscan", "a", " 0"],
    &["sadd", "a"],
    &["smove", "a", "b"],
    &["sintercard", "1"],
    &["smembers", "a", "b"],
    &["sismember", "a"],
    &["spop", "a", "9223372036854775808"],
];

/// A hash field: short names so fields collide, some numbers, the empty field.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field(pub u8);

pub(super) const FIELD_TABLE: &[&str] = &["f", "f", "g", "g", "h", "a", "1", "", "field:1", "x\0y"];

impl Field {
    /// The field's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(FIELD_TABLE, self.0).as_bytes().to_vec()
    }
}

/// 1 to 4 fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldList(pub Vec<Field>);

impl<'a> Arbitrary<'a> for FieldList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| Field::arbitrary(u)).collect::<Result<_, _>>().map(FieldList)
    }
}

/// 1 to 3 field/value pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldValues(pub Vec<(Field, Val)>);

impl<'a> Arbitrary<'a> for FieldValues {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=3)?;
        (0..n).map(|_| Ok((Field::arbitrary(u)?, Val::arbitrary(u)?))).collect::<Result<_, _>>().map(FieldValues)
    }
}

/// HRANDFIELD's count, with the range errors at the edges. No huge negative
/// count: real Redis would build that reply until it runs out of memory.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldCount(pub u8);

pub(super) const FIELD_COUNT_TABLE: &[&str] =
    &["0", "1", "2", "3", "5", "100", "-1", "-2", "-7", "x", "-9223372036854775808", "4611686018427387904"];

/// An HSCAN MATCH pattern over fields.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPattern(pub u8);

pub(super) const FIELD_PATTERN_TABLE: &[&str] = &["*", "f*", "?", "[fg]", "*:*", "zz", ""];

/// Hand-picked malformed hash commands.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashMalformed(pub u8);

pub(super) const HASH_MALFORMED_TABLE: &[&[&str]] = &[
    &["hset", "a", "f"],
    &["hset", "a", "f", "v", "g"],
    &["hmset", "a", "f", "v", "g"],
    &["hsetnx", "a", "f"],
    &["hget", "a"],
    &["hrandfield", "a", "1", "withvalues", "x"],
    &["hrandfield", "a", "1", "foo"],
    &["hrandfield", "a", "1", "withvalues\0x"],
    &["hscan", "a", "0", "TYPE", "hash"],
    &["hscan", "a", "0", "COUNT"],
    &["hscan", "a", " 0"],
    &["hscan", "a", "0", "count\0x", "5"],
    &["hincrby", "a", "f"],
    &["hdel", "a"],
    &["hincrbyfloat", "a", "f", "nan"],
];

/// A SORT BY pattern: constant ones do not sort; `*` makes each element
/// name its own weight key, so the generated keys are found.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortBy(pub u8);

pub(super) const SORT_BY_TABLE: &[&str] = &["nosort", "*", "*", "*->f", "*->g", "key:*", "w*", "*->", "#", "a\0*"];

/// A SORT GET pattern.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortGet(pub u8);

pub(super) const SORT_GET_TABLE: &[&str] = &["#", "#", "*", "*->f", "key:*", "nothing", "*->g"];

/// A SORT LIMIT offset or count.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortLimit(pub u8);

pub(super) const SORT_LIMIT_TABLE: &[&str] = &["0", "1", "2", "-1", "3", "100", "x"];

/// SORT's options, written in this order (Redis reads them in any order).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct SortOptions {
    pub by: Option<SortBy>,
    pub limit: Option<(SortLimit, SortLimit)>,
    pub gets: Vec<SortGet>,
    pub desc: Option<bool>,
    pub alpha: bool,
}

impl SortOptions {
    pub(super) fn push(&self, mut args: Args) -> Args {
        if let Some(b) = self.by {
            args = args.s("BY").s(pick(SORT_BY_TABLE, b.0));
        }
        if let Some((a, b)) = self.limit {
            args = args.s("LIMIT").s(pick(SORT_LIMIT_TABLE, a.0)).s(pick(SORT_LIMIT_TABLE, b.0));
        }
        for g in self.gets.iter().take(3) {
            args = args.s("GET").s(pick(SORT_GET_TABLE, g.0));
        }
        match self.desc {
            Some(true) => args = args.s("DESC"),
            Some(false) => args = args.s("ASC"),
            None => {}
        }
        if self.alpha {
            args = args.s("ALPHA");
        }
        args
    }
}

/// Hand-picked malformed or unusual SORT commands.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortMalformed(pub u8);

pub(super) const SORT_MALFORMED_TABLE: &[&[&str]] = &[
    &["sort", "a", "LIMIT", "1"],
    &["sort", "a", "BY"],
    &["sort", "a", "GET"],
    &["sort", "a", "STORE"],
    &["sort", "a", "FOO"],
    &["sort_ro", "a", "STORE", "b"],
    &["sort", "a", "BY", "nosort", "BY", "*"],
    &["sort", "a", "BY", "nosort", "STORE", "b"],
    &["sort", "a", "LIMIT", "-5", "2"],
    &["sort", "a", "ALPHA", "STORE", "b", "STORE", "c"],
    &["sort", "a", "desc\0x"],
];
