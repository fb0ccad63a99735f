//! One Lua 5.1 state as Redis sets it up: the base, table, string and math libraries, `bit`,
//! `cjson`, `cmsgpack`, `struct`, the `redis` table, Redis's `math.random`, and the read-only sandbox (`sandbox.lua`). EVAL and
//! the functions each have their own state, as in Redis.

use super::bit;
use super::convert::error_table;
use super::sha1::sha1_hex;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use std::sync::{Arc, Mutex};

/// The source name of the sandbox chunk: error positions skip its frames.
pub const SANDBOX_SOURCE: &str = "=verdis_sandbox";

/// Redis's rand48 generator (the one its `math.random` uses): a 48-bit linear congruential
/// generator with the classic constants, starting from the classic seed. Not reset between
/// scripts: Redis 7.0 replicates effects, so scripts may be random (and are, from one call to
/// the next), while the sequence stays the same for the same history.
#[derive(Debug)]
pub struct Rand48 {
    x: u64,
}

const RAND48_MASK: u64 = (1 << 48) - 1;
const RAND48_MAX: i64 = i32::MAX as i64;

impl Default for Rand48 {
    fn default() -> Self {
        Rand48 { x: 0x1234_ABCD_330E }
    }
}

impl Rand48 {
    /// The next 31-bit value (lrand48).
    pub fn next(&mut self) -> i64 {
        self.x = (self.x.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & RAND48_MASK;
        (self.x >> 17) as i64
    }

    /// srand48: the seed's 32 bits above the fixed low 16.
    pub fn seed(&mut self, seed: i32) {
        self.x = ((seed as u32 as u64) << 16) | 0x330E;
    }
}

/// Lines scripts logged with `redis.log`, waiting for the engine to move them to its log.
pub type LogSink = Arc<Mutex<Vec<(u8, String)>>>;

/// A ready Lua state and the handles the engine uses.
#[derive(Clone)]
pub struct LuaState {
    pub lua: Lua,
    /// The sandbox's `impl` table.
    pub slots: Table,
    /// The real table behind the scripts' `redis` (per-run functions are set here).
    pub redis: Table,
    /// The real table behind `redis` while library code loads.
    pub library_redis: Table,
    /// The table behind the global proxy (KEYS and ARGV are set here).
    pub globals: Table,
    pub run: Function,
    pub run_load: Function,
    pub library_mode: Function,
    /// Compiled scripts and registered functions, by key. They live in this Lua table rather
    /// than as handles in Rust: every handle takes a slot of mlua's reference stack, which
    /// holds about 8,000, and the 8,000th cached script would abort the server.
    stored: Table,
}

impl LuaState {
    pub fn new(rand: Arc<Mutex<Rand48>>, log: LogSink) -> mlua::Result<LuaState> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
        let native = native_table(&lua, rand, log)?;
        let slots = lua.create_table()?;
        lua.load(include_str!("sandbox.lua")).set_name(SANDBOX_SOURCE).call::<()>((slots.clone(), native))?;
        let proxy: Table = slots.get("P")?;
        lua.set_globals(proxy)?;
        Ok(LuaState {
            globals: slots.get("B")?,
            redis: slots.get("R")?,
            library_redis: slots.get("LR")?,
            run: slots.get("run")?,
            run_load: slots.get("run_load")?,
            library_mode: slots.get("library_mode")?,
            stored: lua.create_table()?,
            slots,
            lua,
        })
    }

    /// Keeps `func` under `key` (replacing what was there).
    pub fn store(&self, key: &str, func: Function) -> mlua::Result<()> {
        self.stored.raw_set(key, func)
    }

    /// The function kept under `key`.
    pub fn stored(&self, key: &str) -> Result<Function, String> {
        self.stored
            .raw_get::<Option<Function>>(key)
            .ok()
            .flatten()
            .ok_or_else(|| format!("no function stored as {key}"))
    }

    /// Drops the function kept under `key`, if any.
    pub fn forget(&self, key: &str) {
        let _ = self.stored.raw_set(key, Value::Nil);
    }

