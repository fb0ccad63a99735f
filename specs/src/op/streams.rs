//! Generated stream operations: a handful of small IDs (explicit, `ms-*`, `*`, the maximal one)
//! so entries collide and the ID order is tested, exact trimming, two groups and three
//! consumers so pending entries move between owners, and idle times that the generated clock
//! advances reach.

use super::{pick, Args, Key, KeyList};
use arbitrary::{Arbitrary, Unstructured};

/// An entry ID argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XId(pub u8);

const ID_TABLE: &[&str] = &[
    "1",
    "2",
    "3",
    "1-1",
    "2-1",
    "3-5",
    "5",
    "0-1",
    "1-*",
    "2-*",
    "*",
    "*",
    "*",
    "0",
    "10",
    "x",
    "-",
    "+",
    "4-0",
    "18446744073709551615-18446744073709551615",
];

impl XId {
    fn text(self) -> &'static str {
        pick(ID_TABLE, self.0)
    }
}

/// 1 to 3 IDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XIdList(pub Vec<XId>);

impl<'a> Arbitrary<'a> for XIdList {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=3)?;
        (0..n).map(|_| XId::arbitrary(u)).collect::<Result<_, _>>().map(XIdList)
    }
}

/// A range bound (XRANGE, XPENDING, XAUTOCLAIM).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XBound(pub u8);

const BOUND_TABLE: &[&str] = &["-", "+", "-", "+", "1", "2", "(1", "(2-0", "3", "1-1", "(", "x", "0", "5", "(+"];

/// A COUNT-like number (also ENTRIESREAD, ENTRIESADDED, RETRYCOUNT, MAXLEN).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XNum(pub u8);

const NUM_TABLE: &[&str] = &["1", "2", "0", "3", "-1", "10", "x"];

/// An idle time in milliseconds.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XIdle(pub u8);

const IDLE_TABLE: &[&str] = &["0", "0", "1000", "100000", "1", "-5", "x"];

/// An XCLAIM TIME value (the generated clock starts at 1700000000000).
const TIME_TABLE: &[&str] = &["0", "1700000000000", "1700000000500", "99999999999999", "-1"];

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XGroup(pub u8);

const GROUP_TABLE: &[&str] = &["g1", "g1", "g2", "nog"];

#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XConsumer(pub u8);

const CONSUMER_TABLE: &[&str] = &["alice", "alice", "bob", "carol"];

/// 1 or 2 field-value pairs from a tiny alphabet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XFields(pub Vec<(u8, u8)>);

const FIELD_TABLE: &[&str] = &["f", "g", "f", "1"];
const VALUE_TABLE: &[&str] = &["v", "1", "", "abc", "-2"];

impl<'a> Arbitrary<'a> for XFields {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=2)?;
        (0..n).map(|_| Ok((u8::arbitrary(u)?, u8::arbitrary(u)?))).collect::<Result<_, _>>().map(XFields)
    }
}

/// MAXLEN or MINID, with `=` or nothing (approximate trimming depends on Redis's nodes, which
/// the model leaves out).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct XTrim {
    pub minid: bool,
    pub equals: bool,
    pub value: u8,
}

const MAXLEN_TABLE: &[&str] = &["0", "1", "2", "3", "-1", "x"];

impl XTrim {
    fn push(self, args: Args) -> Args {
        let args = args.s(if self.minid { "MINID" } else { "MAXLEN" });
        let args = if self.equals { args.s("=") } else { args };
        if self.minid {
            args.s(XId(self.value).text())
        } else {
            args.s(pick(MAXLEN_TABLE, self.value))
        }
    }
}

