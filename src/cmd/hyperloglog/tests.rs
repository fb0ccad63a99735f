//! Tests of the HyperLogLog commands. The golden scripts hold replies recorded from the real
//! Redis 7.0.15 (regenerate with `tools/redis_golden.py src/cmd/hyperloglog/golden/*.txt`),
//! GET of every HyperLogLog included, so the bytes are Redis's.

use crate::engine::testkit::golden::check_script;

#[test]
fn golden_basics() {
    check_script(include_str!("golden/basics.txt"));
}

#[test]
fn golden_promotion() {
    check_script(include_str!("golden/promotion.txt"));
}

#[test]
fn golden_corrupt() {
    check_script(include_str!("golden/corrupt.txt"));
}
