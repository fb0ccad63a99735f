//! Model behaviour that the recorded scripts cannot pin down against a
//! real server (exact millisecond boundaries, nondeterministic replies,
//! the checking API), derived from Redis 7.0.15's source.

use std::collections::BTreeSet;
use verdis_spec::op::ops_from_bytes;
use verdis_spec::{argv, run_ops, Model, Reply, EPOCH_MS};

const T0: u64 = EPOCH_MS;

fn run(m: &mut Model, cmd: &str, now: u64) -> Reply {
    m.apply(0, &argv(&cmd.split(' ').collect::<Vec<_>>()), now)
}

#[test]
fn expire_boundary_is_strictly_after() {
    // rule: EXP-1
    let mut m = Model::new();
    run(&mut m, "SET k v PX 10", T0);
    assert_eq!(run(&mut m, "GET k", T0 + 10), Reply::bulk("v"));
    assert_eq!(run(&mut m, "PTTL k", T0 + 10), Reply::Int(0));
    assert_eq!(run(&mut m, "TTL k", T0 + 10), Reply::Int(0));
    assert_eq!(run(&mut m, "GET k", T0 + 11), Reply::Nil);
    assert_eq!(run(&mut m, "TTL k", T0 + 11), Reply::Int(-2));
}

#[test]
fn absolute_expire_at_now_deletes_at_once() {
    // rule: EXP-3, STR-15
    let mut m = Model::new();
    run(&mut m, "SET k v", T0);
    let at_now = format!("PEXPIREAT k {T0}");
    assert_eq!(run(&mut m, &at_now, T0), Reply::Int(1));
    assert_eq!(m.stored_len(0), 0, "deleted, not merely expired");
    run(&mut m, "SET k v", T0);
    assert_eq!(run(&mut m, &format!("GETEX k PXAT {T0}"), T0), Reply::bulk("v"));
    assert_eq!(m.stored_len(0), 0);
    // SET with an absolute time equal to now stores a key that is still
    // live during this millisecond.
    run(&mut m, &format!("SET k v PXAT {T0}"), T0);
    assert_eq!(run(&mut m, "GET k", T0), Reply::bulk("v"));
    assert_eq!(run(&mut m, "GET k", T0 + 1), Reply::Nil);
}

#[test]
fn ttl_rounds_half_up() {
    // rule: EXP-7, EXP-8
    let mut m = Model::new();
    run(&mut m, "SET k v PX 1499", T0);
    assert_eq!(run(&mut m, "TTL k", T0), Reply::Int(1));
    run(&mut m, "SET k v PX 1500", T0);
    assert_eq!(run(&mut m, "TTL k", T0), Reply::Int(2));
    run(&mut m, "PEXPIREAT k 4000000000500", T0);
    assert_eq!(run(&mut m, "EXPIRETIME k", T0), Reply::Int(4_000_000_001));
    assert_eq!(run(&mut m, "PEXPIRETIME k", T0), Reply::Int(4_000_000_000_500));
}

#[test]
fn dbsize_counts_unreclaimed_keys_within_bounds() {
    // rule: KEY-11, EXP-12
    let mut m = Model::new();
    run(&mut m, "SET a 1 PX 5", T0);
    run(&mut m, "SET b 1", T0);
    let later = T0 + 100;
    assert_eq!(m.live_len(0, later), 1);
    assert_eq!(m.stored_len(0), 2);
    // Redis without active expiry still counts the dead key...
    assert_eq!(run(&mut m, "DBSIZE", later), Reply::Int(2));
    // ...with active expiry it may not: both answers are accepted.
    let dbsize = argv(&["DBSIZE"]);
    assert!(m.clone().check(0, &dbsize, later, &Reply::Int(1)).is_ok());
    assert!(m.clone().check(0, &dbsize, later, &Reply::Int(2)).is_ok());
    assert!(m.clone().check(0, &dbsize, later, &Reply::Int(3)).is_err());
    assert!(m.clone().check(0, &dbsize, later, &Reply::Int(0)).is_err());
    // Looking the key up reclaims it.
    assert_eq!(run(&mut m, "EXISTS a", later), Reply::Int(0));
    assert_eq!(run(&mut m, "DBSIZE", later), Reply::Int(1));
    // KEYS does not reclaim.
    run(&mut m, "SET c 1 PX 5", T0);
    run(&mut m, "KEYS *", later);
    assert_eq!(m.stored_len(0), 2);
}

