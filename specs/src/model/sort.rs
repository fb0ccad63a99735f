//! SORT and SORT_RO (Redis: sort.c), written from the documentation and
//! the behaviour of redis-server 7.0.15.
//!
//! The input order is part of the result (ties keep it, BY nosort replies
//! it): lists in list order, sorted sets by score, sets in a fixed order
//! (integers ascending, then the other members bytewise). For a set Redis
//! uses its hash table's order, which depends on a random seed, so any
//! order is a valid Redis order; verdis fixes this one (an intset's order
//! when all members are integers).

use super::dispatch::Call;
use super::notify::{GENERIC, LIST};
use super::{wrongtype, Item, MValue, Model};
use crate::num::{int_arg, opt_is, parse_i64};
use crate::reply::Reply;
use std::cmp::Ordering;

/// The parsed command line.
#[derive(Default)]
struct SortArgs {
    desc: bool,
    alpha: bool,
    start: i64,
    count: i64,
    store: Option<Vec<u8>>,
    by: Option<Vec<u8>>,
    no_sort: bool,
    gets: Vec<Vec<u8>>,
}

/// Bytes up to the first NUL (how C string functions see an argument).
fn c_bytes(b: &[u8]) -> &[u8] {
    crate::num::c_str(b)
}

fn parse_args(call: &Call, read_only: bool) -> Result<SortArgs, Reply> {
    let mut a = SortArgs { count: -1, ..SortArgs::default() };
    let argv = call.argv;
    let mut i = 2;
    while i < argv.len() {
        let left = argv.len() - i - 1;
        let w = &argv[i];
        if opt_is(w, "ASC") {
            a.desc = false;
        } else if opt_is(w, "DESC") {
            a.desc = true;
        } else if opt_is(w, "ALPHA") {
            a.alpha = true;
        } else if opt_is(w, "LIMIT") && left >= 2 {
            a.start = int_arg(&argv[i + 1])?;
            a.count = int_arg(&argv[i + 2])?;
            i += 2;
        } else if !read_only && opt_is(w, "STORE") && left >= 1 {
            a.store = Some(argv[i + 1].clone());
            i += 1;
        } else if opt_is(w, "BY") && left >= 1 {
            a.by = Some(argv[i + 1].clone());
            if !c_bytes(&argv[i + 1]).contains(&b'*') {
                a.no_sort = true;
            }
            i += 1;
        } else if opt_is(w, "GET") && left >= 1 {
            a.gets.push(argv[i + 1].clone());
            i += 1;
        } else {
            return Err(Reply::err("syntax error"));
        }
        i += 1;
    }
    Ok(a)
}

/// What kind of value is sorted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    List,
    Set,
    SortedSet,
}

/// The fixed order of set members: integers first, ascending, then the rest
/// bytewise.
fn set_key(member: &[u8]) -> (u8, i64, Vec<u8>) {
    match parse_i64(member) {
        Some(n) => (0, n, Vec::new()),
        None => (1, 0, member.to_vec()),
    }
}

/// The elements to sort, in input order.
fn input(value: &MValue) -> Result<(Source, Vec<Vec<u8>>), Reply> {
    match value {
        MValue::List(items) => Ok((Source::List, items.clone())),
        MValue::ZSet(z) => Ok((Source::SortedSet, z.sorted().into_iter().map(|(member, _)| member).collect())),
        MValue::Set(members) => {
            let mut v: Vec<Vec<u8>> = members.iter().cloned().collect();
            v.sort_by_key(|m| set_key(m));
            Ok((Source::Set, v))
        }
        MValue::Str(_) | MValue::Hash(_) | MValue::Stream(_) => Err(wrongtype()),
    }
}

/// What a BY or GET pattern yields for one element.
fn pattern_value(m: &mut Model, call: &Call, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    let visible = c_bytes(pattern);
    if visible == b"#" {
        return Some(element.to_vec());
    }
    let star = visible.iter().position(|&b| b == b'*')?;
    // A "->" after the star with something after it names a hash field.
    let mut field: Option<&[u8]> = None;
    let mut key_tail_end = pattern.len();
    let mut k = star + 1;
    while k + 1 < visible.len() {
        if &visible[k..k + 2] == b"->" {
            if k + 2 < visible.len() {
                field = Some(&pattern[k + 2..]);
                key_tail_end = k;
            }
            break;
        }
        k += 1;
    }
    let key = [&pattern[..star], element, &pattern[star + 1..key_tail_end]].concat();
    let item = m.lookup(call.db, &key, call.now_ms)?;
    match (&item.value, field) {
        (MValue::Str(s), None) => Some(s.clone()),
        (MValue::Hash(h), Some(f)) => h.get(f).cloned(),
        _ => None,
    }
}

/// C's strtod as SORT uses it: the value, and whether the whole text (up
/// to a NUL) was a number in range that is not NaN.
fn weight(text: &[u8]) -> (f64, bool) {
    let body_end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let body = &text[..body_end];
    // Leading white space is skipped; if nothing parses, the text itself
    // must be empty (before a NUL) for the weight to be valid (0).
    let ws = body.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).count();
    let rest = &body[ws..];
    if rest.is_empty() {
        return (0.0, ws == 0);
    }
    match whole_number(rest) {
        Some((v, in_range)) => (v, in_range && !v.is_nan()),
        None => (0.0, false),
    }
}

