//! The packed encodings Redis stores inside RDB values, decoded with full validation (every entry
//! checked, as Redis's deep integrity check): ziplist (Redis 3.2-6.2), listpack (7.0+), intset and
//! zipmap (before 2.6). Each parser walks the blob once, bounded by its length, and never trusts a
//! stored count or offset without checking it against the bytes.

/// One element of a ziplist or listpack: packed encodings store integers as integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elem {
    Int(i64),
    Str(Vec<u8>),
}

impl Elem {
    /// The element as Redis returns it: integers in decimal.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Elem::Int(n) => n.to_string().into_bytes(),
            Elem::Str(s) => s,
        }
    }

    /// The element as an integer, if it is one or is a string holding one (as lpGetIntegerValue).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Elem::Int(n) => Some(*n),
            Elem::Str(s) => std::str::from_utf8(s).ok().and_then(|t| crate::resp::parse::parse_i64(t.as_bytes())),
        }
    }

    /// The element as a score (zset packed encodings store scores as strings or integers).
    pub fn as_score(&self) -> Option<f64> {
        match self {
            Elem::Int(n) => Some(*n as f64),
            Elem::Str(s) => parse_score(s),
        }
    }
}

/// A score as strtod reads it ("inf", "-inf", "nan" included); None if it is not a number.
pub fn parse_score(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?.trim();
    match t.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    t.parse::<f64>().ok()
}

type R<T> = Result<T, &'static str>;

fn le_u16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// A little-endian signed integer of `b.len()` bytes (1 to 8).
fn le_signed(b: &[u8]) -> i64 {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate() {
        v |= u64::from(byte) << (8 * i);
    }
    let shift = 64 - 8 * b.len() as u32;
    ((v << shift) as i64) >> shift
}

/// Decodes a ziplist: `zlbytes u32 | zltail u32 | zllen u16 | entries | 0xff`.
pub fn ziplist(blob: &[u8]) -> R<Vec<Elem>> {
    const HEADER: usize = 10;
    if blob.len() < HEADER + 1 {
        return Err("ziplist shorter than its header");
    }
    if le_u32(&blob[0..4]) as usize != blob.len() {
        return Err("ziplist size does not match its header");
    }
    let tail = le_u32(&blob[4..8]) as usize;
    let count = le_u16(&blob[8..10]);
    if *blob.last().unwrap_or(&0) != 0xff {
        return Err("ziplist does not end with its terminator");
    }
    let end = blob.len() - 1;
    let mut out = Vec::new();
    let mut p = HEADER;
    let mut prev_len = 0usize;
    let mut last_start = HEADER;
    while p < end {
        let start = p;
        // prevlen: one byte, or 0xfe and four bytes.
        let prev = if blob[p] < 0xfe {
            p += 1;
            blob[start] as usize
        } else if blob[p] == 0xfe {
            let b = blob.get(p + 1..p + 5).ok_or("ziplist prevlen out of range")?;
            p += 5;
            le_u32(b) as usize
        } else {
            return Err("ziplist entry starts with the terminator byte");
        };
        if prev != prev_len {
            return Err("ziplist prevlen does not match the previous entry");
        }
        let enc = *blob.get(p).ok_or("ziplist entry out of range")?;
        let elem = match enc >> 6 {
            0 => {
                let len = (enc & 0x3f) as usize;
                p += 1;
                Elem::Str(take(blob, &mut p, len, end)?.to_vec())
            }
            1 => {
                let b1 = *blob.get(p + 1).ok_or("ziplist entry out of range")?;
                let len = (((enc & 0x3f) as usize) << 8) | b1 as usize;
                p += 2;
                Elem::Str(take(blob, &mut p, len, end)?.to_vec())
            }
            2 => {
                if enc != 0x80 {
                    return Err("ziplist invalid string encoding");
                }
                let b = blob.get(p + 1..p + 5).ok_or("ziplist entry out of range")?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                p += 5;
                Elem::Str(take(blob, &mut p, len, end)?.to_vec())
            }
            _ => {
                p += 1;
                let width = match enc {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return Err("ziplist invalid integer encoding"),
                };
                if width == 0 {
                    Elem::Int(i64::from(enc & 0x0f) - 1)
                } else {
                    Elem::Int(le_signed(take(blob, &mut p, width, end)?))
                }
            }
        };
        out.push(elem);
        prev_len = p - start;
        last_start = start;
    }
    if p != end {
        return Err("ziplist entries overrun the terminator");
    }
    if tail != last_start {
        return Err("ziplist tail offset does not point at the last entry");
    }
    if count != u16::MAX && count as usize != out.len() {
        return Err("ziplist entry count does not match its header");
    }
    Ok(out)
}

/// `len` bytes at `*p`, which must end at or before `end`.
fn take<'a>(blob: &'a [u8], p: &mut usize, len: usize, end: usize) -> R<&'a [u8]> {
    let stop = p.checked_add(len).filter(|&s| s <= end).ok_or("entry runs past the end")?;
    let s = &blob[*p..stop];
    *p = stop;
    Ok(s)
}

