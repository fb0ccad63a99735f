//! Conversions between Redis replies and Lua values, as Redis's script_lua.c defines them.
//!
//! Redis → Lua goes through the reply as the script's client would read it in its protocol
//! (RESP2 by default, RESP3 after `redis.setresp(3)`): integer → number, bulk → string, null
//! bulk/array → false, array → table, status → `{ok=...}`, error → `{err=...}`, and in RESP3
//! map → `{map={...}}`, set → `{set={k=true}}`, null → nil, boolean, double → `{double=n}`,
//! big number → `{big_number=s}`, verbatim → `{verbatim_string={format=..., string=...}}`.
//! Lua → Redis is the reverse (`lua_to_frame`).

use super::state::lua_bytes;
use crate::resp::Frame;
use mlua::{Lua, Table, Value};

/// The deepest reply nesting converted; deeper levels become nil (Redis would run out of Lua
/// stack much earlier than a reply can nest in practice).
const MAX_DEPTH: usize = 100;

/// An error table as Redis's luaPushErrorBuff makes it: `-CODE message` keeps its code, a text
/// without `-` gets `ERR`; trailing and leading CR/LF are trimmed.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", error_message(text))?;
    Ok(t)
}

/// The `err` field for `text` (see `error_table`).
pub fn error_message(text: &str) -> String {
    let (code, msg) = match text.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => (code, msg),
            None => ("ERR", rest),
        },
        None => ("ERR", text),
    };
    let msg = msg.trim_matches(['\r', '\n']);
    format!("{code} {msg}")
}

/// A command's reply as the script sees it, in protocol `resp`.
pub fn frame_to_lua(lua: &Lua, frame: &Frame, resp: u8) -> mlua::Result<Value> {
    // Encoding and decoding again gives exactly what a client of that protocol reads
    // (RESP2 maps as flat arrays, doubles as bulk strings, raw pre-encoded replies parsed).
    let mut bytes = Vec::new();
    crate::resp::encode(frame, resp, &mut bytes);
    match crate::resp::decode(&bytes) {
        Ok(Some((decoded, _))) => decoded_to_lua(lua, &decoded, resp, 0),
        _ => Ok(Value::Boolean(false)),
    }
}

fn decoded_to_lua(lua: &Lua, frame: &Frame, resp: u8, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Ok(Value::Nil);
    }
    Ok(match frame {
        Frame::Integer(n) => Value::Number(*n as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(b)?),
        // RESP2's null bulk and null array are false; RESP3's null is nil.
        Frame::Null | Frame::NullArray if resp == 3 => Value::Nil,
        Frame::Null | Frame::NullArray => Value::Boolean(false),
        Frame::Simple(s) => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(s)?)?;
            Value::Table(t)
        }
        Frame::Error(e) => {
            let t = error_table(lua, &format!("-{e}"))?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Frame::Array(items) | Frame::Push(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, decoded_to_lua(lua, item, resp, depth + 1)?)?;
            }
            Value::Table(t)
        }
        Frame::Map(pairs) => {
            let inner = lua.create_table()?;
            for (k, v) in pairs {
                inner.raw_set(decoded_to_lua(lua, k, resp, depth + 1)?, decoded_to_lua(lua, v, resp, depth + 1)?)?;
            }
            let t = lua.create_table()?;
            t.raw_set("map", inner)?;
            Value::Table(t)
        }
        Frame::Set(items) => {
            let inner = lua.create_table()?;
            for item in items {
                inner.raw_set(decoded_to_lua(lua, item, resp, depth + 1)?, true)?;
            }
            let t = lua.create_table()?;
            t.raw_set("set", inner)?;
            Value::Table(t)
        }
        Frame::Boolean(b) => Value::Boolean(*b),
        Frame::Double(d) => {
            let t = lua.create_table()?;
            t.raw_set("double", *d)?;
            Value::Table(t)
        }
        Frame::BigNumber(s) => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(s)?)?;
            Value::Table(t)
        }
        Frame::Verbatim(format, text) => {
            let inner = lua.create_table()?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", *format)?;
            let t = lua.create_table()?;
            t.raw_set("verbatim_string", inner)?;
            Value::Table(t)
        }
        Frame::Raw(_) => Value::Nil,
    })
}

/// What an error table carries (Redis's errorInfo).
#[derive(Debug, Default)]
pub struct ErrorInfo {
    pub msg: String,
    pub source: Option<String>,
    pub line: Option<String>,
    /// The error came from a command whose error was already counted.
    pub ignore_stats: bool,
}

