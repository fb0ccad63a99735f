//! DEBUG FAULT: arms the persistence faults of the catalogue (`crate::persist::faults`,
//! specs/faults.md) in a running server, for people testing how their clients and tools behave
//! when the server cannot persist. A verdis extension of Redis's DEBUG, gated like the rest of
//! DEBUG by `enable-debug-command`.
//!
//! ```text
//! DEBUG FAULT ARM <name> [COUNT n] [PATH substring]   -> OK
//! DEBUG FAULT DISARM [<name>]                         -> number of faults disarmed
//! DEBUG FAULT LIST                                    -> the armed faults, one line each
//! DEBUG FAULT CATALOGUE                               -> every fault name with what it does
//! ```

use crate::cmd::args::{err, int_arg, is};
use crate::engine::{errors, Ctx};
use crate::persist::faults::{FaultKind, CATALOGUE};
use crate::resp::Frame;

/// DEBUG FAULT <subcommand> ...
pub fn debug_fault(ctx: &mut Ctx) -> Frame {
    if ctx.argc() < 3 {
        return usage_error();
    }
    let sub = ctx.arg(2);
    if is(sub, "ARM") && ctx.argc() >= 4 {
        arm(ctx)
    } else if is(sub, "DISARM") && ctx.argc() <= 4 {
        disarm(ctx)
    } else if is(sub, "LIST") && ctx.argc() == 3 {
        list(ctx)
    } else if is(sub, "CATALOGUE") && ctx.argc() == 3 {
        let lines = CATALOGUE.iter().map(|k| Frame::bulk_str(&format!("{}: {}", k.name(), k.description())));
        Frame::Array(lines.collect())
    } else {
        usage_error()
    }
}

fn usage_error() -> Frame {
    err("ERR DEBUG FAULT subcommands: ARM <name> [COUNT n] [PATH substring], DISARM [<name>], LIST, CATALOGUE")
}

fn fault_kind(name: &[u8]) -> Result<FaultKind, Frame> {
    let text = String::from_utf8_lossy(&name[..name.len().min(64)]).into_owned();
    FaultKind::from_name(&text).ok_or_else(|| err(&format!("ERR unknown fault '{text}'. Try DEBUG FAULT CATALOGUE.")))
}

/// ARM <name> [COUNT n] [PATH substring]
fn arm(ctx: &mut Ctx) -> Frame {
    let kind = match fault_kind(ctx.arg(3)) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let (mut count, mut path) = (None, String::new());
    let mut j = 4;
    while j < ctx.argc() {
        if j + 1 >= ctx.argc() {
            return err(errors::SYNTAX);
        }
        let (opt, value) = (ctx.arg(j), ctx.arg(j + 1));
        if is(opt, "COUNT") {
            match int_arg(value) {
                Ok(n) if n > 0 => count = Some(n as u64),
                _ => return err("ERR COUNT must be a positive integer"),
            }
        } else if is(opt, "PATH") {
            path = String::from_utf8_lossy(value).into_owned();
        } else {
            return err(errors::SYNTAX);
        }
        j += 2;
    }
    match ctx.engine.persist.faults.arm(kind, count, &path) {
        Ok(_) => {
            let scope = count.map_or("until disarmed".to_string(), |n| format!("for the next {n}"));
            let line = format!("DEBUG FAULT: armed '{}' {scope} (path filter '{path}')", kind.name());
            ctx.engine.persist.log(crate::engine::config::LogLevel::Warning, &line);
            Frame::ok()
        }
        Err(e) => err(&format!("ERR {e}")),
    }
}

/// DISARM [<name>]
fn disarm(ctx: &mut Ctx) -> Frame {
    let kind = if ctx.argc() == 4 {
        match fault_kind(ctx.arg(3)) {
            Ok(k) => Some(k),
            Err(e) => return e,
        }
    } else {
        None
    };
    Frame::Integer(ctx.engine.persist.faults.disarm(kind) as i64)
}

/// LIST: `<name> remaining=<n|forever> path=<substring> fired=<n>` per armed fault.
fn list(ctx: &mut Ctx) -> Frame {
    let lines = ctx.engine.persist.faults.armed().into_iter().map(|f| {
        let remaining = f.remaining.map_or("forever".to_string(), |n| n.to_string());
        Frame::bulk_str(&format!("{} remaining={remaining} path={} fired={}", f.kind.name(), f.path_contains, f.fired))
    });
    Frame::Array(lines.collect())
}