/// Decodes a listpack: `total u32 | count u16 | entries | 0xff`, each entry followed by its
/// length encoded backwards (the "backlen").
pub fn listpack(blob: &[u8]) -> R<Vec<Elem>> {
    const HEADER: usize = 6;
    if blob.len() < HEADER + 1 {
        return Err("listpack shorter than its header");
    }
    if le_u32(&blob[0..4]) as usize != blob.len() {
        return Err("listpack size does not match its header");
    }
    let count = le_u16(&blob[4..6]);
    let end = blob.len() - 1;
    if blob[end] != 0xff {
        return Err("listpack does not end with its terminator");
    }
    // The header's count is at most 65535 (u16::MAX: unknown), and each entry takes 2 bytes or
    // more, so this reserves a bounded amount.
    let mut out = Vec::with_capacity(usize::from(count).min(blob.len() / 2));
    let mut p = HEADER;
    while p < end {
        let start = p;
        let b = blob[p];
        let elem = if b & 0x80 == 0 {
            p += 1;
            Elem::Int(i64::from(b))
        } else if b & 0xc0 == 0x80 {
            p += 1;
            Elem::Str(take(blob, &mut p, (b & 0x3f) as usize, end)?.to_vec())
        } else if b & 0xe0 == 0xc0 {
            let b1 = *blob.get(p + 1).filter(|_| p + 1 < end).ok_or("listpack entry out of range")?;
            p += 2;
            let v = (i64::from(b & 0x1f) << 8) | i64::from(b1);
            Elem::Int(if v >= 1 << 12 { v - (1 << 13) } else { v })
        } else if b & 0xf0 == 0xe0 {
            let b1 = *blob.get(p + 1).filter(|_| p + 1 < end).ok_or("listpack entry out of range")?;
            p += 2;
            let len = ((usize::from(b & 0x0f)) << 8) | usize::from(b1);
            Elem::Str(take(blob, &mut p, len, end)?.to_vec())
        } else {
            p += 1;
            match b {
                0xf0 => {
                    let l = take(blob, &mut p, 4, end)?;
                    let len = le_u32(l) as usize;
                    Elem::Str(take(blob, &mut p, len, end)?.to_vec())
                }
                0xf1 => Elem::Int(le_signed(take(blob, &mut p, 2, end)?)),
                0xf2 => Elem::Int(le_signed(take(blob, &mut p, 3, end)?)),
                0xf3 => Elem::Int(le_signed(take(blob, &mut p, 4, end)?)),
                0xf4 => Elem::Int(le_signed(take(blob, &mut p, 8, end)?)),
                _ => return Err("listpack invalid entry encoding"),
            }
        };
        let entry_len = p - start;
        let mut back = [0u8; 5];
        let back_len = encode_backlen(entry_len, &mut back);
        // Compared byte by byte: a slice comparison calls memcmp for these one or two bytes.
        let got = take(blob, &mut p, back_len, end)?;
        if got.iter().zip(&back).any(|(a, b)| a != b) {
            return Err("listpack entry backlen does not match");
        }
        out.push(elem);
    }
    if count != u16::MAX && count as usize != out.len() {
        return Err("listpack entry count does not match its header");
    }
    Ok(out)
}

/// Listpack's backwards-readable entry length: 7 bits per byte, the first byte holding the
/// highest bits, every byte but the first with its top bit set.
fn encode_backlen(len: usize, out: &mut [u8; 5]) -> usize {
    let n = match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((len >> shift) & 127) as u8;
        *slot = if i == 0 { bits } else { bits | 128 };
    }
    n
}

/// Decodes an intset: `encoding u32 (2, 4 or 8) | length u32 | members`, strictly ascending.
pub fn intset(blob: &[u8]) -> R<Vec<i64>> {
    if blob.len() < 8 {
        return Err("intset shorter than its header");
    }
    let width = le_u32(&blob[0..4]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset invalid encoding");
    }
    let count = le_u32(&blob[4..8]) as usize;
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err("intset size does not match its header");
    }
    if count == 0 {
        return Err("intset is empty");
    }
    let mut out = Vec::with_capacity(count);
    for chunk in blob[8..].chunks_exact(width) {
        let v = le_signed(chunk);
        if out.last().is_some_and(|&prev| v <= prev) {
            return Err("intset members out of order or duplicated");
        }
        out.push(v);
    }
    Ok(out)
}

