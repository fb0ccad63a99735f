//! Tests of the strings family. The golden scripts hold replies recorded from the real Redis
//! 7.0.15 (regenerate with `tools/redis_golden.py src/cmd/strings/golden/*.txt`); the tests
//! below them cover what a script cannot: absolute times and the simulated clock.

use crate::engine::testkit::golden::check_script;
use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::resp::Frame;

#[test]
fn golden_set_get() {
    check_script(include_str!("golden/set_get.txt"));
}

#[test]
fn golden_variants() {
    check_script(include_str!("golden/variants.txt"));
}

#[test]
fn golden_range() {
    check_script(include_str!("golden/range.txt"));
}

#[test]
fn golden_counters() {
    check_script(include_str!("golden/counters.txt"));
}

#[test]
fn golden_lcs() {
    check_script(include_str!("golden/lcs.txt"));
}
