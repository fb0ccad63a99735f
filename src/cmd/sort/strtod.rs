//! C's `strtod` as glibc implements it, for SORT's numeric weights: the longest prefix that is a
//! number (after leading white space), where it ends, and whether the result was out of range
//! (glibc's ERANGE: an overflow to infinity, or an inexact result below the normal range).

/// What `strtod` reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parsed {
    pub value: f64,
    /// Bytes consumed; 0 when no number was found (then `endptr` is the start of the input,
    /// white space included).
    pub end: usize,
    pub out_of_range: bool,
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn starts_with_ignore_case(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// Parses the longest numeric prefix of `s`.
pub fn strtod(s: &[u8]) -> Parsed {
    let none = Parsed { value: 0.0, end: 0, out_of_range: false };
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let signed = |v: f64| if negative { -v } else { v };
    let rest = &s[i..];
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") { 8 } else { 3 };
        return Parsed { value: signed(f64::INFINITY), end: i + len, out_of_range: false };
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut len = 3;
        // An optional "(n-char-sequence)" belongs to the NaN when it is closed.
        if rest.get(3) == Some(&b'(') {
            let chars = rest[4..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
            if rest.get(4 + chars) == Some(&b')') {
                len = 5 + chars;
            }
        }
        return Parsed { value: f64::NAN, end: i + len, out_of_range: false };
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        return match hex(&rest[2..]) {
            Some((value, len, out_of_range)) => Parsed { value: signed(value), end: i + 2 + len, out_of_range },
            // "0x" without hex digits: the number is the "0".
            None => Parsed { value: signed(0.0), end: i + 1, out_of_range: false },
        };
    }
    match decimal(rest) {
        Some((value, len, out_of_range)) => Parsed { value: signed(value), end: i + len, out_of_range },
        None => none,
    }
}

/// A decimal number at the start of `s` (no sign): its value, length and range error.
fn decimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut len = int_digits;
    let mut frac_digits = 0;
    if s.get(len) == Some(&b'.') {
        frac_digits = s[len + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let has_nonzero = s[..len].iter().any(|b| (b'1'..=b'9').contains(b));
    if matches!(s.get(len), Some(b'e' | b'E')) {
        let mut j = len + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = s.get(j..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits > 0 {
            len = j + exp_digits;
        }
    }
    let text = std::str::from_utf8(&s[..len]).ok()?;
    let value: f64 = text.parse().ok()?;
    let out_of_range = value.is_infinite() || (has_nonzero && (value == 0.0 || value.is_subnormal()));
    Some((value, len, out_of_range))
}

/// A hexadecimal float after "0x": its value, length and range error; `None` without digits.
fn hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int_digits = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let mut len = int_digits;
    let mut frac_digits = 0;
    if s.get(len) == Some(&b'.') {
        frac_digits = s[len + 1..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    // The significant digits, exactly while they fit in 64 bits; the rest only moves the
    // binary point (and is remembered as "inexact").
    let mut mantissa: u64 = 0;
    let mut exp2: i64 = 0;
    let mut inexact = false;
    let digits = s[..int_digits].iter().chain(s[int_digits..].iter().skip(1).take(frac_digits));
    for (k, &b) in digits.enumerate() {
        let d = u64::from((b as char).to_digit(16).unwrap_or(0));
        let in_fraction = k >= int_digits;
        if mantissa >> 60 == 0 {
            mantissa = mantissa * 16 + d;
            if in_fraction {
                exp2 -= 4;
            }
        } else {
            inexact |= d != 0;
            if !in_fraction {
                exp2 += 4;
            }
        }
    }
    if matches!(s.get(len), Some(b'p' | b'P')) {
        let mut j = len + 1;
        let negative = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let exp_digits = s.get(j..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits > 0 {
            let e = s[j..j + exp_digits].iter().fold(0i64, |acc, &b| (acc * 10 + i64::from(b - b'0')).min(1 << 40));
            exp2 += if negative { -e } else { e };
            len = j + exp_digits;
        }
    }
    let value = scale(mantissa, exp2);
    let tiny = value == 0.0 || value.is_subnormal();
    let out_of_range = mantissa != 0
        && (value.is_infinite() || (tiny && (inexact || value == 0.0 || !scale_back_is_exact(value, mantissa, exp2))));
    Some((value, len, out_of_range))
}

/// mantissa * 2^exp2, rounded once.
fn scale(mantissa: u64, exp2: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let exp2 = exp2.clamp(-2200, 2200) as i32;
    // Split the power so that no intermediate overflows or underflows early.
    let m = mantissa as f64;
    if exp2 >= 0 {
        m * 2f64.powi(exp2.min(1023)) * 2f64.powi((exp2 - exp2.min(1023)).min(1023))
    } else {
        let first = exp2.max(-1022);
        m * 2f64.powi(first) * 2f64.powi((exp2 - first).max(-1100))
    }
}

/// True when a subnormal `value` is exactly mantissa * 2^exp2.
fn scale_back_is_exact(value: f64, mantissa: u64, exp2: i64) -> bool {
    // A subnormal is k * 2^-1074, k being its bit pattern (the exponent bits are zero).
    let k = u128::from(value.abs().to_bits());
    let shift = exp2 + 1074;
    if shift >= 0 {
        u32::try_from(shift).ok().and_then(|s| u128::from(mantissa).checked_shl(s)) == Some(k)
    } else {
        let s = (-shift) as u32;
        s < 128 && u128::from(mantissa) == k << s && (k << s) >> s == k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (f64, usize, bool) {
        let r = strtod(s.as_bytes());
        (r.value, r.end, r.out_of_range)
    }

    #[test]
    fn matches_glibc() {
        // Values recorded from glibc 2.36's strtod.
        assert!(p("1e-310").2);
        assert_eq!(p("1e-400"), (0.0, 6, true));
        assert_eq!(p("2.2250738585072014e-308"), (2.2250738585072014e-308, 23, false));
        assert_eq!(p("1e308"), (1e308, 5, false));
        assert_eq!(p("1e309"), (f64::INFINITY, 5, true));
        assert_eq!(p("0x1p-1074"), (f64::from_bits(1), 9, false));
        assert_eq!(p("0x1p-1080"), (0.0, 9, true));
        assert_eq!(p("  12abc"), (12.0, 4, false));
        assert_eq!(p("  "), (0.0, 0, false));
        assert_eq!(p(""), (0.0, 0, false));
        assert_eq!(p("0x"), (0.0, 1, false));
        assert_eq!(p("0xg"), (0.0, 1, false));
        assert_eq!(p("1e"), (1.0, 1, false));
        assert_eq!(p("1e+"), (1.0, 1, false));
        assert_eq!(p(".5"), (0.5, 2, false));
        assert_eq!(p("."), (0.0, 0, false));
        assert_eq!(p("-.e1"), (0.0, 0, false));
        assert_eq!(p("infinity"), (f64::INFINITY, 8, false));
        assert_eq!(p("infinit"), (f64::INFINITY, 3, false));
        assert_eq!(p("nan(abc)").1, 8);
        assert_eq!(p("nan(").1, 3);
        assert_eq!(p("+-1"), (0.0, 0, false));
        assert_eq!(p("0x.8p1"), (1.0, 6, false));
        assert!(p("1.5e-320").2);
        assert_eq!(p("-0"), (-0.0, 2, false));
        assert_eq!(p("0X1P3"), (8.0, 5, false));
        assert_eq!(p("0x1.8p1"), (3.0, 7, false));
        assert_eq!(p("1e0000000000000000000005"), (1e5, 24, false));
        assert_eq!(p("0.000"), (0.0, 5, false));
    }
}