/// Parses all of `s` as one strtod number: `None` if any of it is not.
/// The flag is false when strtod would report ERANGE: an overflow, or a
/// result below the normal range that is not exact.
fn whole_number(s: &[u8]) -> Option<(f64, bool)> {
    let text = std::str::from_utf8(s).ok()?;
    let (neg, unsigned) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.to_ascii_lowercase();
    let sign = |v: f64| if neg { -v } else { v };
    if lower == "inf" || lower == "infinity" {
        return Some((sign(f64::INFINITY), true));
    }
    if lower.starts_with("nan") {
        return Some((f64::NAN, true));
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let (mantissa, exp2) = hex_parts(hex)?;
        let value = scaled(mantissa, exp2);
        let tiny = value == 0.0 || value.is_subnormal();
        // Exact below the normal range when no bit under 2^-1074 is set.
        let exact = i64::from(mantissa.trailing_zeros()) + exp2 >= -1074;
        let in_range = value.is_finite() && (mantissa == 0 || !tiny || (exact && value != 0.0));
        return Some((sign(value), in_range));
    }
    // Rust reads the same decimal forms as strtod, except a second sign.
    if unsigned.is_empty() || unsigned.starts_with(['+', '-']) || lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    let value = unsigned.parse::<f64>().ok()?;
    let mantissa_digits = lower.split('e').next().unwrap_or("");
    let nonzero = mantissa_digits.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let tiny = value == 0.0 || value.is_subnormal();
    Some((sign(value), value.is_finite() && !(nonzero && tiny)))
}

