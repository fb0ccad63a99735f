//! Redis's HyperLogLog representation, byte for byte, so that a HyperLogLog built by verdis is
//! the same string real Redis builds after the same commands (and Redis's strings load here).
//!
//! Layout: a 16-byte header (`HYLL`, the encoding byte, 3 unused bytes, the cached cardinality
//! as 8 little-endian bytes whose top bit marks it stale), then the registers: 16384 registers
//! of 6 bits. The dense encoding packs them (least significant bits first) into 12288 bytes; the
//! sparse encoding is a run-length code of opcodes:
//! - ZERO  `00llllll`: 1..=64 registers at 0;
//! - XZERO `01llllll llllllll`: 1..=16384 registers at 0;
//! - VAL   `1vvvvvll`: 1..=4 registers at value 1..=32.
//!
//! A new HyperLogLog is sparse; it becomes dense when a register needs a value above 32 or when
//! an update would make the string longer than `hll-sparse-max-bytes`.
//!
//! Reads of a corrupted string never go out of bounds: a byte past the end reads as 0 (what
//! Redis finds there: the string's terminating NUL).

use rand_core::RngCore;

pub const HEADER_BYTES: usize = 16;
pub const REGISTERS: usize = 1 << P;
/// The size of a dense HyperLogLog: header plus 16384 six-bit registers.
pub const DENSE_BYTES: usize = HEADER_BYTES + REGISTERS * 6 / 8;
pub const ENCODING_DENSE: u8 = 0;
pub const ENCODING_SPARSE: u8 = 1;

/// Bits of the hash that select the register.
const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
const Q: usize = 64 - P as usize;
const REGISTER_MAX: u32 = 63;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2): the bias constant of the estimator for an infinite number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// The seed Redis hashes elements with.
const HASH_SEED: u64 = 0xadc83b19;

/// A string whose registers cannot be decoded (Redis: "Corrupted HLL object detected").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2), little-endian reads.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element updates and the value it proposes: the position of the first set bit
/// in the hash above the index bits (1-based, at most 51).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit bounds the count at Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new, empty HyperLogLog: sparse, one XZERO covering every register, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut bytes = vec![0u8; HEADER_BYTES];
    bytes[..4].copy_from_slice(b"HYLL");
    bytes[4] = ENCODING_SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        bytes.extend_from_slice(&xzero_bytes(run));
        left -= run;
    }
    bytes
}

/// Whether a string passes Redis's header checks (isHLLObjectOrReply): long enough, the magic,
/// a known encoding, and the exact size for a dense one. The registers are not checked here.
pub fn is_hll(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_BYTES
        && &bytes[..4] == b"HYLL"
        && bytes[4] <= ENCODING_SPARSE
        && (bytes[4] != ENCODING_DENSE || bytes.len() == DENSE_BYTES)
}

pub fn is_sparse(bytes: &[u8]) -> bool {
    bytes[4] == ENCODING_SPARSE
}

/// The cached cardinality, if it is valid.
pub fn cached_cardinality(bytes: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    (card >> 63 == 0).then_some(card)
}

