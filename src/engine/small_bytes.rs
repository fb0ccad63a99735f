//! `SmallBytes<N>`: an immutable byte string stored inline when it is at most `N` bytes long, in
//! one exact-size heap allocation otherwise.
//!
//! Why: a keyspace of a million short keys with short string values spent two heap chunks per key
//! (the key's `Vec` and the value's `Vec`), each with its allocator header and rounding, plus a
//! 24-byte `Vec` header where 16 suffice. Stored inline, a short key and a short `embstr` value
//! live inside the dictionary entry itself: no allocation to make, to free, or to dirty when the
//! value is overwritten (the write load during BGSAVE copies fewer pages).
//!
//! The representation is canonical (inline exactly when `len <= N`), and equality, ordering,
//! hashing and `Debug` all follow the bytes, never the representation.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A byte string, inline up to `N` bytes (`N` at most 255).
#[derive(Clone)]
pub enum SmallBytes<const N: usize> {
    /// `len` bytes at the start of `buf`; the rest of `buf` is zero.
    Inline { len: u8, buf: [u8; N] },
    /// Longer than `N` bytes.
    Heap(Box<[u8]>),
}

impl<const N: usize> SmallBytes<N> {
    /// The longest string kept inline.
    pub const INLINE_MAX: usize = if N < 256 { N } else { 255 };

    pub fn from_slice(bytes: &[u8]) -> Self {
        match Self::inline(bytes) {
            Some(s) => s,
            None => SmallBytes::Heap(bytes.into()),
        }
    }

    /// Takes over a `Vec` (its allocation, when the bytes are too long to be inline).
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        match Self::inline(&bytes) {
            Some(s) => s,
            None => SmallBytes::Heap(bytes.into_boxed_slice()),
        }
    }

    fn inline(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > Self::INLINE_MAX {
            return None;
        }
        let mut buf = [0u8; N];
        buf[..bytes.len()].copy_from_slice(bytes);
        Some(SmallBytes::Inline { len: bytes.len() as u8, buf })
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => &buf[..usize::from(*len)],
            SmallBytes::Heap(b) => b,
        }
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self {
            SmallBytes::Inline { .. } => self.as_slice().to_vec(),
            SmallBytes::Heap(b) => b.into_vec(),
        }
    }

    /// True when the bytes live inside the value (no heap allocation).
    pub fn is_inline(&self) -> bool {
        matches!(self, SmallBytes::Inline { .. })
    }
}

impl<const N: usize> Deref for SmallBytes<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> AsRef<[u8]> for SmallBytes<N> {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> Borrow<[u8]> for SmallBytes<N> {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> From<Vec<u8>> for SmallBytes<N> {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from_vec(bytes)
    }
}

impl<const N: usize> From<&[u8]> for SmallBytes<N> {
    fn from(bytes: &[u8]) -> Self {
        Self::from_slice(bytes)
    }
}

impl<const N: usize> PartialEq for SmallBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for SmallBytes<N> {}

impl<const N: usize> PartialEq<[u8]> for SmallBytes<N> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialOrd for SmallBytes<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for SmallBytes<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl<const N: usize> std::hash::Hash for SmallBytes<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

/// Formats as the byte list a `Vec<u8>` shows, so debug output does not depend on the storage.
impl<const N: usize> fmt::Debug for SmallBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type S = SmallBytes<22>;

    #[test]
    fn inline_exactly_up_to_n() {
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let a = S::from_slice(&bytes);
            let b = S::from_vec(bytes.clone());
            assert_eq!(a.is_inline(), len <= 22);
            assert_eq!(b.is_inline(), len <= 22);
            assert_eq!(&*a, &bytes[..]);
            assert_eq!(a, b);
            assert_eq!(format!("{a:?}"), format!("{bytes:?}"));
            assert_eq!(a.clone().into_vec(), bytes);
        }
    }

    #[test]
    fn order_follows_bytes() {
        let short = S::from_slice(b"abc");
        let long = S::from_slice(&[b'a'; 30]);
        assert!(long < short);
        assert_eq!(short.cmp(&S::from_slice(b"abc")), std::cmp::Ordering::Equal);
    }

    #[test]
    fn sizes() {
        // The sizes the keyspace layout was chosen for: a key as small as a `Vec` header, an
        // `embstr` payload no larger than the largest other value type.
        assert_eq!(std::mem::size_of::<SmallBytes<22>>(), 24);
        assert_eq!(std::mem::size_of::<SmallBytes<38>>(), 40);
    }
}