    /// Bytes the Lua heap uses (INFO's used_memory_lua).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

fn native_table(lua: &Lua, rand: Arc<Mutex<Rand48>>, log: LogSink) -> mlua::Result<Table> {
    let native = lua.create_table()?;
    let rand_for_seed = rand.clone();
    native.set("random", lua.create_function(move |lua, args: MultiValue| math_random(lua, &rand, args))?)?;
    native.set(
        "randomseed",
        lua.create_function(move |lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            let seed = check_int(lua, &args, 1)?;
            if let Ok(mut r) = rand_for_seed.lock() {
                r.seed(seed);
            }
            Ok(())
        })?,
    )?;
    native.set("bit", bit::library(lua)?)?;
    native.set("cjson", super::cjson::library(lua)?)?;
    native.set("cmsgpack", super::cmsgpack::library(lua)?)?;
    native.set("struct", super::structlib::library(lua)?)?;
    native.set("sha1hex", lua.create_function(sha1hex)?)?;
    native.set("error_reply", lua.create_function(error_reply)?)?;
    native.set("status_reply", lua.create_function(status_reply)?)?;
    native.set("log", lua.create_function(move |lua, args: MultiValue| redis_log(lua, &log, args))?)?;
    native.set("handler", lua.create_function(error_handler)?)?;
    native.set(
        "register_outside",
        lua.create_function(|_, _: MultiValue| -> mlua::Result<()> {
            Err(raise("redis.register_function can only be called on FUNCTION LOAD command"))
        })?,
    )?;
    native.set(
        "is_budget",
        lua.create_function(|_, v: Value| {
            Ok(match &v {
                Value::Error(e) => script_error(e).is_some_and(|s| {
                    s.err.ends_with(super::run::BUDGET_EXCEEDED) || s.err.ends_with(super::run::LOAD_BUDGET_EXCEEDED)
                }),
                _ => false,
            })
        })?,
    )?;
    native.set(
        "error_message",
        lua.create_function(|_, v: Value| {
            Ok(match &v {
                Value::Error(e) => script_error(e).map(|s| s.err.clone()).unwrap_or_else(|| error_text(e)),
                other => lua_bytes(other).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
            })
        })?,
    )?;
    native.set("version", crate::engine::config_file::REDIS_VERSION)?;
    native.set("version_num", version_num())?;
    Ok(native)
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
fn version_num() -> f64 {
    let mut parts = crate::engine::config_file::REDIS_VERSION.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    f64::from((a << 16) | (b << 8) | c)
}

/// luaL_checkint: luaL_checkinteger kept to a C int.
fn check_int(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<i32> {
    super::lauxlib::check_integer(lua, args, narg).map(|n| n as i32)
}

/// Redis's math.random: Lua 5.1's, on rand48.
fn math_random(lua: &Lua, rand: &Mutex<Rand48>, args: MultiValue) -> mlua::Result<f64> {
    let raw = rand.lock().map(|mut r| r.next()).unwrap_or(0);
    let r = (raw % RAND48_MAX) as f64 / RAND48_MAX as f64;
    let args: Vec<Value> = args.into_iter().collect();
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = check_int(lua, &args, 1)?;
            if u < 1 {
                return Err(super::lauxlib::arg_error(lua, 1, "interval is empty"));
            }
            Ok((r * f64::from(u)).floor() + 1.0)
        }
        2 => {
            let l = check_int(lua, &args, 1)?;
            let u = check_int(lua, &args, 2)?;
            if l > u {
                return Err(super::lauxlib::arg_error(lua, 2, "interval is empty"));
            }
            Ok((r * f64::from(u.wrapping_sub(l).wrapping_add(1))).floor() + f64::from(l))
        }
        _ => Err(super::lauxlib::error(lua, "wrong number of arguments")),
    }
}

/// The bytes of a string or number argument (lua_tolstring); None for other types.
pub fn lua_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(lua_number_text(*n).into_bytes()),
        _ => None,
    }
}

/// How Lua 5.1 turns a number into a string (`%.14g`).
pub fn lua_number_text(n: f64) -> String {
    crate::resp::format_g(n, 14)
}

fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    if args.len() != 1 {
        return Err(raise("wrong number of arguments"));
    }
    let data = args.iter().next().and_then(lua_bytes).unwrap_or_default();
    Ok(Value::String(lua.create_string(sha1_hex(&data))?))
}

/// redis.error_reply: an error table (never raised), `-` added when missing.
fn error_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    let single = if args.len() == 1 { args.iter().next() } else { None };
    let Some(Value::String(s)) = single else {
        return Ok(Value::Table(error_table(lua, "wrong number or type of arguments")?));
    };
    let mut text = s.as_bytes().to_vec();
    if text.first() != Some(&b'-') {
        text.insert(0, b'-');
    }
    Ok(Value::Table(error_table(lua, &String::from_utf8_lossy(&text))?))
}

