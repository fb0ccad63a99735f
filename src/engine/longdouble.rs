//! An exact software model of the C `long double` that Redis uses for INCRBYFLOAT on x86-64:
//! the x87 80-bit extended format (64-bit significand with an explicit integer bit, 15-bit
//! exponent, gradual underflow), with round-to-nearest-even arithmetic. `f64` cannot stand in:
//! `SET k 10.5; INCRBYFLOAT k 0.1` gives "10.6" in Redis only because the sum is computed and
//! printed with 64 significant bits.
//!
//! The three operations Redis performs are modelled:
//! - `parse`: glibc's `strtold` as Redis's string2ld wraps it (whole string, no leading space,
//!   decimal or hexadecimal, `inf`/`infinity`, correctly rounded, out-of-range rejected);
//! - `add`: one correctly rounded addition;
//! - `to_human`: `snprintf("%.17Lf")` (exact decimal expansion, rounded half-to-even at the 17th
//!   fractional digit as glibc does) followed by ld2string's LD_STR_HUMAN trimming.
//!
//! Exactness comes from doing every conversion on big integers (see `bignum`); no step goes
//! through a hardware float.

mod bignum;

use bignum::Big;
use std::cmp::Ordering;

/// The exponent of the least significant bit of the smallest denormal (2^-16445).
const MIN_LSB_EXP: i64 = -16445;
/// The exponent of the least significant bit of the largest finite value ((2^64-1) * 2^16320).
const MAX_LSB_EXP: i64 = 16320;
/// Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses strings of this length or longer.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
/// The number of fractional digits "%.17Lf" prints.
const FRACTION_DIGITS: u32 = 17;

/// A `long double` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDouble {
    /// `(-1)^neg * mant * 2^exp`, canonical: either the top bit of `mant` is set (normal) or
    /// `exp` is the denormal exponent; zero has `mant == 0` and the denormal exponent.
    Finite {
        neg: bool,
        mant: u64,
        exp: i64,
    },
    Inf {
        neg: bool,
    },
    NaN,
}

impl LongDouble {
    pub fn zero(neg: bool) -> LongDouble {
        LongDouble::Finite { neg, mant: 0, exp: MIN_LSB_EXP }
    }

    /// An integer (every i64 is exact in a 64-bit significand).
    pub fn from_i64(n: i64) -> LongDouble {
        round(n < 0, &Big::from_u64(n.unsigned_abs()), 0, false)
    }

    pub fn is_nan(&self) -> bool {
        matches!(self, LongDouble::NaN)
    }

    pub fn is_inf(&self) -> bool {
        matches!(self, LongDouble::Inf { .. })
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, LongDouble::Finite { mant: 0, .. })
    }

    /// `self + other`, rounded to nearest, ties to even, as the x87 unit does it.
    pub fn plus(self, other: LongDouble) -> LongDouble {
        use LongDouble::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => NaN,
            (Inf { neg: a }, Inf { neg: b }) if a != b => NaN,
            (Inf { neg }, _) | (_, Inf { neg }) => Inf { neg },
            (Finite { neg: na, mant: ma, exp: ea }, Finite { neg: nb, mant: mb, exp: eb }) => {
                // Align both on the smaller exponent: the sum is then an exact integer multiple
                // of 2^low, which `round` brings to 64 bits.
                let low = ea.min(eb);
                let a = Big::from_u64(ma).shl((ea - low) as u64);
                let b = Big::from_u64(mb).shl((eb - low) as u64);
                if na == nb {
                    return round(na, &a.add(&b), low, false);
                }
                match a.cmp(&b) {
                    // x + (-x) is +0 when rounding to nearest.
                    Ordering::Equal => LongDouble::zero(false),
                    Ordering::Greater => round(na, &a.sub(&b), low, false),
                    Ordering::Less => round(nb, &b.sub(&a), low, false),
                }
            }
        }
    }

    /// The text Redis stores for an INCRBYFLOAT result: "%.17Lf" with trailing zeros (and a
    /// trailing point) removed, and "-0" turned into "0".
    pub fn to_human(&self) -> String {
        let (neg, mant, exp) = match *self {
            LongDouble::Inf { neg: false } => return "inf".to_string(),
            LongDouble::Inf { neg: true } => return "-inf".to_string(),
            LongDouble::NaN => return "nan".to_string(),
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        };
        let (int_part, frac) = fixed_point_parts(mant, exp);
        let mut out = format!("{}{}.{:017}", if neg { "-" } else { "" }, int_part, frac);
        while out.ends_with('0') {
            out.pop();
        }
        if out.ends_with('.') {
            out.pop();
        }
        if out == "-0" {
            out = "0".to_string();
        }
        out
    }
}

