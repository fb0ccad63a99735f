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

fn err(s: &str) -> Frame {
    Frame::Error(s.to_string())
}

// rule: GEO-2
#[test]
fn geoadd_checks_options_then_points_then_runs_zadd() {
    let mut h = Harness::new();
    assert_eq!(h.run("GEOADD k NX XX 1 1 a"), err("ERR syntax error"));
    assert_eq!(h.run("GEOADD k 1 1 a 2"), err("ERR syntax error"));
    assert_eq!(h.run("GEOADD k ch ch ch"), err("ERR syntax error"));
    assert_eq!(h.run("GEOADD k GT 1 1 a"), err("ERR syntax error"));
    assert_eq!(h.run("GEOADD k x 1 a"), err("ERR value is not a valid float"));
    assert_eq!(h.run("GEOADD k 200 100 a"), err("ERR invalid longitude,latitude pair 200.000000,100.000000"));
    assert_eq!(h.run("GEOADD k 0.0078125 -inf a"), err("ERR invalid longitude,latitude pair 0.007812,-inf"));
    assert_eq!(h.run("EXISTS k"), Frame::Integer(0));
    assert_eq!(h.run("GEOADD k 1 1 a 2 2 b"), Frame::Integer(2));
    assert_eq!(h.run("GEOADD k XX CH 1 1 a 3 3 b 4 4 c"), Frame::Integer(1));
    assert_eq!(h.run("GEOADD k NX 5 5 a 6 6 d"), Frame::Integer(1));
    assert_eq!(h.run("ZCARD k"), Frame::Integer(3));
    h.run("SET s x");
    assert!(matches!(h.run("GEOADD s 1 1 a"), Frame::Error(e) if e.starts_with("WRONGTYPE")));
    assert_eq!(h.run("GEOADD s 1 x a"), err("ERR value is not a valid float"));
}

// rule: GEO-3, GEO-5
#[test]
fn any_score_decodes() {
    let mut h = Harness::new();
    h.run("ZADD w -1 neg inf pinf -inf ninf");
    assert_eq!(
        h.run("GEOPOS w neg pinf ninf"),
        Frame::Array(vec![
            Frame::Array(vec![bulk("180"), bulk("85.0511287799999991")]),
            Frame::Array(vec![bulk("-179.99999731779098511"), bulk("-85.05112751263942528")]),
            Frame::Array(vec![bulk("180"), bulk("-85.05112751263942528")]),
        ])
    );
    assert_eq!(h.run("GEOHASH w neg pinf"), Frame::Array(vec![bulk("bp05b5048p0"), bulk("00bh0hbj200")]));
}

// rule: GEO-4
#[test]
fn resp3_coordinates_are_doubles_with_the_long_double_text() {
    let mut h = Harness::new();
    h.run("GEOADD Sicily 13.361389 38.115556 Palermo");
    h.run("HELLO 3");
    assert_eq!(
        h.run("GEOPOS Sicily Palermo nosuch"),
        Frame::Array(vec![
            Frame::Array(vec![
                Frame::Raw(b",13.36138933897018433\r\n".to_vec()),
                Frame::Raw(b",38.11555639549629859\r\n".to_vec())
            ]),
            Frame::NullArray
        ])
    );
}

// rule: GEO-6
#[test]
fn geodist_units_and_errors() {
    let mut h = Harness::new();
    h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
    assert_eq!(h.run("GEODIST Sicily Palermo Catania mi"), bulk("103.3182"));
    assert_eq!(h.run("GEODIST Sicily Palermo Catania FT"), bulk("545518.8700"));
    assert_eq!(h.run("GEODIST Sicily Palermo Palermo"), bulk("0.0000"));
    assert_eq!(h.run("GEODIST Sicily Palermo nosuch"), Frame::Null);
    assert_eq!(h.run("GEODIST nokey a b"), Frame::Null);
    assert_eq!(h.run("GEODIST nokey a b x"), err("ERR unsupported unit provided. please use M, KM, FT, MI"));
    assert_eq!(h.run("GEODIST nokey a b km x"), err("ERR syntax error"));
}

