//! Running a script (Redis's scriptPrepareForRun, luaCallFunction, scriptCall): the checks made
//! before it starts, the per-run `redis.call`/`pcall`/`setresp`/`set_repl`/`acl_check_cmd`, and
//! the conversion of its result.
//!
//! `redis.call` runs the command through `Engine::call`, the same path a client's command takes
//! after its checks: statistics, keyspace events, WATCH, tracking invalidation, MONITOR (as the
//! `lua` client), and propagation. The script's own call is never propagated; the commands it
//! ran are, as one unit (wrapped in MULTI/EXEC when there are several).

use super::convert::{error_message, error_table, frame_to_lua, lua_to_frame, ErrorInfo};
use super::state::{lua_bytes, LuaState, ScriptError};
use super::{FLAG_ALLOW_OOM, FLAG_EVAL_COMPAT, FLAG_NO_WRITES};
use crate::engine::acl::Reason;
use crate::engine::client::ClientState;
use crate::engine::meta::CommandMeta;
use crate::engine::table::Flags;
use crate::engine::{errors, Engine};
use crate::resp::Frame;
use mlua::{Lua, MultiValue, Table, Value};
use std::cell::RefCell;

/// What to run.
pub struct RunSpec<'a> {
    /// The name errors show: the script's SHA1, or the function's name.
    pub name: &'a str,
    pub flags: u32,
    /// Called as EVAL_RO / EVALSHA_RO / FCALL_RO.
    pub ro_command: bool,
    /// EVAL (KEYS and ARGV are globals) rather than FCALL (they are the function's arguments).
    pub eval_mode: bool,
    /// Where the state keeps the compiled function (`LuaState::stored`).
    pub key: &'a str,
    pub keys: &'a [Vec<u8>],
    pub args: &'a [Vec<u8>],
    /// The caller's command, for client-side caching of its keys.
    pub caller_meta: &'static CommandMeta,
    pub caller_argv: &'a [Vec<u8>],
}

/// The state of one run, shared by the per-run Lua functions.
struct Run<'e> {
    engine: &'e mut Engine,
    caller: &'e ClientState,
    script_client: ClientState,
    read_only: bool,
    allow_oom: bool,
    write_dirty: bool,
    /// redis.set_repl: 0 stops propagating the following commands.
    repl_flags: i64,
    caller_meta: &'static CommandMeta,
    caller_argv: &'e [Vec<u8>],
    now_ms: u64,
}

/// The id of the client scripts run their commands as (never a real client's).
pub const SCRIPT_CLIENT_ID: u64 = 0;

impl Engine {
    /// The checks Redis makes before a script with declared flags runs (scriptPrepareForRun);
    /// the error reply when one fails.
    pub(crate) fn script_precheck(&mut self, flags: u32, ro_command: bool) -> Option<Frame> {
        if flags & FLAG_EVAL_COMPAT != 0 {
            return None;
        }
        if flags & FLAG_NO_WRITES != 0 {
            return None;
        }
        if let Some(refusal) = self.script_write_precheck(ro_command) {
            return Some(refusal);
        }
        let maxmemory = self.config.num_value(crate::engine::config::index_of("maxmemory"));
        if self.eviction.out_of_memory && maxmemory != 0 && flags & FLAG_ALLOW_OOM == 0 {
            return Some(Frame::error(
                "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
            ));
        }
        None
    }

    fn script_write_precheck(&mut self, ro_command: bool) -> Option<Frame> {
        if let Some(denial) = self.write_denial() {
            let text = match denial {
                crate::persist::denial::WriteDenial::Rdb => "MISCONF Redis is configured to save RDB snapshots, but \
                     it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag \
                     for read only scripts."
                    .to_string(),
                crate::persist::denial::WriteDenial::Aof(reason) => format!(
                    "MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to \
                     disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: \
                     {reason}"
                ),
            };
            return Some(Frame::error(text));
        }
        if ro_command {
            return Some(Frame::error("ERR Can not execute a script with write flag using *_ro command."));
        }
        let min_replicas = self.config.min_replicas_to_write();
        let max_lag_s = self.config.num_value(crate::engine::config::index_of("min-replicas-max-lag")).max(0) as u64;
        if min_replicas > 0
            && max_lag_s > 0
            && (self.repl.good_replicas(self.now_ms / 1000, max_lag_s) as i64) < min_replicas
        {
            return Some(Frame::error(errors::NOREPLICAS));
        }
        None
    }

