//! maxmemory and eviction (rules EVICT-1..6): the engine with a memory figure of the test's own
//! (100 bytes a key), so which keys go is deterministic; and the replies of a real server and
//! verdis side by side for the OOM cases.

mod common;

use common::scenario::{check_like_real_redis, Expect, Step::Send, Step::Sleep};
use verdis::engine::testkit::{bulk, err, int, ok, Harness};
use verdis::engine::Engine;
use verdis::resp::Frame;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// 100 bytes for every key of every database.
fn keys_model(engine: &Engine) -> u64 {
    engine.dbs.iter().map(|db| db.len() as u64 * 100).sum()
}

fn harness(policy: &str, max_keys: u64) -> Harness {
    let mut h = Harness::new();
    h.engine.process.memory_model = Some(keys_model);
    h.run(&format!("CONFIG SET maxmemory-policy {policy}"));
    h.run(&format!("CONFIG SET maxmemory {}", max_keys * 100));
    h
}

/// The keys of database 0, read without running a command (a command would evict first).
fn keys(h: &mut Harness) -> Vec<String> {
    let mut out: Vec<String> = h.engine.dbs[0].iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect();
    out.sort();
    out
}

#[test]
fn noeviction_refuses_commands_that_may_grow_memory() {
    // rules: EVICT-1 EVICT-2
    let mut h = harness("noeviction", 3);
    for k in ["a", "b", "c", "d"] {
        h.run(&format!("SET {k} 1"));
    }
    // The limit is passed by the fourth key: nothing is evicted, writes that may grow are refused.
    assert_eq!(h.run("SET e 1"), err(OOM));
    assert_eq!(h.run("LPUSH l x"), err(OOM));
    assert_eq!(h.run("GET a"), bulk("1"));
    assert_eq!(h.run("DEL a"), int(1));
    assert_eq!(h.run("SET e 1"), ok(), "at the limit: the check is before the command");
    assert_eq!(h.run("SET f 1"), err(OOM), "over it again");
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("GET a"), err(OOM), "nothing is queued while over the limit");
    assert_eq!(h.run("EXEC"), err("EXECABORT Transaction discarded because of previous errors."));
    assert_eq!(h.engine.stats.evicted_keys, 0);
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    // rules: EVICT-3 EVICT-6
    let mut h = harness("allkeys-lru", 100);
    h.run("CONFIG SET maxmemory-samples 10");
    for i in 0..10 {
        h.run(&format!("SET k{i} v"));
        h.advance_ms(1000);
    }
    // k0..k4 are read again, so k5..k9 are now the least recently used.
    for i in 0..5 {
        h.run(&format!("GET k{i}"));
        h.advance_ms(1000);
    }
    h.run("CONFIG SET maxmemory 700");
    h.engine.prop.enabled = true;
    h.run("SET new v");
    let left = keys(&mut h);
    assert_eq!(left.len(), 8, "{left:?}");
    for i in 0..5 {
        assert!(left.contains(&format!("k{i}")), "recently used k{i} kept: {left:?}");
    }
    assert!(left.contains(&"new".to_string()));
    assert_eq!(h.engine.stats.evicted_keys, 3);
    // The evictions propagate as DELs before the command, without a transaction.
    let propagated: Vec<Vec<Vec<u8>>> = h.engine.take_propagated().into_iter().map(|(_, argv)| argv).collect();
    assert_eq!(propagated.len(), 4);
    assert!(propagated[..3].iter().all(|argv| argv[0] == b"DEL"));
    assert_eq!(propagated[3][0], b"SET");
}

#[test]
fn volatile_policies_only_evict_keys_with_an_expiry() {
    // rule: EVICT-4
    let mut h = harness("volatile-ttl", 100);
    h.run("SET keep1 v");
    h.run("SET soon v PX 5000");
    h.run("SET later v PX 900000");
    h.run("SET keep2 v");
    h.run("CONFIG SET maxmemory 300");
    assert_eq!(h.run("SET x v"), ok());
    assert_eq!(keys(&mut h), ["keep1", "keep2", "later", "x"].map(String::from).to_vec());
    assert_eq!(h.run("SET y v"), ok());
    assert_eq!(keys(&mut h), ["keep1", "keep2", "x", "y"].map(String::from).to_vec());
    // No volatile key left: nothing can go, so the write is refused.
    assert_eq!(h.run("SET z v"), err(OOM));
    for policy in ["volatile-lru", "volatile-lfu", "volatile-random"] {
        h.run(&format!("CONFIG SET maxmemory-policy {policy}"));
        assert_eq!(h.run("SET z v"), err(OOM), "{policy}");
    }
    h.run("CONFIG SET maxmemory-policy allkeys-random");
    assert_eq!(h.run("SET z v"), ok());
    assert_eq!(keys(&mut h).len(), 4);
    assert_eq!(h.engine.stats.evicted_keys, 3);
}

