//! Streams in their three RDB layouts (RDB_TYPE_STREAM_LISTPACKS, _2 from Redis 7.0, _3 from 7.2):
//! listpack nodes keyed by a master ID, then the metadata, then the consumer groups with their
//! pending-entry lists and consumers.
//!
//! Inside a node's listpack (t_stream.c's layout): a master entry
//! `count | deleted | num-fields | field... | 0`, then per entry
//! `flags | ms-delta | seq-delta | [num-fields | field value ...] or [value ...] | lp-count`,
//! where the field names are the master's when `flags` has SAMEFIELDS.

use super::blobs::{self, Elem};
use super::decode::{read_len, read_string};
use super::input::Source;
use super::{
    PendingEntry, RdbStream, RdbStreamItem, RdbStreamNode, Result, StreamConsumer, StreamEntry, StreamGroup, StreamId,
    TYPE_STREAM_LISTPACKS_2, TYPE_STREAM_LISTPACKS_3,
};

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

pub fn read_stream<S: Source>(src: &mut S, rdb_type: u8) -> Result<RdbStream> {
    let mut stream = RdbStream::default();
    let nodes = read_len(src)?;
    let mut last_node: Option<StreamId> = None;
    for _ in 0..nodes {
        let key = read_string(src)?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| src.corrupt("Stream node key entry is not the size of a stream ID"))?;
        let master = StreamId::from_be_bytes(&key);
        if last_node.is_some_and(|prev| master <= prev) {
            return Err(src.corrupt("Listpack re-added with existing key"));
        }
        last_node = Some(master);
        let blob = read_string(src)?;
        let elems = blobs::listpack(&blob).map_err(|_| src.corrupt("Stream listpack integrity check failed."))?;
        if elems.is_empty() {
            return Err(src.corrupt("Empty listpack inside stream"));
        }
        let node = parse_node(master, elems, &mut stream.entries)
            .map_err(|what| src.corrupt(format!("Stream listpack integrity check failed: {what}.")))?;
        stream.node_list.push(node);
        stream.nodes += 1;
    }
    stream.length = read_len(src)?;
    stream.last_id = StreamId { ms: read_len(src)?, seq: read_len(src)? };
    if rdb_type >= TYPE_STREAM_LISTPACKS_2 {
        stream.first_id = StreamId { ms: read_len(src)?, seq: read_len(src)? };
        stream.max_deleted_id = StreamId { ms: read_len(src)?, seq: read_len(src)? };
        stream.entries_added = read_len(src)?;
    } else {
        stream.first_id = stream.entries.first().map(|e| e.id).unwrap_or_default();
        stream.entries_added = stream.length;
        stream.legacy = true;
    }
    if stream.length != stream.entries.len() as u64 {
        return Err(src.corrupt("Stream length inconsistent with its entries"));
    }
    let groups = read_len(src)?;
    for _ in 0..groups {
        let group = read_group(src, rdb_type)?;
        if stream.groups.iter().any(|g| g.name == group.name) {
            return Err(src.corrupt("Duplicated consumer group name"));
        }
        stream.groups.push(group);
    }
    Ok(stream)
}

