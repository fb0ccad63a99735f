//! Round trips: generated datasets saved by the engine and loaded back into a fresh engine are
//! equal to themselves (values, encodings, expiries, databases), with and without compression and
//! checksums, and as DUMP/RESTORE payloads. Strings are the only type the engine holds so far;
//! each type family extends `value_strategy`.

use proptest::prelude::*;
use verdis::engine::config::Config;
use verdis::engine::db::Entry;
use verdis::engine::testkit::Harness;
use verdis::engine::value::Value;
use verdis::persist::disk::SimDisk;
use verdis::persist::rdb::dump;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;

fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        (-200i64..200).prop_map(|n| n.to_string().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..80),
        proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b')], 0..3000),
        "[0-9]{1,25}".prop_map(|s| s.into_bytes()),
    ]
}

type Dataset = Vec<(usize, Vec<u8>, Vec<u8>, Option<u64>)>;

fn dataset_strategy() -> impl Strategy<Value = Dataset> {
    proptest::collection::vec(
        (
            0usize..16,
            proptest::collection::vec(any::<u8>(), 0..20),
            value_strategy(),
            proptest::option::of(2_000_000_000_000u64..5_000_000_000_000),
        ),
        0..60,
    )
}

fn engine_with(data: &Dataset, config: Config) -> (Harness, SimDisk) {
    let mut h = Harness::with_config(config);
    let disk = SimDisk::new();
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), h.now_ms);
    let now = h.now_ms;
    for (db, key, value, expire) in data {
        h.engine.dbs[*db].insert_entry(key.clone(), Entry::new(Value::str(value.clone()), *expire, now));
    }
    (h, disk)
}

/// Every database's entries, sorted, without access times.
fn contents(h: &Harness) -> Vec<(usize, Vec<u8>, Value, Option<u64>)> {
    let mut out = Vec::new();
    for (i, db) in h.engine.dbs.iter().enumerate() {
        for (k, e) in db.iter() {
            out.push((i, k.to_vec(), e.value.clone(), e.expire_at_ms()));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn save_then_load_is_identity(data in dataset_strategy(), compression: bool, checksum: bool) {
        let mut config = Config::default();
        config.set("rdbcompression", if compression { b"yes" } else { b"no" }).unwrap();
        config.set("rdbchecksum", if checksum { b"yes" } else { b"no" }).unwrap();
        let (mut h, disk) = engine_with(&data, config.clone());
        prop_assert_eq!(h.run("SAVE"), verdis::resp::Frame::ok());
        let file = disk.read("dump.rdb").unwrap();
        let (mut fresh, fresh_disk) = engine_with(&Vec::new(), config);
        fresh_disk.put("dump.rdb", &file);
        let now = fresh.now_ms;
        let stats = fresh.engine.rdb_load_file("dump.rdb", now, false).unwrap();
        prop_assert_eq!(stats.keys_loaded as usize, contents(&h).len());
        prop_assert_eq!(contents(&fresh), contents(&h));
    }

    #[test]
    fn dump_restore_is_identity(value in value_strategy(), compression: bool) {
        let v = Value::str(value);
        let payload = dump::dump(&v, compression);
        let (_, parsed) = dump::parse(&payload).unwrap();
        let back = verdis::persist::load::engine_value(b"k", parsed, &Default::default()).unwrap();
        prop_assert_eq!(back, v);
    }
}
