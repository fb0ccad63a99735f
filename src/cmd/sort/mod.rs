//! SORT and SORT_RO (Redis's sort.c): the elements of a list, set or sorted set, ordered by
//! their numeric value or bytes (ALPHA), or by weights looked up through a BY pattern, then cut
//! with LIMIT, mapped through GET patterns, and replied or stored as a list (STORE).
//!
//! Redis's details kept here:
//! - BY with a pattern that has no `*` (e.g. `nosort`) does not sort: lists and sorted sets keep
//!   their order (DESC walks them backwards), sets keep theirs unless STORE is given, which forces
//!   an ALPHA sort so the stored list is reproducible.
//! - Numeric weights are read with C's strtod; a weight that is not entirely a number (NUL ends
//!   it), is NaN or is out of range fails the whole command; a missing BY key weighs 0, and equal
//!   weights are ordered by the elements' bytes.
//! - ALPHA compares as strcoll (as strcmp in the C/C.UTF-8 locale: bytes up to the first NUL), but
//!   with STORE as whole byte strings; missing BY keys come first.
//! - Sorting is stable (glibc's qsort is a merge sort), except with BY and a LIMIT window, where
//!   Redis's partial quicksort is used (see `pqsort`).

mod pattern;
mod pqsort;
mod source;
mod strtod;
#[cfg(test)]
mod tests;

use crate::cmd::args::int_arg;
use crate::cmd::hashes::c_str_is;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;
use pattern::{resolve, Pattern};
use source::Kind;
use std::cmp::Ordering;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "sort" => sort,
        "sort_ro" => sort_ro,
        _ => return None,
    };
    Some(h)
}

fn sort(ctx: &mut Ctx) -> Frame {
    sort_generic(ctx, false).unwrap_or_else(|e| e)
}

fn sort_ro(ctx: &mut Ctx) -> Frame {
    sort_generic(ctx, true).unwrap_or_else(|e| e)
}

/// The options, as sortCommandGeneric reads them left to right.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// Set by any BY without `*`, even if a later BY has one (as Redis).
    dontsort: bool,
    gets: Vec<&'a [u8]>,
}

/// `full_key_access`: the user may read any key with this command (Redis's
/// ACLUserCheckCmdWithUnrestrictedKeyAccess); BY with a pattern and GET need it.
fn parse_options(argv: &[Vec<u8>], readonly: bool, full_key_access: bool) -> Result<Options<'_>, Frame> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let arg = &argv[j];
        if c_str_is(arg, "asc") {
            o.desc = false;
        } else if c_str_is(arg, "desc") {
            o.desc = true;
        } else if c_str_is(arg, "alpha") {
            o.alpha = true;
        } else if c_str_is(arg, "limit") && left >= 2 {
            o.limit_start = int_arg(&argv[j + 1])?;
            o.limit_count = int_arg(&argv[j + 2])?;
            j += 2;
        } else if !readonly && c_str_is(arg, "store") && left >= 1 {
            o.store = Some(&argv[j + 1]);
            j += 1;
        } else if c_str_is(arg, "by") && left >= 1 {
            o.by = Some(&argv[j + 1]);
            if !Pattern::has_star(&argv[j + 1]) {
                o.dontsort = true;
            } else if !full_key_access {
                return Err(Frame::error("ERR BY option of SORT denied due to insufficient ACL permissions."));
            }
            j += 1;
        } else if c_str_is(arg, "get") && left >= 1 {
            if !full_key_access {
                return Err(Frame::error("ERR GET option of SORT denied due to insufficient ACL permissions."));
            }
            o.gets.push(&argv[j + 1]);
            j += 1;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(o)
}

/// One element being sorted, with its weight.
struct Item {
    element: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting; `None` when the BY key is missing.
    weight: Option<Vec<u8>>,
}

/// The bytes strcoll sees (up to the first NUL).
fn c_str(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// How two items compare (Redis's sortCompare).
struct Comparator {
    desc: bool,
    alpha: bool,
    by_pattern: bool,
    store: bool,
}

impl Comparator {
    fn text(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.store {
            a.cmp(b)
        } else {
            c_str(a).cmp(c_str(b))
        }
    }

    fn compare(&self, a: &Item, b: &Item) -> Ordering {
        let c = if !self.alpha {
            if a.score > b.score {
                Ordering::Greater
            } else if a.score < b.score {
                Ordering::Less
            } else {
                a.element.cmp(&b.element)
            }
        } else if self.by_pattern {
            match (&a.weight, &b.weight) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => self.text(x, y),
            }
        } else {
            self.text(&a.element, &b.element)
        };
        if self.desc {
            c.reverse()
        } else {
            c
        }
    }
}

