//! The request parser: turns a client's query buffer into commands (argument vectors), one at a
//! time, the way Redis's processMultibulkBuffer and processInlineBuffer do, with the same limits
//! and the same `Protocol error` texts. It keeps its state between calls, so a command that
//! arrives in pieces is parsed once, not again from the start at every read.

use super::split::split_args;

/// The longest inline command, or count line, Redis reads before it gives up (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_BYTES: usize = 64 * 1024;

/// Limits that come from the configuration and the client's authentication state.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_bytes: u64,
    /// An unauthenticated client may send at most 10 arguments of at most 16384 bytes each.
    pub authenticated: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits { max_bulk_bytes: 512 * 1024 * 1024, authenticated: true }
    }
}

/// A protocol error: the client gets `-ERR Protocol error: <reason>` and is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoError {
    /// The reply text, without the leading `-`.
    pub reply: String,
}

impl ProtoError {
    fn new(reason: impl AsRef<str>) -> ProtoError {
        ProtoError { reply: format!("ERR Protocol error: {}", reason.as_ref()) }
    }
}

/// Incremental request parser state for one client.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Arguments still to read in the current multibulk request (0: between requests).
    remaining: usize,
    /// Length of the bulk being read, once its `$` line has been read.
    bulk_len: Option<usize>,
    /// Arguments read so far.
    argv: Vec<Vec<u8>>,
    /// Argument buffers of finished commands handed back by `recycle`, reused for the next
    /// commands' arguments so that a steady stream of commands does not allocate per argument.
    spare: Vec<Vec<u8>>,
}

/// At most this many spare argument buffers are kept per client, each of at most
/// `SPARE_MAX_BYTES`, so an idle client holds little memory however large its past commands.
const SPARE_MAX_COUNT: usize = 32;
const SPARE_MAX_BYTES: usize = 1024;

fn find(haystack: &[u8], byte: u8) -> Option<usize> {
    haystack.iter().position(|&b| b == byte)
}

/// Redis's string2ll: an optional '-', no leading zeros, no '+', no spaces, fits in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || digits[0] == b'0' || !digits.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        v = v * 10 + (d - b'0') as i128;
        if v > i64::MAX as i128 + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// A count or length from a `*` or `$` line: the common short, plain decimal form is read
