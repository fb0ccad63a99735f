//! The `struct` library Redis loads into every script (Roberto Ierusalimschy's struct 0.2 with
//! Redis's offset check): `pack(fmt, v...)`, `unpack(fmt, s [, pos])` and `size(fmt)`.
//!
//! Format: `>` big endian, `<` little endian (the default, as on x86-64), `!n` aligns to n
//! (8 when n is missing), `x` a zero byte, `b`/`B` char, `h`/`H` short, `l`/`L` long, `T`
//! size_t, `in`/`In` an n-byte int (default 4, at most 32), `f` float, `d` double, `s` a
//! zero-terminated string, `cn` n chars (`c0`: all of the string, or when unpacking as many
//! as the previous value says), ` ` ignored. Lower case is signed, upper case unsigned.
//! Integers go through 64 bits (wider ones are zero- or sign-filled only as the C code does).

use super::lauxlib::{self, arg_error, c_double_to_i64, c_double_to_u64, check_stack};
use mlua::{Lua, MultiValue, Table, Value};

/// The largest integer size (MAXINTSIZE).
const MAX_INT_SIZE: usize = 32;
/// The default alignment for `!` (the alignment of a double, or of an int if larger).
const MAX_ALIGN: usize = 8;

pub fn library(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("size", lua.create_function(size)?)?;
    Ok(t)
}

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

/// The format being read, with the endianness and alignment its options set so far.
struct Format {
    fmt: Vec<u8>,
    pos: usize,
    endian: Endian,
    align: usize,
}

impl Format {
    fn new(fmt: Vec<u8>) -> Format {
        Format { fmt, pos: 0, endian: Endian::Little, align: 1 }
    }

    fn next_option(&mut self) -> Option<u8> {
        let opt = self.fmt.get(self.pos).copied()?;
        self.pos += 1;
        Some(opt)
    }

    /// A decimal count after an option, or `default` when there is none.
    fn number(&mut self, lua: &Lua, default: usize) -> mlua::Result<usize> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while let Some(&d) = self.fmt.get(self.pos).filter(|d| d.is_ascii_digit()) {
            let d = i32::from(d - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err(lauxlib::error(lua, "integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// The size of an option's item (0 for those that are not items).
    fn size(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'x' => 1,
            b'c' => self.number(lua, 1)?,
            b'i' | b'I' => {
                let size = self.number(lua, 4)?;
                if size > MAX_INT_SIZE {
                    let msg = format!("integral size {size} is larger than limit of {MAX_INT_SIZE}");
                    return Err(lauxlib::error(lua, msg));
                }
                size
            }
            _ => 0,
        })
    }

    /// The padding before an item of `size` bytes at offset `len` (the C arithmetic, also for
    /// sizes that are not powers of two).
    fn padding(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
    }

    /// The options that are not items: white space, endianness and alignment.
    fn control(&mut self, lua: &Lua, opt: u8) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => self.endian = Endian::Big,
            b'<' => self.endian = Endian::Little,
            b'!' => {
                let a = self.number(lua, MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(lauxlib::error(lua, format!("alignment {a} is not a power of 2")));
                }
                self.align = a;
            }
            _ => return Err(arg_error(lua, 1, &format!("invalid format option '{}'", opt as char))),
        }
        Ok(())
    }

