//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence
//! of two strings, by the classic dynamic-programming table, walked back from the end the same
//! way Redis walks it so that the same subsequence and the same match ranges come out.

use super::{as_string, opt_is, reply};
use crate::cmd::args::int_arg;
use crate::engine::errors;
use crate::engine::Ctx;
use crate::resp::Frame;

const NOT_STRINGS: &str = "ERR The specified keys must contain string values";
const LEN_AND_IDX: &str = "ERR If you want both the length and indexes, please just use IDX.";
const TOO_LONG: &str = "ERR String too long for LCS";
const TABLE_TOO_BIG: &str = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
const ALLOC_FAILED: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";

/// What the client asked for.
#[derive(Default)]
struct LcsOpts {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

pub fn lcs(ctx: &mut Ctx) -> Frame {
    reply(lcs_inner(ctx))
}

/// A key's string for LCS: missing keys count as empty; `None` for other types, which are
/// refused only after both keys were looked up, as Redis does.
fn lcs_operand(ctx: &mut Ctx, key: &[u8]) -> Option<Vec<u8>> {
    match ctx.lookup_read(key) {
        None => Some(Vec::new()),
        Some(v) => as_string(v).ok().map(|s| s.as_bytes().into_owned()),
    }
}

fn parse_opts(args: &[Vec<u8>]) -> Result<LcsOpts, Frame> {
    let mut o = LcsOpts::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if opt_is(arg, "IDX") {
            o.idx = true;
        } else if opt_is(arg, "LEN") {
            o.len = true;
        } else if opt_is(arg, "WITHMATCHLEN") {
            o.with_match_len = true;
        } else if opt_is(arg, "MINMATCHLEN") && i + 1 < args.len() {
            o.min_match_len = int_arg(&args[i + 1])?.max(0) as u64;
            i += 1;
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 1;
    }
    if o.len && o.idx {
        return Err(Frame::error(LEN_AND_IDX));
    }
    Ok(o)
}

fn lcs_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let a = lcs_operand(ctx, ctx.arg(1));
    let b = lcs_operand(ctx, ctx.arg(2));
    let (Some(a), Some(b)) = (a, b) else {
        return Err(Frame::error(NOT_STRINGS));
    };
    let opts = parse_opts(&ctx.argv[3..])?;
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err(Frame::error(TOO_LONG));
    }
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    if cells * 4 > ctx.engine.config.proto_max_bulk_len as u128 {
        return Err(Frame::error(TABLE_TOO_BIG));
    }
    let table = LcsTable::build(&a, &b).ok_or_else(|| Frame::error(ALLOC_FAILED))?;
    let total = table.at(a.len(), b.len()) as i64;
    if opts.len {
        return Ok(Frame::Integer(total));
    }
    let (subsequence, matches) = table.walk_back(&a, &b, &opts);
    if !opts.idx {
        return Ok(Frame::Bulk(subsequence));
    }
    Ok(Frame::Map(vec![
        (Frame::bulk_str("matches"), Frame::Array(matches)),
        (Frame::bulk_str("len"), Frame::Integer(total)),
    ]))
}

/// `cells[i * (blen + 1) + j]` is the LCS length of a[..i] and b[..j].
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    /// Fills the table; `None` when it cannot be allocated.
    fn build(a: &[u8], b: &[u8]) -> Option<LcsTable> {
        let width = b.len() + 1;
        let size = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).ok()?;
        cells.resize(size, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(LcsTable { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks from the end of both strings back to the start, collecting the subsequence and
    /// the contiguous match ranges (last ones first), as Redis reports them.
    fn walk_back(&self, a: &[u8], b: &[u8], opts: &LcsOpts) -> (Vec<u8>, Vec<Frame>) {
        let mut out = vec![0u8; self.at(a.len(), b.len()) as usize];
        let mut matches = Vec::new();
        let mut fill = out.len();
        // The range being grown backwards: (a_start, a_end, b_start, b_end).
        let mut range: Option<(usize, usize, usize, usize)> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                fill -= 1;
                out[fill] = a[i - 1];
                range = match range {
                    None => Some((i - 1, i - 1, j - 1, j - 1)),
                    // Contiguous with the current range: extend it backwards.
                    Some((sa, ea, sb, eb)) if sa == i && sb == j => Some((sa - 1, ea, sb - 1, eb)),
                    Some(r) => {
                        emit = true;
                        Some(r)
                    }
                };
                // A range touching the start of either string cannot grow further.
                if matches!(range, Some((0, ..)) | Some((_, _, 0, _))) {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = range.is_some();
            }
            if emit {
                if let Some((sa, ea, sb, eb)) = range.take() {
                    let len = (ea - sa + 1) as u64;
                    if opts.idx && len >= opts.min_match_len {
                        matches.push(match_frame(sa, ea, sb, eb, opts.with_match_len));
                    }
                }
            }
        }
        (out, matches)
    }
}

fn match_frame(sa: usize, ea: usize, sb: usize, eb: usize, with_len: bool) -> Frame {
    let pair = |s: usize, e: usize| Frame::Array(vec![Frame::Integer(s as i64), Frame::Integer(e as i64)]);
    let mut item = vec![pair(sa, ea), pair(sb, eb)];
    if with_len {
        item.push(Frame::Integer((ea - sa + 1) as i64));
    }
    Frame::Array(item)
}