    /// Runs `spec.func` in `state` for `caller`: the reply to send.
    pub(crate) fn run_script(
        &mut self,
        caller: &mut ClientState,
        state: &LuaState,
        spec: &RunSpec,
        now_ms: u64,
    ) -> Frame {
        self.scripting.error_counted = false;
        let threshold_ms = self.config.num_value(crate::engine::config::index_of("busy-reply-threshold")).max(0);
        let mut script_client = ClientState::new(SCRIPT_CLIENT_ID, "lua".to_string(), String::new(), caller.created_ms);
        script_client.db = caller.db;
        script_client.user = caller.user.clone();
        script_client.authenticated = true;
        script_client.deny_blocking = true;
        let read_only = spec.ro_command || (spec.flags & FLAG_EVAL_COMPAT == 0 && spec.flags & FLAG_NO_WRITES != 0);
        let allow_oom = spec.flags & FLAG_EVAL_COMPAT == 0 && spec.flags & FLAG_ALLOW_OOM != 0;
        let run = RefCell::new(Run {
            engine: self,
            caller,
            script_client,
            read_only,
            allow_oom,
            write_dirty: false,
            repl_flags: 3,
            caller_meta: spec.caller_meta,
            caller_argv: spec.caller_argv,
            now_ms,
        });
        if threshold_ms > 0 {
            install_budget(&state.lua, threshold_ms as u64, BUDGET_EXCEEDED);
        }
        let outcome = execute_in_scope(&run, state, spec);
        state.lua.remove_hook();
        let run = run.into_inner();
        let script_resp = run.script_client.resp;
        let engine = run.engine;
        engine.drain_script_log();
        engine.scripting.gc_count += 1;
        if engine.scripting.gc_count == GC_CYCLE_PERIOD {
            engine.scripting.gc_count = 0;
            let _ = state.lua.gc_step_kbytes(GC_CYCLE_PERIOD as i32);
        }
        match outcome {
            Ok((true, value)) => {
                let frame = lua_to_frame(&value, script_resp);
                if let Value::Table(t) = &value {
                    if frame.is_error() {
                        engine.scripting.error_counted = ErrorInfo::from_value(&Value::Table(t.clone())).ignore_stats;
                    }
                }
                frame
            }
            Ok((false, err)) => {
                let info = ErrorInfo::from_value(&err);
                engine.scripting.error_counted = info.ignore_stats;
                let mut text = info.msg;
                if let (Some(line), Some(source)) = (info.line, info.source) {
                    text = format!("{text} script: {}, on {source}:{line}.", spec.name);
                }
                Frame::error_untrimmed(text)
            }
            Err(e) => Frame::error(format!("ERR Error running script {}, {}", spec.name, super::state::error_text(&e))),
        }
    }

    /// Moves what scripts logged with redis.log to the server log, at or above `loglevel`.
    fn drain_script_log(&mut self) {
        let lines = match self.scripting.log.lock() {
            Ok(mut lines) => std::mem::take(&mut *lines),
            Err(_) => return,
        };
        let min = self.config.loglevel() as u8;
        for (level, line) in lines {
            if level < min {
                continue;
            }
            let level = match level {
                0 => crate::engine::config::LogLevel::Debug,
                1 => crate::engine::config::LogLevel::Verbose,
                2 => crate::engine::config::LogLevel::Notice,
                _ => crate::engine::config::LogLevel::Warning,
            };
            self.persist.log(level, &line);
        }
    }
}

fn busy() -> mlua::Error {
    mlua::Error::external(ScriptError { err: "ERR redis.call reentered".into(), ignore_stats: false })
}

/// Every this many scripts (EVAL and functions alike), the state that ran the last one takes
/// this many kilobytes' worth of garbage collection steps, as Redis does so that garbage does
/// not pile up until a full collection (LUA_GC_CYCLE_PERIOD in script_lua.c).
pub const GC_CYCLE_PERIOD: u32 = 50;

