//! Unit tests for the list family and for blocking with simulated time (replies checked against
//! redis-server 7.0.15).
// rules: LIST-1 LIST-2 LIST-3 LIST-4 LIST-5 LIST-6 LIST-7 LIST-8 LIST-9 LIST-10 LIST-11 LIST-12
// rules: BLOCK-1 BLOCK-2 BLOCK-3 BLOCK-4 BLOCK-5 BLOCK-6 BLOCK-7 BLOCK-8 BLOCK-9 BLOCK-10 BLOCK-11 BLOCK-12

use crate::engine::client::ClientState;
use crate::engine::testkit::{bulk, err, int, ok, Harness};
use crate::resp::Frame;

fn arr(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

fn ints(items: &[i64]) -> Frame {
    Frame::Array(items.iter().map(|&n| int(n)).collect())
}

fn key_elems(key: &str, items: &[&str]) -> Frame {
    Frame::Array(vec![bulk(key), arr(items)])
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The messages the engine queued for other clients, taken.
fn outbox(h: &mut Harness) -> Vec<(u64, Frame)> {
    std::mem::take(&mut h.engine.outbox)
}

/// The text of a bulk or verbatim reply (INFO, CLIENT LIST).
fn text(frame: Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("not a text reply: {other:?}"),
    }
}

fn as_client(h: &mut Harness, id: u64) {
    h.client = id;
}

#[test]
fn push_and_range() {
    let mut h = Harness::new();
    assert_eq!(h.run("RPUSH l a b c"), int(3));
    assert_eq!(h.run("LPUSH l x y"), int(5));
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["y", "x", "a", "b", "c"]));
    assert_eq!(h.run("LRANGE l -2 100"), arr(&["b", "c"]));
    assert_eq!(h.run("LRANGE l 3 1"), arr(&[]));
    assert_eq!(h.run("LRANGE l -100 0"), arr(&["y"]));
    assert_eq!(h.run("LRANGE nokey 0 -1"), arr(&[]));
    assert_eq!(h.run("LRANGE l x 1"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("LLEN l"), int(5));
    assert_eq!(h.run("LLEN nokey"), int(0));
    assert_eq!(h.run("TYPE l"), Frame::simple("list"));
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("quicklist"));
    assert_eq!(h.run("LPUSHX nokey a"), int(0));
    assert_eq!(h.run("RPUSHX l z"), int(6));
    assert_eq!(h.run("EXISTS nokey"), int(0));
    assert_eq!(h.engine.dirty, 6);
}

#[test]
fn wrong_type_everywhere() {
    let mut h = Harness::new();
    h.run("SET s v");
    h.run("RPUSH l a");
    for cmd in [
        "LPUSH s a",
        "RPUSHX s a",
        "LPOP s",
        "RPOP s 2",
        "LLEN s",
        "LRANGE s 0 1",
        "LINDEX s 0",
        "LSET s 0 a",
        "LINSERT s BEFORE a b",
        "LREM s 0 a",
        "LTRIM s 0 1",
        "LPOS s a",
        "LMOVE s l LEFT LEFT",
        "LMOVE l s LEFT LEFT",
        "RPOPLPUSH l s",
        "LMPOP 2 nokey s LEFT",
        "BLPOP nokey s 0",
        "BLMOVE l s LEFT LEFT 0",
        "BLMPOP 0 1 s LEFT",
    ] {
        assert_eq!(h.run(cmd), err(WRONGTYPE), "{cmd}");
    }
    assert_eq!(h.run("GET l"), err(WRONGTYPE));
    // Nothing moved.
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["a"]));
}

#[test]
fn pops_with_and_without_count() {
    let mut h = Harness::new();
    h.run("RPUSH l a b c d e");
    assert_eq!(h.run("LPOP l"), bulk("a"));
    assert_eq!(h.run("RPOP l"), bulk("e"));
    assert_eq!(h.run("LPOP l 2"), arr(&["b", "c"]));
    assert_eq!(h.run("LPOP l 0"), arr(&[]));
    assert_eq!(h.run("RPOP l 10"), arr(&["d"]));
    assert_eq!(h.run("EXISTS l"), int(0));
    assert_eq!(h.run("LPOP l"), Frame::Null);
    assert_eq!(h.run("LPOP l 1"), Frame::NullArray);
    assert_eq!(h.run("LPOP l 0"), Frame::NullArray);
    assert_eq!(h.run("LPOP l -1"), err("ERR value is out of range, must be positive"));
    assert_eq!(h.run("LPOP l x"), err("ERR value is out of range, must be positive"));
    assert_eq!(h.run("LPOP l 1 2"), err("ERR wrong number of arguments for 'lpop' command"));
}

