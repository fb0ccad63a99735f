//! Number and string conversions with the exact rules of Redis's C helpers (memtoull, strtoll,
//! string2d, sdscatrepr, the memory formatting of CONFIG REWRITE). Redis accepts and rejects
//! configuration values by these rules, so verdis must follow them byte for byte.

/// C's isspace for the ASCII set.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// C's isprint for the ASCII set.
fn is_c_print(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

/// Redis's memtoull: digits followed by an optional unit (b, k, kb, m, mb, g, gb, any case).
/// `k`, `m`, `g` are powers of 1000, `kb`, `mb`, `gb` powers of 1024. As in C, an empty digit
/// run counts as 0 and an overflowing number saturates before the unit multiplies (wrapping).
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = s[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits >= 128 {
        return None;
    }
    let mut val: u64 = 0;
    for &d in &s[..digits] {
        val = val.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(val.wrapping_mul(mul))
}

/// C's strtoll in `radix` (8 or 10): leading spaces, an optional sign, digits. Returns the value
/// (saturated on overflow), whether it overflowed, and how many bytes were consumed (0 when no
/// digit was found, as C's endptr is then the start).
pub fn c_strtoll(s: &[u8], radix: u32) -> (i64, bool, usize) {
    let mut p = 0;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    let mut neg = false;
    if p < s.len() && (s[p] == b'+' || s[p] == b'-') {
        neg = s[p] == b'-';
        p += 1;
    }
    let start = p;
    let mut mag: u128 = 0;
    let mut overflow = false;
    while p < s.len() {
        let Some(d) = (s[p] as char).to_digit(radix) else {
            break;
        };
        mag = mag * u128::from(radix) + u128::from(d);
        if mag > 1u128 << 64 {
            mag = 1u128 << 64;
            overflow = true;
        }
        p += 1;
    }
    if p == start {
        return (0, false, 0);
    }
    let value = if neg {
        if mag > 1u128 << 63 {
            overflow = true;
            i64::MIN
        } else {
            (-(mag as i128)) as i64
        }
    } else if mag > i64::MAX as u128 {
        overflow = true;
        i64::MAX
    } else {
        mag as i64
    };
    (value, overflow, p)
}

/// strtoll over the whole string with C's "endptr at the end" check and no errno check (the
/// way Redis validates `save` and `client-output-buffer-limit` numbers). An empty string is 0.
pub fn strtoll_whole(s: &[u8]) -> Option<i64> {
    let (v, _, end) = c_strtoll(s, 10);
    (end == s.len()).then_some(v)
}

/// Redis's string2d: strtod over the whole string, no leading or trailing space, not NaN, and
/// no underflow to zero or overflow to infinity from a finite-looking text.
pub fn string2d(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || s.first().is_some_and(|&b| is_c_space(b)) || s.last().is_some_and(|&b| is_c_space(b)) {
        return None;
    }
    let v: f64 = match text.parse() {
        Ok(v) => v,
        Err(_) => parse_hex_float(text)?,
    };
    if v.is_nan() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let spelled_inf = lower.trim_start_matches(['+', '-']).starts_with("inf");
    if v.is_infinite() && !spelled_inf {
        return None;
    }
    Some(v)
}

/// C strtod's hexadecimal form: `[+-]0x<hex digits>[.<hex digits>][p[+-]<decimal exponent>]`.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (neg, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let rest = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X"))?;
    let (mantissa, exponent) = match rest.find(['p', 'P']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars().chain(frac_part.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut exp2: i64 = -4 * frac_part.len() as i64;
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let magnitude: i64 = digits.parse().unwrap_or(i64::from(i32::MAX)).min(i64::from(i32::MAX));
        exp2 += if e.starts_with('-') { -magnitude } else { magnitude };
    }
    let scaled = value * 2f64.powi(exp2.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
    Some(if neg { -scaled } else { scaled })
}

/// sdscatrepr: the value in double quotes with C escapes, as CONFIG REWRITE writes strings.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b if is_c_print(b) => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// CONFIG REWRITE's memory notation: the largest of gb, mb, kb that divides the value.
pub fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// `%f` followed by Redis's trimDoubleString: six decimals, then trailing zeros and a trailing
/// dot removed.
pub fn format_percentile(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// Joins `path` to the directory `base` and removes `.` and `..` components, without touching
/// the file system (used when no host hook resolves `dir`).
pub fn lexical_dir(base: &str, path: &str) -> String {
    let joined = if path.starts_with('/') || base.is_empty() { path.to_string() } else { format!("{base}/{path}") };
    let absolute = joined.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    if absolute {
        format!("/{body}")
    } else if body.is_empty() {
        ".".to_string()
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2mb"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull(b"1g"), Some(1_000_000_000));
        assert_eq!(memtoull(b"1Gb"), Some(1 << 30));
        assert_eq!(memtoull(b"100b"), Some(100));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"kb"), Some(0));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1x"), None);
        assert_eq!(memtoull(b"1 kb"), None);
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn strtoll_rules() {
        assert_eq!(strtoll_whole(b"10"), Some(10));
        assert_eq!(strtoll_whole(b""), Some(0));
        assert_eq!(strtoll_whole(b" +5"), Some(5));
        assert_eq!(strtoll_whole(b"5x"), None);
        assert_eq!(strtoll_whole(b"x"), None);
        assert_eq!(c_strtoll(b"777", 8), (511, false, 3));
        assert!(c_strtoll(b"99999999999999999999", 10).1);
        assert_eq!(c_strtoll(b"-9223372036854775808", 10), (i64::MIN, false, 20));
    }

    #[test]
    fn formats() {
        assert_eq!(repr(b"s\"e\n\x01"), "\"s\\\"e\\n\\x01\"");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 * 1024 * 1024), "3mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(100.0), "100");
        assert_eq!(format_percentile(0.001), "0.001");
        assert_eq!(lexical_dir("/a/b", "../c/./d"), "/a/c/d");
        assert_eq!(lexical_dir("/a", "/x/.."), "/");
        assert_eq!(string2d(b"99.9"), Some(99.9));
        assert_eq!(string2d(b" 1"), None);
        assert_eq!(string2d(b"nan"), None);
        assert_eq!(string2d(b"1e999"), None);
        assert_eq!(string2d(b"0x10"), Some(16.0));
        assert_eq!(string2d(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(string2d(b"0x"), None);
    }
}
