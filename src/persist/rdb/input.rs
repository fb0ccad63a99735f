//! Byte sources for the RDB reader: an in-memory slice (DUMP payloads, fuzzing) and a buffered
//! stream (files). Both count the offset, for error messages and loading progress, and give the
//! CRC-64 of everything consumed so far, for the file checksum.
//!
//! Lengths in an RDB file are untrusted: the reader never allocates by a stored length alone.
//! `read_vec` grows its result as bytes actually arrive, so a bogus 4 GiB length in a 100-byte
//! file fails after reading 100 bytes, not after allocating 4 GiB.

use super::{RdbError, Result, CRC64};
use std::io::Read;

/// Read in pieces of at most this size, and grow results by at most this much at a time.
const CHUNK_BYTES: usize = 1 << 16;

pub trait Source {
    /// The next `n` bytes (n is small: at most a few KiB), consumed.
    fn take(&mut self, n: usize) -> Result<&[u8]>;
    /// Bytes consumed so far.
    fn offset(&self) -> u64;
    /// The CRC-64 of the bytes consumed so far.
    fn crc(&mut self) -> u64;

    /// The next `n` bytes as a vector (n may be large and untrusted).
    fn read_vec(&mut self, n: u64) -> Result<Vec<u8>> {
        let first = (n as usize).min(CHUNK_BYTES);
        let mut out = Vec::with_capacity(first);
        let mut left = n;
        while left > 0 {
            let piece = (left as usize).min(CHUNK_BYTES);
            let bytes = self.take(piece)?;
            out.extend_from_slice(bytes);
            left -= piece as u64;
        }
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn eof_error(&self) -> RdbError {
        RdbError::UnexpectedEof { offset: self.offset() }
    }

    fn corrupt(&self, what: impl Into<String>) -> RdbError {
        RdbError::Corrupt { offset: self.offset(), what: what.into() }
    }
}

/// A source over bytes in memory.
pub struct SliceSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceSource<'a> {
    pub fn new(data: &'a [u8]) -> SliceSource<'a> {
        SliceSource { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

impl Source for SliceSource<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.remaining() {
            self.pos = self.data.len();
            return Err(RdbError::UnexpectedEof { offset: self.pos as u64 });
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.data[start..self.pos])
    }

    fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn crc(&mut self) -> u64 {
        CRC64.checksum(&self.data[..self.pos])
    }

    fn read_vec(&mut self, n: u64) -> Result<Vec<u8>> {
        if n > self.remaining() as u64 {
            self.pos = self.data.len();
            return Err(RdbError::UnexpectedEof { offset: self.pos as u64 });
        }
        Ok(self.take(n as usize)?.to_vec())
    }
}

/// A buffered source over a reader (a file). The CRC is brought up to date lazily, over whole
/// buffer spans, which is much cheaper than per read.
pub struct StreamSource<R: Read> {
    reader: R,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// `buf[crc_from..start]` is consumed but not yet in `digest`.
    crc_from: usize,
    /// Bytes consumed before `buf[0]`.
    base: u64,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    eof: bool,
}

impl<R: Read> StreamSource<R> {
    pub fn new(reader: R) -> StreamSource<R> {
        StreamSource {
            reader,
            buf: vec![0; CHUNK_BYTES * 4],
            start: 0,
            end: 0,
            crc_from: 0,
            base: 0,
            digest: CRC64.digest(),
            eof: false,
        }
    }

    /// Makes at least `n` bytes available, or fails at the end of the data.
    fn fill(&mut self, n: usize) -> Result<()> {
        if self.end - self.start >= n {
            return Ok(());
        }
        // Move the unconsumed bytes to the front, folding the consumed ones into the CRC.
        self.digest.update(&self.buf[self.crc_from..self.start]);
        self.buf.copy_within(self.start..self.end, 0);
        self.base += self.start as u64;
        self.end -= self.start;
        self.start = 0;
        self.crc_from = 0;
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        while self.end < n {
            if self.eof {
                return Err(RdbError::UnexpectedEof { offset: self.base + self.end as u64 });
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(RdbError::Io { offset: self.base + self.end as u64, what: e.to_string() }),
            }
        }
        Ok(())
    }
}

impl<R: Read> Source for StreamSource<R> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        self.fill(n)?;
        let s = self.start;
        self.start += n;
        Ok(&self.buf[s..s + n])
    }

    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    fn crc(&mut self) -> u64 {
        self.digest.update(&self.buf[self.crc_from..self.start]);
        self.crc_from = self.start;
        self.digest.clone().finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most 3 bytes per call.
    struct Dribble<'a>(&'a [u8]);

    impl Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(3);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn stream_and_slice_agree() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut a = SliceSource::new(&data);
        let mut b = StreamSource::new(Dribble(&data));
        for n in [1usize, 7, 100, 70_000, 5] {
            assert_eq!(a.take(n).unwrap().to_vec(), b.take(n).unwrap().to_vec());
            assert_eq!(a.crc(), b.crc());
        }
        let big_a = a.read_vec(200_000).unwrap();
        let big_b = b.read_vec(200_000).unwrap();
        assert_eq!(big_a, big_b);
        assert_eq!(a.offset(), b.offset());
        assert_eq!(a.crc(), b.crc());
        assert_eq!(b.crc(), CRC64.checksum(&data[..b.offset() as usize]));
        assert!(matches!(b.read_vec(1 << 40), Err(RdbError::UnexpectedEof { .. })));
        assert!(matches!(a.read_vec(1 << 40), Err(RdbError::UnexpectedEof { .. })));
    }
}
