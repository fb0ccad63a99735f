//! INCRBYFLOAT's number semantics, computed exactly.
//!
//! Redis parses both operands with `strtold` into an x87 80-bit long double
//! (64-bit significand, explicit integer bit, exponent range 2^-16382 for
//! normals and 2^-16445 for the smallest subnormal), adds them in that format
//! and prints the sum with `%.17Lf`, then strips trailing zeros.
//!
//! The model does the same with exact rational arithmetic: every operand is
//! an exact fraction, rounded once (ties to even) onto the long-double grid;
//! the sum of two grid points is exact and rounded once more; printing
//! rounds the exact binary value to 17 decimals (ties to even, like glibc).

use crate::big::Big;
use std::cmp::Ordering;

/// Exponent of the smallest normal long double (2^-16382).
const MIN_NORMAL_EXP: i64 = -16382;
/// Significand bits, including the explicit integer bit.
const MANT_BITS: i64 = 64;
/// Values at or above 2^16384 overflow.
const OVERFLOW_EXP: i64 = 16384;
/// Redis refuses numeric strings this long or longer (MAX_LONG_DOUBLE_CHARS).
const MAX_CHARS: usize = 5 * 1024;

/// A long double value: `mant * 2^exp` with a sign, or an infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ld {
    /// A finite value (zero when `mant == 0`).
    Finite { neg: bool, mant: u64, exp: i64 },
    /// An infinity.
    Inf { neg: bool },
}

/// The result of rounding an exact positive fraction to the long double grid.
enum Rounded {
    Value { mant: u64, exp: i64 },
    Zero,
    Overflow,
}

/// floor(log2(num/den)) for positive num and den.
fn floor_log2(num: &Big, den: &Big) -> i64 {
    let k = num.bit_len() as i64 - den.bit_len() as i64;
    // Compare num with den * 2^k without fractions.
    let below = if k >= 0 {
        num.cmp_big(&den.shl(k as u64)) == Ordering::Less
    } else {
        num.shl((-k) as u64).cmp_big(den) == Ordering::Less
    };
    if below {
        k - 1
    } else {
        k
    }
}

/// Rounds the positive fraction num/den to the nearest long double.
fn round_fraction(num: &Big, den: &Big) -> Rounded {
    if num.is_zero() {
        return Rounded::Zero;
    }
    let e = floor_log2(num, den);
    // The spacing of representable values around num/den is 2^quantum.
    let mut quantum = e.max(MIN_NORMAL_EXP) - (MANT_BITS - 1);
    let (n, d) =
        if quantum >= 0 { (num.clone(), den.shl(quantum as u64)) } else { (num.shl((-quantum) as u64), den.clone()) };
    let (mut q, r) = n.divmod(&d);
    match r.shl(1).cmp_big(&d) {
        Ordering::Greater => q = q.add(&Big::from_u64(1)),
        Ordering::Equal if q.is_odd() => q = q.add(&Big::from_u64(1)),
        _ => {}
    }
    if q.bit_len() > MANT_BITS as u64 {
        // Rounding carried into a new binade.
        q = q.shr(1);
        quantum += 1;
    }
    if q.is_zero() {
        return Rounded::Zero;
    }
    if q.bit_len() as i64 + quantum > OVERFLOW_EXP {
        return Rounded::Overflow;
    }
    Rounded::Value { mant: q.low_u64(), exp: quantum }
}

