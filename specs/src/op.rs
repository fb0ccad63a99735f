//! Generated operations for state-machine tests.
//!
//! Every argument is drawn from a small alphabet, so keys collide, values
//! are often numbers, and expire times land exactly on the instants that
//! `AdvanceTime` reaches. Absolute times are offsets from [`EPOCH_MS`]: a
//! test using absolute-time operations must start its clock there.
//!
//! `Op` derives [`arbitrary::Arbitrary`], so a fuzzer or a property test can
//! build op sequences from raw bytes.

use arbitrary::{Arbitrary, Unstructured};

mod acl;
mod collections;
pub use acl::{acl_reset_commands, AclOp};
pub use collections::*;
mod bits;
pub use bits::{
    BitArg, BitOffset, BitOpKind, BitPosEnd, BitUnit, Element, Elements, FieldOffset, FieldSub, FieldSubs, FieldType,
    FieldValue, HllSample, OverflowKind, PfDebugSub, RangeArg,
};
mod streams;
pub use streams::{stream_heavy_ops, StreamOp, XBound, XConsumer, XFields, XGroup, XId, XIdList, XIdle, XNum, XTrim};
mod geo;
pub use geo::{
    geo_ops_from_bytes, GeoAddFlags, GeoCount, GeoFrom, GeoLat, GeoLon, GeoOpts, GeoPoint, GeoRead, GeoSearchOp,
    GeoShape, GeoSize, GeoUnit,
};
mod persist;
pub use persist::{
    fill_payload, persistence_heavy_ops, unhex, with_footer, PayloadPick, PersistOp, RestoreExtra, RestoreOpts,
    RestoreTtl, Spoil, PAYLOADS, PAYLOAD_ARG,
};
mod zsets;
pub use zsets::{
    ZAddFlags, ZBy, ZCount, ZLexBound, ZLimit, ZMalformed, ZMember, ZMemberList, ZOldRange, ZRank, ZScore, ZScoreBound,
    ZScorePairs, ZSetOp, ZTimeout, ZWeight,
};

/// The clock value a state-machine test starts at (2023-11-14T22:13:20Z).
pub const EPOCH_MS: u64 = 1_700_000_000_000;

/// Picks `table[i % len]`.
fn pick<T: Copy>(table: &[T], i: u8) -> T {
    table[usize::from(i) % table.len()]
}

/// A key name; `a` and `b` are the most frequent.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key(pub u8);

const KEY_TABLE: &[&str] = &["a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "d", "d", "key:1", "key:1", ""];

impl Key {
    /// The key's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(KEY_TABLE, self.0).as_bytes().to_vec()
    }
}

/// A value: mostly numbers of every flavour, some text.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Val(pub u8);

const VAL_TABLE: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "7",
    "10",
    "abc",
    "hello",
    "3.5",
    "-0.25",
    "1e3",
    "0x10",
    "9223372036854775807",
    "-9223372036854775808",
    " 1",
    "01",
    "inf",
    "a\0b",
    "abcbd",
    "0.1",
];

impl Val {
    /// The value's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(VAL_TABLE, self.0).as_bytes().to_vec()
    }
}

/// An integer-ish argument for INCRBY/DECRBY.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntArg(pub u8);

const INT_TABLE: &[&str] =
    &["0", "1", "-1", "2", "5", "100", "-100", "9223372036854775807", "-9223372036854775808", "x", "1.5", "", "+1"];

/// A float-ish argument for INCRBYFLOAT.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatArg(pub u8);

const FLOAT_TABLE: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.1",
    "1.5",
    "-2.5",
    "1e3",
    "3.0e-2",
    "0x1p-2",
    "inf",
    "-inf",
    "nan",
    "abc",
    " 1",
    "5.",
    "1e400",
    "1e5000",
    "+.5",
    "-0",
    "10.5",
    "0.0000001",
    "123456789.123456789",
];

/// A GETRANGE index.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Index(pub u8);

const INDEX_TABLE: &[&str] = &["0", "1", "2", "3", "-1", "-2", "-3", "-100", "100", "x"];

/// A SETRANGE offset.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offset(pub u8);

const OFFSET_TABLE: &[&str] = &["0", "1", "2", "3", "5", "10", "-1", "536870912", "x"];

/// A relative time (seconds or milliseconds, depending on the command).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelTime(pub u8);

const REL_TABLE: &[&str] = &["1", "2", "3", "5", "10", "100", "1000", "0", "-1", "-5", "x", "9223372036854775807"];

/// An absolute time, as an offset from [`EPOCH_MS`] in the command's unit.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbsTime(pub u8);

/// Offsets from the epoch in the command's unit; `None` stands for the raw
/// strings below (0, negative, garbage).
const ABS_OFFSETS: &[i64] = &[-1000, -1, 0, 1, 2, 5, 10, 100, 1000, 60_000];
const ABS_RAW: &[&str] = &["0", "1", "-1", "x"];

impl AbsTime {
    /// The argument text for a unit of `unit_ms` milliseconds.
    fn text(self, unit_ms: u64) -> String {
        let i = usize::from(self.0) % (ABS_OFFSETS.len() + ABS_RAW.len());
        match ABS_OFFSETS.get(i) {
            Some(off) => ((EPOCH_MS / unit_ms) as i64 + off).to_string(),
            None => ABS_RAW[i - ABS_OFFSETS.len()].to_string(),
        }
    }
}

/// A database index argument; mostly 0..=2.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbIdx(pub u8);

const DB_TABLE: &[&str] = &["0", "1", "2", "0", "1", "2", "15", "16", "-1", "x"];

impl DbIdx {
    /// The argument text.
    pub fn text(self) -> &'static str {
        pick(DB_TABLE, self.0)
    }
}

/// A glob pattern for KEYS and SCAN MATCH.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern(pub u8);

const PATTERN_TABLE: &[&str] = &["*", "a", "?", "[ab]", "*a*", "[^a]*", "\\a", "**", "k*:1", "[", "[^", "*1", "[a-c]"];

/// A SCAN TYPE argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeArg(pub u8);

const TYPE_TABLE: &[&str] = &["string", "STRING", "list", "none", "set", "zset", "hash"];

/// A SCAN cursor (any value is accepted by Redis; some are invalid).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub u8);

const CURSOR_TABLE: &[&str] = &["0", "0", "1", "7", "x", "-1"];

/// A SCAN COUNT argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountArg(pub u8);

const COUNT_TABLE: &[&str] = &["1", "2", "10", "0", "x"];

/// How far the clock moves.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delay(pub u8);

const DELAY_TABLE: &[u64] = &[0, 1, 1, 2, 3, 5, 10, 100, 999, 1000, 1001, 5000];

/// 1 to 4 keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyList(pub Vec<Key>);

impl<'a> Arbitrary<'a> for KeyList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=4)?;
        (0..n).map(|_| Key::arbitrary(u)).collect::<Result<_, _>>().map(KeyList)
    }
}

