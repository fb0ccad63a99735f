//! HyperLogLog commands (Redis: hyperloglog.c): PFADD, PFCOUNT, PFMERGE,
//! PFDEBUG, PFSELFTEST. The values are strings in Redis's format (see
//! `hll.rs`), decoded for each command and stored back encoded.

use super::bitmaps::read_string;
use super::dispatch::Call;
use super::hll::{estimate, register_for, Body, Hll, M};
use super::notify::STRING;
use super::Model;
use crate::num::c_str;
use crate::reply::Reply;

/// Redis's default `hll-sparse-max-bytes` (the model does not follow CONFIG SET).
pub const SPARSE_MAX_BYTES: usize = 3000;

fn not_hll() -> Reply {
    Reply::Error("WRONGTYPE Key is not a valid HyperLogLog string value.".to_string())
}

fn corrupt() -> Reply {
    Reply::Error("INVALIDOBJ Corrupted HLL object detected".to_string())
}

/// The HyperLogLog under a key: None when missing, an error for another
/// type or a string that is not a HyperLogLog.
fn load(m: &mut Model, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Hll>, Reply> {
    match read_string(m, db, key, now_ms)? {
        None => Ok(None),
        Some(bytes) => Hll::decode(&bytes).map(Some).ok_or_else(not_hll),
    }
}

fn save(m: &mut Model, db: usize, key: &[u8], hll: &Hll) {
    m.overwrite_str(db, key, hll.encode());
}

pub(super) fn pfadd(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let (mut hll, mut changed) = match load(m, call.db, key, call.now_ms) {
        Ok(Some(h)) => (h, false),
        Ok(None) => (Hll::empty(), true),
        Err(e) => return e,
    };
    for element in &call.argv[2..] {
        let (index, value) = register_for(element);
        match hll.raise(index, value, SPARSE_MAX_BYTES) {
            Ok(c) => changed |= c,
            Err(_) => {
                // What was done before the corrupt part stays.
                save(m, call.db, key, &hll);
                return corrupt();
            }
        }
    }
    if changed {
        hll.mark_stale();
    }
    save(m, call.db, key, &hll);
    if changed {
        m.notify_call(call, STRING, "pfadd", key);
    }
    Reply::Int(i64::from(changed))
}

/// The union of the registers of the given keys (missing keys are empty).
fn union(m: &mut Model, call: &Call, keys: &[Vec<u8>]) -> Result<(Vec<u8>, bool), Reply> {
    let mut max = vec![0u8; M];
    let mut any_dense = false;
    for key in keys {
        let Some(hll) = load(m, call.db, key, call.now_ms)? else {
            continue;
        };
        any_dense |= !hll.is_sparse();
        let registers = hll.registers().map_err(|_| corrupt())?;
        for (mx, r) in max.iter_mut().zip(registers) {
            *mx = (*mx).max(r);
        }
    }
    Ok((max, any_dense))
}

fn histogram(registers: &[u8]) -> [u64; 64] {
    let mut h = [0u64; 64];
    for &r in registers {
        h[usize::from(r)] += 1;
    }
    h
}

pub(super) fn pfcount(m: &mut Model, call: &Call) -> Reply {
    if call.argv.len() > 2 {
        return match union(m, call, &call.argv[1..]) {
            Ok((max, _)) => Reply::Int(estimate(&histogram(&max)) as i64),
            Err(e) => e,
        };
    }
    let key = call.arg(1);
    let mut hll = match load(m, call.db, key, call.now_ms) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    if let Some(card) = hll.cached() {
        return Reply::Int(card as i64);
    }
    let Ok(h) = hll.histogram() else {
        return corrupt();
    };
    let card = estimate(&h);
    hll.set_cached(card);
    save(m, call.db, key, &hll);
    Reply::Int(card as i64)
}

pub(super) fn pfmerge(m: &mut Model, call: &Call) -> Reply {
    let (max, any_dense) = match union(m, call, &call.argv[1..]) {
        Ok(u) => u,
        Err(e) => return e,
    };
    let dest = call.arg(1);
    let mut hll = match load(m, call.db, dest, call.now_ms) {
        Ok(h) => h.unwrap_or_else(Hll::empty),
        Err(e) => return e,
    };
    if any_dense && hll.make_dense().is_err() {
        return corrupt();
    }
    for (index, &value) in max.iter().enumerate() {
        if value > 0 {
            // The destination was read as a source, so it is not corrupt.
            let _ = hll.raise(index, value, SPARSE_MAX_BYTES);
        }
    }
    hll.mark_stale();
    save(m, call.db, dest, &hll);
    // Redis reports a merge as a PFADD.
    m.notify_call(call, STRING, "pfadd", dest);
    Reply::ok()
}

pub(super) fn pfdebug(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(2);
    let mut hll = match load(m, call.db, key, call.now_ms) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::err("The specified key does not exist"),
        Err(e) => return e,
    };
    let sub = c_str(call.arg(1)).to_ascii_lowercase();
    match sub.as_slice() {
        b"getreg" | b"todense" => {
            let was_sparse = hll.is_sparse();
            if hll.make_dense().is_err() {
                return corrupt();
            }
            save(m, call.db, key, &hll);
            if sub == b"todense" {
                return Reply::Int(i64::from(was_sparse));
            }
            let Body::Dense(registers) = &hll.body else {
                return corrupt();
            };
            Reply::Array(registers.iter().map(|&r| Reply::Int(i64::from(r))).collect())
        }
        b"decode" => {
            let Body::Sparse(runs, half) = &hll.body else {
                return Reply::err("HLL encoding is not sparse");
            };
            let mut words: Vec<String> = runs
                .iter()
                .map(|run| match run {
                    super::hll::Run::Zero(n) => format!("z:{n}"),
                    super::hll::Run::XZero(n) => format!("Z:{n}"),
                    super::hll::Run::Val(v, n) => format!("v:{v},{n}"),
                })
                .collect();
            if let Some(b) = half {
                words.push(format!("Z:{}", (usize::from(b & 0x3f) << 8) + 1));
            }
            Reply::Bulk(words.join(" ").into_bytes())
        }
        b"encoding" => Reply::Status(if hll.is_sparse() { "sparse" } else { "dense" }.to_string()),
        _ => Reply::err(&format!("Unknown PFDEBUG subcommand '{}'", String::from_utf8_lossy(c_str(call.arg(1))))),
    }
}

pub(super) fn pfselftest(_: &mut Model, _: &Call) -> Reply {
    Reply::ok()
}
