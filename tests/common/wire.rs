//! A raw RESP client: sends bytes, reads back exactly one reply's bytes (RESP2 or RESP3).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Wire {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Wire {
    pub fn connect(addr: SocketAddr) -> Wire {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let writer = stream.try_clone().expect("clone");
        Wire { reader: BufReader::new(stream), writer }
    }

    /// The socket, for tests that check timing (peek with a short read timeout).
    #[allow(dead_code)]
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
    }

    /// Sends one command as a multibulk request.
    pub fn send(&mut self, argv: &[Vec<u8>]) {
        self.send_raw(&encode_command(argv));
    }

    /// Sends a command and reads its reply's raw bytes.
    pub fn call(&mut self, argv: &[Vec<u8>]) -> Vec<u8> {
        self.send(argv);
        self.read_reply().expect("reply")
    }

    /// Reads one complete reply and returns its bytes.
    pub fn read_reply(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_value(&mut out)?;
        Ok(out)
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> io::Result<String> {
        let mut line = Vec::new();
        let n = self.reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        out.extend_from_slice(&line);
        Ok(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string())
    }

    fn read_value(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let line = self.read_line(out)?;
        let (kind, rest) = line.split_at(1.min(line.len()));
        let n: i64 = rest.parse().unwrap_or(0);
        match kind {
            "$" | "=" | "!" if n >= 0 => {
                let mut buf = vec![0u8; n as usize + 2];
                self.reader.read_exact(&mut buf)?;
                out.extend_from_slice(&buf);
            }
            "*" | "~" | ">" if n > 0 => {
                for _ in 0..n {
                    self.read_value(out)?;
                }
            }
            "%" | "|" if n > 0 => {
                for _ in 0..2 * n {
                    self.read_value(out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// True when the server has closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        self.reader.get_ref().set_read_timeout(Some(Duration::from_secs(3))).ok();
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

pub fn encode_command(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Splits a command line as redis-cli does.
pub fn args(line: &str) -> Vec<Vec<u8>> {
    verdis::resp::split::split_args(line.as_bytes()).expect("balanced quotes")
}

/// Shows reply bytes readably: CRLF as `\r\n` line breaks, other control bytes escaped.
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for chunk in bytes.split_inclusive(|&b| b == b'\n') {
        for &b in chunk {
            match b {
                b'\r' => s.push_str("\\r"),
                b'\n' => s.push_str("\\n\n"),
                0x20..=0x7e => s.push(b as char),
                _ => s.push_str(&format!("\\x{b:02x}")),
            }
        }
    }
    s
}

/// A parsed reply, for comparisons that must ignore element order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Line(Vec<u8>),
    Blob(Vec<u8>),
    Agg(u8, Vec<Node>),
}

/// Parses one reply from `bytes`; returns it and the bytes it used.
pub fn parse_node(bytes: &[u8]) -> Option<(Node, usize)> {
    let end = bytes.windows(2).position(|w| w == b"\r\n")?;
    let kind = *bytes.first()?;
    let head = &bytes[..end];
    let n: i64 = std::str::from_utf8(&head[1..]).ok().and_then(|s| s.parse().ok()).unwrap_or(-1);
    let mut pos = end + 2;
    match kind {
        b'$' | b'=' | b'!' if n >= 0 => {
            let n = n as usize;
            let blob = bytes.get(pos..pos + n)?.to_vec();
            Some((Node::Blob([vec![kind], blob].concat()), pos + n + 2))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' if n >= 0 => {
            let count = if kind == b'%' || kind == b'|' { 2 * n } else { n };
            let mut items = Vec::new();
            for _ in 0..count {
                let (item, used) = parse_node(&bytes[pos..])?;
                items.push(item);
                pos += used;
            }
            Some((Node::Agg(kind, items), pos))
        }
        _ => Some((Node::Line(head.to_vec()), pos)),
    }
}

/// Sorts the elements of the top-level aggregate (and of a nested one at `depth` 1, for replies
/// like SCAN's `[cursor, [keys]]`), so replies whose order Redis leaves open compare equal.
pub fn sorted(node: Node) -> Node {
    match node {
        Node::Agg(k, mut items) => {
            for item in items.iter_mut() {
                if let Node::Agg(k2, inner) = item {
                    inner.sort();
                    *item = Node::Agg(*k2, std::mem::take(inner));
                }
            }
            if k != b'%' {
                items.sort();
            }
            Node::Agg(k, items)
        }
        other => other,
    }
}