fn status_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    let single = if args.len() == 1 { args.iter().next() } else { None };
    let Some(Value::String(s)) = single else {
        return Ok(Value::Table(error_table(lua, "wrong number or type of arguments")?));
    };
    let t = lua.create_table()?;
    t.raw_set("ok", s.clone())?;
    Ok(Value::Table(t))
}

/// redis.log(level, message...): checked as Redis does, then kept for the engine's log.
fn redis_log(_: &Lua, sink: &LogSink, args: MultiValue) -> mlua::Result<()> {
    let args: Vec<Value> = args.into_iter().collect();
    let fail = |msg: &str| -> mlua::Result<()> { Err(raise(msg)) };
    if args.len() < 2 {
        return fail("redis.log() requires two arguments or more.");
    }
    let level = match &args[0] {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => match s.to_string_lossy().trim().parse::<f64>() {
            Ok(n) => n,
            Err(_) => return fail("First argument must be a number (log level)."),
        },
        _ => return fail("First argument must be a number (log level)."),
    };
    let level = level as i64;
    if !(0..=3).contains(&level) {
        return fail("Invalid debug level.");
    }
    let parts: Vec<String> =
        args[1..].iter().filter_map(lua_bytes).map(|b| String::from_utf8_lossy(&b).into_owned()).collect();
    if let Ok(mut lines) = sink.lock() {
        if lines.len() < 1000 {
            lines.push((level as u8, parts.join(" ")));
        }
    }
    Ok(())
}

/// The message handler every script runs under: turns the error into a table `{err=...}` and
/// adds where in the user's code it happened (the first Lua frame that is not the sandbox's).
fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let table = match err {
        Value::Table(t) => t,
        Value::Error(e) if script_error(&e).is_some() => {
            let t = lua.create_table()?;
            if let Some(se) = script_error(&e) {
                t.raw_set("err", se.err.as_str())?;
                if se.ignore_stats {
                    t.raw_set("ignore_error_stats_update", true)?;
                }
            }
            t
        }
        other => {
            let text = match &other {
                Value::Error(e) => error_text(e),
                v => lua_bytes(v).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_else(|| {
                    if matches!(v, Value::Nil) {
                        "nil".to_string()
                    } else {
                        format!("{}: 0x0", v.type_name())
                    }
                }),
            };
            let t = lua.create_table()?;
            t.raw_set("err", format!("ERR {text}"))?;
            t
        }
    };
    for level in 1..64 {
        let frame = lua.inspect_stack(level, |d| {
            let s = d.source();
            (s.what, s.source.map(|c| c.into_owned()), d.current_line())
        });
        let Some((what, source, line)) = frame else { break };
        if what == "C" || source.as_deref() == Some(SANDBOX_SOURCE) {
            continue;
        }
        if let Some(source) = source {
            table.raw_set("source", source)?;
        }
        if let Some(line) = line {
            table.raw_set("line", line as f64)?;
        }
        break;
    }
    Ok(table)
}

/// The text of an error a Rust callback raised, without mlua's traceback decoration.
pub fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(s) => s.clone(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        other => other.to_string(),
    }
}

/// An error a Redis API function raises: Redis raises a table `{err=...}`; mlua callbacks raise
/// Rust errors, so the table's fields travel in this and the handler rebuilds the table.
#[derive(Debug, Clone)]
pub struct ScriptError {
    pub err: String,
    pub ignore_stats: bool,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.err)
    }
}

impl std::error::Error for ScriptError {}

/// The error for `text`, with its code as luaPushErrorBuff derives it.
pub fn raise(text: &str) -> mlua::Error {
    mlua::Error::external(ScriptError { err: super::convert::error_message(text), ignore_stats: false })
}

/// The ScriptError inside an mlua error, if it carries one.
pub fn script_error(e: &mlua::Error) -> Option<&ScriptError> {
    match e {
        mlua::Error::ExternalError(inner) => inner.downcast_ref::<ScriptError>(),
        mlua::Error::CallbackError { cause, .. } => script_error(cause),
        mlua::Error::WithContext { cause, .. } => script_error(cause),
        _ => None,
    }
}