/// A hexadecimal float body (after 0x) as mantissa * 2^exp2; `None` when it
/// has no digits or a malformed exponent, or more digits than the model
/// handles (32).
fn hex_parts(s: &str) -> Option<(u128, i64)> {
    let (mantissa, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    if digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let m = u128::from_str_radix(&digits, 16).ok()?;
    Some((m, exp - 4 * frac.len() as i64))
}

/// mantissa * 2^exp2 as the nearest double (in two steps, each exact while
/// the result stays in range).
fn scaled(mantissa: u128, exp2: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let e = exp2.clamp(-3000, 3000) as i32;
    let half = e / 2;
    mantissa as f64 * 2f64.powi(half) * 2f64.powi(e - half)
}

/// One element with its sort keys.
struct Entry {
    element: Vec<u8>,
    score: f64,
    by_value: Option<Vec<u8>>,
}

/// Compares two entries as SORT does.
fn compare(a: &Entry, b: &Entry, args: &SortArgs, by_pattern: bool, alpha: bool) -> Ordering {
    let text = |x: &[u8], y: &[u8]| {
        if args.store.is_some() {
            x.cmp(y)
        } else {
            c_bytes(x).cmp(c_bytes(y))
        }
    };
    let ord = if !alpha {
        match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.element.cmp(&b.element),
            Some(o) => o,
        }
    } else if by_pattern {
        match (&a.by_value, &b.by_value) {
            (Some(x), Some(y)) => text(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    } else {
        text(&a.element, &b.element)
    };
    if args.desc {
        ord.reverse()
    } else {
        ord
    }
}

/// Redis's partial quicksort (pqsort.c) sorting every partition: only the order it leaves equal
/// elements in matters, and partitions outside the LIMIT window never reach the reply.
fn quicksort(v: &mut [Entry], cmp: &dyn Fn(&Entry, &Entry) -> Ordering) {
    super::pqsort::pqsort(v, cmp, usize::MAX);
}

fn sort_generic(m: &mut Model, call: &Call, read_only: bool) -> Reply {
    let args = match parse_args(call, read_only) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let (source, elements) = match m.lookup(call.db, call.arg(1), call.now_ms) {
        None => (Source::List, Vec::new()),
        Some(item) => match input(&item.value) {
            Ok(x) => x,
            Err(e) => return e,
        },
    };
    if source == Source::SortedSet {
        // Sorting a sorted set leaves it in the skiplist encoding.
        if let Some(Item { value: MValue::ZSet(z), .. }) = m.dbs[call.db].get_mut(call.arg(1)) {
            z.listpack = false;
        }
    }
    let (mut no_sort, mut alpha, mut by) = (args.no_sort, args.alpha, args.by.clone());
    if no_sort && source == Source::Set && args.store.is_some() {
        no_sort = false;
        alpha = true;
        by = None;
    }
    // The LIMIT window, clamped as Redis does.
    let n = elements.len() as i64;
    let mut first = args.start.clamp(0, n);
    let count = args.count.clamp(-1, n);
    let mut last = if count < 0 { n - 1 } else { first + count - 1 };
    if first >= n {
        first = n - 1;
        last = n - 2;
    }
    last = last.min(n - 1);

    let mut entries: Vec<Entry>;
    if no_sort && source != Source::Set {
        // Unsorted lists and sorted sets: their order, backwards for DESC.
        let mut ordered = elements;
        if args.desc {
            ordered.reverse();
        }
        entries = ordered
            .into_iter()
            .enumerate()
            .filter(|(i, _)| (first..=last).contains(&(*i as i64)))
            .map(|(_, e)| Entry { element: e, score: 0.0, by_value: None })
            .collect();
        last -= first;
        first = 0;
    } else {
        entries = elements.into_iter().map(|e| Entry { element: e, score: 0.0, by_value: None }).collect();
    }

    if !no_sort {
        let mut bad_weight = false;
        for e in &mut entries {
            let value = match &by {
                Some(p) => match pattern_value(m, call, p, &e.element) {
                    Some(v) => v,
                    None => continue,
                },
                None => e.element.clone(),
            };
            if alpha {
                if by.is_some() {
                    e.by_value = Some(value);
                }
            } else {
                let (score, ok) = weight(&value);
                e.score = score;
                bad_weight |= !ok;
            }
        }
        if bad_weight {
            return Reply::err("One or more scores can't be converted into double");
        }
        let by_pattern = by.is_some();
        let cmp = |x: &Entry, y: &Entry| compare(x, y, &args, by_pattern, alpha);
        if by_pattern && (first != 0 || last != entries.len() as i64 - 1) {
            quicksort(&mut entries, &cmp);
        } else {
            entries.sort_by(cmp);
        }
    }

    let picked: Vec<&Entry> =
        entries.iter().enumerate().filter(|(i, _)| (first..=last).contains(&(*i as i64))).map(|(_, e)| e).collect();
    let mut out: Vec<Option<Vec<u8>>> = Vec::new();
    for e in picked {
        if args.gets.is_empty() {
            out.push(Some(e.element.clone()));
        }
        for g in &args.gets {
            out.push(pattern_value(m, call, g, &e.element));
        }
    }
    match &args.store {
        None => Reply::Array(out.into_iter().map(|v| v.map_or(Reply::Nil, Reply::Bulk)).collect()),
        Some(dest) => {
            let n = out.len();
            let list: Vec<Vec<u8>> = out.into_iter().map(Option::unwrap_or_default).collect();
            let existed = m.dbs[call.db].contains_key(dest.as_slice());
            store_list(m, call.db, dest, list);
            if n > 0 {
                m.notify_call(call, LIST, "sortstore", dest);
            } else if existed {
                m.notify_call(call, GENERIC, "del", dest);
            }
            Reply::Int(n as i64)
        }
    }
}

/// STORE: the result replaces the destination (without TTL) as a list, or
/// deletes it when empty.
fn store_list(m: &mut Model, db: usize, dest: &[u8], list: Vec<Vec<u8>>) {
    if list.is_empty() {
        m.dbs[db].remove(dest);
    } else {
        m.dbs[db].insert(dest.to_vec(), Item { value: list_value(list), expire_at_ms: None });
    }
}

/// A list value.
fn list_value(items: Vec<Vec<u8>>) -> MValue {
    MValue::List(items)
}

pub(super) fn sort(m: &mut Model, call: &Call) -> Reply {
    sort_generic(m, call, false)
}

pub(super) fn sort_ro(m: &mut Model, call: &Call) -> Reply {
    sort_generic(m, call, true)
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn weights_read_like_strtod() {
        // rule: SORT-6
        assert_eq!(weight(b"1.5"), (1.5, true));
        assert_eq!(weight(b" 3"), (3.0, true));
        assert!(!weight(b"3 ").1);
        assert!(!weight(b"  ").1);
        assert_eq!(weight(b""), (0.0, true));
        assert_eq!(weight(b"\x002"), (0.0, true));
        assert_eq!(weight(b"1\x00abc"), (1.0, true));
        assert_eq!(weight(b"+5"), (5.0, true));
        assert_eq!(weight(b"1.e2"), (100.0, true));
        assert_eq!(weight(b"0x1p3"), (8.0, true));
        assert_eq!(weight(b"0X1P3"), (8.0, true));
        assert_eq!(weight(b"0x1.8p1"), (3.0, true));
        assert_eq!(weight(b"-INF"), (f64::NEG_INFINITY, true));
        assert_eq!(weight(b"infinity"), (f64::INFINITY, true));
        assert!(!weight(b"inf x").1);
        assert!(!weight(b"nan").1);
        assert!(!weight(b"5e").1);
        assert!(!weight(b"1e+").1);
        assert!(!weight(b".").1);
        assert!(!weight(b"0x").1);
        assert!(!weight(b"1_000").1);
        assert!(!weight(b"1e309").1);
        assert!(!weight(b"1e-310").1);
        assert!(!weight(b"1e-400").1);
        assert!(weight(b"2.2250738585072014e-308").1);
        assert!(weight(b"0x1p-1074").1);
        assert!(weight(b"0.000").1);
        assert_eq!(weight(b"-0"), (-0.0, true));
    }
}