/// directly; anything else (signs, leading zeros, huge values) goes through `parse_i64`, which
/// decides as Redis's string2ll does.
fn parse_count(s: &[u8]) -> Option<i64> {
    let plain = !s.is_empty() && s.len() <= 18 && (s[0] != b'0' || s.len() == 1) && s.iter().all(u8::is_ascii_digit);
    if !plain {
        return parse_i64(s);
    }
    // At most 18 digits: the value fits in an i64.
    Some(s.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0')))
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes back the arguments of a command that has run, keeping their buffers for reuse.
    pub fn recycle(&mut self, mut argv: Vec<Vec<u8>>) {
        for mut arg in argv.drain(..) {
            if self.spare.len() >= SPARE_MAX_COUNT {
                break;
            }
            if arg.capacity() <= SPARE_MAX_BYTES {
                arg.clear();
                self.spare.push(arg);
            }
        }
        if self.argv.capacity() == 0 && argv.capacity() <= SPARE_MAX_COUNT {
            self.argv = argv;
        }
    }

    /// True when a multibulk request has been started but not finished.
    pub fn in_request(&self) -> bool {
        self.remaining > 0
    }

    /// Parses at most one command from `buf`. Returns the number of bytes consumed and, when a
    /// command is complete, its arguments (an empty vector for an empty request, which Redis
    /// skips). `Ok((0, None))` means more bytes are needed.
    pub fn parse(&mut self, buf: &[u8], limits: ParseLimits) -> Result<(usize, Option<Vec<Vec<u8>>>), ProtoError> {
        if buf.is_empty() {
            return Ok((0, None));
        }
        if self.remaining == 0 && buf[0] != b'*' {
            return self.parse_inline(buf);
        }
        self.parse_multibulk(buf, limits)
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<(usize, Option<Vec<Vec<u8>>>), ProtoError> {
        let Some(newline) = find(buf, b'\n') else {
            if buf.len() > INLINE_MAX_BYTES {
                return Err(ProtoError::new("too big inline request"));
            }
            return Ok((0, None));
        };
        let mut line_end = newline;
        if line_end > 0 && buf[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let args = split_args(&buf[..line_end]).ok_or_else(|| ProtoError::new("unbalanced quotes in request"))?;
        Ok((newline + 1, Some(args)))
    }

    fn parse_multibulk(
        &mut self,
        buf: &[u8],
        limits: ParseLimits,
    ) -> Result<(usize, Option<Vec<Vec<u8>>>), ProtoError> {
        let mut pos = 0;
        if self.remaining == 0 {
            let Some(cr) = find(buf, b'\r') else {
                if buf.len() > INLINE_MAX_BYTES {
                    return Err(ProtoError::new("too big mbulk count string"));
                }
                return Ok((0, None));
            };
            if cr + 1 >= buf.len() {
                return Ok((0, None)); // the '\n' has not arrived yet
            }
            let count = parse_count(&buf[1..cr]);
            let count = match count {
                Some(n) if n <= i32::MAX as i64 => n,
                _ => return Err(ProtoError::new("invalid multibulk length")),
            };
            if count > 10 && !limits.authenticated {
                return Err(ProtoError::new("unauthenticated multibulk length"));
            }
            pos = cr + 2;
            if count <= 0 {
                return Ok((pos, Some(Vec::new())));
            }
            self.remaining = count as usize;
            self.argv.clear();
            self.argv.reserve(self.remaining.min(1024));
        }
        // A limit on this loop: one iteration per argument still expected.
        while self.remaining > 0 {
            let rest = &buf[pos..];
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find(rest, b'\r') else {
                        if rest.len() > INLINE_MAX_BYTES {
                            return Err(ProtoError::new("too big bulk count string"));
                        }
                        break;
                    };
                    if cr + 1 >= rest.len() {
                        break;
                    }
                    if rest[0] != b'$' {
                        return Err(ProtoError::new(format!("expected '$', got '{}'", rest[0] as char)));
                    }
                    let len = match parse_count(&rest[1..cr]) {
                        Some(n) if n >= 0 && (n as u64) <= limits.max_bulk_bytes => n as usize,
                        _ => return Err(ProtoError::new("invalid bulk length")),
                    };
                    if len > 16384 && !limits.authenticated {
                        return Err(ProtoError::new("unauthenticated bulk length"));
                    }
                    pos += cr + 2;
                    self.bulk_len = Some(len);
                    len
                }
            };
            let rest = &buf[pos..];
            if rest.len() < len + 2 {
                break;
            }
            // As Redis, the two bytes after the bulk are skipped without being checked.
            let arg = match self.spare.pop() {
                Some(mut buf) => {
                    buf.extend_from_slice(&rest[..len]);
                    buf
                }
                None => rest[..len].to_vec(),
            };
            self.argv.push(arg);
            pos += len + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        if self.remaining == 0 {
            Ok((pos, Some(std::mem::take(&mut self.argv))))
        } else {
            Ok((pos, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &[u8]) -> Result<(usize, Option<Vec<Vec<u8>>>), ProtoError> {
        RequestParser::new().parse(input, ParseLimits::default())
    }

    #[test]
    fn multibulk_whole_and_in_pieces() {
        let req = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(one(req).unwrap(), (req.len(), Some(vec![b"GET".to_vec(), b"k".to_vec()])));
        let mut p = RequestParser::new();
        let mut consumed = 0;
        let mut got = None;
        for end in 1..=req.len() {
            let (n, cmd) = p.parse(&req[consumed..end], ParseLimits::default()).unwrap();
            consumed += n;
            if cmd.is_some() {
                got = cmd;
            }
        }
        assert_eq!(consumed, req.len());
        assert_eq!(got, Some(vec![b"GET".to_vec(), b"k".to_vec()]));
    }

    #[test]
    fn recycled_buffers_give_the_same_arguments() {
        let mut p = RequestParser::new();
        let first = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let (_, argv) = p.parse(first, ParseLimits::default()).unwrap();
        p.recycle(argv.unwrap());
        let second = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (n, argv) = p.parse(second, ParseLimits::default()).unwrap();
        assert_eq!((n, argv), (second.len(), Some(vec![b"GET".to_vec(), b"k".to_vec()])));
    }

    #[test]
    fn errors() {
        assert_eq!(one(b"*x\r\n").unwrap_err().reply, "ERR Protocol error: invalid multibulk length");
        assert_eq!(one(b"*1\r\n+x\r\n").unwrap_err().reply, "ERR Protocol error: expected '$', got '+'");
        assert_eq!(one(b"*1\r\n$-1\r\n").unwrap_err().reply, "ERR Protocol error: invalid bulk length");
        assert_eq!(one(b"*1\r\n$536870913\r\n").unwrap_err().reply, "ERR Protocol error: invalid bulk length");
        assert_eq!(one(b"\"a\r\n").unwrap_err().reply, "ERR Protocol error: unbalanced quotes in request");
    }

    #[test]
    fn inline_and_empty() {
        assert_eq!(one(b"PING\r\n").unwrap(), (6, Some(vec![b"PING".to_vec()])));
        assert_eq!(one(b"\r\n").unwrap(), (2, Some(vec![])));
        assert_eq!(one(b"*0\r\n").unwrap(), (4, Some(vec![])));
        assert_eq!(one(b"*-1\r\n").unwrap(), (5, Some(vec![])));
    }

    #[test]
    fn counts_read_as_string2ll_would() {
        for s in ["0", "7", "10", "123456789012345678", "1234567890123456789", "01", "-1", "+1", "", "1a", "-0"] {
            assert_eq!(parse_count(s.as_bytes()), parse_i64(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn string2ll() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
    }
}
