//! The stream value (Redis's t_stream.c `stream`): entries kept in nodes shaped like Redis's
//! radix-tree listpacks, plus the metadata and consumer groups of Redis 7.0.
//!
//! Redis stores entries in listpack nodes keyed by the ID of their first ("master") entry; a node
//! takes new entries until it reaches `stream-node-max-entries` entries (live and deleted) or
//! `stream-node-max-bytes` bytes. Deleted entries stay in their node as tombstones until the
//! node's last live entry goes, and `~` trimming removes whole nodes only. verdis keeps the same
//! nodes (with their tombstones and the listpack byte count they would have), so that XLEN after
//! `MAXLEN ~`, XINFO's `radix-tree-keys` and the RDB encoding match Redis.

use std::collections::{BTreeMap, BTreeSet};

/// A stream entry ID: milliseconds and sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID (streamIncrID); `None` past the last possible ID.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID (streamDecrID); `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// `ms-seq`, as Redis formats IDs in replies.
    pub fn to_bytes(self) -> Vec<u8> {
        format!("{}-{}", self.ms, self.seq).into_bytes()
    }

    /// The 128-bit big-endian form used as radix-tree key and in RDB PELs.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An entry's field-value pairs.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// One entry inside a node, live or a tombstone.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub id: StreamId,
    pub deleted: bool,
    /// Stored without field names because they equal the master entry's (SAMEFIELDS flag).
    pub same_fields: bool,
    pub fields: Fields,
}

/// A listpack node: the master entry's field names and the entries, in ID order.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub master_fields: Vec<Vec<u8>>,
    pub items: Vec<Item>,
    /// Live entries (the master entry's `count`).
    pub live: u64,
    /// Listpack bytes other than the header, the end byte and the `count`/`deleted` elements,
    /// which change as entries are deleted.
    body_bytes: usize,
}

impl Node {
    pub fn deleted(&self) -> u64 {
        self.items.len() as u64 - self.live
    }

    /// The size Redis's lpBytes would report for this node's listpack.
    pub fn listpack_bytes(&self) -> usize {
        6 + 1 + int_elem_size(self.live as i64) + int_elem_size(self.deleted() as i64) + self.body_bytes
    }

    /// The last ID stored in the node, tombstones included (lpGetEdgeStreamID).
    pub fn last_id(&self) -> Option<StreamId> {
        self.items.last().map(|i| i.id)
    }

    /// Builds a node from decoded contents (RDB load); `None` when the node has no entries.
    pub fn from_parts(master_fields: Vec<Vec<u8>>, items: Vec<Item>) -> Option<Node> {
        if items.is_empty() {
            return None;
        }
        let mut node = Node { master_fields, items: Vec::new(), live: 0, body_bytes: 0 };
        node.body_bytes = node.master_bytes();
        let master = items[0].id;
        for item in items {
            node.body_bytes += item_bytes(master, &item);
            if !item.deleted {
                node.live += 1;
            }
            node.items.push(item);
        }
        Some(node)
    }

    fn master_bytes(&self) -> usize {
        int_elem_size(self.master_fields.len() as i64)
            + self.master_fields.iter().map(|f| str_elem_size(f)).sum::<usize>()
            + int_elem_size(0)
    }
}

/// A pending entry (Redis's streamNACK).
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    pub delivery_time_ms: u64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

/// A consumer of a group; 7.0 keeps only its last seen time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Consumer {
    pub seen_time_ms: u64,
    pub pending: BTreeSet<StreamId>,
}

/// A consumer group (Redis's streamCG).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical read counter; `None` is Redis's SCG_INVALID_ENTRIES_READ (-1).
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group { last_id, entries_read, ..Group::default() }
    }

    /// Removes a pending entry from the group and its owner.
    pub fn remove_pending(&mut self, id: StreamId) -> Option<Nack> {
        let nack = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pending.remove(&id);
        }
        Some(nack)
    }

    /// Gives pending entry `id` to `consumer` (which must exist), moving it from its old owner.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != consumer {
            let old = std::mem::replace(&mut nack.consumer, consumer.to_vec());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pending.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pending.insert(id);
        }
    }
}

