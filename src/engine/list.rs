//! The list value. Redis 7.0 keeps every list as a quicklist (a linked list of listpack nodes),
//! whatever its size, so OBJECT ENCODING always answers `quicklist`; `list-max-listpack-size`
//! (the fill) only decides how many elements share a node.
//!
//! verdis keeps the same shape without the links: a `VecDeque` of nodes, each node's elements
//! in one `Packed` buffer. A list thus costs a handful of allocations instead of one per
//! element (which is what made resident size, fork time and copy-on-write exceed Redis's). The
//! nodes follow quicklist's rules for where an element goes (the fill rule at both ends,
//! LINSERT's split and merge, LSET's replace, deletions that drop emptied nodes and never
//! merge), with each node's size computed as its listpack's, so the node count is the one Redis
//! has for the same command history; lazy free weighs that count.

mod node;
#[cfg(test)]
mod tests;

use crate::engine::packed;
pub use node::set_packed_threshold;
use node::{allows_insert, allows_merge, clamp_fill, is_large, tail_push_counts, Node};
use std::collections::{vec_deque, VecDeque};

/// How many low bits of `len_fill` hold the length; the fill takes the 16 above them.
const LEN_BITS: u32 = 48;
const LEN_MASK: u64 = (1 << LEN_BITS) - 1;

#[derive(Clone, Debug, Default)]
pub struct ListValue {
    nodes: VecDeque<Node>,
    /// The element count (low 48 bits) and the fill the list was created with (high 16 bits,
    /// as an i16: quicklistSetFill keeps it within -5..=32767). Packed into one word so that a
    /// list stays as small as the other values inside `Value`.
    len_fill: u64,
}

/// Lists are equal when they hold the same elements with the same fill, however the elements
/// are split into nodes.
impl PartialEq for ListValue {
    fn eq(&self, other: &ListValue) -> bool {
        self.len_fill == other.len_fill && self.iter().eq(other.iter())
    }
}

impl Eq for ListValue {}

impl ListValue {
    /// An empty list whose nodes follow `fill` (the `list-max-listpack-size` in force),
    /// clamped as quicklistSetFill does.
    pub fn new(fill: i64) -> ListValue {
        let fill = clamp_fill(fill) as i16;
        ListValue { nodes: VecDeque::new(), len_fill: u64::from(fill as u16) << LEN_BITS }
    }

    /// A list of `items` (head first), split into nodes as tail pushes would split them.
    pub fn from_items<T: AsRef<[u8]>>(items: impl IntoIterator<Item = T>, fill: i64) -> ListValue {
        let mut list = ListValue::new(fill);
        let items: Vec<T> = items.into_iter().collect();
        let counts = tail_push_counts(items.iter().map(AsRef::as_ref), list.fill());
        list.nodes.reserve_exact(counts.len());
        let mut rest = items.iter();
        for count in counts {
            list.nodes.push_back(Node::of(rest.by_ref().take(count).map(AsRef::as_ref)));
        }
        list.set_len(items.len());
        list
    }

    /// A list of `items` split into nodes of `node_lens` elements (a loaded quicklist's nodes;
    /// the lengths must add up to the item count, as the decoder guarantees).
    pub fn from_nodes<T: AsRef<[u8]>>(items: Vec<T>, node_lens: &[usize], fill: i64) -> ListValue {
        assert_eq!(node_lens.iter().sum::<usize>(), items.len(), "node lengths cover the items");
        let mut list = ListValue::new(fill);
        list.nodes.reserve_exact(node_lens.len());
        let mut rest = items.iter();
        for &count in node_lens.iter().filter(|&&c| c > 0) {
            list.nodes.push_back(Node::of(rest.by_ref().take(count).map(AsRef::as_ref)));
        }
        list.set_len(items.len());
        list
    }

    pub fn len(&self) -> usize {
        (self.len_fill & LEN_MASK) as usize
    }

    fn set_len(&mut self, len: usize) {
        assert!((len as u64) <= LEN_MASK, "a list holds fewer than 2^48 elements");
        self.len_fill = (self.len_fill & !LEN_MASK) | len as u64;
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fill(&self) -> i64 {
        i64::from((self.len_fill >> LEN_BITS) as u16 as i16)
    }

    /// Redis 7.0 has one list encoding.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// The number of nodes (quicklist's `len`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Each node's elements, head first, and whether it is a plain node (one large element
    /// stored as is): what RDB's quicklist-2 encoding writes, node by node, as Redis does.
    pub fn nodes(&self) -> impl Iterator<Item = (crate::engine::packed::Iter<'_>, bool)> + '_ {
        self.nodes.iter().map(|n| (n.items.iter(), n.is_plain()))
    }

    /// Each node's Redis size (`node->sz`: listpack bytes, or a plain element's length),
    /// head first: what MEMORY USAGE samples.
    pub fn node_sizes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|n| n.sz)
    }

