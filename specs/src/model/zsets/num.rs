//! Score numbers: C's `strtod` as glibc reads a number, Redis's two checks on it, and the
//! `%.17g` text Redis prints.
//!
//! Decimal numbers are converted by Rust's parser, which rounds correctly as glibc does;
//! hexadecimal ones (`0x1.8p3`) are rounded here from their exact value.

use crate::big::Big;
use std::cmp::Ordering;

/// C's isspace in the C locale.
fn c_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// What strtod read: the value, how many bytes, and whether it reported ERANGE for an overflow
/// or a non-zero number that became zero.
#[derive(Clone, Copy, Debug)]
pub struct Read {
    pub value: f64,
    pub len: usize,
    pub erange: bool,
}

/// strtod over `s`; `None` when no number starts it (strtod then consumes nothing).
pub fn strtod(s: &[u8]) -> Option<Read> {
    let start = s.iter().take_while(|&&b| c_space(b)).count();
    let mut i = start;
    let negative = s.get(i) == Some(&b'-');
    if negative || s.get(i) == Some(&b'+') {
        i += 1;
    }
    let rest = &s[i..];
    let (value, len, erange) = word(rest).or_else(|| hexadecimal(rest)).or_else(|| decimal(rest))?;
    Some(Read { value: if negative { -value } else { value }, len: i + len, erange })
}

fn starts_with_word(s: &[u8], w: &str) -> bool {
    s.len() >= w.len() && s[..w.len()].eq_ignore_ascii_case(w.as_bytes())
}

/// INF, INFINITY, NAN, NAN(chars).
fn word(s: &[u8]) -> Option<(f64, usize, bool)> {
    if starts_with_word(s, "infinity") {
        Some((f64::INFINITY, 8, false))
    } else if starts_with_word(s, "inf") {
        Some((f64::INFINITY, 3, false))
    } else if starts_with_word(s, "nan") {
        let inside =
            s.get(4..).map_or(0, |t| t.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count());
        let closed = s.get(3) == Some(&b'(') && s.get(4 + inside) == Some(&b')');
        Some((f64::NAN, if closed { 5 + inside } else { 3 }, false))
    } else {
        None
    }
}

/// Length of the run of bytes from `from` satisfying `f`.
fn run(s: &[u8], from: usize, f: impl Fn(u8) -> bool) -> usize {
    s.get(from..).map_or(0, |t| t.iter().take_while(|&&c| f(c)).count())
}

fn decimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int_len = run(s, 0, |c| c.is_ascii_digit());
    let mut len = int_len;
    let mut frac_len = 0;
    if s.get(len) == Some(&b'.') {
        frac_len = run(s, len + 1, |c| c.is_ascii_digit());
        len += 1 + frac_len;
    }
    if int_len + frac_len == 0 {
        return None;
    }
    let significant = &s[..len];
    if matches!(s.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let digits = run(s, len + 1 + sign, |c| c.is_ascii_digit());
        if digits > 0 {
            len += 1 + sign + digits;
        }
    }
    let value: f64 = std::str::from_utf8(&s[..len]).ok()?.parse().ok()?;
    let nonzero = significant.iter().any(|&c| (b'1'..=b'9').contains(&c));
    Some((value, len, value.is_infinite() || (value == 0.0 && nonzero)))
}

fn hexadecimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    if s.len() < 2 || s[0] != b'0' || !(s[1] == b'x' || s[1] == b'X') {
        return None;
    }
    let int_len = run(s, 2, |c| c.is_ascii_hexdigit());
    let mut len = 2 + int_len;
    let mut frac_len = 0;
    if s.get(len) == Some(&b'.') {
        frac_len = run(s, len + 1, |c| c.is_ascii_hexdigit());
        len += 1 + frac_len;
    }
    if int_len + frac_len == 0 {
        // Only the "0" is a number; the x is left over.
        return Some((0.0, 1, false));
    }
    let mut mantissa = Big::zero();
    for &c in s[2..len].iter().filter(|&&c| c != b'.') {
        mantissa = mantissa.shl(4).add(&Big::from_u64(u64::from((c as char).to_digit(16).unwrap_or(0))));
    }
    let mut exp2: i64 = -4 * frac_len as i64;
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let negative = s.get(len + 1) == Some(&b'-');
        let sign = usize::from(matches!(s.get(len + 1), Some(b'+' | b'-')));
        let digits = run(s, len + 1 + sign, |c| c.is_ascii_digit());
        if digits > 0 {
            let text = &s[len + 1 + sign..len + 1 + sign + digits];
            // Far beyond any double's range either way; cap it to keep the arithmetic small.
            let e = text.iter().fold(0i64, |acc, &c| (acc * 10 + i64::from(c - b'0')).min(100_000));
            exp2 += if negative { -e } else { e };
            len += 1 + sign + digits;
        }
    }
    let (value, erange) = round_binary(&mantissa, exp2);
    Some((value, len, erange))
}

