//! Generated sorted set operations: small alphabets so members collide and scores tie, score
//! texts of every flavour strtod knows (and some it refuses), ranges that are inclusive,
//! exclusive, empty or invalid, and one member long enough to turn a set into a skiplist.

use super::{pick, Args, Key, KeyList, Pattern, PATTERN_TABLE};
use arbitrary::{Arbitrary, Unstructured};

/// A sorted set member; the last one is longer than zset-max-listpack-value (64 bytes).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZMember(pub u8);

const LONG_MEMBER: &str = "m-longer-than-sixty-four-bytes-so-the-set-becomes-a-skiplist-xxxxxxxx";
const MEMBER_TABLE: &[&str] = &["a", "b", "c", "d", "a", "b", "e", "", "1", "ab", "-0", LONG_MEMBER, LONG_MEMBER];

impl ZMember {
    pub fn bytes(self) -> Vec<u8> {
        pick(MEMBER_TABLE, self.0).as_bytes().to_vec()
    }
}

/// A score argument (ZADD, ZINCRBY): mostly valid, with ties, infinities and -0.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZScore(pub u8);

const SCORE_TABLE: &[&str] = &[
    "0", "1", "1", "2", "2", "3", "-1", "2.5", "10", "-0", "inf", "-inf", "+inf", "0.1", "0.2", "1e-310", "0x10",
    "1e400", "nan", "x", " 1", "1.5", "5", "1e17",
];

/// One end of a score range.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZScoreBound(pub u8);

const BOUND_TABLE: &[&str] =
    &["-inf", "+inf", "0", "1", "(1", "2", "(2", "3", "(3", "2.5", "10", "(", "", " 1", "1e400", "x", "nan", "(-inf"];

/// One end of a lex range.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZLexBound(pub u8);

const LEX_TABLE: &[&str] = &["-", "+", "[a", "(a", "[b", "(b", "[c", "(d", "[e", "[", "(", "a", "+x", "[ab"];

/// A rank index.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZRank(pub u8);

const RANK_TABLE: &[&str] = &["0", "1", "2", "-1", "-2", "0", "-1", "5", "-10", "100", "x"];

/// A LIMIT offset or count.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZLimit(pub u8);

const LIMIT_TABLE: &[&str] = &["0", "1", "2", "-1", "5", "0", "1", "x"];

/// A count for ZPOPMIN/ZPOPMAX/ZMPOP/ZRANDMEMBER.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZCount(pub u8);

const ZCOUNT_TABLE: &[&str] = &["1", "2", "3", "0", "-1", "-3", "10", "x", "-9223372036854775808"];

/// A WEIGHTS value.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZWeight(pub u8);

const WEIGHT_TABLE: &[&str] = &["1", "2", "-1", "0", "0.5", "inf", "1", "x"];

/// 1 to 3 members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZMemberList(pub Vec<ZMember>);

impl<'a> Arbitrary<'a> for ZMemberList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=3)?;
        (0..n).map(|_| ZMember::arbitrary(u)).collect::<Result<_, _>>().map(ZMemberList)
    }
}

/// 1 to 4 score/member pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZScorePairs(pub Vec<(ZScore, ZMember)>);

impl<'a> Arbitrary<'a> for ZScorePairs {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| Ok((ZScore::arbitrary(u)?, ZMember::arbitrary(u)?))).collect::<Result<_, _>>().map(ZScorePairs)
    }
}

/// ZADD's options: mostly a valid combination; from 0xc0 on, any mix of the six as bits.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZAddFlags(pub u8);

const VALID_ZADD_OPTIONS: &[&[&str]] = &[
    &[],
    &[],
    &["NX"],
    &["XX"],
    &["GT"],
    &["LT"],
    &["CH"],
    &["XX", "CH"],
    &["GT", "CH"],
    &["LT", "ch"],
    &["INCR"],
    &["XX", "INCR"],
    &["NX", "INCR"],
    &["GT", "INCR"],
    &["XX", "GT"],
    &["xx", "lt", "ch"],
    &["NX", "CH"],
];

