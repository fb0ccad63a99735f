//! Lua scripting (Redis 7.0's eval.c, script.c, script_lua.c, function_lua.c): the Lua states,
//! the script cache, shebang flags, and running a script with `redis.call` going through the
//! engine's normal call path (see `run.rs`). Functions (FUNCTION LOAD, FCALL) are in
//! `functions.rs`.
//!
//! Lua is embedded with mlua (Lua 5.1, as Redis). Redis's Lua is patched with read-only tables;
//! verdis gets the same behaviour from proxies (`sandbox.lua`).

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod convert;
pub mod functions;
pub mod lauxlib;
pub mod run;
pub mod sha1;
pub mod state;
pub mod structlib;

use state::{LogSink, LuaState, Rand48};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Script flags (shebang `flags=` or `redis.register_function` flags).
pub const FLAG_NO_WRITES: u32 = 1;
pub const FLAG_ALLOW_OOM: u32 = 1 << 1;
pub const FLAG_ALLOW_STALE: u32 = 1 << 2;
pub const FLAG_NO_CLUSTER: u32 = 1 << 3;
pub const FLAG_ALLOW_CROSS_SLOT: u32 = 1 << 4;
/// An EVAL script without a shebang: Redis 6 behaviour (no flag checks before running).
pub const FLAG_EVAL_COMPAT: u32 = 1 << 5;

/// The flag names, in Redis's order.
pub const FLAG_NAMES: [(&str, u32); 5] = [
    ("no-writes", FLAG_NO_WRITES),
    ("allow-oom", FLAG_ALLOW_OOM),
    ("allow-stale", FLAG_ALLOW_STALE),
    ("no-cluster", FLAG_NO_CLUSTER),
    ("allow-cross-slot-keys", FLAG_ALLOW_CROSS_SLOT),
];

/// A cached EVAL script; its compiled function is kept in the EVAL state under its SHA1.
pub struct Script {
    pub body: Vec<u8>,
    pub flags: u32,
}

/// All scripting state of the engine.
pub struct Scripting {
    /// The EVAL Lua state, made at first use (and again after SCRIPT FLUSH).
    eval: Option<LuaState>,
    /// SHA1 (lower case hex) → script.
    pub scripts: BTreeMap<String, Script>,
    /// Bytes of the cached scripts' names and bodies (Redis's lua_scripts_mem).
    pub scripts_mem: usize,
    pub functions: functions::Functions,
    /// math.random's generator, shared by both Lua states.
    pub rand: Arc<Mutex<Rand48>>,
    /// Lines logged with redis.log, moved to the server log after each script.
    pub log: LogSink,
    /// Set when the reply of the script that just ran is an error already counted in the error
    /// statistics (it came from a command the script called).
    pub error_counted: bool,
    /// Scripts run since the last garbage collection step (see `run::GC_CYCLE_PERIOD`).
    pub gc_count: u32,
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            eval: None,
            scripts: BTreeMap::new(),
            scripts_mem: 0,
            functions: functions::Functions::default(),
            rand: Arc::default(),
            log: Arc::default(),
            error_counted: false,
            gc_count: 0,
        }
    }
}

impl Scripting {
    /// The EVAL state, made if needed.
    pub fn eval_state(&mut self) -> Result<&LuaState, String> {
        if self.eval.is_none() {
            let state = LuaState::new(self.rand.clone(), self.log.clone()).map_err(|e| e.to_string())?;
            self.eval = Some(state);
        }
        self.eval.as_ref().ok_or_else(|| "no Lua state".to_string())
    }

    /// SCRIPT FLUSH: forgets every script and starts a new Lua state.
    pub fn flush_scripts(&mut self) {
        self.scripts.clear();
        self.scripts_mem = 0;
        self.eval = None;
    }

    /// Bytes the EVAL Lua heap uses (a fresh state's when none was made yet).
    pub fn eval_memory(&mut self) -> usize {
        self.eval_state().map(|s| s.used_memory()).unwrap_or(0)
    }

    /// Compiles and caches an EVAL script (Redis's luaCreateFunction); its SHA1, or the error
    /// text (without the code) to reply.
    pub fn create_script(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1::sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = parse_shebang(body)?;
        let state = self.eval_state()?;
        let func = state
            .lua
            .load(&body[shebang_len..])
            .set_name("@user_script")
            .set_mode(mlua::ChunkMode::Text)
            .into_function()
            .map_err(|e| format!("Error compiling script (new function): {}", compile_error_text(&e)))?;
        state.store(&sha, func).map_err(|e| e.to_string())?;
        self.scripts_mem += sha.len() + body.len();
        self.scripts.insert(sha.clone(), Script { body: body.to_vec(), flags });
        Ok(sha)
    }
}

/// The message of a Lua compile error, as Lua wrote it.
pub fn compile_error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => state::error_text(other),
    }
}

/// Reads the `#!lua flags=...` line at the start of an EVAL script (Redis's
/// evalExtractShebangFlags): the flags and the length of the line (without its newline, which
/// stays so that line numbers do not move). No shebang: compatibility mode.
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((FLAG_EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts = match crate::resp::split::split_args(&body[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid engine in script shebang".to_string()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", String::from_utf8_lossy(&parts[0])));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!("Unknown lua shebang option: {}", String::from_utf8_lossy(part)));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match FLAG_NAMES.iter().find(|(n, _)| n.as_bytes() == name) {
                Some((_, f)) => flags |= f,
                None => {
                    return Err(format!("Unexpected flag in script shebang: {}", String::from_utf8_lossy(name)));
                }
            }
        }
    }
    Ok((flags, end))
}

impl super::Engine {
    /// The flags EVAL & co. and FCALL & co. count as having for the checks before they run
    /// (Redis's evalGetCommandFlags / fcallGetCommandFlags): a script that declared its flags
    /// is a write, may use memory, or may run stale as it declared; others keep the command's.
    pub(super) fn script_command_flags(&mut self, mut cmd: super::Resolved, argv: &[Vec<u8>]) -> super::Resolved {
        let flags = match (cmd.meta.name, argv.get(1)) {
            ("eval" | "eval_ro", Some(body)) => match self.scripting.scripts.get(&sha1::sha1_hex(body)) {
                Some(script) => Some(script.flags),
                None => parse_shebang(body).ok().map(|(f, _)| f),
            },
            ("evalsha" | "evalsha_ro", Some(sha)) if sha.len() == 40 => {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                self.scripting.scripts.get(&sha).map(|s| s.flags)
            }
            ("fcall" | "fcall_ro", Some(name)) => self.scripting.functions.flags_of(name),
            _ => None,
        };
        let Some(flags) = flags else { return cmd };
        if flags & FLAG_EVAL_COMPAT != 0 {
            return cmd;
        }
        use super::table::Flags;
        let mut f = cmd.flags.without(Flags::STALE).without(Flags::DENYOOM).without(Flags::WRITE);
        if flags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES) == 0 {
            f = f.union(Flags::DENYOOM);
        }
        if flags & FLAG_NO_WRITES == 0 {
            f = f.union(Flags::WRITE);
        }
        if flags & FLAG_ALLOW_STALE != 0 {
            f = f.union(Flags::STALE);
        }
        cmd.flags = f.without(Flags::MAY_REPLICATE);
        cmd
    }
}
