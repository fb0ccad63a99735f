//! One client connection: its socket, query buffer, request parser and output buffer.

use crate::resp::RequestParser;
use mio::net::TcpStream;
use std::io::{self, Read, Write};

/// Bytes read per read call (Redis's PROTO_IOBUF_LEN is 16 KiB; a larger scratch buffer means
/// fewer system calls for pipelines).
pub const READ_CHUNK_BYTES: usize = 64 * 1024;
/// The query buffer a reading client gets (Redis's PROTO_IOBUF_LEN).
pub const QUERY_BUF_BYTES: usize = 16 * 1024;
/// Above this size an unused query buffer is shrunk (Redis's PROTO_RESIZE_THRESHOLD).
pub const QUERY_RESIZE_THRESHOLD_BYTES: usize = 32 * 1024;

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
    /// Largest query buffer length since the last resize check (Redis's querybuf_peak).
    pub query_peak: usize,
    /// Stop reading; close once `out` is written.
    pub closing: bool,
    /// The peer closed or the socket failed: close now.
    pub dead: bool,
    /// When (Unix seconds) the output buffer last went over the soft limit and stayed over it
    /// (Redis's obuf_soft_limit_reached_time); None while under it.
    pub obuf_soft_since_s: Option<u64>,
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
            query_peak: 0,
            out: Vec::new(),
            out_pos: 0,
            closing: false,
            dead: false,
            obuf_soft_since_s: None,
        }
    }

    /// Unparsed bytes in the query buffer.
    pub fn pending_query(&self) -> &[u8] {
        &self.query[self.query_pos..]
    }

    /// Reads what the socket holds, at most `max_bytes` in all. Bytes go through `scratch`
    /// (reused across reads) so the query buffer grows only by what arrived, without
    /// zero-filling a chunk for every read.
    ///
    /// mio is edge-triggered, so the socket must be drained before waiting again. A read that
    /// returns less than asked for already shows it is drained (epoll(7) on stream sockets): new
    /// data will raise a new edge. So reading stops there, instead of paying one more read
    /// system call per event just to see it fail with WouldBlock (at pipeline depth 1 that was
    /// a third of the server's system calls). When the peer has closed (`peer_closed`), no
    /// further edge will come, so reading goes on until the end of the stream is seen.
    pub fn read_available(&mut self, max_bytes: usize, scratch: &mut [u8], peer_closed: bool) -> (ReadOutcome, usize) {
        self.compact_query();
        // Like Redis, a client that sends anything gets a PROTO_IOBUF_LEN query buffer.
        if self.query.capacity() < QUERY_BUF_BYTES {
            self.query.reserve(QUERY_BUF_BYTES - self.query.len());
        }
        let mut total = 0;
        while total < max_bytes {
            match self.stream.read(scratch) {
                Ok(0) => return (ReadOutcome::Closed, total),
                Ok(n) => {
                    self.query.extend_from_slice(&scratch[..n]);
                    total += n;
                    if n < scratch.len() && !peer_closed {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return (ReadOutcome::Closed, total),
            }
        }
        self.query_peak = self.query_peak.max(self.query.len());
        (ReadOutcome::Open, total)
    }

    /// Redis's clientsCronResizeQueryBuffer: an idle client's empty buffer is freed, and a buffer
    /// much larger than its recent peak shrinks. Returns true when it changed the buffer.
    pub fn resize_query_buffer(&mut self, idle_ms: u64) -> bool {
        let size = self.query.capacity();
        let mut changed = false;
        if idle_ms > 2000 && self.pending_query().is_empty() {
            self.query = Vec::new();
            self.query_pos = 0;
            changed = size > 0;
        } else if size > QUERY_RESIZE_THRESHOLD_BYTES && size / 2 > self.query_peak {
            self.compact_query();
            self.query.shrink_to(self.query_peak.max(self.query.len()));
            changed = true;
        }
        self.query_peak = self.query.len() - self.query_pos;
        changed
    }

    /// Bytes allocated for the query buffer and not used (CLIENT LIST's qbuf-free).
    pub fn query_free(&self) -> usize {
        self.query.capacity() - self.pending_query().len()
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
