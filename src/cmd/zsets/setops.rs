//! ZUNION, ZINTER, ZDIFF, ZINTERCARD and ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE
//! (zunionInterDiffGenericCommand).
//!
//! Inputs may be sorted sets or sets (whose members score 1). As in Redis, UNION and INTER sort
//! the inputs by size first (glibc's qsort, which Redis uses, is a stable merge sort here), and
//! the aggregation visits them in that order: with SUM the order of the additions can change the
//! last bits of a score, and an infinite sum of opposite signs is taken as 0 where it happens.

use super::score::string2d;
use super::{elements_reply, limits, opt, store_result, wrongtype};
use crate::cmd::args::int_arg;
use crate::engine::value::Value;
use crate::engine::zset::ZSet;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// zunionInterAggregate.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        // C's `val < target ? val : target`: a NaN value keeps the target.
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// One input: its value (None for a missing key) and weight.
struct Src<'a> {
    value: Option<&'a Value>,
    weight: f64,
}

impl<'a> Src<'a> {
    fn len(&self) -> usize {
        match self.value {
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            _ => 0,
        }
    }

    /// Members with their scores (1 for a set's members), in the input's own order.
    fn iter(&self) -> Box<dyn Iterator<Item = (Cow<'a, [u8]>, f64)> + 'a> {
        match self.value {
            Some(Value::ZSet(z)) => Box::new(z.iter().map(|(s, m)| (Cow::Borrowed(m), s))),
            Some(Value::Set(s)) => Box::new(s.iter().map(|m| (m, 1.0))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn find(&self, member: &[u8]) -> Option<f64> {
        match self.value {
            Some(Value::ZSet(z)) => z.score(member),
            Some(Value::Set(s)) => s.contains(member).then_some(1.0),
            _ => None,
        }
    }
}

/// True for the types these commands accept as input: sorted sets and sets.
fn is_input_type(value: &Value) -> bool {
    matches!(value, Value::ZSet(_) | Value::Set(_))
}

/// Options after the keys.
struct Options {
    weights: Option<Vec<f64>>,
    aggregate: Aggregate,
    withscores: bool,
    limit: u64,
}

fn parse_options(
    argv: &[Vec<u8>],
    mut j: usize,
    setnum: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Options, Frame> {
    let mut o = Options { weights: None, aggregate: Aggregate::Sum, withscores: false, limit: 0 };
    while j < argv.len() {
        let remaining = argv.len() - j;
        let arg = &argv[j];
        if op != Op::Diff && !card && remaining > setnum && opt(arg, "weights") {
            let mut weights = Vec::with_capacity(setnum);
            for w in &argv[j + 1..j + 1 + setnum] {
                weights.push(string2d(w).ok_or_else(|| Frame::error("ERR weight value is not a float"))?);
            }
            o.weights = Some(weights);
            j += 1 + setnum;
        } else if op != Op::Diff && !card && remaining >= 2 && opt(arg, "aggregate") {
            let how = &argv[j + 1];
            o.aggregate = if opt(how, "sum") {
                Aggregate::Sum
            } else if opt(how, "min") {
                Aggregate::Min
            } else if opt(how, "max") {
                Aggregate::Max
            } else {
                return Err(Frame::error(errors::SYNTAX));
            };
            j += 2;
        } else if !store && !card && opt(arg, "withscores") {
            o.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && opt(arg, "limit") {
            o.limit = match int_arg(&argv[j + 1]) {
                Ok(n) if n >= 0 => n as u64,
                _ => return Err(Frame::error("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
    }
    Ok(o)
}

/// What the command does with its result.
#[derive(Clone, Copy)]
enum Output<'a> {
    Reply,
    Store(&'a [u8]),
    Cardinality,
}

fn generic(ctx: &mut Ctx, numkeys_idx: usize, op: Op, out: Output) -> Frame {
    let argv = ctx.argv;
    let setnum = match int_arg(&argv[numkeys_idx]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    if setnum < 1 {
        return Frame::error(format!("ERR at least 1 input key is needed for '{}' command", ctx.meta.name));
    }
    if setnum as u64 > (argv.len() - numkeys_idx - 1) as u64 {
        return Frame::error(errors::SYNTAX);
    }
    let setnum = setnum as usize;
    let keys = &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Every input is looked up (and type-checked) before the options are read.
    for key in keys {
        if let Some(v) = ctx.lookup_read(key) {
            if !is_input_type(v) {
                return wrongtype();
            }
        }
    }
    let store = matches!(out, Output::Store(_));
    let card = matches!(out, Output::Cardinality);
    let opts = match parse_options(argv, numkeys_idx + 1 + setnum, setnum, op, store, card) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let limits = limits(ctx);
    let resp = ctx.client.resp;
    let db = &ctx.engine.dbs[ctx.client.db];
    let mut srcs: Vec<Src> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Src { value: db.entry(k).map(|e| &e.value), weight: opts.weights.as_ref().map_or(1.0, |w| w[i]) })
        .collect();
    if op != Op::Diff {
        srcs.sort_by_key(Src::len); // stable, as glibc's merge sort
    }
    let result = match op {
        Op::Inter if card => return Frame::Integer(inter_card(&srcs, opts.limit) as i64),
        Op::Inter => inter(&srcs, opts.aggregate),
        Op::Union => union(&srcs, opts.aggregate),
        Op::Diff => diff(&srcs),
    };
    match out {
        Output::Store(dst) => {
            let mut z = ZSet::new_skiplist();
            for (member, score) in &result {
                z.insert_new(*score, member, limits);
            }
            z.convert_to_listpack_if_fits(limits);
            store_result(ctx, dst, z)
        }
        _ => elements_reply(resp, sorted(result), opts.withscores),
    }
}

/// Puts a result in the sorted set order.
fn sorted(mut items: Vec<(Vec<u8>, f64)>) -> Vec<(Vec<u8>, f64)> {
    items.sort_by(|(m1, s1), (m2, s2)| crate::engine::zset::ordered::cmp_entry(*s1, m1, *s2, m2));
    items
}

/// A weighted score, a NaN product (0 * inf) being 0.
fn weighted(weight: f64, score: f64) -> f64 {
    let v = weight * score;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn inter(srcs: &[Src], how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut out = Vec::new();
    if srcs[0].len() == 0 {
        return out;
    }
    'members: for (member, s0) in srcs[0].iter() {
        let mut score = weighted(srcs[0].weight, s0);
        for other in &srcs[1..] {
            match other.find(&member) {
                // The product is not cleaned of NaN here: aggregate() deals with it.
                Some(s) => aggregate(&mut score, s * other.weight, how),
                None => continue 'members,
            }
        }
        out.push((member.to_vec(), score));
    }
    out
}

fn inter_card(srcs: &[Src], limit: u64) -> u64 {
    if srcs[0].len() == 0 {
        return 0;
    }
    let mut count = 0;
    for (member, _) in srcs[0].iter() {
        if srcs[1..].iter().all(|o| o.find(&member).is_some()) {
            count += 1;
            if limit != 0 && count >= limit {
                break;
            }
        }
    }
    count
}

fn union(srcs: &[Src], how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    for src in srcs {
        for (member, s) in src.iter() {
            let score = weighted(src.weight, s);
            match index.get(member.as_ref()) {
                Some(&i) => aggregate(&mut out[i].1, score, how),
                None => {
                    index.insert(member.to_vec(), out.len());
                    out.push((member.into_owned(), score));
                }
            }
        }
    }
    out
}

fn diff(srcs: &[Src]) -> Vec<(Vec<u8>, f64)> {
    let first = &srcs[0];
    // The same key given again removes everything (the address check of zsetChooseDiffAlgorithm).
    let repeated = srcs[1..].iter().any(|o| matches!((o.value, first.value), (Some(a), Some(b)) if std::ptr::eq(a, b)));
    if repeated {
        return Vec::new();
    }
    first
        .iter()
        .filter(|(m, _)| srcs[1..].iter().all(|o| o.find(m).is_none()))
        .map(|(m, s)| (m.into_owned(), s))
        .collect()
}

pub fn zunion(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Op::Union, Output::Reply)
}

pub fn zinter(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Op::Inter, Output::Reply)
}

pub fn zdiff(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Op::Diff, Output::Reply)
}

pub fn zintercard(ctx: &mut Ctx) -> Frame {
    generic(ctx, 1, Op::Inter, Output::Cardinality)
}

pub fn zunionstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    generic(ctx, 2, Op::Union, Output::Store(dst))
}

pub fn zinterstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    generic(ctx, 2, Op::Inter, Output::Store(dst))
}

pub fn zdiffstore(ctx: &mut Ctx) -> Frame {
    let dst = ctx.arg(1);
    generic(ctx, 2, Op::Diff, Output::Store(dst))
}