#[test]
fn lmpop_options_and_errors() {
    let mut h = Harness::new();
    h.run("RPUSH b 1 2 3");
    assert_eq!(h.run("LMPOP 2 a b LEFT"), key_elems("b", &["1"]));
    assert_eq!(h.run("LMPOP 2 a b RIGHT COUNT 5"), key_elems("b", &["3", "2"]));
    assert_eq!(h.run("LMPOP 2 a b RIGHT"), Frame::NullArray);
    for (cmd, e) in [
        ("LMPOP x a LEFT", "ERR numkeys should be greater than 0"),
        ("LMPOP 0 a LEFT", "ERR numkeys should be greater than 0"),
        ("LMPOP 2 a LEFT", "ERR syntax error"),
        ("LMPOP 9223372036854775807 a LEFT", "ERR syntax error"),
        ("LMPOP 1 a MIDDLE", "ERR syntax error"),
        ("LMPOP 1 a LEFT COUNT 0", "ERR count should be greater than 0"),
        ("LMPOP 1 a LEFT COUNT x", "ERR count should be greater than 0"),
        ("LMPOP 1 a LEFT COUNT 1 COUNT 1", "ERR syntax error"),
        ("LMPOP 1 a LEFT COUNT", "ERR syntax error"),
    ] {
        assert_eq!(h.run(cmd), err(e), "{cmd}");
    }
}

#[test]
fn lindex_lset_linsert() {
    let mut h = Harness::new();
    h.run("RPUSH l a b c");
    assert_eq!(h.run("LINDEX l 0"), bulk("a"));
    assert_eq!(h.run("LINDEX l -1"), bulk("c"));
    assert_eq!(h.run("LINDEX l 3"), Frame::Null);
    assert_eq!(h.run("LINDEX l -4"), Frame::Null);
    assert_eq!(h.run("LINDEX nokey x"), Frame::Null);
    assert_eq!(h.run("LINDEX l x"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("LSET l -1 z"), ok());
    assert_eq!(h.run("LSET l 3 z"), err("ERR index out of range"));
    assert_eq!(h.run("LSET nokey x z"), err("ERR no such key"));
    assert_eq!(h.run("LSET l x z"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("LINSERT l BEFORE b x"), int(4));
    assert_eq!(h.run("LINSERT l after z y"), int(5));
    assert_eq!(h.run("LINSERT l AFTER nothere y"), int(-1));
    assert_eq!(h.run("LINSERT nokey AFTER a y"), int(0));
    assert_eq!(h.run("LINSERT l MIDDLE a y"), err("ERR syntax error"));
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["a", "x", "b", "z", "y"]));
}

#[test]
fn lrem_and_ltrim() {
    let mut h = Harness::new();
    h.run("RPUSH l a b a c a b a");
    assert_eq!(h.run("LREM l 2 a"), int(2));
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["b", "c", "a", "b", "a"]));
    assert_eq!(h.run("LREM l -1 b"), int(1));
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["b", "c", "a", "a"]));
    assert_eq!(h.run("LREM l 0 a"), int(2));
    assert_eq!(h.run("LREM l 0 zz"), int(0));
    assert_eq!(h.run("LREM l x a"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("LREM l 0 b"), int(1));
    assert_eq!(h.run("LREM l 0 c"), int(1));
    assert_eq!(h.run("EXISTS l"), int(0));
    h.run("RPUSH l 1 2 3 4 5");
    assert_eq!(h.run("LTRIM l 1 -2"), ok());
    assert_eq!(h.run("LRANGE l 0 -1"), arr(&["2", "3", "4"]));
    assert_eq!(h.run("LTRIM l 0 100"), ok());
    assert_eq!(h.run("LLEN l"), int(3));
    assert_eq!(h.run("LTRIM l 2 1"), ok());
    assert_eq!(h.run("EXISTS l"), int(0));
    assert_eq!(h.run("LTRIM nokey 0 1"), ok());
    assert_eq!(h.run("LTRIM l 0 x"), err("ERR value is not an integer or out of range"));
}