/// 1 to 3 key/value pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairList(pub Vec<(Key, Val)>);

impl<'a> Arbitrary<'a> for PairList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=3)?;
        (0..n).map(|_| Ok((Key::arbitrary(u)?, Val::arbitrary(u)?))).collect::<Result<_, _>>().map(PairList)
    }
}

/// SET's NX/XX.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetCond {
    Nx,
    Xx,
}

/// SET's expire options.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetExpire {
    Ex(RelTime),
    Px(RelTime),
    ExAt(AbsTime),
    PxAt(AbsTime),
    KeepTtl,
}

/// GETEX's options.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetExOpt {
    Ex(RelTime),
    Px(RelTime),
    ExAt(AbsTime),
    PxAt(AbsTime),
    Persist,
}

/// Which member of the EXPIRE family.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireCmd {
    /// EXPIRE key seconds.
    Expire(RelTime),
    /// PEXPIRE key milliseconds.
    PExpire(RelTime),
    /// EXPIREAT key unix-seconds.
    ExpireAt(AbsTime),
    /// PEXPIREAT key unix-milliseconds.
    PExpireAt(AbsTime),
}

/// The EXPIRE family's conditions.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireCond {
    Nx,
    Xx,
    Gt,
    Lt,
}

/// LCS's reply shapes.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcsMode {
    /// The subsequence itself.
    Plain,
    /// LEN.
    Len,
    /// IDX, optionally MINMATCHLEN n (0..=3) and WITHMATCHLEN.
    Idx { min_match_len: Option<u8>, with_match_len: bool },
}

/// Hand-picked malformed or unusual commands, to exercise error paths.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed(pub u8);

const MALFORMED_TABLE: &[&[&str]] = &[
    &["GET"],
    &["set", "a"],
    &["NOSUCHCMD", "a", "b"],
    &["nosuchcmd"],
    &["set", "a", "v", "nx", "xx"],
    &["set", "a", "v", "EX", "10", "PX", "10"],
    &["set", "a", "v", "keepttl", "ex", "1"],
    &["set", "a", "v", "ex"],
    &["set", "a", "v", "nx\0junk"],
    &["set", "a", "v", "ex", "10", "ex", "20"],
    &["getex", "a", "persist", "ex", "1"],
    &["getex", "a", "nx"],
    &["expire", "a", "10", "nx", "gt"],
    &["expire", "a", "10", "gt", "lt"],
    &["expire", "a", "10", "foo"],
    &["expire", "a", "10", "a\r\nb\n"],
    &["expire", "a", "9223372036854775807"],
    &["pexpire", "a", "9223372036854775807"],
    &["mset", "a"],
    &["mset", "a", "1", "b"],
    &["msetnx", "a", "1", "b"],
    &["lcs", "a", "b", "len", "idx"],
    &["lcs", "a", "b", "minmatchlen"],
    &["lcs", "a", "b", "foo"],
    &["copy", "a", "a"],
    &["copy", "a", "b", "db"],
    &["flushdb", "x"],
    &["flushall", "sync", "x"],
    &["ping", "a", "b"],
    &["select", "99999999999"],
    &["swapdb", "0", "x"],
    &["swapdb", "x", "0"],
    &["Get", "a"],
    &["dbsize", "x"],
    &["scan", "0", "count", "0"],
    &["scan", "0", "foo"],
    &["scan", " 0"],
    &["incrby", "a", "1.5"],
    &["decrby", "a", "-9223372036854775808"],
    &["setrange", "a", "-1", "x"],
    &["echo"],
    &["exists"],
    &["getrange", "a", "x", "1"],
    &["move", "a", "99999999999"],
    &["setex", "a", "0", "v"],
    &["psetex", "a", "-5", "v"],
    &["rename", "nosuchkey", "a"],
    &["exec", "x"],
    &["watch"],
    &["multi", "x"],
    &["unwatch", "a"],
    &["discard", "x"],
    &["pubsub"],
    &["pubsub", "foo"],
    &["pubsub", "numpat", "x"],
    &["pubsub", "channels", "a", "b"],
    &["pubsub", "help", "x"],
    &["publish", "a"],
    &["subscribe"],
    &["ssubscribe"],
];

