//! The list and blocking rules as the model executes them (each reply here
//! was checked against redis-server 7.0.15; `tests/interop/lists.redis`
//! replays most of them against the real server).

use verdis_spec::{argv, Model, Reply, EPOCH_MS};

const T0: u64 = EPOCH_MS;

fn run(m: &mut Model, cmd: &str) -> Reply {
    run_as(m, 0, cmd, T0)
}

fn run_as(m: &mut Model, client: u64, cmd: &str, now: u64) -> Reply {
    m.apply(client, &argv(&cmd.split(' ').collect::<Vec<_>>()), now)
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(Reply::bulk).collect())
}

fn err(text: &str) -> Reply {
    Reply::Error(text.to_string())
}

fn blocked() -> Reply {
    Reply::Status(verdis_spec::model::NO_REPLY.to_string())
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn pushes_and_empty_lists() {
    // rules: LIST-1 LIST-2
    let mut m = Model::new();
    assert_eq!(run(&mut m, "LPUSH l a b c"), Reply::Int(3));
    assert_eq!(run(&mut m, "LRANGE l 0 -1"), bulks(&["c", "b", "a"]));
    assert_eq!(run(&mut m, "RPUSHX nokey a"), Reply::Int(0));
    assert_eq!(run(&mut m, "EXISTS nokey"), Reply::Int(0));
    assert_eq!(run(&mut m, "TYPE l"), Reply::Status("list".into()));
    assert_eq!(run(&mut m, "RPOP l 3"), bulks(&["a", "b", "c"]));
    assert_eq!(run(&mut m, "EXISTS l"), Reply::Int(0));
}

#[test]
fn wrong_type_changes_nothing() {
    // rule: LIST-3
    let mut m = Model::new();
    run(&mut m, "SET s v");
    run(&mut m, "RPUSH l a");
    assert_eq!(run(&mut m, "LMOVE l s LEFT LEFT"), err(WRONGTYPE));
    assert_eq!(run(&mut m, "LMPOP 2 nokey s LEFT"), err(WRONGTYPE));
    assert_eq!(run(&mut m, "GET l"), err(WRONGTYPE));
    assert_eq!(run(&mut m, "LRANGE l 0 -1"), bulks(&["a"]));
}

#[test]
fn pops_with_counts() {
    // rule: LIST-4
    let mut m = Model::new();
    run(&mut m, "RPUSH l a b c");
    assert_eq!(run(&mut m, "LPOP l 0"), Reply::Array(Vec::new()));
    assert_eq!(run(&mut m, "LPOP l 2"), bulks(&["a", "b"]));
    assert_eq!(run(&mut m, "LPOP nokey 2"), Reply::NilArray);
    assert_eq!(run(&mut m, "LPOP nokey"), Reply::Nil);
    assert_eq!(run(&mut m, "LPOP l -1"), err("ERR value is out of range, must be positive"));
    assert_eq!(run(&mut m, "LPOP l 1 2"), err("ERR wrong number of arguments for 'lpop' command"));
}

#[test]
fn ranges_and_trims() {
    // rule: LIST-5
    let mut m = Model::new();
    run(&mut m, "RPUSH l 1 2 3 4 5");
    assert_eq!(run(&mut m, "LRANGE l -2 100"), bulks(&["4", "5"]));
    assert_eq!(run(&mut m, "LRANGE nokey x 1"), err("ERR value is not an integer or out of range"));
    assert_eq!(run(&mut m, "LTRIM l 1 -2"), Reply::ok());
    assert_eq!(run(&mut m, "LRANGE l 0 -1"), bulks(&["2", "3", "4"]));
    assert_eq!(run(&mut m, "LTRIM l 2 1"), Reply::ok());
    assert_eq!(run(&mut m, "EXISTS l"), Reply::Int(0));
}

#[test]
fn index_access() {
    // rule: LIST-6
    let mut m = Model::new();
    run(&mut m, "RPUSH l a b");
    assert_eq!(run(&mut m, "LINDEX nokey x"), Reply::Nil);
    assert_eq!(run(&mut m, "LINDEX l -1"), Reply::bulk("b"));
    assert_eq!(run(&mut m, "LSET nokey x v"), err("ERR no such key"));
    assert_eq!(run(&mut m, "LSET l 2 v"), err("ERR index out of range"));
}

#[test]
fn insert_and_remove() {
    // rules: LIST-7 LIST-8
    let mut m = Model::new();
    run(&mut m, "RPUSH l a b a c a");
    assert_eq!(run(&mut m, "LINSERT l AFTER a x"), Reply::Int(6));
    assert_eq!(run(&mut m, "LINSERT nokey FOO a x"), err("ERR syntax error"));
    assert_eq!(run(&mut m, "LINSERT l BEFORE zz x"), Reply::Int(-1));
    assert_eq!(run(&mut m, "LREM l -2 a"), Reply::Int(2));
    assert_eq!(run(&mut m, "LRANGE l 0 -1"), bulks(&["a", "x", "b", "c"]));
}

#[test]
fn lpos_options() {
    // rule: LIST-9
    let mut m = Model::new();
    run(&mut m, "RPUSH l a b c 1 2 3 c c");
    assert_eq!(run(&mut m, "LPOS l c RANK -1"), Reply::Int(7));
    assert_eq!(run(&mut m, "LPOS l c COUNT 2 RANK -1"), Reply::Array(vec![Reply::Int(7), Reply::Int(6)]));
    assert_eq!(run(&mut m, "LPOS l c COUNT 0 MAXLEN 3"), Reply::Array(vec![Reply::Int(2)]));
    assert_eq!(
        run(&mut m, "LPOS l c RANK -9223372036854775808 COUNT 1"),
        Reply::Array(vec![Reply::Int(7), Reply::Int(6), Reply::Int(2)])
    );
    assert_eq!(run(&mut m, "LPOS nokey a COUNT -1"), err("ERR COUNT can't be negative"));
}

#[test]
fn moves() {
    // rule: LIST-10
    let mut m = Model::new();
    run(&mut m, "RPUSH r 1 2 3");
    assert_eq!(run(&mut m, "LMOVE r r LEFT RIGHT"), Reply::bulk("1"));
    assert_eq!(run(&mut m, "LRANGE r 0 -1"), bulks(&["2", "3", "1"]));
    assert_eq!(run(&mut m, "RPOPLPUSH r d"), Reply::bulk("1"));
    assert_eq!(run(&mut m, "LMOVE nokey d LEFT LEFT"), Reply::Nil);
}

#[test]
fn lmpop_arguments() {
    // rule: LIST-11
    let mut m = Model::new();
    run(&mut m, "RPUSH b 1 2 3");
    let popped = Reply::Array(vec![Reply::bulk("b"), bulks(&["3", "2"])]);
    assert_eq!(run(&mut m, "LMPOP 2 a b RIGHT COUNT 2"), popped);
    assert_eq!(run(&mut m, "LMPOP 0 a LEFT"), err("ERR numkeys should be greater than 0"));
    assert_eq!(run(&mut m, "LMPOP 2 a LEFT"), err("ERR syntax error"));
    assert_eq!(run(&mut m, "LMPOP 1 a LEFT COUNT 0"), err("ERR count should be greater than 0"));
}

#[test]
fn blocking_timeouts() {
    // rules: LIST-12 BLOCK-3
    let mut m = Model::new();
    assert_eq!(run(&mut m, "BLPOP k -1"), err("ERR timeout is negative"));
    assert_eq!(run(&mut m, "BLPOP k x"), err("ERR timeout is not a float or out of range"));
    assert_eq!(run_as(&mut m, 1, "BLMOVE k d LEFT LEFT 0.1", T0), blocked());
    m.time_passes(T0 + 100);
    assert!(m.is_blocked(1));
    m.time_passes(T0 + 101);
    assert_eq!(m.take_deliveries(), vec![(1, Reply::NilArray)]);
}

#[test]
fn served_in_blocking_order() {
    // rules: BLOCK-1 BLOCK-2 BLOCK-6
    let mut m = Model::new();
    assert_eq!(run_as(&mut m, 1, "BLPOP k1 k2 0", T0), blocked());
    assert_eq!(run_as(&mut m, 2, "BLMPOP 0 1 k2 LEFT COUNT 5", T0), blocked());
    run(&mut m, "RPUSH k2 a b c");
    assert_eq!(
        m.take_deliveries(),
        vec![
            (1, Reply::Array(vec![Reply::bulk("k2"), Reply::bulk("a")])),
            (2, Reply::Array(vec![Reply::bulk("k2"), bulks(&["b", "c"])])),
        ]
    );
    assert_eq!(run(&mut m, "EXISTS k2"), Reply::Int(0));
}

#[test]
fn other_types_do_not_wake() {
    // rules: BLOCK-4 BLOCK-5
    let mut m = Model::new();
    run_as(&mut m, 1, "BRPOPLPUSH src dst 0", T0);
    run(&mut m, "SET src x");
    run(&mut m, "DEL src");
    run(&mut m, "SET dst x");
    assert!(m.take_deliveries().is_empty());
    run(&mut m, "RPUSH src v");
    assert_eq!(m.take_deliveries(), vec![(1, err(WRONGTYPE))]);
    assert_eq!(run(&mut m, "LRANGE src 0 -1"), bulks(&["v"]));
}