/// What a ZRANGE selects.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZBy {
    Rank(ZRank, ZRank),
    Score(ZScoreBound, ZScoreBound),
    Lex(ZLexBound, ZLexBound),
}

/// The older ZRANGE forms.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZOldRange {
    RevRange(ZRank, ZRank),
    ByScore(ZScoreBound, ZScoreBound),
    RevByScore(ZScoreBound, ZScoreBound),
    ByLex(ZLexBound, ZLexBound),
    RevByLex(ZLexBound, ZLexBound),
}

/// The multi-key commands.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZSetOp {
    Union,
    Inter,
    Diff,
    InterCard,
    UnionStore,
    InterStore,
    DiffStore,
}

/// Hand-picked malformed sorted set commands.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZMalformed(pub u8);

const ZMALFORMED_TABLE: &[&[&str]] = &[
    &["zadd", "a"],
    &["zadd", "a", "1"],
    &["zadd", "a", "nx"],
    &["zadd", "a", "1", "m", "2"],
    &["zadd", "a", "incr", "1", "m", "2", "n"],
    &["zadd", "a", "nx\0junk", "1", "m"],
    &["zrange", "a", "0"],
    &["zrange", "a", "0", "-1", "limit", "0"],
    &["zrange", "a", "0", "-1", "withscores\0x"],
    &["zrangestore", "b", "a", "0", "-1", "withscores"],
    &["zrangebyscore", "a", "1\0x", "2"],
    &["zrangebylex", "a", "+\0x", "-"],
    &["zpopmin", "a", "1", "2"],
    &["zmpop", "0", "a", "min"],
    &["zmpop", "2", "a", "min"],
    &["zmpop", "1", "a", "min", "count", "1", "count", "2"],
    &["zmpop", "9223372036854775807", "a", "min"],
    &["zrandmember", "a", "1", "withscores", "x"],
    &["zrandmember", "a", "-9223372036854775807", "withscores"],
    &["zunion", "0", "a"],
    &["zunion", "3", "a", "b"],
    &["zunionstore", "c", "1", "a", "withscores"],
    &["zintercard", "1", "a", "limit", "-1"],
    &["zdiff", "1", "a", "weights", "1"],
    &["zscan", "a", "0", "type", "zset"],
    &["zscan", "a", "x"],
    &["zincrby", "a", "1"],
    &["zscore", "a"],
    &["zcount", "a", "0"],
];

impl ZMalformed {
    pub fn argv(self) -> Vec<Vec<u8>> {
        pick(ZMALFORMED_TABLE, self.0).iter().map(|a| a.as_bytes().to_vec()).collect()
    }
}

fn members(args: Args, list: &ZMemberList) -> Args {
    list.0.iter().fold(args, |a, m| a.b(m.bytes()))
}

fn range_args(args: Args, by: ZBy) -> Args {
    match by {
        ZBy::Rank(a, b) => args.s(pick(RANK_TABLE, a.0)).s(pick(RANK_TABLE, b.0)),
        ZBy::Score(a, b) => args.s(pick(BOUND_TABLE, a.0)).s(pick(BOUND_TABLE, b.0)),
        ZBy::Lex(a, b) => args.s(pick(LEX_TABLE, a.0)).s(pick(LEX_TABLE, b.0)),
    }
}

