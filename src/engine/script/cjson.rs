//! The `cjson` library Redis loads into every script (Lua CJSON 2.1.0's API): `encode`,
//! `decode`, `null`, and the settings `encode_sparse_array`, `encode_max_depth`,
//! `decode_max_depth`, `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`, plus `new` (a module with its own
//! settings). Settings belong to the Lua state, so they last until SCRIPT FLUSH, as in Redis.
//!
//! Behaviour follows Lua CJSON as Redis 7.0 builds it: numbers are written with `%.14g`, `/`
//! and control characters are escaped, tables with only positive integer keys are arrays
//! (unless excessively sparse), JSON null decodes to `cjson.null` (a NULL light userdata), and
//! the decoder reads numbers with C's `strtod` (so hex, `inf` and `nan` are accepted by default).

use super::lauxlib::{self, arg_error, check_bytes, check_integer, MAX_C_STACK};
use mlua::{LightUserData, Lua, MultiValue, Table, Value};
use std::sync::{Arc, Mutex};

/// One module's settings (json_config_t).
#[derive(Clone, Copy, Debug)]
struct Config {
    sparse_convert: i32,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: refuse NaN and Inf, 1: write them (`nan`, `inf`), 2: write them as null.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: i32,
    keep_buffer: i32,
    precision: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
            keep_buffer: 1,
            precision: 14,
        }
    }
}

type Shared = Arc<Mutex<Config>>;

fn snapshot(cfg: &Shared) -> Config {
    cfg.lock().map(|c| *c).unwrap_or_default()
}

/// cjson.null: a light userdata holding NULL, which Redis replies as a null.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// The module table (lua_cjson_new), with fresh settings.
pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let cfg: Shared = Arc::default();
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.set("encode", lua.create_function(move |lua, args: MultiValue| encode(lua, snapshot(&c), args))?)?;
    let c = cfg.clone();
    t.set("decode", lua.create_function(move |lua, args: MultiValue| decode(lua, snapshot(&c), args))?)?;
    let c = cfg.clone();
    t.set("encode_sparse_array", lua.create_function(move |lua, args: MultiValue| sparse_array(lua, &c, args))?)?;
    type Field = fn(&mut Config) -> &mut i32;
    let integer_settings: [(&str, Field, i32, i32); 3] = [
        ("encode_max_depth", |c| &mut c.encode_max_depth, 1, i32::MAX),
        ("decode_max_depth", |c| &mut c.decode_max_depth, 1, i32::MAX),
        ("encode_number_precision", |c| &mut c.precision, 1, 14),
    ];
    for (name, field, min, max) in integer_settings {
        let c = cfg.clone();
        let f = lua.create_function(move |lua, args: MultiValue| {
            let args = arg_init(lua, args, 1)?;
            let mut guard = c.lock().map_err(|_| mlua::Error::runtime("cjson settings unavailable"))?;
            integer_option(lua, &args, 1, field(&mut guard), min, max)
        })?;
        t.set(name, f)?;
    }
    let enum_settings: [(&str, Field, &'static [&'static str]); 3] = [
        ("encode_keep_buffer", |c| &mut c.keep_buffer, &BOOL_OPTIONS),
        ("encode_invalid_numbers", |c| &mut c.encode_invalid_numbers, &["off", "on", "null"]),
        ("decode_invalid_numbers", |c| &mut c.decode_invalid_numbers, &BOOL_OPTIONS),
    ];
    for (name, field, options) in enum_settings {
        let c = cfg.clone();
        let f = lua.create_function(move |lua, args: MultiValue| {
            let args = arg_init(lua, args, 1)?;
            let mut guard = c.lock().map_err(|_| mlua::Error::runtime("cjson settings unavailable"))?;
            enum_option(lua, &args, 1, field(&mut guard), options)
        })?;
        t.set(name, f)?;
    }
    t.set("new", lua.create_function(|lua, _: MultiValue| library(lua))?)?;
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

