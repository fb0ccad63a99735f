//! `Packed`: a short sequence of byte strings kept in one allocation, the role Redis's listpack
//! plays for small lists, hashes and sorted sets.
//!
//! Why: a `Vec<Vec<u8>>` costs every element its own heap chunk (at least 32 bytes with glibc
//! malloc) plus a 24-byte header, so a ten-element hash of short fields took about ten times the
//! bytes of its data. That multiplied the resident size, and with it the fork's page-table copy
//! and the pages a snapshot's copy-on-write duplicates when a collection is rewritten or freed
//! (freeing one chunk touches one page; freeing twenty touches up to twenty). One allocation per
//! small collection is what Redis does, and what makes BGSAVE's costs comparable.
//!
//! Layout: entries back to back, each a LEB128 length, its bytes, and the entry's size so far
//! (length header and bytes) again as LEB128 written backwards, as a listpack's "backlen": the
//! last entry is found from the end without a walk (a list node's RPOP), and an index in the
//! back half is reached walking backwards. The buffer is a `Box<[u8]>` sized exactly (no spare
//! capacity), so every change reallocates, as a listpack does; users keep a `Packed` small (the
//! `*-max-listpack-*` limits bound it), which keeps that cheap.

/// Longest LEB128 encoding of a `usize` length.
const MAX_HEADER_BYTES: usize = 10;

/// A sequence of byte strings in one exact-size buffer.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Packed {
    buf: Box<[u8]>,
    count: u32,
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(String::from_utf8_lossy)).finish()
    }
}

/// Appends `len` as LEB128.
fn put_len(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The length at the start of `buf` and the bytes its header takes. The buffer is only ever
/// written by `put_len`, so a malformed header is a bug, not bad input.
fn get_len(buf: &[u8]) -> (usize, usize) {
    let mut len = 0usize;
    for (i, &byte) in buf.iter().enumerate().take(MAX_HEADER_BYTES) {
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (len, i + 1);
        }
    }
    unreachable!("Packed buffer holds a malformed length header");
}

/// Appends `n` as LEB128 written backwards: read from its end, it is ordinary LEB128.
fn put_back_len(out: &mut Vec<u8>, n: usize) {
    let at = out.len();
    put_len(out, n);
    out[at..].reverse();
}

/// The back-length ending at `end` (exclusive): the size of the entry before it without the
/// back-length, and the bytes the back-length takes.
fn get_back_len(buf: &[u8], end: usize) -> (usize, usize) {
    let mut n = 0usize;
    for i in 0..MAX_HEADER_BYTES {
        let byte = buf[end - 1 - i];
        n |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (n, i + 1);
        }
    }
    unreachable!("Packed buffer holds a malformed back-length");
}

/// Appends one entry: header, bytes, back-length.
fn put_entry(out: &mut Vec<u8>, entry: &[u8]) {
    put_len(out, entry.len());
    out.extend_from_slice(entry);
    put_back_len(out, header_bytes(entry.len()) + entry.len());
}

/// The bytes one entry of `len` bytes takes.
fn entry_bytes(len: usize) -> usize {
    let inner = header_bytes(len) + len;
    inner + header_bytes(inner)
}

/// The entry starting at `start`: its bytes' range and where the next entry starts.
fn entry_at(buf: &[u8], start: usize) -> (std::ops::Range<usize>, usize) {
    let (len, header) = get_len(&buf[start..]);
    let data = start + header..start + header + len;
    let next = data.end + header_bytes(header + len);
    (data, next)
}

fn header_bytes(len: usize) -> usize {
    let mut n = 1;
    let mut rest = len >> 7;
    while rest != 0 {
        n += 1;
        rest >>= 7;
    }
    n
}

impl Packed {
    pub fn new() -> Packed {
        Packed::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the buffer (headers included): what MEMORY USAGE and the size limits weigh.
    pub fn byte_len(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.buf, left: self.len() }
    }

