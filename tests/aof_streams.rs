//! How the stream commands reach the AOF, and what a restart rebuilds from it. The expected
//! command lists are what redis-server 7.0.15 wrote into its appendonlydir for the same commands
//! (delivery times masked there; here the simulated clock makes them exact). Rules AOF-17 and
//! AOF-18 in specs/rules/aof.md.

use verdis::engine::config::Config;
use verdis::engine::testkit::Harness;
use verdis::persist::aof::load::AofLoad;
use verdis::persist::disk::SimDisk;
use verdis::persist::snapshot::InlineSaver;
use verdis::persist::Persistence;
use verdis::resp::Frame;

/// Runs `lines` and returns what they propagated, one string per command ("ARG ARG"), with the
/// harness clock written as `T`.
fn propagated(h: &mut Harness, lines: &[&str]) -> Vec<String> {
    h.engine.prop.enabled = true;
    for line in lines {
        h.run(line);
    }
    let t = h.now_ms.to_string();
    let t_idle = (h.now_ms - 5000).to_string();
    h.engine
        .take_propagated()
        .into_iter()
        .map(|(_, argv)| {
            let words: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .map(|w| {
                    if w == t {
                        "T".into()
                    } else if w == t_idle {
                        "T-5000".into()
                    } else {
                        w
                    }
                })
                .collect();
            words.join(" ")
        })
        .collect()
}