/// One generated operation: a command, or a change of clock or connection.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Get(Key),
    Set {
        key: Key,
        value: Val,
        cond: Option<SetCond>,
        get: bool,
        expire: Option<SetExpire>,
    },
    SetNx(Key, Val),
    SetEx(Key, RelTime, Val),
    PSetEx(Key, RelTime, Val),
    MGet(KeyList),
    MSet(PairList),
    MSetNx(PairList),
    GetSet(Key, Val),
    GetDel(Key),
    GetEx(Key, Option<GetExOpt>),
    Append(Key, Val),
    Strlen(Key),
    GetRange(Key, Index, Index),
    Substr(Key, Index, Index),
    SetRange(Key, Offset, Val),
    Incr(Key),
    Decr(Key),
    IncrBy(Key, IntArg),
    DecrBy(Key, IntArg),
    IncrByFloat(Key, FloatArg),
    Lcs(Key, Key, LcsMode),
    Del(KeyList),
    Unlink(KeyList),
    Exists(KeyList),
    Type(Key),
    Rename(Key, Key),
    RenameNx(Key, Key),
    Move(Key, DbIdx),
    Copy {
        src: Key,
        dst: Key,
        db: Option<DbIdx>,
        replace: bool,
    },
    SwapDb(DbIdx, DbIdx),
    DbSize,
    Touch(KeyList),
    Keys(Pattern),
    RandomKey,
    Scan {
        cursor: Cursor,
        pattern: Option<Pattern>,
        count: Option<CountArg>,
        type_name: Option<TypeArg>,
    },
    Expire(Key, ExpireCmd, Option<ExpireCond>),
    Ttl(Key),
    Pttl(Key),
    ExpireTime(Key),
    PExpireTime(Key),
    Persist(Key),
    Ping(Option<Val>),
    Echo(Val),
    FlushDb,
    FlushAll,
    Select(DbIdx),
    Malformed(Malformed),
    /// A complete SCAN iteration (cursor 0 back to 0), checked as a whole.
    ScanAll {
        pattern: Option<Pattern>,
        type_name: Option<TypeArg>,
    },
    /// Move the clock forward.
    AdvanceTime(Delay),
    /// Send the following commands from another connection (0..=2).
    SwitchClient(u8),
    /// LPUSH, RPUSH, or with `only_existing` LPUSHX, RPUSHX.
    Push {
        left: bool,
        only_existing: bool,
        key: Key,
        elems: ElemList,
    },
    /// LPOP or RPOP, with an optional count.
    Pop {
        left: bool,
        key: Key,
        count: Option<ListCount>,
    },
    LMPop {
        keys: KeyList,
        side: Side,
        count: Option<ListCount>,
    },
    LLen(Key),
    LRange(Key, ListIndex, ListIndex),
    LIndex(Key, ListIndex),
    LSet(Key, ListIndex, Elem),
    LInsert {
        key: Key,
        before: bool,
        pivot: Elem,
        elem: Elem,
    },
    LRem(Key, ListCount, Elem),
    LTrim(Key, ListIndex, ListIndex),
    LPos {
        key: Key,
        elem: Elem,
        opts: LposOpts,
    },
    LMove {
        src: Key,
        dst: Key,
        from: Side,
        to: Side,
    },
    RPopLPush(Key, Key),
    /// BLPOP or BRPOP.
    BPop {
        left: bool,
        keys: KeyList,
        timeout: BlockTimeout,
    },
    BLMove {
        src: Key,
        dst: Key,
        from: Side,
        to: Side,
        timeout: BlockTimeout,
    },
    BRPopLPush(Key, Key, BlockTimeout),
    BLMPop {
        timeout: BlockTimeout,
        keys: KeyList,
        side: Side,
        count: Option<ListCount>,
    },
    /// One-element LPUSH and RPUSH: frequent pushes so that blocked clients
    /// get served.
    LPushOne(Key, Elem),
    RPushOne(Key, Elem),
    SetBit(Key, BitOffset, BitArg),
    GetBit(Key, BitOffset),
    BitCount(Key, Option<(RangeArg, RangeArg, Option<BitUnit>)>),
    BitPos(Key, BitArg, Option<(RangeArg, Option<BitPosEnd>)>),
    BitOp(BitOpKind, Key, KeyList),
    BitField {
        key: Key,
        subs: FieldSubs,
        read_only: bool,
    },
    PfAdd(Key, Elements),
    /// PFADD of many generated elements (`seed:i`), to reach the dense encoding.
    PfAddBulk {
        key: Key,
        seed: u8,
        size: u8,
    },
    PfCount(KeyList),
    PfMerge(Key, Vec<Key>),
    PfDebug(PfDebugSub, Key),
    /// SET of a hand-made HyperLogLog-like string (valid, corrupted or not one).
    SetHll(Key, HllSample),
    /// Malformed bitmap and HyperLogLog calls.
    BitsMalformed(Malformed),
    SAdd(Key, MemberList),
    SRem(Key, MemberList),
    SMembers(Key),
    SIsMember(Key, Member),
    SMIsMember(Key, MemberList),
    SCard(Key),
    SPop(Key, Option<PopCount>),
    SRandMember(Key, Option<RandCount>),
    SMove(Key, Key, Member),
    SInter(KeyList),
    SInterCard(NumKeys, KeyList, Option<LimitArg>),
    SUnion(KeyList),
    SDiff(KeyList),
    SInterStore(Key, KeyList),
    SUnionStore(Key, KeyList),
    SDiffStore(Key, KeyList),
    SScan {
        key: Key,
        cursor: Cursor,
        pattern: Option<MemberPattern>,
        count: Option<CountArg>,
    },
    /// Malformed set commands.
    SetMalformed(SetMalformed),
    ZAdd(Key, ZAddFlags, ZScorePairs),
    ZIncrBy(Key, ZScore, ZMember),
    ZRem(Key, ZMemberList),
    ZCard(Key),
    ZScoreOf(Key, ZMember),
    ZMScore(Key, ZMemberList),
    ZRank(Key, ZMember),
    ZRevRank(Key, ZMember),
    ZCount(Key, ZScoreBound, ZScoreBound),
    ZLexCount(Key, ZLexBound, ZLexBound),
    ZRange {
        key: Key,
        by: ZBy,
        rev: bool,
        withscores: bool,
        limit: Option<(ZLimit, ZLimit)>,
    },
    ZRangeStore {
        dst: Key,
        key: Key,
        by: ZBy,
        rev: bool,
        limit: Option<(ZLimit, ZLimit)>,
    },
    ZOldRange {
        key: Key,
        form: ZOldRange,
        withscores: bool,
        limit: Option<(ZLimit, ZLimit)>,
    },
    ZRemRange(Key, ZBy),
    ZPopMin(Key, Option<ZCount>),
    ZPopMax(Key, Option<ZCount>),
    ZMPop {
        keys: KeyList,
        max: bool,
        count: Option<ZCount>,
    },
    ZRandMember(Key, Option<(ZCount, bool)>),
    ZScan {
        key: Key,
        cursor_zero: bool,
        pattern: Option<Pattern>,
        count: Option<ZCount>,
    },
    ZSetOp {
        op: ZSetOp,
        dst: Key,
        keys: KeyList,
        weight: ZWeight,
        aggregate: u8,
        opts: u8,
    },
    ZMalformed(ZMalformed),
    HSet(Key, FieldValues),
    HMSet(Key, FieldValues),
    HSetNx(Key, Field, Val),
    HGet(Key, Field),
    HMGet(Key, FieldList),
    HDel(Key, FieldList),
    HLen(Key),
    HStrlen(Key, Field),
    HExists(Key, Field),
    HKeys(Key),
    HVals(Key),
    HGetAll(Key),
    HIncrBy(Key, Field, IntArg),
    HIncrByFloat(Key, Field, FloatArg),
    HRandField {
        key: Key,
        count: Option<FieldCount>,
        with_values: bool,
    },
    HScan {
        key: Key,
        cursor: Cursor,
        pattern: Option<FieldPattern>,
        count: Option<CountArg>,
    },
    /// Malformed hash commands.
    HashMalformed(HashMalformed),
    Sort {
        key: Key,
        options: SortOptions,
        store: Option<Key>,
    },
    SortRo {
        key: Key,
        options: SortOptions,
    },
    /// Malformed SORT commands.
    SortMalformed(SortMalformed),
    BZPop {
        keys: KeyList,
        max: bool,
        timeout: ZTimeout,
    },
    BZMPop {
        keys: KeyList,
        max: bool,
        count: Option<ZCount>,
        timeout: ZTimeout,
    },
    Multi,
    Exec,
    Discard,
    Watch(KeyList),
    Unwatch,
    /// A Pub/Sub command (one variant, so that subscriptions stay rare enough for subscribed
    /// RESP2 clients not to refuse most generated commands).
    PubSub(PubSubOp),
    Reset,
    /// PUBLISH again, on its own: publishing must be common for messages to meet subscribers.
    Publish(Chan, Val),
    /// XADD key id field value [...], on its own so that streams are common.
    XAdd(Key, XId, XFields),
    /// Every other stream command shape.
    Stream(StreamOp),
    /// GEOADD with 1 to 4 points.
    GeoAdd(Key, GeoAddFlags, GeoPoint, Vec<GeoPoint>),
    GeoRead(GeoRead),
    GeoSearch(GeoSearchOp),
    /// Keyspace notifications: turning classes on and off, and listening to them.
    Notify(NotifyOp),
    /// SAVE, BGSAVE, DEBUG RELOAD, DUMP, RESTORE, DUMP-then-RESTORE.
    Persistence(PersistOp),
    /// Access control: users, AUTH, and the ACL commands (three variants, so that a sequence
    /// often shapes a user, switches to it and runs commands under it).
    Acl(AclOp),
    AclSetUser(u8, u8, u8, u8, u8),
    AclAuth(u8, u8),
}

