use super::node::listpack_entry_bytes;
use super::*;
use crate::engine::testkit::Harness;
use crate::engine::value::Value;
use proptest::prelude::*;
use std::collections::VecDeque;

#[path = "redis_cases.rs"]
mod redis_cases;

fn list_of(n: usize, item: &[u8], fill: i64) -> ListValue {
    ListValue::from_items((0..n).map(|_| item.to_vec()), fill)
}

fn items(list: &ListValue) -> Vec<Vec<u8>> {
    list.iter().map(<[u8]>::to_vec).collect()
}

/// The structure is consistent: no empty node, the length is the nodes' sum, every node's size
/// is its listpack's.
fn check_nodes(list: &ListValue) {
    let mut len = 0;
    for node in &list.nodes {
        assert!(node.count() > 0, "empty node in {list:?}");
        let mut copy = node.clone();
        copy.update_sz();
        assert_eq!(copy.sz, node.sz, "stale node size in {list:?}");
        len += node.count();
    }
    assert_eq!(len, list.len());
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
fn fill_is_clamped_as_quicklist_does() {
    assert_eq!(ListValue::new(-100).fill(), -5);
    assert_eq!(ListValue::new(100_000).fill(), 32767);
    assert_eq!(ListValue::new(-2).fill(), -2);
    // -5 is a 64 KiB budget: 1000 elements of 40 bytes share one node.
    assert_eq!(list_of(1000, &[b'y'; 40], -9).free_effort(), 1);
}

#[test]
fn small_integers_pack_tighter_than_text() {
    assert_eq!(listpack_entry_bytes(b"5"), 2);
    assert_eq!(listpack_entry_bytes(b"05"), 4);
    assert_eq!(listpack_entry_bytes(b"-9223372036854775808"), 10);
}

#[test]
fn a_small_list_takes_one_node_slot() {
    let mut list = ListValue::new(-2);
    list.push_back(b"a");
    list.push_front(b"b");
    assert_eq!(list.nodes.capacity(), 1);
    assert_eq!(items(&list), vec![b"b".to_vec(), b"a".to_vec()]);
}

#[test]
fn lpush_grows_nodes_at_the_head() {
    // Redis: 200 LPUSHes of 100 bytes (103 listpack bytes each) make 3 nodes, the full ones at the tail.
    let mut list = ListValue::new(-2);
    for _ in 0..200 {
        list.push_front([b'z'; 100]);
    }
    let counts: Vec<usize> = list.nodes.iter().map(Node::count).collect();
    assert_eq!(counts, vec![42, 79, 79]);
    assert_eq!(list.tail_push_node_counts(), vec![79, 79, 42]);
}

#[test]
fn ranges_and_reverse_walks_cross_nodes() {
    let list = ListValue::from_items((0..50).map(|i| i.to_string()), 3);
    let all = items(&list);
    assert_eq!(list.range(4, 20).map(<[u8]>::to_vec).collect::<Vec<_>>(), all[4..=20].to_vec());
    assert_eq!(list.range(4, 20).len(), 17);
    assert_eq!(list.range(49, 49).map(<[u8]>::to_vec).collect::<Vec<_>>(), vec![b"49".to_vec()]);
    let mut rev: Vec<Vec<u8>> = list.iter_rev().map(<[u8]>::to_vec).collect();
    rev.reverse();
    assert_eq!(rev, all);
    assert_eq!(list.get(31), Some(b"31".as_slice()));
    assert_eq!(list.get(50), None);
}

/// Expands the `x*N` shorthand of the recorded cases.
fn expand(line: &str) -> Vec<Vec<u8>> {
    line.split(' ')
        .map(|word| match word.split_once('*') {
            Some((letter, n)) => letter.repeat(n.parse().expect("count")).into_bytes(),
            None => word.as_bytes().to_vec(),
        })
        .collect()
}

#[test]
fn node_splits_match_redis() {
    for (case, &(fill, nodes, total_sz, commands)) in redis_cases::CASES.iter().enumerate() {
        let mut h = Harness::new();
        h.run(&format!("CONFIG SET list-max-listpack-size {fill}"));
        for line in commands {
            h.run_argv(&expand(line));
        }
        let Some(Value::List(list)) = h.engine.dbs[0].entry(b"l").map(|e| &e.value) else {
            panic!("case {case}: no list");
        };
        check_nodes(list);
        let sizes: usize = list.node_sizes().sum();
        assert_eq!((list.node_count(), sizes), (nodes, total_sz), "case {case} (fill {fill})");
    }
}

#[derive(Clone, Debug)]
enum Step {
    PushBack(Vec<u8>),
    PushFront(Vec<u8>),
    PopOne(bool),
    PopFront(usize),
    PopBack(usize),
    TrimFront(usize),
    TrimBack(usize),
    Set(usize, Vec<u8>),
    Insert(usize, bool, Vec<u8>),
    RetainShort,
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-300i64..300).prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(b'a'..=b'c', 0..5),
        (1usize..900).prop_map(|n| vec![b'x'; n]),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => element().prop_map(Step::PushBack),
        3 => element().prop_map(Step::PushFront),
        2 => any::<bool>().prop_map(Step::PopOne),
        1 => (0usize..4).prop_map(Step::PopFront),
        1 => (0usize..4).prop_map(Step::PopBack),
        1 => (0usize..3).prop_map(Step::TrimFront),
        1 => (0usize..3).prop_map(Step::TrimBack),
        2 => (0usize..40, element()).prop_map(|(i, e)| Step::Set(i, e)),
        3 => (0usize..40, any::<bool>(), element()).prop_map(|(i, a, e)| Step::Insert(i, a, e)),
        1 => Just(Step::RetainShort),
    ]
}