#[test]
fn lpos_rank_count_maxlen() {
    let mut h = Harness::new();
    h.run("RPUSH l a b c 1 2 3 c c");
    assert_eq!(h.run("LPOS l c"), int(2));
    assert_eq!(h.run("LPOS l c RANK 2"), int(6));
    assert_eq!(h.run("LPOS l c RANK -1"), int(7));
    assert_eq!(h.run("LPOS l c RANK -3"), int(2));
    assert_eq!(h.run("LPOS l c RANK 4"), Frame::Null);
    assert_eq!(h.run("LPOS l c COUNT 0"), ints(&[2, 6, 7]));
    assert_eq!(h.run("LPOS l c COUNT 2 RANK -1"), ints(&[7, 6]));
    assert_eq!(h.run("LPOS l c COUNT 0 MAXLEN 3"), ints(&[2]));
    assert_eq!(h.run("LPOS l c MAXLEN 2"), Frame::Null);
    assert_eq!(h.run("LPOS l zz COUNT 1"), ints(&[]));
    assert_eq!(h.run("LPOS nokey a"), Frame::Null);
    assert_eq!(h.run("LPOS nokey a COUNT 1"), ints(&[]));
    for (cmd, e) in [
        (
            "LPOS l a RANK 0",
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to \
             start from the end of the list",
        ),
        ("LPOS l a RANK x", "ERR value is not an integer or out of range"),
        ("LPOS l a COUNT -1", "ERR COUNT can't be negative"),
        ("LPOS l a COUNT x", "ERR COUNT can't be negative"),
        ("LPOS l a MAXLEN -1", "ERR MAXLEN can't be negative"),
        ("LPOS l a FOO", "ERR syntax error"),
        ("LPOS l a RANK", "ERR syntax error"),
    ] {
        assert_eq!(h.run(cmd), err(e), "{cmd}");
    }
}

#[test]
fn lmove_and_rpoplpush() {
    let mut h = Harness::new();
    h.run("RPUSH src a b c");
    assert_eq!(h.run("LMOVE src dst LEFT RIGHT"), bulk("a"));
    assert_eq!(h.run("RPOPLPUSH src dst"), bulk("c"));
    assert_eq!(h.run("LRANGE dst 0 -1"), arr(&["c", "a"]));
    // The same list rotates.
    h.run("RPUSH r 1 2 3");
    assert_eq!(h.run("LMOVE r r LEFT RIGHT"), bulk("1"));
    assert_eq!(h.run("LRANGE r 0 -1"), arr(&["2", "3", "1"]));
    h.run("RPUSH one x");
    assert_eq!(h.run("RPOPLPUSH one one"), bulk("x"));
    assert_eq!(h.run("LRANGE one 0 -1"), arr(&["x"]));
    assert_eq!(h.run("LMOVE nokey dst LEFT LEFT"), Frame::Null);
    assert_eq!(h.run("LMOVE src dst UP LEFT"), err("ERR syntax error"));
    assert_eq!(h.run("LMOVE src dst LEFT"), err("ERR wrong number of arguments for 'lmove' command"));
    assert_eq!(h.run("LMOVE src dst left left"), bulk("b"));
    assert_eq!(h.run("EXISTS src"), int(0));
}

#[test]
fn non_blocking_paths_of_blocking_commands() {
    let mut h = Harness::new();
    h.engine.propagated = Some(Vec::new());
    h.run("RPUSH b 1 2 3");
    assert_eq!(h.run("BLPOP a b 0"), arr(&["b", "1"]));
    assert_eq!(h.run("BRPOP a b 0"), arr(&["b", "3"]));
    assert_eq!(h.run("BLMPOP 0 2 a b LEFT COUNT 9"), key_elems("b", &["2"]));
    h.run("RPUSH s x y");
    assert_eq!(h.run("BLMOVE s d RIGHT LEFT 0"), bulk("y"));
    assert_eq!(h.run("BRPOPLPUSH s d 0"), bulk("x"));
    let propagated: Vec<String> = h
        .engine
        .propagated
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(_, argv)| argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(propagated, ["LPOP b", "RPOP b", "LPOP b 1", "LMOVE s d RIGHT LEFT", "RPOPLPUSH s d"]);
    assert!(!h.engine.is_blocked(h.client));
}