#[test]
fn keys_are_compared_as_sets() {
    // rule: KEY-13
    let mut m = Model::new();
    run(&mut m, "MSET a 1 b 2", T0);
    let keys = argv(&["KEYS", "*"]);
    let reply = Reply::Array(vec![Reply::bulk("b"), Reply::bulk("a")]);
    assert!(m.check(0, &keys, T0, &reply).is_ok());
    let short = Reply::Array(vec![Reply::bulk("b")]);
    assert!(m.check(0, &keys, T0, &short).is_err());
}

#[test]
fn randomkey_accepts_any_live_key() {
    // rule: KEY-14
    let mut m = Model::new();
    run(&mut m, "MSET a 1 b 2", T0);
    run(&mut m, "SET c 3 PX 1", T0);
    let cmd = argv(&["RANDOMKEY"]);
    let later = T0 + 5;
    assert!(m.check(0, &cmd, later, &Reply::bulk("b")).is_ok());
    assert!(m.check(0, &cmd, later, &Reply::bulk("a")).is_ok());
    assert!(m.check(0, &cmd, later, &Reply::bulk("c")).is_err());
    assert!(m.check(0, &cmd, later, &Reply::Nil).is_err());
    run(&mut m, "FLUSHDB", later);
    assert!(m.check(0, &cmd, later, &Reply::Nil).is_ok());
}

#[test]
fn scan_replies_and_full_iterations() {
    // rule: KEY-16, EXP-13
    let mut m = Model::new();
    run(&mut m, "MSET a 1 b 2 c 3", T0);
    run(&mut m, "SET d 4 PX 1", T0);
    let later = T0 + 5;
    let scan = |cursor: &str, keys: &[&str]| {
        Reply::Array(vec![Reply::bulk(cursor), Reply::Array(keys.iter().map(Reply::bulk).collect())])
    };
    let first = argv(&["SCAN", "0", "COUNT", "1"]);
    assert!(m.check(0, &first, later, &scan("2", &["a"])).is_ok());
    assert!(m.check(0, &first, later, &scan("2", &["d"])).is_err());
    assert!(m.check(0, &first, later, &scan("x", &["a"])).is_err());
    // A full iteration must report every live key.
    let exp = m.scan_expectation(0, None, None, later);
    let all: BTreeSet<Vec<u8>> = ["a", "b", "c"].iter().map(|k| k.as_bytes().to_vec()).collect();
    assert!(exp.check_union(&all).is_ok());
    let some: BTreeSet<Vec<u8>> = ["a", "b"].iter().map(|k| k.as_bytes().to_vec()).collect();
    assert!(exp.check_union(&some).is_err());
    // TYPE none may report the dead key d, which is then gone.
    let none = argv(&["SCAN", "0", "TYPE", "none"]);
    assert_eq!(m.stored_len(0), 4);
    assert!(m.check(0, &none, later, &scan("0", &["d"])).is_ok());
    assert_eq!(m.stored_len(0), 3);
    assert!(m.check(0, &none, later, &scan("0", &["a"])).is_err());
    // Errors must match exactly.
    let bad = argv(&["SCAN", "x"]);
    assert!(m.check(0, &bad, later, &Reply::err("invalid cursor")).is_ok());
}

#[test]
fn protocol_version_changes_no_reply() {
    // rule: PROTO-12, PROTO-11
    let mut a = Model::new();
    let mut b = Model::new();
    b.set_protocol(0, 3);
    for cmd in ["SET k v", "GET k", "LCS k k IDX", "MGET k x", "SELECT 1", "GET k", "PING"] {
        assert_eq!(run(&mut a, cmd, T0), run(&mut b, cmd, T0), "{cmd}");
    }
    assert_eq!(b.client(0).resp, 3);
    assert_eq!(b.selected_db(0), 1);
    assert_eq!(b.selected_db(7), 0, "a new connection starts on db 0");
}

#[test]
fn databases_are_independent() {
    // rule: KEY-18
    let mut m = Model::new();
    run(&mut m, "SET k v", T0);
    for db in 1..16 {
        m.apply(0, &argv(&["SELECT", &db.to_string()]), T0);
        assert_eq!(run(&mut m, "GET k", T0), Reply::Nil);
        run(&mut m, &format!("SET k v{db}"), T0);
    }
    assert_eq!(m.keys(0, T0).len(), 1);
    assert_eq!(m.keys(15, T0)[&b"k".to_vec()].0, verdis_spec::MValue::Str(b"v15".to_vec()));
    assert_eq!(run(&mut m, "SELECT 16", T0), Reply::err("DB index is out of range"));
}

