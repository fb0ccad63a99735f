//! Argument parsing exactly as strict as Redis's.
//!
//! Redis reads integers with a strict decimal grammar (no sign `+`, no
//! leading zeros, no spaces, at most 20 bytes), while option names are
//! compared as C strings, i.e. only up to the first NUL byte.

use crate::reply::Reply;

/// The error for an argument that is not a 64-bit integer.
pub const NOT_INT: &str = "value is not an integer or out of range";

/// The bytes before the first NUL: what a C string comparison sees.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(pos) => &bytes[..pos],
        None => bytes,
    }
}

/// Case-insensitive option match, seen through C-string eyes (an argument
/// `nx\0junk` is the option `NX` for Redis).
pub fn opt_is(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// Redis's strict integer grammar: `0`, or an optional `-` followed by a
/// non-zero digit and more digits, fitting in an i64, shorter than 21 bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let first = *digits.first()?;
    if !(b'1'..=b'9').contains(&first) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // At most 20 digits: an i128 cannot overflow.
    let magnitude = digits.iter().fold(0i128, |acc, d| acc * 10 + i128::from(d - b'0'));
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// An integer argument, or Redis's generic "not an integer" error.
pub fn int_arg(bytes: &[u8]) -> Result<i64, Reply> {
    parse_i64(bytes).ok_or_else(|| Reply::err(NOT_INT))
}

/// An argument read with Redis's `getIntFromObjectOrReply`: an i64 that must
/// also fit in 32 bits. `msg` replaces both error texts when given.
pub fn int32_arg(bytes: &[u8], msg: Option<&str>) -> Result<i64, Reply> {
    let value = match parse_i64(bytes) {
        Some(v) => v,
        None => return Err(Reply::err(msg.unwrap_or(NOT_INT))),
    };
    if value < i64::from(i32::MIN) || value > i64::from(i32::MAX) {
        let text = msg
            .map(str::to_string)
            .unwrap_or_else(|| format!("value is out of range, value must between {} and {}", i32::MIN, i32::MAX));
        return Err(Reply::Error(format!("ERR {text}")));
    }
    Ok(value)
}

/// A SCAN cursor as C's `strtoul(.., 10)` reads it, with Redis's extra
/// checks: the C string (up to the first NUL) must be entirely consumed, must
/// not start with white space, and must not overflow. An empty string is
/// cursor 0 and a leading `-` negates modulo 2^64, as strtoul does.
pub fn parse_scan_cursor(bytes: &[u8]) -> Option<u64> {
    let s = c_str(bytes);
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return None;
    }
    let (negative, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_integers() {
        // rule: PROTO-6
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"01",
            b"-0",
            b" 1",
            b"1 ",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1\x00",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn scan_cursor_like_strtoul() {
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+0"), Some(0));
        assert_eq!(parse_scan_cursor(b"0\x00abc"), Some(0));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b" 0"), None);
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_scan_cursor(b"0x1"), None);
    }
}