    /// Bytes in memory order for this endianness (they are given little endian).
    fn order(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        if self.endian == Endian::Big {
            bytes.reverse();
        }
        bytes
    }
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let mut args: Vec<Value> = args.into_iter().collect();
    let mut f = Format::new(lauxlib::check_c_string(lua, &args, 1)?);
    // The C code then pushes a nil after the arguments, which a missing argument reads as.
    args.push(Value::Nil);
    let mut out: Vec<u8> = Vec::new();
    let mut arg = 2;
    while let Some(opt) = f.next_option() {
        let mut size = f.size(lua, opt)?;
        let pad = f.padding(out.len(), opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = lauxlib::check_number(lua, &args, arg)?;
                arg += 1;
                let mut value = if n < 0.0 { c_double_to_i64(n) as u64 } else { c_double_to_u64(n) };
                let mut bytes = Vec::with_capacity(size);
                for _ in 0..size {
                    bytes.push(value as u8);
                    value >>= 8;
                }
                out.extend(f.order(bytes));
            }
            b'x' => out.push(0),
            b'f' => {
                let n = lauxlib::check_number(lua, &args, arg)? as f32;
                arg += 1;
                out.extend(f.order(n.to_le_bytes().to_vec()));
            }
            b'd' => {
                let n = lauxlib::check_number(lua, &args, arg)?;
                arg += 1;
                out.extend(f.order(n.to_le_bytes().to_vec()));
            }
            b'c' | b's' => {
                let s = lauxlib::check_bytes(lua, &args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(arg_error(lua, arg as i64, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(lua, opt)?,
        }
    }
    lua.create_string(&out)
}

/// An integer read with this endianness: the last 8 bytes count; a signed one is extended from
/// its top bit (the shift wraps at 64 as on x86-64 when the size is not 1 to 8).
fn read_integer(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    let l = match endian {
        Endian::Big => bytes.iter().fold(0, fold),
        Endian::Little => bytes.iter().rev().fold(0, fold),
    };
    if !signed {
        return l as f64;
    }
    let shift = ((bytes.len() as i64) * 8 - 1) & 63;
    let mask = u64::MAX << shift;
    let l = if l & mask != 0 { l | mask } else { l };
    l as i64 as f64
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let mut f = Format::new(lauxlib::check_c_string(lua, &args, 1)?);
    let data = lauxlib::check_bytes(lua, &args, 2)?;
    let ld = data.len();
    // The position is a size_t: a negative one wraps around and fails the length checks.
    let start = lauxlib::opt_integer(lua, &args, 3, 1)? as u64 as usize;
    if start == 0 {
        return Err(arg_error(lua, 3, "offset must be 1 or greater"));
    }
    let mut pos = start - 1;
    let mut results: Vec<Value> = Vec::new();
    // Strings among the results (see lauxlib::MAX_HELD_RESULTS).
    let mut held = 0;
    let too_short = |size: usize, pos: usize| size > ld || pos > ld - size;
    while let Some(opt) = f.next_option() {
        let mut size = f.size(lua, opt)?;
        pos = pos.wrapping_add(f.padding(pos, opt, size));
        if too_short(size, pos) {
            return Err(arg_error(lua, 2, "data string too short"));
        }
        check_stack(lua, args.len() + results.len(), 2, "too many results")?;
        if held >= lauxlib::MAX_HELD_RESULTS {
            return Err(lauxlib::error(lua, "stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = read_integer(&data[pos..pos + size], f.endian, opt.is_ascii_lowercase());
                results.push(Value::Number(n));
            }
            b'x' => {}
            b'f' => {
                let bytes = f.order(data[pos..pos + 4].to_vec());
                let n = f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                results.push(Value::Number(f64::from(n)));
            }
            b'd' => {
                let bytes = f.order(data[pos..pos + 8].to_vec());
                let mut b8 = [0u8; 8];
                b8.copy_from_slice(&bytes);
                results.push(Value::Number(f64::from_le_bytes(b8)));
            }
            b'c' => {
                if size == 0 {
                    let Some(n) = results.last().and_then(lauxlib::to_number) else {
                        return Err(lauxlib::error(lua, "format 'c0' needs a previous size"));
                    };
                    if results.pop().is_some_and(|v| lauxlib::holds_reference(&v)) {
                        held -= 1;
                    }
                    size = c_double_to_u64(n) as usize;
                    if too_short(size, pos) {
                        return Err(arg_error(lua, 2, "data string too short"));
                    }
                }
                results.push(Value::String(lua.create_string(&data[pos..pos + size])?));
                held += 1;
            }
            b's' => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(lauxlib::error(lua, "unfinished string in data"));
                };
                size = len + 1;
                results.push(Value::String(lua.create_string(&data[pos..pos + len])?));
                held += 1;
            }
            _ => f.control(lua, opt)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(MultiValue::from_vec(results))
}

fn size(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    let args: Vec<Value> = args.into_iter().collect();
    let mut f = Format::new(lauxlib::check_c_string(lua, &args, 1)?);
    let mut pos: usize = 0;
    while let Some(opt) = f.next_option() {
        let size = f.size(lua, opt)?;
        pos = pos.wrapping_add(f.padding(pos, opt, size));
        if opt == b's' {
            return Err(arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        // Unknown letters and digits are skipped here, though pack and unpack refuse them.
        if !opt.is_ascii_alphanumeric() {
            f.control(lua, opt)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64 as f64)
}