    /// The offset where entry `index` starts (`byte_len()` for `index == len()`), walking from
    /// the nearer end.
    fn offset_of(&self, index: usize) -> usize {
        assert!(index <= self.len(), "Packed index {index} past {}", self.len());
        if index > self.len() / 2 {
            let mut offset = self.buf.len();
            for _ in index..self.len() {
                let (inner, back) = get_back_len(&self.buf, offset);
                offset -= inner + back;
            }
            return offset;
        }
        let mut offset = 0;
        for _ in 0..index {
            offset = entry_at(&self.buf, offset).1;
        }
        offset
    }

    /// Entry `index` with the byte range it occupies (header and back-length included).
    fn span(&self, index: usize) -> (usize, usize) {
        let start = self.offset_of(index);
        (start, entry_at(&self.buf, start).1)
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len() {
            return None;
        }
        let (data, _) = entry_at(&self.buf, self.offset_of(index));
        Some(&self.buf[data])
    }

    pub fn first(&self) -> Option<&[u8]> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&[u8]> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Replaces the bytes `start..end` of the buffer with `entries`, encoded, leaving a buffer of
    /// exactly the new size; `removed` entries go, `entries.len()` come. A change at the tail
    /// resizes the allocation where it is (nothing before it moves); any other change builds the
    /// new buffer in one fresh allocation, copying each byte once.
    fn splice(&mut self, start: usize, end: usize, removed: usize, entries: &[&[u8]]) {
        let added: usize = entries.iter().map(|e| entry_bytes(e.len())).sum();
        if end == self.buf.len() {
            let mut buf = std::mem::take(&mut self.buf).into_vec();
            buf.truncate(start);
            buf.reserve_exact(added);
            entries.iter().for_each(|e| put_entry(&mut buf, e));
            self.buf = buf.into_boxed_slice();
        } else {
            let mut out = Vec::with_capacity(self.buf.len() - (end - start) + added);
            out.extend_from_slice(&self.buf[..start]);
            entries.iter().for_each(|e| put_entry(&mut out, e));
            out.extend_from_slice(&self.buf[end..]);
            self.buf = out.into_boxed_slice();
        }
        let count = self.len() - removed + entries.len();
        self.count = u32::try_from(count).expect("Packed holds at most u32::MAX entries");
    }

    /// Inserts `entry` so that it becomes entry `index` (`index <= len()`).
    pub fn insert(&mut self, index: usize, entry: &[u8]) {
        let at = self.offset_of(index);
        self.splice(at, at, 0, &[entry]);
    }

    /// Inserts several entries starting at `index`, in one reallocation.
    pub fn insert_many(&mut self, index: usize, entries: &[&[u8]]) {
        let at = self.offset_of(index);
        self.splice(at, at, 0, entries);
    }

    pub fn push_back(&mut self, entry: &[u8]) {
        let end = self.buf.len();
        self.splice(end, end, 0, &[entry]);
    }

    pub fn push_front(&mut self, entry: &[u8]) {
        self.splice(0, 0, 0, &[entry]);
    }

    /// Replaces entry `index`; false when there is none.
    pub fn replace(&mut self, index: usize, entry: &[u8]) -> bool {
        if index >= self.len() {
            return false;
        }
        let (start, end) = self.span(index);
        self.splice(start, end, 1, &[entry]);
        true
    }

    /// Removes `count` entries from `index` on (clamped to the end).
    pub fn remove_range(&mut self, index: usize, count: usize) {
        let index = index.min(self.len());
        let count = count.min(self.len() - index);
        let start = self.offset_of(index);
        let mut end = start;
        for _ in 0..count {
            end = entry_at(&self.buf, end).1;
        }
        self.splice(start, end, count, &[]);
    }