    /// Inserts a node at `index` of the node sequence. The first node gets a buffer of exactly
    /// one slot: most lists never have a second, and VecDeque's first growth would take four.
    fn insert_node(&mut self, index: usize, node: Node) {
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
        self.nodes.insert(index, node);
    }

    /// Removes node `index`, returning the buffer's spare room once the list has shrunk a lot.
    fn remove_node(&mut self, index: usize) -> Option<Node> {
        let node = self.nodes.remove(index);
        self.shrink_nodes();
        node
    }

    fn shrink_nodes(&mut self) {
        if self.nodes.capacity() > 4 && self.nodes.len() * 4 <= self.nodes.capacity() {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }

    /// quicklistPushHead.
    pub fn push_front(&mut self, item: impl AsRef<[u8]>) {
        let item = item.as_ref();
        let fill = self.fill();
        match self.nodes.front_mut() {
            Some(head) if allows_insert(Some(head), item.len(), fill) => head.push_front(item),
            _ => self.insert_node(0, Node::single(item)),
        }
        self.set_len(self.len() + 1);
    }

    /// quicklistPushTail.
    pub fn push_back(&mut self, item: impl AsRef<[u8]>) {
        let item = item.as_ref();
        let fill = self.fill();
        match self.nodes.back_mut() {
            Some(tail) if allows_insert(Some(tail), item.len(), fill) => tail.push_back(item),
            _ => self.insert_node(self.nodes.len(), Node::single(item)),
        }
        self.set_len(self.len() + 1);
    }

    /// quicklistPop at the head (an emptied node goes; a plain node always empties).
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let head = self.nodes.front_mut()?;
        let item = head.pop_front()?;
        if head.count() == 0 {
            self.remove_node(0);
        }
        self.set_len(self.len() - 1);
        Some(item)
    }