#[test]
fn blocking_argument_errors() {
    let mut h = Harness::new();
    for (cmd, e) in [
        ("BLPOP k x", "ERR timeout is not a float or out of range"),
        ("BLPOP k -1", "ERR timeout is negative"),
        ("BLPOP k inf", "ERR timeout is negative"),
        ("BRPOP k nan", "ERR timeout is not a float or out of range"),
        ("BLMPOP x 1 k LEFT", "ERR timeout is not a float or out of range"),
        ("BLMPOP -1 1 k LEFT", "ERR timeout is negative"),
        ("BLMPOP 0 x k LEFT", "ERR numkeys should be greater than 0"),
        ("BLMPOP x 1 k UP", "ERR syntax error"),
        ("BLMOVE a b LEFT LEFT x", "ERR timeout is not a float or out of range"),
        ("BLMOVE a b UP LEFT x", "ERR syntax error"),
        ("BRPOPLPUSH a b -1", "ERR timeout is negative"),
    ] {
        assert_eq!(h.run(cmd), err(e), "{cmd}");
    }
    assert!(!h.engine.is_blocked(h.client));
}

/// Two clients besides the harness's first: returns (first, second, third) ids.
fn three_clients(h: &mut Harness) -> (u64, u64, u64) {
    let a = h.client;
    let b = h.new_client();
    let c = h.new_client();
    (a, b, c)
}

#[test]
fn first_blocked_is_first_served() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    as_client(&mut h, a);
    assert_eq!(h.engine.execute(a, &argv("BLPOP q 0"), h.now_ms), None);
    as_client(&mut h, b);
    assert_eq!(h.engine.execute(b, &argv("BRPOP q 0"), h.now_ms), None);
    assert!(h.engine.is_blocked(a) && h.engine.is_blocked(b));
    assert_eq!(h.engine.blocking.blocked_count(), 2);
    as_client(&mut h, c);
    assert_eq!(h.run("RPUSH q x"), int(1));
    assert_eq!(outbox(&mut h), vec![(a, arr(&["q", "x"]))]);
    assert!(!h.engine.is_blocked(a) && h.engine.is_blocked(b));
    assert_eq!(h.run("RPUSH q y z"), int(2));
    // b pops from the tail; one element is left.
    assert_eq!(outbox(&mut h), vec![(b, arr(&["q", "z"]))]);
    assert_eq!(h.run("LRANGE q 0 -1"), arr(&["y"]));
    assert_eq!(h.engine.blocking.take_unblocked(), vec![a, b]);
}

fn argv(line: &str) -> Vec<Vec<u8>> {
    crate::resp::split::split_args(line.as_bytes()).expect("quotes")
}

#[test]
fn one_push_serves_as_many_as_it_has_elements() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP q 0"), h.now_ms);
    h.engine.execute(b, &argv("BLPOP q 0"), h.now_ms);
    as_client(&mut h, c);
    assert_eq!(h.run("RPUSH q 1 2 3"), int(3));
    assert_eq!(outbox(&mut h), vec![(a, arr(&["q", "1"])), (b, arr(&["q", "2"]))]);
    assert_eq!(h.run("LRANGE q 0 -1"), arr(&["3"]));
}

#[test]
fn clients_are_served_from_the_key_that_became_ready() {
    // Redis 7.0 serves from the ready key, not from the first key of the command: a MULTI-like
    // sequence that fills k2 first would pop from k2 even if k1 filled later. Here: k2 is the
    // only key pushed.
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k1 k2 k3 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("RPUSH k2 v");
    assert_eq!(outbox(&mut h), vec![(a, arr(&["k2", "v"]))]);
    // a no longer waits on k1 either.
    h.run("RPUSH k1 v");
    assert_eq!(outbox(&mut h), vec![]);
    assert_eq!(h.run("LLEN k1"), int(1));
}

#[test]
fn timeouts_with_simulated_time() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP q 1.5"), h.now_ms);
    h.engine.execute(b, &argv("BLMOVE q d LEFT LEFT 0.5"), h.now_ms);
    h.engine.execute(c, &argv("BLMPOP 0 1 q LEFT"), h.now_ms);
    assert_eq!(h.engine.blocking.with_deadline_count(), 2);
    assert_eq!(h.engine.blocking.next_deadline_ms(), Some(h.now_ms + 500));
    // A client is still waiting exactly at its deadline.
    h.engine.handle_blocked_timeouts(h.now_ms + 500);
    assert_eq!(outbox(&mut h), vec![]);
    h.engine.cron(h.now_ms + 501);
    assert_eq!(outbox(&mut h), vec![(b, Frame::NullArray)]);
    h.engine.handle_blocked_timeouts(h.now_ms + 100_000);
    assert_eq!(outbox(&mut h), vec![(a, Frame::NullArray)]);
    assert!(h.engine.is_blocked(c));
    assert_eq!(h.engine.blocking.with_deadline_count(), 0);
}