/// `mant * 2^exp` rounded to 17 fractional digits: the integer part in decimal and the fraction
/// as an integer count of 10^-17.
fn fixed_point_parts(mant: u64, exp: i64) -> (String, u64) {
    let scale = 10u128.pow(FRACTION_DIGITS);
    if exp >= 0 {
        return (Big::from_u64(mant).shl(exp as u64).to_decimal(), 0);
    }
    // mant * 10^17 < 2^121, so it fits, and a shift of 128 or more leaves less than 2^-7.
    let scaled = mant as u128 * scale;
    let shift = exp.unsigned_abs();
    let units = if shift >= 128 {
        0
    } else {
        let q = scaled >> shift;
        let half = (scaled >> (shift - 1)) & 1 == 1;
        let rest = scaled & ((1u128 << (shift - 1)) - 1) != 0;
        if half && (rest || q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    (Big::from_u128(units / scale).to_decimal(), (units % scale) as u64)
}

/// Rounds `(-1)^neg * (x + f) * 2^e2`, where `0 <= f < 1` and `sticky` tells whether `f > 0`,
/// to the nearest `long double`, ties to even. Callers that pass `sticky` make sure `x` has at
/// least 66 bits, so the fraction lies strictly below the rounding position.
fn round(neg: bool, x: &Big, e2: i64, sticky: bool) -> LongDouble {
    let bits = x.bit_len() as i64;
    if bits == 0 {
        return LongDouble::zero(neg);
    }
    let mut lsb_exp = (bits + e2 - 64).max(MIN_LSB_EXP);
    let shift = lsb_exp - e2;
    let mant = if shift <= 0 {
        // Exact: at most 64 bits after the shift.
        x.shr_low_u64(0) << (-shift) as u32
    } else {
        let shift = shift as u64;
        let m = x.shr_low_u64(shift);
        let half = x.bit(shift - 1);
        let rest = sticky || x.any_below(shift - 1);
        if half && (rest || m & 1 == 1) {
            match m.checked_add(1) {
                Some(m) => m,
                None => {
                    lsb_exp += 1;
                    1 << 63
                }
            }
        } else {
            m
        }
    };
    if lsb_exp > MAX_LSB_EXP {
        return LongDouble::Inf { neg };
    }
    if mant == 0 {
        return LongDouble::zero(neg);
    }
    LongDouble::Finite { neg, mant, exp: lsb_exp }
}

/// C's isspace in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Redis's string2ld: the whole string must be one number for strtold, with no leading space;
/// NaN, overflow and underflow to zero are refused. `None` means "not a valid float".
pub fn parse(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS || is_c_space(s[0]) {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(LongDouble::Inf { neg });
    }
    let value = if body.len() >= 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        parse_hex(neg, &body[2..])?
    } else {
        parse_decimal(neg, body)?
    };
    // strtold reports ERANGE for overflow and for a non-zero number that rounds to zero.
    if value.is_inf() {
        return None;
    }
    Some(value)
}

/// A number's digits: `int_digits[.frac_digits]` followed by an optional exponent introduced by
/// `marker`; the exponent is decimal and saturates far beyond any representable magnitude.
struct Numeral<'a> {
    int_digits: &'a [u8],
    frac_digits: &'a [u8],
    exponent: i64,
}

