//! LZF, the compression Redis uses for long strings in RDB files and DUMP payloads (RDB_ENC_LZF).
//!
//! The format (liblzf's) is a sequence of control bytes:
//! - `000LLLLL`: a literal run of `L + 1` bytes (1..=32) follows;
//! - `LLLooooo oooooooo` with `L` in 1..=6: copy `L + 2` bytes from `offset + 1` bytes back, where
//!   the offset is the 13 bits `ooooo oooooooo`;
//! - `111ooooo XXXXXXXX oooooooo`: the same with length `7 + X + 2`.
//!
//! The compressor is verdis's own: a greedy matcher over a hash of the next three bytes, as liblzf
//! does. Its output need not match Redis's byte for byte (only the decoded value matters). The hash
//! table is reused between calls and tagged with a generation number, so compressing a short
//! string costs no table clearing, and the output is still a function of the input alone.

/// Longest back reference, in bytes (liblzf's MAX_REF).
const MAX_MATCH: usize = 264;
/// Farthest back reference (liblzf's MAX_OFF).
const MAX_OFFSET: usize = 1 << 13;
/// Longest literal run (liblzf's MAX_LIT).
const MAX_LITERAL: usize = 32;
/// log2 of the hash table size.
const HASH_BITS: u32 = 14;

/// A reusable LZF compressor.
pub struct Compressor {
    /// For each hash slot: (generation, position + 1) of the last position with that hash.
    table: Vec<(u32, u32)>,
    generation: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

impl Compressor {
    pub fn new() -> Compressor {
        Compressor { table: vec![(0, 0); 1 << HASH_BITS], generation: 0 }
    }

    /// Compresses `input` into `out` (cleared first). Returns false, leaving `out` unspecified,
    /// when the result would be longer than `max_out` bytes (Redis only keeps a compressed string
    /// when it saves at least four bytes).
    pub fn compress(&mut self, input: &[u8], max_out: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        if input.is_empty() || input.len() > u32::MAX as usize - 1 {
            return false;
        }
        self.next_generation();
        let n = input.len();
        // `out[run_at]` is the control byte of the literal run being built, `lit` its length.
        out.push(0);
        let mut run_at = 0usize;
        let mut lit = 0usize;
        let mut ip = 0usize;
        while ip + 2 < n {
            let slot = hash3(&input[ip..ip + 3]);
            let (gen, pos1) = self.table[slot];
            self.table[slot] = (self.generation, ip as u32 + 1);
            if gen == self.generation && pos1 > 0 {
                let candidate = pos1 as usize - 1;
                let offset = ip - candidate - 1;
                if offset < MAX_OFFSET && input[candidate..candidate + 3] == input[ip..ip + 3] {
                    let max_len = (n - ip - 2).min(MAX_MATCH);
                    let mut len = 3;
                    while len < max_len && input[candidate + len] == input[ip + len] {
                        len += 1;
                    }
                    if len >= 3 && len <= max_len {
                        close_run(out, run_at, lit);
                        emit_match(out, offset, len);
                        run_at = out.len();
                        out.push(0);
                        lit = 0;
                        // Index the positions inside the match (the last two, as liblzf's fast
                        // mode does), so repetitions keep being found.
                        let end = ip + len;
                        for p in end.saturating_sub(2).max(ip + 1)..end {
                            if p + 2 < n {
                                self.table[hash3(&input[p..p + 3])] = (self.generation, p as u32 + 1);
                            }
                        }
                        ip = end;
                        if out.len() > max_out {
                            return false;
                        }
                        continue;
                    }
                }
            }
            out.push(input[ip]);
            ip += 1;
            lit += 1;
            if lit == MAX_LITERAL {
                out[run_at] = (lit - 1) as u8;
                run_at = out.len();
                out.push(0);
                lit = 0;
                if out.len() > max_out {
                    return false;
                }
            }
        }
        while ip < n {
            out.push(input[ip]);
            ip += 1;
            lit += 1;
            if lit == MAX_LITERAL {
                out[run_at] = (lit - 1) as u8;
                run_at = out.len();
                out.push(0);
                lit = 0;
            }
        }
        close_run(out, run_at, lit);
        out.len() <= max_out
    }

    fn next_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 calls, forget everything once so old tags cannot match.
            self.table.iter_mut().for_each(|e| *e = (0, 0));
            self.generation = 1;
        }
    }
}

