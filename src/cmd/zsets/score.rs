//! Score arguments as Redis reads them: C's `strtod` (glibc, C locale) and the two ways Redis
//! checks its result, plus the score and lexicographic range specifications.
//!
//! - `string2d` (ZADD, ZINCRBY, WEIGHTS): the whole argument must be a number, no leading white
//!   space, no NaN, and no overflow to infinity or underflow to zero (ERANGE), though the text
//!   `inf` itself is fine.
//! - `zslParseRange` (ZRANGEBYSCORE, ZCOUNT, ...): strtod on the argument as a C string (it ends
//!   at the first NUL byte), leading white space allowed, overflow allowed, NaN rejected, and a
//!   leading `(` making the bound exclusive. An empty number (`""`, `"("`) reads as 0, because
//!   strtod then consumes nothing and stops on the terminating NUL.

use std::cmp::Ordering;

/// C's isspace in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What strtod returns: the value, the number of bytes consumed (0 when there was no number)
/// and whether it set ERANGE because of an overflow or an underflow to zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    pub value: f64,
    pub consumed: usize,
    pub range_error: bool,
}

const NO_NUMBER: Strtod = Strtod { value: 0.0, consumed: 0, range_error: false };

/// glibc's strtod over `s` (which the caller has cut at any NUL byte).
pub fn strtod(s: &[u8]) -> Strtod {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let body = &s[i..];
    let parsed = if let Some(n) = special(body) {
        Some(n)
    } else if body.len() >= 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        // "0x" with no hex digit after it is the number 0 followed by junk.
        hex(&body[2..]).map(|(v, n, e)| (v, n + 2, e)).or(Some((0.0, 1, false)))
    } else {
        decimal(body)
    };
    match parsed {
        Some((value, n, range_error)) => {
            Strtod { value: if negative { -value } else { value }, consumed: i + n, range_error }
        }
        None => NO_NUMBER,
    }
}

/// `inf`, `infinity`, `nan`, `nan(chars)`, any case.
fn special(body: &[u8]) -> Option<(f64, usize, bool)> {
    let starts = |word: &str| body.len() >= word.len() && body[..word.len()].eq_ignore_ascii_case(word.as_bytes());
    if starts("infinity") {
        return Some((f64::INFINITY, 8, false));
    }
    if starts("inf") {
        return Some((f64::INFINITY, 3, false));
    }
    if starts("nan") {
        let mut n = 3;
        if body.get(3) == Some(&b'(') {
            let close = body[4..].iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'));
            if let Some(k) = close {
                if body[4 + k] == b')' {
                    n = 4 + k + 1;
                }
            }
        }
        return Some((f64::NAN, n, false));
    }
    None
}