#[test]
fn generated_ops_run_against_the_model_itself() {
    // The model judged against itself: every op sequence must pass, which
    // exercises `check`, `ScanAll` and the whole-state comparison, and
    // shows the model never panics on generated input.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..300 {
        let bytes: Vec<u8> = (0..3000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let ops = ops_from_bytes(&bytes, 200);
        assert!(ops.len() > 50);
        let mut sut = Model::new();
        if let Err(f) = run_ops(&ops, &mut sut, EPOCH_MS) {
            panic!("{f}");
        }
    }
}

#[test]
fn every_generated_command_is_modelled() {
    // Generated commands (other than the deliberately malformed ones) must
    // be commands the model knows, or the state-machine test would only
    // compare "unknown command" errors.
    let names = Model::command_names();
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for op in ops_from_bytes(&bytes, 2000) {
        if matches!(op, verdis_spec::Op::Malformed(_)) {
            continue;
        }
        let argv = op.to_argv();
        if let Some(name) = argv.first() {
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            assert!(names.contains(&name.as_str()), "{name}");
        }
    }
}

#[test]
fn hrandfield_huge_negative_counts_are_refused() {
    // rule: HASH-16
    let mut m = Model::new();
    run(&mut m, "HSET h f v", T0);
    assert_eq!(run(&mut m, "HRANDFIELD h -10000000", T0), Reply::Array(vec![Reply::bulk("f"); 10_000_000]));
    assert_eq!(run(&mut m, "HRANDFIELD h -10000001", T0), Reply::err("value is out of range"));
    assert_eq!(run(&mut m, "HRANDFIELD nokey -10000001", T0), Reply::Array(vec![]));
}

#[test]
fn hash_random_replies_are_judged() {
    // rules: HASH-15, HASH-17
    let mut m = Model::new();
    run(&mut m, "HSET h a 1 b 2 c 3", T0);
    let pick = |items: &[&str]| Reply::Array(items.iter().map(Reply::bulk).collect());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h", "2"]), T0, &pick(&["c", "a"])).is_ok());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h", "2"]), T0, &pick(&["c", "c"])).is_err());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h", "-3"]), T0, &pick(&["c", "c", "b"])).is_ok());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h", "1", "WITHVALUES"]), T0, &pick(&["b", "2"])).is_ok());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h", "1", "WITHVALUES"]), T0, &pick(&["b", "3"])).is_err());
    assert!(m.check(0, &argv(&["HRANDFIELD", "h"]), T0, &Reply::bulk("z")).is_err());
    let scan = |cursor: &str, items: &[&str]| Reply::Array(vec![Reply::bulk(cursor), pick(items)]);
    assert!(m.check(0, &argv(&["HSCAN", "h", "0"]), T0, &scan("4", &["b", "2"])).is_ok());
    assert!(m.check(0, &argv(&["HSCAN", "h", "0", "MATCH", "a"]), T0, &scan("0", &["b", "2"])).is_err());
    assert!(m.check(0, &argv(&["HKEYS", "h"]), T0, &pick(&["c", "b", "a"])).is_ok());
    assert!(m.check(0, &argv(&["HVALS", "h"]), T0, &pick(&["1", "3", "2"])).is_ok());
    assert!(m.check(0, &argv(&["HGETALL", "h"]), T0, &pick(&["c", "3", "a", "1", "b", "2"])).is_ok());
    assert!(m.check(0, &argv(&["HGETALL", "h"]), T0, &pick(&["c", "1", "a", "3", "b", "2"])).is_err());
}

fn run_as(m: &mut Model, client: u64, cmd: &str, now: u64) -> Reply {
    m.apply(client, &argv(&cmd.split(' ').collect::<Vec<_>>()), now)
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(Reply::bulk).collect())
}

#[test]
fn watch_expiry_and_stale_keys() {
    // rule: TX-8, TX-9
    let mut m = Model::new();
    run(&mut m, "SET k v PX 10", T0);
    run(&mut m, "WATCH k", T0);
    run(&mut m, "MULTI", T0);
    assert_eq!(run(&mut m, "EXEC", T0 + 11), Reply::NilArray);
    // Already expired when watched: its deletion is no change, a new value is.
    run(&mut m, "SET k v PX 10", T0);
    run(&mut m, "WATCH k", T0 + 11);
    assert_eq!(run(&mut m, "EXISTS k", T0 + 11), Reply::Int(0));
    run(&mut m, "MULTI", T0 + 11);
    assert_eq!(run(&mut m, "EXEC", T0 + 11), Reply::Array(vec![]));
    run(&mut m, "SET k v PX 10", T0 + 20);
    run(&mut m, "WATCH k", T0 + 31);
    run_as(&mut m, 1, "SET k w", T0 + 31);
    run(&mut m, "MULTI", T0 + 31);
    assert_eq!(run(&mut m, "EXEC", T0 + 31), Reply::NilArray);
}

