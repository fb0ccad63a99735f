//! ZRANGE and friends, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*.
//!
//! Score and lex ranges are located the way Redis's listpack code does it, by walking the
//! sorted elements: the range must be able to hold something, the last element must be at or
//! above the minimum and the first at or below the maximum; the first element in range is the
//! first at or above the minimum (which must be at or below the maximum), the last one the last
//! at or below the maximum (which must be at or above the minimum). For a lex range over mixed
//! scores this is what a listpack gives (Redis leaves that case unspecified).

use super::{get, num, put_back, resp, store, with_scores, ZSetValue, MAX_LISTPACK_ENTRIES};
use crate::model::dispatch::Call;
use crate::model::notify::{GENERIC, ZSET};
use crate::model::Model;
use crate::num::{int_arg, opt_is};
use crate::reply::Reply;
use std::cmp::Ordering;

type Elem = (Vec<u8>, f64);

/// A lex range end: `-`, `+`, or a string, inclusive (`[`) or exclusive (`(`).
#[derive(Clone, Debug)]
enum LexEnd {
    Min,
    Max,
    Str(Vec<u8>, bool),
}

fn lex_end(arg: &[u8]) -> Option<LexEnd> {
    let alone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first()? {
        b'-' if alone => Some(LexEnd::Min),
        b'+' if alone => Some(LexEnd::Max),
        b'(' => Some(LexEnd::Str(arg[1..].to_vec(), true)),
        b'[' => Some(LexEnd::Str(arg[1..].to_vec(), false)),
        _ => None,
    }
}

/// A parsed range: predicates on elements.
#[derive(Clone, Debug)]
enum Range {
    Score { min: f64, min_ex: bool, max: f64, max_ex: bool },
    Lex { min: LexEnd, max: LexEnd },
}

/// Where a member stands against a lex end (`-` below everything, `+` above).
fn lex_cmp(member: &[u8], end: &LexEnd) -> Ordering {
    match end {
        LexEnd::Min => Ordering::Greater,
        LexEnd::Max => Ordering::Less,
        LexEnd::Str(s, _) => member.cmp(s),
    }
}

fn lex_exclusive(end: &LexEnd) -> bool {
    match end {
        LexEnd::Str(_, ex) => *ex,
        _ => true,
    }
}

impl Range {
    fn holds_nothing(&self) -> bool {
        match self {
            Range::Score { min, min_ex, max, max_ex } => min > max || (min == max && (*min_ex || *max_ex)),
            Range::Lex { min, max } => {
                let order = match (min, max) {
                    (LexEnd::Min, LexEnd::Min) | (LexEnd::Max, LexEnd::Max) => Ordering::Equal,
                    (LexEnd::Min, _) | (_, LexEnd::Max) => Ordering::Less,
                    (LexEnd::Max, _) | (_, LexEnd::Min) => Ordering::Greater,
                    (LexEnd::Str(a, _), LexEnd::Str(b, _)) => a.cmp(b),
                };
                order == Ordering::Greater || (order == Ordering::Equal && (lex_exclusive(min) || lex_exclusive(max)))
            }
        }
    }

    fn above_min(&self, e: &Elem) -> bool {
        match self {
            Range::Score { min, min_ex, .. } => {
                if *min_ex {
                    e.1 > *min
                } else {
                    e.1 >= *min
                }
            }
            Range::Lex { min, .. } => match lex_cmp(&e.0, min) {
                Ordering::Greater => true,
                Ordering::Equal => !lex_exclusive(min),
                Ordering::Less => false,
            },
        }
    }

    fn below_max(&self, e: &Elem) -> bool {
        match self {
            Range::Score { max, max_ex, .. } => {
                if *max_ex {
                    e.1 < *max
                } else {
                    e.1 <= *max
                }
            }
            Range::Lex { max, .. } => match lex_cmp(&e.0, max) {
                Ordering::Less => true,
                Ordering::Equal => !lex_exclusive(max),
                Ordering::Greater => false,
            },
        }
    }

    fn may_hold(&self, v: &[Elem]) -> bool {
        !self.holds_nothing()
            && v.last().is_some_and(|e| self.above_min(e))
            && v.first().is_some_and(|e| self.below_max(e))
    }

    fn first_in(&self, v: &[Elem]) -> Option<usize> {
        if !self.may_hold(v) {
            return None;
        }
        let i = v.iter().position(|e| self.above_min(e))?;
        self.below_max(&v[i]).then_some(i)
    }