/// Keyspace-notification commands. The classes are those the model implements (`g`, `$`, `l`,
/// `s`, `h` and `z`, with `K`/`E`; not `x`, `n` or `m`, whose timing the model leaves open), so that every event the system raises is one the model expects.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyOp {
    /// CONFIG SET notify-keyspace-events with classes from `NOTIFY_CLASSES`.
    Config(u8),
    /// PSUBSCRIBE to a pattern of `NOTIFY_PATTERNS`.
    Subscribe(u8),
}

/// Class strings: the modelled classes on either or both channels, channels without classes,
/// nothing, and one invalid character.
const NOTIFY_CLASSES: &[&str] = &["KEg$lshz", "K$g", "Ehszl", "$sKE", "h$zg", "KEl", "Eg", "KE", "", "K$q"];

/// Keyspace and keyevent channels of database 0, of any database, and one event.
const NOTIFY_PATTERNS: &[&str] = &["__keyspace@0__:*", "__keyevent@0__:*", "__key*__:*", "__keyevent@*__:set"];

impl NotifyOp {
    fn to_argv(self) -> Vec<Vec<u8>> {
        match self {
            NotifyOp::Config(i) => {
                Args::new("CONFIG").s("SET").s("notify-keyspace-events").s(pick(NOTIFY_CLASSES, i)).0
            }
            NotifyOp::Subscribe(i) => Args::new("PSUBSCRIBE").s(pick(NOTIFY_PATTERNS, i)).0,
        }
    }
}

/// A Pub/Sub channel name: a tiny alphabet, so publishers meet subscribers.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chan(pub u8);

const CHANNEL_TABLE: &[&str] = &["a", "b", "a", "b", "news", "a.b", ""];

impl Chan {
    /// The channel's bytes.
    pub fn bytes(self) -> Vec<u8> {
        pick(CHANNEL_TABLE, self.0).as_bytes().to_vec()
    }
}

/// 1 to 3 channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChanList(pub Vec<Chan>);

impl<'a> Arbitrary<'a> for ChanList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=3)?;
        (0..n).map(|_| Chan::arbitrary(u)).collect::<Result<_, _>>().map(ChanList)
    }
}

/// Pub/Sub commands; patterns come from the glob alphabet.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum PubSubOp {
    Subscribe(ChanList),
    Unsubscribe(Option<ChanList>),
    PSubscribe(Pattern),
    PUnsubscribe(Option<Pattern>),
    SSubscribe(ChanList),
    SUnsubscribe(Option<ChanList>),
    Publish(Chan, Val),
    SPublish(Chan, Val),
    Channels(Option<Pattern>),
    ShardChannels(Option<Pattern>),
    NumSub(ChanList),
    ShardNumSub(ChanList),
    NumPat,
}

impl Args {
    fn chans(mut self, chans: &ChanList) -> Args {
        self.0.extend(chans.0.iter().map(|c| c.bytes()));
        self
    }
}

impl PubSubOp {
    fn to_argv(&self) -> Vec<Vec<u8>> {
        let pattern = |p: &Pattern| pick(PATTERN_TABLE, p.0);
        match self {
            PubSubOp::Subscribe(c) => Args::new("SUBSCRIBE").chans(c).0,
            PubSubOp::Unsubscribe(c) => {
                c.as_ref().map_or(Args::new("UNSUBSCRIBE"), |c| Args::new("UNSUBSCRIBE").chans(c)).0
            }
            PubSubOp::PSubscribe(p) => Args::new("PSUBSCRIBE").s(pattern(p)).0,
            PubSubOp::PUnsubscribe(None) => Args::new("PUNSUBSCRIBE").0,
            PubSubOp::PUnsubscribe(Some(p)) => Args::new("PUNSUBSCRIBE").s(pattern(p)).0,
            PubSubOp::SSubscribe(c) => Args::new("SSUBSCRIBE").chans(c).0,
            PubSubOp::SUnsubscribe(c) => {
                c.as_ref().map_or(Args::new("SUNSUBSCRIBE"), |c| Args::new("SUNSUBSCRIBE").chans(c)).0
            }
            PubSubOp::Publish(c, v) => Args::new("PUBLISH").b(c.bytes()).b(v.bytes()).0,
            PubSubOp::SPublish(c, v) => Args::new("SPUBLISH").b(c.bytes()).b(v.bytes()).0,
            PubSubOp::Channels(None) => Args::new("PUBSUB").s("CHANNELS").0,
            PubSubOp::Channels(Some(p)) => Args::new("PUBSUB").s("CHANNELS").s(pattern(p)).0,
            PubSubOp::ShardChannels(None) => Args::new("PUBSUB").s("SHARDCHANNELS").0,
            PubSubOp::ShardChannels(Some(p)) => Args::new("PUBSUB").s("SHARDCHANNELS").s(pattern(p)).0,
            PubSubOp::NumSub(c) => Args::new("PUBSUB").s("NUMSUB").chans(c).0,
            PubSubOp::ShardNumSub(c) => Args::new("PUBSUB").s("SHARDNUMSUB").chans(c).0,
            PubSubOp::NumPat => Args::new("PUBSUB").s("NUMPAT").0,
        }
    }
}

/// What the test driver does for one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this command on the current connection.
    Command(Vec<Vec<u8>>),
    /// Iterate SCAN to completion with these options (MATCH, TYPE).
    ScanAll { pattern: Option<Vec<u8>>, type_name: Option<Vec<u8>> },
    /// Advance the clock by this many milliseconds.
    AdvanceTime(u64),
    /// Make this connection the current one.
    SwitchClient(u64),
    /// Send `dump`, then `restore` with DUMP's reply (when a bulk string) as its argument
    /// [`PAYLOAD_ARG`] (see [`fill_payload`]).
    DumpRestore { dump: Vec<Vec<u8>>, restore: Vec<Vec<u8>> },
    /// Stop the server saving its dataset (SHUTDOWN SAVE) and start a new one on the file:
    /// every connection is gone, the dataset is what the loader keeps.
    Restart,
}

/// Builds an argv from mixed pieces.
struct Args(Vec<Vec<u8>>);

impl Args {
    fn new(name: &str) -> Args {
        Args(vec![name.as_bytes().to_vec()])
    }
    fn s(mut self, text: &str) -> Args {
        self.0.push(text.as_bytes().to_vec());
        self
    }
    fn b(mut self, bytes: Vec<u8>) -> Args {
        self.0.push(bytes);
        self
    }
    fn keys(mut self, keys: &KeyList) -> Args {
        self.0.extend(keys.0.iter().map(|k| k.bytes()));
        self
    }
    fn members_z(mut self, members: &ZMemberList) -> Args {
        self.0.extend(members.0.iter().map(|m| m.bytes()));
        self
    }

