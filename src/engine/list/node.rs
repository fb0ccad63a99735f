//! One quicklist node: a run of list elements in one `Packed` buffer, with the size Redis would
//! give the node (its listpack's bytes), which the fill rule weighs. Also the fill rule itself
//! (quicklist.c's _quicklistNodeAllowInsert / _quicklistNodeAllowMerge) and the listpack entry
//! size those rules need.

use crate::engine::packed::Packed;
use crate::resp::parse::parse_i64;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Byte budgets of a node for the negative `list-max-listpack-size` values -1..-5
/// (quicklist.c's optimization_level).
const NODE_BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// A node with a positive count limit still never grows past this many bytes (SIZE_SAFETY_LIMIT).
const NODE_SAFETY_BYTES: usize = 8192;
/// What quicklist adds to an element's length when estimating a node's growth
/// (SIZE_ESTIMATE_OVERHEAD).
const INSERT_OVERHEAD_BYTES: usize = 8;
/// What quicklist subtracts from two nodes' sizes when estimating their merge (a ziplist-era
/// header and trailer size, kept by Redis 7.0 for listpacks).
const MERGE_OVERHEAD_BYTES: usize = 11;
/// An empty listpack: 6 header bytes and the end marker.
pub(super) const LISTPACK_EMPTY_BYTES: usize = 7;
/// Elements this large get a node of their own (quicklist's packed_threshold, 1 GiB by default).
pub(super) const LARGE_ELEMENT_BYTES: usize = 1 << 30;
/// The threshold in force. DEBUG QUICKLIST-PACKED-THRESHOLD lowers it so that tests can make
/// plain nodes without gigabyte elements; like Redis's, it is one setting for the process.
static PACKED_THRESHOLD_BYTES: AtomicUsize = AtomicUsize::new(LARGE_ELEMENT_BYTES);

/// Sets the packed threshold (0 restores the default); false when it is too close to 4 GiB
/// (quicklistisSetPackedThreshold).
pub fn set_packed_threshold(bytes: u64) -> bool {
    if bytes > (1 << 32) - (1 << 20) {
        return false;
    }
    let bytes = if bytes == 0 { LARGE_ELEMENT_BYTES } else { usize::try_from(bytes).unwrap_or(LARGE_ELEMENT_BYTES) };
    PACKED_THRESHOLD_BYTES.store(bytes, Ordering::Relaxed);
    true
}

fn packed_threshold() -> usize {
    PACKED_THRESHOLD_BYTES.load(Ordering::Relaxed)
}
/// quicklistSetFill's bounds: a count limit above this is cut to it, a byte level below -5 is -5.
pub(super) const FILL_MAX: i64 = (1 << 15) - 1;
pub(super) const FILL_MIN: i64 = -5;

/// A node: its elements and Redis's `node->sz` for it (the listpack's bytes, or for a plain node
/// the element's length).
#[derive(Clone, Debug, Default)]
pub(super) struct Node {
    pub(super) items: Packed,
    pub(super) sz: usize,
}

impl Node {
    /// A node of one element: plain when the element is large, else a one-entry listpack.
    pub(super) fn single(item: &[u8]) -> Node {
        let sz = if is_large(item) { item.len() } else { LISTPACK_EMPTY_BYTES + listpack_entry_bytes(item) };
        Node { items: std::iter::once(item).collect(), sz }
    }

    /// A listpack node of `items` (which the caller has grouped by the fill rule).
    pub(super) fn of<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Node {
        let items: Packed = items.into_iter().collect();
        let mut node = Node { items, sz: 0 };
        node.update_sz();
        node
    }

    pub(super) fn count(&self) -> usize {
        self.items.len()
    }

    /// A plain node holds exactly one element too large for a listpack; Redis never packs such
    /// an element, so the shape identifies the node.
    pub(super) fn is_plain(&self) -> bool {
        self.count() == 1 && self.items.first().is_some_and(is_large)
    }

    /// Recomputes `sz` from the elements (quicklistNodeUpdateSz).
    pub(super) fn update_sz(&mut self) {
        self.sz = if self.is_plain() {
            self.items.first().map_or(0, <[u8]>::len)
        } else {
            LISTPACK_EMPTY_BYTES + self.items.iter().map(listpack_entry_bytes).sum::<usize>()
        };
    }

    pub(super) fn push_back(&mut self, item: &[u8]) {
        self.items.push_back(item);
        self.sz += listpack_entry_bytes(item);
    }

    pub(super) fn push_front(&mut self, item: &[u8]) {
        self.items.push_front(item);
        self.sz += listpack_entry_bytes(item);
    }

    /// Removes the first element (a node that empties is the caller's to drop).
    pub(super) fn pop_front(&mut self) -> Option<Vec<u8>> {
        let item = self.items.pop_front()?;
        self.sz = self.sz.saturating_sub(listpack_entry_bytes(&item));
        Some(item)
    }

    pub(super) fn pop_back(&mut self) -> Option<Vec<u8>> {
        let item = self.items.pop_back()?;
        self.sz = self.sz.saturating_sub(listpack_entry_bytes(&item));
        Some(item)
    }

    pub(super) fn insert(&mut self, index: usize, item: &[u8]) {
        self.items.insert(index, item);
        self.sz += listpack_entry_bytes(item);
    }

