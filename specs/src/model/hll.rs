//! The HyperLogLog string format of Redis, decoded into plain data.
//!
//! A HyperLogLog string is a 16-byte header (`HYLL`, an encoding byte, three
//! unused bytes, an 8-byte little-endian cached cardinality whose highest bit
//! means "stale") followed by 16384 registers, either
//! - dense: 16384 values of 6 bits, packed from the least significant bit of
//!   each byte up (12288 bytes), or
//! - sparse: a list of runs: `Zero(n)` (one byte, n in 1..=64), `XZero(n)`
//!   (two bytes, n in 1..=16384) and `Val(v, n)` (one byte, v in 1..=32,
//!   n in 1..=4).
//!
//! The model keeps the sparse runs as a list and replays Redis's update rules
//! on it (which run to split, which neighbours to merge), because the exact
//! list, not only the register values, is visible through GET.

/// Registers in a HyperLogLog.
pub const M: usize = 16384;
/// The length of a dense HyperLogLog string.
pub const DENSE_LEN: usize = 16 + M * 6 / 8;

/// One sparse run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Run {
    fn len(self) -> usize {
        match self {
            Run::Zero(n) | Run::XZero(n) | Run::Val(_, n) => n,
        }
    }

    fn bytes(self) -> Vec<u8> {
        match self {
            Run::Zero(n) => vec![(n - 1) as u8],
            Run::XZero(n) => vec![0x40 | ((n - 1) >> 8) as u8, ((n - 1) & 0xff) as u8],
            Run::Val(v, n) => vec![0x80 | ((v - 1) << 2) | (n - 1) as u8],
        }
    }

    fn size(self) -> usize {
        if matches!(self, Run::XZero(_)) {
            2
        } else {
            1
        }
    }
}

/// The registers, in either encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Dense(Vec<u8>),
    /// The runs, and a lone first byte of an XZERO run cut off by the end of
    /// the string (it reads as a run with a low length byte of 0).
    Sparse(Vec<Run>, Option<u8>),
}

/// A decoded HyperLogLog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hll {
    pub header: [u8; 16],
    pub body: Body,
}

/// The registers cannot be read (Redis: "Corrupted HLL object detected").
#[derive(Debug, PartialEq, Eq)]
pub struct Corrupt;

/// Splits sparse data into runs; a last byte that starts an XZERO run
/// without its second byte is returned apart.
fn parse_runs(data: &[u8]) -> (Vec<Run>, Option<u8>) {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if b & 0x80 != 0 {
            runs.push(Run::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 3) + 1));
            i += 1;
        } else if b & 0x40 != 0 {
            let Some(&low) = data.get(i + 1) else {
                return (runs, Some(b));
            };
            runs.push(Run::XZero((usize::from(b & 0x3f) << 8 | usize::from(low)) + 1));
            i += 2;
        } else {
            runs.push(Run::Zero(usize::from(b) + 1));
            i += 1;
        }
    }
    (runs, None)
}

/// The run a half XZERO byte stands for.
fn half_run(b: u8) -> Run {
    Run::XZero((usize::from(b & 0x3f) << 8) + 1)
}

impl Hll {
    /// What PFADD and PFMERGE create: sparse, one XZERO run, cardinality 0
    /// cached.
    pub fn empty() -> Hll {
        let mut header = [0u8; 16];
        header[..4].copy_from_slice(b"HYLL");
        header[4] = 1;
        Hll { header, body: Body::Sparse(vec![Run::XZero(M)], None) }
    }

    /// Reads a string that passes Redis's header checks, or None.
    pub fn decode(bytes: &[u8]) -> Option<Hll> {
        if bytes.len() < 16 || &bytes[..4] != b"HYLL" || bytes[4] > 1 {
            return None;
        }
        let mut header = [0u8; 16];
        header.copy_from_slice(&bytes[..16]);
        if bytes[4] == 0 {
            if bytes.len() != DENSE_LEN {
                return None;
            }
            let data = &bytes[16..];
            let registers = (0..M)
                .map(|r| {
                    let mut v = 0u8;
                    for k in 0..6 {
                        let bit = r * 6 + k;
                        v |= ((data[bit / 8] >> (bit % 8)) & 1) << k;
                    }
                    v
                })
                .collect();
            return Some(Hll { header, body: Body::Dense(registers) });
        }
        let (runs, half) = parse_runs(&bytes[16..]);
        Some(Hll { header, body: Body::Sparse(runs, half) })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.header.to_vec();
        match &self.body {
            Body::Dense(registers) => {
                let mut data = vec![0u8; M * 6 / 8];
                for (r, &v) in registers.iter().enumerate() {
                    for k in 0..6 {
                        if (v >> k) & 1 == 1 {
                            let bit = r * 6 + k;
                            data[bit / 8] |= 1 << (bit % 8);
                        }
                    }
                }
                out.extend(data);
            }
            Body::Sparse(runs, half) => {
                for run in runs {
                    out.extend(run.bytes());
                }
                out.extend(half.iter());
            }
        }
        out
    }