    fn members(mut self, members: &MemberList) -> Args {
        self.0.extend(members.0.iter().map(|m| m.bytes()));
        self
    }
    fn fields(mut self, fields: &FieldList) -> Args {
        self.0.extend(fields.0.iter().map(|f| f.bytes()));
        self
    }
}

fn field_values_argv(name: &str, key: Key, pairs: &FieldValues) -> Vec<Vec<u8>> {
    let mut args = Args::new(name).b(key.bytes());
    for (f, v) in &pairs.0 {
        args = args.b(f.bytes()).b(v.bytes());
    }
    args.0
}

fn key_cmd(name: &str, key: Key) -> Vec<Vec<u8>> {
    Args::new(name).b(key.bytes()).0
}

impl Op {
    /// What the driver should do.
    pub fn step(&self) -> Step {
        match self {
            Op::ScanAll { pattern, type_name } => Step::ScanAll {
                pattern: pattern.map(|p| pick(PATTERN_TABLE, p.0).as_bytes().to_vec()),
                type_name: type_name.map(|t| pick(TYPE_TABLE, t.0).as_bytes().to_vec()),
            },
            Op::AdvanceTime(d) => Step::AdvanceTime(pick(DELAY_TABLE, d.0)),
            Op::SwitchClient(n) => Step::SwitchClient(u64::from(n % 3)),
            Op::Persistence(PersistOp::Restart) => Step::Restart,
            Op::Persistence(p) => match p.dump_restore() {
                Some((dump, restore)) => Step::DumpRestore { dump, restore },
                None => Step::Command(p.to_argv()),
            },
            _ => Step::Command(self.to_argv()),
        }
    }

