//! The fuzz targets' bodies. libFuzzer calls them from `fuzz_targets/*.rs`; the root crate's
//! `tests/fuzz_corpus.rs` includes this file and replays every seed under `fuzz/seeds/<target>/`
//! through the same functions on the stable toolchain, so CI exercises them without libFuzzer.

use verdis::resp::{decode, encode, ParseLimits, RequestParser};

/// Arbitrary bytes into the request parser, fed in two pieces at every split point of a prefix:
/// it never panics, a piecewise parse gives the same commands as a whole parse, and a parsed
/// multibulk command re-encodes to bytes that parse back to the same arguments.
pub fn resp_parse(data: &[u8]) {
    let limits = ParseLimits { max_bulk_bytes: 1 << 20, authenticated: true };
    let whole = parse_all(data, limits, data.len());
    let split = data.len() / 2;
    let pieces = parse_all(data, limits, split.max(1));
    assert_eq!(whole, pieces, "parsing in pieces changed the result");
    for argv in whole.0 {
        if argv.is_empty() {
            continue;
        }
        let mut bytes = format!("*{}\r\n", argv.len()).into_bytes();
        for a in &argv {
            bytes.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            bytes.extend_from_slice(a);
            bytes.extend_from_slice(b"\r\n");
        }
        let mut p = RequestParser::new();
        let (used, back) = p.parse(&bytes, limits).expect("re-encoded command parses");
        assert_eq!(used, bytes.len());
        assert_eq!(back.as_ref(), Some(&argv));
    }
}

/// Parses `data` delivering at most `chunk` new bytes at a time; returns the commands and the
/// error text, if any.
fn parse_all(data: &[u8], limits: ParseLimits, chunk: usize) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
    let mut parser = RequestParser::new();
    let mut commands = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    // Each round feeds bytes or consumes them; bounded by twice the input plus the commands.
    for _ in 0..(4 * data.len() + 8) {
        match parser.parse(&buf, limits) {
            Ok((used, Some(argv))) => {
                buf.drain(..used);
                commands.push(argv);
            }
            Ok((used, None)) => {
                buf.drain(..used);
                if fed >= data.len() {
                    break;
                }
                let end = (fed + chunk).min(data.len());
                buf.extend_from_slice(&data[fed..end]);
                fed = end;
            }
            Err(e) => return (commands, Some(e.reply)),
        }
    }
    (commands, None)
}

/// Arbitrary bytes into the reply decoder: it never panics, and decoding is stable: a decoded
/// reply re-encoded (RESP3) decodes to a reply that re-encodes to the same bytes. (Not simply
/// `decode(encode(x)) == x`: RESP3 has one null, so a RESP2 null array comes back as a null.)
pub fn resp_decode(data: &[u8]) {
    if let Ok(Some((frame, used))) = decode(data) {
        assert!(used <= data.len());
        let mut once = Vec::new();
        encode(&frame, 3, &mut once);
        let (again, used_again) = decode(&once).expect("re-encoded reply decodes").expect("complete");
        assert_eq!(used_again, once.len());
        let mut twice = Vec::new();
        encode(&again, 3, &mut twice);
        assert_eq!(once, twice, "decoding is not stable");
    }
}

/// Arbitrary bytes as an RDB file and as a DUMP payload's value: the reader gives a clean error
/// or a dataset, never a panic, and allocates only in proportion to the input (lengths in the data
/// are never trusted for allocation). Whatever parses also goes through the engine's loader, which
/// loads it or refuses it with an error.
pub fn rdb_load(data: &[u8]) {
    use verdis::persist::rdb::{decode, input::SliceSource};
    let _ = decode::read_all(data);
    if let Some((&rdb_type, rest)) = data.split_first() {
        let _ = decode::read_value(&mut SliceSource::new(rest), rdb_type);
    }
    let _ = verdis::persist::rdb::dump::parse(data);
    if decode::read_all(data).is_ok() {
        let mut engine = verdis::engine::Engine::new(verdis::engine::config::Config::default(), 0);
        let disk = verdis::persist::disk::SimDisk::new();
        disk.put("dump.rdb", data);
        engine.persist = verdis::persist::Persistence::new(
            Box::new(disk),
            Box::new(verdis::persist::snapshot::InlineSaver::new()),
            0,
        );
        let _ = engine.rdb_load_file("dump.rdb", 0, false);
    }
}

/// Bytes decoded into an operation sequence (the `Op` type the state-machine tests use) and run
/// on the engine and the model side by side: no panic, and no reply the model rejects.
pub fn command_seq(data: &[u8]) {
    let ops = verdis_spec::op::ops_from_bytes(data, 200);
    let start = verdis_spec::op::EPOCH_MS;
    let mut system = verdis::oracle::system::ModelSystem::new(start);
    if let Err(failure) = verdis_spec::harness::run_ops(&ops, &mut system, start) {
        panic!("engine and model disagree: {failure}");
    }
}

/// Bytes as the only incr file of a multi-part AOF, loaded at start-up: never a panic; a start
/// that succeeds leaves files that start again with the same dataset (the repair of a torn tail is
/// final); `verdis-check-aof`'s checker and the item parser never panic either.
pub fn aof_load(data: &[u8]) {
    use verdis::persist::aof::{check, keyspace_fingerprint, load};
    let mut out = Vec::new();
    let _ = check::check_file(data, "fuzz.aof", 0, &mut out);
    let mut pos = 0;
    // Each item consumes at least one byte or ends the walk.
    while pos < data.len() {
        match load::next_item(data, pos) {
            load::Item::Command(_, next) | load::Item::Annotation(next) => pos = next,
            load::Item::Truncated | load::Item::Bad => break,
        }
    }
    for truncated in ["yes", "no"] {
        let disk = verdis::persist::disk::SimDisk::new();
        disk.put("appendonlydir/appendonly.aof.manifest", b"file appendonly.aof.1.incr.aof seq 1 type i\n");
        disk.put("appendonlydir/appendonly.aof.1.incr.aof", data);
        let boot = |disk: &verdis::persist::disk::SimDisk| {
            let mut config = verdis::engine::config::Config::default();
            let _ = config.set("appendonly", b"yes");
            let _ = config.set("aof-load-truncated", truncated.as_bytes());
            let mut engine = verdis::engine::Engine::new(config, 0);
            engine.persist = verdis::persist::Persistence::new(
                Box::new(disk.clone()),
                Box::new(verdis::persist::snapshot::InlineSaver::new()),
                0,
            );
            let ok = engine.aof_boot(0).is_ok();
            (ok, keyspace_fingerprint(&engine.dbs))
        };
        let (ok, first) = boot(&disk);
        if ok {
            let (again, second) = boot(&disk);
            assert!(again, "a repaired AOF did not load again");
            assert_eq!(first, second, "loading the repaired AOF gave another dataset");
        }
    }
}