pub fn set_cached_cardinality(bytes: &mut [u8], card: u64) {
    bytes[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale (the top bit of its last byte).
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

// ----- dense registers -----

/// Register `i` of a dense register area. A register may straddle two bytes; the byte after the
/// last one reads as 0.
pub fn dense_get(registers: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let low = u32::from(registers[byte]) >> shift;
    let high = u32::from(registers.get(byte + 1).copied().unwrap_or(0)) << (8 - shift);
    ((low | high) & REGISTER_MAX) as u8
}

pub fn dense_put(registers: &mut [u8], i: usize, value: u8) {
    let bit = i * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let v = u32::from(value);
    registers[byte] &= !((REGISTER_MAX << shift) as u8);
    registers[byte] |= (v << shift) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next &= !((REGISTER_MAX >> (8 - shift)) as u8);
        *next |= (v >> (8 - shift)) as u8;
    }
}

/// Raises register `i` to `value` if it is lower; true when it changed.
fn dense_raise(registers: &mut [u8], i: usize, value: u8) -> bool {
    if value > dense_get(registers, i) {
        dense_put(registers, i, value);
        true
    } else {
        false
    }
}

// ----- sparse opcodes -----

fn byte_at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

fn is_zero_op(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero_op(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val_op(b: u8) -> bool {
    b & 0x80 != 0
}

fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

fn val_len(b: u8) -> usize {
    usize::from(b & 0x3) + 1
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn xzero_bytes(len: usize) -> [u8; 2] {
    let l = len - 1;
    [0x40 | (l >> 8) as u8, (l & 0xff) as u8]
}

/// The code for a run of `len` zeros, as Redis writes it when it splits a run: XZERO only when
/// ZERO cannot hold it.
fn zeros_bytes(len: usize) -> Vec<u8> {
    if len > ZERO_MAX_LEN {
        xzero_bytes(len).to_vec()
    } else {
        vec![(len - 1) as u8]
    }
}

/// The opcode at `p`: (registers covered, bytes used).
fn op_at(bytes: &[u8], p: usize) -> (usize, usize) {
    let b = bytes[p];
    if is_zero_op(b) {
        (usize::from(b & 0x3f) + 1, 1)
    } else if is_xzero_op(b) {
        (((usize::from(b & 0x3f) << 8) | usize::from(byte_at(bytes, p + 1))) + 1, 2)
    } else {
        (val_len(b), 1)
    }
}

/// Walks the sparse opcodes of `bytes`, calling `run(first_register, len, value)` for each value
/// run. True when the runs cover exactly the 16384 registers; a value run that would pass the
/// last register stops the walk and makes the string corrupt even when every register was
/// already covered (the behaviour of Redis 7.0.15 as shipped with the CVE-2025-32023 fix, which
/// the reference server has: unpatched 7.0.15 ignored such a trailing run).
fn walk_sparse(bytes: &[u8], mut run: impl FnMut(usize, usize, u8)) -> bool {
    let mut p = HEADER_BYTES;
    let mut idx = 0usize;
    while p < bytes.len() {
        let (len, oplen) = op_at(bytes, p);
        if is_val_op(bytes[p]) {
            if idx + len > REGISTERS {
                return false;
            }
            run(idx, len, val_value(bytes[p]));
        }
        idx += len;
        p += oplen;
    }
    idx == REGISTERS
}

/// Converts a sparse HyperLogLog to dense in place (the header, cached cardinality included,
/// is kept). A dense one is left alone.
pub fn to_dense(bytes: &mut Vec<u8>) -> Result<(), Corrupt> {
    if !is_sparse(bytes) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_BYTES];
    dense[..HEADER_BYTES].copy_from_slice(&bytes[..HEADER_BYTES]);
    dense[4] = ENCODING_DENSE;
    let registers = &mut dense[HEADER_BYTES..];
    let complete = walk_sparse(bytes, |first, len, value| {
        for i in first..first + len {
            dense_put(registers, i, value);
        }
    });
    if !complete {
        return Err(Corrupt);
    }
    *bytes = dense;
    Ok(())
}

/// Raises register `index` to `count` in a sparse HyperLogLog (hllSparseSet). The opcode that
/// covers the register is rewritten (split in up to three when needed), then adjacent VAL
/// opcodes with the same value near the change are merged. The string turns dense when the
/// value does not fit a VAL opcode or the string would grow past `max_bytes`.
/// Ok(true) when a register changed.
pub fn sparse_set(bytes: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(bytes, index, count);
    }
    // Step 1: find the opcode covering the register.
    let end = bytes.len();
    let (mut p, mut first, mut span) = (HEADER_BYTES, 0usize, 0usize);
    let mut prev = None;
    while p < end {
        let (len, oplen) = op_at(bytes, p);
        span = len;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let op = bytes[p];
    let oplen = if is_xzero_op(op) { 2 } else { 1 };
    // Step 2: the trivial in-place updates.
    if is_val_op(op) {
        if val_value(op) >= count {
            return Ok(false);
        }
        if span == 1 {
            bytes[p] = val_byte(count, 1);
            merge_adjacent(bytes, prev.unwrap_or(HEADER_BYTES));
            return Ok(true);
        }
    } else if is_zero_op(op) && span == 1 {
        bytes[p] = val_byte(count, 1);
        merge_adjacent(bytes, prev.unwrap_or(HEADER_BYTES));
        return Ok(true);
    }
    // Step 3: split the run around the register.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    let old_value = if is_val_op(op) { Some(val_value(op)) } else { None };
    if index != first {
        match old_value {
            Some(v) => seq.push(val_byte(v, index - first)),
            None => seq.extend(zeros_bytes(index - first)),
        }
    }
    seq.push(val_byte(count, 1));
    if index != last {
        match old_value {
            Some(v) => seq.push(val_byte(v, last - index)),
            None => seq.extend(zeros_bytes(last - index)),
        }
    }
    let delta = seq.len() as i64 - oplen as i64;
    if delta > 0 && (end as i64 + delta) as u64 > max_bytes {
        return promote(bytes, index, count);
    }
    let new_len = (end as i64 + delta) as usize;
    bytes.splice(p..(p + oplen).min(end), seq);
    // Only differs from the spliced length for a corrupt string ending inside an XZERO.
    bytes.resize(new_len, 0);
    // Step 4.
    merge_adjacent(bytes, prev.unwrap_or(HEADER_BYTES));
    Ok(true)
}

/// Merges adjacent VAL opcodes of equal value whose lengths fit one opcode, looking at up to five
/// opcodes from `p` (the one before the change); then marks the cached cardinality stale.
fn merge_adjacent(bytes: &mut Vec<u8>, mut p: usize) {
    let mut budget = 5;
    while p < bytes.len() && budget > 0 {
        budget -= 1;
        let op = bytes[p];
        if is_xzero_op(op) {
            p += 2;
            continue;
        }
        if is_zero_op(op) {
            p += 1;
            continue;
        }
        if let Some(&next) = bytes.get(p + 1) {
            let len = val_len(op) + val_len(next);
            if is_val_op(next) && val_value(op) == val_value(next) && len <= VAL_MAX_LEN {
                bytes[p + 1] = val_byte(val_value(op), len);
                bytes.remove(p);
                // Try again from the same place: the merged run may merge with the next one.
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(bytes);
}

/// Turns the HyperLogLog dense and raises the register there.
fn promote(bytes: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(bytes)?;
    Ok(dense_raise(&mut bytes[HEADER_BYTES..], index, count))
}

/// Adds an element; Ok(true) when a register changed.
pub fn add(bytes: &mut Vec<u8>, element: &[u8], max_bytes: u64) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set_register(bytes, index, count, max_bytes)
}

/// Raises a register to `count` in either encoding.
pub fn set_register(bytes: &mut Vec<u8>, index: usize, count: u8, max_bytes: u64) -> Result<bool, Corrupt> {
    match bytes[4] {
        ENCODING_DENSE => Ok(dense_raise(&mut bytes[HEADER_BYTES..], index, count)),
        ENCODING_SPARSE => sparse_set(bytes, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Raises each of `max[i]` to register `i` of the HyperLogLog (hllMerge).
pub fn merge_into(max: &mut [u8; REGISTERS], bytes: &[u8]) -> Result<(), Corrupt> {
    if !is_sparse(bytes) {
        let registers = &bytes[HEADER_BYTES..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(registers, i));
        }
        return Ok(());
    }
    let complete = walk_sparse(bytes, |first, len, value| {
        for m in &mut max[first..first + len] {
            *m = (*m).max(value);
        }
    });
    if complete {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// How many registers hold each value. A sparse string that does not cover exactly all
/// registers is corrupt.
pub fn histogram(bytes: &[u8]) -> Result<[u64; 64], Corrupt> {
    let mut histo = [0u64; 64];
    if !is_sparse(bytes) {
        let registers = &bytes[HEADER_BYTES..];
        for i in 0..REGISTERS {
            histo[usize::from(dense_get(registers, i))] += 1;
        }
        return Ok(histo);
    }
    // Unlike the converters, the histogram reads every opcode (a value run may pass the end) and
    // only then checks the total.
    let (mut p, mut idx) = (HEADER_BYTES, 0usize);
    while p < bytes.len() {
        let (len, oplen) = op_at(bytes, p);
        let value = if is_val_op(bytes[p]) { usize::from(val_value(bytes[p])) } else { 0 };
        histo[value] += len as u64;
        idx += len;
        p += oplen;
    }
    if idx == REGISTERS {
        Ok(histo)
    } else {
        Err(Corrupt)
    }
}

/// The histogram of plain register values (one byte per register).
pub fn histogram_of_registers(registers: &[u8; REGISTERS]) -> [u64; 64] {
    let mut histo = [0u64; 64];
    for &r in registers.iter() {
        histo[usize::from(r & 63)] += 1;
    }
    histo
}

/// The cardinality estimate from a register histogram: Otmar Ertl's improved estimator
/// ("New cardinality estimation algorithms for HyperLogLog sketches"), as Redis 7.0 computes it,
/// operation for operation, so the rounding is the same.
pub fn estimate(histo: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    // Converges in well under 100 rounds for x in [0, 1); the bound keeps the loop finite.
    for _ in 0..10_000 {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            break;
        }
    }
    z
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    for _ in 0..10_000 {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            break;
        }
    }
    z / 3.0
}

/// The cardinality of one HyperLogLog, computed from its registers.
pub fn count(bytes: &[u8]) -> Result<u64, Corrupt> {
    histogram(bytes).map(|h| estimate(&h))
}

/// PFDEBUG DECODE's text: `z:<len>`, `Z:<len>`, `v:<value>,<len>` for each opcode.
pub fn decode_sparse(bytes: &[u8]) -> String {
    let mut words = Vec::new();
    let mut p = HEADER_BYTES;
    while p < bytes.len() {
        let (len, oplen) = op_at(bytes, p);
        let b = bytes[p];
        words.push(if is_zero_op(b) {
            format!("z:{len}")
        } else if is_xzero_op(b) {
            format!("Z:{len}")
        } else {
            format!("v:{},{len}", val_value(b))
        });
        p += oplen;
    }
    words.join(" ")
}

/// All registers of a dense HyperLogLog.
pub fn dense_registers(bytes: &[u8]) -> Vec<u8> {
    let registers = &bytes[HEADER_BYTES..];
    (0..REGISTERS).map(|i| dense_get(registers, i)).collect()
}

/// PFSELFTEST: register packing round trips with random values, then the estimate of a growing
/// set of distinct elements stays within six standard errors, with sparse and dense agreeing.
pub fn self_test(rng: &mut impl RngCore, max_bytes: u64) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_BYTES];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = (rng.next_u32() & REGISTER_MAX) as u8;
            dense_put(&mut dense[HEADER_BYTES..], i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(&dense[HEADER_BYTES..], i);
            if got != e {
                return Err(format!("TESTFAILED Register {i} should be {e} but is {got}"));
            }
        }
    }
    dense[HEADER_BYTES..].fill(0);
    let mut sparse = new_sparse();
    let rel_err = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.next_u64();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let element = (j ^ seed).to_le_bytes();
        let (index, c) = pattern(&element);
        dense_raise(&mut dense[HEADER_BYTES..], index, c);
        set_register(&mut sparse, index, c, max_bytes).map_err(|_| "TESTFAILED corrupted sparse".to_string())?;
        if j != checkpoint {
            continue;
        }
        if j < max_bytes / 2 && !is_sparse(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).unwrap_or(0);
        if count(&sparse).ok() != Some(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let max_err = if j == 10 { 1 } else { (rel_err * 6.0 * checkpoint as f64).ceil() as u64 };
        let abs_err = checkpoint.abs_diff(card);
        if abs_err > max_err {
            return Err(format!("TESTFAILED Too big error. card:{checkpoint} abserr:{abs_err}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