/// Appends the live entries of one node to `out`; returns the node with all its entries.
fn parse_node(
    master: StreamId,
    elems: Vec<Elem>,
    out: &mut Vec<StreamEntry>,
) -> std::result::Result<RdbStreamNode, &'static str> {
    let mut it = elems.into_iter();
    let int = |it: &mut std::vec::IntoIter<Elem>| it.next().and_then(|e| e.as_int()).ok_or("expected an integer");
    let count = int(&mut it)?;
    let deleted = int(&mut it)?;
    let master_fields_n = int(&mut it)?;
    if count < 0 || deleted < 0 || master_fields_n < 0 {
        return Err("negative count");
    }
    let mut master_fields = Vec::new();
    for _ in 0..master_fields_n {
        master_fields.push(it.next().ok_or("truncated master entry")?.into_bytes());
    }
    if int(&mut it)? != 0 {
        return Err("master entry not terminated by 0");
    }
    let total = count.checked_add(deleted).ok_or("entry count overflow")?;
    let mut node = RdbStreamNode { master, master_fields: master_fields.clone(), items: Vec::new() };
    for _ in 0..total {
        let flags = int(&mut it)?;
        let ms_delta = int(&mut it)?;
        let seq_delta = int(&mut it)?;
        let id =
            StreamId { ms: master.ms.wrapping_add(ms_delta as u64), seq: master.seq.wrapping_add(seq_delta as u64) };
        let mut fields = Vec::new();
        let expected_count = if flags & FLAG_SAMEFIELDS != 0 {
            for name in &master_fields {
                let value = it.next().ok_or("truncated entry")?.into_bytes();
                fields.push((name.clone(), value));
            }
            master_fields.len() as i64 + 3
        } else {
            let n = int(&mut it)?;
            if n < 0 {
                return Err("negative field count");
            }
            for _ in 0..n {
                let name = it.next().ok_or("truncated entry")?.into_bytes();
                let value = it.next().ok_or("truncated entry")?.into_bytes();
                fields.push((name, value));
            }
            2 * n + 4
        };
        if int(&mut it)? != expected_count {
            return Err("entry lp-count mismatch");
        }
        if node.items.last().is_some_and(|prev: &RdbStreamItem| prev.id >= id) {
            return Err("entry IDs out of order");
        }
        let deleted = flags & FLAG_DELETED != 0;
        if !deleted {
            if out.last().is_some_and(|prev| prev.id >= id) {
                return Err("entry IDs out of order");
            }
            out.push(StreamEntry { id, fields: fields.clone() });
        }
        node.items.push(RdbStreamItem { id, deleted, same_fields: flags & FLAG_SAMEFIELDS != 0, fields });
    }
    if it.next().is_some() {
        return Err("trailing elements after the last entry");
    }
    Ok(node)
}

fn read_raw_id<S: Source>(src: &mut S) -> Result<StreamId> {
    let raw: [u8; 16] = src.array()?;
    Ok(StreamId::from_be_bytes(&raw))
}

fn read_ms<S: Source>(src: &mut S) -> Result<u64> {
    Ok(u64::from_le_bytes(src.array()?))
}

fn read_group<S: Source>(src: &mut S, rdb_type: u8) -> Result<StreamGroup> {
    let mut group = StreamGroup { name: read_string(src)?, ..StreamGroup::default() };
    group.last_id = StreamId { ms: read_len(src)?, seq: read_len(src)? };
    if rdb_type >= TYPE_STREAM_LISTPACKS_2 {
        // -1 (SCG_INVALID_ENTRIES_READ) is stored as the 64-bit length u64::MAX.
        let n = read_len(src)?;
        group.entries_read = (n != u64::MAX).then_some(n);
    }
    let pel = read_len(src)?;
    for _ in 0..pel {
        let id = read_raw_id(src)?;
        let delivery_time_ms = read_ms(src)?;
        let delivery_count = read_len(src)?;
        if group.pending.last().is_some_and(|p| p.id >= id) {
            return Err(src.corrupt("Duplicated global PEL entry loading stream consumer group"));
        }
        group.pending.push(PendingEntry { id, delivery_time_ms, delivery_count, consumer: None });
    }
    let consumers = read_len(src)?;
    for _ in 0..consumers {
        let name = read_string(src)?;
        if group.consumers.iter().any(|c| c.name == name) {
            return Err(src.corrupt("Duplicate stream consumer detected."));
        }
        let seen_time_ms = read_ms(src)?;
        let active_time_ms = if rdb_type >= TYPE_STREAM_LISTPACKS_3 { Some(read_ms(src)?) } else { None };
        let mut consumer = StreamConsumer { name, seen_time_ms, active_time_ms, pending: Vec::new() };
        let owned = read_len(src)?;
        for _ in 0..owned {
            let id = read_raw_id(src)?;
            let Ok(i) = group.pending.binary_search_by(|p| p.id.cmp(&id)) else {
                return Err(src.corrupt("Consumer entry not found in group global PEL"));
            };
            if group.pending[i].consumer.is_some() {
                return Err(src.corrupt("Duplicated consumer PEL entry loading a stream consumer group"));
            }
            group.pending[i].consumer = Some(consumer.name.clone());
            consumer.pending.push(id);
        }
        group.consumers.push(consumer);
    }
    if group.pending.iter().any(|p| p.consumer.is_none()) {
        return Err(src.corrupt("Stream CG PEL entry without consumer"));
    }
    Ok(group)
}
