//! LLEN, LRANGE, LINDEX and LPOS: the read-only list commands.

use super::{clamp_range, list_for_read, opt_is, reply};
use crate::cmd::args::int_arg;
use crate::engine::{errors, Ctx};
use crate::resp::Frame;

/// LLEN key
pub fn llen(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    reply(list_for_read(ctx, key).map(|l| Frame::Integer(l.map_or(0, |l| l.len() as i64))))
}

/// LRANGE key start stop (indexes parsed before the key is looked up).
pub fn lrange(ctx: &mut Ctx) -> Frame {
    reply(lrange_body(ctx))
}

fn lrange_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let start = int_arg(ctx.arg(2))?;
    let end = int_arg(ctx.arg(3))?;
    let key = ctx.arg(1);
    let Some(list) = list_for_read(ctx, key)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    Ok(match clamp_range(start, end, list.len()) {
        Some((start, end)) => super::encoded_bulk_array(list.range(start, end)),
        None => Frame::Array(Vec::new()),
    })
}

/// LINDEX key index (the key is looked up before the index is parsed).
pub fn lindex(ctx: &mut Ctx) -> Frame {
    reply(lindex_body(ctx))
}

fn lindex_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let (key, index_arg) = (ctx.arg(1), ctx.arg(2));
    let Some(list) = list_for_read(ctx, key)? else {
        return Ok(Frame::Null);
    };
    let index = int_arg(index_arg)?;
    Ok(resolve_index(index, list.len())
        .and_then(|i| list.get(i))
        .map_or(Frame::Null, |item| Frame::bulk(item.to_vec())))
}

/// A list index (negative counts from the tail) as a position, if inside a list of `len`.
pub(super) fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len.checked_add(index)? } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

/// LPOS's options.
struct LposOpts {
    rank: i64,
    /// `None`: no COUNT option (reply a single index); `Some(0)`: all matches.
    count: Option<i64>,
    maxlen: i64,
}

fn parse_lpos(argv: &[Vec<u8>]) -> Result<LposOpts, Frame> {
    let mut opts = LposOpts { rank: 1, count: None, maxlen: 0 };
    let mut j = 3;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if opt_is(opt, "RANK") && more > 0 {
            j += 1;
            opts.rank = int_arg(&argv[j])?;
            if opts.rank == 0 {
                return Err(Frame::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
                     negative to start from the end of the list",
                ));
            }
        } else if opt_is(opt, "COUNT") && more > 0 {
            j += 1;
            opts.count = Some(super::ranged_int(&argv[j], 0, "COUNT can't be negative")?);
        } else if opt_is(opt, "MAXLEN") && more > 0 {
            j += 1;
            opts.maxlen = super::ranged_int(&argv[j], 0, "MAXLEN can't be negative")?;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        j += 1;
    }
    Ok(opts)
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the rank-th
/// match (negative rank: searching from the tail), or with COUNT up to that many indexes; at
/// most MAXLEN elements are compared.
pub fn lpos(ctx: &mut Ctx) -> Frame {
    reply(lpos_body(ctx))
}

fn lpos_body(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let opts = parse_lpos(ctx.argv)?;
    let (key, element) = (ctx.arg(1), ctx.arg(2));
    let Some(list) = list_for_read(ctx, key)? else {
        return Ok(if opts.count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null });
    };
    let len = list.len();
    let from_tail = opts.rank < 0;
    let skip = if opts.rank == i64::MIN { 0 } else { opts.rank.unsigned_abs() - 1 };
    let scan_limit = if opts.maxlen == 0 { len } else { usize::try_from(opts.maxlen).unwrap_or(len).min(len) };
    let wanted = match opts.count {
        None => 1,
        Some(0) => usize::MAX,
        // Redis negates the rank without an overflow check: LLONG_MIN stays negative, every
        // match then counts, and its `matches - rank + 1 >= count` test wraps and never stops.
        Some(_) if opts.rank == i64::MIN => usize::MAX,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let last = len.saturating_sub(1);
    let positions: Box<dyn Iterator<Item = (usize, &[u8])>> = if from_tail {
        Box::new(list.iter_rev().enumerate().map(|(k, item)| (last - k, item)))
    } else {
        Box::new(list.iter().enumerate())
    };
    let mut matches = positions
        .take(scan_limit)
        .filter(|(_, item)| *item == element)
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(wanted)
        .map(|(i, _)| Frame::Integer(i as i64));
    match opts.count {
        Some(_) => Ok(Frame::Array(matches.collect())),
        None => Ok(matches.next().unwrap_or(Frame::Null)),
    }
}