/// Splits a numeral; `None` unless the whole input is one (at least one mantissa digit, and an
/// exponent, if its marker is present, with at least one digit).
fn split_numeral(s: &[u8], is_digit: fn(u8) -> bool, marker: u8) -> Option<Numeral<'_>> {
    let int_len = s.iter().take_while(|&&b| is_digit(b)).count();
    let (int_digits, mut rest) = s.split_at(int_len);
    let mut frac_digits: &[u8] = &[];
    if rest.first() == Some(&b'.') {
        let frac_len = rest[1..].iter().take_while(|&&b| is_digit(b)).count();
        frac_digits = &rest[1..1 + frac_len];
        rest = &rest[1 + frac_len..];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exponent = 0i64;
    if let Some((&first, tail)) = rest.split_first() {
        if first | 0x20 != marker {
            return None;
        }
        let (exp_neg, digits) = match tail.first() {
            Some(b'-') => (true, &tail[1..]),
            Some(b'+') => (false, &tail[1..]),
            _ => (false, tail),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for &d in digits {
            exponent = (exponent * 10 + (d - b'0') as i64).min(1_000_000_000_000);
        }
        if exp_neg {
            exponent = -exponent;
        }
    }
    Some(Numeral { int_digits, frac_digits, exponent })
}

/// A decimal numeral, correctly rounded; `None` when a non-zero number rounds to zero.
fn parse_decimal(neg: bool, body: &[u8]) -> Option<LongDouble> {
    let n = split_numeral(body, |b| b.is_ascii_digit(), b'e')?;
    let all: Vec<u8> = n.int_digits.iter().chain(n.frac_digits).copied().collect();
    let mut exp10 = n.exponent - n.frac_digits.len() as i64;
    let first = all.iter().position(|&d| d != b'0');
    let Some(first) = first else {
        return Some(LongDouble::zero(neg));
    };
    let last = all.iter().rposition(|&d| d != b'0').unwrap_or(first);
    let digits = &all[first..=last];
    exp10 += (all.len() - 1 - last) as i64;
    // The value lies in [10^(magnitude-1), 10^magnitude). The largest finite long double is
    // about 1.19e4932 and half the smallest denormal about 1.8e-4951, so beyond these bounds
    // the answer is known without computing.
    let magnitude = exp10 + digits.len() as i64;
    if magnitude > 4934 {
        return Some(LongDouble::Inf { neg });
    }
    if magnitude < -4952 {
        return None;
    }
    let mut d = Big::zero();
    for &c in digits {
        d.mul_add_small(10, (c - b'0') as u32);
    }
    let value = if exp10 >= 0 {
        d.mul_pow10(exp10 as u64);
        round(neg, &d, 0, false)
    } else {
        // value = d * 2^k / 10^n * 2^-k, with k chosen so the quotient keeps at least 66 bits
        // (log2(10) < 3.322, so n * 3322 / 1000 + 2 bounds the bit length of 10^n).
        let n = exp10.unsigned_abs();
        let bits_of_pow = n * 3322 / 1000 + 2;
        let k = (70 + bits_of_pow).saturating_sub(d.bit_len());
        let mut x = d.shl(k);
        let inexact = x.div_pow10(n);
        round(neg, &x, -(k as i64), inexact)
    };
    if value.is_zero() {
        return None;
    }
    Some(value)
}

/// A hexadecimal numeral (after "0x"), with an optional binary exponent `p`; exact before the
/// final rounding.
fn parse_hex(neg: bool, body: &[u8]) -> Option<LongDouble> {
    let n = split_numeral(body, |b| b.is_ascii_hexdigit(), b'p')?;
    let mut h = Big::zero();
    for &c in n.int_digits.iter().chain(n.frac_digits) {
        let digit = (c as char).to_digit(16).unwrap_or(0);
        h.mul_add_small(16, digit);
    }
    if h.is_zero() {
        return Some(LongDouble::zero(neg));
    }
    let exp2 = n.exponent - 4 * n.frac_digits.len() as i64;
    let top = exp2 + h.bit_len() as i64;
    if top > MAX_LSB_EXP + 66 {
        return Some(LongDouble::Inf { neg });
    }
    if top < MIN_LSB_EXP - 2 {
        return None;
    }
    let value = round(neg, &h, exp2, false);
    if value.is_zero() {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests;
