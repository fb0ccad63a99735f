//! Transactions against the engine, each expectation checked on redis-server 7.0.15.

use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::resp::Frame;

fn queued() -> Frame {
    Frame::simple("QUEUED")
}

fn info_field(h: &mut Harness, name: &str) -> String {
    let Frame::Verbatim(_, text) = h.run("CLIENT INFO") else { panic!("CLIENT INFO is verbatim") };
    let text = String::from_utf8(text).expect("utf8");
    let prefix = format!("{name}=");
    text.split_whitespace().find_map(|f| f.strip_prefix(prefix.as_str())).expect("field").to_string()
}

// rule: TX-1 TX-2
#[test]
fn queue_and_exec() {
    let mut h = Harness::new();
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("SET a 1"), queued());
    assert_eq!(h.run("GET a"), queued());
    assert_eq!(h.run("INCR a"), queued());
    assert_eq!(h.run("PING"), queued());
    assert_eq!(h.run("EXEC"), Frame::Array(vec![ok(), bulk("1"), int(2), Frame::simple("PONG")]));
    assert_eq!(h.run("GET a"), bulk("2"));
    // An empty transaction is an empty array; errors at run time stay in the array.
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("SET s x"), queued());
    assert_eq!(h.run("INCR s"), queued());
    assert_eq!(h.run("SET t y"), queued());
    assert_eq!(h.run("EXEC"), Frame::Array(vec![ok(), err("ERR value is not an integer or out of range"), ok()]));
    assert_eq!(h.run("GET t"), bulk("y"));
}

// rule: TX-3
#[test]
fn errors_outside_and_nested() {
    let mut h = Harness::new();
    assert_eq!(h.run("EXEC"), err("ERR EXEC without MULTI"));
    assert_eq!(h.run("DISCARD"), err("ERR DISCARD without MULTI"));
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("MULTI"), err("ERR MULTI calls can not be nested"));
    assert_eq!(h.run("WATCH x"), err("ERR WATCH inside MULTI is not allowed"));
    // Neither error dooms the transaction.
    assert_eq!(h.run("PING"), queued());
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    assert_eq!(h.run("WATCH"), err("ERR wrong number of arguments for 'watch' command"));
    assert_eq!(h.run("UNWATCH x"), err("ERR wrong number of arguments for 'unwatch' command"));
}

// rule: TX-4
#[test]
fn rejected_commands_abort_exec() {
    let mut h = Harness::new();
    for bad in ["SET a", "NOSUCH x", "CONFIG NOSUCH", "SHUTDOWN"] {
        h.run("DEL a");
        assert_eq!(h.run("MULTI"), ok());
        assert_eq!(h.run("SET a 1"), queued());
        assert!(h.run(bad).is_error(), "{bad}");
        assert_eq!(h.run("SET b 2"), queued());
        assert_eq!(h.run("EXEC"), err("EXECABORT Transaction discarded because of previous errors."));
        assert_eq!(h.run("EXISTS a"), int(0), "{bad}");
        // The client is out of MULTI.
        assert_eq!(h.run("PING"), Frame::simple("PONG"));
    }
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("SHUTDOWN"), err("ERR Command not allowed inside a transaction"));
    assert_eq!(h.run("DISCARD"), ok());
    // EXEC itself rejected: the transaction ends with the reason.
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("SET a 1"), queued());
    assert_eq!(
        h.run("EXEC x"),
        err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
    );
    assert_eq!(h.run("EXEC"), err("ERR EXEC without MULTI"));
    assert_eq!(h.run("EXISTS a"), int(0));
}

// rule: TX-5
#[test]
fn discard_drops_queue_and_watches() {
    let mut h = Harness::new();
    h.run("SET x 1");
    assert_eq!(h.run("WATCH x"), ok());
    assert_eq!(h.run("SET x 10"), ok());
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("INCR x"), queued());
    assert_eq!(h.run("DISCARD"), ok());
    assert_eq!(h.run("GET x"), bulk("10"));
    // The dirty flag went with DISCARD.
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("INCR x"), queued());
    assert_eq!(h.run("EXEC"), Frame::Array(vec![int(11)]));
}

