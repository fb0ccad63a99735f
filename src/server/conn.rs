//! One client connection: its socket, query buffer, request parser and output buffer.

use crate::resp::RequestParser;
use mio::net::TcpStream;
use std::io::{self, Read, Write};

/// Bytes read per read call (Redis's PROTO_IOBUF_LEN is 16 KiB; a larger scratch buffer means
/// fewer system calls for pipelines).
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

pub struct Conn {
    pub stream: TcpStream,
    pub client_id: u64,
    pub parser: RequestParser,
    /// Bytes received and not yet parsed start at `query_pos`.
    pub query: Vec<u8>,
    pub query_pos: usize,
    /// Encoded replies not yet written start at `out_pos`.
    pub out: Vec<u8>,
    pub out_pos: usize,
    /// Stop reading; close once `out` is written.
    pub closing: bool,
    /// The peer closed or the socket failed: close now.
    pub dead: bool,
}

pub enum ReadOutcome {
    /// Some bytes were read (possibly zero) and the socket would block now.
    Open,
    /// The peer closed the connection or an error occurred.
    Closed,
}

impl Conn {
    pub fn new(stream: TcpStream, client_id: u64) -> Conn {
        Conn {
            stream,
            client_id,
            parser: RequestParser::new(),
            query: Vec::new(),
            query_pos: 0,
            out: Vec::new(),
            out_pos: 0,
            closing: false,
            dead: false,
        }
    }

    /// Unparsed bytes in the query buffer.
    pub fn pending_query(&self) -> &[u8] {
        &self.query[self.query_pos..]
    }

    /// Reads until the socket would block (mio is edge-triggered), at most `max_bytes` in all.
    /// Bytes go through `scratch` (reused across reads) so the query buffer grows only by what
    /// arrived, without zero-filling a chunk for every read.
    pub fn read_available(&mut self, max_bytes: usize, scratch: &mut [u8]) -> (ReadOutcome, usize) {
        self.compact_query();
        let mut total = 0;
        while total < max_bytes {
            match self.stream.read(scratch) {
                Ok(0) => return (ReadOutcome::Closed, total),
                Ok(n) => {
                    self.query.extend_from_slice(&scratch[..n]);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return (ReadOutcome::Closed, total),
            }
        }
        (ReadOutcome::Open, total)
    }

    /// Drops the parsed prefix of the query buffer: free when everything was parsed, a move of
    /// the unparsed tail otherwise.
    fn compact_query(&mut self) {
        if self.query_pos == self.query.len() {
            self.query.clear();
            self.query_pos = 0;
        } else if self.query_pos > 0 {
            self.query.drain(..self.query_pos);
            self.query_pos = 0;
        }
    }

    /// Writes as much of the output buffer as the socket takes; returns bytes written, or an
    /// error when the socket failed.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut written = 0;
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => {
                    self.out_pos += n;
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        Ok(written)
    }

    pub fn has_pending_output(&self) -> bool {
        self.out_pos < self.out.len()
    }

    pub fn pending_output_bytes(&self) -> usize {
        self.out.len() - self.out_pos
    }
}
