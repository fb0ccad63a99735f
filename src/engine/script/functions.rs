//! Functions (FUNCTION LOAD, FCALL): libraries of Lua functions registered with
//! `redis.register_function`, in their own Lua state (Redis's functions.c, function_lua.c).
//! Libraries and functions are kept in name order (Redis lists them in hash-table order).

use super::convert::error_message;
use super::run::RunSpec;
use super::state::{lua_bytes, LogSink, LuaState, Rand48, ScriptError};
use super::{compile_error_text, convert::ErrorInfo, FLAG_NAMES};
use crate::engine::client::ClientState;
use crate::engine::meta::CommandMeta;
use crate::engine::Engine;
use crate::resp::Frame;
use mlua::{Function, MultiValue, Table, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The only engine, as Redis names it.
pub const ENGINE_NAME: &str = "LUA";

const BAD_NAME: &str =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Redis stops loading a library after 500 ms (here: the instructions of as long).
const LOAD_TIMEOUT_MS: u64 = 500;

/// One registered function; its Lua function is kept in the functions' state under `key`.
#[derive(Clone)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub key: String,
}

/// One library: its code and its functions.
#[derive(Clone)]
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: BTreeMap<String, FunctionInfo>,
}

#[derive(Default)]
pub struct Functions {
    state: Option<LuaState>,
    /// Libraries loaded so far: each load keeps its functions under keys of its own, so that a
    /// failed FUNCTION LOAD REPLACE never touches the library it would have replaced.
    loads: u64,
    pub libraries: BTreeMap<String, Library>,
    /// Function name → library name.
    /// Function name (lower case) → library name.
    pub by_function: BTreeMap<String, String>,
}

impl Functions {
    /// The flags of function `name`, if it exists.
    pub fn flags_of(&self, name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        self.function(name).map(|f| f.flags)
    }

    /// Function names are case-insensitive, as Redis's function dictionary.
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        let key = name.to_ascii_lowercase();
        let lib = self.by_function.get(&key)?;
        self.libraries.get(lib)?.functions.values().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn function_count(&self) -> usize {
        self.by_function.len()
    }

    fn state(&mut self, rand: &Arc<Mutex<Rand48>>, log: &LogSink) -> Result<LuaState, String> {
        if self.state.is_none() {
            self.state = Some(LuaState::new(rand.clone(), log.clone()).map_err(|e| e.to_string())?);
        }
        self.state.clone().ok_or_else(|| "no Lua state".to_string())
    }

    /// Bytes the functions' Lua heap uses.
    pub fn used_memory(&self) -> usize {
        self.state.as_ref().map(|s| s.used_memory()).unwrap_or(0)
    }

    /// FUNCTION FLUSH: no library any more, and a fresh Lua state.
    pub fn flush(&mut self) {
        self.libraries.clear();
        self.by_function.clear();
        self.state = None;
    }

    /// Removes a library; false when there is none of that name.
    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else { return false };
        for f in lib.functions.keys() {
            self.by_function.remove(&f.to_ascii_lowercase());
        }
        self.forget(&lib.functions);
        true
    }

    /// Drops the Lua functions of `functions` from the state.
    fn forget(&self, functions: &BTreeMap<String, FunctionInfo>) {
        if let Some(state) = &self.state {
            functions.values().for_each(|f| state.forget(&f.key));
        }
    }

    fn link(&mut self, lib: Library) {
        for f in lib.functions.keys() {
            self.by_function.insert(f.to_ascii_lowercase(), lib.name.clone());
        }
        self.libraries.insert(lib.name.clone(), lib);
    }
}

