//! Unit tests for the sorted set commands, through the engine harness.

use crate::engine::testkit::{bulk, err, int, Harness};
use crate::resp::Frame;

#[test]
fn zadd_and_zrange() {
    let mut h = Harness::new();
    assert_eq!(h.run("ZADD z 1 a 2 b"), int(2));
    assert_eq!(h.run("ZRANGE z 0 -1"), Frame::Array(vec![bulk("a"), bulk("b")]));
    assert_eq!(h.run("ZADD z nx xx 1 a"), err("ERR XX and NX options at the same time are not compatible"));
}
