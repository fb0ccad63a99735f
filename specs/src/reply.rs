//! The model's own reply type.
//!
//! It is deliberately independent of the engine's `Frame`: a test that
//! compares the two converts one into the other. Like the engine's frame it is
//! protocol-neutral: `Map`, `Set`, `Double`, `Bool` are what Redis's
//! `addReplyMapLen`/`addReplySetLen`/`addReplyDouble`/`addReplyBool` produce,
//! and the RESP2/RESP3 wire difference is left to the encoder.

use std::fmt;

/// A reply as the model predicts it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A simple string (`+OK`, `+PONG`, `+string`).
    Status(String),
    /// An error line without the leading `-`, e.g. `ERR syntax error`.
    /// Client-supplied bytes inside error texts are converted lossily to UTF-8.
    Error(String),
    /// An integer reply.
    Int(i64),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Nil,
    /// An array.
    Array(Vec<Reply>),
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NilArray,
    /// A map (a flat array of pairs in RESP2).
    Map(Vec<(Reply, Reply)>),
    /// A set (an array in RESP2).
    Set(Vec<Reply>),
    /// A double (a bulk string in RESP2).
    Double(f64),
    /// A boolean (an integer 0/1 in RESP2).
    Bool(bool),
}

impl Reply {
    /// `+OK`.
    pub fn ok() -> Reply {
        Reply::Status("OK".to_string())
    }

    /// An `ERR`-prefixed error with the given message.
    pub fn err(msg: &str) -> Reply {
        Reply::Error(format!("ERR {msg}"))
    }

    /// A bulk reply from anything byte-like.
    pub fn bulk(bytes: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(bytes.as_ref().to_vec())
    }

    /// True for error replies.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The reply as a RESP2 client decodes it: maps become flat arrays, sets
    /// arrays, booleans integers, doubles bulk strings.
    pub fn resp2_shape(&self) -> Reply {
        match self {
            Reply::Map(pairs) => {
                Reply::Array(pairs.iter().flat_map(|(k, v)| [k.resp2_shape(), v.resp2_shape()]).collect())
            }
            Reply::Array(items) | Reply::Set(items) => Reply::Array(items.iter().map(Reply::resp2_shape).collect()),
            Reply::Bool(b) => Reply::Int(i64::from(*b)),
            Reply::Double(d) => Reply::Bulk(d.to_string().into_bytes()),
            other => other.clone(),
        }
    }

    /// Equal, or equal once this reply is in the RESP2 shape `actual` may
    /// have been decoded from.
    pub fn same_as(&self, actual: &Reply) -> bool {
        self == actual || self.resp2_shape() == *actual
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Status(s) => write!(f, "+{s}"),
            Reply::Error(s) => write!(f, "-{s}"),
            Reply::Int(n) => write!(f, ":{n}"),
            Reply::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Reply::Nil => write!(f, "(nil)"),
            Reply::NilArray => write!(f, "(nil array)"),
            Reply::Double(d) => write!(f, ",{d}"),
            Reply::Bool(b) => write!(f, "#{}", if *b { 't' } else { 'f' }),
            Reply::Array(items) | Reply::Set(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Reply::Map(pairs) => {
                write!(f, "{{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

/// C's `%.17g`, which Redis uses to print doubles (RESP2 bulk strings, RESP3 `,` replies,
/// scores in text): `inf`, `-inf` and `-0` included.
pub fn format_double(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // 17 significant digits, exactly rounded: d.dddddddddddddddde<exp>.
    let sci = format!("{:.16e}", x);
    let (digits, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..17).contains(&exp) {
        let m = trim(digits.to_string());
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        trim(format!("{:.*}", (16 - exp) as usize, x))
    }
}