    fn last_in(&self, v: &[Elem]) -> Option<usize> {
        if !self.may_hold(v) {
            return None;
        }
        let i = v.iter().rposition(|e| self.below_max(e))?;
        self.above_min(&v[i]).then_some(i)
    }

    /// The indexes the range covers: from the first in range while at or below the maximum.
    fn span(&self, v: &[Elem]) -> std::ops::Range<usize> {
        match self.first_in(v) {
            None => 0..0,
            Some(i) => i..i + v[i..].iter().take_while(|e| self.below_max(e)).count(),
        }
    }
}

fn score_range(min: &[u8], max: &[u8]) -> Result<Range, Reply> {
    match (num::range_end(min), num::range_end(max)) {
        (Some((min, min_ex)), Some((max, max_ex))) => Ok(Range::Score { min, min_ex, max, max_ex }),
        _ => Err(Reply::err("min or max is not a float")),
    }
}

fn lex_range(min: &[u8], max: &[u8]) -> Result<Range, Reply> {
    match (lex_end(min), lex_end(max)) {
        (Some(min), Some(max)) => Ok(Range::Lex { min, max }),
        _ => Err(Reply::err("min or max not valid string range item")),
    }
}

/// Indexes start..=end with negative ones counting from the end, clamped; None when empty.
fn rank_span(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i128;
    let fix = |i: i64| if i < 0 { i128::from(i) + len } else { i128::from(i) };
    let start = fix(start).max(0);
    let end = fix(end).min(len - 1);
    (start <= end && start < len).then_some((start as usize, end as usize))
}

/// The selection of a score or lex range with LIMIT: skip `offset` from the first (or, reversed,
/// the last) element in range, then take up to `count` (all when negative) while in range.
fn select(v: &[Elem], r: &Range, offset: i64, count: i64, rev: bool) -> Vec<Elem> {
    if offset < 0 {
        return Vec::new();
    }
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    if rev {
        let Some(last) = r.last_in(v) else {
            return Vec::new();
        };
        let Some(from) = last.checked_sub(offset) else {
            return Vec::new();
        };
        v[..=from].iter().rev().take_while(|e| r.above_min(e)).take(take).cloned().collect()
    } else {
        let Some(first) = r.first_in(v) else {
            return Vec::new();
        };
        v.iter().skip(first.saturating_add(offset)).take_while(|e| r.below_max(e)).take(take).cloned().collect()
    }
}

/// The ZRANGE family's shared arguments.
enum Sel {
    Rank(i64, i64),
    Range(Range, i64, i64),
}

#[derive(Clone, Copy, PartialEq)]
enum By {
    Default,
    Rank,
    Score,
    Lex,
}

/// zrangeGenericCommand from argument `src` (key, min, max, options). `store` is ZRANGESTORE.
fn range_generic(
    m: &mut Model,
    call: &Call,
    src: usize,
    store_to: Option<&[u8]>,
    fixed: By,
    fixed_rev: Option<bool>,
) -> Reply {
    let mut by = fixed;
    let mut rev = fixed_rev;
    let mut withscores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut i = src + 3;
    while i < call.argv.len() {
        let a = call.arg(i);
        let left = call.argv.len() - i - 1;
        if store_to.is_none() && opt_is(a, "withscores") {
            withscores = true;
        } else if opt_is(a, "limit") && left >= 2 {
            match (int_arg(call.arg(i + 1)), int_arg(call.arg(i + 2))) {
                (Ok(o), Ok(c)) => limit = Some((o, c)),
                (Err(e), _) | (_, Err(e)) => return e,
            }
            i += 2;
        } else if rev.is_none() && opt_is(a, "rev") {
            rev = Some(true);
        } else if by == By::Default && opt_is(a, "bylex") {
            by = By::Lex;
        } else if by == By::Default && opt_is(a, "byscore") {
            by = By::Score;
        } else {
            return Reply::err("syntax error");
        }
        i += 1;
    }
    let rev = rev.unwrap_or(false);
    if by == By::Default {
        by = By::Rank;
    }
    // A LIMIT of count -1 counts as no LIMIT.
    if by == By::Rank && limit.is_some_and(|(_, c)| c != -1) {
        return Reply::err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    }
    if by == By::Lex && withscores {
        return Reply::err("syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (lo, hi) = if rev && by != By::Rank {
        (call.arg(src + 2), call.arg(src + 1))
    } else {
        (call.arg(src + 1), call.arg(src + 2))
    };
    let (offset, count) = limit.unwrap_or((0, -1));
    let sel = match by {
        By::Score => match score_range(lo, hi) {
            Ok(r) => Sel::Range(r, offset, count),
            Err(e) => return e,
        },
        By::Lex => match lex_range(lo, hi) {
            Ok(r) => Sel::Range(r, offset, count),
            Err(e) => return e,
        },
        _ => match (int_arg(lo), int_arg(hi)) {
            (Ok(a), Ok(b)) => Sel::Rank(a, b),
            (Err(e), _) | (_, Err(e)) => return e,
        },
    };
    let z = match get(m, call.db, call.arg(src), call.now_ms) {
        Err(e) => return e,
        Ok(z) => z,
    };
    let v = z.map(|z| z.sorted()).unwrap_or_default();
    let picked: Vec<Elem> = match &sel {
        Sel::Rank(a, b) => match rank_span(v.len(), *a, *b) {
            None => Vec::new(),
            Some((s, e)) if rev => v.iter().rev().skip(s).take(e - s + 1).cloned().collect(),
            Some((s, e)) => v[s..=e].to_vec(),
        },
        Sel::Range(r, o, c) => select(&v, r, *o, *c, rev),
    };
    match store_to {
        None => with_scores(resp(m, call), picked, withscores),
        Some(dst) => {
            let listpack = !matches!(sel, Sel::Rank(..)) || picked.len() <= MAX_LISTPACK_ENTRIES;
            let mut out = ZSetValue::new(listpack);
            for (member, score) in &picked {
                out.add_new(member, *score);
            }
            store(m, call, dst, out)
        }
    }
}

pub(in crate::model) fn zrange(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Default, None)
}