    /// Removes and returns entry `index`.
    pub fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        let entry = self.get(index)?.to_vec();
        self.remove_range(index, 1);
        Some(entry)
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.remove(0)
    }

    /// Removes and returns the last entry, found from the end by its back-length (a quicklist's
    /// RPOP).
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let end = self.buf.len();
        let (inner, back) = get_back_len(&self.buf, end);
        let start = end - back - inner;
        let (data, _) = entry_at(&self.buf, start);
        let entry = self.buf[data].to_vec();
        self.splice(start, end, 1, &[]);
        Some(entry)
    }

    /// Keeps the entries for which `keep` is true, in order (one reallocation).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let kept: Packed = self.iter().filter(|e| keep(e)).collect();
        *self = kept;
    }

    /// The index of the first entry equal to `needle`, looking only at every `step`-th entry
    /// from `from` (step 2 finds the fields of a field/value sequence).
    pub fn find(&self, needle: &[u8], from: usize, step: usize) -> Option<usize> {
        assert!(step > 0);
        self.iter().enumerate().skip(from).step_by(step).find(|(_, e)| *e == needle).map(|(i, _)| i)
    }
}

impl Packed {
    /// The entries two by two (field and value, member and score), front to back; an odd last
    /// entry is left out.
    pub fn pairs(&self) -> Pairs<'_> {
        Pairs { entries: self.iter() }
    }

    /// A sequence of `a1, b1, a2, b2, ...` from pairs, in one allocation.
    pub fn from_pairs<A: AsRef<[u8]>, B: AsRef<[u8]>>(pairs: impl IntoIterator<Item = (A, B)>) -> Packed {
        // Sized first, so the buffer is allocated once (growing it reallocated it several times).
        let pairs: Vec<(A, B)> = pairs.into_iter().collect();
        let bytes = pairs.iter().map(|(a, b)| entry_bytes(a.as_ref().len()) + entry_bytes(b.as_ref().len())).sum();
        let mut out = Vec::with_capacity(bytes);
        let mut count = 0usize;
        for (a, b) in pairs {
            put_entry(&mut out, a.as_ref());
            put_entry(&mut out, b.as_ref());
            count += 2;
        }
        let count = u32::try_from(count).expect("Packed holds at most u32::MAX entries");
        Packed { buf: out.into_boxed_slice(), count }
    }
}

impl<T: AsRef<[u8]>> FromIterator<T> for Packed {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Packed {
        // Sized first, so the buffer is allocated once (growing it reallocated it several times).
        let items: Vec<T> = items.into_iter().collect();
        let mut out = Vec::with_capacity(items.iter().map(|i| entry_bytes(i.as_ref().len())).sum());
        let mut count = 0usize;
        for item in items {
            put_entry(&mut out, item.as_ref());
            count += 1;
        }
        let count = u32::try_from(count).expect("Packed holds at most u32::MAX entries");
        Packed { buf: out.into_boxed_slice(), count }
    }
}

/// The entries front to back (`Default`: an iterator over nothing).
#[derive(Clone, Default)]
pub struct Iter<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (data, next) = entry_at(self.rest, 0);
        let entry = &self.rest[data];
        self.rest = &self.rest[next..];
        self.left -= 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The entries two by two, front to back (`Packed::pairs`).