const BOOL_OPTIONS: [&str; 2] = ["off", "on"];

/// json_arg_init: at most `n` arguments, padded with nils.
fn arg_init(lua: &Lua, args: MultiValue, n: usize) -> mlua::Result<Vec<Value>> {
    let mut args: Vec<Value> = args.into_iter().collect();
    if args.len() > n {
        return Err(arg_error(lua, n as i64 + 1, "found too many arguments"));
    }
    args.resize(n, Value::Nil);
    Ok(args)
}

/// An integer setting: changed when the argument is given (C keeps the low 32 bits), then
/// returned. The range error always names argument 1, as Lua CJSON does.
fn integer_option(lua: &Lua, args: &[Value], idx: usize, setting: &mut i32, min: i32, max: i32) -> mlua::Result<Value> {
    if !lauxlib::is_none_or_nil(args, idx) {
        let value = check_integer(lua, args, idx)? as i32;
        if value < min || value > max {
            return Err(arg_error(lua, 1, &format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    Ok(Value::Number(f64::from(*setting)))
}

/// An enumerated setting: a boolean or one of `options` by name; answered as a boolean when it
/// is off/on, by name otherwise.
fn enum_option(lua: &Lua, args: &[Value], idx: usize, setting: &mut i32, options: &[&str]) -> mlua::Result<Value> {
    match &args[idx - 1] {
        Value::Nil => {}
        Value::Boolean(b) => *setting = i32::from(*b),
        _ => {
            let name = lauxlib::check_c_string(lua, args, idx)?;
            match options.iter().position(|o| o.as_bytes() == name.as_slice()) {
                Some(i) => *setting = i as i32,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                    return Err(arg_error(lua, idx as i64, &msg));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        return Ok(Value::Boolean(*setting == 1));
    }
    let name = options.get(*setting as usize).copied().unwrap_or("");
    Ok(Value::String(lua.create_string(name)?))
}

/// cjson.encode_sparse_array([convert [, ratio [, safe]]]).
fn sparse_array(lua: &Lua, cfg: &Shared, args: MultiValue) -> mlua::Result<MultiValue> {
    let args = arg_init(lua, args, 3)?;
    let mut c = cfg.lock().map_err(|_| mlua::Error::runtime("cjson settings unavailable"))?;
    let convert = enum_option(lua, &args, 1, &mut c.sparse_convert, &BOOL_OPTIONS)?;
    let ratio = integer_option(lua, &args, 2, &mut c.sparse_ratio, 0, i32::MAX)?;
    let safe = integer_option(lua, &args, 3, &mut c.sparse_safe, 0, i32::MAX)?;
    Ok(MultiValue::from_vec(vec![convert, ratio, safe]))
}

// ===== Encoding =====

/// The text Lua CJSON writes for each byte that needs escaping.
fn escape(b: u8) -> Option<&'static str> {
    const CONTROL: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n",
        "\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014",
        "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e",
        "\\u001f",
    ];
    match b {
        0..=31 => Some(CONTROL[b as usize]),
        b'"' => Some("\\\""),
        b'/' => Some("\\/"),
        b'\\' => Some("\\\\"),
        127 => Some("\\u007f"),
        _ => None,
    }
}

/// An open table while encoding: where its elements stand and how many values the C encoder
/// would have on its Lua stack while encoding them. The table itself (and for an object, the
/// list of its keys) waits in the encoder's chain table, not in Rust: mlua gives each Lua
/// value held from Rust a slot of a limited auxiliary stack, which deep nesting would exhaust.
struct Open {
    is_object: bool,
    /// Elements (array) or keys (object).
    len: i64,
    next: i64,
    stack: usize,
}

/// The largest array the encoder writes out (each missing element is a `null`): beyond it the
/// text could not be a Redis reply anyway.
const MAX_ARRAY_LEN: i64 = 1 << 27;

struct Encoder<'a> {
    lua: &'a Lua,
    cfg: Config,
    out: Vec<u8>,
    open: Vec<Open>,
    /// The open tables: table `d` (from 1) at `2d - 1`, an object's keys at `2d`.
    chain: Table,
}

fn encode(lua: &Lua, cfg: Config, args: MultiValue) -> mlua::Result<mlua::String> {
    let args: Vec<Value> = args.into_iter().collect();
    if args.len() != 1 {
        return Err(arg_error(lua, 1, "expected 1 argument"));
    }
    let mut enc = Encoder { lua, cfg, out: Vec::new(), open: Vec::new(), chain: lua.create_table()? };
    enc.run(&args[0])?;
    lua.create_string(&enc.out)
}

impl Encoder<'_> {
    fn fail(&self, v: &Value, reason: &str) -> mlua::Error {
        lauxlib::error(self.lua, format!("Cannot serialise {}: {reason}", lauxlib::type_name(v)))
    }

    /// The chain slot of the innermost open table (its keys are at the next one).
    fn slot(&self) -> i64 {
        2 * self.open.len() as i64 - 1
    }

    fn close(&mut self, closer: u8) -> mlua::Result<()> {
        let slot = self.slot();
        self.chain.raw_set(slot, Value::Nil)?;
        self.chain.raw_set(slot + 1, Value::Nil)?;
        self.out.push(closer);
        self.open.pop();
        Ok(())
    }

    /// Encodes a value without recursion: tables wait on `open` until their elements are done.
    fn run(&mut self, root: &Value) -> mlua::Result<()> {
        self.value(root, 1)?;
        loop {
            let slot = self.slot();
            let Some(open) = self.open.last_mut() else { return Ok(()) };
            let is_object = open.is_object;
            if open.next > open.len {
                self.close(if is_object { b'}' } else { b']' })?;
                continue;
            }
            let i = open.next;
            open.next += 1;
            // The C encoder has the table, and the key too for an object, below the element.
            let stack = open.stack + if is_object { 2 } else { 1 };
            if i > 1 {
                self.out.push(b',');
            }
            let table: Table = self.chain.raw_get(slot)?;
            let child = if is_object {
                let keys: Table = self.chain.raw_get(slot + 1)?;
                let key: Value = keys.raw_get(i)?;
                self.key(&key)?;
                table.raw_get::<Value>(key)?
            } else {
                table.raw_get::<Value>(i)?
            };
            self.value(&child, stack)?;
        }
    }

    /// Writes a scalar, or opens a table. `stack` is how many values the C encoder would have
    /// on its Lua stack with this one on top.
    fn value(&mut self, v: &Value, stack: usize) -> mlua::Result<()> {
        match v {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Integer(i) => self.number(*i as f64, v)?,
            Value::Number(n) => self.number(*n, v)?,
            Value::Boolean(b) => self.out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => self.table(t, stack)?,
            other => return Err(self.fail(other, "type not supported")),
        }
        Ok(())
    }

    fn table(&mut self, t: &Table, stack: usize) -> mlua::Result<()> {
        let depth = self.open.len() + 1;
        if depth > self.cfg.encode_max_depth as usize || stack + 3 > MAX_C_STACK {
            return Err(lauxlib::error(self.lua, format!("Cannot serialise, excessive nesting ({depth})")));
        }
        let len = self.array_length(t)?;
        let slot = 2 * depth as i64 - 1;
        self.chain.raw_set(slot, t.clone())?;
        if len > 0 {
            if len > MAX_ARRAY_LEN {
                return Err(mlua::Error::runtime("not enough memory"));
            }
            self.out.push(b'[');
            self.open.push(Open { is_object: false, len, next: 1, stack });
        } else {
            // The keys in the order lua_next gives them, kept in Lua (see `Open`).
            let keys = self.lua.create_table()?;
            let mut count = 0;
            for pair in t.pairs::<Value, Value>() {
                count += 1;
                keys.raw_set(count, pair?.0)?;
            }
            self.chain.raw_set(slot + 1, keys)?;
            self.out.push(b'{');
            self.open.push(Open { is_object: true, len: count, next: 1, stack });
        }
        Ok(())
    }

    /// The array length of a table whose keys are all positive integers (C's `int` keeps the
    /// largest), or -1 for an object; an excessively sparse array is refused, or written as an
    /// object when sparse conversion is on.
    fn array_length(&self, t: &Table) -> mlua::Result<i64> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in t.pairs::<Value, Value>() {
            let Some(k) = lauxlib::number_value(&pair?.0) else { return Ok(-1) };
            if k == 0.0 || k.floor() != k || k < 1.0 {
                return Ok(-1);
            }
            if k > f64::from(max) {
                max = lauxlib::c_double_to_i32(k);
            }
            items = items.wrapping_add(1);
        }
        let cfg = &self.cfg;
        if cfg.sparse_ratio > 0 && max > items.wrapping_mul(cfg.sparse_ratio) && max > cfg.sparse_safe {
            if cfg.sparse_convert == 0 {
                return Err(self.fail(&Value::Table(t.clone()), "excessively sparse array"));
            }
            return Ok(-1);
        }
        Ok(i64::from(max))
    }

    fn key(&mut self, k: &Value) -> mlua::Result<()> {
        match k {
            Value::Integer(_) | Value::Number(_) => {
                let n = lauxlib::number_value(k).unwrap_or(0.0);
                self.out.push(b'"');
                self.number(n, k)?;
                self.out.extend_from_slice(b"\":");
            }
            Value::String(s) => {
                self.string(&s.as_bytes());
                self.out.push(b':');
            }
            other => return Err(self.fail(other, "table key must be a number or string")),
        }
        Ok(())
    }

    fn number(&mut self, n: f64, v: &Value) -> mlua::Result<()> {
        match self.cfg.encode_invalid_numbers {
            0 if !n.is_finite() => return Err(self.fail(v, "must not be NaN or Inf")),
            1 if n.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            0 | 1 => {}
            _ if !n.is_finite() => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let text = crate::resp::format_g(n, self.cfg.precision.clamp(1, 14) as usize);
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn string(&mut self, s: &[u8]) {
        self.out.push(b'"');
        for &b in s {
            match escape(b) {
                Some(e) => self.out.extend_from_slice(e.as_bytes()),
                None => self.out.push(b),
            }
        }
        self.out.push(b'"');
    }
}

// ===== Decoding =====

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    /// What a parse error says was found.
    fn describe(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(what) => what,
        }
    }
}

struct Token {
    tok: Tok,
    /// Where it starts (or where the error is), from 0.
    index: usize,
}

/// The tokenizer over the JSON text, which ends at its first NUL byte as the C string does.
struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn next(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let single = match self.at(index) {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return Token { tok, index };
        }
        let tok = match self.at(index) {
            0 => Tok::End,
            b'"' => return self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    Tok::Error("invalid number")
                } else {
                    self.number()
                }
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => self.word(),
            _ => Tok::Error("invalid token"),
        };
        Token { tok, index }
    }

    /// true, false, null, or (when allowed) a number JSON does not have: inf, nan, +1.
    fn word(&mut self) -> Tok {
        let rest = &self.data[self.pos.min(self.data.len())..];
        for (word, tok) in [(&b"true"[..], Tok::Bool(true)), (b"false", Tok::Bool(false)), (b"null", Tok::Null)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return tok;
            }
        }
        if self.invalid_numbers && self.is_invalid_number() {
            return self.number();
        }
        Tok::Error("invalid token")
    }

    /// Numbers strict JSON refuses though strtod reads them: a leading `+`, hex, leading
    /// zeros, inf and nan.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        // C compares a signed char: bytes from 0x80 count as below '9'.
        if (c as i8) <= b'9' as i8 {
            return false;
        }
        let word = |w: &[u8]| self.data.get(p..p + 3).is_some_and(|s| s.eq_ignore_ascii_case(w));
        word(b"inf") || word(b"nan")
    }

    fn number(&mut self) -> Tok {
        let parsed = crate::cmd::zsets::score::strtod(&self.data[self.pos.min(self.data.len())..]);
        if parsed.consumed == 0 {
            return Tok::Error("invalid number");
        }
        self.pos += parsed.consumed;
        Tok::Num(parsed.value)
    }

    fn string(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1;
        let mut buf = Vec::new();
        loop {
            let ch = self.at(self.pos);
            match ch {
                b'"' => break,
                0 => return Token { tok: Tok::Error("unexpected end of string"), index: self.pos },
                b'\\' => {
                    let translated = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 12,
                        b'r' => b'\r',
                        b'u' => match self.unicode_escape(&mut buf) {
                            Some(()) => continue,
                            None => {
                                return Token { tok: Tok::Error("invalid unicode escape code"), index: self.pos };
                            }
                        },
                        _ => return Token { tok: Tok::Error("invalid escape code"), index: self.pos },
                    };
                    buf.push(translated);
                    self.pos += 2;
                }
                _ => {
                    buf.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token { tok: Tok::Str(buf), index: start }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| (self.at(at + i) as char).to_digit(16).map(|d| acc * 16 + d))
    }

    /// `\uXXXX` (or a surrogate pair of them) at the current position, appended as UTF-8.
    fn unicode_escape(&mut self, buf: &mut Vec<u8>) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let c = char::from_u32(cp)?;
        let mut tmp = [0u8; 4];
        buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        self.pos += len;
        Some(())
    }
}

