//! The FUNCTION family. verdis has no scripting engine, so no library can ever be loaded:
//! FUNCTION FLUSH and FUNCTION LIST are implemented for that (always empty) state, which is what
//! tools and test harnesses that reset a server call. FUNCTION LOAD and the rest are not
//! implemented (unknown subcommand), as `specs/deviations.md` says.

use crate::cmd::args::is;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    match full_name {
        "function|flush" => Some(function_flush),
        "function|list" => Some(function_list),
        _ => None,
    }
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush(ctx: &mut Ctx) -> Frame {
    match ctx.argc() {
        2 => Frame::ok(),
        3 if is(ctx.arg(2), "ASYNC") || is(ctx.arg(2), "SYNC") => Frame::ok(),
        3 => Frame::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
        _ => Frame::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
            String::from_utf8_lossy(ctx.arg(1))
        )),
    }
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list(ctx: &mut Ctx) -> Frame {
    let mut i = 2;
    let mut seen_pattern = false;
    let mut seen_code = false;
    while i < ctx.argc() {
        if is(ctx.arg(i), "WITHCODE") && !seen_code {
            seen_code = true;
            i += 1;
        } else if is(ctx.arg(i), "LIBRARYNAME") && !seen_pattern {
            if i + 1 >= ctx.argc() {
                return Frame::error("ERR library name argument was not given");
            }
            seen_pattern = true;
            i += 2;
        } else {
            return Frame::error(format!("ERR Unknown argument {}", String::from_utf8_lossy(ctx.arg(i))));
        }
    }
    Frame::Array(Vec::new())
}