/// The settings that shape nodes (stream-node-max-bytes, stream-node-max-entries).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: i64,
}

/// The largest listpack Redis builds (STREAM_LISTPACK_MAX_SIZE).
pub const LISTPACK_MAX_SIZE: u64 = 1 << 30;

/// A stream.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// Nodes keyed by their master entry ID.
    pub nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    /// Groups by name, in byte order as Redis's radix tree iterates them.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

/// Why an append failed.
#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last one (EDOM).
    NotGreater,
    /// The fields are too large for a listpack (ERANGE).
    TooLarge,
}

/// How to trim (Redis's streamAddTrimArgs, the parts streamTrim reads).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrimTo {
    MaxLen(u64),
    MinId(StreamId),
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// The lazy-free effort Redis assigns a stream (lazyfreeGetFreeEffort): its radix tree's
    /// node count, plus, when it has groups, the group count times one more than the first
    /// group's pending entries.
    pub fn free_effort(&self) -> usize {
        let mut effort = self.rax_nodes() as usize;
        if let Some(first) = self.groups.values().next() {
            effort += self.groups.len() * (1 + first.pel.len());
        }
        effort
    }

    /// The node count of the radix tree Redis keeps the nodes in (XINFO's radix-tree-nodes).
    pub fn rax_nodes(&self) -> u64 {
        rax_node_count(self.nodes.keys().map(|k| k.to_be_bytes()))
    }

    /// The next automatic ID after the last one at time `now_ms` (streamNextID).
    pub fn next_auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Appends an entry with ID `id`, which the caller chose (streamAppendItem).
    pub fn append(&mut self, id: StreamId, fields: Fields, limits: NodeLimits) -> Result<(), AppendError> {
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let total_len: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        if total_len > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            limits.max_bytes
        };
        let tail_full = match self.nodes.values().next_back() {
            None => true,
            Some(tail) => {
                tail.listpack_bytes() as u64 + total_len >= max_bytes
                    || (limits.max_entries != 0 && tail.items.len() as i64 >= limits.max_entries)
            }
        };
        if tail_full {
            let node = Node {
                master_fields: fields.iter().map(|(f, _)| f.clone()).collect(),
                items: Vec::new(),
                live: 0,
                body_bytes: 0,
            };
            let body = node.master_bytes();
            self.nodes.insert(id, Node { body_bytes: body, ..node });
        }
        let Some((&master, tail)) = self.nodes.iter_mut().next_back() else {
            return Err(AppendError::TooLarge);
        };
        let same_fields = tail.master_fields.len() == fields.len()
            && tail.master_fields.iter().zip(&fields).all(|(m, (f, _))| m == f);
        let item = Item { id, deleted: false, same_fields, fields };
        tail.body_bytes += item_bytes(master, &item);
        tail.items.push(item);
        tail.live += 1;
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// The master key of the node a forward scan from `id` starts in: the last node whose key
    /// is not above `id`, or the first node (Redis seeks `<=`, then `^`).
    fn node_key_for(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().or_else(|| self.nodes.iter().next()).map(|(k, _)| *k)
    }

    /// Where live entry `id` is stored (node key and index), scanning as Redis's iterator does.
    fn locate(&self, id: StreamId) -> Option<(StreamId, usize)> {
        let first = self.node_key_for(id)?;
        for (key, node) in self.nodes.range(first..) {
            for (i, item) in node.items.iter().enumerate() {
                if item.deleted || item.id < id {
                    continue;
                }
                return (item.id == id).then_some((*key, i));
            }
        }
        None
    }

    /// The live entry `id`, if any.
    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        let (key, i) = self.locate(id)?;
        self.nodes.get(&key).map(|n| &n.items[i].fields)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.locate(id).is_some()
    }

    /// Live entries from `start` to `end` inclusive, ascending. As Redis's iterator: entries
    /// below `start` and tombstones are skipped, the first live entry above `end` ends the scan.
    pub fn range(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = (StreamId, &Fields)> + '_ {
        let nodes = self.node_key_for(start).map(|first| self.nodes.range(first..));
        nodes
            .into_iter()
            .flatten()
            .flat_map(|(_, n)| n.items.iter())
            .filter(move |it| !it.deleted && it.id >= start)
            .take_while(move |it| it.id <= end)
            .map(|it| (it.id, &it.fields))
    }

    /// Live entries from `end` down to `start` inclusive, scanning backwards from the last node
    /// whose key is not above `end` (or the last node).
    pub fn range_rev(&self, start: StreamId, end: StreamId) -> impl Iterator<Item = (StreamId, &Fields)> + '_ {
        let last = self.nodes.range(..=end).next_back().or_else(|| self.nodes.iter().next_back()).map(|(k, _)| *k);
        let nodes = last.map(|last| self.nodes.range(..=last).rev());
        nodes
            .into_iter()
            .flatten()
            .flat_map(|(_, n)| n.items.iter().rev())
            .filter(move |it| !it.deleted && it.id <= end)
            .take_while(move |it| it.id >= start)
            .map(|it| (it.id, &it.fields))
    }

    /// The first live ID, or `None` when empty.
    pub fn first_live_id(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX).next().map(|(id, _)| id)
    }

    /// The last live ID (streamLastValidID).
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.range_rev(StreamId::MIN, StreamId::MAX).next().map(|(id, _)| id)
    }

    /// The first ID stored, tombstones included (streamGetEdgeID with skip_tombstones 0), or
    /// the maximal ID for an empty stream.
    pub fn first_stored_id(&self) -> StreamId {
        self.nodes.values().next().and_then(|n| n.items.first()).map_or(StreamId::MAX, |i| i.id)
    }

    /// Deletes live entry `id` (streamDeleteItem); true when it existed. A node whose last live
    /// entry goes is removed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((key, i)) = self.locate(id) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(&key) else {
            return false;
        };
        if node.live == 1 {
            self.nodes.remove(&key);
        } else {
            node.items[i].deleted = true;
            node.live -= 1;
        }
        self.length -= 1;
        true
    }

    /// Trims from the head (streamTrim); returns the number of entries removed. With `approx`,
    /// only whole nodes go; `limit` (0: none) bounds the entries removed.
    pub fn trim(&mut self, to: TrimTo, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for key in keys {
            if let TrimTo::MaxLen(max) = to {
                if self.length <= max {
                    break;
                }
            }
            let Some(node) = self.nodes.get(&key) else {
                break;
            };
            let entries = node.live;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match to {
                TrimTo::MaxLen(max) => self.length - entries >= max,
                TrimTo::MinId(min) => node.last_id().is_some_and(|last| last < min),
            };
            if remove_node {
                self.nodes.remove(&key);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let length = &mut self.length;
            let Some(node) = self.nodes.get_mut(&key) else {
                break;
            };
            for item in node.items.iter_mut() {
                let stop = match to {
                    TrimTo::MaxLen(max) => *length <= max,
                    TrimTo::MinId(min) => item.id >= min,
                };
                if stop {
                    break;
                }
                if !item.deleted {
                    item.deleted = true;
                    node.live -= 1;
                    *length -= 1;
                    deleted += 1;
                }
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.first_live_id().unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// True if a tombstone may lie between `start` and `end` (streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The logical read counter of `id` when it can be known
    /// (streamEstimateDistanceFromFirstEverEntry); `None` when it cannot.
    pub fn estimate_entries_read(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        } else if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.length);
            } else if id == self.first_id {
                return Some(self.entries_added - self.length + 1);
            }
        }
        None
    }

    /// A group's lag (streamReplyWithCGLag); `None` when unknown.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let lag = |read: u64| (self.entries_added as i64).wrapping_sub(read as i64);
        if let Some(read) = group.entries_read {
            if !self.range_has_tombstones(group.last_id, StreamId::MAX) {
                return Some(lag(read));
            }
        }
        self.estimate_entries_read(group.last_id).map(lag)
    }

    /// Advances a group past entry `id` as delivering it does (streamReplyWithRange).
    pub fn deliver_advance(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if group.entries_read.is_some() && !self.range_has_tombstones(id, StreamId::MAX) {
            group.entries_read = group.entries_read.map(|n| n + 1);
        } else if self.entries_added != 0 {
            group.entries_read = self.estimate_entries_read(id);
        }
        group.last_id = id;
    }
}

