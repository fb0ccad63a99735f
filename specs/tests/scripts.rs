//! Runs the expectation scripts (verified against redis-server 7.0.15 by
//! `oracle_diff.rs`) against the model.

use verdis_spec::script;
use verdis_spec::{Model, EPOCH_MS};

fn check(name: &str, text: &str) {
    let mut model = Model::new();
    if let Err(failures) = script::run(text, &mut model, EPOCH_MS) {
        panic!("{name}:\n{}", failures.join("\n"));
    }
}

#[test]
fn strings_script() {
    check("strings", include_str!("scripts/strings.redis"));
}

#[test]
fn keyspace_script() {
    check("keyspace", include_str!("scripts/keyspace.redis"));
}

#[test]
fn expiry_script() {
    check("expiry", include_str!("scripts/expiry.redis"));
}

#[test]
fn protocol_script() {
    check("protocol", include_str!("scripts/protocol.redis"));
}

#[test]
fn bitmaps_script() {
    check("bitmaps", include_str!("scripts/bitmaps.redis"));
}

#[test]
fn hyperloglog_script() {
    check("hyperloglog", include_str!("scripts/hyperloglog.redis"));
}

#[test]
fn sets_script() {
    check("sets", include_str!("scripts/sets.redis"));
}

#[test]
fn zsets_script() {
    check("zsets", include_str!("scripts/zsets.redis"));
}

#[test]
fn hashes_script() {
    check("hashes", include_str!("scripts/hashes.redis"));
}

#[test]
fn sort_script() {
    check("sort", include_str!("scripts/sort.redis"));
}

#[test]
fn tx_script() {
    check("tx", include_str!("scripts/tx.redis"));
}
