//! The list value. Redis 7.0 keeps every list as a quicklist (a linked list of listpack nodes),
//! whatever its size, so OBJECT ENCODING always answers `quicklist`; `list-max-listpack-size`
//! only decides how many elements share a node. verdis stores the elements in one `VecDeque`
//! (O(1) at both ends, as the commands need) and keeps the node fill the list was created with,
//! so that the node count Redis would have (which lazy free weighs) can be estimated.

use crate::resp::parse::parse_i64;
use std::collections::VecDeque;

/// Byte budgets of a node for the negative `list-max-listpack-size` values -1..-5
/// (quicklist.c's optimization_level).
const NODE_BYTE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// A node with a positive count limit still never grows past this many bytes (SIZE_SAFETY_LIMIT).
const NODE_SAFETY_BYTES: usize = 8192;
/// What quicklist adds to an element's length when estimating a node's growth
/// (SIZE_ESTIMATE_OVERHEAD).
const INSERT_OVERHEAD_BYTES: usize = 8;
/// An empty listpack: 6 header bytes and the end marker.
const LISTPACK_EMPTY_BYTES: usize = 7;
/// Elements this large get a node of their own (quicklist's packed_threshold, 1 GiB).
const LARGE_ELEMENT_BYTES: usize = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ListValue {
    items: VecDeque<Vec<u8>>,
    /// `list-max-listpack-size` when the list was created (quicklistSetOptions keeps it).
    fill: i64,
}

impl ListValue {
    /// An empty list whose nodes follow `fill` (the `list-max-listpack-size` in force).
    pub fn new(fill: i64) -> ListValue {
        ListValue { items: VecDeque::new(), fill }
    }

    /// A list of `items` (head first).
    pub fn from_items(items: impl IntoIterator<Item = Vec<u8>>, fill: i64) -> ListValue {
        ListValue { items: items.into_iter().collect(), fill }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn fill(&self) -> i64 {
        self.fill
    }

    /// Redis 7.0 has one list encoding.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    pub fn push_front(&mut self, item: Vec<u8>) {
        self.items.push_front(item);
    }

    pub fn push_back(&mut self, item: Vec<u8>) {
        self.items.push_back(item);
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        self.items.pop_front()
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        self.items.pop_back()
    }

    pub fn get(&self, index: usize) -> Option<&Vec<u8>> {
        self.items.get(index)
    }

    pub fn set(&mut self, index: usize, item: Vec<u8>) -> bool {
        match self.items.get_mut(index) {
            Some(slot) => {
                *slot = item;
                true
            }
            None => false,
        }
    }

    pub fn insert(&mut self, index: usize, item: Vec<u8>) {
        self.items.insert(index.min(self.items.len()), item);
    }

    pub fn remove(&mut self, index: usize) -> Option<Vec<u8>> {
        self.items.remove(index)
    }

    /// Keeps the elements for which `keep` is true, in order.
    pub fn retain(&mut self, keep: impl FnMut(&Vec<u8>) -> bool) {
        self.items.retain(keep);
    }

    /// Removes `count` elements from the head.
    pub fn trim_front(&mut self, count: usize) {
        self.items.drain(..count.min(self.items.len()));
    }

    /// Removes `count` elements from the tail.
    pub fn trim_back(&mut self, count: usize) {
        let keep = self.items.len().saturating_sub(count);
        self.items.truncate(keep);
    }

    /// Elements head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vec<u8>> + ExactSizeIterator {
        self.items.iter()
    }

    /// Elements `start..=end` (already clamped to the list).
    pub fn range(&self, start: usize, end: usize) -> impl DoubleEndedIterator<Item = &Vec<u8>> + ExactSizeIterator {
        self.items.range(start..=end)
    }

    /// The number of quicklist nodes Redis would hold for these elements had they been pushed
    /// one by one at the tail: what lazyfreeGetFreeEffort reports for a list. Lists shaped by
    /// other operations may differ by a few nodes; only the order of magnitude matters there.
    pub fn free_effort(&self) -> usize {
        self.quicklist_nodes().len()
    }

    /// How Redis's quicklist would split these elements into nodes had they been pushed one by
    /// one at the tail: (first index, element count) per node; a node of one element of at
    /// least 1 GiB is a plain node. The RDB writer saves the list in these nodes.
    pub fn quicklist_nodes(&self) -> Vec<(usize, usize)> {
        let mut nodes: Vec<(usize, usize)> = Vec::new();
        // The current tail node's listpack bytes and element count; None before the first node.
        let mut tail: Option<(usize, i64)> = None;
        for (i, item) in self.items.iter().enumerate() {
            let entry = listpack_entry_bytes(item);
            match (tail, nodes.last_mut()) {
                (Some((bytes, count)), Some(last)) if node_allows_insert(bytes, count, item.len(), self.fill) => {
                    tail = Some((bytes + entry, count + 1));
                    last.1 += 1;
                }
                _ => {
                    nodes.push((i, 1));
                    tail = if item.len() >= LARGE_ELEMENT_BYTES {
                        None // a plain node takes nothing more
                    } else {
                        Some((LISTPACK_EMPTY_BYTES + entry, 1))
                    };
                }
            }
        }
        nodes
    }

    /// True when an element is too large for a listpack node (quicklist's packed threshold).
    pub fn is_large_element(item: &[u8]) -> bool {
        item.len() >= LARGE_ELEMENT_BYTES
    }
}

/// quicklist's _quicklistNodeAllowInsert for a node of `node_bytes` holding `count` elements.
fn node_allows_insert(node_bytes: usize, count: i64, item_len: usize, fill: i64) -> bool {
    if item_len >= LARGE_ELEMENT_BYTES {
        return false;
    }
    let new_bytes = node_bytes + item_len + INSERT_OVERHEAD_BYTES;
    if fill < 0 {
        let level = usize::try_from(-fill - 1).unwrap_or(usize::MAX);
        if let Some(&limit) = NODE_BYTE_LIMITS.get(level) {
            if new_bytes <= limit {
                return true;
            }
        }
    }
    new_bytes <= NODE_SAFETY_BYTES && count < fill
}

/// The bytes one element takes in a listpack: its encoding header and data, then the back
/// length. Integers in canonical form are stored as integers.
fn listpack_entry_bytes(item: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(n: usize, item: &[u8], fill: i64) -> ListValue {
        ListValue::from_items((0..n).map(|_| item.to_vec()), fill)
    }

    #[test]
    fn nodes_follow_the_byte_budget_for_negative_fill() {
        // 100-byte strings take 102 bytes each; an 8 KiB node holds about 80 of them.
        let list = list_of(1000, &[b'x'; 100], -2);
        let nodes = list.free_effort();
        assert!((12..=14).contains(&nodes), "{nodes}");
        assert_eq!(list_of(0, b"a", -2).free_effort(), 0);
        assert_eq!(list_of(1, b"a", -2).free_effort(), 1);
    }

    #[test]
    fn nodes_follow_the_count_for_positive_fill() {
        assert_eq!(list_of(10, b"a", 2).free_effort(), 5);
        assert_eq!(list_of(10, b"a", 0).free_effort(), 10);
        assert_eq!(list_of(9, b"a", 4).free_effort(), 3);
    }

    #[test]
    fn small_integers_pack_tighter_than_text() {
        assert_eq!(listpack_entry_bytes(b"5"), 2);
        assert_eq!(listpack_entry_bytes(b"05"), 4);
        assert_eq!(listpack_entry_bytes(b"-9223372036854775808"), 10);
    }
}