/// Lua instructions between two budget checks.
const BUDGET_STEP: u32 = 100_000;

/// verdis cannot serve other clients while a script runs (no SCRIPT KILL), so a script that runs
/// past `busy-reply-threshold` would hang the server: it is stopped instead, after a number of
/// Lua instructions proportional to the threshold (deterministic, unlike a clock): 20,000 per
/// millisecond, about what Lua 5.1 runs.
pub fn install_budget(lua: &Lua, threshold_ms: u64, message: &'static str) {
    let limit = (threshold_ms.saturating_mul(20_000) / u64::from(BUDGET_STEP)).max(1);
    let steps = std::sync::atomic::AtomicU64::new(0);
    let triggers = mlua::HookTriggers::new().every_nth_instruction(BUDGET_STEP);
    let _ = lua.set_hook(triggers, move |_, _| {
        let n = steps.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n > limit {
            return Err(raise_text(message, false));
        }
        Ok(mlua::VmState::Continue)
    });
}

/// The error of a library whose loading ran past Redis's 500 ms limit (counted in instructions).
pub const LOAD_BUDGET_EXCEEDED: &str = "FUNCTION LOAD timeout";

/// The error of a script stopped by its instruction budget.
pub const BUDGET_EXCEEDED: &str =
    "Script stopped: it ran longer than busy-reply-threshold allows (verdis has no SCRIPT KILL)";

/// The functions set in `redis` for one run.
const PER_RUN: [&str; 5] = ["call", "pcall", "setresp", "set_repl", "acl_check_cmd"];

/// Installs the per-run functions, runs the script, and removes them again.
fn execute_in_scope(run: &RefCell<Run>, state: &LuaState, spec: &RunSpec) -> mlua::Result<(bool, Value)> {
    let lua = &state.lua;
    lua.scope(|scope| {
        let call = scope.create_function(|lua, args: MultiValue| {
            run.try_borrow_mut().map_err(|_| busy())?.redis_call(lua, args, true)
        })?;
        let pcall = scope.create_function(|lua, args: MultiValue| {
            run.try_borrow_mut().map_err(|_| busy())?.redis_call(lua, args, false)
        })?;
        let setresp =
            scope.create_function(|_, args: MultiValue| run.try_borrow_mut().map_err(|_| busy())?.setresp(args))?;
        let set_repl =
            scope.create_function(|_, args: MultiValue| run.try_borrow_mut().map_err(|_| busy())?.set_repl(args))?;
        let acl_check = scope
            .create_function(|_, args: MultiValue| run.try_borrow_mut().map_err(|_| busy())?.acl_check_cmd(args))?;
        for (name, f) in PER_RUN.iter().zip([call, pcall, setresp, set_repl, acl_check]) {
            state.redis.raw_set(*name, f)?;
        }
        let keys = string_array(lua, spec.keys)?;
        let args = string_array(lua, spec.args)?;
        if spec.eval_mode {
            state.globals.raw_set("KEYS", keys.clone())?;
            state.globals.raw_set("ARGV", args.clone())?;
        }
        let func = state.stored(spec.key).map_err(mlua::Error::runtime)?;
        let outcome = state.run.call::<(bool, Value)>((func, keys, args, !spec.eval_mode));
        for name in PER_RUN {
            state.redis.raw_set(name, Value::Nil)?;
        }
        outcome
    })
}

fn string_array(lua: &Lua, items: &[Vec<u8>]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(t)
}

