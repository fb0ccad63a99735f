//! What the C libraries Redis bundles get from Lua's auxiliary library (lauxlib.c), for the same
//! libraries written in Rust: argument checks with Lua 5.1's error texts (`bad argument #2 to
//! 'pack' (number expected, got nil)`), errors prefixed with the caller's position as
//! `luaL_error` does (`user_script:1: ...`), the C stack limit (`LUAI_MAXCSTACK`) that bounds
//! how deep they may nest and how many values they may return, and the C conversions between
//! doubles and integers as x86-64 performs them.

use mlua::{Lua, Value};

/// Lua 5.1's limit on the values one C function may have on its stack (LUAI_MAXCSTACK):
/// `lua_checkstack` fails when the values there plus the ones asked for would exceed it.
pub const MAX_C_STACK: usize = 8000;

/// How many strings and tables a library function returns at most at once. mlua holds each
/// such value from Rust in a slot of an auxiliary stack as large as a C function's stack, which
/// the scripts' other values share; Redis's limit (nearly `MAX_C_STACK` values) cannot be met
/// for them, and the function fails as it would past Redis's limit instead.
pub const MAX_HELD_RESULTS: usize = 4000;

/// True for the values mlua holds by reference (all but nil, booleans, numbers, light userdata).
pub fn holds_reference(v: &Value) -> bool {
    !matches!(v, Value::Nil | Value::Boolean(_) | Value::Integer(_) | Value::Number(_) | Value::LightUserData(_))
}

/// luaL_where(L, 1): `chunk:line:` of the function that called the running C function, or
/// nothing when that is itself a C function (as when a library function runs under `pcall`).
pub fn caller_position(lua: &Lua) -> String {
    lua.inspect_stack(1, |d| {
        let line = d.current_line();
        let src = d.source().short_src.map(|s| s.into_owned());
        match (src, line) {
            (Some(src), Some(line)) if line > 0 => format!("{src}:{line}: "),
            _ => String::new(),
        }
    })
    .unwrap_or_default()
}

/// luaL_error: the message with the caller's position in front.
pub fn error(lua: &Lua, msg: impl std::fmt::Display) -> mlua::Error {
    mlua::Error::runtime(format!("{}{msg}", caller_position(lua)))
}

/// luaL_checkstack: fails as Lua does once the C function's stack would pass the limit.
pub fn check_stack(lua: &Lua, in_use: usize, wanted: usize, what: &str) -> mlua::Result<()> {
    if in_use + wanted > MAX_C_STACK {
        return Err(error(lua, format!("stack overflow ({what})")));
    }
    Ok(())
}

/// luaL_argerror: names the argument and the function as the caller called it (`local f =
/// struct.pack; f()` blames 'f'); a method call does not count `self`.
pub fn arg_error(lua: &Lua, narg: i64, extramsg: &str) -> mlua::Error {
    let (name, name_what) = lua
        .inspect_stack(0, |d| {
            let names = d.names();
            (names.name.map(|n| n.into_owned()), names.name_what.unwrap_or(""))
        })
        .unwrap_or((None, ""));
    let mut narg = narg;
    if name_what == "method" {
        narg -= 1;
        if narg == 0 {
            let name = name.unwrap_or_else(|| "?".to_string());
            return error(lua, format!("calling '{name}' on bad self ({extramsg})"));
        }
    }
    let name = name.unwrap_or_else(|| "?".to_string());
    error(lua, format!("bad argument #{narg} to '{name}' ({extramsg})"))
}

/// lua_typename: the type as Lua 5.1 names it (light userdata is "userdata" too).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// luaL_typerror: `<expected> expected, got <type>`, "no value" for a missing argument.
pub fn type_error(lua: &Lua, args: &[Value], narg: usize, expected: &str) -> mlua::Error {
    let got = args.get(narg - 1).map(type_name).unwrap_or("no value");
    arg_error(lua, narg as i64, &format!("{expected} expected, got {got}"))
}