#[derive(Clone)]
pub struct Pairs<'a> {
    entries: Iter<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        if self.entries.left < 2 {
            return None;
        }
        Some((self.entries.next()?, self.entries.next()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.entries.left / 2;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

impl<'a> IntoIterator for &'a Packed {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entries(p: &Packed) -> Vec<Vec<u8>> {
        p.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn long_entries_get_multi_byte_headers() {
        let big = vec![7u8; 300];
        let p: Packed = [b"a".as_slice(), &big, b""].into_iter().collect();
        assert_eq!(p.len(), 3);
        // Each entry: header, bytes, back-length (1, 2 and 1 bytes of header; 1, 2 and 1 of back-length).
        assert_eq!(p.byte_len(), (1 + 1 + 1) + (2 + 300 + 2) + (1 + 1));
        assert_eq!(p.get(1), Some(big.as_slice()));
        assert_eq!(p.get(2), Some(b"".as_slice()));
        assert_eq!(p.get(3), None);
        assert_eq!(p.last(), Some(b"".as_slice()));
    }

    #[test]
    fn find_steps_over_values() {
        let p: Packed = ["f1", "f2", "f2", "v2"].into_iter().collect();
        assert_eq!(p.find(b"f2", 0, 2), Some(2));
        assert_eq!(p.find(b"v2", 0, 2), None);
        assert_eq!(p.find(b"v2", 1, 2), Some(3));
    }

    #[test]
    fn pairs_go_two_by_two() {
        let p = Packed::from_pairs([("f1", "v1"), ("", "v2")]);
        assert_eq!(p.len(), 4);
        let pairs: Vec<(&[u8], &[u8])> = p.pairs().collect();
        assert_eq!(pairs, vec![(&b"f1"[..], &b"v1"[..]), (&b""[..], &b"v2"[..])]);
        assert_eq!(p.pairs().len(), 2);
        let odd: Packed = ["a", "b", "c"].into_iter().collect();
        assert_eq!(odd.pairs().count(), 1);
        assert_eq!(Packed::new().pairs().count(), 0);
        let same: Packed = ["f1", "v1", "", "v2"].into_iter().collect();
        assert_eq!(p, same);
    }

    #[derive(Clone, Debug)]
    enum Step {
        PushBack(Vec<u8>),
        PushFront(Vec<u8>),
        Insert(usize, Vec<u8>),
        Replace(usize, Vec<u8>),
        Remove(usize),
        RemoveRange(usize, usize),
        PopBack,
        RetainShort,
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![proptest::collection::vec(any::<u8>(), 0..4), proptest::collection::vec(any::<u8>(), 120..140)]
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            bytes().prop_map(Step::PushBack),
            bytes().prop_map(Step::PushFront),
            (0usize..20, bytes()).prop_map(|(i, b)| Step::Insert(i, b)),
            (0usize..20, bytes()).prop_map(|(i, b)| Step::Replace(i, b)),
            (0usize..20).prop_map(Step::Remove),
            (0usize..20, 0usize..5).prop_map(|(i, n)| Step::RemoveRange(i, n)),
            Just(Step::PopBack),
            Just(Step::RetainShort),
        ]
    }

    proptest! {
        /// Every operation does to a `Packed` what it does to a `Vec<Vec<u8>>`.
        #[test]
        fn behaves_as_a_vec_of_vecs(steps in proptest::collection::vec(step(), 0..40)) {
            let mut p = Packed::new();
            let mut v: Vec<Vec<u8>> = Vec::new();
            for s in steps {
                match s {
                    Step::PushBack(b) => { p.push_back(&b); v.push(b); }
                    Step::PushFront(b) => { p.push_front(&b); v.insert(0, b); }
                    Step::Insert(i, b) => { let i = i.min(v.len()); p.insert(i, &b); v.insert(i, b); }
                    Step::Replace(i, b) => {
                        prop_assert_eq!(p.replace(i, &b), i < v.len());
                        if i < v.len() { v[i] = b; }
                    }
                    Step::Remove(i) => {
                        let expected = (i < v.len()).then(|| v.remove(i));
                        prop_assert_eq!(p.remove(i), expected);
                    }
                    Step::RemoveRange(i, n) => {
                        let i = i.min(v.len());
                        let n = n.min(v.len() - i);
                        p.remove_range(i, n);
                        v.drain(i..i + n);
                    }
                    Step::PopBack => prop_assert_eq!(p.pop_back(), v.pop()),
                    Step::RetainShort => { p.retain(|e| e.len() < 3); v.retain(|e| e.len() < 3); }
                }
                prop_assert_eq!(entries(&p), v.clone());
                prop_assert_eq!(p.len(), v.len());
                let bytes: usize = v.iter().map(|e| entry_bytes(e.len())).sum();
                prop_assert_eq!(p.byte_len(), bytes);
            }
        }
    }
}