/// Stream commands other than plain XADD.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum StreamOp {
    Add {
        key: Key,
        nomkstream: bool,
        trim: Option<XTrim>,
        id: XId,
        fields: XFields,
    },
    Len(Key),
    Range {
        key: Key,
        rev: bool,
        start: XBound,
        end: XBound,
        count: Option<XNum>,
    },
    Del(Key, XIdList),
    Trim(Key, XTrim),
    SetId {
        key: Key,
        id: XId,
        added: Option<XNum>,
        max_deleted: Option<XId>,
    },
    Create {
        key: Key,
        group: XGroup,
        id: Option<XId>,
        mkstream: bool,
        entries_read: Option<XNum>,
    },
    SetGroupId {
        key: Key,
        group: XGroup,
        id: Option<XId>,
        entries_read: Option<XNum>,
    },
    Destroy(Key, XGroup),
    CreateConsumer(Key, XGroup, XConsumer),
    DelConsumer(Key, XGroup, XConsumer),
    Read {
        keys: KeyList,
        last: bool,
        id: XId,
        count: Option<XNum>,
    },
    ReadGroup {
        key: Key,
        group: XGroup,
        consumer: XConsumer,
        history: Option<XId>,
        count: Option<XNum>,
        noack: bool,
    },
    Ack(Key, XGroup, XIdList),
    Pending {
        key: Key,
        group: XGroup,
        range: Option<(Option<XIdle>, XBound, XBound, XNum, Option<XConsumer>)>,
    },
    Claim {
        key: Key,
        group: XGroup,
        consumer: XConsumer,
        min_idle: XIdle,
        ids: XIdList,
        opts: u8,
        values: (u8, u8),
    },
    AutoClaim {
        key: Key,
        group: XGroup,
        consumer: XConsumer,
        min_idle: XIdle,
        start: XBound,
        count: Option<XNum>,
        justid: bool,
    },
    InfoGroups(Key),
    InfoConsumers(Key, XGroup),
    Malformed(u8),
}

