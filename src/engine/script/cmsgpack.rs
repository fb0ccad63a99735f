//! The `cmsgpack` library Redis loads into every script (lua-cmsgpack 0.4.0): `pack(v...)`
//! writes each value as MessagePack, `unpack(s)` reads every value back, `unpack_one(s [,
//! offset])` and `unpack_limit(s, limit [, offset])` read some and also return where to go on
//! (-1 at the end).
//!
//! As in lua-cmsgpack on Lua 5.1: a number that is an exact 64-bit integer is written as the
//! smallest integer type, other numbers as a float when that is exact, else a double; a table
//! with the keys 1..n is an array, any other a map; tables nested 16 deep are written as nil;
//! values without a MessagePack type are nil. Reading, unsigned 64-bit values above 2^63 come
//! back negative, and the bin/ext types are a format error.

use super::lauxlib::{self, c_double_to_i32, c_double_to_i64, check_bytes, check_stack};
use mlua::{Lua, MultiValue, Table, Value};

/// Tables deeper than this are written as nil (lua-cmsgpack's LUACMSGPACK_MAX_NESTING).
const MAX_NESTING: usize = 16;

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("unpack_one", lua.create_function(unpack_one)?)?;
    t.set("unpack_limit", lua.create_function(unpack_limit)?)?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

// ===== Packing =====

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    if args.is_empty() {
        return Err(lauxlib::arg_error(lua, 0, "MessagePack pack needs input."));
    }
    // The C code asks for room for a copy of every argument.
    if args.len() * 2 > lauxlib::MAX_C_STACK {
        return Err(lauxlib::arg_error(lua, 0, "Too many arguments for MessagePack pack."));
    }
    let mut out = Vec::new();
    for v in args.iter() {
        encode(&mut out, v, 0)?;
    }
    lua.create_string(&out)
}

fn encode(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::Table(_) if level == MAX_NESTING => out.push(0xc0),
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(out, *i as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) => encode_table(out, t, level)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// An integer when the number is exactly one (as `(int64_t)n == n` decides), else a float when
/// that loses nothing, else a double.
fn encode_number(out: &mut Vec<u8>, n: f64) {
    let i = c_double_to_i64(n);
    if !n.is_infinite() && i as f64 == n {
        encode_int(out, i);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_table(out: &mut Vec<u8>, t: &Table, level: usize) -> mlua::Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        encode_header(out, len, [0x90, 0xdc, 0xdd]);
        for j in 1..=len {
            let v: Value = t.raw_get(j)?;
            encode(out, &v, level + 1)?;
        }
        return Ok(());
    }
    // Counted first, then written, both in lua_next order.
    let mut count = 0;
    for pair in t.pairs::<Value, Value>() {
        pair?;
        count += 1;
    }
    encode_header(out, count, [0x80, 0xde, 0xdf]);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        encode(out, &k, level + 1)?;
        encode(out, &v, level + 1)?;
    }
    Ok(())
}