    pub fn is_sparse(&self) -> bool {
        matches!(self.body, Body::Sparse(..))
    }

    /// The cached cardinality, when it is not stale.
    pub fn cached(&self) -> Option<u64> {
        let mut card = 0u64;
        for (k, &b) in self.header[8..16].iter().enumerate() {
            card |= u64::from(b) << (8 * k);
        }
        (self.header[15] & 0x80 == 0).then_some(card)
    }

    pub fn set_cached(&mut self, card: u64) {
        for k in 0..8 {
            self.header[8 + k] = (card >> (8 * k)) as u8;
        }
    }

    pub fn mark_stale(&mut self) {
        self.header[15] |= 0x80;
    }

    /// The sparse runs as the readers see them (the half byte included).
    fn all_runs(runs: &[Run], half: Option<u8>) -> Vec<Run> {
        runs.iter().copied().chain(half.map(half_run)).collect()
    }

    /// Every register value, for a sparse HyperLogLog whose runs cover
    /// exactly the 16384 registers (no value run may pass the end).
    pub fn registers(&self) -> Result<Vec<u8>, Corrupt> {
        match &self.body {
            Body::Dense(registers) => Ok(registers.clone()),
            Body::Sparse(runs, half) => {
                let mut registers = Vec::with_capacity(M);
                for run in Hll::all_runs(runs, *half) {
                    match run {
                        Run::Val(v, n) if registers.len() + n <= M => registers.extend(std::iter::repeat_n(v, n)),
                        Run::Val(..) => return Err(Corrupt),
                        Run::Zero(n) | Run::XZero(n) => registers.extend(std::iter::repeat_n(0, n)),
                    }
                }
                if registers.len() == M {
                    Ok(registers)
                } else {
                    Err(Corrupt)
                }
            }
        }
    }

    /// Converts to dense (keeping the header, cache included).
    pub fn make_dense(&mut self) -> Result<(), Corrupt> {
        if self.is_sparse() {
            let registers = self.registers()?;
            self.header[4] = 0;
            self.body = Body::Dense(registers);
        }
        Ok(())
    }

    /// The number of registers holding each value, for PFCOUNT of one key:
    /// there a sparse string only needs its runs to add up to 16384.
    pub fn histogram(&self) -> Result<[u64; 64], Corrupt> {
        let mut h = [0u64; 64];
        match &self.body {
            Body::Dense(registers) => {
                for &r in registers {
                    h[usize::from(r)] += 1;
                }
            }
            Body::Sparse(runs, half) => {
                let all = Hll::all_runs(runs, *half);
                for run in &all {
                    let v = if let Run::Val(v, _) = run { usize::from(*v) } else { 0 };
                    h[v] += run.len() as u64;
                }
                if all.iter().map(|r| r.len()).sum::<usize>() != M {
                    return Err(Corrupt);
                }
            }
        }
        Ok(h)
    }