#[test]
fn transaction_refusals() {
    // rule: TX-3, TX-4, TX-5, TX-7
    let mut m = Model::new();
    assert_eq!(run(&mut m, "EXEC", T0), Reply::err("EXEC without MULTI"));
    run(&mut m, "MULTI", T0);
    assert_eq!(run(&mut m, "MULTI", T0), Reply::err("MULTI calls can not be nested"));
    assert_eq!(run(&mut m, "SET a", T0), Reply::err("wrong number of arguments for 'set' command"));
    assert_eq!(run(&mut m, "SET a 1", T0), Reply::Status("QUEUED".into()));
    assert_eq!(
        run(&mut m, "EXEC", T0),
        Reply::Error("EXECABORT Transaction discarded because of previous errors.".into())
    );
    run(&mut m, "WATCH a", T0);
    run(&mut m, "SET a 1", T0);
    run(&mut m, "MULTI", T0);
    assert_eq!(run(&mut m, "DISCARD", T0), Reply::ok());
    run(&mut m, "MULTI", T0);
    assert_eq!(run(&mut m, "EXEC", T0), Reply::Array(vec![]));
    run(&mut m, "WATCH a", T0);
    run(&mut m, "SET a 2", T0);
    assert_eq!(run(&mut m, "UNWATCH", T0), Reply::ok());
    run(&mut m, "MULTI", T0);
    assert_eq!(run(&mut m, "EXEC", T0), Reply::Array(vec![]));
}

#[test]
fn pubsub_notifications_and_delivery() {
    // rule: PUBSUB-1, PUBSUB-2, PUBSUB-3, PUBSUB-4, PUBSUB-6
    let mut m = Model::new();
    let note = |verb: &str, name: &str, n: i64| Reply::Array(vec![Reply::bulk(verb), Reply::bulk(name), Reply::Int(n)]);
    assert_eq!(
        run_as(&mut m, 1, "SUBSCRIBE a b a", T0),
        Reply::Array(vec![note("subscribe", "a", 1), note("subscribe", "b", 2), note("subscribe", "a", 2)])
    );
    // One notification is the reply itself; several are an array of them.
    assert_eq!(run_as(&mut m, 1, "PSUBSCRIBE a*", T0), note("psubscribe", "a*", 3));
    assert_eq!(run_as(&mut m, 2, "SSUBSCRIBE a", T0), note("ssubscribe", "a", 1));
    assert_eq!(run(&mut m, "PUBLISH a hi", T0), Reply::Int(2));
    assert_eq!(m.take_messages(1), vec![bulks(&["message", "a", "hi"]), bulks(&["pmessage", "a*", "a", "hi"]),]);
    assert_eq!(run(&mut m, "SPUBLISH a s", T0), Reply::Int(1));
    assert_eq!(m.take_messages(2), vec![bulks(&["smessage", "a", "s"])]);
    assert!(run_as(&mut m, 1, "GET a", T0).is_error());
    assert_eq!(run_as(&mut m, 1, "PING", T0), bulks(&["pong", ""]));
    assert_eq!(
        run(&mut m, "PUBSUB NUMSUB a c", T0),
        Reply::Array(vec![Reply::bulk("a"), Reply::Int(1), Reply::bulk("c"), Reply::Int(0)])
    );
    assert_eq!(run(&mut m, "PUBSUB NUMPAT", T0), Reply::Int(1));
    assert_eq!(
        run_as(&mut m, 1, "UNSUBSCRIBE", T0),
        Reply::Array(vec![note("unsubscribe", "a", 2), note("unsubscribe", "b", 1)])
    );
    let nothing = Reply::Array(vec![Reply::bulk("sunsubscribe"), Reply::Nil, Reply::Int(0)]);
    assert_eq!(run_as(&mut m, 1, "SUNSUBSCRIBE", T0), nothing);
}

#[test]
fn pubsub_inside_exec() {
    // rule: PUBSUB-8, TX-2
    let mut m = Model::new();
    run(&mut m, "MULTI", T0);
    run(&mut m, "SUBSCRIBE a", T0);
    run(&mut m, "PUBLISH a x", T0);
    run(&mut m, "SSUBSCRIBE s", T0);
    run(&mut m, "GET k", T0);
    let sub = Reply::Array(vec![Reply::bulk("subscribe"), Reply::bulk("a"), Reply::Int(1)]);
    let publish = Reply::Array(vec![bulks(&["message", "a", "x"]), Reply::Int(1)]);
    let refused = Reply::err("SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    assert_eq!(run(&mut m, "EXEC", T0), Reply::Array(vec![sub, publish, refused, Reply::Nil]));
}
