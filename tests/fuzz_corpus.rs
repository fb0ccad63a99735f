//! Replays every seed in `fuzz/seeds/<target>/` (and `fuzz/regressions/<target>/`, for inputs a
//! fuzzer once found) through the fuzz targets' bodies, on the stable toolchain.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).expect("read seed");
            run(&data);
            count += 1;
        }
    }
    assert!(count > 0, "no seeds for {target}");
}

#[test]
fn resp_parse_seeds() {
    replay("resp_parse", targets::resp_parse);
}

#[test]
fn resp_decode_seeds() {
    replay("resp_decode", targets::resp_decode);
}

#[test]
fn rdb_load_seeds() {
    replay("rdb_load", targets::rdb_load);
}

#[test]
fn command_seq_seeds() {
    replay("command_seq", targets::command_seq);
}

#[test]
fn aof_load_seeds() {
    replay("aof_load", targets::aof_load);
}
