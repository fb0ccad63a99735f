//! The HyperLogLog commands (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
//!
//! A HyperLogLog is a string value in Redis's exact representation (`engine/hll.rs`), so GET,
//! SET, APPEND and SETRANGE see and change the same bytes as in Redis. Commands that modify an
//! existing HyperLogLog (PFCOUNT too, when it refreshes the cached cardinality) make the value
//! `raw`, as Redis unshares it before editing.

#[cfg(test)]
mod tests;

use crate::cmd::strings::as_string;
use crate::engine::hll::{self, REGISTERS};
use crate::engine::notify::NOTIFY_STRING;
use crate::engine::value::{StrValue, Value};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "pfadd" => pfadd,
        "pfcount" => pfcount,
        "pfmerge" => pfmerge,
        "pfdebug" => pfdebug,
        "pfselftest" => pfselftest,
        _ => return None,
    };
    Some(h)
}

/// The reply for a string that is not a HyperLogLog (Redis sends it with its own code).
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/// The reply for a HyperLogLog whose registers cannot be decoded.
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";
const NO_KEY: &str = "ERR The specified key does not exist";

fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|e| e)
}

fn corrupt(_: hll::Corrupt) -> Frame {
    Frame::error(CORRUPT)
}

/// Checks that a value is a HyperLogLog (isHLLObjectOrReply): WRONGTYPE for another type, the
/// HyperLogLog error for a string that fails the header checks (an integer-encoded string
/// always does).
fn check_hll(value: &Value) -> Result<(), Frame> {
    match as_string(value)?.as_slice() {
        Some(b) if hll::is_hll(b) => Ok(()),
        _ => Err(Frame::error(NOT_HLL)),
    }
}

/// The bytes of an existing HyperLogLog, made `raw` for editing (dbUnshareStringValue).
fn hll_bytes<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut Vec<u8>, Frame> {
    match ctx.db().entry_mut(key).map(|e| &mut e.value) {
        Some(Value::Str(s)) => Ok(s.make_raw()),
        _ => Err(Frame::error(errors::NO_SUCH_KEY)),
    }
}

/// Creates `key` as an empty (sparse) HyperLogLog.
fn create(ctx: &mut Ctx, key: &[u8]) {
    let now_ms = ctx.now_ms;
    ctx.db().set(key.to_vec(), Value::Str(StrValue::Raw(hll::new_sparse())), now_ms);
}

/// PFADD key [element ...]: replies 1 when a register changed (or the key was created), else 0.
/// Each changed register counts as one change for `dirty`, creation as one more.
pub fn pfadd(ctx: &mut Ctx) -> Frame {
    reply(pfadd_inner(ctx))
}

fn pfadd_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let key = &argv[1];
    let mut updated = 0;
    match ctx.lookup_write(key) {
        None => {
            create(ctx, key);
            updated += 1;
        }
        Some(value) => check_hll(value)?,
    }
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes();
    let bytes = hll_bytes(ctx, key)?;
    for element in &argv[2..] {
        if hll::add(bytes, element, max_bytes).map_err(corrupt)? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(bytes);
        ctx.signal_modified(key);
        ctx.notify(NOTIFY_STRING, "pfadd", key);
        ctx.dirty(updated);
    }
    Ok(Frame::Integer((updated > 0) as i64))
}

/// PFCOUNT key [key ...]: the estimated cardinality. One key: the cached value when valid, else
/// the estimate, which is then cached (a change of the value, counted in `dirty`). Several keys:
/// the estimate of their union, nothing cached. Missing keys count as empty.
pub fn pfcount(ctx: &mut Ctx) -> Frame {
    reply(pfcount_inner(ctx))
}

fn pfcount_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    if argv.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for key in &argv[1..] {
            if let Some(value) = ctx.lookup_read(key) {
                check_hll(value)?;
                hll::merge_into(&mut max, as_string(value)?.as_bytes().as_ref()).map_err(corrupt)?;
            }
        }
        let histo = hll::histogram_of_registers(&max);
        return Ok(Frame::Integer(hll::estimate(&histo) as i64));
    }
    let key = &argv[1];
    match ctx.lookup_read(key) {
        None => return Ok(Frame::Integer(0)),
        Some(value) => check_hll(value)?,
    }
    let bytes = hll_bytes(ctx, key)?;
    if let Some(card) = hll::cached_cardinality(bytes) {
        return Ok(Frame::Integer(card as i64));
    }
    let card = hll::count(bytes).map_err(corrupt)?;
    hll::set_cached_cardinality(bytes, card);
    ctx.signal_modified(key);
    ctx.dirty(1);
    Ok(Frame::Integer(card as i64))
}

