//! `Frame`: one reply value, independent of the protocol version. The encoder maps each variant to
//! RESP2 or RESP3 the way Redis's addReply* functions do (a map is a flat array in RESP2, a double
//! a bulk string, a boolean an integer, and so on).

/// A reply value. Commands return a `Frame`; the client's protocol decides its bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text`: a status reply such as OK or PONG.
    Simple(String),
    /// `-text`: the text carries its own code (`ERR ...`, `WRONGTYPE ...`).
    Error(String),
    /// `:n`.
    Integer(i64),
    /// `$len` and bytes.
    Bulk(Vec<u8>),
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// A missing array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// `*n` and the elements.
    Array(Vec<Frame>),
    /// `%n` in RESP3; a flat array of 2n elements in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// `~n` in RESP3; an array in RESP2.
    Set(Vec<Frame>),
    /// `,d` in RESP3 (`%.17g`, `inf`, `-inf`); a bulk string in RESP2.
    Double(f64),
    /// `#t`/`#f` in RESP3; `:1`/`:0` in RESP2.
    Boolean(bool),
    /// `(digits` in RESP3; a bulk string in RESP2.
    BigNumber(String),
    /// `=len` with a three-letter format in RESP3; a bulk string of the text in RESP2.
    Verbatim(&'static str, Vec<u8>),
    /// `>n` in RESP3; an array in RESP2 (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// Bytes already encoded in the client's protocol, passed through as they are.
    Raw(Vec<u8>),
}

impl Frame {
    pub fn ok() -> Frame {
        Frame::Simple("OK".to_string())
    }

    pub fn simple(s: &str) -> Frame {
        Frame::Simple(s.to_string())
    }

    /// An error reply. `text` starts with its code, as Redis's `addReplyError*` texts do after
    /// the leading `-`. As Redis's addReplyErrorFormat, trailing CR/LF are trimmed and the ones
    /// left inside become spaces, so the reply stays one protocol line.
    pub fn error(text: impl Into<String>) -> Frame {
        let mut text: String = text.into();
        if text.starts_with('-') {
            text.remove(0);
        }
        if text.contains(['\r', '\n']) {
            let trimmed = text.trim_end_matches(['\r', '\n']);
            text = trimmed.replace(['\r', '\n'], " ");
        }
        Frame::Error(text)
    }

    /// An error reply whose CR/LF all become spaces, trailing ones included (Redis's
    /// rejectCommandFormat and the unknown-command error do not trim).
    pub fn error_untrimmed(text: impl Into<String>) -> Frame {
        Frame::Error(text.into().replace(['\r', '\n'], " "))
    }

    pub fn bulk(bytes: impl Into<Vec<u8>>) -> Frame {
        Frame::Bulk(bytes.into())
    }

    pub fn bulk_str(s: &str) -> Frame {
        Frame::Bulk(s.as_bytes().to_vec())
    }

    pub fn array_of_bulks<I, B>(items: I) -> Frame
    where
        I: IntoIterator<Item = B>,
        B: Into<Vec<u8>>,
    {
        Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.into())).collect())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// The error text, if this is an error.
    pub fn error_text(&self) -> Option<&str> {
        match self {
            Frame::Error(e) => Some(e),
            _ => None,
        }
    }
}
