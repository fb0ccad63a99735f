//! Encoding a `Frame` as RESP2 or RESP3 bytes, as Redis's networking.c writes them.

use super::Frame;

/// Appends the encoding of `frame` for protocol version `resp` (2 or 3) to `out`.
pub fn encode(frame: &Frame, resp: u8, out: &mut Vec<u8>) {
    debug_assert!(resp == 2 || resp == 3);
    match frame {
        Frame::Simple(s) => line(out, b'+', s.as_bytes()),
        Frame::Error(s) => line(out, b'-', s.as_bytes()),
        // (`line` keeps the reply one protocol line whatever the text holds.)
        Frame::Integer(n) => {
            out.push(b':');
            push_int(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Frame::Bulk(b) => bulk(out, b),
        Frame::Null => out.extend_from_slice(if resp == 2 { b"$-1\r\n" } else { b"_\r\n" }),
        Frame::NullArray => out.extend_from_slice(if resp == 2 { b"*-1\r\n" } else { b"_\r\n" }),
        Frame::Array(items) => {
            header(out, b'*', items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Frame::Map(pairs) => {
            if resp == 2 {
                header(out, b'*', pairs.len() * 2);
            } else {
                header(out, b'%', pairs.len());
            }
            for (k, v) in pairs {
                encode(k, resp, out);
                encode(v, resp, out);
            }
        }
        Frame::Set(items) => {
            header(out, if resp == 2 { b'*' } else { b'~' }, items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Frame::Push(items) => {
            header(out, if resp == 2 { b'*' } else { b'>' }, items.len());
            for item in items {
                encode(item, resp, out);
            }
        }
        Frame::Double(d) => {
            let text = format_double(*d);
            if resp == 2 {
                bulk(out, text.as_bytes());
            } else {
                line(out, b',', text.as_bytes());
            }
        }
        Frame::Boolean(b) => {
            if resp == 2 {
                out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
            } else {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
            }
        }
        Frame::BigNumber(s) => {
            if resp == 2 {
                bulk(out, s.as_bytes());
            } else {
                line(out, b'(', s.as_bytes());
            }
        }
        Frame::Verbatim(format, text) => {
            if resp == 2 {
                bulk(out, text);
            } else {
                debug_assert_eq!(format.len(), 3);
                header(out, b'=', text.len() + 4);
                out.extend_from_slice(format.as_bytes());
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
        }
        Frame::Raw(bytes) => out.extend_from_slice(bytes),
    }
}

/// A one-line reply. CR and LF inside the text would end the line early and desynchronise the
/// client, so they are sent as spaces (Redis sanitises error texts the same way).
fn line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    } else {
        out.extend_from_slice(text);
    }
    out.extend_from_slice(b"\r\n");
}

fn header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    push_int(out, len as i64);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    header(out, b'$', bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal. Written by hand rather than with `write!`, which goes through the
/// formatting machinery: every reply header and integer reply passes here.
fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut rest = n.unsigned_abs();
    let mut start = digits.len();
    // At most 20 digits for a u64, so the loop runs at most 20 times.
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Formats a double as C's `printf("%.17g")` does, with Redis's `inf`/`-inf` and `nan`.
/// This is how Redis replies with doubles (addReplyDouble).
pub fn format_double(d: f64) -> String {
    format_g(d, 17)
}

/// C's `%.<precision>g`: the shortest of `%e` and `%f` forms with `precision` significant digits,
/// trailing zeros removed.
pub fn format_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    let p = precision.max(1);
    if d == 0.0 {
        return if d.is_sign_negative() { "-0".to_string() } else { "0".to_string() };
    }
    // The exponent C would print in %e form with p significant digits.
    let e_form = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = e_form.split_once('e').unwrap_or((&e_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_c() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(100.0), "100");
        assert_eq!(format_double(1e17), "1e+17");
        assert_eq!(format_double(1e16), "10000000000000000");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "1.0000000000000001e-05");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(f64::INFINITY), "inf");
    }

    #[test]
    fn resp2_and_resp3() {
        let mut out = Vec::new();
        encode(&Frame::Map(vec![(Frame::bulk_str("a"), Frame::Integer(1))]), 2, &mut out);
        assert_eq!(out, b"*2\r\n$1\r\na\r\n:1\r\n");
        out.clear();
        encode(&Frame::Map(vec![(Frame::bulk_str("a"), Frame::Integer(1))]), 3, &mut out);
        assert_eq!(out, b"%1\r\n$1\r\na\r\n:1\r\n");
        out.clear();
        encode(&Frame::Null, 3, &mut out);
        assert_eq!(out, b"_\r\n");
    }

    #[test]
    fn integers() {
        for n in [0, 7, -7, 10, 1234567890, i64::MAX, i64::MIN, -1] {
            let mut out = Vec::new();
            encode(&Frame::Integer(n), 2, &mut out);
            assert_eq!(out, format!(":{n}\r\n").into_bytes());
        }
    }
}