    /// The command's argument vector; empty for `ScanAll`, `AdvanceTime`
    /// and `SwitchClient`, which are not single commands (see [`Op::step`]).
    pub fn to_argv(&self) -> Vec<Vec<u8>> {
        match self {
            Op::Get(k) => key_cmd("GET", *k),
            Op::Set { key, value, cond, get, expire } => set_argv(*key, *value, *cond, *get, *expire),
            Op::SetNx(k, v) => Args::new("SETNX").b(k.bytes()).b(v.bytes()).0,
            Op::SetEx(k, t, v) => Args::new("SETEX").b(k.bytes()).s(pick(REL_TABLE, t.0)).b(v.bytes()).0,
            Op::PSetEx(k, t, v) => Args::new("PSETEX").b(k.bytes()).s(pick(REL_TABLE, t.0)).b(v.bytes()).0,
            Op::MGet(keys) => Args::new("MGET").keys(keys).0,
            Op::MSet(pairs) => pairs_argv("MSET", pairs),
            Op::MSetNx(pairs) => pairs_argv("MSETNX", pairs),
            Op::GetSet(k, v) => Args::new("GETSET").b(k.bytes()).b(v.bytes()).0,
            Op::GetDel(k) => key_cmd("GETDEL", *k),
            Op::GetEx(k, opt) => getex_argv(*k, *opt),
            Op::Append(k, v) => Args::new("APPEND").b(k.bytes()).b(v.bytes()).0,
            Op::Strlen(k) => key_cmd("STRLEN", *k),
            Op::GetRange(k, a, b) => range_argv("GETRANGE", *k, *a, *b),
            Op::Substr(k, a, b) => range_argv("SUBSTR", *k, *a, *b),
            Op::SetRange(k, o, v) => Args::new("SETRANGE").b(k.bytes()).s(pick(OFFSET_TABLE, o.0)).b(v.bytes()).0,
            Op::Incr(k) => key_cmd("INCR", *k),
            Op::Decr(k) => key_cmd("DECR", *k),
            Op::IncrBy(k, n) => Args::new("INCRBY").b(k.bytes()).s(pick(INT_TABLE, n.0)).0,
            Op::DecrBy(k, n) => Args::new("DECRBY").b(k.bytes()).s(pick(INT_TABLE, n.0)).0,
            Op::IncrByFloat(k, f) => Args::new("INCRBYFLOAT").b(k.bytes()).s(pick(FLOAT_TABLE, f.0)).0,
            Op::Lcs(a, b, mode) => lcs_argv(*a, *b, *mode),
            Op::Del(keys) => Args::new("DEL").keys(keys).0,
            Op::Unlink(keys) => Args::new("UNLINK").keys(keys).0,
            Op::Exists(keys) => Args::new("EXISTS").keys(keys).0,
            Op::Type(k) => key_cmd("TYPE", *k),
            Op::Rename(a, b) => Args::new("RENAME").b(a.bytes()).b(b.bytes()).0,
            Op::RenameNx(a, b) => Args::new("RENAMENX").b(a.bytes()).b(b.bytes()).0,
            Op::Move(k, db) => Args::new("MOVE").b(k.bytes()).s(db.text()).0,
            Op::Copy { src, dst, db, replace } => {
                let mut args = Args::new("COPY").b(src.bytes()).b(dst.bytes());
                if let Some(db) = db {
                    args = args.s("DB").s(db.text());
                }
                if *replace {
                    args = args.s("REPLACE");
                }
                args.0
            }
            Op::SwapDb(a, b) => Args::new("SWAPDB").s(a.text()).s(b.text()).0,
            Op::DbSize => Args::new("DBSIZE").0,
            Op::Touch(keys) => Args::new("TOUCH").keys(keys).0,
            Op::Keys(p) => Args::new("KEYS").s(pick(PATTERN_TABLE, p.0)).0,
            Op::RandomKey => Args::new("RANDOMKEY").0,
            Op::Scan { cursor, pattern, count, type_name } => {
                let mut args = Args::new("SCAN").s(pick(CURSOR_TABLE, cursor.0));
                if let Some(p) = pattern {
                    args = args.s("MATCH").s(pick(PATTERN_TABLE, p.0));
                }
                if let Some(c) = count {
                    args = args.s("COUNT").s(pick(COUNT_TABLE, c.0));
                }
                if let Some(t) = type_name {
                    args = args.s("TYPE").s(pick(TYPE_TABLE, t.0));
                }
                args.0
            }
            Op::Expire(k, cmd, cond) => expire_argv(*k, *cmd, *cond),
            Op::Ttl(k) => key_cmd("TTL", *k),
            Op::Pttl(k) => key_cmd("PTTL", *k),
            Op::ExpireTime(k) => key_cmd("EXPIRETIME", *k),
            Op::PExpireTime(k) => key_cmd("PEXPIRETIME", *k),
            Op::Persist(k) => key_cmd("PERSIST", *k),
            Op::Ping(None) => Args::new("PING").0,
            Op::Ping(Some(v)) => Args::new("PING").b(v.bytes()).0,
            Op::Echo(v) => Args::new("ECHO").b(v.bytes()).0,
            Op::FlushDb => Args::new("FLUSHDB").0,
            Op::FlushAll => Args::new("FLUSHALL").0,
            Op::Select(db) => Args::new("SELECT").s(db.text()).0,
            Op::Multi => Args::new("MULTI").0,
            Op::Exec => Args::new("EXEC").0,
            Op::Discard => Args::new("DISCARD").0,
            Op::Watch(keys) => Args::new("WATCH").keys(keys).0,
            Op::Unwatch => Args::new("UNWATCH").0,
            Op::PubSub(op) => op.to_argv(),
            Op::Reset => Args::new("RESET").0,
            Op::Publish(k, v) => Args::new("PUBLISH").b(k.bytes()).b(v.bytes()).0,
            Op::Notify(op) => op.to_argv(),
            Op::Acl(op) => op.to_argv(),
            Op::AclSetUser(u, n, a, b, c) => AclOp::SetUser(*u, *n, *a, *b, *c).to_argv(),
            Op::AclAuth(u, p) => AclOp::Auth(*u, *p).to_argv(),
            Op::XAdd(k, id, f) => streams::xadd(*k, *id, f),
            Op::Persistence(p) => p.to_argv(),
            Op::Stream(op) => op.argv(),
            Op::Malformed(m) => pick(MALFORMED_TABLE, m.0).iter().map(|a| a.as_bytes().to_vec()).collect(),
            Op::ScanAll { .. } | Op::AdvanceTime(_) | Op::SwitchClient(_) => Vec::new(),
            Op::SetBit(k, o, v) => {
                Args::new("SETBIT").b(k.bytes()).s(bits::offset_text(*o)).s(bits::bit_arg_text(*v)).0
            }
            Op::GetBit(k, o) => Args::new("GETBIT").b(k.bytes()).s(bits::offset_text(*o)).0,
            Op::BitCount(k, range) => {
                let mut args = Args::new("BITCOUNT").b(k.bytes());
                if let Some((start, end, unit)) = range {
                    args = args.s(bits::range_text(*start)).s(bits::range_text(*end));
                    if let Some(u) = unit {
                        args = args.s(bits::unit_text(*u));
                    }
                }
                args.0
            }
            Op::BitPos(k, bit, range) => {
                let mut args = Args::new("BITPOS").b(k.bytes()).s(bits::bit_arg_text(*bit));
                if let Some((start, rest)) = range {
                    args = args.s(bits::range_text(*start));
                    if let Some((end, unit)) = rest {
                        args = args.s(bits::range_text(*end));
                        if let Some(u) = unit {
                            args = args.s(bits::unit_text(*u));
                        }
                    }
                }
                args.0
            }
            Op::BitOp(kind, dest, sources) => bits::bitop_argv(*kind, *dest, sources),
            Op::BitField { key, subs, read_only } => bits::bitfield_argv(*key, subs, *read_only),
            Op::PfAdd(k, elements) => bits::pfadd_argv(*k, elements),
            Op::PfAddBulk { key, seed, size } => bits::pfadd_bulk_argv(*key, *seed, *size),
            Op::PfCount(keys) => Args::new("PFCOUNT").keys(keys).0,
            Op::PfMerge(dest, sources) => {
                let mut args = Args::new("PFMERGE").b(dest.bytes());
                for k in sources.iter().take(3) {
                    args = args.b(k.bytes());
                }
                args.0
            }
            Op::PfDebug(sub, k) => bits::pfdebug_argv(*sub, *k),
            Op::SetHll(k, sample) => bits::set_hll_argv(*k, *sample),
            Op::BitsMalformed(m) => pick(bits::MALFORMED, m.0).iter().map(|a| a.as_bytes().to_vec()).collect(),
            Op::SAdd(k, members) => Args::new("SADD").b(k.bytes()).members(members).0,
            Op::SRem(k, members) => Args::new("SREM").b(k.bytes()).members(members).0,
            Op::SMembers(k) => key_cmd("SMEMBERS", *k),
            Op::SIsMember(k, x) => Args::new("SISMEMBER").b(k.bytes()).b(x.bytes()).0,
            Op::SMIsMember(k, members) => Args::new("SMISMEMBER").b(k.bytes()).members(members).0,
            Op::SCard(k) => key_cmd("SCARD", *k),
            Op::SPop(k, None) => key_cmd("SPOP", *k),
            Op::SPop(k, Some(c)) => Args::new("SPOP").b(k.bytes()).s(pick(POP_COUNT_TABLE, c.0)).0,
            Op::SRandMember(k, None) => key_cmd("SRANDMEMBER", *k),
            Op::SRandMember(k, Some(c)) => Args::new("SRANDMEMBER").b(k.bytes()).s(pick(RAND_COUNT_TABLE, c.0)).0,
            Op::SMove(a, b, x) => Args::new("SMOVE").b(a.bytes()).b(b.bytes()).b(x.bytes()).0,
            Op::SInter(keys) => Args::new("SINTER").keys(keys).0,
            Op::SInterCard(n, keys, limit) => {
                let mut args = Args::new("SINTERCARD").s(&n.text(keys.0.len())).keys(keys);
                if let Some(l) = limit {
                    args = args.s("LIMIT").s(pick(LIMIT_TABLE, l.0));
                }
                args.0
            }
            Op::SUnion(keys) => Args::new("SUNION").keys(keys).0,
            Op::SDiff(keys) => Args::new("SDIFF").keys(keys).0,
            Op::SInterStore(d, keys) => Args::new("SINTERSTORE").b(d.bytes()).keys(keys).0,
            Op::SUnionStore(d, keys) => Args::new("SUNIONSTORE").b(d.bytes()).keys(keys).0,
            Op::SDiffStore(d, keys) => Args::new("SDIFFSTORE").b(d.bytes()).keys(keys).0,
            Op::SScan { key, cursor, pattern, count } => {
                let mut args = Args::new("SSCAN").b(key.bytes()).s(pick(CURSOR_TABLE, cursor.0));
                if let Some(p) = pattern {
                    args = args.s("MATCH").s(pick(MEMBER_PATTERN_TABLE, p.0));
                }
                if let Some(c) = count {
                    args = args.s("COUNT").s(pick(COUNT_TABLE, c.0));
                }
                args.0
            }
            Op::HSet(k, pairs) => field_values_argv("HSET", *k, pairs),
            Op::HMSet(k, pairs) => field_values_argv("HMSET", *k, pairs),
            Op::HSetNx(k, f, v) => Args::new("HSETNX").b(k.bytes()).b(f.bytes()).b(v.bytes()).0,
            Op::HGet(k, f) => Args::new("HGET").b(k.bytes()).b(f.bytes()).0,
            Op::HMGet(k, fields) => Args::new("HMGET").b(k.bytes()).fields(fields).0,
            Op::HDel(k, fields) => Args::new("HDEL").b(k.bytes()).fields(fields).0,
            Op::HLen(k) => key_cmd("HLEN", *k),
            Op::HStrlen(k, f) => Args::new("HSTRLEN").b(k.bytes()).b(f.bytes()).0,
            Op::HExists(k, f) => Args::new("HEXISTS").b(k.bytes()).b(f.bytes()).0,
            Op::HKeys(k) => key_cmd("HKEYS", *k),
            Op::HVals(k) => key_cmd("HVALS", *k),
            Op::HGetAll(k) => key_cmd("HGETALL", *k),
            Op::HIncrBy(k, f, n) => Args::new("HINCRBY").b(k.bytes()).b(f.bytes()).s(pick(INT_TABLE, n.0)).0,
            Op::HIncrByFloat(k, f, n) => {
                Args::new("HINCRBYFLOAT").b(k.bytes()).b(f.bytes()).s(pick(FLOAT_TABLE, n.0)).0
            }
            Op::HRandField { key, count, with_values } => {
                let mut args = Args::new("HRANDFIELD").b(key.bytes());
                if let Some(c) = count {
                    args = args.s(pick(FIELD_COUNT_TABLE, c.0));
                    if *with_values {
                        args = args.s("WITHVALUES");
                    }
                }
                args.0
            }
            Op::HScan { key, cursor, pattern, count } => {
                let mut args = Args::new("HSCAN").b(key.bytes()).s(pick(CURSOR_TABLE, cursor.0));
                if let Some(p) = pattern {
                    args = args.s("MATCH").s(pick(FIELD_PATTERN_TABLE, p.0));
                }
                if let Some(c) = count {
                    args = args.s("COUNT").s(pick(COUNT_TABLE, c.0));
                }
                args.0
            }
            Op::SetMalformed(m) => pick(SET_MALFORMED_TABLE, m.0).iter().map(|a| a.as_bytes().to_vec()).collect(),
            Op::ZAdd(k, flags, pairs) => zsets::zadd(*k, *flags, pairs, false),
            Op::ZIncrBy(k, score, m) => zsets::zadd(*k, ZAddFlags(0), &ZScorePairs(vec![(*score, *m)]), true),
            Op::ZRem(k, list) => zsets::zrem(*k, list),
            Op::ZCard(k) => key_cmd("ZCARD", *k),
            Op::ZScoreOf(k, m) => zsets::key_member("ZSCORE", *k, *m),
            Op::ZMScore(k, list) => zsets::zmscore(*k, list),
            Op::ZRank(k, m) => zsets::key_member("ZRANK", *k, *m),
            Op::ZRevRank(k, m) => zsets::key_member("ZREVRANK", *k, *m),
            Op::ZCount(k, a, b) => zsets::zcount(*k, *a, *b),
            Op::ZLexCount(k, a, b) => zsets::zlexcount(*k, *a, *b),
            Op::ZRange { key, by, rev, withscores, limit } => zsets::zrange(*key, *by, *rev, *withscores, *limit, None),
            Op::ZRangeStore { dst, key, by, rev, limit } => zsets::zrange(*key, *by, *rev, false, *limit, Some(*dst)),
            Op::ZOldRange { key, form, withscores, limit } => zsets::zold_range(*key, *form, *withscores, *limit),
            Op::ZRemRange(k, by) => zsets::zremrange(*k, *by),
            Op::ZPopMin(k, c) => zsets::zpop(*k, false, *c),
            Op::ZPopMax(k, c) => zsets::zpop(*k, true, *c),
            Op::ZMPop { keys, max, count } => zsets::zmpop(keys, *max, *count),
            Op::ZRandMember(k, c) => zsets::zrandmember(*k, *c),
            Op::ZScan { key, cursor_zero, pattern, count } => zsets::zscan(*key, *cursor_zero, *pattern, *count),
            Op::ZSetOp { op, dst, keys, weight, aggregate, opts } => {
                zsets::zsetop(*op, *dst, keys, *weight, *aggregate, *opts)
            }
            Op::ZMalformed(m) => m.argv(),
            Op::GeoAdd(k, flags, first, more) => {
                geo::geoadd(*k, *flags, &std::iter::once(*first).chain(more.iter().copied()).collect::<Vec<_>>())
            }
            Op::GeoRead(r) => geo::read(r),
            Op::GeoSearch(s) => geo::search(s),
            Op::HashMalformed(m) => pick(HASH_MALFORMED_TABLE, m.0).iter().map(|a| a.as_bytes().to_vec()).collect(),
            Op::Sort { key, options, store } => {
                let mut args = options.push(Args::new("SORT").b(key.bytes()));
                if let Some(dest) = store {
                    args = args.s("STORE").b(dest.bytes());
                }
                args.0
            }
            Op::SortRo { key, options } => options.push(Args::new("SORT_RO").b(key.bytes())).0,
            Op::SortMalformed(m) => pick(SORT_MALFORMED_TABLE, m.0).iter().map(|a| a.as_bytes().to_vec()).collect(),
            Op::BZPop { keys, max, timeout } => zsets::bzpop(keys, *max, timeout.text()),
            Op::BZMPop { keys, max, count, timeout } => zsets::bzmpop(keys, *max, *count, timeout.text()),
            _ => list_argv(self),
        }
    }