impl ErrorInfo {
    pub fn from_value(v: &Value) -> ErrorInfo {
        let mut info = ErrorInfo::default();
        if let Some(b) = lua_bytes(v) {
            info.msg = format!("ERR {}", String::from_utf8_lossy(&b));
        }
        let Value::Table(t) = v else { return info };
        let field = |name: &str| t.get::<Value>(name).ok().and_then(|v| lua_bytes(&v));
        if let Some(msg) = field("err") {
            info.msg = String::from_utf8_lossy(&msg).into_owned();
        }
        info.source = field("source").map(|s| String::from_utf8_lossy(&s).into_owned());
        info.line = field("line").map(|s| String::from_utf8_lossy(&s).into_owned());
        if let Ok(Value::Boolean(b)) = t.get::<Value>("ignore_error_stats_update") {
            info.ignore_stats = b;
        }
        info
    }
}

/// A script's result as a reply (Redis's luaReplyToRedisReply). `script_resp` is the protocol
/// the script chose with `redis.setresp` (booleans depend on it).
pub fn lua_to_frame(v: &Value, script_resp: u8) -> Frame {
    lua_to_frame_at(v, script_resp, 0)
}

fn lua_to_frame_at(v: &Value, script_resp: u8, depth: usize) -> Frame {
    if depth > MAX_DEPTH {
        return Frame::error("ERR reached lua stack limit");
    }
    match v {
        Value::String(s) => Frame::Bulk(s.as_bytes().to_vec()),
        Value::Boolean(b) => match (script_resp, b) {
            (2, true) => Frame::Integer(1),
            (2, false) => Frame::Null,
            (_, b) => Frame::Boolean(*b),
        },
        Value::Integer(i) => Frame::Integer(*i),
        Value::Number(n) => Frame::Integer(c_double_to_i64(*n)),
        Value::Table(t) => table_to_frame(t, script_resp, depth),
        _ => Frame::Null,
    }
}

/// C's `(long long)d` as x86-64 computes it: out of range and NaN give i64::MIN.
fn c_double_to_i64(d: f64) -> i64 {
    if d.is_nan() || d >= 9_223_372_036_854_775_808.0 || d < -9_223_372_036_854_775_808.0 {
        i64::MIN
    } else {
        d as i64
    }
}

fn raw_field(t: &Table, name: &str) -> Value {
    t.raw_get::<Value>(name).unwrap_or(Value::Nil)
}

fn table_to_frame(t: &Table, script_resp: u8, depth: usize) -> Frame {
    if let Value::String(_) = raw_field(t, "err") {
        let info = ErrorInfo::from_value(&Value::Table(t.clone()));
        return Frame::error_untrimmed(info.msg);
    }
    if let Value::String(s) = raw_field(t, "ok") {
        return Frame::Simple(s.to_string_lossy().replace(['\r', '\n'], " "));
    }
    match raw_field(t, "double") {
        Value::Number(d) => return Frame::Double(d),
        Value::Integer(i) => return Frame::Double(i as f64),
        _ => {}
    }
    if let Value::String(s) = raw_field(t, "big_number") {
        return Frame::BigNumber(s.to_string_lossy().replace(['\r', '\n'], " "));
    }
    if let Value::Table(vt) = raw_field(t, "verbatim_string") {
        if let (Value::String(format), Value::String(text)) = (raw_field(&vt, "format"), raw_field(&vt, "string")) {
            return Frame::Verbatim(verbatim_format(&format.as_bytes()), text.as_bytes().to_vec());
        }
    }
    if let Value::Table(map) = raw_field(t, "map") {
        let mut pairs = Vec::new();
        for (k, v) in map.pairs::<Value, Value>().flatten() {
            pairs.push((lua_to_frame_at(&k, script_resp, depth + 1), lua_to_frame_at(&v, script_resp, depth + 1)));
        }
        return Frame::Map(pairs);
    }
    if let Value::Table(set) = raw_field(t, "set") {
        let items = set.pairs::<Value, Value>().flatten().map(|(k, _)| lua_to_frame_at(&k, script_resp, depth + 1));
        return Frame::Set(items.collect());
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(lua_to_frame_at(&v, script_resp, depth + 1)),
        }
    }
    Frame::Array(items)
}

/// Verbatim formats are three letters; the frame keeps them as static text.
fn verbatim_format(bytes: &[u8]) -> &'static str {
    match bytes {
        b"mkd" => "mkd",
        _ => "txt",
    }
}