#[test]
fn blmove_push_wakes_the_next_waiter() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    h.engine.propagated = Some(Vec::new());
    h.engine.execute(a, &argv("BLMOVE src mid RIGHT LEFT 0"), h.now_ms);
    h.engine.execute(b, &argv("BRPOP mid 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("LPUSH src hello");
    assert_eq!(outbox(&mut h), vec![(a, bulk("hello")), (b, arr(&["mid", "hello"]))]);
    assert_eq!(h.run("EXISTS src mid"), int(0));
    let propagated: Vec<Vec<Vec<u8>>> =
        h.engine.propagated.take().unwrap_or_default().into_iter().map(|p| p.1).collect();
    assert_eq!(propagated, vec![argv("LMOVE src mid RIGHT LEFT"), argv("RPOP mid")]);
}

#[test]
fn blmove_to_a_key_of_another_type_fails_when_served() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLMOVE src dst LEFT LEFT 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("SET dst string");
    h.run("RPUSH src v");
    assert_eq!(outbox(&mut h), vec![(a, err(WRONGTYPE))]);
    assert!(!h.engine.is_blocked(a));
    assert_eq!(h.run("LRANGE src 0 -1"), arr(&["v"]));
    assert_eq!(h.engine.stats.total_error_replies, 1);
}

#[test]
fn key_deleted_and_recreated_or_of_other_type() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("SET k str");
    h.run("DEL k");
    assert_eq!(outbox(&mut h), vec![]);
    h.run("RPUSH k again");
    assert_eq!(outbox(&mut h), vec![(a, arr(&["k", "again"]))]);
    assert_eq!(h.run("EXISTS k"), int(0));
}

#[test]
fn blocked_in_another_database() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("SELECT 1"), h.now_ms);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("RPUSH k db0");
    assert_eq!(outbox(&mut h), vec![]);
    h.run("MOVE k 1");
    assert_eq!(outbox(&mut h), vec![(a, arr(&["k", "db0"]))]);
    // SWAPDB brings a list under a waiting client.
    h.engine.execute(a, &argv("BLPOP w 0"), h.now_ms);
    h.run("RPUSH w swapped");
    h.run("SWAPDB 0 1");
    assert_eq!(outbox(&mut h), vec![(a, arr(&["w", "swapped"]))]);
}

#[test]
fn client_unblock_timeout_and_error() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    h.engine.execute(b, &argv("BLMOVE k d LEFT LEFT 0"), h.now_ms);
    as_client(&mut h, c);
    assert_eq!(h.run(&format!("CLIENT UNBLOCK {a}")), int(1));
    assert_eq!(h.run(&format!("CLIENT UNBLOCK {b} ERROR")), int(1));
    assert_eq!(h.run(&format!("CLIENT UNBLOCK {b}")), int(0));
    assert_eq!(h.run("CLIENT UNBLOCK 9999 TIMEOUT"), int(0));
    assert_eq!(h.run("CLIENT UNBLOCK -1"), int(0));
    assert_eq!(h.run("CLIENT UNBLOCK x"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("CLIENT UNBLOCK x foo"), err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
    assert_eq!(
        h.run("CLIENT UNBLOCK 1 timeout x"),
        err("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.")
    );
    assert_eq!(outbox(&mut h), vec![(a, Frame::NullArray), (b, err("UNBLOCKED client unblocked via CLIENT UNBLOCK"))]);
    assert!(text(h.run("INFO errorstats")).contains("errorstat_UNBLOCKED:count=1"));
}

#[test]
fn blocked_commands_count_as_calls_when_they_block() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    as_client(&mut h, c);
    assert!(text(h.run("INFO commandstats")).contains("cmdstat_blpop:calls=1,"));
    h.run(&format!("CLIENT UNBLOCK {a}"));
    // CLIENT UNBLOCK counts a failed call even for TIMEOUT, as Redis's updateStatsOnUnblock.
    let stats = text(h.run("INFO commandstats"));
    assert!(
        stats.contains("cmdstat_blpop:calls=1,") && stats.contains("rejected_calls=0,failed_calls=1\r\n"),
        "{stats}"
    );
}