/// Converts an exact `±mant * base^exp` (base 2 or 10) the way strtold
/// does: `None` when the result overflows or a non-zero input underflows to
/// zero (glibc reports ERANGE and Redis rejects the string).
fn from_exact(neg: bool, mant: &Big, base: u32, exp: i64) -> Option<Ld> {
    if mant.is_zero() {
        return Some(Ld::Finite { neg, mant: 0, exp: 0 });
    }
    // Cheap range checks first, so absurd exponents never build huge numbers.
    let (lo, hi) = match base {
        10 => {
            let digits = mant.to_decimal().len() as i64;
            // value is in [10^(exp+digits-1), 10^(exp+digits)).
            (exp + digits - 1, exp + digits)
        }
        _ => {
            let bits = mant.bit_len() as i64;
            (exp + bits - 1, exp + bits)
        }
    };
    let (too_big, too_small) = if base == 10 { (lo > 4933, hi < -4952) } else { (lo > OVERFLOW_EXP, hi < -16447) };
    if too_big || too_small {
        return None;
    }
    let scale = |n: u64| {
        if base == 10 {
            Big::pow10(n)
        } else {
            Big::pow2(n)
        }
    };
    let (num, den) =
        if exp >= 0 { (mant.mul(&scale(exp as u64)), Big::from_u64(1)) } else { (mant.clone(), scale((-exp) as u64)) };
    match round_fraction(&num, &den) {
        Rounded::Value { mant, exp } => Some(Ld::Finite { neg, mant, exp }),
        Rounded::Zero | Rounded::Overflow => None,
    }
}

/// Appends the leading digits of the given radix to `acc`; returns how many
/// bytes were digits.
fn take_digits(s: &[u8], radix: u32, acc: &mut Big) -> usize {
    let mut count = 0;
    while let Some(d) = s.get(count).and_then(|&c| (c as char).to_digit(radix)) {
        acc.mul_add_small(radix, d);
        count += 1;
    }
    count
}

/// Reads an optionally signed decimal exponent that must span the rest of
/// the input; saturates far beyond any meaningful range.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i64 = 0;
    for d in digits {
        value = (value * 10 + i64::from(d - b'0')).min(1_000_000_000);
    }
    Some(if neg { -value } else { value })
}