// rule: AOF-17
#[test]
fn group_reads_and_claims_propagate_as_redis_does() {
    let mut h = Harness::new();
    let out = propagated(
        &mut h,
        &[
            "XADD s 1-0 a 1",
            "XADD s 2-0 b 2",
            "XADD s 3-0 c 3",
            "XGROUP CREATE s g 0",
            // New entries: one XCLAIM per entry delivered, carrying the group's last ID.
            "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
            // History: delivery counts change, nothing propagates.
            "XREADGROUP GROUP g alice STREAMS s 0",
            // NOACK: the consumer it creates, then the group's new last ID and read counter.
            "XREADGROUP GROUP g bob NOACK STREAMS s >",
            "XADD s 4-0 d 4",
            "XREADGROUP GROUP g carol NOACK COUNT 1 STREAMS s >",
            "XREADGROUP GROUP g carol NOACK COUNT 1 STREAMS s >",
            "XGROUP SETID s g 0",
            // Redelivery of an entry another consumer owns.
            "XREADGROUP GROUP g dave COUNT 1 STREAMS s >",
            "XCLAIM s g bob 0 2-0 JUSTID",
            // The ID as typed; IDLE becomes the delivery time; RETRYCOUNT as given.
            "XCLAIM s g bob 0 1 IDLE 5000 RETRYCOUNT 7",
            "XCLAIM s g erin 0 3-0 FORCE TIME 1000",
            // Nothing claimed but the last ID moved: XGROUP SETID.
            "XCLAIM s g erin 0 4-0 LASTID 9-0",
            "XCLAIM s g erin 0 4-0 LASTID 1-0",
            "XCLAIM s g erin 0 4-0 FORCE",
            "XDEL s 2-0",
            // A deleted entry's XCLAIM (as it was) drops it on replay.
            "XAUTOCLAIM s g frank 0 0 COUNT 10",
            "XDEL s 3-0",
            "XCLAIM s g frank 0 3-0",
            "XAUTOCLAIM s g frank 0 0 COUNT 10 JUSTID",
            "XACK s g 1-0",
            "XACK s g 1-0",
            "XGROUP CREATECONSUMER s g gina",
            "XGROUP CREATECONSUMER s g gina",
            "XGROUP DELCONSUMER s g gina",
            "XINFO STREAM s FULL",
            "XINFO GROUPS s",
            "XPENDING s g",
            // A history read creates its consumer without propagating it, unless NOACK.
            "XREADGROUP GROUP g zed STREAMS s 0",
            "XREADGROUP GROUP g yan NOACK STREAMS s 0",
            "XREADGROUP GROUP g xi STREAMS s >",
            "XGROUP CREATE s g2 $ ENTRIESREAD 3",
            "XGROUP SETID s g2 $",
            "XGROUP SETID s g2 0 ENTRIESREAD 0",
            "XGROUP DESTROY s g2",
            "XSETID s 10-0",
        ],
    );
    let expected = [
        "XADD s 1-0 a 1",
        "XADD s 2-0 b 2",
        "XADD s 3-0 c 3",
        "XGROUP CREATE s g 0",
        "MULTI",
        "XCLAIM s g alice 0 1-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-0",
        "XCLAIM s g alice 0 2-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 2-0",
        "EXEC",
        "MULTI",
        "XGROUP CREATECONSUMER s g bob",
        "XGROUP SETID s g 3-0 ENTRIESREAD 3",
        "EXEC",
        "XADD s 4-0 d 4",
        "MULTI",
        "XGROUP CREATECONSUMER s g carol",
        "XGROUP SETID s g 4-0 ENTRIESREAD 4",
        "EXEC",
        "XGROUP SETID s g 0",
        "XCLAIM s g dave 0 1-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-0",
        "XCLAIM s g bob 0 2-0 TIME T RETRYCOUNT 2 FORCE JUSTID LASTID 1-0",
        "XCLAIM s g bob 0 1 TIME T-5000 RETRYCOUNT 7 FORCE JUSTID LASTID 1-0",
        "XCLAIM s g erin 0 3-0 TIME 1000 RETRYCOUNT 2 FORCE JUSTID LASTID 1-0",
        "XGROUP SETID s g 9-0 ENTRIESREAD 1",
        "XCLAIM s g erin 0 4-0 TIME T RETRYCOUNT 2 FORCE JUSTID LASTID 9-0",
        "XDEL s 2-0",
        "MULTI",
        "XCLAIM s g frank 0 1-0 TIME T RETRYCOUNT 8 FORCE JUSTID LASTID 9-0",
        "XCLAIM s g bob 0 2-0 TIME T RETRYCOUNT 2 FORCE JUSTID LASTID 9-0",
        "XCLAIM s g frank 0 3-0 TIME T RETRYCOUNT 3 FORCE JUSTID LASTID 9-0",
        "XCLAIM s g frank 0 4-0 TIME T RETRYCOUNT 3 FORCE JUSTID LASTID 9-0",
        "EXEC",
        "XDEL s 3-0",
        "XCLAIM s g frank 0 3-0 TIME T RETRYCOUNT 3 FORCE JUSTID LASTID 9-0",
        "MULTI",
        "XCLAIM s g frank 0 1-0 TIME T RETRYCOUNT 8 FORCE JUSTID LASTID 9-0",
        "XCLAIM s g frank 0 4-0 TIME T RETRYCOUNT 3 FORCE JUSTID LASTID 9-0",
        "EXEC",
        "XACK s g 1-0",
        "XGROUP CREATECONSUMER s g gina",
        "XGROUP DELCONSUMER s g gina",
        "XGROUP CREATECONSUMER s g yan",
        "XGROUP CREATE s g2 $ ENTRIESREAD 3",
        "XGROUP SETID s g2 $",
        "XGROUP SETID s g2 0 ENTRIESREAD 0",
        "XGROUP DESTROY s g2",
        "XSETID s 10-0",
    ];
    assert_eq!(out, expected);
}