#[test]
fn info_and_client_list_show_blocked_clients() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 10"), h.now_ms);
    as_client(&mut h, c);
    let info = text(h.run("INFO clients"));
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
    let list = text(h.run("CLIENT LIST"));
    assert!(list.lines().next().is_some_and(|l| l.contains(" flags=b ") && l.contains("cmd=blpop")), "{list}");
}

#[test]
fn disconnect_forgets_a_blocked_client() {
    let mut h = Harness::new();
    let (a, b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    h.engine.execute(b, &argv("BLPOP k 0"), h.now_ms);
    h.engine.disconnect(a);
    assert_eq!(h.engine.blocking.blocked_count(), 1);
    as_client(&mut h, c);
    h.run("RPUSH k v");
    assert_eq!(outbox(&mut h), vec![(b, arr(&["k", "v"]))]);
}

#[test]
fn denied_blocking_answers_as_a_timeout() {
    // The MULTI/EXEC and script hook: CLIENT_DENY_BLOCKING.
    let mut h = Harness::new();
    let deny = |h: &mut Harness, on: bool| {
        let id = h.client;
        if let Some(c) = h.engine.client_mut(id) {
            c.deny_blocking = on;
        }
    };
    deny(&mut h, true);
    assert_eq!(h.run("BLPOP k 0"), Frame::NullArray);
    assert_eq!(h.run("BLMPOP 0 1 k LEFT"), Frame::NullArray);
    assert_eq!(h.run("BLMOVE k d LEFT LEFT 0"), Frame::Null);
    assert_eq!(h.run("BRPOPLPUSH k d 0"), Frame::Null);
    assert!(!h.engine.is_blocked(h.client));
    deny(&mut h, false);
    assert_eq!(h.run_argv(&argv("BLPOP k 0")), Frame::Raw(Vec::new()));
    assert!(h.engine.is_blocked(h.client));
}

#[test]
fn a_blocked_client_runs_nothing_else() {
    let mut h = Harness::new();
    h.run("BLPOP k 0");
    assert_eq!(h.engine.execute(h.client, &argv("SET x y"), h.now_ms), None);
    let other = h.new_client();
    as_client(&mut h, other);
    assert_eq!(h.run("EXISTS x"), int(0));
}

#[test]
fn reply_skip_applies_to_the_served_reply() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("CLIENT REPLY SKIP"), h.now_ms);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    as_client(&mut h, c);
    h.run("RPUSH k v1");
    assert_eq!(outbox(&mut h), vec![]);
    assert!(!h.engine.is_blocked(a));
    h.engine.execute(a, &argv("BLPOP k2 0"), h.now_ms);
    h.run("RPUSH k2 v2");
    assert_eq!(outbox(&mut h), vec![(a, arr(&["k2", "v2"]))]);
}

#[test]
fn blmpop_served_with_count() {
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.propagated = Some(Vec::new());
    h.engine.execute(a, &argv("BLMPOP 0 2 x y RIGHT COUNT 2"), h.now_ms);
    as_client(&mut h, c);
    h.run("RPUSH y 1 2 3");
    assert_eq!(outbox(&mut h), vec![(a, key_elems("y", &["3", "2"]))]);
    let propagated: Vec<Vec<Vec<u8>>> =
        h.engine.propagated.take().unwrap_or_default().into_iter().map(|p| p.1).collect();
    assert_eq!(propagated, vec![argv("RPOP y 2")]);
}

#[test]
fn a_served_client_leaves_the_blocked_state() {
    let client = ClientState::new(1, String::new(), String::new(), 0);
    assert!(!client.blocked && !client.deny_blocking);
    let mut h = Harness::new();
    let (a, _b, c) = three_clients(&mut h);
    h.engine.execute(a, &argv("BLPOP k 0"), h.now_ms);
    assert!(h.engine.client(a).is_some_and(|c| c.blocked));
    as_client(&mut h, c);
    h.run("RPUSH k v");
    assert!(h.engine.client(a).is_some_and(|c| !c.blocked));
}

#[test]
fn free_effort_counts_quicklist_nodes() {
    let mut h = Harness::new();
    h.run("CONFIG SET list-max-listpack-size 4");
    h.run("RPUSH l 1 2 3 4 5 6 7 8 9");
    let effort = h.engine.dbs[0].entry(b"l").map(|e| e.value.free_effort());
    assert_eq!(effort, Some(3));
}