    /// Replaces element `index` of a listpack node (lpReplace).
    pub(super) fn replace(&mut self, index: usize, item: &[u8]) {
        let old = self.items.get(index).map_or(0, listpack_entry_bytes);
        if self.items.replace(index, item) {
            self.sz = self.sz - old + listpack_entry_bytes(item);
        }
    }

    /// Removes `count` elements from `index` on (lpDeleteRange). Only the removed elements are
    /// weighed, so a pop from a long node does not re-examine the whole node.
    pub(super) fn remove_range(&mut self, index: usize, count: usize) {
        if self.is_plain() {
            self.items.remove_range(index, count);
            self.update_sz();
            return;
        }
        let removed: usize = self.items.iter().skip(index).take(count).map(listpack_entry_bytes).sum();
        self.items.remove_range(index, count);
        self.sz -= removed;
    }

    /// Splits before element `at`: this node keeps `..at`, the returned node has `at..`
    /// (_quicklistSplitNode, either way round: the caller decides which half stays put).
    pub(super) fn split_off(&mut self, at: usize) -> Node {
        let tail = Node::of(self.items.iter().skip(at));
        self.remove_range(at, usize::MAX);
        tail
    }

    /// Appends `other`'s elements (lpMerge): one listpack header and end marker go.
    pub(super) fn append(&mut self, other: &Node) {
        let merged: Packed = self.items.iter().chain(other.items.iter()).collect();
        self.items = merged;
        self.sz = self.sz + other.sz - LISTPACK_EMPTY_BYTES;
    }
}

/// True when an element is too large for a listpack node (quicklist's packed threshold).
pub(super) fn is_large(item: &[u8]) -> bool {
    item.len() >= packed_threshold()
}

/// quicklist's fill clamp (quicklistSetFill).
pub(super) fn clamp_fill(fill: i64) -> i64 {
    fill.clamp(FILL_MIN, FILL_MAX)
}

/// True when `sz` bytes fit the byte budget of a negative fill.
fn meets_byte_budget(sz: usize, fill: i64) -> bool {
    if fill >= 0 {
        return false;
    }
    let level = usize::try_from(-fill - 1).unwrap_or(usize::MAX);
    NODE_BYTE_LIMITS.get(level).is_some_and(|&limit| sz <= limit)
}

/// _quicklistNodeAllowInsert for a listpack node of `node_sz` bytes holding `count` elements.
pub(super) fn sizes_allow_insert(node_sz: usize, count: usize, item_len: usize, fill: i64) -> bool {
    if item_len >= packed_threshold() {
        return false;
    }
    let new_sz = node_sz + item_len + INSERT_OVERHEAD_BYTES;
    if meets_byte_budget(new_sz, fill) {
        return true;
    }
    new_sz <= NODE_SAFETY_BYTES && i64::try_from(count).is_ok_and(|c| c < fill)
}

/// _quicklistNodeAllowInsert: whether `item_len` more bytes may join `node` (never a plain one).
pub(super) fn allows_insert(node: Option<&Node>, item_len: usize, fill: i64) -> bool {
    node.is_some_and(|n| !n.is_plain() && sizes_allow_insert(n.sz, n.count(), item_len, fill))
}

/// _quicklistNodeAllowMerge: whether two neighbouring listpack nodes may become one.
pub(super) fn allows_merge(a: Option<&Node>, b: Option<&Node>, fill: i64) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.is_plain() || b.is_plain() {
        return false;
    }
    let merge_sz = (a.sz + b.sz).saturating_sub(MERGE_OVERHEAD_BYTES);
    if meets_byte_budget(merge_sz, fill) {
        return true;
    }
    merge_sz <= NODE_SAFETY_BYTES && i64::try_from(a.count() + b.count()).is_ok_and(|c| c <= fill)
}

/// The bytes one element takes in a listpack: its encoding header and data, then the back
/// length. Integers in canonical form are stored as integers.
pub(super) fn listpack_entry_bytes(item: &[u8]) -> usize {
    let encoded = match parse_i64(item).filter(|_| item.len() <= 20) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-8_388_608..=8_388_607).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None if item.len() < 64 => 1 + item.len(),
        None if item.len() < 4096 => 2 + item.len(),
        None => 5 + item.len(),
    };
    let backlen = match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    encoded + backlen
}

/// How quicklist splits `items` into nodes when they are pushed one by one at the tail of an
/// empty list: the element count of each node.
pub(super) fn tail_push_counts<'a>(items: impl Iterator<Item = &'a [u8]>, fill: i64) -> Vec<usize> {
    let mut counts: Vec<usize> = Vec::new();
    // The current tail node's size; None when there is none or it is plain (takes nothing more).
    let mut tail_sz: Option<usize> = None;
    for item in items {
        match (tail_sz, counts.last_mut()) {
            (Some(sz), Some(count)) if sizes_allow_insert(sz, *count, item.len(), fill) => {
                tail_sz = Some(sz + listpack_entry_bytes(item));
                *count += 1;
            }
            _ => {
                counts.push(1);
                tail_sz = (!is_large(item)).then(|| LISTPACK_EMPTY_BYTES + listpack_entry_bytes(item));
            }
        }
    }
    counts
}
