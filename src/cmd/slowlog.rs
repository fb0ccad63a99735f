//! SLOWLOG GET [count] | LEN | RESET | HELP (Redis's slowlog.c). What is logged, and when, is
//! decided in `Engine::call` (engine/slowlog.rs).

use crate::cmd::args::{err, int_arg};
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "slowlog|get" => get,
        "slowlog|len" => |ctx| Frame::Integer(ctx.engine.slowlog.entries.len() as i64),
        "slowlog|reset" => |ctx| {
            ctx.engine.slowlog.entries.clear();
            Frame::ok()
        },
        "slowlog|help" => |_| {
            crate::cmd::keyspace::help_reply(
                "SLOWLOG",
                &[
                    "GET [<count>]",
                    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                    "    Entries are made of:",
                    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                    "    client name",
                    "LEN",
                    "    Return the length of the slowlog.",
                    "RESET",
                    "    Reset the slowlog.",
                ],
            )
        },
        _ => return None,
    };
    Some(h)
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all), each as
/// [id, unix time, microseconds, arguments, peer, client name].
fn get(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 3 {
        return Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), "SLOWLOG"));
    }
    let count = if ctx.argc() == 3 {
        match int_arg(ctx.arg(2)) {
            Ok(-1) => usize::MAX,
            Ok(n) if n >= 0 => n as usize,
            Ok(_) => return err("ERR count should be greater than or equal to -1"),
            Err(e) => return e,
        }
    } else {
        10
    };
    let entries = ctx.engine.slowlog.entries.iter().take(count).map(|e| {
        Frame::Array(vec![
            Frame::Integer(e.id as i64),
            Frame::Integer(e.time_s as i64),
            Frame::Integer(e.duration_us as i64),
            Frame::Array(e.argv.iter().map(|a| Frame::Bulk(a.clone())).collect()),
            Frame::Bulk(e.peer.clone().into_bytes()),
            Frame::Bulk(e.name.clone()),
        ])
    });
    Frame::Array(entries.collect())
}