/// redis.call's arguments as a command (Redis's luaArgsToRedisArgv): numbers as `%.17g`.
fn args_to_argv(args: &[Value]) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for v in args {
        match v {
            Value::Number(n) => argv.push(crate::resp::format_double(*n).into_bytes()),
            Value::Integer(i) => argv.push(i.to_string().into_bytes()),
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// The error a per-run function raises for `text`.
fn raise_text(text: &str, ignore_stats: bool) -> mlua::Error {
    mlua::Error::external(ScriptError { err: error_message(text), ignore_stats })
}

impl Run<'_> {
    /// redis.call (`raise`) and redis.pcall.
    fn redis_call(&mut self, lua: &Lua, args: MultiValue, raise: bool) -> mlua::Result<Value> {
        let args: Vec<Value> = args.into_iter().collect();
        let argv = match args_to_argv(&args) {
            Ok(argv) => argv,
            Err(text) if raise => return Err(raise_text(text, false)),
            Err(text) => return Ok(Value::Table(error_table(lua, text)?)),
        };
        match self.script_call(&argv) {
            Err(text) => {
                self.engine.stats.total_error_replies += 1;
                self.engine.stats.count_error(&error_message(&text));
                if raise {
                    return Err(raise_text(&text, true));
                }
                let t = error_table(lua, &text)?;
                t.raw_set("ignore_error_stats_update", true)?;
                Ok(Value::Table(t))
            }
            Ok(reply) => {
                if let Some(text) = reply.error_text() {
                    self.engine.stats.total_error_replies += 1;
                    self.engine.stats.count_error(text);
                    if raise {
                        return Err(raise_text(&format!("-{text}"), true));
                    }
                }
                frame_to_lua(lua, &reply, self.script_client.resp)
            }
        }
    }

    /// Redis's scriptCall: the checks, then the command; the error text when refused.
    fn script_call(&mut self, argv: &[Vec<u8>]) -> Result<Frame, String> {
        const UNKNOWN: &str = "Unknown Redis command called from script";
        let cmd = self.engine.resolve(argv).map_err(|_| UNKNOWN.to_string())?;
        let arity = cmd.meta.arity;
        let argc = argv.len() as i32;
        let result = (|| {
            if (arity > 0 && arity != argc) || argc < -arity {
                return Err("Wrong number of args calling Redis command from script".to_string());
            }
            if cmd.flags.contains(Flags::NOSCRIPT) && !self.engine.debug.disable_deny_scripts {
                return Err("This Redis command is not allowed from script".to_string());
            }
            if let Err(reason) = self.engine.acl_check_script(&self.script_client, cmd.meta, argv) {
                let what = match reason {
                    Reason::Command => "can't run this command or subcommand",
                    Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
                    Reason::Channel => "can't publish to the channel mentioned in the command",
                    Reason::Auth => "lacking the permissions for the command",
                };
                return Err(format!("The user executing the script {what}"));
            }
            let is_write = cmd.flags.contains(Flags::WRITE);
            if self.read_only && (is_write || cmd.flags.contains(Flags::MAY_REPLICATE)) {
                return Err("Write commands are not allowed from read-only scripts.".to_string());
            }
            if is_write && !self.write_dirty {
                if let Some(denial) = self.engine.write_denial() {
                    return Err(format!("-{}", denial.message()));
                }
                let min_replicas = self.engine.config.min_replicas_to_write();
                if min_replicas > 0 {
                    let idx = crate::engine::config::index_of("min-replicas-max-lag");
                    let max_lag_s = self.engine.config.num_value(idx).max(0) as u64;
                    let good = self.engine.repl.good_replicas(self.engine.now_ms / 1000, max_lag_s) as i64;
                    if max_lag_s > 0 && good < min_replicas {
                        return Err(format!("-{}", errors::NOREPLICAS));
                    }
                }
            }
            let maxmemory = self.engine.config.num_value(crate::engine::config::index_of("maxmemory"));
            if !self.allow_oom
                && maxmemory != 0
                && !self.write_dirty
                && self.engine.eviction.out_of_memory
                && cmd.flags.contains(Flags::DENYOOM)
            {
                return Err(format!("-{}", crate::engine::evict::OOM_ERROR));
            }
            Ok(())
        })();
        if let Err(text) = result {
            self.engine.command_stats[cmd.stat_index].rejected_calls += 1;
            return Err(text);
        }
        if cmd.flags.contains(Flags::WRITE) {
            self.write_dirty = true;
        }
        let propagate = self.engine.prop.enabled;
        if self.repl_flags == 0 {
            self.engine.prop.enabled = false;
        }
        let reply = self.engine.call(&mut self.script_client, &cmd, argv, self.now_ms);
        self.engine.prop.enabled = propagate;
        self.script_client.pushes.clear();
        self.script_client.pushes_after.clear();
        // A tracking caller caches the keys its script declared once the script reads.
        if cmd.flags.contains(Flags::READONLY) && self.caller.tracking.on && !self.caller.tracking.bcast {
            self.engine.tracking_remember_keys(self.caller, self.caller_meta, self.caller_argv);
        }
        Ok(reply)
    }

    fn setresp(&mut self, args: MultiValue) -> mlua::Result<()> {
        if args.len() != 1 {
            return Err(raise_text("redis.setresp() requires one argument.", false));
        }
        let resp = args.iter().next().map(number_of).unwrap_or(0.0) as i64;
        if resp != 2 && resp != 3 {
            return Err(raise_text("RESP version must be 2 or 3.", false));
        }
        self.script_client.resp = resp as u8;
        Ok(())
    }

    fn set_repl(&mut self, args: MultiValue) -> mlua::Result<()> {
        if args.len() != 1 {
            return Err(raise_text("redis.set_repl() requires two arguments.", false));
        }
        let flags = args.iter().next().map(number_of).unwrap_or(0.0) as i64;
        if flags & !3 != 0 {
            return Err(raise_text(
                "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                false,
            ));
        }
        self.repl_flags = flags;
        Ok(())
    }

    fn acl_check_cmd(&mut self, args: MultiValue) -> mlua::Result<bool> {
        let args: Vec<Value> = args.into_iter().collect();
        let argv = args_to_argv(&args).map_err(|text| raise_text(text, false))?;
        let Ok(cmd) = self.engine.resolve(&argv) else {
            return Err(raise_text("Invalid command passed to redis.acl_check_cmd()", false));
        };
        Ok(self.engine.acl_allows(self.caller, cmd.meta, &argv))
    }
}

/// lua_tonumber: numbers, and strings that read as numbers; 0 otherwise.
fn number_of(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        other => lua_bytes(other).and_then(|b| String::from_utf8_lossy(&b).trim().parse::<f64>().ok()).unwrap_or(0.0),
    }
}