/// Hand-picked malformed stream commands.
const MALFORMED: &[&[&str]] = &[
    &["XADD", "a", "1"],
    &["XADD", "a", "1", "f"],
    &["XADD", "a", "MAXLEN", "1", "MINID", "1", "*", "f", "v"],
    &["XADD", "a", "LIMIT", "1", "*", "f", "v"],
    &["XADD", "a", "MAXLEN", "=", "1", "LIMIT", "1", "*", "f", "v"],
    &["XTRIM", "a"],
    &["XTRIM", "a", "FOO", "1"],
    &["XRANGE", "a", "-", "+", "COUNT"],
    &["XREAD", "STREAMS", "a"],
    &["XREAD", "COUNT", "1"],
    &["XREAD", "STREAMS", "a", ">"],
    &["XREADGROUP", "STREAMS", "a", ">"],
    &["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "a", "$"],
    &["XGROUP", "FOO", "a", "g1"],
    &["XGROUP", "HELP"],
    &["XGROUP", "CREATE", "a", "g1", "0", "FOO"],
    &["XINFO", "HELP"],
    &["XINFO", "FOO", "a"],
    &["XPENDING", "a", "g1", "-", "+"],
    &["XCLAIM", "a", "g1", "alice", "x", "1"],
    &["XAUTOCLAIM", "a", "g1", "alice", "0", "0", "COUNT", "0"],
    &["XSETID", "a", "1", "FOO", "1"],
];

fn fields(args: Args, f: &XFields) -> Args {
    f.0.iter().fold(args, |a, (k, v)| a.s(pick(FIELD_TABLE, *k)).s(pick(VALUE_TABLE, *v)))
}

fn name(table: &[&'static str], i: u8) -> &'static str {
    pick(table, i)
}

/// Plain XADD key id field value [...] (its own op so that streams are common).
pub fn xadd(key: Key, id: XId, f: &XFields) -> Vec<Vec<u8>> {
    fields(Args::new("XADD").b(key.bytes()).s(id.text()), f).0
}

impl StreamOp {
    pub fn argv(&self) -> Vec<Vec<u8>> {
        match self {
            StreamOp::Add { key, nomkstream, trim, id, fields: f } => {
                let mut a = Args::new("XADD").b(key.bytes());
                if *nomkstream {
                    a = a.s("NOMKSTREAM");
                }
                if let Some(t) = trim {
                    a = t.push(a);
                }
                fields(a.s(id.text()), f).0
            }
            StreamOp::Len(k) => Args::new("XLEN").b(k.bytes()).0,
            StreamOp::Range { key, rev, start, end, count } => {
                let mut a = Args::new(if *rev { "XREVRANGE" } else { "XRANGE" })
                    .b(key.bytes())
                    .s(pick(BOUND_TABLE, start.0))
                    .s(pick(BOUND_TABLE, end.0));
                if let Some(c) = count {
                    a = a.s("COUNT").s(pick(NUM_TABLE, c.0));
                }
                a.0
            }
            StreamOp::Del(k, ids) => ids.0.iter().fold(Args::new("XDEL").b(k.bytes()), |a, id| a.s(id.text())).0,
            StreamOp::Trim(k, t) => t.push(Args::new("XTRIM").b(k.bytes())).0,
            StreamOp::SetId { key, id, added, max_deleted } => {
                let mut a = Args::new("XSETID").b(key.bytes()).s(id.text());
                if let Some(n) = added {
                    a = a.s("ENTRIESADDED").s(pick(NUM_TABLE, n.0));
                }
                if let Some(d) = max_deleted {
                    a = a.s("MAXDELETEDID").s(d.text());
                }
                a.0
            }
            StreamOp::Create { key, group, id, mkstream, entries_read } => {
                let mut a = Args::new("XGROUP")
                    .s("CREATE")
                    .b(key.bytes())
                    .s(name(GROUP_TABLE, group.0))
                    .s(id.map_or("$", |i| i.text()));
                if *mkstream {
                    a = a.s("MKSTREAM");
                }
                if let Some(n) = entries_read {
                    a = a.s("ENTRIESREAD").s(pick(NUM_TABLE, n.0));
                }
                a.0
            }
            StreamOp::SetGroupId { key, group, id, entries_read } => {
                let mut a = Args::new("XGROUP")
                    .s("SETID")
                    .b(key.bytes())
                    .s(name(GROUP_TABLE, group.0))
                    .s(id.map_or("$", |i| i.text()));
                if let Some(n) = entries_read {
                    a = a.s("ENTRIESREAD").s(pick(NUM_TABLE, n.0));
                }
                a.0
            }
            StreamOp::Destroy(k, g) => Args::new("XGROUP").s("DESTROY").b(k.bytes()).s(name(GROUP_TABLE, g.0)).0,
            StreamOp::CreateConsumer(k, g, c) => {
                Args::new("XGROUP")
                    .s("CREATECONSUMER")
                    .b(k.bytes())
                    .s(name(GROUP_TABLE, g.0))
                    .s(name(CONSUMER_TABLE, c.0))
                    .0
            }
            StreamOp::DelConsumer(k, g, c) => {
                Args::new("XGROUP")
                    .s("DELCONSUMER")
                    .b(k.bytes())
                    .s(name(GROUP_TABLE, g.0))
                    .s(name(CONSUMER_TABLE, c.0))
                    .0
            }
            StreamOp::Read { keys, last, id, count } => {
                let mut a = Args::new("XREAD");
                if let Some(c) = count {
                    a = a.s("COUNT").s(pick(NUM_TABLE, c.0));
                }
                a = a.s("STREAMS").keys(keys);
                for _ in &keys.0 {
                    a = a.s(if *last { "$" } else { id.text() });
                }
                a.0
            }
            StreamOp::ReadGroup { key, group, consumer, history, count, noack } => {
                let mut a = Args::new("XREADGROUP")
                    .s("GROUP")
                    .s(name(GROUP_TABLE, group.0))
                    .s(name(CONSUMER_TABLE, consumer.0));
                if let Some(c) = count {
                    a = a.s("COUNT").s(pick(NUM_TABLE, c.0));
                }
                if *noack {
                    a = a.s("NOACK");
                }
                a.s("STREAMS").b(key.bytes()).s(history.map_or(">", |h| h.text())).0
            }
            StreamOp::Ack(k, g, ids) => {
                ids.0.iter().fold(Args::new("XACK").b(k.bytes()).s(name(GROUP_TABLE, g.0)), |a, id| a.s(id.text())).0
            }
            StreamOp::Pending { key, group, range } => {
                let mut a = Args::new("XPENDING").b(key.bytes()).s(name(GROUP_TABLE, group.0));
                if let Some((idle, start, end, count, consumer)) = range {
                    if let Some(i) = idle {
                        a = a.s("IDLE").s(pick(IDLE_TABLE, i.0));
                    }
                    a = a.s(pick(BOUND_TABLE, start.0)).s(pick(BOUND_TABLE, end.0)).s(pick(NUM_TABLE, count.0));
                    if let Some(c) = consumer {
                        a = a.s(name(CONSUMER_TABLE, c.0));
                    }
                }
                a.0
            }
            StreamOp::Claim { key, group, consumer, min_idle, ids, opts, values } => {
                let mut a = Args::new("XCLAIM")
                    .b(key.bytes())
                    .s(name(GROUP_TABLE, group.0))
                    .s(name(CONSUMER_TABLE, consumer.0))
                    .s(pick(IDLE_TABLE, min_idle.0));
                a = ids.0.iter().fold(a, |a, id| a.s(id.text()));
                if opts & 1 != 0 {
                    a = a.s("FORCE");
                }
                if opts & 2 != 0 {
                    a = a.s("JUSTID");
                }
                if opts & 4 != 0 {
                    a = a.s("IDLE").s(pick(IDLE_TABLE, values.0));
                }
                if opts & 8 != 0 {
                    a = a.s("TIME").s(pick(TIME_TABLE, values.1));
                }
                if opts & 16 != 0 {
                    a = a.s("RETRYCOUNT").s(pick(NUM_TABLE, values.0));
                }
                if opts & 32 != 0 {
                    a = a.s("LASTID").s(XId(values.1).text());
                }
                a.0
            }
            StreamOp::AutoClaim { key, group, consumer, min_idle, start, count, justid } => {
                let mut a = Args::new("XAUTOCLAIM")
                    .b(key.bytes())
                    .s(name(GROUP_TABLE, group.0))
                    .s(name(CONSUMER_TABLE, consumer.0))
                    .s(pick(IDLE_TABLE, min_idle.0))
                    .s(pick(BOUND_TABLE, start.0));
                if let Some(c) = count {
                    a = a.s("COUNT").s(pick(NUM_TABLE, c.0));
                }
                if *justid {
                    a = a.s("JUSTID");
                }
                a.0
            }
            StreamOp::InfoGroups(k) => Args::new("XINFO").s("GROUPS").b(k.bytes()).0,
            StreamOp::InfoConsumers(k, g) => Args::new("XINFO").s("CONSUMERS").b(k.bytes()).s(name(GROUP_TABLE, g.0)).0,
            StreamOp::Malformed(i) => pick(MALFORMED, *i).iter().map(|s| s.as_bytes().to_vec()).collect(),
        }
    }
}

/// Stream-dense operation sequences for state-machine tests: stream commands on three keys,
/// plain XADDs, time passing, client switches, deletions and type changes.
pub fn stream_heavy_ops(bytes: &[u8], max_ops: usize) -> Vec<super::Op> {
    use super::{Delay, KeyList, Op, Val};
    let mut u = Unstructured::new(bytes);
    let key = |r: u8| Key([0u8, 4, 8][usize::from(r) % 3]);
    let mut ops = Vec::new();
    while ops.len() < max_ops {
        let Ok(choice) = u.int_in_range(0u8..=15) else { break };
        let op = match choice {
            0..=6 => StreamOp::arbitrary(&mut u).map(Op::Stream),
            7..=10 => {
                (|| Ok(Op::XAdd(key(u8::arbitrary(&mut u)?), XId::arbitrary(&mut u)?, XFields::arbitrary(&mut u)?)))()
            }
            11 | 12 => Delay::arbitrary(&mut u).map(Op::AdvanceTime),
            13 => u.int_in_range(0u8..=2).map(Op::SwitchClient),
            14 => u8::arbitrary(&mut u).map(|r| Op::Del(KeyList(vec![key(r)]))),
            _ => u8::arbitrary(&mut u).map(|r| Op::Set {
                key: key(r),
                value: Val(1),
                cond: None,
                get: false,
                expire: None,
            }),
        };
        match op {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    ops
}