/// Ends the literal run whose control byte is at `run_at`: sets its length, or removes the
/// control byte when the run is empty (it must then be the last byte of `out`).
fn close_run(out: &mut Vec<u8>, run_at: usize, lit: usize) {
    if lit == 0 {
        out.truncate(run_at);
    } else {
        out[run_at] = (lit - 1) as u8;
    }
}

fn emit_match(out: &mut Vec<u8>, offset: usize, len: usize) {
    let stored = len - 2;
    let high = (offset >> 8) as u8;
    if stored < 7 {
        out.push(high + ((stored as u8) << 5));
    } else {
        out.push(high + (7 << 5));
        out.push((stored - 7) as u8);
    }
    out.push(offset as u8);
}

fn hash3(b: &[u8]) -> usize {
    let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

/// Compresses with a fresh compressor (tests and one-off uses).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    Compressor::new().compress(input, max_out, &mut out).then_some(out)
}

/// Why a compressed block is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LzfError {
    /// The block decodes to more bytes than expected, or a run reads past its end.
    Overflow,
    /// A back reference points before the start of the output.
    BadReference,
    /// The block ends before the expected length was produced.
    Short,
}

/// Decompresses `input`, which must decode to exactly `expected_len` bytes.
pub fn decompress(input: &[u8], expected_len: usize, out: &mut Vec<u8>) -> Result<(), LzfError> {
    out.clear();
    out.reserve_exact(expected_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let bytes = input.get(ip..ip + run).ok_or(LzfError::Overflow)?;
            if out.len() + run > expected_len {
                return Err(LzfError::Overflow);
            }
            out.extend_from_slice(bytes);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Overflow)? as usize;
                ip += 1;
            }
            len += 2;
            let low = *input.get(ip).ok_or(LzfError::Overflow)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            if back > out.len() {
                return Err(LzfError::BadReference);
            }
            if out.len() + len > expected_len {
                return Err(LzfError::Overflow);
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping copy: each byte may repeat one just written.
                for i in 0..len {
                    let b = out[start + i];
                    out.push(b);
                }
            }
        }
    }
    if out.len() == expected_len {
        Ok(())
    } else {
        Err(LzfError::Short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip(input: &[u8]) {
        let Some(c) = compress(input, input.len() + input.len() / 16 + 64) else {
            panic!("compression of {} bytes did not fit", input.len());
        };
        let mut out = Vec::new();
        decompress(&c, input.len(), &mut out).expect("decodes");
        assert_eq!(out, input);
        // The reference decoder agrees.
        assert_eq!(lzf::decompress(&c, input.len()).expect("lzf crate decodes"), input);
    }

    #[test]
    fn known_inputs() {
        roundtrip(b"a");
        roundtrip(b"abc");
        roundtrip(&[b'a'; 20000]);
        roundtrip(b"hello hello hello hello hello hello world");
        let mut v = Vec::new();
        for i in 0..5000u32 {
            v.extend_from_slice(format!("key:{i}:").as_bytes());
        }
        roundtrip(&v);
        let c = compress(&[b'a'; 20000], 20000 - 4).expect("compressible");
        assert!(c.len() < 300, "20000 a's compress to {} bytes", c.len());
    }

    #[test]
    fn incompressible_is_refused() {
        let data: Vec<u8> = (0..100u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert!(compress(&data, data.len() - 4).is_none());
    }

    #[test]
    fn decoder_rejects_bad_input() {
        let mut out = Vec::new();
        assert_eq!(decompress(&[0x20, 0x00], 3, &mut out), Err(LzfError::BadReference));
        assert_eq!(decompress(&[0x05, b'a'], 6, &mut out), Err(LzfError::Overflow));
        assert_eq!(decompress(&[0x00, b'a'], 2, &mut out), Err(LzfError::Short));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1, &mut out), Err(LzfError::Overflow));
        assert_eq!(decompress(&[0xe0], 9, &mut out), Err(LzfError::Overflow));
    }

    proptest! {
        #[test]
        fn roundtrips(data in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
            if !data.is_empty() {
                roundtrip(&data);
            }
        }

        #[test]
        fn decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..500) {
            let mut out = Vec::new();
            let ours = decompress(&data, len, &mut out).is_ok();
            if ours {
                prop_assert_eq!(lzf::decompress(&data, len).ok(), Some(out));
            }
        }
    }
}