pub fn zadd(key: Key, flags: ZAddFlags, pairs: &ZScorePairs, incrby: bool) -> Vec<Vec<u8>> {
    let mut args = Args::new(if incrby { "ZINCRBY" } else { "ZADD" }).b(key.bytes());
    if !incrby {
        let options: Vec<&str> = if flags.0 >= 0xc0 {
            // Any mix of the six options, conflicting ones included.
            [(1, "NX"), (2, "XX"), (4, "GT"), (8, "LT"), (16, "CH"), (32, "INCR")]
                .into_iter()
                .filter(|(bit, _)| flags.0 & bit != 0)
                .map(|(_, name)| name)
                .collect()
        } else {
            pick(VALID_ZADD_OPTIONS, flags.0).to_vec()
        };
        for name in options {
            args = args.s(name);
        }
    }
    let pairs = if incrby { &pairs.0[..1] } else { &pairs.0[..] };
    for (score, member) in pairs {
        args = args.s(pick(SCORE_TABLE, score.0)).b(member.bytes());
    }
    args.0
}

pub fn zrem(key: Key, list: &ZMemberList) -> Vec<Vec<u8>> {
    members(Args::new("ZREM").b(key.bytes()), list).0
}

pub fn zmscore(key: Key, list: &ZMemberList) -> Vec<Vec<u8>> {
    members(Args::new("ZMSCORE").b(key.bytes()), list).0
}

pub fn key_member(name: &str, key: Key, member: ZMember) -> Vec<Vec<u8>> {
    Args::new(name).b(key.bytes()).b(member.bytes()).0
}

pub fn zcount(key: Key, a: ZScoreBound, b: ZScoreBound) -> Vec<Vec<u8>> {
    Args::new("ZCOUNT").b(key.bytes()).s(pick(BOUND_TABLE, a.0)).s(pick(BOUND_TABLE, b.0)).0
}

pub fn zlexcount(key: Key, a: ZLexBound, b: ZLexBound) -> Vec<Vec<u8>> {
    Args::new("ZLEXCOUNT").b(key.bytes()).s(pick(LEX_TABLE, a.0)).s(pick(LEX_TABLE, b.0)).0
}

/// ZRANGE (or ZRANGESTORE with `store`) with its options.
pub fn zrange(
    key: Key,
    by: ZBy,
    rev: bool,
    withscores: bool,
    limit: Option<(ZLimit, ZLimit)>,
    store: Option<Key>,
) -> Vec<Vec<u8>> {
    let mut args = match store {
        Some(dst) => Args::new("ZRANGESTORE").b(dst.bytes()).b(key.bytes()),
        None => Args::new("ZRANGE").b(key.bytes()),
    };
    args = range_args(args, by);
    match by {
        ZBy::Score(..) => args = args.s("BYSCORE"),
        ZBy::Lex(..) => args = args.s("BYLEX"),
        ZBy::Rank(..) => {}
    }
    if rev {
        args = args.s("REV");
    }
    if withscores {
        args = args.s("WITHSCORES");
    }
    if let Some((o, c)) = limit {
        args = args.s("LIMIT").s(pick(LIMIT_TABLE, o.0)).s(pick(LIMIT_TABLE, c.0));
    }
    args.0
}

pub fn zold_range(key: Key, form: ZOldRange, withscores: bool, limit: Option<(ZLimit, ZLimit)>) -> Vec<Vec<u8>> {
    let (name, by) = match form {
        ZOldRange::RevRange(a, b) => ("ZREVRANGE", ZBy::Rank(a, b)),
        ZOldRange::ByScore(a, b) => ("ZRANGEBYSCORE", ZBy::Score(a, b)),
        ZOldRange::RevByScore(a, b) => ("ZREVRANGEBYSCORE", ZBy::Score(a, b)),
        ZOldRange::ByLex(a, b) => ("ZRANGEBYLEX", ZBy::Lex(a, b)),
        ZOldRange::RevByLex(a, b) => ("ZREVRANGEBYLEX", ZBy::Lex(a, b)),
    };
    let mut args = range_args(Args::new(name).b(key.bytes()), by);
    if withscores {
        args = args.s("WITHSCORES");
    }
    if let Some((o, c)) = limit {
        args = args.s("LIMIT").s(pick(LIMIT_TABLE, o.0)).s(pick(LIMIT_TABLE, c.0));
    }
    args.0
}

