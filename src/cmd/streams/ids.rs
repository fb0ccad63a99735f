//! Stream ID arguments (Redis's streamGenericParseIDOrReply and its wrappers).

use crate::engine::stream::StreamId;
use crate::resp::Frame;

pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// How an ID argument may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdParse {
    /// `-` and `+` allowed (XRANGE bounds, XGROUP SETID).
    Loose,
    /// `-` and `+` rejected.
    Strict,
}

/// Parses `ms[-seq]`; a missing sequence becomes `missing_seq`.
pub fn parse_id(arg: &[u8], missing_seq: u64, how: IdParse) -> Result<StreamId, Frame> {
    match parse_full(arg, missing_seq, how, false) {
        Some((id, _)) => Ok(id),
        None => Err(Frame::error(INVALID_ID)),
    }
}

/// XADD's form: also `ms-*`; returns the ID and whether the sequence was given.
pub fn parse_add_id(arg: &[u8]) -> Result<(StreamId, bool), Frame> {
    parse_full(arg, 0, IdParse::Strict, true).ok_or_else(|| Frame::error(INVALID_ID))
}

fn parse_full(arg: &[u8], missing_seq: u64, how: IdParse, allow_star: bool) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    // Redis copies the argument into a C string: anything after a NUL byte is ignored.
    let buf = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    if how == IdParse::Strict && (buf == b"-" || buf == b"+") {
        return None;
    }
    if buf == b"-" {
        return Some((StreamId::MIN, true));
    }
    if buf == b"+" {
        return Some((StreamId::MAX, true));
    }
    match buf.iter().position(|&b| b == b'-') {
        None => Some((StreamId::new(string2ull(buf)?, missing_seq), true)),
        Some(dash) => {
            let ms = string2ull(&buf[..dash])?;
            let rest = &buf[dash + 1..];
            if allow_star && rest == b"*" {
                return Some((StreamId::new(ms, 0), false));
            }
            Some((StreamId::new(ms, string2ull(rest)?), true))
        }
    }
}

/// Redis's string2ull: a canonical integer that is not negative, or else what strtoull accepts
/// (leading spaces, a sign, leading zeros; a negative number wraps), without overflow.
pub fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::resp::parse::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// A range bound (streamParseIntervalIDOrReply): `(` makes it exclusive, then strict parsing.
/// Returns the ID and whether it was exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Frame> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_id(&arg[1..], missing_seq, IdParse::Strict)?, true))
    } else {
        Ok((parse_id(arg, missing_seq, IdParse::Loose)?, false))
    }
}

/// Start and end bounds of a range, with the exclusive forms applied.
pub fn parse_range(start: &[u8], end: &[u8]) -> Result<(StreamId, StreamId), Frame> {
    let (mut s, s_ex) = parse_interval(start, 0)?;
    if s_ex {
        s = s.next().ok_or_else(|| Frame::error("ERR invalid start ID for the interval"))?;
    }
    let (mut e, e_ex) = parse_interval(end, u64::MAX)?;
    if e_ex {
        e = e.prev().ok_or_else(|| Frame::error("ERR invalid end ID for the interval"))?;
    }
    Ok((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis() {
        let p = |s: &str| parse_id(s.as_bytes(), 0, IdParse::Strict).ok();
        assert_eq!(p("5"), Some(StreamId::new(5, 0)));
        assert_eq!(p("5-3"), Some(StreamId::new(5, 3)));
        assert_eq!(p(" 5"), Some(StreamId::new(5, 0)));
        assert_eq!(p("-0"), None);
        assert_eq!(p("+5"), Some(StreamId::new(5, 0)));
        assert_eq!(p("-1"), None);
        assert_eq!(p("-"), None);
        assert_eq!(p("5-"), None);
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(parse_add_id(b"5-*"), Ok((StreamId::new(5, 0), false)));
    }
}