// rule: AOF-17
#[test]
fn blocked_group_reads_propagate_when_served() {
    let mut h = Harness::new();
    h.engine.prop.enabled = true;
    h.run("XGROUP CREATE b g $ MKSTREAM");
    h.new_client();
    h.run("XREADGROUP GROUP g w1 BLOCK 0 STREAMS b >");
    h.new_client();
    h.run("XREADGROUP GROUP g w2 NOACK BLOCK 0 STREAMS b >");
    h.new_client();
    h.run("XADD b 1-0 f v");
    h.run("XADD b 2-0 f v");
    h.new_client();
    h.run("XREADGROUP GROUP g w3 NOACK BLOCK 0 STREAMS b >");
    h.new_client();
    for line in ["MULTI", "XADD b 3-0 f v", "XADD b 4-0 f v", "EXEC"] {
        h.run(line);
    }
    h.new_client();
    h.run("XREADGROUP GROUP g w4 COUNT 1 BLOCK 0 STREAMS b >");
    h.new_client();
    for line in ["MULTI", "XADD b 5-0 f v", "XADD b 6-0 f v", "EXEC"] {
        h.run(line);
    }
    let out = propagated(&mut h, &[]);
    assert_eq!(
        out,
        [
            "XGROUP CREATE b g $ MKSTREAM",
            "XADD b 1-0 f v",
            // w1 takes 1-0; w2 stays blocked (the group has read everything).
            "XCLAIM b g w1 0 1-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-0",
            "XADD b 2-0 f v",
            "MULTI",
            "XGROUP CREATECONSUMER b g w2",
            "XGROUP SETID b g 2-0 ENTRIESREAD 2",
            "EXEC",
            // The served reader's unit follows the transaction that woke it.
            "MULTI",
            "XADD b 3-0 f v",
            "XADD b 4-0 f v",
            "EXEC",
            "MULTI",
            "XGROUP CREATECONSUMER b g w3",
            "XGROUP SETID b g 4-0 ENTRIESREAD 4",
            "EXEC",
            "MULTI",
            "XADD b 5-0 f v",
            "XADD b 6-0 f v",
            "EXEC",
            "XCLAIM b g w4 0 5-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 5-0",
        ]
    );
}

fn config() -> Config {
    let mut c = Config::default();
    c.set("appendonly", b"yes").unwrap();
    c.set("appendfsync", b"always").unwrap();
    c
}

/// A server "process" on `disk` started at `at_ms`, with its AOF loaded.
fn boot(disk: &SimDisk, at_ms: u64) -> Harness {
    let mut h = Harness::with_config(config());
    h.now_ms = at_ms;
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(InlineSaver::new()), at_ms);
    let loaded = h.engine.aof_boot(at_ms);
    assert!(matches!(loaded, Ok(AofLoad::Loaded | AofLoad::NotExist)), "{loaded:?}");
    h
}

/// Runs `lines` 7 ms apart (so delivery times differ), each written to the AOF.
fn run_all(h: &mut Harness, lines: &[&str]) {
    for l in lines {
        h.advance_ms(7);
        h.run(l);
        let now = h.now_ms;
        assert!(h.engine.aof_flush(now));
    }
}

/// A reply flattened as redis-cli prints it, one value per line.
fn flat(frame: &Frame, out: &mut Vec<String>) {
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items.iter().for_each(|f| flat(f, out)),
        Frame::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            flat(k, out);
            flat(v, out);
        }),
        Frame::Bulk(b) => out.push(String::from_utf8_lossy(b).into_owned()),
        Frame::Integer(n) => out.push(n.to_string()),
        other => out.push(format!("{other:?}")),
    }
}

/// XINFO STREAM key FULL as lines, with the consumers' seen-time (which a reload sets to the
/// load time, in Redis too) masked.
fn full_info(h: &mut Harness, key: &str) -> Vec<String> {
    let mut lines = Vec::new();
    flat(&h.run(&format!("XINFO STREAM {key} FULL")), &mut lines);
    for i in 1..lines.len() {
        if lines[i - 1] == "seen-time" {
            lines[i] = "<seen>".into();
        }
    }
    lines
}