// rule: TX-6
#[test]
fn watch_touched_by_own_and_other_writes() {
    let mut h = Harness::new();
    let c0 = h.client;
    h.run("SET x 30");
    h.run("WATCH x");
    h.run("SET x 40");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    // Another client's write.
    h.run("WATCH x y z");
    let _c1 = h.new_client();
    h.run("SET y 1");
    h.client = c0;
    h.run("MULTI");
    assert_eq!(h.run("PING"), queued());
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    // After EXEC (failed or not) nothing is watched.
    h.run("SET y 2");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    // Writes that change nothing do not touch; reads never do.
    h.run("WATCH x nokey");
    h.run("GET x");
    h.run("DEL nokey");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    // EXPIRE touches.
    h.run("WATCH x");
    h.run("EXPIRE x 10");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-6
#[test]
fn watch_remembers_the_database() {
    let mut h = Harness::new();
    h.run("SELECT 5");
    h.run("SET x 30");
    h.run("WATCH x");
    h.run("SELECT 1");
    h.run("SET x 10");
    h.run("SELECT 5");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    // MOVE into the watched database touches it there.
    h.run("WATCH y");
    h.run("SELECT 2");
    h.run("SET y 1");
    assert_eq!(h.run("MOVE y 5"), int(1));
    h.run("SELECT 5");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-7
#[test]
fn unwatch_clears_a_touched_watch() {
    let mut h = Harness::new();
    h.run("SET x 30");
    h.run("WATCH x");
    h.run("SET x 40");
    assert_eq!(h.run("UNWATCH"), ok());
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    assert_eq!(h.run("UNWATCH"), ok());
}

// rule: TX-8
#[test]
fn watched_key_expiring_fails_exec() {
    let mut h = Harness::new();
    // Expired without anyone touching it.
    h.run("SET k v PX 50");
    h.run("WATCH k");
    h.advance_ms(100);
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    // Expired and then deleted by a lookup.
    h.run("SET k v PX 50");
    h.run("WATCH k");
    h.advance_ms(100);
    assert_eq!(h.run("EXISTS k"), int(0));
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-9
#[test]
fn watching_an_already_expired_key() {
    let mut h = Harness::new();
    // Stale when watched: its expiry is no change...
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("WATCH x");
    h.run("MULTI");
    h.run("PING");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]));
    // ...nor its deletion by a lookup...
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("WATCH x");
    assert_eq!(h.run("EXISTS x"), int(0));
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // ...nor a flush...
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("WATCH x");
    h.run("FLUSHDB");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // ...but setting it again is.
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("WATCH x");
    let c0 = h.client;
    h.new_client();
    h.run("SET x bar");
    h.client = c0;
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-10
#[test]
fn flush_touches_only_existing_keys() {
    let mut h = Harness::new();
    for flush in ["FLUSHALL", "FLUSHDB", "FLUSHALL ASYNC", "FLUSHDB SYNC"] {
        h.run("SET x 30");
        h.run("WATCH x");
        h.run(flush);
        h.run("MULTI");
        h.run("PING");
        assert_eq!(h.run("EXEC"), Frame::NullArray, "{flush}");
        h.run("DEL x");
        h.run("WATCH x");
        h.run(flush);
        h.run("MULTI");
        h.run("PING");
        assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::simple("PONG")]), "{flush}");
    }
    // FLUSHDB of another database leaves the watch alone.
    h.run("SET x 1");
    h.run("WATCH x");
    h.run("SELECT 1");
    h.run("FLUSHDB");
    h.run("SELECT 0");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // Several watched keys, one client.
    h.run("MSET a a b b");
    h.run("WATCH b a");
    h.run("FLUSHALL");
    assert_eq!(h.run("PING"), Frame::simple("PONG"));
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-11
#[test]
fn swapdb_touches_keys_existing_on_either_side() {
    let mut h = Harness::new();
    h.run("SET x 30");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    h.run("FLUSHALL");
    h.run("SELECT 1");
    h.run("SET x 30");
    h.run("SELECT 0");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    // Swapping a database with itself changes nothing.
    h.run("WATCH x");
    h.run("SWAPDB 0 0");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // Neither side has it: untouched.
    h.run("FLUSHALL");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
}

// rule: TX-11
#[test]
fn swapdb_and_stale_keys() {
    let mut h = Harness::new();
    // A stale key replaced with nothing.
    h.run("SELECT 1");
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // Nothing replaced with a stale key.
    h.run("FLUSHALL");
    h.run("SELECT 0");
    h.run("SET x foo PX 1");
    h.advance_ms(2);
    h.run("SELECT 1");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // A stale key replaced with another stale key.
    h.run("FLUSHALL");
    h.run("SELECT 1");
    h.run("SET x foo PX 1");
    h.run("SELECT 0");
    h.run("SET x bar PX 1");
    h.advance_ms(2);
    h.run("SELECT 1");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![]));
    // A stale key replaced with a live one.
    h.run("FLUSHALL");
    h.run("SELECT 1");
    h.run("SET x foo PX 1");
    h.run("SELECT 0");
    h.run("SET x bar");
    h.advance_ms(2);
    h.run("SELECT 1");
    h.run("WATCH x");
    h.run("SWAPDB 0 1");
    h.run("MULTI");
    assert_eq!(h.run("EXEC"), Frame::NullArray);
}

