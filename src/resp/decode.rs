//! Decoding replies: bytes a server sent back into a `Frame`, for clients of verdis's own (the
//! `verdis diff` oracle reading another server's replies) and for round-trip tests of the
//! encoder. Accepts every RESP2 and RESP3 type; never panics on any input.

use super::Frame;

/// The deepest nesting accepted, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

fn bad(msg: &str) -> DecodeError {
    DecodeError(msg.to_string())
}

/// Decodes one reply from the start of `buf`. `Ok(None)`: more bytes are needed.
/// `Ok(Some((frame, used)))`: a reply of `used` bytes.
pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, DecodeError> {
    decode_at(buf, 0)
}

fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    Some((&buf[..end], end + 2))
}

fn int(bytes: &[u8]) -> Result<i64, DecodeError> {
    std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()).ok_or_else(|| bad("invalid integer"))
}

fn text(bytes: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| bad("invalid UTF-8 in a line reply"))
}

fn decode_at(buf: &[u8], depth: usize) -> Result<Option<(Frame, usize)>, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(bad("nesting too deep"));
    }
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    let Some((head, mut pos)) = line(&buf[1..]) else {
        return Ok(None);
    };
    pos += 1;
    let frame = match kind {
        b'+' => Frame::Simple(text(head)?),
        b'-' => Frame::Error(text(head)?),
        b':' => Frame::Integer(int(head)?),
        b'_' if head.is_empty() => Frame::Null,
        b'#' => match head {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(bad("invalid boolean")),
        },
        b',' => {
            let s = text(head)?;
            let d = match s.as_str() {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                other => other.parse().map_err(|_| bad("invalid double"))?,
            };
            Frame::Double(d)
        }
        b'(' => {
            let s = text(head)?;
            let digits = s.strip_prefix('-').unwrap_or(&s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("invalid big number"));
            }
            Frame::BigNumber(s)
        }
        b'$' | b'=' | b'!' => {
            let n = int(head)?;
            if n == -1 && kind == b'$' {
                return Ok(Some((Frame::Null, pos)));
            }
            let n = usize::try_from(n).map_err(|_| bad("invalid length"))?;
            let Some(end) = pos.checked_add(n).and_then(|e| e.checked_add(2)) else {
                return Err(bad("invalid length"));
            };
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[pos + n..end] != b"\r\n" {
                return Err(bad("missing CRLF after bulk"));
            }
            let body = buf[pos..pos + n].to_vec();
            pos = end;
            match kind {
                b'$' => Frame::Bulk(body),
                b'!' => Frame::Error(text(&body)?),
                _ => {
                    if body.len() < 4 || body[3] != b':' {
                        return Err(bad("invalid verbatim string"));
                    }
                    let format = match &body[..3] {
                        b"txt" => "txt",
                        b"mkd" => "mkd",
                        _ => return Err(bad("unknown verbatim format")),
                    };
                    Frame::Verbatim(format, body[4..].to_vec())
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = int(head)?;
            if n == -1 && kind == b'*' {
                return Ok(Some((Frame::NullArray, pos)));
            }
            let n = usize::try_from(n).map_err(|_| bad("invalid length"))?;
            let count = if kind == b'%' { n.checked_mul(2).ok_or_else(|| bad("invalid length"))? } else { n };
            // Every element takes at least 3 bytes: a count beyond that cannot be satisfied yet.
            if count > buf.len() {
                return Ok(None);
            }
            let mut items = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                match decode_at(&buf[pos..], depth + 1)? {
                    Some((item, used)) => {
                        items.push(item);
                        pos += used;
                    }
                    None => return Ok(None),
                }
            }
            match kind {
                b'*' => Frame::Array(items),
                b'~' => Frame::Set(items),
                b'>' => Frame::Push(items),
                _ => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Frame::Map(pairs)
                }
            }
        }
        _ => return Err(bad("unknown reply type")),
    };
    Ok(Some((frame, pos)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::encode;

    #[test]
    fn round_trips() {
        let frames = vec![
            Frame::Simple("OK".into()),
            Frame::Error("ERR x".into()),
            Frame::Integer(-5),
            Frame::Bulk(b"a\r\nb".to_vec()),
            Frame::Null,
            Frame::Array(vec![Frame::Integer(1), Frame::Array(vec![])]),
            Frame::Map(vec![(Frame::bulk_str("k"), Frame::Double(1.5))]),
            Frame::Set(vec![Frame::Boolean(true)]),
            Frame::BigNumber("-123".into()),
            Frame::Verbatim("txt", b"hello".to_vec()),
            Frame::Push(vec![Frame::bulk_str("message")]),
        ];
        for f in frames {
            let mut bytes = Vec::new();
            encode(&f, 3, &mut bytes);
            let (back, used) = decode(&bytes).unwrap().unwrap();
            assert_eq!(used, bytes.len());
            assert_eq!(back, f);
        }
    }

    #[test]
    fn partial_and_bad() {
        assert_eq!(decode(b"$5\r\nab"), Ok(None));
        assert_eq!(decode(b"*2\r\n:1\r\n"), Ok(None));
        assert!(decode(b"?\r\n").is_err());
        assert!(decode(b"$2\r\nabXX").is_err());
        let deep = "*1\r\n".repeat(100);
        assert!(decode(deep.as_bytes()).is_err());
    }
}
