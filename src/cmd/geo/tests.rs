use crate::engine::testkit::Harness;
use crate::resp::Frame;

fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

#[test]
fn palermo_and_catania() {
    let mut h = Harness::new();
    assert_eq!(h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"), Frame::Integer(2));
    assert_eq!(h.run("GEODIST Sicily Palermo Catania"), bulk("166274.1516"));
    assert_eq!(h.run("GEODIST Sicily Palermo Catania km"), bulk("166.2742"));
    assert_eq!(
        h.run("GEOPOS Sicily Palermo nosuch"),
        Frame::Array(vec![
            Frame::Array(vec![bulk("13.36138933897018433"), bulk("38.11555639549629859")]),
            Frame::NullArray
        ])
    );
    assert_eq!(h.run("GEOHASH Sicily Palermo nosuch"), Frame::Array(vec![bulk("sqc8b49rny0"), Frame::Null]));
}