#[test]
fn lfu_counts_accesses_and_decays() {
    // rules: EVICT-5
    let mut h = harness("allkeys-lfu", 100);
    h.run("CONFIG SET lfu-log-factor 0");
    h.run("SET hot v");
    h.run("SET cold v");
    assert_eq!(h.run("OBJECT FREQ hot"), int(5), "a new key starts at 5");
    for _ in 0..10 {
        h.run("GET hot");
    }
    assert_eq!(h.run("OBJECT FREQ hot"), int(15), "log factor 0: every access counts");
    h.advance_ms(3 * 60_000);
    assert_eq!(h.run("OBJECT FREQ hot"), int(12), "one step a minute (lfu-decay-time 1)");
    assert_eq!(
        h.run("OBJECT IDLETIME hot"),
        err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching \
             between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    // RESTORE FREQ sets the counter under an LFU policy.
    let Frame::Bulk(payload) = h.run("DUMP cold") else { panic!("DUMP is a bulk") };
    let mut argv: Vec<Vec<u8>> = ["RESTORE", "copy", "0"].iter().map(|s| s.as_bytes().to_vec()).collect();
    argv.push(payload);
    argv.extend(["FREQ", "100"].iter().map(|s| s.as_bytes().to_vec()));
    assert_eq!(h.run_argv(&argv), ok());
    assert_eq!(h.run("OBJECT FREQ copy"), int(100));
    // The least frequently used goes first.
    h.run("CONFIG SET maxmemory 200");
    assert_eq!(h.run("SET x v"), ok());
    assert_eq!(keys(&mut h), ["copy", "hot", "x"].map(String::from).to_vec());
}

#[test]
fn oom_replies_as_redis() {
    // rule: EVICT-2
    check_like_real_redis(
        &[(
            "maxmemory 1 with noeviction",
            &[
                Sleep(300),
                Send(0, "SET before v", 1),
                Send(0, "CONFIG SET maxmemory 1", 1),
                Send(0, "SET k v", 1),
                Send(0, "GET before", 1),
                Send(0, "INCR counter", 1),
                Send(0, "DEL before", 1),
                Send(0, "MULTI", 1),
                Send(0, "SET k v", 1),
                Send(0, "EXEC", 1),
                Send(0, "CONFIG SET maxmemory 0", 1),
                Send(0, "SET k v", 1),
            ],
        )],
        Expect::EveryReplyArrives,
    );
}

#[test]
fn tracking_invalidation_of_an_evicted_key_comes_before_the_reply() {
    // rule: EVICT-4
    let mut h = harness("volatile-random", 100);
    h.run("HELLO 3");
    h.run("CLIENT TRACKING on");
    h.run("SET volatile-key x EX 10000");
    h.run("SET other y");
    h.run("GET volatile-key");
    h.run("CONFIG SET maxmemory 100");
    let reply = h.run("GET other");
    let Frame::Raw(bytes) = reply else { panic!("the push and the reply together: {reply:?}") };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(text, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n$1\r\ny\r\n");
}

#[test]
fn idle_times_and_counters_survive_a_reload() {
    // rule: EVICT-7
    let mut config = verdis::engine::config::Config::default();
    config.set("enable-debug-command", b"yes").expect("debug");
    let mut h = Harness::with_config(config);
    h.run("CONFIG SET maxmemory-policy allkeys-lru");
    h.run("SET old v");
    h.advance_ms(100_000);
    h.run("SET new v");
    assert_eq!(h.run("DEBUG RELOAD"), ok());
    assert_eq!(h.run("OBJECT IDLETIME old"), int(100));
    assert_eq!(h.run("OBJECT IDLETIME new"), int(0));
    h.run("CONFIG SET maxmemory-policy allkeys-lfu");
    let Frame::Bulk(payload) = h.run("DUMP old") else { panic!("DUMP is a bulk") };
    let mut argv: Vec<Vec<u8>> = ["RESTORE", "hot", "0"].iter().map(|s| s.as_bytes().to_vec()).collect();
    argv.push(payload);
    argv.extend(["FREQ", "77"].iter().map(|s| s.as_bytes().to_vec()));
    assert_eq!(h.run_argv(&argv), ok());
    assert_eq!(h.run("DEBUG RELOAD"), ok());
    assert_eq!(h.run("OBJECT FREQ hot"), int(77));
    assert_eq!(h.run("OBJECT FREQ new"), int(5));
}

#[test]
fn info_memory_reports_the_limit_and_policy() {
    // rule: EVICT-1
    let mut h = Harness::new();
    h.run("CONFIG SET maxmemory 12345678");
    h.run("CONFIG SET maxmemory-policy volatile-lfu");
    let text = match h.run("INFO memory") {
        Frame::Bulk(text) | Frame::Verbatim(_, text) => text,
        other => panic!("{other:?}"),
    };
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("\r\nmaxmemory:12345678\r\n"), "{text}");
    assert!(text.contains("\r\nmaxmemory_human:11.77M\r\n"), "{text}");
    assert!(text.contains("\r\nmaxmemory_policy:volatile-lfu\r\n"), "{text}");
    // Under an LRU or LFU policy small integers are not shared (each value has its own clock).
    h.run("SET a 1");
    assert_eq!(h.run("OBJECT REFCOUNT a"), int(1));
    h.run("CONFIG SET maxmemory-policy allkeys-random");
    assert_eq!(h.run("OBJECT REFCOUNT a"), int(2147483647));
}