/// The `#!<engine> name=<library>` first line of a library (Redis's functionExtractLibMetaData):
/// the engine, the name, and where the code starts (at the line's newline, so that line numbers
/// stay).
fn library_metadata(code: &[u8]) -> Result<(String, String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let end = code.iter().position(|&b| b == b'\n').ok_or("Invalid library metadata")?;
    let parts = match crate::resp::split::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok((engine, name, end))
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What `redis.register_function` was given.
struct Registration {
    name: String,
    description: Option<Vec<u8>>,
    flags: u32,
    func: Function,
}

fn reg_error(text: &str) -> mlua::Error {
    mlua::Error::external(ScriptError { err: error_message(text), ignore_stats: false })
}

/// redis.register_function(name, callback) or redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}.
fn read_registration(args: MultiValue) -> mlua::Result<Registration> {
    let args: Vec<Value> = args.into_iter().collect();
    match args.len() {
        1 => read_named(&args[0]),
        2 => {
            let Some(name) = lua_bytes(&args[0]) else {
                return Err(reg_error("first argument to redis.register_function must be a string"));
            };
            let Value::Function(func) = &args[1] else {
                return Err(reg_error("second argument to redis.register_function must be a function"));
            };
            let name = String::from_utf8_lossy(&name).into_owned();
            Ok(Registration { name, description: None, flags: 0, func: func.clone() })
        }
        _ => Err(reg_error("wrong number of arguments to redis.register_function")),
    }
}

fn read_named(arg: &Value) -> mlua::Result<Registration> {
    let Value::Table(t) = arg else {
        return Err(reg_error(
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ));
    };
    let (mut name, mut description, mut flags, mut func) = (None, None, 0, None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let Some(key) = lua_bytes(&k) else {
            return Err(reg_error("named argument key given to redis.register_function is not a string"));
        };
        let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
        match key.as_str() {
            "function_name" => match lua_bytes(&v) {
                Some(n) => name = Some(String::from_utf8_lossy(&n).into_owned()),
                None => {
                    return Err(reg_error("function_name argument given to redis.register_function must be a string"))
                }
            },
            "description" => match lua_bytes(&v) {
                Some(d) => description = Some(d),
                None => {
                    return Err(reg_error("description argument given to redis.register_function must be a string"))
                }
            },
            "callback" => match v {
                Value::Function(f) => func = Some(f),
                _ => return Err(reg_error("callback argument given to redis.register_function must be a function")),
            },
            "flags" => {
                let Value::Table(list) = v else {
                    return Err(reg_error(
                        "flags argument to redis.register_function must be a table representing function flags",
                    ));
                };
                flags = read_flags(&list).ok_or_else(|| reg_error("unknown flag given"))?;
            }
            _ => return Err(reg_error("unknown argument given to redis.register_function")),
        }
    }
    let name = name.ok_or_else(|| reg_error("redis.register_function must get a function name argument"))?;
    let func = func.ok_or_else(|| reg_error("redis.register_function must get a callback argument"))?;
    Ok(Registration { name, description, flags, func })
}

fn read_flags(list: &Table) -> Option<u32> {
    let mut flags = 0;
    for i in 1..=list.raw_len() {
        let v: Value = list.raw_get(i).ok()?;
        let name = lua_bytes(&v)?;
        let (_, f) = FLAG_NAMES.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(&name))?;
        flags |= f;
    }
    Some(flags)
}

/// Runs a library's code in `state` with `redis.register_function` installed; the functions it
/// registered.
fn register_library(state: &LuaState, code: &[u8], load: u64) -> Result<BTreeMap<String, FunctionInfo>, String> {
    let chunk = state
        .lua
        .load(code)
        .set_name("@user_function")
        .set_mode(mlua::ChunkMode::Text)
        .into_function()
        .map_err(|e| format!("Error compiling function: {}", compile_error_text(&e)))?;
    let registered: RefCell<BTreeMap<String, FunctionInfo>> = RefCell::new(BTreeMap::new());
    let outcome = state.lua.scope(|scope| {
        let register = scope.create_function(|_, args: MultiValue| {
            let r = read_registration(args)?;
            if !valid_name(&r.name) {
                return Err(reg_error(BAD_NAME));
            }
            let mut map = registered.try_borrow_mut().map_err(|_| reg_error("busy"))?;
            if map.keys().any(|k| k.eq_ignore_ascii_case(&r.name)) {
                return Err(reg_error("Function already exists in the library"));
            }
            let key = format!("{load}/{}", r.name);
            state.store(&key, r.func)?;
            let info = FunctionInfo { name: r.name.clone(), description: r.description, flags: r.flags, key };
            map.insert(r.name, info);
            Ok(())
        })?;
        state.library_redis.raw_set("register_function", register)?;
        state.library_mode.call::<()>(true)?;
        super::run::install_budget(&state.lua, LOAD_TIMEOUT_MS, super::run::LOAD_BUDGET_EXCEEDED);
        let result = state.run_load.call::<(bool, Value)>(chunk);
        state.lua.remove_hook();
        state.library_mode.call::<()>(false)?;
        let outside: Value = state.slots.raw_get("register_outside")?;
        state.library_redis.raw_set("register_function", outside)?;
        result
    });
    let registered = registered.into_inner();
    let failure = match outcome {
        Ok((true, _)) => return Ok(registered),
        Ok((false, err)) => format!("Error registering functions: {}", ErrorInfo::from_value(&err).msg),
        Err(e) => format!("Error registering functions: {}", super::state::error_text(&e)),
    };
    registered.values().for_each(|f| state.forget(&f.key));
    Err(failure)
}

