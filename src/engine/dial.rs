//! Outgoing connections for MIGRATE. The engine does no I/O of its own: the server gives it a
//! `Dialer` (TCP in verdis-server, anything in tests); without one, MIGRATE cannot connect.
//! As in Redis, MIGRATE talks to the target synchronously, with the command's timeout on every
//! connect, write and read, and keeps the connection for reuse by later MIGRATEs.

use std::collections::BTreeMap;
use std::io;

/// A connection to another server.
pub trait Link: Send {
    /// Writes all of `bytes`, each write waiting at most `timeout_ms`.
    fn write_all(&mut self, bytes: &[u8], timeout_ms: u64) -> io::Result<()>;
    /// Reads one reply line (without its CRLF), waiting at most `timeout_ms` for each read.
    fn read_line(&mut self, timeout_ms: u64) -> io::Result<Vec<u8>>;
}

/// Opens connections.
pub trait Dialer: Send {
    fn connect(&mut self, host: &str, port: u16, timeout_ms: u64) -> io::Result<Box<dyn Link>>;
}

/// How many target connections are kept (Redis's MIGRATE_SOCKET_CACHE_ITEMS).
pub const CACHE_ITEMS: usize = 64;
/// A kept connection unused this long is closed by the cron (MIGRATE_SOCKET_CACHE_TTL).
pub const CACHE_TTL_MS: u64 = 10_000;

/// A kept connection: the database it has selected (-1: unknown) and when it was last used.
pub struct CachedLink {
    pub link: Box<dyn Link>,
    pub last_db: i64,
    pub last_use_ms: u64,
}

/// The dialer and the kept connections, by `host:port`.
#[derive(Default)]
pub struct Dialing {
    pub dialer: Option<Box<dyn Dialer>>,
    pub cache: BTreeMap<String, CachedLink>,
}

impl Dialing {
    /// Closes connections idle longer than the TTL (migrateCloseTimedoutSockets).
    pub fn close_idle(&mut self, now_ms: u64) {
        self.cache.retain(|_, c| now_ms.saturating_sub(c.last_use_ms) <= CACHE_TTL_MS);
    }
}

/// A `Dialer` over TCP, for verdis-server.
pub struct TcpDialer;

struct TcpLink {
    stream: std::net::TcpStream,
    /// Bytes read past the last line.
    pending: Vec<u8>,
}

/// The longest reply line MIGRATE reads (Redis reads into a 1 KiB buffer).
const MAX_LINE_BYTES: usize = 1024;

impl Dialer for TcpDialer {
    fn connect(&mut self, host: &str, port: u16, timeout_ms: u64) -> io::Result<Box<dyn Link>> {
        use std::net::ToSocketAddrs;
        let timeout = std::time::Duration::from_millis(timeout_ms.max(1));
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in (host, port).to_socket_addrs()? {
            match std::net::TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(Box::new(TcpLink { stream, pending: Vec::new() }));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

impl Link for TcpLink {
    fn write_all(&mut self, bytes: &[u8], timeout_ms: u64) -> io::Result<()> {
        use std::io::Write;
        self.stream.set_write_timeout(Some(std::time::Duration::from_millis(timeout_ms.max(1))))?;
        self.stream.write_all(bytes)
    }

    fn read_line(&mut self, timeout_ms: u64) -> io::Result<Vec<u8>> {
        use std::io::Read;
        self.stream.set_read_timeout(Some(std::time::Duration::from_millis(timeout_ms.max(1))))?;
        // Each read adds at least one byte or fails, and the line is bounded, so this ends.
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.pending.len() > MAX_LINE_BYTES {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "reply line too long"));
            }
            let mut buf = [0u8; 512];
            let n = self.stream.read(&mut buf)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.pending.extend_from_slice(&buf[..n]);
        }
    }
}
