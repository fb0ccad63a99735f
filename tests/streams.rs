//! Stream commands on the engine directly (simulated clock, several clients): IDs and their
//! errors, metadata, node-granular trimming, ranges, blocking reads, consumer groups, pending
//! entries, claims, read counters and lag, and DUMP/RESTORE of the RDB encoding. The replies are
//! redis-server 7.0.15's (its clock-independent ones are also in `tests/interop/streams.redis`).

use verdis::engine::testkit::{bulk, err, int, ok, Harness};
use verdis::resp::Frame;

fn arr(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}

fn entry(id: &str, fields: &[&str]) -> Frame {
    arr(vec![bulk(id), arr(fields.iter().map(|f| bulk(f)).collect())])
}

/// A map reply's value for `name` (XINFO replies are maps).
fn field(reply: &Frame, name: &str) -> Frame {
    match reply {
        Frame::Map(pairs) => pairs.iter().find(|(k, _)| *k == bulk(name)).map(|(_, v)| v.clone()).expect(name),
        other => panic!("not a map: {other:?}"),
    }
}

/// Runs a command for client `id`; `None` when it blocked.
fn run_as(h: &mut Harness, id: u64, line: &str) -> Option<Frame> {
    let argv = verdis::resp::split::split_args(line.as_bytes()).expect("quotes");
    h.engine.execute(id, &argv, h.now_ms)
}

fn take_outbox(h: &mut Harness) -> Vec<(u64, Frame)> {
    std::mem::take(&mut h.engine.outbox)
}