// rule: AOF-18
#[test]
fn groups_pending_entries_and_last_ids_survive_a_reload() {
    let disk = SimDisk::new();
    let mut h = boot(&disk, 1_000_000_000_000);
    run_all(
        &mut h,
        &[
            "XADD s 1-0 a 1",
            "XADD s 2-0 b 2",
            "XADD s 3-0 c 3",
            "XADD s 4-0 d 4",
            "XGROUP CREATE s g 0",
            "XGROUP CREATE s h 0",
            "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
            "XREADGROUP GROUP g alice STREAMS s 0",
            "XREADGROUP GROUP g bob COUNT 1 STREAMS s >",
            "XCLAIM s g carol 0 1-0 RETRYCOUNT 5",
            "XCLAIM s g carol 0 2-0 IDLE 3",
            "XCLAIM s g dave 0 4-0 FORCE JUSTID",
            "XDEL s 3-0",
            "XAUTOCLAIM s g erin 0 0 COUNT 2",
            "XACK s g 4-0",
            "XREADGROUP GROUP h frank NOACK STREAMS s >",
            "XREADGROUP GROUP h gus STREAMS s >",
            "XADD s 5-0 e 5",
            "XREADGROUP GROUP h gus STREAMS s >",
            "XREADGROUP GROUP g hal NOACK STREAMS s >",
            "XGROUP CREATECONSUMER s h ivy",
            "XGROUP CREATE s k 2-0",
            "XREADGROUP GROUP k jo NOACK STREAMS s >",
            // A group last read without NOACK reloads with a stale read counter (see the next
            // test); a final NOACK read carries the counter in its XGROUP SETID.
            "XADD s 6-0 f 6",
            "XREADGROUP GROUP g hal NOACK STREAMS s >",
            "XREADGROUP GROUP h frank NOACK STREAMS s >",
            "XREADGROUP GROUP k jo NOACK STREAMS s >",
        ],
    );
    let before = full_info(&mut h, "s");
    assert!(before.iter().any(|l| l == "erin"));
    disk.crash();
    let mut h2 = boot(&disk, h.now_ms + 60_000);
    assert_eq!(full_info(&mut h2, "s"), before);
    // Delivery times and counts are those of the original server, not of the load.
    let pending = h2.run("XPENDING s g - + 10");
    let mut lines = Vec::new();
    flat(&pending, &mut lines);
    // (idle = the 60 s until the reload plus the time since the claim; 3-0 was deleted and is
    // still pending for bob.)
    assert_eq!(lines, ["1-0", "erin", "60091", "6", "2-0", "erin", "60091", "4", "3-0", "bob", "60126", "1"]);
}

// rule: AOF-18
#[test]
fn what_a_reload_loses_in_redis_too() {
    let disk = SimDisk::new();
    let mut h = boot(&disk, 1_000_000_000_000);
    run_all(
        &mut h,
        &[
            "XGROUP CREATE b g $ MKSTREAM",
            "XADD b 1-0 f v",
            "XADD b 2-0 f v",
            "XREADGROUP GROUP g w2 NOACK STREAMS b >",
            "XADD b 3-0 f v",
            "XREADGROUP GROUP g w1 STREAMS b >",
            // A consumer created by a history read is not propagated.
            "XREADGROUP GROUP g zed STREAMS b 0",
        ],
    );
    let before = full_info(&mut h, "b");
    disk.crash();
    let mut h2 = boot(&disk, h.now_ms + 1000);
    let after = full_info(&mut h2, "b");
    // The last ID travels in XCLAIM's LASTID, which leaves the group's read counter behind:
    // entries-read 3 and lag 0 become 2 and 1, as redis-server 7.0.15 reloads them.
    let at = |lines: &[String], name: &str| {
        let i = lines.iter().position(|l| l == name).unwrap();
        lines[i + 1].clone()
    };
    assert_eq!((at(&before, "entries-read"), at(&before, "lag")), ("3".into(), "0".into()));
    assert_eq!((at(&after, "entries-read"), at(&after, "lag")), ("2".into(), "1".into()));
    assert!(before.iter().any(|l| l == "zed"));
    assert!(!after.iter().any(|l| l == "zed"));
    assert_eq!(at(&after, "last-delivered-id"), "3-0");
}
