//! Unit tests of the stream family (replies checked against Redis 7.0.15).

use crate::engine::testkit::Harness;
use crate::resp::Frame;

fn bulk(s: &str) -> Frame {
    Frame::bulk(s.as_bytes().to_vec())
}

// rule: STREAM-1
#[test]
fn xadd_explicit_and_auto_ids() {
    let mut h = Harness::new();
    assert_eq!(h.run("XADD s 1-1 a 1"), bulk("1-1"));
    assert_eq!(h.run("XADD s 1-* a 2"), bulk("1-2"));
    assert_eq!(
        h.run("XADD s 1 a 3"),
        Frame::error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(h.run("XADD s 0-0 a 3"), Frame::error("ERR The ID specified in XADD must be greater than 0-0"));
    assert_eq!(h.run("XLEN s"), Frame::Integer(2));
    assert_eq!(h.run("XADD t NOMKSTREAM * a 1"), Frame::Null);
    assert_eq!(h.run("TYPE s"), Frame::simple("stream"));
}