/// True when the argument is absent or nil (luaL_opt's test).
pub fn is_none_or_nil(args: &[Value], narg: usize) -> bool {
    matches!(args.get(narg - 1), None | Some(Value::Nil))
}

/// A value of type number (not a string that reads as one).
pub fn number_value(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// lua_tonumber: numbers, and strings that read as a number (luaO_str2d: C's strtod on the
/// text up to any NUL byte, then nothing but white space).
pub fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str_to_number(&s.as_bytes()),
        _ => None,
    }
}

/// luaO_str2d over the bytes of a string.
pub fn str_to_number(bytes: &[u8]) -> Option<f64> {
    let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
    let parsed = crate::cmd::zsets::score::strtod(text);
    if parsed.consumed == 0 {
        return None;
    }
    let rest = &text[parsed.consumed..];
    rest.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).then_some(parsed.value)
}

/// luaL_checknumber.
pub fn check_number(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<f64> {
    match args.get(narg - 1).and_then(to_number) {
        Some(n) => Ok(n),
        None => Err(type_error(lua, args, narg, "number")),
    }
}

/// luaL_checkinteger: a number truncated to lua_Integer (64 bits).
pub fn check_integer(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<i64> {
    check_number(lua, args, narg).map(c_double_to_i64)
}

/// luaL_optinteger.
pub fn opt_integer(lua: &Lua, args: &[Value], narg: usize, default: i64) -> mlua::Result<i64> {
    if is_none_or_nil(args, narg) {
        return Ok(default);
    }
    check_integer(lua, args, narg)
}

/// luaL_checklstring: a string's bytes, or a number's text (`%.14g`).
pub fn check_bytes(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<Vec<u8>> {
    match args.get(narg - 1) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(i)) => Ok(i.to_string().into_bytes()),
        Some(Value::Number(n)) => Ok(super::state::lua_number_text(*n).into_bytes()),
        _ => Err(type_error(lua, args, narg, "string")),
    }
}

/// luaL_checkstring for a format: the text up to any NUL byte, as C reads it.
pub fn check_c_string(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<Vec<u8>> {
    let mut bytes = check_bytes(lua, args, narg)?;
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    Ok(bytes)
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(int64_t)d` on x86-64: truncation, and i64::MIN for NaN and values out of range.
pub fn c_double_to_i64(d: f64) -> i64 {
    if d.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(uint64_t)d` as gcc compiles it for x86-64: below 2^63 (or NaN) a signed conversion,
/// above it a signed conversion of d - 2^63 with the top bit flipped back.
pub fn c_double_to_u64(d: f64) -> u64 {
    if d.is_nan() || d < TWO_POW_63 {
        c_double_to_i64(d) as u64
    } else {
        (c_double_to_i64(d - TWO_POW_63) as u64) ^ (1 << 63)
    }
}

/// C's `(int)d` on x86-64: truncation, and i32::MIN for NaN and values out of range.
pub fn c_double_to_i32(d: f64) -> i32 {
    if d.is_nan() || d >= 2_147_483_648.0 || d <= -2_147_483_649.0 {
        i32::MIN
    } else {
        d as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_conversions() {
        assert_eq!(c_double_to_i64(-1.9), -1);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(TWO_POW_63), i64::MIN);
        assert_eq!(c_double_to_u64(TWO_POW_63), 1 << 63);
        assert_eq!(c_double_to_u64(TWO_POW_63 * 2.0), 0);
        assert_eq!(c_double_to_u64(f64::NAN), 1 << 63);
        assert_eq!(c_double_to_i32(2_147_483_648.0), i32::MIN);
        assert_eq!(c_double_to_i32(-2_147_483_648.5), -2_147_483_648);
        assert_eq!(c_double_to_i32(7.9), 7);
    }

    #[test]
    fn strings_as_numbers() {
        assert_eq!(str_to_number(b" 12 "), Some(12.0));
        assert_eq!(str_to_number(b"0x10"), Some(16.0));
        assert_eq!(str_to_number(b"12\0junk"), Some(12.0));
        assert_eq!(str_to_number(b"12x"), None);
        assert_eq!(str_to_number(b""), None);
    }
}