/// The reply EVALSHA gets for an unknown script.
pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Which EVAL variant runs.
#[derive(Clone, Copy, Debug)]
pub struct EvalKind {
    pub evalsha: bool,
    pub ro: bool,
}

impl Engine {
    /// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO (Redis's evalGenericCommand).
    pub(crate) fn eval_command(
        &mut self,
        caller: &mut ClientState,
        argv: &[Vec<u8>],
        meta: &'static CommandMeta,
        kind: EvalKind,
        now_ms: u64,
    ) -> Frame {
        // The script's commands are shown after the script itself (EVAL skips the usual feed).
        if !self.monitors.is_empty() {
            self.feed_monitors(caller, argv, now_ms);
        }
        if kind.evalsha && argv[1].len() != 40 {
            return Frame::error(NOSCRIPT);
        }
        let numkeys = match crate::cmd::args::int_arg(&argv[2]) {
            Ok(n) => n,
            Err(e) => return e,
        };
        if numkeys > argv.len() as i64 - 3 {
            return Frame::error("ERR Number of keys can't be greater than number of args");
        } else if numkeys < 0 {
            return Frame::error("ERR Number of keys can't be negative");
        }
        let sha = if kind.evalsha {
            let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
            if !self.scripting.scripts.contains_key(&sha) {
                return Frame::error(NOSCRIPT);
            }
            sha
        } else {
            match self.scripting.create_script(&argv[1]) {
                Ok(sha) => sha,
                Err(text) => return Frame::error(format!("ERR {text}")),
            }
        };
        let Some(script) = self.scripting.scripts.get(&sha) else {
            return Frame::error(NOSCRIPT);
        };
        let flags = script.flags;
        if let Some(refusal) = self.script_precheck(flags, kind.ro) {
            return refusal;
        }
        let state = match self.scripting.eval_state() {
            Ok(state) => state.clone(),
            Err(e) => return Frame::error(format!("ERR {e}")),
        };
        let split = 3 + numkeys as usize;
        let spec = RunSpec {
            name: &sha,
            flags,
            ro_command: kind.ro,
            eval_mode: true,
            key: &sha,
            keys: &argv[3..split],
            args: &argv[split..],
            caller_meta: meta,
            caller_argv: argv,
        };
        self.run_script(caller, &state, &spec, now_ms)
    }
}
