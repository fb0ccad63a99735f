//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c). The Lua engine is in
//! `engine/script/`.

use crate::cmd::args::is;
use crate::cmd::keyspace::help_reply;
use crate::engine::script::run::EvalKind;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "eval" => eval,
        "evalsha" => evalsha,
        "eval_ro" => eval_ro,
        "evalsha_ro" => evalsha_ro,
        "script|load" => script_load,
        "script|exists" => script_exists,
        "script|flush" => script_flush,
        "script|kill" => script_kill,
        "script|help" => script_help,
        _ => return None,
    };
    Some(h)
}

fn run_eval(ctx: &mut Ctx, kind: EvalKind) -> Frame {
    // The script's writes propagate as themselves; the EVAL never does (Redis 7.0).
    ctx.prevent_propagation();
    ctx.engine.eval_command(ctx.client, ctx.argv, ctx.meta, kind, ctx.now_ms)
}

/// EVAL script numkeys [key ...] [arg ...]
fn eval(ctx: &mut Ctx) -> Frame {
    run_eval(ctx, EvalKind { evalsha: false, ro: false })
}

fn evalsha(ctx: &mut Ctx) -> Frame {
    run_eval(ctx, EvalKind { evalsha: true, ro: false })
}

fn eval_ro(ctx: &mut Ctx) -> Frame {
    run_eval(ctx, EvalKind { evalsha: false, ro: true })
}

fn evalsha_ro(ctx: &mut Ctx) -> Frame {
    run_eval(ctx, EvalKind { evalsha: true, ro: true })
}

/// SCRIPT LOAD script: compiles and caches it; its SHA1.
fn script_load(ctx: &mut Ctx) -> Frame {
    match ctx.engine.scripting.create_script(ctx.arg(2)) {
        Ok(sha) => Frame::bulk(sha.into_bytes()),
        Err(text) => Frame::error(format!("ERR {text}")),
    }
}

/// SCRIPT EXISTS sha1 [sha1 ...]: 1 or 0 for each (the SHA1 is matched case-insensitively).
fn script_exists(ctx: &mut Ctx) -> Frame {
    let scripts = &ctx.engine.scripting.scripts;
    let found = ctx.argv[2..]
        .iter()
        .map(|sha| Frame::Integer(scripts.contains_key(&String::from_utf8_lossy(sha).to_ascii_lowercase()) as i64));
    Frame::Array(found.collect())
}

/// SCRIPT FLUSH [ASYNC|SYNC]: forgets every script and resets the Lua state.
fn script_flush(ctx: &mut Ctx) -> Frame {
    let valid = ctx.argc() == 2 || (ctx.argc() == 3 && (is(ctx.arg(2), "SYNC") || is(ctx.arg(2), "ASYNC")));
    if !valid {
        return Frame::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    ctx.engine.scripting.flush_scripts();
    Frame::ok()
}

/// SCRIPT KILL: verdis runs a script to its end within one command, so none is ever busy.
fn script_kill(_ctx: &mut Ctx) -> Frame {
    Frame::error("NOTBUSY No scripts in execution right now.")
}

fn script_help(_ctx: &mut Ctx) -> Frame {
    help_reply(
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    )
}