// rule: GEO-9, GEO-10
#[test]
fn search_argument_errors() {
    let mut h = Harness::new();
    h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
    let cases = [
        (
            "GEOSEARCH Sicily FROMLONLAT 15 37 WITHDIST ASC",
            "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
        ),
        (
            "geosearch Sicily BYRADIUS 1 km ASC WITHDIST",
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
        ),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km", "ERR syntax error"),
        ("GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS -1 km", "ERR could not decode requested zset member"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km", "ERR radius cannot be negative"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km", "ERR need numeric radius"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km", "ERR need numeric height"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km", "ERR height or width cannot be negative"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY", "ERR the ANY argument requires COUNT argument"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0", "ERR COUNT must be > 0"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST", "ERR syntax error"),
        (
            "GEORADIUS Sicily 15 37 1 km STORE d WITHDIST",
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        (
            "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHHASH",
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        ("GEORADIUS_RO Sicily 15 37 1 km STORE d", "ERR syntax error"),
    ];
    for (cmd, want) in cases {
        assert_eq!(h.run(cmd), err(want), "{cmd}");
    }
    // No source: GEORADIUSBYMEMBER checks neither the member nor the radius.
    assert_eq!(h.run("GEORADIUSBYMEMBER nokey m -1 furlong"), Frame::Array(vec![]));
}

// rule: GEO-11, GEO-12
#[test]
fn search_sorts_replies_and_stores() {
    let mut h = Harness::new();
    h.run("GEOADD g 0 0 a 0 0 b 0.001 0 c 0.002 0 d");
    let names = |f: Frame| match f {
        Frame::Array(v) => v
            .into_iter()
            .map(|x| match x {
                Frame::Bulk(b) => String::from_utf8(b).unwrap_or_default(),
                _ => String::new(),
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    assert_eq!(names(h.run("GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 1 km DESC")), ["d", "c", "a", "b"]);
    assert_eq!(names(h.run("GEOSEARCH g FROMLONLAT 0.002 0 BYRADIUS 1 km ASC")), ["d", "c", "a", "b"]);
    assert_eq!(names(h.run("GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 1 km COUNT 3")), ["a", "b", "c"]);
    assert_eq!(
        h.run("GEOSEARCH g FROMLONLAT 0 0 BYRADIUS 120 m WITHDIST WITHHASH ASC COUNT 3"),
        Frame::Array(vec![
            Frame::Array(vec![bulk("a"), bulk("0.3300"), Frame::Integer(3377699720527872)]),
            Frame::Array(vec![bulk("b"), bulk("0.3300"), Frame::Integer(3377699720527872)]),
            Frame::Array(vec![bulk("c"), bulk("111.2780"), Frame::Integer(3377699720563336)]),
        ])
    );
    assert_eq!(h.run("GEOSEARCHSTORE dst g FROMLONLAT 0 0 BYRADIUS 1 km STOREDIST COUNT 2"), Frame::Integer(2));
    assert_eq!(h.run("OBJECT ENCODING dst"), Frame::Bulk(b"listpack".to_vec()));
    assert_eq!(h.run("GEORADIUS g 50 50 1 m STORE dst"), Frame::Integer(0));
    assert_eq!(h.run("EXISTS dst"), Frame::Integer(0));
}

// rule: GEO-2
#[test]
fn geoadd_propagates_as_zadd() {
    let mut h = Harness::new();
    h.engine.propagated = Some(Vec::new());
    h.run("GEOADD g CH 13.361389 38.115556 Palermo");
    h.run("GEOADD g NX 13.361389 38.115556 Palermo");
    let log: Vec<Vec<Vec<u8>>> = h.engine.propagated.take().unwrap_or_default().into_iter().map(|(_, a)| a).collect();
    let want: Vec<Vec<u8>> =
        ["zadd", "g", "CH", "3479099956230698", "Palermo"].iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(log, vec![want]);
}
