//! SORT's BY and GET patterns (Redis's lookupKeyByPattern): `#` is the element itself; otherwise
//! the first `*` is replaced by the element to name a key, whose string value is used, or, with
//! `->field` after the `*`, the value of that field of the hash at the key. Redis scans the
//! pattern as a C string, so `*`, `->` and `#` are only seen before the first NUL byte.

use crate::engine::value::Value;
use crate::engine::Ctx;

/// The part of `bytes` a C string function sees.
fn c_str(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern<'a> {
    /// `#`: the element.
    Element,
    /// No `*`: never names a key (GET replies nil, BY does not sort).
    Constant,
    /// `prefix*suffix`, optionally `->field`.
    Key { prefix: &'a [u8], suffix: &'a [u8], field: Option<&'a [u8]> },
}

impl<'a> Pattern<'a> {
    pub fn parse(pattern: &'a [u8]) -> Pattern<'a> {
        let visible = c_str(pattern);
        if visible == b"#" {
            return Pattern::Element;
        }
        let Some(star) = visible.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        // `->` after the star, followed by at least one (visible) byte, starts a field name,
        // which runs to the real end of the pattern.
        let after = &visible[star + 1..];
        let arrow = after.windows(2).position(|w| w == b"->").map(|i| star + 1 + i);
        let (suffix_end, field) = match arrow {
            Some(at) if at + 2 < visible.len() => (at, Some(&pattern[at + 2..])),
            _ => (pattern.len(), None),
        };
        Pattern::Key { prefix: &pattern[..star], suffix: &pattern[star + 1..suffix_end], field }
    }

    /// True when the pattern has a `*` (BY with such a pattern sorts).
    pub fn has_star(pattern: &[u8]) -> bool {
        c_str(pattern).contains(&b'*')
    }
}

/// The value a pattern gives for `element`, looking keys up for reading (expiring them and
/// counting hits and misses, as Redis's lookupKeyRead). `None`: no such key, a key of the wrong
/// type (a string is needed, or a hash with `->field`), a missing field, or a constant pattern.
pub fn resolve(ctx: &mut Ctx, pattern: &Pattern, element: &[u8]) -> Option<Vec<u8>> {
    let (prefix, suffix, field) = match pattern {
        Pattern::Element => return Some(element.to_vec()),
        Pattern::Constant => return None,
        Pattern::Key { prefix, suffix, field } => (prefix, suffix, field),
    };
    let mut key = Vec::with_capacity(prefix.len() + element.len() + suffix.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    match (ctx.lookup_read(&key)?, field) {
        (Value::Hash(h), Some(field)) => h.get(field).map(<[u8]>::to_vec),
        (Value::Str(s), None) => Some(s.as_bytes().into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_redis() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::parse(b"##"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"nosort"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"a\0*"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"w_*"), Pattern::Key { prefix: b"w_", suffix: b"", field: None });
        assert_eq!(Pattern::parse(b"h_*->f"), Pattern::Key { prefix: b"h_", suffix: b"", field: Some(b"f") });
        assert_eq!(Pattern::parse(b"h_*x->f->g"), Pattern::Key { prefix: b"h_", suffix: b"x", field: Some(b"f->g") });
        // A pattern ending with "->" has no field: the arrow is part of the key name.
        assert_eq!(Pattern::parse(b"h_*->"), Pattern::Key { prefix: b"h_", suffix: b"->", field: None });
        // An arrow before the star is part of the prefix.
        assert_eq!(Pattern::parse(b"a->b*"), Pattern::Key { prefix: b"a->b", suffix: b"", field: None });
        assert_eq!(Pattern::parse(b"*->f\0g"), Pattern::Key { prefix: b"", suffix: b"", field: Some(b"f\0g") });
        assert_eq!(Pattern::parse(b"*->\0g"), Pattern::Key { prefix: b"", suffix: b"->\0g", field: None });
        assert!(Pattern::has_star(b"x*"));
        assert!(!Pattern::has_star(b"x\0*"));
    }
}