/// An open array or object while decoding, and the values the C decoder would have on its
/// Lua stack when it started it. The table itself waits in the decoder's chain table (see the
/// encoder's `Open` for why).
struct OpenValue {
    /// None for an array; the pending key for an object.
    key: Option<Vec<u8>>,
    next_index: i64,
    stack: usize,
}

fn decode(lua: &Lua, cfg: Config, args: MultiValue) -> mlua::Result<Value> {
    let args: Vec<Value> = args.into_iter().collect();
    if args.len() != 1 {
        return Err(arg_error(lua, 1, "expected 1 argument"));
    }
    let text = check_bytes(lua, &args, 1)?;
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Err(lauxlib::error(lua, "JSON parser does not support UTF-16 or UTF-32"));
    }
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let lexer = Lexer { data: &text[..end], pos: 0, invalid_numbers: cfg.decode_invalid_numbers != 0 };
    Decoder { lua, max_depth: cfg.decode_max_depth, lexer, open: Vec::new(), chain: lua.create_table()? }.run()
}

struct Decoder<'a> {
    lua: &'a Lua,
    max_depth: i32,
    lexer: Lexer<'a>,
    open: Vec<OpenValue>,
    /// The open tables, the outermost at 1.
    chain: Table,
}

impl Decoder<'_> {
    fn parse_error(&self, expected: &str, token: &Token) -> mlua::Error {
        let found = token.tok.describe();
        lauxlib::error(self.lua, format!("Expected {expected} but found {found} at character {}", token.index + 1))
    }

    /// Starts an array or object, checking the nesting limit and the Lua stack room the C
    /// decoder asks for (3 values for an object, 2 for an array).
    fn descend(&mut self, stack: usize, slots: usize) -> mlua::Result<()> {
        let depth = self.open.len() + 1;
        if depth > self.max_depth as usize || stack + slots > MAX_C_STACK {
            let at = self.lexer.pos;
            return Err(lauxlib::error(
                self.lua,
                format!("Found too many nested data structures ({depth}) at character {at}"),
            ));
        }
        self.chain.raw_set(depth, self.lua.create_table()?)
    }

    /// The innermost open table, taken out of the chain.
    fn take_open(&mut self) -> mlua::Result<Value> {
        let depth = self.open.len() + 1;
        let table = self.chain.raw_get::<Value>(depth)?;
        self.chain.raw_set(depth, Value::Nil)?;
        Ok(table)
    }

    /// The values on the C decoder's stack when it starts the next value of the open table.
    fn child_stack(&self) -> usize {
        match self.open.last() {
            None => 1,
            Some(o) if o.key.is_some() => o.stack + 2,
            Some(o) => o.stack + 1,
        }
    }

    /// Reads an object key and its colon; the token after them starts the value.
    fn object_key(&mut self, token: Token) -> mlua::Result<Token> {
        let Tok::Str(key) = token.tok else { return Err(self.parse_error("object key string", &token)) };
        let colon = self.lexer.next();
        if colon.tok != Tok::Colon {
            return Err(self.parse_error("colon", &colon));
        }
        if let Some(o) = self.open.last_mut() {
            o.key = Some(key);
        }
        Ok(self.lexer.next())
    }

    fn run(mut self) -> mlua::Result<Value> {
        let mut token = self.lexer.next();
        loop {
            let stack = self.child_stack();
            let value = match std::mem::replace(&mut token.tok, Tok::End) {
                Tok::Str(s) => Value::String(self.lua.create_string(&s)?),
                Tok::Num(n) => Value::Number(n),
                Tok::Bool(b) => Value::Boolean(b),
                Tok::Null => null(),
                Tok::ObjBegin => {
                    self.descend(stack, 3)?;
                    let first = self.lexer.next();
                    if first.tok == Tok::ObjEnd {
                        self.take_open()?
                    } else {
                        self.open.push(OpenValue { key: Some(Vec::new()), next_index: 0, stack });
                        token = self.object_key(first)?;
                        continue;
                    }
                }
                Tok::ArrBegin => {
                    self.descend(stack, 2)?;
                    let first = self.lexer.next();
                    if first.tok == Tok::ArrEnd {
                        self.take_open()?
                    } else {
                        self.open.push(OpenValue { key: None, next_index: 1, stack });
                        token = first;
                        continue;
                    }
                }
                other => {
                    token.tok = other;
                    return Err(self.parse_error("value", &token));
                }
            };
            match self.store(value)? {
                Some(done) => return Ok(done),
                None => token = self.next_element()?,
            }
        }
    }

    /// Puts a finished value into the open table, closing every table that ends right after
    /// it; the whole document when the last one closed (and nothing follows).
    fn store(&mut self, mut value: Value) -> mlua::Result<Option<Value>> {
        loop {
            let depth = self.open.len();
            let Some(open) = self.open.last_mut() else {
                let token = self.lexer.next();
                if token.tok != Tok::End {
                    return Err(self.parse_error("the end", &token));
                }
                return Ok(Some(value));
            };
            let table: Table = self.chain.raw_get(depth)?;
            match &open.key {
                Some(key) => table.raw_set(self.lua.create_string(key)?, value)?,
                None => {
                    table.raw_set(open.next_index, value)?;
                    open.next_index += 1;
                }
            }
            let is_object = open.key.is_some();
            let token = self.lexer.next();
            let closer = if is_object { Tok::ObjEnd } else { Tok::ArrEnd };
            if token.tok == closer {
                self.open.pop();
                value = self.take_open()?;
                continue;
            }
            if token.tok != Tok::Comma {
                let expected = if is_object { "comma or object end" } else { "comma or array end" };
                return Err(self.parse_error(expected, &token));
            }
            return Ok(None);
        }
    }

    /// After a comma: the token that starts the next element (for an object, after its key).
    fn next_element(&mut self) -> mlua::Result<Token> {
        let token = self.lexer.next();
        if self.open.last().is_some_and(|o| o.key.is_some()) {
            return self.object_key(token);
        }
        Ok(token)
    }
}
