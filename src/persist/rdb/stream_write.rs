//! Writing a stream as RDB_TYPE_STREAM_LISTPACKS_2 (what Redis 7.0 saves): each node as its
//! 16-byte big-endian master ID and its listpack, then the metadata, then the consumer groups
//! with their pending entries and consumers (consumers with their seen time only, as 7.0).

use super::encode::Encoder;
use crate::engine::stream::{flags_of, listpack_int, lp_count, Node, Stream, StreamId};
use std::io::{self, Write};

/// A listpack under construction (listpack.c's layout: total bytes, element count, elements,
/// end byte).
struct Listpack {
    body: Vec<u8>,
    count: usize,
}

impl Listpack {
    fn new() -> Listpack {
        Listpack { body: Vec::new(), count: 0 }
    }

    fn push_encoded(&mut self, enc: &[u8]) {
        self.body.extend_from_slice(enc);
        push_backlen(&mut self.body, enc.len());
        self.count += 1;
    }

    fn int(&mut self, v: i64) {
        let enc: Vec<u8> = match v {
            0..=127 => vec![v as u8],
            -4096..=4095 => {
                let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
                vec![0xC0 | (u >> 8) as u8, u as u8]
            }
            -32768..=32767 => {
                let mut e = vec![0xF1];
                e.extend_from_slice(&(v as i16).to_le_bytes());
                e
            }
            -8388608..=8388607 => {
                let u = if v < 0 { (1i64 << 24) + v } else { v } as u32;
                let b = u.to_le_bytes();
                vec![0xF2, b[0], b[1], b[2]]
            }
            -2147483648..=2147483647 => {
                let mut e = vec![0xF3];
                e.extend_from_slice(&(v as i32).to_le_bytes());
                e
            }
            _ => {
                let mut e = vec![0xF4];
                e.extend_from_slice(&v.to_le_bytes());
                e
            }
        };
        self.push_encoded(&enc);
    }

    fn string(&mut self, s: &[u8]) {
        if let Some(v) = listpack_int(s) {
            return self.int(v);
        }
        let len = s.len();
        let mut enc = Vec::with_capacity(len + 5);
        if len < 64 {
            enc.push(0x80 | len as u8);
        } else if len < 4096 {
            enc.push(0xE0 | (len >> 8) as u8);
            enc.push(len as u8);
        } else {
            enc.push(0xF0);
            enc.extend_from_slice(&(len as u32).to_le_bytes());
        }
        enc.extend_from_slice(s);
        self.push_encoded(&enc);
    }

    fn finish(self) -> Vec<u8> {
        let total = 6 + self.body.len() + 1;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        let count = if self.count < 65535 { self.count as u16 } else { 65535 };
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&self.body);
        out.push(0xFF);
        out
    }
}

/// Appends the reverse-encoded length of the element just written (lpEncodeBacklen).
fn push_backlen(out: &mut Vec<u8>, l: usize) {
    let l = l as u64;
    let groups: usize = match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    for i in (0..groups).rev() {
        let part = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == groups - 1 { part } else { part | 128 });
    }
}

/// The listpack bytes of one node.
pub fn node_listpack(master: StreamId, node: &Node) -> Vec<u8> {
    let mut lp = Listpack::new();
    lp.int(node.live as i64);
    lp.int(node.deleted() as i64);
    lp.int(node.master_fields.len() as i64);
    for f in &node.master_fields {
        lp.string(f);
    }
    lp.int(0);
    for item in &node.items {
        lp.int(flags_of(item));
        lp.int(item.id.ms.wrapping_sub(master.ms) as i64);
        lp.int(item.id.seq.wrapping_sub(master.seq) as i64);
        if !item.same_fields {
            lp.int(item.fields.len() as i64);
        }
        for (f, v) in &item.fields {
            if !item.same_fields {
                lp.string(f);
            }
            lp.string(v);
        }
        lp.int(lp_count(item));
    }
    lp.finish()
}

pub fn write_stream<W: Write>(enc: &mut Encoder<W>, s: &Stream) -> io::Result<()> {
    enc.len(s.nodes.len() as u64)?;
    for (master, node) in &s.nodes {
        enc.string(&master.to_be_bytes())?;
        enc.string(&node_listpack(*master, node))?;
    }
    enc.len(s.length)?;
    for id in [s.last_id, s.first_id, s.max_deleted_id] {
        enc.len(id.ms)?;
        enc.len(id.seq)?;
    }
    enc.len(s.entries_added)?;
    enc.len(s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        enc.string(name)?;
        enc.len(g.last_id.ms)?;
        enc.len(g.last_id.seq)?;
        enc.len(g.entries_read.unwrap_or(u64::MAX))?;
        enc.len(g.pel.len() as u64)?;
        for (id, nack) in &g.pel {
            enc.raw(&id.to_be_bytes())?;
            enc.raw(&nack.delivery_time_ms.to_le_bytes())?;
            enc.len(nack.delivery_count)?;
        }
        enc.len(g.consumers.len() as u64)?;
        for (cname, c) in &g.consumers {
            enc.string(cname)?;
            enc.raw(&c.seen_time_ms.to_le_bytes())?;
            enc.len(c.pending.len() as u64)?;
            for id in &c.pending {
                enc.raw(&id.to_be_bytes())?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::engine::stream::{NodeLimits, Stream, StreamId, TrimTo};

    /// The byte count the engine keeps per node (which decides when Redis starts a new node)
    /// equals the size of the listpack written for it, whatever the values' encodings.
    #[test]
    fn node_sizes_match_the_written_listpacks() {
        let limits = NodeLimits { max_bytes: 1 << 20, max_entries: 0 };
        let mut s = Stream::new();
        let values: [&[u8]; 8] = [b"1", b"-5000", b"70000", b"9000000", b"-3000000000", b"x", b"", &[b'y'; 5000]];
        for i in 1..400u64 {
            let v = values[(i % 8) as usize].to_vec();
            let fields = if i % 3 == 0 {
                vec![(b"f".to_vec(), v)]
            } else {
                vec![(b"g".to_vec(), v.clone()), (b"127".to_vec(), v)]
            };
            s.append(StreamId::new(i * 1_000_003, i % 5), fields, limits).unwrap();
        }
        s.delete(StreamId::new(3_000_009, 3));
        s.trim(TrimTo::MaxLen(390), false, 0);
        for (master, node) in &s.nodes {
            assert_eq!(node.listpack_bytes(), node_listpack(*master, node).len());
        }
    }

    #[test]
    fn backlen_matches_listpack() {
        let mut v = Vec::new();
        push_backlen(&mut v, 200);
        assert_eq!(v, vec![1, (200 & 127) | 128]);
    }
}