impl Engine {
    /// FUNCTION LOAD [REPLACE] code (Redis's functionsCreateWithLibraryCtx): the library's name.
    pub fn function_load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let (engine, name, code_start) = library_metadata(code)?;
        if !valid_name(&name) {
            return Err(BAD_NAME.into());
        }
        if !engine.eq_ignore_ascii_case(ENGINE_NAME) {
            return Err(format!("Engine '{engine}' not found"));
        }
        if self.scripting.functions.libraries.contains_key(&name) && !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        let (rand, log) = (self.scripting.rand.clone(), self.scripting.log.clone());
        let state = self.scripting.functions.state(&rand, &log)?;
        self.scripting.functions.loads += 1;
        let functions = register_library(&state, &code[code_start..], self.scripting.functions.loads)?;
        if functions.is_empty() {
            return Err("No functions registered".into());
        }
        let fs = &self.scripting.functions;
        for f in functions.keys() {
            if fs.by_function.get(&f.to_ascii_lowercase()).is_some_and(|lib| *lib != name) {
                fs.forget(&functions);
                return Err(format!("Function {f} already exists"));
            }
        }
        self.scripting.functions.delete(&name);
        self.scripting.functions.link(Library { name: name.clone(), code: code.to_vec(), functions });
        Ok(name)
    }

    /// FCALL / FCALL_RO (Redis's fcallCommandGeneric).
    pub(crate) fn fcall_command(
        &mut self,
        caller: &mut ClientState,
        argv: &[Vec<u8>],
        meta: &'static CommandMeta,
        ro: bool,
        now_ms: u64,
    ) -> Frame {
        if !self.monitors.is_empty() {
            self.feed_monitors(caller, argv, now_ms);
        }
        let name = String::from_utf8_lossy(&argv[1]).into_owned();
        let Some(info) = self.scripting.functions.function(&name).cloned() else {
            return Frame::error("ERR Function not found");
        };
        let Ok(numkeys) = crate::cmd::args::int_arg(&argv[2]) else {
            return Frame::error("ERR Bad number of keys provided");
        };
        if numkeys > argv.len() as i64 - 3 {
            return Frame::error("ERR Number of keys can't be greater than number of args");
        } else if numkeys < 0 {
            return Frame::error("ERR Number of keys can't be negative");
        }
        if let Some(refusal) = self.script_precheck(info.flags, ro) {
            return refusal;
        }
        let (rand, log) = (self.scripting.rand.clone(), self.scripting.log.clone());
        let state = match self.scripting.functions.state(&rand, &log) {
            Ok(s) => s,
            Err(e) => return Frame::error(format!("ERR {e}")),
        };
        let split = 3 + numkeys as usize;
        let spec = RunSpec {
            name: &info.name,
            flags: info.flags,
            ro_command: ro,
            eval_mode: false,
            key: &info.key,
            keys: &argv[3..split],
            args: &argv[split..],
            caller_meta: meta,
            caller_argv: argv,
        };
        self.run_script(caller, &state, &spec, now_ms)
    }

    /// The library codes, in name order (what RDB files and FUNCTION DUMP hold).
    pub fn function_codes(&self) -> Vec<Vec<u8>> {
        self.scripting.functions.libraries.values().map(|l| l.code.clone()).collect()
    }
}

impl Engine {
    /// FUNCTION RESTORE's libraries: loaded apart from the current ones, then added to them
    /// (`replace`: a library of the same name is replaced) or put in their place (`flush`).
    pub fn function_restore(&mut self, codes: &[Vec<u8>], flush: bool, replace: bool) -> Result<(), String> {
        let fs = &mut self.scripting.functions;
        let backup = (std::mem::take(&mut fs.libraries), std::mem::take(&mut fs.by_function));
        let mut loaded = Ok(());
        for code in codes {
            if let Err(e) = self.function_load(code, false) {
                loaded = Err(e);
                break;
            }
        }
        let fs = &mut self.scripting.functions;
        let new_libraries = std::mem::replace(&mut fs.libraries, backup.0);
        fs.by_function = backup.1;
        loaded?;
        if flush {
            fs.libraries.clear();
            fs.by_function.clear();
        }
        for name in new_libraries.keys() {
            if fs.libraries.contains_key(name) && !replace {
                return Err(format!("Library {name} already exists"));
            }
        }
        let saved = (fs.libraries.clone(), fs.by_function.clone());
        for name in new_libraries.keys() {
            fs.delete(name);
        }
        for lib in new_libraries.values() {
            if let Some(f) = lib.functions.keys().find(|f| fs.by_function.contains_key(&f.to_ascii_lowercase())) {
                let f = f.clone();
                fs.libraries = saved.0;
                fs.by_function = saved.1;
                return Err(format!("Function {f} already exists"));
            }
        }
        for lib in new_libraries.into_values() {
            fs.link(lib);
        }
        Ok(())
    }
}
