//! Argument parsing shared by the command families, with Redis's error texts.

use crate::engine::errors;
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

/// An integer argument (Redis's getLongLongFromObjectOrReply).
pub fn int_arg(arg: &[u8]) -> Result<i64, Frame> {
    parse_i64(arg).ok_or_else(|| Frame::error(errors::NOT_INTEGER))
}

/// A double argument (Redis's getDoubleFromObjectOrReply): a complete number, no spaces, not NaN.
pub fn float_arg(arg: &[u8]) -> Result<f64, Frame> {
    parse_f64(arg).ok_or_else(|| Frame::error(errors::NOT_FLOAT))
}

/// Redis's string2d: strtod over the whole string, no leading space, not NaN.
pub fn parse_f64(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// Error frame from a static text.
pub fn err(text: &str) -> Frame {
    Frame::error(text)
}