proptest! {
    /// Every operation does to the elements what it does to a `VecDeque`, and keeps the
    /// node structure consistent, for count and byte fills alike.
    #[test]
    fn behaves_as_a_deque(fill in prop_oneof![Just(-1i64), Just(-2), Just(1), Just(2), Just(3), Just(5)],
                          steps in proptest::collection::vec(step(), 0..60)) {
        let mut list = ListValue::new(fill);
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for s in steps {
            match s {
                Step::PushBack(e) => { list.push_back(&e); model.push_back(e); }
                Step::PushFront(e) => { list.push_front(&e); model.push_front(e); }
                Step::PopOne(front) => {
                    let (got, want) = if front {
                        (list.pop_front(), model.pop_front())
                    } else {
                        (list.pop_back(), model.pop_back())
                    };
                    prop_assert_eq!(got, want);
                }
                Step::PopFront(n) => {
                    let want: Vec<Vec<u8>> = (0..n).map_while(|_| model.pop_front()).collect();
                    prop_assert_eq!(list.drain_front(n), want);
                }
                Step::PopBack(n) => {
                    let want: Vec<Vec<u8>> = (0..n).map_while(|_| model.pop_back()).collect();
                    prop_assert_eq!(list.drain_back(n), want);
                }
                Step::TrimFront(n) => { list.trim_front(n); model.drain(..n.min(model.len())); }
                Step::TrimBack(n) => { list.trim_back(n); model.truncate(model.len().saturating_sub(n)); }
                Step::Set(i, e) => {
                    prop_assert_eq!(list.set(i, &e), i < model.len());
                    if let Some(slot) = model.get_mut(i) { *slot = e; }
                }
                Step::Insert(i, after, e) => {
                    prop_assert_eq!(list.insert_next_to(i, after, &e), i < model.len());
                    if i < model.len() { model.insert(if after { i + 1 } else { i }, e); }
                }
                Step::RetainShort => { list.retain(|e| e.len() < 3); model.retain(|e| e.len() < 3); }
            }
            prop_assert_eq!(items(&list), model.iter().cloned().collect::<Vec<_>>());
            check_nodes(&list);
            for (i, want) in model.iter().enumerate() {
                prop_assert_eq!(list.get(i), Some(want.as_slice()));
            }
        }
    }
}