/// Bytes of the backlen that follows an element of `len` encoded bytes (lpEncodeBacklen).
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Encoded bytes of an integer element (lpEncodeIntegerGetType), backlen included.
pub fn int_elem_size(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    };
    enc + backlen_size(enc)
}

/// Encoded bytes of a string element, which listpacks store as an integer when it is one.
pub fn str_elem_size(s: &[u8]) -> usize {
    if let Some(v) = listpack_int(s) {
        return int_elem_size(v);
    }
    let len = s.len();
    let enc = if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    };
    enc + backlen_size(enc)
}

/// The integer a listpack stores a string as (lpStringToInt64: canonical decimal, 1-20 chars).
pub fn listpack_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    crate::resp::parse::parse_i64(s)
}

/// Encoded bytes of one entry in a node whose master ID is `master`.
fn item_bytes(master: StreamId, item: &Item) -> usize {
    let mut n = int_elem_size(flags_of(item))
        + int_elem_size(item.id.ms.wrapping_sub(master.ms) as i64)
        + int_elem_size(item.id.seq.wrapping_sub(master.seq) as i64);
    if !item.same_fields {
        n += int_elem_size(item.fields.len() as i64);
    }
    for (f, v) in &item.fields {
        if !item.same_fields {
            n += str_elem_size(f);
        }
        n += str_elem_size(v);
    }
    n + int_elem_size(lp_count(item))
}

