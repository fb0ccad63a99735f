//! Tests of SORT. The golden scripts hold replies recorded from the real Redis 7.0.15
//! (regenerate with `tools/redis_golden.py src/cmd/sort/golden/*.txt`); the tests below cover
//! what a recording cannot: weights out of range (a real Redis keeps the failed strtod's errno
//! and then fails every numeric SORT, see `specs/rules/sort.md`).

use crate::engine::testkit::golden::check_script;
use crate::engine::testkit::{bulk, err, Harness};
use crate::resp::Frame;

#[test]
fn golden_sets() {
    check_script(include_str!("golden/sets.txt"));
}

#[test]
fn golden_lists_zsets() {
    check_script(include_str!("golden/lists_zsets.txt"));
}

const NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

#[test]
fn weights_out_of_range_fail_each_time_on_their_own() {
    let mut h = Harness::new();
    h.run("SADD s 1 2");
    h.run("SET w_1 1e-310");
    assert_eq!(h.run("SORT s BY w_*"), err(NOT_DOUBLE));
    h.run("SET w_1 1e400");
    assert_eq!(h.run("SORT s BY w_*"), err(NOT_DOUBLE));
    h.run("SET w_1 0x1p-1074");
    assert_eq!(h.run("SORT s BY w_*"), Frame::Array(vec![bulk("2"), bulk("1")]));
    h.run("SET w_1 2.2250738585072014e-308");
    assert_eq!(h.run("SORT s BY w_*"), Frame::Array(vec![bulk("2"), bulk("1")]));
    h.run("SET w_1 -inf");
    // ALPHA: a missing weight sorts first.
    assert_eq!(h.run("SORT s BY w_* ALPHA"), Frame::Array(vec![bulk("2"), bulk("1")]));
    assert_eq!(h.run("SORT s BY w_*"), Frame::Array(vec![bulk("1"), bulk("2")]));
}

#[test]
fn store_of_nothing_deletes_the_destination() {
    let mut h = Harness::new();
    h.run("SET d x");
    assert_eq!(h.run("SORT nokey STORE d"), Frame::Integer(0));
    assert_eq!(h.run("EXISTS d"), Frame::Integer(0));
    h.run("SADD s 1");
    h.run("SET d x");
    assert_eq!(h.run("SORT s LIMIT 5 5 STORE d"), Frame::Integer(0));
    assert_eq!(h.run("EXISTS d"), Frame::Integer(0));
}