    /// True for the commands that may block (a driver talking to a real
    /// server over one connection skips them).
    pub fn may_block(&self) -> bool {
        matches!(
            self,
            Op::BPop { .. }
                | Op::BLMove { .. }
                | Op::BRPopLPush(..)
                | Op::BLMPop { .. }
                | Op::BZPop { .. }
                | Op::BZMPop { .. }
        )
    }
}

fn count_text(c: ListCount) -> &'static str {
    pick(LIST_COUNT_TABLE, c.0)
}

fn index_text(i: ListIndex) -> &'static str {
    pick(LIST_INDEX_TABLE, i.0)
}

fn side_text(s: Side) -> &'static str {
    pick(SIDE_TABLE, s.0)
}

fn timeout_text(t: BlockTimeout) -> &'static str {
    pick(BLOCK_TIMEOUT_TABLE, t.0)
}

/// The argument vectors of the list commands.
fn list_argv(op: &Op) -> Vec<Vec<u8>> {
    match op {
        Op::Push { left, only_existing, key, elems } => {
            let name = match (left, only_existing) {
                (true, false) => "LPUSH",
                (false, false) => "RPUSH",
                (true, true) => "LPUSHX",
                (false, true) => "RPUSHX",
            };
            let mut args = Args::new(name).b(key.bytes());
            for e in &elems.0 {
                args = args.b(e.bytes());
            }
            args.0
        }
        Op::Pop { left, key, count } => {
            let args = Args::new(if *left { "LPOP" } else { "RPOP" }).b(key.bytes());
            match count {
                Some(c) => args.s(count_text(*c)).0,
                None => args.0,
            }
        }
        Op::LMPop { keys, side, count } => {
            let mut args = Args::new("LMPOP").s(&keys.0.len().to_string()).keys(keys).s(side_text(*side));
            if let Some(c) = count {
                args = args.s("COUNT").s(count_text(*c));
            }
            args.0
        }
        Op::LLen(k) => key_cmd("LLEN", *k),
        Op::LRange(k, a, b) => Args::new("LRANGE").b(k.bytes()).s(index_text(*a)).s(index_text(*b)).0,
        Op::LIndex(k, i) => Args::new("LINDEX").b(k.bytes()).s(index_text(*i)).0,
        Op::LSet(k, i, e) => Args::new("LSET").b(k.bytes()).s(index_text(*i)).b(e.bytes()).0,
        Op::LInsert { key, before, pivot, elem } => {
            Args::new("LINSERT")
                .b(key.bytes())
                .s(if *before { "BEFORE" } else { "AFTER" })
                .b(pivot.bytes())
                .b(elem.bytes())
                .0
        }
        Op::LRem(k, c, e) => Args::new("LREM").b(k.bytes()).s(count_text(*c)).b(e.bytes()).0,
        Op::LTrim(k, a, b) => Args::new("LTRIM").b(k.bytes()).s(index_text(*a)).s(index_text(*b)).0,
        Op::LPos { key, elem, opts } => {
            let mut args = Args::new("LPOS").b(key.bytes()).b(elem.bytes());
            if let Some(r) = opts.rank {
                args = args.s("RANK").s(count_text(r));
            }
            if let Some(c) = opts.count {
                args = args.s("COUNT").s(count_text(c));
            }
            if let Some(m) = opts.maxlen {
                args = args.s("MAXLEN").s(count_text(m));
            }
            args.0
        }
        Op::LMove { src, dst, from, to } => {
            Args::new("LMOVE").b(src.bytes()).b(dst.bytes()).s(side_text(*from)).s(side_text(*to)).0
        }
        Op::RPopLPush(a, b) => Args::new("RPOPLPUSH").b(a.bytes()).b(b.bytes()).0,
        Op::LPushOne(k, e) => Args::new("LPUSH").b(k.bytes()).b(e.bytes()).0,
        Op::RPushOne(k, e) => Args::new("RPUSH").b(k.bytes()).b(e.bytes()).0,
        Op::BPop { left, keys, timeout } => {
            Args::new(if *left { "BLPOP" } else { "BRPOP" }).keys(keys).s(timeout_text(*timeout)).0
        }
        Op::BLMove { src, dst, from, to, timeout } => {
            Args::new("BLMOVE")
                .b(src.bytes())
                .b(dst.bytes())
                .s(side_text(*from))
                .s(side_text(*to))
                .s(timeout_text(*timeout))
                .0
        }
        Op::BRPopLPush(a, b, t) => Args::new("BRPOPLPUSH").b(a.bytes()).b(b.bytes()).s(timeout_text(*t)).0,
        Op::BLMPop { timeout, keys, side, count } => {
            let mut args = Args::new("BLMPOP")
                .s(timeout_text(*timeout))
                .s(&keys.0.len().to_string())
                .keys(keys)
                .s(side_text(*side));
            if let Some(c) = count {
                args = args.s("COUNT").s(count_text(*c));
            }
            args.0
        }
        _ => Vec::new(),
    }
}