// rule: TX-12
#[test]
fn client_list_fields() {
    let mut h = Harness::new();
    assert_eq!(info_field(&mut h, "multi"), "-1");
    assert_eq!(info_field(&mut h, "flags"), "N");
    h.run("MULTI");
    h.run("SET a b");
    h.run("GET a");
    h.run("CLIENT INFO");
    let Frame::Array(replies) = h.run("EXEC") else { panic!("array") };
    let Some(Frame::Verbatim(_, info)) = replies.get(2) else { panic!("client info") };
    let info = String::from_utf8_lossy(info);
    // As Redis: the count and memory stay visible while EXEC runs; the last command is EXEC.
    assert!(info.contains(" flags=x "), "{info}");
    assert!(info.contains(" multi=3 "), "{info}");
    assert!(info.contains(" multi-mem=75 "), "{info}");
    assert!(info.contains(" cmd=exec "), "{info}");
    // A touched watch shows `d`; a doomed transaction queues nothing more.
    h.run("WATCH a");
    h.run("SET a 1");
    assert_eq!(info_field(&mut h, "flags"), "d");
    h.run("MULTI");
    h.run("PING");
    let c0 = h.client;
    h.new_client();
    let Frame::Verbatim(_, list) = h.run("CLIENT LIST") else { panic!("list") };
    let list = String::from_utf8_lossy(&list).into_owned();
    let line = list.lines().find(|l| l.starts_with(&format!("id={c0} "))).expect("c0 line");
    assert!(line.contains(" flags=xd ") && line.contains(" multi=0 ") && line.contains(" cmd=ping "), "{line}");
    h.client = c0;
    assert_eq!(h.run("EXEC"), Frame::NullArray);
    // After a rejected command, later ones are not stored either.
    h.run("MULTI");
    h.run("PING");
    h.run("NOSUCH");
    h.run("PING");
    h.new_client();
    let Frame::Verbatim(_, list) = h.run("CLIENT LIST") else { panic!("list") };
    let list = String::from_utf8_lossy(&list).into_owned();
    let line = list.lines().find(|l| l.starts_with(&format!("id={c0} "))).expect("c0 line");
    assert!(line.contains(" multi=1 ") && line.contains(" multi-mem=12 "), "{line}");
}

// rule: TX-13
#[test]
fn reset_and_disconnect_end_the_transaction() {
    let mut h = Harness::new();
    h.run("SET x 1");
    h.run("WATCH x");
    h.run("MULTI");
    h.run("SET x 2");
    assert_eq!(h.run("RESET"), Frame::simple("RESET"));
    assert_eq!(h.run("GET x"), bulk("1"));
    assert_eq!(h.run("EXEC"), err("ERR EXEC without MULTI"));
    assert!(h.engine.watches.is_empty());
    // A disconnected client's watches go away.
    h.run("WATCH x");
    let id = h.client;
    h.engine.disconnect(id);
    assert!(h.engine.watches.is_empty());
}

// rule: TX-14
#[test]
fn stats_count_executed_commands_only() {
    let mut h = Harness::new();
    h.run("CONFIG RESETSTAT");
    h.run("MULTI");
    h.run("SET a 1");
    h.run("INCR nosuch:x");
    h.run("LPOPX");
    h.run("DISCARD");
    h.run("MULTI");
    h.run("SET a x");
    h.run("INCR a");
    h.run("EXEC");
    let Frame::Verbatim(_, info) = h.run("INFO commandstats") else { panic!("info") };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("cmdstat_set:calls=1,"), "{info}");
    assert!(info.contains("cmdstat_incr:calls=1,") && info.contains("failed_calls=1"), "{info}");
    assert!(info.contains("cmdstat_multi:calls=2,"), "{info}");
    assert!(info.contains("cmdstat_exec:calls=1,usec"), "{info}");
    let Frame::Verbatim(_, info) = h.run("INFO errorstats") else { panic!("info") };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("errorstat_ERR:count=2"), "{info}");
}

// rule: TX-16
#[test]
fn blocking_commands_do_not_block_inside_exec() {
    let mut h = Harness::new();
    h.run("MULTI");
    for cmd in
        ["BLPOP empty 0", "BRPOP empty 0", "BRPOPLPUSH e1 e2 0", "BLMOVE e1 e2 LEFT LEFT 0", "BLMPOP 0 1 e1 LEFT"]
    {
        assert_eq!(h.run(cmd), queued(), "{cmd}");
    }
    let na = Frame::NullArray;
    assert_eq!(h.run("EXEC"), Frame::Array(vec![na.clone(), na.clone(), Frame::Null, Frame::Null, na]));
    assert!(!h.engine.client(h.client).expect("client").deny_blocking);
    // With data they pop as usual.
    h.run("RPUSH l a b");
    h.run("MULTI");
    h.run("BLPOP l 0");
    h.run("BLMOVE l l2 LEFT RIGHT 0");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![Frame::Array(vec![bulk("l"), bulk("a")]), bulk("b")]));
}