/// The LIMIT window over `len` elements, as Redis clamps it: `start..=end`, empty when
/// `end < start`.
fn window(limit_start: i64, limit_count: i64, len: i64) -> (i64, i64) {
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let full_key_access = ctx.engine.acl_unrestricted_read(ctx.client, ctx.meta, argv);
    let o = parse_options(argv, readonly, full_key_access)?;
    let key = ctx.arg(1);
    let (kind, elements) = match ctx.lookup_read(key) {
        None => (Kind::List, Vec::new()),
        Some(value) => source::elements(value)?,
    };
    if kind == Kind::ZSet {
        // Redis converts a listpack sorted set to a skiplist before sorting it, for good.
        source::zset_to_skiplist(ctx, key);
    }
    let (mut dontsort, mut alpha, mut by) = (o.dontsort, o.alpha, o.by);
    let from_script = ctx.client.id == crate::engine::script::run::SCRIPT_CLIENT_ID;
    if dontsort && kind == Kind::Set && (o.store.is_some() || from_script) {
        // A stored result, or one a script sees, must not depend on the set's internal order.
        dontsort = false;
        alpha = true;
        by = None;
    }
    let len = elements.len() as i64;
    let (mut start, mut end) = window(o.limit_start, o.limit_count, len);

    // Lists and sorted sets that are not sorted are loaded in their order (backwards for DESC),
    // only the window.
    let loaded: Vec<Vec<u8>> = if dontsort && kind != Kind::Set {
        let skip = usize::try_from(start).unwrap_or(0);
        let take = usize::try_from(end - start + 1).unwrap_or(0);
        let picked = if o.desc {
            elements.into_iter().rev().skip(skip).take(take).collect()
        } else {
            elements.into_iter().skip(skip).take(take).collect()
        };
        end -= start;
        start = 0;
        picked
    } else {
        elements
    };
    let mut items: Vec<Item> = loaded.into_iter().map(|element| Item { element, score: 0.0, weight: None }).collect();

    let mut conversion_error = false;
    if !dontsort {
        let by_pattern = by.map(Pattern::parse);
        for item in &mut items {
            let weight = match &by_pattern {
                Some(p) => match resolve(ctx, p, &item.element) {
                    Some(w) => Some(w),
                    None => continue, // a missing weight: score 0, sorted first with ALPHA
                },
                None => None,
            };
            if alpha {
                item.weight = weight;
                continue;
            }
            let text = weight.as_deref().unwrap_or(&item.element);
            let parsed = strtod::strtod(text);
            item.score = parsed.value;
            let trailing = text.get(parsed.end).is_some_and(|&b| b != 0);
            if trailing || parsed.out_of_range || parsed.value.is_nan() {
                conversion_error = true;
            }
        }
        let comparator = Comparator { desc: o.desc, alpha, by_pattern: by.is_some(), store: o.store.is_some() };
        let mut cmp = |a: &Item, b: &Item| comparator.compare(a, b);
        if by.is_some() && (start != 0 || end != items.len() as i64 - 1) {
            pqsort::pqsort(&mut items, &mut cmp, start, end);
        } else {
            items.sort_by(cmp);
        }
    }
    if conversion_error {
        return Err(Frame::error("ERR One or more scores can't be converted into double"));
    }

    let gets: Vec<Pattern> = o.gets.iter().map(|g| Pattern::parse(g)).collect();
    let chosen = match (usize::try_from(start), usize::try_from(end)) {
        (Ok(s), Ok(e)) if e >= s => &items[s..=e.min(items.len().saturating_sub(1))],
        _ => &items[..0],
    };
    let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(chosen.len() * gets.len().max(1));
    for item in chosen {
        if gets.is_empty() {
            out.push(Some(item.element.clone()));
        }
        for g in &gets {
            out.push(resolve(ctx, g, &item.element));
        }
    }
    match o.store {
        None => Ok(Frame::Array(out.into_iter().map(|v| v.map_or(Frame::Null, Frame::Bulk)).collect())),
        Some(dest) => {
            let count = out.len();
            // A missing GET value is stored as an empty string.
            let values: Vec<Vec<u8>> = out.into_iter().map(Option::unwrap_or_default).collect();
            source::store_list(ctx, dest, values)?;
            Ok(Frame::Integer(count as i64))
        }
    }
}