/// Parses a decimal or hexadecimal floating literal (no sign) that spans
/// all of `s`, returning the exact value as mantissa, base and exponent.
fn parse_unsigned(s: &[u8]) -> Option<(Big, u32, i64)> {
    let hex = s.len() > 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X');
    let (radix, body) = if hex { (16, &s[2..]) } else { (10, s) };
    let mut mant = Big::zero();
    let int_digits = take_digits(body, radix, &mut mant);
    let mut rest = &body[int_digits..];
    let mut frac_digits = 0;
    if let Some((b'.', after)) = rest.split_first() {
        frac_digits = take_digits(after, radix, &mut mant);
        rest = &after[frac_digits..];
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let marker: &[u8] = if hex { b"pP" } else { b"eE" };
    let exp = match rest.split_first() {
        None => 0,
        Some((c, after)) if marker.contains(c) => parse_exponent(after)?,
        Some(_) => return None,
    };
    if hex {
        Some((mant, 2, exp - 4 * frac_digits as i64))
    } else {
        Some((mant, 10, exp - frac_digits as i64))
    }
}

/// Parses a string the way Redis's `string2ld` does. `None` means "not a
/// valid float": empty or too long, leading white space, trailing garbage,
/// NaN, or a finite literal that overflows or underflows to zero.
/// `inf`/`infinity` are accepted (and make INCRBYFLOAT fail later).
pub fn parse(bytes: &[u8]) -> Option<Ld> {
    if bytes.is_empty() || bytes.len() >= MAX_CHARS {
        return None;
    }
    let (neg, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(Ld::Inf { neg });
    }
    let (mant, base, exp) = parse_unsigned(body)?;
    from_exact(neg, &mant, base, exp)
}

/// The value of an integer-encoded string (always exact in 64 bits).
pub fn from_i64(value: i64) -> Ld {
    let mant = value.unsigned_abs();
    Ld::Finite { neg: value < 0, mant, exp: 0 }
}

/// a + b in long double arithmetic; `None` when the sum is NaN or infinite.
pub fn add(a: Ld, b: Ld) -> Option<Ld> {
    let (Ld::Finite { neg: an, mant: am, exp: ae }, Ld::Finite { neg: bn, mant: bm, exp: be }) = (a, b) else {
        return None;
    };
    if am == 0 && bm == 0 {
        // -0 + -0 is -0; any other pair of zeros is +0.
        return Some(Ld::Finite { neg: an && bn, mant: 0, exp: 0 });
    }
    if am == 0 {
        return Some(b);
    }
    if bm == 0 {
        return Some(a);
    }
    // Align both on the smaller exponent; the sum is then exact.
    let base = ae.min(be);
    let x = Big::from_u64(am).shl((ae - base) as u64);
    let y = Big::from_u64(bm).shl((be - base) as u64);
    let (neg, magnitude) = if an == bn {
        (an, x.add(&y))
    } else {
        match x.cmp_big(&y) {
            Ordering::Greater => (an, x.sub(&y)),
            Ordering::Less => (bn, y.sub(&x)),
            // x - x is +0 when rounding to nearest.
            Ordering::Equal => return Some(Ld::Finite { neg: false, mant: 0, exp: 0 }),
        }
    };
    let (num, den) =
        if base >= 0 { (magnitude.shl(base as u64), Big::from_u64(1)) } else { (magnitude, Big::pow2((-base) as u64)) };
    match round_fraction(&num, &den) {
        Rounded::Value { mant, exp } => Some(Ld::Finite { neg, mant, exp }),
        // An exact non-zero sum of grid points cannot fall below the
        // smallest subnormal, so Zero cannot happen; keep it total anyway.
        Rounded::Zero => Some(Ld::Finite { neg, mant: 0, exp: 0 }),
        Rounded::Overflow => None,
    }
}

/// `printf("%.17Lf")` of a finite value: exact, rounded half to even.
fn fixed17(neg: bool, mant: u64, exp: i64) -> String {
    const DECIMALS: usize = 17;
    let digits = if exp >= 0 {
        Big::from_u64(mant).shl(exp as u64).mul(&Big::pow10(DECIMALS as u64))
    } else {
        let shift = (-exp) as u64;
        let scaled = Big::from_u64(mant).mul(&Big::pow10(DECIMALS as u64));
        let mut q = scaled.shr(shift);
        let rem = scaled.sub(&q.shl(shift));
        match rem.shl(1).cmp_big(&Big::pow2(shift)) {
            Ordering::Greater => q = q.add(&Big::from_u64(1)),
            Ordering::Equal if q.is_odd() => q = q.add(&Big::from_u64(1)),
            _ => {}
        }
        q
    };
    let mut text = digits.to_decimal();
    while text.len() < DECIMALS + 1 {
        text.insert(0, '0');
    }
    text.insert(text.len() - DECIMALS, '.');
    if neg {
        text.insert(0, '-');
    }
    text
}

/// Formats a finite value as INCRBYFLOAT stores it: `%.17Lf`, then trailing
/// zeros and a bare trailing point removed, and `-0` turned into `0`.
pub fn format_human(value: Ld) -> String {
    let (neg, mant, exp) = match value {
        Ld::Finite { neg, mant, exp } => (neg, mant, exp),
        Ld::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
    };
    let mut text = fixed17(neg, mant, exp);
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    if text == "-0" {
        text = "0".to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> Option<String> {
        let x = parse(a.as_bytes())?;
        let y = parse(b.as_bytes())?;
        add(x, y).map(format_human)
    }

    #[test]
    fn simple_sums() {
        assert_eq!(incr("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(incr("0", "1e3").as_deref(), Some("1000"));
        assert_eq!(incr("0x10", "0").as_deref(), Some("16"));
        assert_eq!(incr("1", "-1").as_deref(), Some("0"));
        assert_eq!(incr("-0", "-0").as_deref(), Some("0"));
        assert_eq!(incr("1", "inf"), None);
    }

    #[test]
    fn rejects_like_string2ld() {
        for bad in ["", " 1", "1 ", "abc", "nan", "1e", "0x", ".", "1e99999", "1e-99999", "--1", "1.2.3"] {
            assert_eq!(parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert!(parse(b"0e-99999").is_some());
        assert!(parse(b"+.5").is_some());
        assert!(parse(b"5.").is_some());
    }
}