pub fn zremrange(key: Key, by: ZBy) -> Vec<Vec<u8>> {
    let name = match by {
        ZBy::Rank(..) => "ZREMRANGEBYRANK",
        ZBy::Score(..) => "ZREMRANGEBYSCORE",
        ZBy::Lex(..) => "ZREMRANGEBYLEX",
    };
    range_args(Args::new(name).b(key.bytes()), by).0
}

pub fn zpop(key: Key, max: bool, count: Option<ZCount>) -> Vec<Vec<u8>> {
    let args = Args::new(if max { "ZPOPMAX" } else { "ZPOPMIN" }).b(key.bytes());
    match count {
        Some(c) => args.s(pick(ZCOUNT_TABLE, c.0)).0,
        None => args.0,
    }
}

pub fn zmpop(keys: &KeyList, max: bool, count: Option<ZCount>) -> Vec<Vec<u8>> {
    let mut args = Args::new("ZMPOP").s(&keys.0.len().to_string()).keys(keys).s(if max { "MAX" } else { "MIN" });
    if let Some(c) = count {
        args = args.s("COUNT").s(pick(ZCOUNT_TABLE, c.0));
    }
    args.0
}

pub fn zrandmember(key: Key, count: Option<(ZCount, bool)>) -> Vec<Vec<u8>> {
    let args = Args::new("ZRANDMEMBER").b(key.bytes());
    match count {
        None => args.0,
        Some((c, false)) => args.s(pick(ZCOUNT_TABLE, c.0)).0,
        Some((c, true)) => args.s(pick(ZCOUNT_TABLE, c.0)).s("WITHSCORES").0,
    }
}

pub fn zscan(key: Key, cursor_zero: bool, pattern: Option<Pattern>, count: Option<ZCount>) -> Vec<Vec<u8>> {
    let mut args = Args::new("ZSCAN").b(key.bytes()).s(if cursor_zero { "0" } else { "x" });
    if let Some(p) = pattern {
        args = args.s("MATCH").s(pick(PATTERN_TABLE, p.0));
    }
    if let Some(c) = count {
        args = args.s("COUNT").s(pick(ZCOUNT_TABLE, c.0));
    }
    args.0
}

/// A multi-key command; `opts` bits: WEIGHTS, AGGREGATE, WITHSCORES, LIMIT, a wrong numkeys.
pub fn zsetop(op: ZSetOp, dst: Key, keys: &KeyList, weight: ZWeight, aggregate: u8, opts: u8) -> Vec<Vec<u8>> {
    let (name, store) = match op {
        ZSetOp::Union => ("ZUNION", false),
        ZSetOp::Inter => ("ZINTER", false),
        ZSetOp::Diff => ("ZDIFF", false),
        ZSetOp::InterCard => ("ZINTERCARD", false),
        ZSetOp::UnionStore => ("ZUNIONSTORE", true),
        ZSetOp::InterStore => ("ZINTERSTORE", true),
        ZSetOp::DiffStore => ("ZDIFFSTORE", true),
    };
    let mut args = Args::new(name);
    if store {
        args = args.b(dst.bytes());
    }
    let n = keys.0.len();
    let numkeys = if opts & 16 != 0 && opts & 32 != 0 { n + 1 } else { n };
    args = args.s(&numkeys.to_string()).keys(keys);
    if opts & 1 != 0 {
        args = args.s("WEIGHTS");
        for i in 0..n {
            args = args.s(pick(WEIGHT_TABLE, weight.0.wrapping_add(i as u8 * 3)));
        }
    }
    if opts & 2 != 0 {
        args = args.s("AGGREGATE").s(pick(&["SUM", "MIN", "MAX", "min", "avg"], aggregate));
    }
    if opts & 4 != 0 {
        args = args.s("WITHSCORES");
    }
    if opts & 8 != 0 {
        args = args.s("LIMIT").s(pick(LIMIT_TABLE, aggregate));
    }
    args.0
}