// rule: STREAM-1 STREAM-2
#[test]
fn xadd_ids_and_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run("XADD s 1-1 a 1"), bulk("1-1"));
    assert_eq!(h.run("XADD s 1-* a 2"), bulk("1-2"));
    assert_eq!(h.run("XADD s 2 a 3"), bulk("2-0"));
    assert_eq!(
        h.run("XADD s 2 a 3"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(h.run("XADD s 0-0 a 3"), err("ERR The ID specified in XADD must be greater than 0-0"));
    assert_eq!(h.run("XADD s \" 7\" a 3"), bulk("7-0"));
    assert_eq!(h.run("XADD s 00009 a 3"), bulk("9-0"));
    assert_eq!(h.run("XADD s -1 a 3"), err("ERR Invalid stream ID specified as stream command argument"));
    assert_eq!(h.run("XADD s - a 3"), err("ERR Invalid stream ID specified as stream command argument"));
    assert_eq!(h.run("XADD s 10 a"), err("ERR wrong number of arguments for 'xadd' command"));
    assert_eq!(h.run("XADD s * a 1"), bulk(&format!("{}-0", h.now_ms)));
    assert_eq!(h.run("XADD s * a 1"), bulk(&format!("{}-1", h.now_ms)));
    assert_eq!(h.run("XADD nokey NOMKSTREAM * a 1"), Frame::Null);
    assert_eq!(h.run("EXISTS nokey"), int(0));
    assert_eq!(h.run("XADD m 1-18446744073709551615 a 1"), bulk("1-18446744073709551615"));
    assert_eq!(h.run("XADD m 1-* a 1"), err("ERR Elements are too large to be stored"));
    assert_eq!(
        h.run("XADD x 18446744073709551615-18446744073709551615 a 1"),
        bulk("18446744073709551615-18446744073709551615")
    );
    assert_eq!(
        h.run("XADD x * a 1"),
        err("ERR The stream has exhausted the last possible ID, unable to add more items")
    );
    assert_eq!(h.run("SET str v"), ok());
    assert_eq!(h.run("XADD str * a 1"), err("WRONGTYPE Operation against a key holding the wrong kind of value"));
    assert_eq!(h.run("TYPE s"), Frame::simple("stream"));
    assert_eq!(h.run("OBJECT ENCODING s"), bulk("stream"));
}

// rule: STREAM-3 STREAM-13
#[test]
fn metadata_follows_deletes_and_xsetid() {
    let mut h = Harness::new();
    for id in ["1", "2", "3"] {
        h.run(&format!("XADD s {id} f v"));
    }
    assert_eq!(h.run("XDEL s 1 9"), int(1));
    let info = h.run("XINFO STREAM s");
    assert_eq!(field(&info, "length"), int(2));
    assert_eq!(field(&info, "recorded-first-entry-id"), bulk("2-0"));
    assert_eq!(field(&info, "max-deleted-entry-id"), bulk("1-0"));
    assert_eq!(field(&info, "entries-added"), int(3));
    assert_eq!(h.run("XDEL s 2 3"), int(2));
    assert_eq!(h.run("EXISTS s"), int(1));
    assert_eq!(field(&h.run("XINFO STREAM s"), "recorded-first-entry-id"), bulk("0-0"));
    assert_eq!(h.run("XSETID s 2"), ok());
    assert_eq!(h.run("XADD s 3 f v"), bulk("3-0"));
    assert_eq!(h.run("XSETID s 2"), err("ERR The ID specified in XSETID is smaller than the target stream top item"));
    assert_eq!(
        h.run("XSETID s 5 ENTRIESADDED 0"),
        err("ERR The entries_added specified in XSETID is smaller than the target stream length")
    );
    assert_eq!(
        h.run("XSETID s 5 MAXDELETEDID 6"),
        err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    );
    assert_eq!(h.run("XSETID nokey 5"), err("ERR no such key"));
    assert_eq!(h.run("XSETID s 5 ENTRIESADDED 10 MAXDELETEDID 4"), ok());
    let info = h.run("XINFO STREAM s");
    assert_eq!(field(&info, "last-generated-id"), bulk("5-0"));
    assert_eq!(field(&info, "entries-added"), int(10));
    assert_eq!(field(&info, "max-deleted-entry-id"), bulk("4-0"));
}

// rule: STREAM-4 STREAM-5
#[test]
fn approximate_trimming_removes_whole_nodes() {
    let mut h = Harness::new();
    assert_eq!(h.run("CONFIG SET stream-node-max-entries 10"), ok());
    for i in 1..=25 {
        h.run(&format!("XADD s {i} f v"));
    }
    assert_eq!(field(&h.run("XINFO STREAM s"), "radix-tree-keys"), int(3));
    assert_eq!(h.run("XTRIM s MAXLEN ~ 20"), int(0));
    assert_eq!(h.run("XTRIM s MAXLEN ~ 6"), int(10));
    assert_eq!(h.run("XLEN s"), int(15));
    assert_eq!(h.run("XTRIM s MINID ~ 24"), int(10));
    assert_eq!(h.run("XLEN s"), int(5));
    assert_eq!(h.run("XTRIM s MAXLEN = 2"), int(3));
    assert_eq!(h.run("XRANGE s - +"), arr(vec![entry("24-0", &["f", "v"]), entry("25-0", &["f", "v"])]));
    // Deleted entries still count towards a node's size: the node of 21..25 (three of them
    // deleted) takes five more, then a new node starts.
    assert_eq!(field(&h.run("XINFO STREAM s"), "radix-tree-keys"), int(1));
    for i in 26..=35 {
        h.run(&format!("XADD s {i} f v"));
    }
    let info = h.run("XINFO STREAM s");
    assert_eq!((field(&info, "radix-tree-keys"), field(&info, "radix-tree-nodes")), (int(2), int(6)));
    assert_eq!(
        h.run("XTRIM s MAXLEN 1 LIMIT 10"),
        err("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    assert_eq!(
        h.run("XTRIM s MAXLEN 1 MINID 1"),
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
    assert_eq!(h.run("XTRIM s"), err("ERR wrong number of arguments for 'xtrim' command"));
    assert_eq!(h.run("XTRIM s LIMIT 1 x"), err("ERR syntax error"));
    assert_eq!(h.run("XTRIM s MAXLEN ~ 0 LIMIT 1"), int(0));
    // Byte-limited nodes: 60 bytes hold only a couple of small entries.
    assert_eq!(h.run("CONFIG SET stream-node-max-bytes 60"), ok());
    for i in 1..=5 {
        h.run(&format!("XADD b {i} field value"));
    }
    assert_eq!(field(&h.run("XINFO STREAM b"), "radix-tree-keys"), int(3));
}

// rule: STREAM-6
#[test]
fn ranges_both_ways() {
    let mut h = Harness::new();
    for (id, v) in [("1-0", "a"), ("1-1", "b"), ("2-0", "c"), ("3-5", "d")] {
        h.run(&format!("XADD s {id} f {v}"));
    }
    assert_eq!(h.run("XRANGE s (1-0 (3-5"), arr(vec![entry("1-1", &["f", "b"]), entry("2-0", &["f", "c"])]));
    assert_eq!(h.run("XRANGE s 1 1"), arr(vec![entry("1-0", &["f", "a"]), entry("1-1", &["f", "b"])]));
    assert_eq!(h.run("XREVRANGE s + - COUNT 1"), arr(vec![entry("3-5", &["f", "d"])]));
    assert_eq!(h.run("XRANGE s - + COUNT 0"), Frame::NullArray);
    assert_eq!(h.run("XRANGE nokey - +"), arr(vec![]));
    assert_eq!(h.run("XRANGE s - (0-0"), err("ERR invalid end ID for the interval"));
    assert_eq!(
        h.run("XRANGE s (18446744073709551615-18446744073709551615 +"),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(h.run("XRANGE s - + COUNT"), err("ERR syntax error"));
}

// rule: STREAM-7
#[test]
fn xread_blocks_until_an_entry_arrives() {
    let mut h = Harness::new();
    let reader = h.client;
    let writer = h.new_client();
    assert_eq!(run_as(&mut h, writer, "XADD s 1 f v"), Some(bulk("1-0")));
    assert_eq!(run_as(&mut h, reader, "XREAD BLOCK 0 STREAMS s $"), None);
    assert_eq!(run_as(&mut h, writer, "XADD other 1 f v"), Some(bulk("1-0")));
    assert!(take_outbox(&mut h).is_empty());
    assert_eq!(run_as(&mut h, writer, "XADD s 2 f w"), Some(bulk("2-0")));
    let served = take_outbox(&mut h);
    assert_eq!(served, vec![(reader, arr(vec![arr(vec![bulk("s"), arr(vec![entry("2-0", &["f", "w"])])])]))]);
    // A timeout replies the nil array.
    assert_eq!(run_as(&mut h, reader, "XREAD BLOCK 100 STREAMS s $"), None);
    h.advance_ms(101);
    h.engine.handle_blocked_timeouts(h.now_ms);
    assert_eq!(take_outbox(&mut h), vec![(reader, Frame::NullArray)]);
    // Inside MULTI the wait is answered at once.
    h.client = reader;
    assert_eq!(h.run("MULTI"), ok());
    h.run("XREAD BLOCK 0 STREAMS s $");
    assert_eq!(h.run("EXEC"), arr(vec![Frame::NullArray]));
    assert_eq!(h.run("XREAD BLOCK x STREAMS s $"), err("ERR timeout is not an integer or out of range"));
    assert_eq!(h.run("XREAD BLOCK -1 STREAMS s $"), err("ERR timeout is negative"));
    // XREAD keeps waiting when its key is deleted, and is served when it comes back.
    assert_eq!(run_as(&mut h, reader, "XREAD BLOCK 0 STREAMS s $"), None);
    assert_eq!(run_as(&mut h, writer, "DEL s"), Some(int(1)));
    assert!(take_outbox(&mut h).is_empty());
    assert_eq!(run_as(&mut h, writer, "XADD s 3 f x"), Some(bulk("3-0")));
    assert_eq!(take_outbox(&mut h).len(), 1);
}

// rule: STREAM-8 STREAM-9 STREAM-10
#[test]
fn groups_deliver_and_track_pending_entries() {
    let mut h = Harness::new();
    for id in ["1", "2", "3"] {
        h.run(&format!("XADD s {id} f v{id}"));
    }
    assert_eq!(h.run("XGROUP CREATE s g 0"), ok());
    assert_eq!(h.run("XGROUP CREATE s g 0"), err("BUSYGROUP Consumer Group name already exists"));
    assert_eq!(
        h.run("XGROUP CREATE nokey g 0"),
        err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
    );
    assert_eq!(h.run("XGROUP SETID s nog 0"), err("NOGROUP No such consumer group 'nog' for key name 's'"));
    assert_eq!(
        h.run("XREADGROUP GROUP g alice COUNT 1 STREAMS s >"),
        arr(vec![arr(vec![bulk("s"), arr(vec![entry("1-0", &["f", "v1"])])])])
    );
    h.advance_ms(50);
    h.run("XREADGROUP GROUP g bob STREAMS s >");
    assert_eq!(h.run("XREADGROUP GROUP g bob STREAMS s >"), Frame::NullArray);
    assert_eq!(
        h.run("XPENDING s g"),
        arr(vec![
            int(3),
            bulk("1-0"),
            bulk("3-0"),
            arr(vec![arr(vec![bulk("alice"), bulk("1")]), arr(vec![bulk("bob"), bulk("2")])])
        ])
    );
    h.advance_ms(10);
    assert_eq!(h.run("XPENDING s g IDLE 55 - + 10"), arr(vec![arr(vec![bulk("1-0"), bulk("alice"), int(60), int(1)])]));
    assert_eq!(h.run("XDEL s 2"), int(1));
    assert_eq!(
        h.run("XREADGROUP GROUP g bob STREAMS s 0"),
        arr(vec![arr(vec![
            bulk("s"),
            arr(vec![arr(vec![bulk("2-0"), Frame::NullArray]), entry("3-0", &["f", "v3"])])
        ])])
    );
    assert_eq!(h.run("XACK s g 1 2 9"), int(2));
    assert_eq!(h.run("XACK s nog 3"), int(0));
    assert_eq!(h.run("XGROUP CREATECONSUMER s g carol"), int(1));
    assert_eq!(h.run("XGROUP DELCONSUMER s g bob"), int(1));
    assert_eq!(h.run("XPENDING s g"), arr(vec![int(0), Frame::Null, Frame::Null, Frame::NullArray]));
    assert_eq!(h.run("XGROUP DESTROY s g"), int(1));
    assert_eq!(
        h.run("XREADGROUP GROUP g alice STREAMS s >"),
        err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option")
    );
}

// rule: STREAM-11
#[test]
fn claims_move_pending_entries() {
    let mut h = Harness::new();
    for id in ["1", "2", "3"] {
        h.run(&format!("XADD s {id} f v"));
    }
    h.run("XGROUP CREATE s g 0");
    h.run("XREADGROUP GROUP g alice STREAMS s >");
    h.advance_ms(100);
    assert_eq!(h.run("XCLAIM s g bob 1000 1"), arr(vec![]));
    assert_eq!(h.run("XCLAIM s g bob 50 1 JUSTID"), arr(vec![bulk("1-0")]));
    assert_eq!(h.run("XCLAIM s g bob 0 2 RETRYCOUNT 7 IDLE 30"), arr(vec![entry("2-0", &["f", "v"])]));
    assert_eq!(
        h.run("XPENDING s g - + 10 bob"),
        arr(vec![
            arr(vec![bulk("1-0"), bulk("bob"), int(0), int(1)]),
            arr(vec![bulk("2-0"), bulk("bob"), int(30), int(7)]),
        ])
    );
    assert_eq!(h.run("XCLAIM s g bob 0 1 FOO"), err("ERR Unrecognized XCLAIM option 'FOO'"));
    assert_eq!(h.run("XDEL s 3"), int(1));
    assert_eq!(
        h.run("XAUTOCLAIM s g carol 0 0 COUNT 2"),
        arr(vec![bulk("3-0"), arr(vec![entry("1-0", &["f", "v"]), entry("2-0", &["f", "v"])]), arr(vec![]),])
    );
    assert_eq!(h.run("XAUTOCLAIM s g carol 0 3"), arr(vec![bulk("0-0"), arr(vec![]), arr(vec![bulk("3-0")])]));
    assert_eq!(h.run("XAUTOCLAIM s g carol 0 0 COUNT 0"), err("ERR COUNT must be > 0"));
    h.run("XADD s 4 f v");
    assert_eq!(h.run("XCLAIM s g dave 0 4 FORCE JUSTID"), arr(vec![bulk("4-0")]));
    assert_eq!(h.run("XPENDING s g - + 10 dave"), arr(vec![arr(vec![bulk("4-0"), bulk("dave"), int(0), int(1)])]));
}

// rule: STREAM-12
#[test]
fn read_counters_and_lag() {
    let mut h = Harness::new();
    for id in ["1", "2", "3", "4"] {
        h.run(&format!("XADD s {id} f v"));
    }
    h.run("XGROUP CREATE s g 0");
    let lag = |h: &mut Harness| {
        let groups = h.run("XINFO GROUPS s");
        let Frame::Array(groups) = groups else { panic!("array") };
        (field(&groups[0], "entries-read"), field(&groups[0], "lag"))
    };
    assert_eq!(lag(&mut h), (Frame::Null, int(4)));
    h.run("XREADGROUP GROUP g c COUNT 1 STREAMS s >");
    assert_eq!(lag(&mut h), (int(1), int(3)));
    h.run("XDEL s 3");
    assert_eq!(lag(&mut h), (int(1), Frame::Null));
    h.run("XREADGROUP GROUP g c STREAMS s >");
    assert_eq!(lag(&mut h), (int(4), int(0)));
    h.run("XGROUP SETID s g 0 ENTRIESREAD 0");
    assert_eq!(lag(&mut h), (int(0), Frame::Null));
}

// rule: STREAM-14
#[test]
fn blocked_group_readers_learn_their_stream_is_gone() {
    let mut h = Harness::new();
    let reader = h.client;
    let other = h.new_client();
    for (line, want) in [
        ("DEL s", "UNBLOCKED the stream key no longer exists"),
        ("SET s x", "UNBLOCKED the stream key no longer exists"),
        ("FLUSHALL", "UNBLOCKED the stream key no longer exists"),
        ("XGROUP DESTROY s g", "NOGROUP the consumer group this client was blocked on no longer exists"),
    ] {
        run_as(&mut h, other, "DEL s");
        run_as(&mut h, other, "XGROUP CREATE s g $ MKSTREAM");
        assert_eq!(run_as(&mut h, reader, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"), None, "{line}");
        run_as(&mut h, other, line);
        assert_eq!(take_outbox(&mut h), vec![(reader, err(want))], "{line}");
    }
}

// rule: STREAM-15
#[test]
fn dump_and_restore_keep_everything() {
    let mut h = Harness::new();
    h.run("CONFIG SET stream-node-max-entries 2");
    for id in ["1", "2", "3", "4", "5"] {
        h.run(&format!("XADD s {id} f v{id} g 1"));
    }
    h.run("XDEL s 2");
    h.run("XGROUP CREATE s g 0");
    h.run("XREADGROUP GROUP g alice COUNT 2 STREAMS s >");
    let before = h.run("XINFO STREAM s FULL");
    let Frame::Bulk(payload) = h.run("DUMP s") else { panic!("DUMP replies a bulk string") };
    let restore = |key: &str| vec![b"RESTORE".to_vec(), key.as_bytes().to_vec(), b"0".to_vec(), payload.clone()];
    assert_eq!(h.run_argv(&restore("copy")), ok());
    assert_eq!(h.run("XINFO STREAM copy FULL"), before);
    // A payload DUMPed by Redis 5 (RDB_TYPE_STREAM_LISTPACKS): read counters are estimated.
    let legacy: &[u8] = b"\x0F\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\xC3\x40\x4A\x40\x57\x16\x57\x00\x00\x00\x23\x00\x02\x01\x04\x01\x01\x01\x84\x64\x61\x74\x61\x05\x00\x01\x03\x01\x00\x20\x01\x03\x81\x61\x02\x04\x20\x0A\x00\x01\x40\x0A\x00\x62\x60\x0A\x00\x02\x40\x0A\x00\x63\x60\x0A\x40\x22\x01\x81\x64\x20\x0A\x40\x39\x20\x0A\x00\x65\x60\x0A\x00\x05\x40\x0A\x00\x66\x20\x0A\x00\xFF\x02\x06\x00\x02\x02\x67\x31\x05\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x3E\xF7\x83\x43\x7A\x01\x00\x00\x01\x01\x03\x63\x31\x31\x3E\xF7\x83\x43\x7A\x01\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x02\x67\x32\x00\x00\x00\x00\x09\x00\x3D\x52\xEF\x68\x67\x52\x1D\xFA";
    let argv = vec![b"RESTORE".to_vec(), b"x".to_vec(), b"0".to_vec(), legacy.to_vec()];
    assert_eq!(h.run_argv(&argv), ok());
    let Frame::Array(groups) = h.run("XINFO GROUPS x") else { panic!("array") };
    assert_eq!((field(&groups[0], "entries-read"), field(&groups[0], "lag")), (int(1), int(1)));
    assert_eq!((field(&groups[1], "entries-read"), field(&groups[1], "lag")), (int(0), int(2)));
    // COPY and RENAME keep streams whole.
    assert_eq!(h.run("COPY s c2"), int(1));
    assert_eq!(h.run("XINFO STREAM c2 FULL"), before);
}

// rule: STREAM-2 STREAM-5
#[test]
fn generated_ids_and_approximate_trims_propagate_as_their_effect() {
    let mut h = Harness::new();
    h.engine.propagated = Some(Vec::new());
    let now = h.now_ms;
    h.run("CONFIG SET stream-node-max-entries 2");
    h.run("XADD s * f v");
    h.run(&format!("XADD s {now}-* f v"));
    h.run("XADD s MAXLEN ~ 1 * f v");
    h.run(&format!("XADD s {now}-5 f v"));
    h.run(&format!("XTRIM s MINID ~ {now}-9"));
    let logged: Vec<String> = h
        .engine
        .propagated
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(_, argv)| argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        logged,
        [
            format!("XADD s {now}-0 f v"),
            format!("XADD s {now}-1 f v"),
            format!("XADD s MAXLEN = 1 {now}-2 f v"),
            // The whole stream went: the first stored ID of an empty stream is the maximal one.
            "XTRIM s MINID = 18446744073709551615-18446744073709551615".to_string(),
        ]
    );
}