    /// Raises register `index` to `value`; true when it changed. A sparse
    /// HyperLogLog becomes dense when the value is above 32 or the string
    /// would grow past `max_len` bytes.
    pub fn raise(&mut self, index: usize, value: u8, max_len: usize) -> Result<bool, Corrupt> {
        let (runs, half) = match &mut self.body {
            Body::Dense(registers) => {
                let changed = registers[index] < value;
                registers[index] = registers[index].max(value);
                return Ok(changed);
            }
            Body::Sparse(runs, half) => (runs, half),
        };
        if value > 32 {
            return self.raise_dense(index, value);
        }
        let encoded_len = 16 + runs.iter().map(|r| r.size()).sum::<usize>() + half.map_or(0, |_| 1);
        // Find the run holding the register.
        let all = Hll::all_runs(runs, *half);
        let mut first = 0;
        let mut found = None;
        for (k, run) in all.iter().enumerate() {
            if index < first + run.len() {
                found = Some((k, *run));
                break;
            }
            first += run.len();
        }
        let Some((k, run)) = found else {
            return Err(Corrupt);
        };
        let last = first + run.len() - 1;
        let replacement: Vec<Run> = match run {
            Run::Val(v, _) if v >= value => return Ok(false),
            Run::Val(_, 1) | Run::Zero(1) => vec![Run::Val(value, 1)],
            _ => {
                let piece = |n: usize| match run {
                    Run::Val(v, _) => Run::Val(v, n),
                    _ if n > 64 => Run::XZero(n),
                    _ => Run::Zero(n),
                };
                let mut seq = Vec::new();
                if index > first {
                    seq.push(piece(index - first));
                }
                seq.push(Run::Val(value, 1));
                if index < last {
                    seq.push(piece(last - index));
                }
                let grow = seq.iter().map(|r| r.size()).sum::<usize>() as i64 - run.size() as i64;
                if grow > 0 && encoded_len as i64 + grow > max_len as i64 {
                    return self.raise_dense(index, value);
                }
                seq
            }
        };
        if k == runs.len() {
            // The run was the cut-off tail: Redis writes the new runs where it
            // was, but the string only grows by their size minus the two bytes
            // of an XZERO, so their last byte is lost.
            let mut bytes: Vec<u8> = replacement.iter().flat_map(|r| r.bytes()).collect();
            bytes.pop();
            let (more, more_half) = parse_runs(&bytes);
            runs.extend(more);
            *half = more_half;
        } else {
            runs.splice(k..=k, replacement);
        }
        merge_runs(runs, k.saturating_sub(1));
        self.mark_stale();
        Ok(true)
    }

    fn raise_dense(&mut self, index: usize, value: u8) -> Result<bool, Corrupt> {
        self.make_dense()?;
        self.raise(index, value, 0)
    }
}

/// Redis's clean-up after an update: starting at the run before the change
/// (or the first run), look at up to five positions; two neighbouring value
/// runs with the same value are joined when their lengths add up to at most
/// 4 (and the joined run is tried again with its next neighbour).
fn merge_runs(runs: &mut Vec<Run>, start: usize) {
    let mut k = start;
    let mut steps = 0;
    while k < runs.len() && steps < 5 {
        steps += 1;
        if let (Run::Val(v, n), Some(&Run::Val(w, o))) = (runs[k], runs.get(k + 1)) {
            if v == w && n + o <= 4 {
                runs[k] = Run::Val(v, n + o);
                runs.remove(k + 1);
                continue;
            }
        }
        k += 1;
    }
}

/// MurmurHash64A, the 64-bit MurmurHash2, reading eight bytes at a time
/// little-endian.
pub fn murmur64a(key: &[u8], seed: u32) -> u64 {
    let m: u64 = 0xc6a4a7935bd1e995;
    let mut h: u64 = u64::from(seed) ^ (key.len() as u64).wrapping_mul(m);
    let whole = key.len() / 8 * 8;
    let mut i = 0;
    while i < whole {
        let mut k = 0u64;
        for j in (0..8).rev() {
            k = (k << 8) | u64::from(key[i + j]);
        }
        k = k.wrapping_mul(m);
        k ^= k >> 47;
        k = k.wrapping_mul(m);
        h ^= k;
        h = h.wrapping_mul(m);
        i += 8;
    }
    let rest = &key[whole..];
    if !rest.is_empty() {
        for (j, &b) in rest.iter().enumerate().rev() {
            h ^= u64::from(b) << (8 * j);
        }
        h = h.wrapping_mul(m);
    }
    h ^= h >> 47;
    h = h.wrapping_mul(m);
    h ^= h >> 47;
    h
}

/// The register an element goes to (the low 14 bits of its hash) and the
/// value it offers: 1 + the number of zero bits above them before the first
/// one, at most 51.
pub fn register_for(element: &[u8]) -> (usize, u8) {
    let h = murmur64a(element, 0xadc83b19);
    let index = (h % M as u64) as usize;
    let mut value = 1;
    let mut rest = h >> 14;
    while value <= 50 && rest & 1 == 0 {
        value += 1;
        rest >>= 1;
    }
    (index, value)
}

/// The estimate Redis 7.0 gives for a register histogram (Ertl's improved
/// estimator, with Redis's order of floating-point operations).
pub fn estimate(h: &[u64; 64]) -> u64 {
    let m = M as f64;
    let mut z = m * tau((m - h[51] as f64) / m);
    for j in (1..=50).rev() {
        z = (z + h[j] as f64) * 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (0.721_347_520_444_481_7 * m * m / z).round() as u64
}

fn sigma(x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut x, mut y, mut z) = (x, 1.0, x);
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if z == previous {
            return z;
        }
    }
}

fn tau(x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut x, mut y, mut z) = (x, 1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == previous {
            return z / 3.0;
        }
    }
}
