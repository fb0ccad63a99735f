//! A minimal blocking RESP client for talking to the server under test.

use crate::resp::{decode, Frame};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The longest reply accepted from the target (a guard against a runaway server).
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

pub struct Remote {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Remote {
    pub fn connect(addr: SocketAddr) -> io::Result<Remote> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Remote { stream, buf: Vec::new() })
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> io::Result<Frame> {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&out)?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> io::Result<Frame> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match decode(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(frame);
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.0)),
            }
            if self.buf.len() > MAX_REPLY_BYTES {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "reply too large"));
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the target closed the connection"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
