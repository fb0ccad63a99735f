//! SSCAN key cursor [MATCH pattern] [COUNT count] (Redis's scanGenericCommand for a set).
//!
//! An intset is returned whole in one call with cursor 0, whatever the cursor and COUNT (Redis
//! does the same for every small encoding). A hash table is walked bucket by bucket with the
//! reverse-binary cursor, so a full iteration reports every member present throughout.

use super::{as_set, opt_is, reply};
use crate::cmd::args::int_arg;
use crate::cmd::keyspace::parse_scan_cursor;
use crate::engine::errors;
use crate::engine::glob::string_match;
use crate::engine::value::SetValue;
use crate::engine::Ctx;
use crate::resp::Frame;

pub fn sscan(ctx: &mut Ctx) -> Frame {
    reply(sscan_inner(ctx))
}

fn sscan_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let cursor = parse_scan_cursor(ctx.arg(2))?;
    let args = &ctx.argv[3..];
    let Some(value) = ctx.lookup_read(ctx.arg(1)) else {
        // A missing key answers an empty scan before the options are read.
        return Ok(scan_reply(0, Vec::new()));
    };
    let set = as_set(value)?;
    let (count, pattern) = parse_options(args)?;
    let (next, found) = walk(set, cursor, count);
    let members =
        found.into_iter().filter(|m| pattern.is_none_or(|p| string_match(p, m, false))).map(Frame::Bulk).collect();
    Ok(scan_reply(next, members))
}

/// COUNT (at least 1, default 10) and MATCH (`*` is the same as none); TYPE is SCAN's only.
fn parse_options(args: &[Vec<u8>]) -> Result<(i64, Option<&[u8]>), Frame> {
    let mut count = 10;
    let mut pattern = None;
    let mut i = 0;
    while i < args.len() {
        let more = args.len() - i;
        if opt_is(&args[i], "count") && more >= 2 {
            count = int_arg(&args[i + 1])?;
            if count < 1 {
                return Err(Frame::error(errors::SYNTAX));
            }
        } else if opt_is(&args[i], "match") && more >= 2 {
            let p = args[i + 1].as_slice();
            pattern = if p == b"*" { None } else { Some(p) };
        } else {
            return Err(Frame::error(errors::SYNTAX));
        }
        i += 2;
    }
    Ok((count, pattern))
}

/// One step of the iteration: the next cursor and the members visited.
fn walk(set: &SetValue, mut cursor: u64, count: i64) -> (u64, Vec<Vec<u8>>) {
    let Some(dict) = set.dict() else {
        return (0, set.members());
    };
    let want = count as u64; // count >= 1
                             // At most ten buckets per wanted member, so a sparse table cannot make one call slow.
    let mut max_iterations = count.wrapping_mul(10);
    let mut found = Vec::new();
    loop {
        cursor = dict.scan(cursor, |k, _| found.push(k.to_vec()));
        let keep_going = cursor != 0 && max_iterations != 0 && (found.len() as u64) < want;
        max_iterations = max_iterations.wrapping_sub(1);
        if !keep_going {
            break;
        }
    }
    (cursor, found)
}

/// Redis replies with the cursor as a decimal bulk string.
fn scan_reply(cursor: u64, members: Vec<Frame>) -> Frame {
    Frame::Array(vec![Frame::Bulk((cursor as i64).to_string().into_bytes()), Frame::Array(members)])
}
