//! HSCAN key cursor [MATCH pattern] [COUNT count] (Redis's scanGenericCommand on a hash).
//!
//! A listpack is returned whole with cursor 0. A table is walked bucket by bucket with the
//! reverse-binary cursor until `2 * count` fields and values were collected, the walk ended, or
//! ten times that many buckets were visited. MATCH filters on fields; a filtered field takes its
//! value with it.

use super::as_hash;
use super::c_str_is;
use crate::cmd::args::int_arg;
use crate::cmd::keyspace::parse_scan_cursor;
use crate::engine::glob::string_match;
use crate::engine::hash::Hash;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

/// The options of a collection SCAN (HSCAN, SSCAN, ZSCAN): no TYPE.
pub(crate) struct ScanOptions<'a> {
    pub count: i64,
    pub pattern: Option<&'a [u8]>,
}

/// Parses `[MATCH pattern] [COUNT count]` from argument `first` on.
pub(crate) fn parse_options<'a>(argv: &'a [Vec<u8>], first: usize) -> Result<ScanOptions<'a>, Frame> {
    let mut opts = ScanOptions { count: 10, pattern: None };
    let mut i = first;
    while i < argv.len() {
        let more = argv.len() - i;
        if c_str_is(&argv[i], "count") && more >= 2 {
            opts.count = int_arg(&argv[i + 1])?;
            if opts.count < 1 {
                return Err(Frame::error(errors::SYNTAX));
            }
        } else if c_str_is(&argv[i], "match") && more >= 2 {
            let p = argv[i + 1].as_slice();
            // `*` matches everything: the same as no pattern.
            opts.pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 2;
    }
    Ok(opts)
}

pub fn hscan(ctx: &mut Ctx) -> Frame {
    match hscan_inner(ctx) {
        Ok(f) | Err(f) => f,
    }
}

/// The reply of a finished or missing collection scan: cursor 0, no elements.
pub(crate) fn empty_scan() -> Frame {
    Frame::Array(vec![Frame::bulk_str("0"), Frame::Array(Vec::new())])
}

fn hscan_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let cursor = parse_scan_cursor(ctx.arg(2))?;
    let argv = ctx.argv;
    let Some(value) = ctx.lookup_read(ctx.arg(1)) else {
        return Ok(empty_scan());
    };
    let h = as_hash(value)?;
    let opts = parse_options(argv, 3)?;
    let (next, pairs) = collect(h, cursor, opts.count);
    let mut items = Vec::with_capacity(pairs.len() * 2);
    for (f, v) in pairs {
        if opts.pattern.is_some_and(|p| !string_match(p, &f, false)) {
            continue;
        }
        items.push(Frame::Bulk(f));
        items.push(Frame::Bulk(v));
    }
    // Redis replies with the cursor as a signed 64-bit number.
    Ok(Frame::Array(vec![Frame::Bulk((next as i64).to_string().into_bytes()), Frame::Array(items)]))
}

/// Field/value pairs, owned.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The pairs one HSCAN call visits and the next cursor.
fn collect(h: &Hash, mut cursor: u64, count: i64) -> (u64, Pairs) {
    let mut found: Pairs = Vec::new();
    if h.is_listpack() {
        return (0, h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect());
    }
    // Fields and values count separately, as Redis's flat list of both.
    let want = count.saturating_mul(2) as u64;
    let mut max_iterations = count.saturating_mul(2).saturating_mul(10);
    loop {
        cursor = h.scan_table(cursor, |f, v| found.push((f.to_vec(), v.to_vec()))).unwrap_or(0);
        let keep_going = cursor != 0 && max_iterations != 0 && (found.len() as u64 * 2) < want;
        max_iterations -= 1;
        if !keep_going {
            break;
        }
    }
    (cursor, found)
}
