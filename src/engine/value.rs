//! Values stored in the keyspace. One enum over the types; each type keeps the representation
//! that lets OBJECT ENCODING answer as Redis would.

pub use super::set_value::SetValue;
use crate::resp::parse::parse_i64;
use std::borrow::Cow;

pub use super::list::ListValue;
use super::small_bytes::SmallBytes;

/// The bytes of an `embstr` value: inline up to 38 bytes, which keeps `StrValue` at 40 bytes, no
/// larger than the other value types, so a short string costs no heap allocation of its own.
/// Redis's embstr limit (44) is larger; the few `embstr` values of 39 to 44 bytes take one
/// exact-size allocation.
pub type EmbBytes = SmallBytes<38>;

/// The longest string Redis stores as `embstr` (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_MAX_BYTES: usize = 44;

/// A string value, in Redis's three encodings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrValue {
    /// A decimal integer that round-trips exactly (`int`).
    Int(i64),
    /// A short string stored with its object (`embstr`).
    Emb(EmbBytes),
    /// A string that was modified in place or is long (`raw`).
    Raw(Vec<u8>),
}

impl StrValue {
    /// The encoding Redis gives a string argument stored as a value (tryObjectEncoding).
    pub fn from_bytes(bytes: Vec<u8>) -> StrValue {
        if bytes.len() <= 20 {
            if let Some(n) = parse_i64(&bytes) {
                return StrValue::Int(n);
            }
        }
        StrValue::from_bytes_no_int(bytes)
    }

    /// A value created by Redis with createStringObject (no integer encoding attempted).
    pub fn from_bytes_no_int(bytes: Vec<u8>) -> StrValue {
        if bytes.len() <= EMBSTR_MAX_BYTES {
            StrValue::Emb(EmbBytes::from_vec(bytes))
        } else {
            StrValue::Raw(bytes)
        }
    }

    /// An `embstr` value (the caller has checked the length against `EMBSTR_MAX_BYTES`).
    pub fn emb(bytes: &[u8]) -> StrValue {
        StrValue::Emb(EmbBytes::from_slice(bytes))
    }

    /// The stored bytes of a string-encoded value; `None` for an integer-encoded one.
    pub fn as_slice(&self) -> Option<&[u8]> {
        match self {
            StrValue::Int(_) => None,
            StrValue::Emb(b) => Some(b),
            StrValue::Raw(b) => Some(b),
        }
    }

    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            StrValue::Int(n) => Cow::Owned(n.to_string().into_bytes()),
            StrValue::Emb(b) => Cow::Borrowed(b),
            StrValue::Raw(b) => Cow::Borrowed(b),
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            StrValue::Int(n) => n.to_string().into_bytes(),
            StrValue::Emb(b) => b.into_vec(),
            StrValue::Raw(b) => b,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => n.to_string().len(),
            StrValue::Emb(b) => b.len(),
            StrValue::Raw(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, made `raw` for in-place modification (APPEND, SETRANGE, SETBIT do this).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Raw(_)) {
            let bytes = std::mem::replace(self, StrValue::Raw(Vec::new())).into_bytes();
            *self = StrValue::Raw(bytes);
        }
        match self {
            StrValue::Raw(b) => b,
            _ => unreachable!("just made raw"),
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Emb(_) => "embstr",
            StrValue::Raw(_) => "raw",
        }
    }
}

/// A value of any type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(ListValue),
    /// A set (`intset` or `hashtable`).
    Set(SetValue),
    ZSet(super::zset::ZSet),
    Hash(super::hash::Hash),
    /// A stream (always `stream` encoded).
    Stream(Box<super::stream::Stream>),
}

impl Value {
    pub fn str(bytes: Vec<u8>) -> Value {
        Value::Str(StrValue::from_bytes(bytes))
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Hash(_) => "hash",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// The amount of work freeing this value takes, as Redis's lazyfreeGetFreeEffort counts it
    /// (used by lazy free to decide between freeing now and in the background).
    pub fn free_effort(&self) -> usize {
        match self {
            Value::Str(_) => 1,
            Value::List(l) => l.free_effort(),
            Value::Set(s) => s.free_effort(),
            Value::ZSet(z) => z.free_effort(),
            Value::Hash(h) => h.free_effort(),
            Value::Stream(s) => s.free_effort(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embstr_exactly_as_redis_whatever_the_storage() {
        for len in [0usize, 1, 21, 37, 38, 39, 44, 45, 100] {
            let bytes = vec![b'x'; len];
            let v = StrValue::from_bytes(bytes.clone());
            assert_eq!(v.encoding(), if len <= EMBSTR_MAX_BYTES { "embstr" } else { "raw" }, "len {len}");
            assert_eq!(&*v.as_bytes(), &bytes[..]);
            assert_eq!(v.as_slice(), Some(&bytes[..]));
            assert_eq!(v.len(), len);
            if let StrValue::Emb(b) = &v {
                assert_eq!(b.is_inline(), len <= 38, "len {len}");
            }
            let mut raw = v.clone();
            raw.make_raw().push(b'y');
            assert_eq!(raw.encoding(), "raw");
            assert_eq!(raw.len(), len + 1);
            assert_eq!(v.into_bytes(), bytes);
        }
        assert_eq!(StrValue::from_bytes(b"12".to_vec()).as_slice(), None);
        assert_eq!(StrValue::emb(b"12").encoding(), "embstr");
    }

    #[test]
    fn short_strings_cost_no_room_beyond_the_other_types() {
        // An inline `embstr` must not make `Value` larger than the largest other type does.
        assert_eq!(std::mem::size_of::<StrValue>(), 40);
        assert!(std::mem::size_of::<Value>() <= 48, "Value grew to {}", std::mem::size_of::<Value>());
    }
}