/// An array or map header: the fix form below 16 entries, then 16 and 32 bit counts.
fn encode_header(out: &mut Vec<u8>, n: usize, [fix, b16, b32]: [u8; 3]) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// True when the keys are exactly 1..n (every key a positive number that is a C `int`, and
/// the largest equal to the count).
fn is_array(t: &Table) -> mlua::Result<bool> {
    let mut count: i64 = 0;
    let mut max: i64 = 0;
    for pair in t.pairs::<Value, Value>() {
        let Some(n) = lauxlib::number_value(&pair?.0) else { return Ok(false) };
        if n <= 0.0 || n.is_infinite() || f64::from(c_double_to_i32(n)) != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

// ===== Unpacking =====

/// Why decoding stopped (the cursor errors of lua-cmsgpack).
enum Fail {
    Eof,
    BadFormat,
    Lua(mlua::Error),
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Self {
        Fail::Lua(e)
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes, consumed.
    fn take(&mut self, n: usize) -> Result<&[u8], Fail> {
        if self.left() < n {
            return Err(Fail::Eof);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, Fail> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// A table being filled while decoding, and the values the C decoder had on its Lua stack
/// when it started it. The table (and a map's pending key) wait in the decoder's chain table:
/// mlua gives each Lua value held from Rust a slot of a limited auxiliary stack, which deep
/// nesting would exhaust.
struct Pending {
    remaining: u64,
    is_map: bool,
    next_index: i64,
    key: KeyState,
    stack: usize,
}

/// Where a map stands between a key and its value.
#[derive(Clone, Copy, PartialEq)]
enum KeyState {
    /// The next value is a key.
    Expected,
    /// The key was nil (Lua refuses it as an index once the value is read).
    Nil,
    /// The key is in the chain.
    Stored,
}

/// What a header byte starts: a value, or an array or map of so many elements.
enum Item {
    Value(Value),
    Table { len: u64, is_map: bool },
}

/// Decodes one value without recursion. `base` is how many values the C function already has
/// on its stack. Open table `d` (from 1) is at `chain[2d - 1]`, a map's pending key at `2d`.
fn decode_value(lua: &Lua, c: &mut Cursor, base: usize, chain: &Table) -> Result<Value, Fail> {
    let mut open: Vec<Pending> = Vec::new();
    loop {
        let stack = match open.last() {
            None => base,
            Some(p) if p.is_map && p.key == KeyState::Expected => p.stack + 1,
            Some(p) => p.stack + 2,
        };
        if c.left() < 1 {
            return Err(Fail::Eof);
        }
        check_stack(lua, stack, 1, "too many return values at once; use unpack_one or unpack_limit instead.")?;
        let slot = 2 * open.len() as i64 + 1;
        let mut value = match decode_item(lua, c)? {
            Item::Value(v) => v,
            Item::Table { len, is_map } => {
                let table = lua.create_table()?;
                if !is_map {
                    check_stack(lua, stack + 1, 1, "in function mp_decode_to_lua_array")?;
                }
                if len > 0 {
                    chain.raw_set(slot, table)?;
                    let key = KeyState::Expected;
                    open.push(Pending { remaining: len, is_map, next_index: 1, key, stack });
                    continue;
                }
                Value::Table(table)
            }
        };
        // Store the value, closing every table it completes.
        loop {
            let slot = 2 * open.len() as i64 - 1;
            let Some(p) = open.last_mut() else { return Ok(value) };
            let table: Table = chain.raw_get(slot)?;
            if p.is_map {
                match p.key {
                    KeyState::Expected => {
                        p.key = if value.is_nil() { KeyState::Nil } else { KeyState::Stored };
                        chain.raw_set(slot + 1, value)?;
                        break;
                    }
                    KeyState::Nil => return Err(Fail::Lua(mlua::Error::runtime("table index is nil"))),
                    KeyState::Stored => {
                        let key: Value = chain.raw_get(slot + 1)?;
                        if matches!(key, Value::Number(n) if n.is_nan()) {
                            return Err(Fail::Lua(mlua::Error::runtime("table index is NaN")));
                        }
                        table.raw_set(key, value)?;
                        p.key = KeyState::Expected;
                    }
                }
            } else {
                table.raw_set(p.next_index, value)?;
                p.next_index += 1;
            }
            p.remaining -= 1;
            if p.remaining > 0 {
                break;
            }
            open.pop();
            chain.raw_set(slot, Value::Nil)?;
            chain.raw_set(slot + 1, Value::Nil)?;
            value = Value::Table(table);
        }
    }
}

/// Reads one header byte and what belongs to it, except the elements of arrays and maps.
fn decode_item(lua: &Lua, c: &mut Cursor) -> Result<Item, Fail> {
    let num = |n: f64| Ok(Item::Value(Value::Number(n)));
    let byte = c.take(1)?[0];
    match byte {
        0xcc => num(c.uint(1)? as f64),
        0xcd => num(c.uint(2)? as f64),
        0xce => num(c.uint(4)? as f64),
        // lua_pushunsigned is lua_pushinteger on 64-bit: above 2^63 the value wraps.
        0xcf => num(c.uint(8)? as i64 as f64),
        0xd0 => num(f64::from(c.uint(1)? as u8 as i8)),
        0xd1 => num(f64::from(c.uint(2)? as u16 as i16)),
        0xd2 => num(f64::from(c.uint(4)? as u32 as i32)),
        0xd3 => num(c.uint(8)? as i64 as f64),
        0xc0 => Ok(Item::Value(Value::Nil)),
        0xc2 => Ok(Item::Value(Value::Boolean(false))),
        0xc3 => Ok(Item::Value(Value::Boolean(true))),
        0xca => num(f64::from(f32::from_bits(c.uint(4)? as u32))),
        0xcb => num(f64::from_bits(c.uint(8)?)),
        0xd9 => string(lua, c, 1),
        0xda => string(lua, c, 2),
        0xdb => string(lua, c, 4),
        0xdc => Ok(Item::Table { len: c.uint(2)?, is_map: false }),
        0xdd => Ok(Item::Table { len: c.uint(4)?, is_map: false }),
        0xde => Ok(Item::Table { len: c.uint(2)?, is_map: true }),
        0xdf => Ok(Item::Table { len: c.uint(4)?, is_map: true }),
        b if b & 0x80 == 0 => num(f64::from(b)),
        b if b & 0xe0 == 0xe0 => num(f64::from(b as i8)),
        b if b & 0xe0 == 0xa0 => {
            let s = c.take(usize::from(b & 0x1f))?;
            Ok(Item::Value(Value::String(lua.create_string(s)?)))
        }
        b if b & 0xf0 == 0x90 => Ok(Item::Table { len: u64::from(b & 0x0f), is_map: false }),
        b if b & 0xf0 == 0x80 => Ok(Item::Table { len: u64::from(b & 0x0f), is_map: true }),
        _ => Err(Fail::BadFormat),
    }
}

/// A string whose length takes `len_bytes` bytes.
fn string(lua: &Lua, c: &mut Cursor, len_bytes: usize) -> Result<Item, Fail> {
    let len = c.uint(len_bytes)?;
    let s = c.take(usize::try_from(len).unwrap_or(usize::MAX))?;
    Ok(Item::Value(Value::String(lua.create_string(s)?)))
}

/// mp_unpack_full: decodes up to `limit` values from `offset` (everything when both are 0);
/// when limited, the offset to continue from (-1 at the end) comes first.
/// `base` is how many values the C function keeps on its stack while decoding, `nargs` how many
/// arguments mlua keeps there (it needs room for them, the results and one more).
fn unpack_full(lua: &Lua, data: &[u8], limit: i64, offset: i64, base: usize, nargs: usize) -> mlua::Result<MultiValue> {
    let decode_all = limit == 0 && offset == 0;
    let len = data.len();
    if offset < 0 || limit < 0 {
        return Err(lauxlib::error(
            lua,
            format!("Invalid request to unpack with offset of {} and limit of {}.", offset as i32, len as i32),
        ));
    }
    if offset as u64 > len as u64 {
        return Err(lauxlib::error(
            lua,
            format!("Start offset {} greater than input length {}.", offset as i32, len as i32),
        ));
    }
    let limit = if decode_all { i64::from(i32::MAX) } else { limit };
    let mut c = Cursor { data, pos: offset as usize };
    let mut values = Vec::new();
    let chain = lua.create_table()?;
    let mut held = 0;
    while c.left() > 0 && (values.len() as i64) < limit {
        match decode_value(lua, &mut c, base + values.len(), &chain) {
            Ok(v) => {
                held += usize::from(lauxlib::holds_reference(&v));
                if held > lauxlib::MAX_HELD_RESULTS {
                    let what = "too many return values at once; use unpack_one or unpack_limit instead.";
                    return Err(lauxlib::error(lua, format!("stack overflow ({what})")));
                }
                values.push(v)
            }
            Err(Fail::Eof) => return Err(lauxlib::error(lua, "Missing bytes in input.")),
            Err(Fail::BadFormat) => return Err(lauxlib::error(lua, "Bad data format in input.")),
            Err(Fail::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        check_stack(lua, base + values.len(), 1, "in function mp_unpack_full")?;
        let next = if c.left() == 0 { -1.0 } else { c.pos as f64 };
        values.insert(0, Value::Number(next));
    }
    if nargs + values.len() + 1 > lauxlib::MAX_C_STACK {
        // Redis returns one value more here than mlua can; fail as Redis does one value later.
        let what = if decode_all {
            "too many return values at once; use unpack_one or unpack_limit instead."
        } else {
            "in function mp_unpack_full"
        };
        return Err(lauxlib::error(lua, format!("stack overflow ({what})")));
    }
    Ok(MultiValue::from_vec(values))
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let data = check_bytes(lua, &args, 1)?;
    unpack_full(lua, &data, 0, 0, args.len(), args.len())
}

fn unpack_one(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let offset = lauxlib::opt_integer(lua, &args, 2, 0)?;
    let data = check_bytes(lua, &args, 1)?;
    unpack_full(lua, &data, 1, offset, 1, args.len())
}

fn unpack_limit(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let limit = lauxlib::check_integer(lua, &args, 2)?;
    let offset = lauxlib::opt_integer(lua, &args, 3, 0)?;
    let data = check_bytes(lua, &args, 1)?;
    unpack_full(lua, &data, limit, offset, 1, args.len())
}