    /// quicklistPop at the tail.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let tail = self.nodes.back_mut()?;
        let item = tail.pop_back()?;
        if tail.count() == 0 {
            self.remove_node(self.nodes.len() - 1);
        }
        self.set_len(self.len() - 1);
        Some(item)
    }

    /// Removes up to `count` elements from the head and returns them, head first (a range
    /// delete: whole nodes go, the last one touched is cut).
    pub fn drain_front(&mut self, count: usize) -> Vec<Vec<u8>> {
        let count = count.min(self.len());
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let Some(head) = self.nodes.front_mut() else { break };
            let take = head.count().min(count - out.len());
            out.extend(head.items.iter().take(take).map(<[u8]>::to_vec));
            if take == head.count() {
                self.remove_node(0);
            } else {
                head.remove_range(0, take);
            }
        }
        self.set_len(self.len() - out.len());
        out
    }

    /// Removes up to `count` elements from the tail and returns them, tail first.
    pub fn drain_back(&mut self, count: usize) -> Vec<Vec<u8>> {
        let count = count.min(self.len());
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let Some(tail) = self.nodes.back_mut() else { break };
            let n = tail.count();
            let take = n.min(count - out.len());
            let start = out.len();
            out.extend(tail.items.iter().skip(n - take).map(<[u8]>::to_vec));
            out[start..].reverse();
            if take == n {
                self.remove_node(self.nodes.len() - 1);
            } else {
                tail.remove_range(n - take, take);
            }
        }
        self.set_len(self.len() - out.len());
        out
    }

    /// Removes `count` elements from the head (LTRIM's quicklistDelRange).
    pub fn trim_front(&mut self, count: usize) {
        let mut left = count.min(self.len());
        self.set_len(self.len() - left);
        while left > 0 {
            let Some(head) = self.nodes.front_mut() else { break };
            if left >= head.count() {
                left -= head.count();
                self.remove_node(0);
            } else {
                head.remove_range(0, left);
                left = 0;
            }
        }
    }

    /// Removes `count` elements from the tail.
    pub fn trim_back(&mut self, count: usize) {
        let mut left = count.min(self.len());
        self.set_len(self.len() - left);
        while left > 0 {
            let Some(tail) = self.nodes.back_mut() else { break };
            let n = tail.count();
            if left >= n {
                left -= n;
                self.remove_node(self.nodes.len() - 1);
            } else {
                tail.remove_range(n - left, left);
                left = 0;
            }
        }
    }

    /// The node holding element `index` and the element's offset in it, walking from the
    /// nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        let len = self.len();
        if index >= len {
            return None;
        }
        if index < len / 2 {
            let mut rest = index;
            for (i, node) in self.nodes.iter().enumerate() {
                if rest < node.count() {
                    return Some((i, rest));
                }
                rest -= node.count();
            }
        } else {
            let mut rest = len - 1 - index;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                if rest < node.count() {
                    return Some((i, node.count() - 1 - rest));
                }
                rest -= node.count();
            }
        }
        None
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (node, offset) = self.locate(index)?;
        self.nodes[node].items.get(offset)
    }

    /// LSET: replaces element `index` as quicklistReplaceEntry does (in place in a listpack;
    /// a large element, or a small one over a plain node, goes in as an insert after the old
    /// element, which is then deleted). False when there is no such element.
    pub fn set(&mut self, index: usize, item: impl AsRef<[u8]>) -> bool {
        let item = item.as_ref();
        let Some((ni, offset)) = self.locate(index) else {
            return false;
        };
        let plain = self.nodes[ni].is_plain();
        if !plain && !is_large(item) {
            self.nodes[ni].replace(offset, item);
        } else if plain && is_large(item) {
            self.nodes[ni] = Node::single(item);
        } else {
            // The new element lands after the old one, in this node or later ones; the old
            // element is then the last of node `ni`.
            self.insert_at(ni, offset, true, item);
            let count = self.nodes[ni].count();
            if count == 1 {
                self.remove_node(ni);
            } else {
                self.nodes[ni].remove_range(count - 1, 1);
            }
            self.set_len(self.len() - 1);
        }
        true
    }

    /// LINSERT: inserts `item` just before or after element `index` (which must exist; false
    /// otherwise).
    pub fn insert_next_to(&mut self, index: usize, after: bool, item: impl AsRef<[u8]>) -> bool {
        match self.locate(index) {
            Some((ni, offset)) => {
                self.insert_at(ni, offset, after, item.as_ref());
                true
            }
            None => false,
        }
    }

    /// quicklist's _quicklistInsert next to element `offset` of node `ni`: into that node when
    /// it has room; else at the near end of the neighbour, or in a new node, when inserting at
    /// the node's edge; else by splitting the node and merging what can be merged around it.
    fn insert_at(&mut self, ni: usize, offset: usize, after: bool, item: &[u8]) {
        let fill = self.fill();
        let count = self.nodes[ni].count();
        let full = !allows_insert(self.nodes.get(ni), item.len(), fill);
        let at_tail = after && offset + 1 == count;
        let at_head = !after && offset == 0;
        let avail_next = at_tail && allows_insert(self.nodes.get(ni + 1), item.len(), fill);
        let avail_prev = at_head && ni > 0 && allows_insert(self.nodes.get(ni - 1), item.len(), fill);
        // Where a new neighbour node goes.
        let side = if after { ni + 1 } else { ni };
        self.set_len(self.len() + 1);
        if is_large(item) {
            if self.nodes[ni].is_plain() || at_tail || at_head {
                self.insert_node(side, Node::single(item));
            } else {
                // Split around the insertion point; the plain node goes between the halves.
                let rest = self.nodes[ni].split_off(if after { offset + 1 } else { offset });
                self.insert_node(ni + 1, Node::single(item));
                self.insert_node(ni + 2, rest);
            }
            return;
        }
        if !full {
            self.nodes[ni].insert(if after { offset + 1 } else { offset }, item);
        } else if avail_next {
            self.nodes[ni + 1].push_front(item);
        } else if avail_prev {
            self.nodes[ni - 1].push_back(item);
        } else if at_tail || at_head {
            self.insert_node(side, Node::single(item));
        } else if after {
            // This node keeps ..=offset; a new node after it gets the element and the rest.
            let mut rest = self.nodes[ni].split_off(offset + 1);
            rest.push_front(item);
            self.insert_node(ni + 1, rest);
            self.merge_around(ni);
        } else {
            // A new node before this one gets ..offset and the element; this one keeps the rest.
            let rest = self.nodes[ni].split_off(offset);
            let mut head = std::mem::replace(&mut self.nodes[ni], rest);
            head.push_back(item);
            self.insert_node(ni, head);
            self.merge_around(ni + 1);
        }
    }

    /// _quicklistMergeNodes around node `center`: the two nodes before it, the two after it,
    /// then the center with its previous and next neighbours, each pair when the fill allows.
    fn merge_around(&mut self, center: usize) {
        let fill = self.fill();
        let mut center = center;
        if center >= 2 && allows_merge(self.nodes.get(center - 1), self.nodes.get(center - 2), fill) {
            self.merge_with_next(center - 2);
            center -= 1;
        }
        if allows_merge(self.nodes.get(center + 1), self.nodes.get(center + 2), fill) {
            self.merge_with_next(center + 1);
        }
        let target = if center >= 1 && allows_merge(self.nodes.get(center), self.nodes.get(center - 1), fill) {
            self.merge_with_next(center - 1);
            center - 1
        } else {
            center
        };
        if allows_merge(self.nodes.get(target), self.nodes.get(target + 1), fill) {
            self.merge_with_next(target);
        }
    }

    /// Merges node `index + 1` into node `index`.
    fn merge_with_next(&mut self, index: usize) {
        if let Some(next) = self.remove_node(index + 1) {
            self.nodes[index].append(&next);
        }
    }

    /// Keeps the elements for which `keep` is true, in order (LREM's deletions: nodes shrink in
    /// place, emptied nodes go, nothing merges).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let mut len = 0;
        for node in self.nodes.iter_mut() {
            let flags: Vec<bool> = node.items.iter().map(&mut keep).collect();
            let kept = flags.iter().filter(|&&k| k).count();
            if kept < flags.len() {
                let mut flag = flags.iter();
                *node = Node::of(node.items.iter().filter(|_| flag.next().copied().unwrap_or(false)));
            }
            len += kept;
        }
        self.nodes.retain(|n| n.count() > 0);
        self.shrink_nodes();
        self.set_len(len);
    }

    /// Elements head to tail.
    pub fn iter(&self) -> Iter<'_> {
        Iter { nodes: self.nodes.iter(), current: packed::Iter::default(), left: self.len() }
    }

    /// Elements tail to head.
    pub fn iter_rev(&self) -> RevIter<'_> {
        RevIter { nodes: self.nodes.iter().rev(), current: Vec::new(), left: self.len() }
    }

    /// Elements `start..=end` (already clamped to the list).
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let wanted = if start <= end && end < self.len() { end - start + 1 } else { 0 };
        let mut nodes = self.nodes.iter();
        let mut skip = start;
        let mut current = packed::Iter::default();
        for node in nodes.by_ref() {
            if skip < node.count() {
                current = node.items.iter();
                current.by_ref().take(skip).for_each(drop);
                break;
            }
            skip -= node.count();
        }
        Iter { nodes, current, left: wanted }
    }

    /// The number of quicklist nodes: what lazyfreeGetFreeEffort reports for a list.
    pub fn free_effort(&self) -> usize {
        self.nodes.len()
    }

    /// How Redis's quicklist would split these elements into nodes had they been pushed one by
    /// one at the tail: the element count per node (a node of one element of at least 1 GiB is
    /// a plain node). The RDB writer saves the list in these nodes.
    pub fn tail_push_node_counts(&self) -> Vec<usize> {
        tail_push_counts(self.iter(), self.fill())
    }

    /// True when an element is too large for a listpack node (quicklist's packed threshold).
    pub fn is_large_element(item: &[u8]) -> bool {
        is_large(item)
    }
}

/// A list's elements head to tail (or a range of them).
pub struct Iter<'a> {
    nodes: vec_deque::Iter<'a, Node>,
    current: packed::Iter<'a>,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        loop {
            if let Some(item) = self.current.next() {
                self.left -= 1;
                return Some(item);
            }
            self.current = self.nodes.next()?.items.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A list's elements tail to head: each node's elements are gathered, then handed out last
/// first (a node's buffer can only be walked forwards).
pub struct RevIter<'a> {
    nodes: std::iter::Rev<vec_deque::Iter<'a, Node>>,
    current: Vec<&'a [u8]>,
    left: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        loop {
            if let Some(item) = self.current.pop() {
                self.left -= 1;
                return Some(item);
            }
            self.current = self.nodes.next()?.items.iter().collect();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for RevIter<'_> {}
