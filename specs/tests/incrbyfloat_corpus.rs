//! INCRBYFLOAT against replies recorded from a real redis-server 7.0.15
//! (`SET k <a>` then `INCRBYFLOAT k <b>`), one case per line:
//! `a <TAB> b <TAB> reply`, where an error reply is the error text.
//!
//! rules: STR-20, STR-21, STR-22

use verdis_spec::{argv, Model, Reply};

#[test]
fn incrbyfloat_matches_recorded_redis_replies() {
    let data = include_str!("data/incrbyfloat.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.is_empty()) {
        let mut parts = line.split('\t');
        let (Some(a), Some(b), Some(want)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("bad corpus line {line:?}");
        };
        let mut m = Model::new();
        m.apply(0, &argv(&["SET", "k", a]), 0);
        let got = m.apply(0, &argv(&["INCRBYFLOAT", "k", b]), 0);
        let want = if want.starts_with("ERR ") { Reply::Error(want.to_string()) } else { Reply::bulk(want) };
        if got != want {
            failures.push(format!("{a} + {b}: want {want}, got {got}"));
        }
        count += 1;
    }
    assert!(count > 500, "corpus too small");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
}