fn set_argv(key: Key, value: Val, cond: Option<SetCond>, get: bool, expire: Option<SetExpire>) -> Vec<Vec<u8>> {
    let mut args = Args::new("SET").b(key.bytes()).b(value.bytes());
    match cond {
        Some(SetCond::Nx) => args = args.s("NX"),
        Some(SetCond::Xx) => args = args.s("XX"),
        None => {}
    }
    if get {
        args = args.s("GET");
    }
    match expire {
        Some(SetExpire::Ex(t)) => args = args.s("EX").s(pick(REL_TABLE, t.0)),
        Some(SetExpire::Px(t)) => args = args.s("PX").s(pick(REL_TABLE, t.0)),
        Some(SetExpire::ExAt(t)) => args = args.s("EXAT").s(&t.text(1000)),
        Some(SetExpire::PxAt(t)) => args = args.s("PXAT").s(&t.text(1)),
        Some(SetExpire::KeepTtl) => args = args.s("KEEPTTL"),
        None => {}
    }
    args.0
}

fn getex_argv(key: Key, opt: Option<GetExOpt>) -> Vec<Vec<u8>> {
    let args = Args::new("GETEX").b(key.bytes());
    match opt {
        None => args,
        Some(GetExOpt::Ex(t)) => args.s("EX").s(pick(REL_TABLE, t.0)),
        Some(GetExOpt::Px(t)) => args.s("PX").s(pick(REL_TABLE, t.0)),
        Some(GetExOpt::ExAt(t)) => args.s("EXAT").s(&t.text(1000)),
        Some(GetExOpt::PxAt(t)) => args.s("PXAT").s(&t.text(1)),
        Some(GetExOpt::Persist) => args.s("PERSIST"),
    }
    .0
}

fn pairs_argv(name: &str, pairs: &PairList) -> Vec<Vec<u8>> {
    let mut args = Args::new(name);
    for (k, v) in &pairs.0 {
        args = args.b(k.bytes()).b(v.bytes());
    }
    args.0
}

fn range_argv(name: &str, key: Key, a: Index, b: Index) -> Vec<Vec<u8>> {
    Args::new(name).b(key.bytes()).s(pick(INDEX_TABLE, a.0)).s(pick(INDEX_TABLE, b.0)).0
}

fn lcs_argv(a: Key, b: Key, mode: LcsMode) -> Vec<Vec<u8>> {
    let args = Args::new("LCS").b(a.bytes()).b(b.bytes());
    match mode {
        LcsMode::Plain => args.0,
        LcsMode::Len => args.s("LEN").0,
        LcsMode::Idx { min_match_len, with_match_len } => {
            let mut args = args.s("IDX");
            if let Some(n) = min_match_len {
                args = args.s("MINMATCHLEN").s(&(n % 4).to_string());
            }
            if with_match_len {
                args = args.s("WITHMATCHLEN");
            }
            args.0
        }
    }
}

fn expire_argv(key: Key, cmd: ExpireCmd, cond: Option<ExpireCond>) -> Vec<Vec<u8>> {
    let args = match cmd {
        ExpireCmd::Expire(t) => Args::new("EXPIRE").b(key.bytes()).s(pick(REL_TABLE, t.0)),
        ExpireCmd::PExpire(t) => Args::new("PEXPIRE").b(key.bytes()).s(pick(REL_TABLE, t.0)),
        ExpireCmd::ExpireAt(t) => Args::new("EXPIREAT").b(key.bytes()).s(&t.text(1000)),
        ExpireCmd::PExpireAt(t) => Args::new("PEXPIREAT").b(key.bytes()).s(&t.text(1)),
    };
    match cond {
        None => args,
        Some(ExpireCond::Nx) => args.s("NX"),
        Some(ExpireCond::Xx) => args.s("XX"),
        Some(ExpireCond::Gt) => args.s("GT"),
        Some(ExpireCond::Lt) => args.s("LT"),
    }
    .0
}

/// Decodes a sequence of operations from raw bytes (for fuzzers and
/// property tests that generate bytes). Stops at `max_ops`.
pub fn ops_from_bytes(bytes: &[u8], max_ops: usize) -> Vec<Op> {
    let mut u = Unstructured::new(bytes);
    let mut ops = Vec::new();
    while ops.len() < max_ops && !u.is_empty() {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}