/// Decodes a zipmap (hashes before Redis 2.6): `count u8 | (len key len free value pad)* | 0xff`.
pub fn zipmap(blob: &[u8]) -> R<Vec<(Vec<u8>, Vec<u8>)>> {
    if blob.len() < 2 || blob[blob.len() - 1] != 0xff {
        return Err("zipmap does not end with its terminator");
    }
    let end = blob.len() - 1;
    let mut p = 1;
    let mut out = Vec::new();
    let read_len = |p: &mut usize| -> R<usize> {
        let b = *blob.get(*p).filter(|_| *p < end).ok_or("zipmap entry out of range")?;
        if b < 254 {
            *p += 1;
            Ok(b as usize)
        } else if b == 254 {
            let l = blob.get(*p + 1..*p + 5).filter(|_| *p + 5 <= end).ok_or("zipmap entry out of range")?;
            *p += 5;
            Ok(le_u32(l) as usize)
        } else {
            Err("zipmap length is the terminator")
        }
    };
    while p < end {
        let klen = read_len(&mut p)?;
        let key = take(blob, &mut p, klen, end)?.to_vec();
        let vlen = read_len(&mut p)?;
        let free = *blob.get(p).filter(|_| p < end).ok_or("zipmap entry out of range")? as usize;
        p += 1;
        let value = take(blob, &mut p, vlen, end)?.to_vec();
        take(blob, &mut p, free, end)?;
        out.push((key, value));
    }
    if out.is_empty() {
        return Err("zipmap is empty");
    }
    if blob[0] != 254 && blob[0] as usize != out.len() {
        return Err("zipmap count does not match its header");
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a listpack from elements, as Redis's lpAppend would encode them.
    pub fn make_listpack(elems: &[Elem]) -> Vec<u8> {
        let mut body = Vec::new();
        for e in elems {
            let start = body.len();
            match e {
                Elem::Int(v) => {
                    let v = *v;
                    if (0..=127).contains(&v) {
                        body.push(v as u8);
                    } else if (-4096..=4095).contains(&v) {
                        let u = (v as u16) & 0x1fff;
                        body.push(0xc0 | (u >> 8) as u8);
                        body.push(u as u8);
                    } else if i64::from(i16::MIN) <= v && v <= i64::from(i16::MAX) {
                        body.push(0xf1);
                        body.extend_from_slice(&(v as i16).to_le_bytes());
                    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
                        body.push(0xf2);
                        body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                    } else if i64::from(i32::MIN) <= v && v <= i64::from(i32::MAX) {
                        body.push(0xf3);
                        body.extend_from_slice(&(v as i32).to_le_bytes());
                    } else {
                        body.push(0xf4);
                        body.extend_from_slice(&v.to_le_bytes());
                    }
                }
                Elem::Str(s) => {
                    if s.len() < 64 {
                        body.push(0x80 | s.len() as u8);
                    } else if s.len() < 4096 {
                        body.push(0xe0 | (s.len() >> 8) as u8);
                        body.push(s.len() as u8);
                    } else {
                        body.push(0xf0);
                        body.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    }
                    body.extend_from_slice(s);
                }
            }
            let mut back = [0u8; 5];
            let n = encode_backlen(body.len() - start, &mut back);
            body.extend_from_slice(&back[..n]);
        }
        let mut lp = Vec::new();
        lp.extend_from_slice(&((body.len() + 7) as u32).to_le_bytes());
        lp.extend_from_slice(&(elems.len().min(65535) as u16).to_le_bytes());
        lp.extend_from_slice(&body);
        lp.push(0xff);
        lp
    }

    #[test]
    fn listpack_round_trip_every_width() {
        let elems = vec![
            Elem::Int(0),
            Elem::Int(127),
            Elem::Int(-1),
            Elem::Int(4095),
            Elem::Int(-4096),
            Elem::Int(30000),
            Elem::Int(-8_000_000),
            Elem::Int(2_000_000_000),
            Elem::Int(i64::MIN),
            Elem::Str(vec![]),
            Elem::Str(vec![b'x'; 63]),
            Elem::Str(vec![b'y'; 64]),
            Elem::Str(vec![b'z'; 4095]),
            Elem::Str(vec![b'w'; 4096]),
        ];
        let lp = make_listpack(&elems);
        assert_eq!(listpack(&lp).unwrap(), elems);
        let mut bad = lp.clone();
        bad[4] = 3;
        assert!(listpack(&bad).is_err());
        assert!(listpack(&lp[..lp.len() - 1]).is_err());
    }

    #[test]
    fn backlen_matches_redis() {
        let mut b = [0u8; 5];
        assert_eq!(encode_backlen(127, &mut b), 1);
        assert_eq!(b[0], 127);
        assert_eq!(encode_backlen(128, &mut b), 2);
        assert_eq!(&b[..2], &[1, 128]);
        assert_eq!(encode_backlen(16383, &mut b), 3);
    }

    #[test]
    fn intset_checks() {
        let mut blob = vec![2, 0, 0, 0, 2, 0, 0, 0];
        blob.extend_from_slice(&1i16.to_le_bytes());
        blob.extend_from_slice(&(-1i16).to_le_bytes());
        assert!(intset(&blob).is_err(), "out of order");
        let mut ok = vec![4, 0, 0, 0, 2, 0, 0, 0];
        ok.extend_from_slice(&(-70000i32).to_le_bytes());
        ok.extend_from_slice(&70000i32.to_le_bytes());
        assert_eq!(intset(&ok).unwrap(), vec![-70000, 70000]);
        assert!(intset(&[2, 0, 0, 0, 0, 0, 0, 0]).is_err(), "empty");
    }

    #[test]
    fn signed_widths() {
        assert_eq!(le_signed(&[0xff, 0xff, 0xff]), -1);
        assert_eq!(le_signed(&[0xff, 0xff, 0x7f]), (1 << 23) - 1);
        assert_eq!(le_signed(&[0x00, 0x80]), -32768);
    }
}