pub(in crate::model) fn zrangestore(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 2, Some(call.arg(1)), By::Default, None)
}

pub(in crate::model) fn zrevrange(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Rank, Some(true))
}

pub(in crate::model) fn zrangebyscore(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Score, Some(false))
}

pub(in crate::model) fn zrevrangebyscore(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Score, Some(true))
}

pub(in crate::model) fn zrangebylex(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Lex, Some(false))
}

pub(in crate::model) fn zrevrangebylex(m: &mut Model, call: &Call) -> Reply {
    range_generic(m, call, 1, None, By::Lex, Some(true))
}

fn count(m: &mut Model, call: &Call, range: Result<Range, Reply>) -> Reply {
    let r = match range {
        Ok(r) => r,
        Err(e) => return e,
    };
    match get(m, call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(z) => Reply::Int(z.map_or(0, |z| r.span(&z.sorted()).len()) as i64),
    }
}

pub(in crate::model) fn zcount(m: &mut Model, call: &Call) -> Reply {
    count(m, call, score_range(call.arg(2), call.arg(3)))
}

pub(in crate::model) fn zlexcount(m: &mut Model, call: &Call) -> Reply {
    count(m, call, lex_range(call.arg(2), call.arg(3)))
}

/// ZREMRANGEBY*: `span` picks the indexes to remove from the sorted elements.
fn remove(m: &mut Model, call: &Call, span: impl Fn(&[Elem]) -> std::ops::Range<usize>) -> Reply {
    let key = call.arg(1);
    let mut z = match get(m, call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(z)) => z,
    };
    let v = z.sorted();
    let gone = span(&v);
    let n = gone.len();
    for (member, _) in &v[gone] {
        z.scores.remove(member);
    }
    if n > 0 {
        let emptied = z.is_empty();
        put_back(m, call.db, key, z);
        // The event is the command's name: zremrangebyrank, zremrangebyscore or zremrangebylex.
        m.notify_call(call, ZSET, call.name, key);
        if emptied {
            m.notify_call(call, GENERIC, "del", key);
        }
    }
    Reply::Int(n as i64)
}

pub(in crate::model) fn zremrangebyrank(m: &mut Model, call: &Call) -> Reply {
    let (a, b) = match (int_arg(call.arg(2)), int_arg(call.arg(3))) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    remove(m, call, |v| rank_span(v.len(), a, b).map_or(0..0, |(s, e)| s..e + 1))
}

pub(in crate::model) fn zremrangebyscore(m: &mut Model, call: &Call) -> Reply {
    match score_range(call.arg(2), call.arg(3)) {
        Ok(r) => remove(m, call, |v| r.span(v)),
        Err(e) => e,
    }
}

pub(in crate::model) fn zremrangebylex(m: &mut Model, call: &Call) -> Reply {
    match lex_range(call.arg(2), call.arg(3)) {
        Ok(r) => remove(m, call, |v| r.span(v)),
        Err(e) => e,
    }
}