/// The entry flags (STREAM_ITEM_FLAG_DELETED = 1, SAMEFIELDS = 2).
pub fn flags_of(item: &Item) -> i64 {
    i64::from(item.deleted) | (i64::from(item.same_fields) << 1)
}

/// The entry's trailing lp-count: the elements it spans before itself.
pub fn lp_count(item: &Item) -> i64 {
    let n = item.fields.len() as i64;
    if item.same_fields {
        n + 3
    } else {
        2 * n + 4
    }
}

/// The node count of a Redis radix tree (rax) holding these 16-byte keys, given in ascending
/// order: a compressed node for every chain, a branching node where keys diverge, a node per
/// branch, and a leaf per key (XINFO STREAM's `radix-tree-nodes`).
pub fn rax_node_count(keys: impl Iterator<Item = [u8; 16]>) -> u64 {
    let keys: Vec<[u8; 16]> = keys.collect();
    if keys.is_empty() {
        return 1;
    }
    rax_nodes_at(&keys, 0)
}

/// Nodes of the subtree at depth `d` of a group of keys sharing their first `d` bytes.
fn rax_nodes_at(group: &[[u8; 16]], d: usize) -> u64 {
    if group.len() == 1 {
        return if d == 16 { 1 } else { 2 };
    }
    let (first, last) = (&group[0], &group[group.len() - 1]);
    let lcp = (d..16).find(|&i| first[i] != last[i]).unwrap_or(16);
    let mut n = if lcp > d { 2 } else { 1 };
    let mut i = 0;
    while i < group.len() {
        let byte = group[i][lcp];
        let j = i + group[i..].iter().take_while(|k| k[lcp] == byte).count();
        n += rax_nodes_at(&group[i..j], lcp + 1);
        i = j;
    }
    n
}
