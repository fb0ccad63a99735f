//! Tests of the bitmap commands. The golden scripts hold replies recorded from the real Redis
//! 7.0.15 (regenerate with `tools/redis_golden.py src/cmd/bitmaps/golden/*.txt`).

use crate::engine::testkit::golden::check_script;

#[test]
fn golden_setbit_getbit() {
    check_script(include_str!("golden/setbit.txt"));
}

#[test]
fn golden_bitcount_bitpos() {
    check_script(include_str!("golden/bitcount.txt"));
}

#[test]
fn golden_bitop() {
    check_script(include_str!("golden/bitop.txt"));
}

#[test]
fn golden_bitfield() {
    check_script(include_str!("golden/bitfield.txt"));
}

/// WRONGTYPE replies, against a set.
#[test]
fn golden_wrongtype() {
    check_script(include_str!("golden/wrongtype.txt"));
}
