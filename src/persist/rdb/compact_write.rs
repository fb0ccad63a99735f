//! Writing collections in the blob encodings Redis 7.0 saves: a list as quicklist-2 (listpack
//! nodes, split as Redis's quicklist splits tail pushes), an intset set as an intset blob, and a
//! listpack hash or sorted set as one listpack. A value in another encoding is written in the
//! plain types (a length, then each element), as Redis writes a hashtable or skiplist.

use super::encode::Encoder;
use super::stream_write::Listpack;
use crate::engine::list::ListValue;
use crate::engine::zset::listpack_score_text;
use std::io::{self, Write};

/// quicklist's node containers in RDB: one element stored as is, or a listpack.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// A list as RDB_TYPE_LIST_QUICKLIST_2: the node count, then per node its container and blob.
/// The list's own nodes are written, as Redis writes its quicklist's: they follow Redis's fill,
/// split and merge rules, so the bytes are Redis's for the same history of commands.
pub fn write_quicklist<W: Write>(enc: &mut Encoder<W>, list: &ListValue) -> io::Result<()> {
    enc.len(list.node_count() as u64)?;
    for (mut items, plain) in list.nodes() {
        if plain {
            enc.len(CONTAINER_PLAIN)?;
            enc.string(items.next().unwrap_or_default())?;
            continue;
        }
        let mut lp = Listpack::new();
        items.for_each(|item| lp.string(item));
        enc.len(CONTAINER_PACKED)?;
        enc.string(&lp.finish())?;
    }
    Ok(())
}

/// An intset blob (intset.c): the element width in bytes, the count, the sorted integers, all
/// little-endian, with the smallest width that holds every member (what a load builds).
pub fn intset_blob(ints: &[i64]) -> Vec<u8> {
    let width: usize = if ints.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if ints.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut sorted = ints.to_vec();
    sorted.sort_unstable();
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for v in sorted {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// A listpack of field, value, field, value... in the hash's order.
pub fn hash_listpack<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Vec<u8> {
    let mut lp = Listpack::new();
    for (field, value) in pairs {
        lp.string(field);
        lp.string(value);
    }
    lp.finish()
}

/// A listpack of member, score, ... in score order, each score as Redis's listpack stores it
/// (an integer when integral, else its shortest text).
pub fn zset_listpack<'a>(entries: impl Iterator<Item = (f64, &'a [u8])>) -> Vec<u8> {
    let mut lp = Listpack::new();
    for (score, member) in entries {
        lp.string(member);
        lp.string(listpack_score_text(score).as_bytes());
    }
    lp.finish()
}