/// A decimal number: digits with an optional point (at least one digit) and an optional
/// exponent that counts only when it has digits. Rounded correctly (Rust's parser, like glibc).
fn decimal(body: &[u8]) -> Option<(f64, usize, bool)> {
    let digits = |from: usize| body[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int_digits = digits(0);
    let mut end = int_digits;
    let mut frac_digits = 0;
    if body.get(end) == Some(&b'.') {
        frac_digits = digits(end + 1);
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let mantissa_end = end;
    if matches!(body.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(body.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = digits(j);
        if exp_digits > 0 {
            end = j + exp_digits;
        }
    }
    let text = std::str::from_utf8(&body[..end]).ok()?;
    let value: f64 = text.parse().ok()?;
    let nonzero = body[..mantissa_end].iter().any(|c| (b'1'..=b'9').contains(c));
    let range_error = value.is_infinite() || (value == 0.0 && nonzero);
    Some((value, end, range_error))
}

/// A hexadecimal number after `0x`: hex digits with an optional point, at least one digit, and
/// an optional binary exponent `p[+-]digits`. Rounded to nearest, ties to even.
fn hex(body: &[u8]) -> Option<(f64, usize, bool)> {
    let hex_digits = |from: usize| body[from..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let int_digits = hex_digits(0);
    let mut end = int_digits;
    let mut frac_digits = 0;
    if body.get(end) == Some(&b'.') {
        frac_digits = hex_digits(end + 1);
        end += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    // Accumulate up to 60 significant bits; later non-zero digits only make the value sticky.
    let mut mantissa: u64 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    for (k, &c) in body[..end].iter().enumerate() {
        if c == b'.' {
            continue;
        }
        let d = u64::from((c as char).to_digit(16).unwrap_or(0));
        let fractional = k > int_digits;
        if mantissa >> 56 == 0 {
            mantissa = mantissa << 4 | d;
            if fractional {
                exp2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !fractional {
                exp2 += 4;
            }
        }
    }
    if matches!(body.get(end), Some(b'p' | b'P')) {
        let mut j = end + 1;
        let negative = body.get(j) == Some(&b'-');
        if matches!(body.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let n = body[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            let mut e: i64 = 0;
            for &c in &body[j..j + n] {
                e = (e * 10 + i64::from(c - b'0')).min(1 << 40);
            }
            exp2 += if negative { -e } else { e };
            end = j + n;
        }
    }
    if mantissa == 0 {
        return Some((0.0, end, false));
    }
    let (value, range_error) = compose(mantissa, exp2, sticky);
    Some((value, end, range_error))
}

/// The double nearest to `mantissa * 2^exp2` (plus a sticky fraction below the mantissa's last
/// bit), ties to even; with the ERANGE flag for an overflow or a result rounded to zero.
fn compose(mantissa: u64, exp2: i64, sticky: bool) -> (f64, bool) {
    // Normalize so the top bit is bit 63: value = m * 2^(e - 63), m in [2^63, 2^64).
    let shift = mantissa.leading_zeros() as i64;
    let m = mantissa << shift;
    let e = exp2 - shift + 63; // the value lies in [2^e, 2^(e+1))
    if e > 1023 {
        return (f64::INFINITY, true);
    }
    // Bits kept: 53 for normal numbers, fewer for subnormals (whose exponent is fixed at -1022).
    let keep = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep <= 0 {
        // Below half the smallest subnormal rounds to zero; exactly at it ties to even (zero);
        // above rounds up to the smallest subnormal.
        let half_smallest = keep == 0 && (m > 1 << 63 || sticky);
        return if half_smallest { (f64::from_bits(1), false) } else { (0.0, true) };
    }
    let drop = 64 - keep as u32;
    let mut kept = m >> drop;
    let rest = m & ((1u64 << drop) - 1);
    let half = 1u64 << (drop - 1);
    if rest > half || (rest == half && (sticky || kept & 1 == 1)) {
        kept += 1;
    }
    // `kept` has `keep` bits (or keep+1 after a carry). Scale it back exactly.
    let value = scale(kept as f64, e - (keep - 1));
    (value, value.is_infinite())
}

/// x * 2^e for an exactly representable result (done in steps so no step overflows).
fn scale(mut x: f64, mut e: i64) -> f64 {
    while e > 0 {
        let step = e.min(1000);
        x *= f64::powi(2.0, step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        x /= f64::powi(2.0, step as i32);
        e += step;
    }
    x
}

/// Redis's string2d (getDoubleFromObject): the whole argument is one number.
pub fn string2d(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || is_c_space(arg[0]) {
        return None;
    }
    let r = strtod(arg);
    if r.consumed != arg.len() || r.range_error || r.value.is_nan() {
        return None;
    }
    Some(r.value)
}

/// One end of a score range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

/// A score range `min..max` (Redis's zrangespec).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: Bound,
    pub max: Bound,
}

impl ScoreRange {
    /// zslValueGteMin.
    pub fn above_min(&self, score: f64) -> bool {
        if self.min.exclusive {
            score > self.min.value
        } else {
            score >= self.min.value
        }
    }

    /// zslValueLteMax.
    pub fn below_max(&self, score: f64) -> bool {
        if self.max.exclusive {
            score < self.max.value
        } else {
            score <= self.max.value
        }
    }
}

/// The argument as C sees it: up to the first NUL byte.
fn c_string(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |n| &arg[..n])
}

fn parse_bound(arg: &[u8]) -> Option<Bound> {
    let s = c_string(arg);
    let (exclusive, text) = match s.first() {
        Some(b'(') => (true, &s[1..]),
        _ => (false, s),
    };
    let r = strtod(text);
    // Parsing must stop at the end of the C string (an empty number consumes nothing).
    if r.consumed != text.len() && !(r.consumed == 0 && text.is_empty()) {
        return None;
    }
    if r.value.is_nan() {
        return None;
    }
    Some(Bound { value: r.value, exclusive })
}

/// zslParseRange; `None` means `ERR min or max is not a float`.
pub fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    Some(ScoreRange { min: parse_bound(min)?, max: parse_bound(max)? })
}

/// One end of a lexicographic range: `-`, `+`, or a member with `(` (exclusive) or `[`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Value(Vec<u8>, bool),
}

impl LexBound {
    /// sdscmplex of a member against this bound.
    fn cmp_member(&self, member: &[u8]) -> Ordering {
        match self {
            LexBound::NegInf => Ordering::Greater,
            LexBound::PosInf => Ordering::Less,
            LexBound::Value(v, _) => member.cmp(v),
        }
    }

    fn exclusive(&self) -> bool {
        match self {
            LexBound::NegInf | LexBound::PosInf => true,
            LexBound::Value(_, ex) => *ex,
        }
    }
}

/// A lexicographic range (Redis's zlexrangespec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// zslLexValueGteMin.
    pub fn above_min(&self, member: &[u8]) -> bool {
        let c = self.min.cmp_member(member);
        if self.min.exclusive() {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    /// zslLexValueLteMax.
    pub fn below_max(&self, member: &[u8]) -> bool {
        let c = self.max.cmp_member(member);
        if self.max.exclusive() {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }
}

fn parse_lex_bound(arg: &[u8]) -> Option<LexBound> {
    // `+` and `-` are checked as C strings: nothing may follow them before a NUL byte.
    let alone = arg.get(1).is_none_or(|&c| c == 0);
    match arg.first() {
        Some(b'+') if alone => Some(LexBound::PosInf),
        Some(b'-') if alone => Some(LexBound::NegInf),
        Some(b'(') => Some(LexBound::Value(arg[1..].to_vec(), true)),
        Some(b'[') => Some(LexBound::Value(arg[1..].to_vec(), false)),
        _ => None,
    }
}

/// zslParseLexRange; `None` means `ERR min or max not valid string range item`.
pub fn parse_lex_range(min: &[u8], max: &[u8]) -> Option<LexRange> {
    Some(LexRange { min: parse_lex_bound(min)?, max: parse_lex_bound(max)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2d_follows_redis() {
        assert_eq!(string2d(b"1.5"), Some(1.5));
        assert_eq!(string2d(b"inf"), Some(f64::INFINITY));
        assert_eq!(string2d(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"0x10"), Some(16.0));
        assert_eq!(string2d(b"0x1p-2"), Some(0.25));
        assert_eq!(string2d(b"1e-310"), Some(1e-310));
        assert_eq!(string2d(b"+.5"), Some(0.5));
        assert_eq!(string2d(b"5."), Some(5.0));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"1e400", b"1e-400", b"abc", b"1e", b"0x", b"1\0", b"--1", b"."] {
            assert_eq!(string2d(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(string2d(b"0e999999"), Some(0.0));
        assert_eq!(string2d(b"1e+"), None);
    }

    #[test]
    fn hex_rounds_to_nearest_even() {
        assert_eq!(string2d(b"0x1.8"), Some(1.5));
        assert_eq!(string2d(b"0X.8p1"), Some(1.0));
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        assert_eq!(string2d(b"0x20000000000001"), Some(9007199254740992.0));
        assert_eq!(string2d(b"0x20000000000003"), Some(9007199254740996.0));
        assert_eq!(string2d(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(string2d(b"0x1p-1075"), None); // ties to zero: underflow
        assert_eq!(string2d(b"0x1.8p-1075"), Some(f64::from_bits(1)));
        assert_eq!(string2d(b"0x1p1024"), None);
        assert_eq!(string2d(b"0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(string2d(b"0x123456789abcdef123"), Some(3.358127276707303e20));
        // Ties and sticky bits beyond the 60 bits kept exactly.
        assert_eq!(string2d(b"0x1.fffffffffffff8p0"), Some(2.0));
        assert_eq!(string2d(b"0x1.fffffffffffff7ffffp0"), Some(1.9999999999999998));
        assert_eq!(string2d(b"0x1.fffffffffffff80000001p0"), Some(2.0));
    }

    #[test]
    fn range_bounds_follow_zsl_parse_range() {
        let r = parse_score_range(b"(1", b" 2").expect("valid");
        assert_eq!(r.min, Bound { value: 1.0, exclusive: true });
        assert_eq!(r.max, Bound { value: 2.0, exclusive: false });
        assert_eq!(parse_score_range(b"(", b"").map(|r| (r.min.value, r.max.value)), Some((0.0, 0.0)));
        assert_eq!(parse_score_range(b"1e400", b"-inf").map(|r| r.min.value), Some(f64::INFINITY));
        assert!(parse_score_range(b"nan", b"1").is_none());
        assert!(parse_score_range(b"1", b"(nan").is_none());
        assert!(parse_score_range(b"1x", b"1").is_none());
        assert_eq!(parse_score_range(b"1\0x", b"2").map(|r| r.min.value), Some(1.0));
    }

    #[test]
    fn lex_ranges() {
        let r = parse_lex_range(b"[b", b"(d").expect("valid");
        assert!(r.above_min(b"b") && r.below_max(b"c") && !r.below_max(b"d"));
        let all = parse_lex_range(b"-", b"+").expect("valid");
        assert!(all.above_min(b"") && all.below_max(b"\xff"));
        assert!(parse_lex_range(b"a", b"+").is_none());
        assert!(parse_lex_range(b"+x", b"+").is_none());
    }
}