/// PFMERGE destkey [sourcekey ...]: stores the union of the sources and the destination (which
/// is read as a source too) in the destination, creating it if needed. The destination turns
/// dense when any input is dense; otherwise the registers are written one by one into its
/// sparse form, in register order.
pub fn pfmerge(ctx: &mut Ctx) -> Frame {
    reply(pfmerge_inner(ctx))
}

fn pfmerge_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let mut max = Box::new([0u8; REGISTERS]);
    let mut any_dense = false;
    for key in &argv[1..] {
        if let Some(value) = ctx.lookup_read(key) {
            check_hll(value)?;
            let bytes = as_string(value)?.as_bytes();
            any_dense |= !hll::is_sparse(&bytes);
            hll::merge_into(&mut max, &bytes).map_err(corrupt)?;
        }
    }
    let dest = &argv[1];
    if ctx.lookup_write(dest).is_none() {
        create(ctx, dest);
    }
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes();
    let bytes = hll_bytes(ctx, dest)?;
    if any_dense {
        hll::to_dense(bytes).map_err(corrupt)?;
    }
    for (index, &count) in max.iter().enumerate() {
        if count > 0 {
            // The destination was validated as a source, so this cannot fail.
            let _ = hll::set_register(bytes, index, count, max_bytes);
        }
    }
    hll::invalidate_cache(bytes);
    ctx.signal_modified(dest);
    // Redis reports a merge as a PFADD (a mass add of elements).
    ctx.notify(NOTIFY_STRING, "pfadd", dest);
    ctx.dirty(1);
    Ok(Frame::ok())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. The key is checked before the subcommand.
/// GETREG and TODENSE turn a sparse HyperLogLog dense (counted in `dirty`).
pub fn pfdebug(ctx: &mut Ctx) -> Frame {
    reply(pfdebug_inner(ctx))
}

fn pfdebug_inner(ctx: &mut Ctx) -> Result<Frame, Frame> {
    let argv = ctx.argv;
    let (sub, key) = (&argv[1], &argv[2]);
    match ctx.lookup_write(key) {
        None => return Err(Frame::error(NO_KEY)),
        Some(value) => check_hll(value)?,
    }
    let bytes = hll_bytes(ctx, key)?;
    let sub_is = |name: &str| c_str(sub).eq_ignore_ascii_case(name.as_bytes());
    if sub_is("getreg") {
        let converted = hll::is_sparse(bytes);
        hll::to_dense(bytes).map_err(corrupt)?;
        let registers = hll::dense_registers(bytes);
        if converted {
            ctx.dirty(1);
        }
        Ok(Frame::Array(registers.into_iter().map(|r| Frame::Integer(r.into())).collect()))
    } else if sub_is("decode") {
        if !hll::is_sparse(bytes) {
            return Err(Frame::error("ERR HLL encoding is not sparse"));
        }
        Ok(Frame::Bulk(hll::decode_sparse(bytes).into_bytes()))
    } else if sub_is("encoding") {
        Ok(Frame::simple(if hll::is_sparse(bytes) { "sparse" } else { "dense" }))
    } else if sub_is("todense") {
        let converted = hll::is_sparse(bytes);
        hll::to_dense(bytes).map_err(corrupt)?;
        if converted {
            ctx.dirty(1);
        }
        Ok(Frame::Integer(converted as i64))
    } else {
        let name = String::from_utf8_lossy(c_str(sub)).into_owned();
        Err(Frame::error(format!("ERR Unknown PFDEBUG subcommand '{name}'")))
    }
}

/// The bytes before the first NUL, as C string functions see an argument.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |end| &arg[..end])
}

/// PFSELFTEST: checks the register packing and the estimator's error bounds; replies OK.
pub fn pfselftest(ctx: &mut Ctx) -> Frame {
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes();
    match hll::self_test(&mut ctx.engine.rng, max_bytes) {
        Ok(()) => Frame::ok(),
        Err(text) => Frame::error(text),
    }
}
