//! The `bit` library Redis bundles (LuaBitOp's API): 32-bit operations on Lua numbers, which
//! are normalized to signed 32-bit integers first (`bit.tobit`).

use super::lauxlib;
use mlua::{Lua, MultiValue, Table, Value};

/// An argument as LuaBitOp reads it: the low 32 bits of the double `n + 2^52 + 2^51` (which
/// rounds to an integer, ties to even, and wraps). Only a result of 0 from something that is
/// not a number is an error.
fn barg(lua: &Lua, args: &[Value], narg: usize) -> mlua::Result<u32> {
    let number = args.get(narg - 1).and_then(lauxlib::to_number);
    let bits = (number.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if bits == 0 && number.is_none() {
        return Err(lauxlib::type_error(lua, args, narg, "number"));
    }
    Ok(bits)
}

/// A result: the 32 bits as a signed number.
fn ret(b: u32) -> f64 {
    f64::from(b as i32)
}

fn unary(lua: &Lua, f: fn(u32) -> u32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        Ok(ret(f(barg(lua, &args, 1)?)))
    })
}

/// band, bor, bxor: the first argument, then the others from the last one down (the order
/// their errors are found in).
fn fold(lua: &Lua, f: fn(u32, u32) -> u32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        let mut acc = barg(lua, &args, 1)?;
        for i in (2..=args.len()).rev() {
            acc = f(acc, barg(lua, &args, i)?);
        }
        Ok(ret(acc))
    })
}

fn shift(lua: &Lua, f: fn(u32, u32) -> u32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        let b = barg(lua, &args, 1)?;
        let n = barg(lua, &args, 2)? & 31;
        Ok(ret(f(b, n)))
    })
}

/// bit.tohex(x [, n]): the last `n` hex digits of x (8 by default, at most 8), upper case when
/// n is negative.
fn tohex(lua: &Lua, args: MultiValue) -> mlua::Result<String> {
    let args: Vec<Value> = args.into_iter().collect();
    let mut b = barg(lua, &args, 1)?;
    let n = if args.len() < 2 { 8 } else { barg(lua, &args, 2)? as i32 };
    let digits: &[u8; 16] = if n < 0 { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    // The C code negates in int: for -2^31 the compiled code still ends up with 8 digits.
    let n = n.unsigned_abs().min(8);
    let mut buf = vec![0u8; n as usize];
    for slot in buf.iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("tobit", unary(lua, |x| x)?)?;
    t.set("bnot", unary(lua, |x| !x)?)?;
    t.set("bswap", unary(lua, u32::swap_bytes)?)?;
    t.set("band", fold(lua, |a, b| a & b)?)?;
    t.set("bor", fold(lua, |a, b| a | b)?)?;
    t.set("bxor", fold(lua, |a, b| a ^ b)?)?;
    t.set("lshift", shift(lua, |x, n| x << n)?)?;
    t.set("rshift", shift(lua, |x, n| x >> n)?)?;
    t.set("arshift", shift(lua, |x, n| ((x as i32) >> n) as u32)?)?;
    t.set("rol", shift(lua, u32::rotate_left)?)?;
    t.set("ror", shift(lua, u32::rotate_right)?)?;
    t.set("tohex", lua.create_function(tohex)?)?;
    Ok(t)
}
