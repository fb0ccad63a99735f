//! The `bit` library Redis bundles (LuaBitOp's API): 32-bit operations on Lua numbers, which
//! are normalized to signed 32-bit integers first (`bit.tobit`).

use mlua::{Lua, MultiValue, Table, Value, Variadic};

/// A number as LuaBitOp sees it: rounded to an integer, wrapped into 32 bits, signed.
fn tobit(v: &Value, arg: usize, fname: &str) -> mlua::Result<i32> {
    let n = match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => s.to_string_lossy().trim().parse::<f64>().unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    if n.is_nan() && !matches!(v, Value::Number(_)) {
        let got = if matches!(v, Value::Nil) { "no value".to_string() } else { v.type_name().to_string() };
        return Err(mlua::Error::runtime(format!("bad argument #{arg} to '{fname}' (number expected, got {got})")));
    }
    if !n.is_finite() {
        return Ok(0);
    }
    let wrapped = n.round_ties_even().rem_euclid(4_294_967_296.0);
    Ok(wrapped as u64 as u32 as i32)
}

fn unary(lua: &Lua, name: &'static str, f: fn(i32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |_, v: Value| Ok(f(tobit(&v, 1, name)?) as f64))
}

fn fold(lua: &Lua, name: &'static str, f: fn(i32, i32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |_, args: Variadic<Value>| {
        let mut acc = tobit(args.first().unwrap_or(&Value::Nil), 1, name)?;
        for (i, v) in args.iter().enumerate().skip(1) {
            acc = f(acc, tobit(v, i + 1, name)?);
        }
        Ok(acc as f64)
    })
}

fn shift(lua: &Lua, name: &'static str, f: fn(i32, u32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |_, (x, n): (Value, Value)| {
        let x = tobit(&x, 1, name)?;
        let n = tobit(&n, 2, name)? as u32 & 31;
        Ok(f(x, n) as f64)
    })
}

/// bit.tohex(x [, n]): `n` hex digits of x (8 by default), upper case when n is negative.
fn tohex(_: &Lua, args: MultiValue) -> mlua::Result<String> {
    let args: Vec<Value> = args.into_iter().collect();
    let x = tobit(args.first().unwrap_or(&Value::Nil), 1, "tohex")? as u32;
    let n = match args.get(1) {
        None | Some(Value::Nil) => 8,
        Some(v) => tobit(v, 2, "tohex")?,
    };
    let upper = n < 0;
    let digits = n.unsigned_abs().min(8) as usize;
    let digits = if digits == 0 { 8 } else { digits };
    let masked = if digits >= 8 { x } else { x & ((1u32 << (4 * digits)) - 1) };
    let text = if upper { format!("{masked:0digits$X}") } else { format!("{masked:0digits$x}") };
    Ok(text)
}

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("tobit", unary(lua, "tobit", |x| x)?)?;
    t.set("bnot", unary(lua, "bnot", |x| !x)?)?;
    t.set("bswap", unary(lua, "bswap", i32::swap_bytes)?)?;
    t.set("band", fold(lua, "band", |a, b| a & b)?)?;
    t.set("bor", fold(lua, "bor", |a, b| a | b)?)?;
    t.set("bxor", fold(lua, "bxor", |a, b| a ^ b)?)?;
    t.set("lshift", shift(lua, "lshift", |x, n| ((x as u32) << n) as i32)?)?;
    t.set("rshift", shift(lua, "rshift", |x, n| ((x as u32) >> n) as i32)?)?;
    t.set("arshift", shift(lua, "arshift", |x, n| x >> n)?)?;
    t.set("rol", shift(lua, "rol", |x, n| (x as u32).rotate_left(n) as i32)?)?;
    t.set("ror", shift(lua, "ror", |x, n| (x as u32).rotate_right(n) as i32)?)?;
    t.set("tohex", lua.create_function(tohex)?)?;
    Ok(t)
}