/// The double nearest to `m * 2^e`, ties to even, with ERANGE for overflow or a zero result.
fn round_binary(m: &Big, e: i64) -> (f64, bool) {
    if m.is_zero() {
        return (0.0, false);
    }
    let bits = m.bit_len() as i64;
    let top = bits - 1 + e; // the leading bit's weight
    if top > 1023 {
        return (f64::INFINITY, true);
    }
    // Significant bits available at this magnitude: 53, fewer for subnormal numbers.
    let precision = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    let shift = bits - precision; // bits of m that do not fit
    let q = if shift <= 0 {
        m.shl((-shift) as u64)
    } else {
        let shift = shift as u64;
        let q = m.shr(shift);
        let rest = m.sub(&q.shl(shift));
        let half = Big::pow2(shift - 1);
        match rest.cmp_big(&half) {
            Ordering::Greater => q.add(&Big::from_u64(1)),
            Ordering::Equal if q.is_odd() => q.add(&Big::from_u64(1)),
            _ => q,
        }
    };
    if q.is_zero() {
        return (0.0, true);
    }
    // q fits in 54 bits; its unit weighs 2^(top - precision + 1).
    let mut value = q.low_u64() as f64;
    let mut weight = top - precision + 1;
    while weight > 0 {
        let step = weight.min(512);
        value *= 2f64.powi(step as i32);
        weight -= step;
    }
    while weight < 0 {
        let step = (-weight).min(512);
        value /= 2f64.powi(step as i32);
        weight += step;
    }
    (value, value.is_infinite())
}

/// Redis's string2d: the whole argument is one number, no leading white space, no NaN, no
/// ERANGE (the text `inf` itself is fine).
pub fn string2d(arg: &[u8]) -> Option<f64> {
    let first = *arg.first()?;
    if c_space(first) {
        return None;
    }
    let r = strtod(arg)?;
    (r.len == arg.len() && !r.erange && !r.value.is_nan()).then_some(r.value)
}

/// One end of a score range as zslParseRange reads it: the C string (up to a NUL byte), an
/// optional `(` for an exclusive end, then strtod, which must stop at the end of the string
/// (an empty number is 0); NaN is refused; overflow is allowed.
pub fn range_end(arg: &[u8]) -> Option<(f64, bool)> {
    let c = crate::num::c_str(arg);
    let (exclusive, text) = match c.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, c),
    };
    let value = match strtod(text) {
        Some(r) if r.len == text.len() => r.value,
        Some(_) => return None,
        None if text.is_empty() => 0.0,
        None => return None,
    };
    (!value.is_nan()).then_some((value, exclusive))
}

/// C's `%.17g`, as Redis prints scores.
pub fn fmt_17g(x: f64) -> String {
    crate::reply::format_double(x)
}

/// A score as a listpack holds it, read back as text: integral values between -2^62 and 2^62
/// are stored as integers, the others as `%.17g` text.
pub fn listpack_text(x: f64) -> String {
    let bound = 4611686018427387904.0; // 2^62
    if x.fract() == 0.0 && (-bound..=bound).contains(&x) {
        format!("{}", x as i64)
    } else {
        fmt_17g(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_glibc() {
        assert_eq!(string2d(b"0x1.8p1"), Some(3.0));
        assert_eq!(string2d(b"0x20000000000001"), Some(9007199254740992.0));
        assert_eq!(string2d(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(string2d(b"0x1p-1075"), None);
        assert_eq!(string2d(b"0x123456789abcdef123"), Some(3.358127276707303e20));
        assert_eq!(string2d(b"0x1.fffffffffffff8p0"), Some(2.0));
        assert_eq!(string2d(b"0x1.fffffffffffff7ffffp0"), Some(1.9999999999999998));
        assert_eq!(string2d(b"0x1.fffffffffffff80000001p0"), Some(2.0));
        assert_eq!(string2d(b"1e-400"), None);
        assert_eq!(string2d(b"1e400"), None);
        assert_eq!(string2d(b"-infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"nan"), None);
        assert_eq!(range_end(b"("), Some((0.0, true)));
        assert_eq!(range_end(b" 5"), Some((5.0, false)));
        assert_eq!(range_end(b"1e999"), Some((f64::INFINITY, false)));
        assert_eq!(range_end(b"nan(x)"), None);
        assert_eq!(fmt_17g(0.1), "0.10000000000000001");
        assert_eq!(fmt_17g(1e17), "1e+17");
        assert_eq!(fmt_17g(123.0), "123");
        assert_eq!(listpack_text(1e17), "100000000000000000");
    }
}
