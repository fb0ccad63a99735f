//! Tests of the expire commands and of active expiry. Expected replies and error texts were
//! checked against redis-server 7.0.15.

use crate::cmd::keyspace::tests::{set, set_px};
use crate::engine::config::Config;
use crate::engine::testkit::{err, int, Harness};

#[test]
fn expire_forms_and_ttl_readers() {
    let mut h = Harness::new();
    let now_s = h.now_ms / 1000;
    set(&mut h, "k", "v");
    assert_eq!(h.run("TTL k"), int(-1));
    assert_eq!(h.run("PTTL k"), int(-1));
    assert_eq!(h.run("EXPIRETIME k"), int(-1));
    assert_eq!(h.run("PEXPIRETIME k"), int(-1));
    assert_eq!(h.run("EXPIRE k 100"), int(1));
    assert_eq!(h.run("TTL k"), int(100));
    assert_eq!(h.run("PTTL k"), int(100_000));
    assert_eq!(h.run("EXPIRETIME k"), int((now_s + 100) as i64));
    assert_eq!(h.run("PEXPIRETIME k"), int((h.now_ms + 100_000) as i64));
    assert_eq!(h.run("PEXPIRE k 1500"), int(1));
    assert_eq!(h.run("PTTL k"), int(1500));
    assert_eq!(h.run("TTL k"), int(2)); // rounded to nearest
    assert_eq!(h.run("PEXPIRE k 1499"), int(1));
    assert_eq!(h.run("TTL k"), int(1));
    assert_eq!(h.run(&format!("EXPIREAT k {}", now_s + 50)), int(1));
    assert_eq!(h.run("PEXPIRETIME k"), int(((now_s + 50) * 1000) as i64));
    assert_eq!(h.run("PEXPIREAT k 99999999999499"), int(1));
    assert_eq!(h.run("EXPIRETIME k"), int(99_999_999_999));
    assert_eq!(h.run("PEXPIREAT k 99999999999500"), int(1));
    assert_eq!(h.run("EXPIRETIME k"), int(100_000_000_000));
    assert_eq!(h.run("TTL nokey"), int(-2));
    assert_eq!(h.run("PTTL nokey"), int(-2));
    assert_eq!(h.run("EXPIRETIME nokey"), int(-2));
    assert_eq!(h.run("PEXPIRETIME nokey"), int(-2));
    assert_eq!(h.run("EXPIRE nokey 100"), int(0));
}

#[test]
fn expire_counts_dirty_and_write_lookup() {
    let mut h = Harness::new();
    set(&mut h, "k", "v");
    let dirty = h.engine.dirty;
    h.run("EXPIRE k 10");
    h.run("EXPIRE k 10 NX");
    h.run("PERSIST k");
    h.run("PERSIST k");
    assert_eq!(h.engine.dirty, dirty + 2);
    assert_eq!(h.engine.stats.keyspace_hits + h.engine.stats.keyspace_misses, 0);
}

#[test]
fn ttl_is_zero_at_the_expiry_instant_then_gone() {
    let mut h = Harness::new();
    set_px(&mut h, "k", "v", 100);
    h.advance_ms(100);
    assert_eq!(h.run("PTTL k"), int(0));
    assert_eq!(h.run("TTL k"), int(0));
    h.advance_ms(1);
    assert_eq!(h.run("PTTL k"), int(-2));
    assert_eq!(h.engine.stats.expired_keys, 1);
}

#[test]
fn past_or_negative_times_delete_the_key() {
    let mut h = Harness::new();
    for line in ["EXPIRE k -1", "PEXPIRE k 0", "EXPIREAT k 1", "PEXPIREAT k -5"] {
        set(&mut h, "k", "v");
        let dirty = h.engine.dirty;
        assert_eq!(h.run(line), int(1), "{line}");
        assert_eq!(h.run("EXISTS k"), int(0), "{line}");
        assert_eq!(h.engine.dirty, dirty + 1);
    }
    // Exactly now also deletes (Redis's checkAlreadyExpired is `when <= now`).
    set(&mut h, "k", "v");
    assert_eq!(h.run(&format!("PEXPIREAT k {}", h.now_ms)), int(1));
    assert_eq!(h.run("EXISTS k"), int(0));
    assert_eq!(h.engine.stats.expired_keys, 0);
}

#[test]
fn overflow_errors() {
    let mut h = Harness::new();
    set(&mut h, "k", "v");
    assert_eq!(h.run("EXPIRE k 9223372036854775807"), err("ERR invalid expire time in 'expire' command"));
    assert_eq!(h.run("ExPiRe k 9223372036854776"), err("ERR invalid expire time in 'expire' command"));
    assert_eq!(h.run("EXPIRE k -9223372036854776"), err("ERR invalid expire time in 'expire' command"));
    assert_eq!(h.run("PEXPIRE k 9223372036854775807"), err("ERR invalid expire time in 'pexpire' command"));
    assert_eq!(h.run("EXPIREAT k 9223372036854776"), err("ERR invalid expire time in 'expireat' command"));
    // The largest seconds value converts; EXPIREAT does not add now, so it fits.
    assert_eq!(h.run("EXPIREAT k 9223372036854775"), int(1));
    assert_eq!(h.run("PEXPIREAT k 9223372036854775807"), int(1));
    assert_eq!(h.run("PTTL k"), int(9223372036854775807 - h.now_ms as i64));
    // Overflow is checked before the key is looked up.
    assert_eq!(h.run("PEXPIRE nokey 9223372036854775807"), err("ERR invalid expire time in 'pexpire' command"));
    assert_eq!(h.run("EXPIRE k abc"), err("ERR value is not an integer or out of range"));
    assert_eq!(h.run("EXPIRE k 1.5"), err("ERR value is not an integer or out of range"));
    // The negative side: a huge negative time just deletes.
    assert_eq!(h.run("PEXPIRE k -9223372036854775808"), int(1));
    assert_eq!(h.run("EXISTS k"), int(0));
}

#[test]
fn option_errors_come_first() {
    let mut h = Harness::new();
    set(&mut h, "k", "v");
    assert_eq!(h.run("EXPIRE k 100 foo"), err("ERR Unsupported option foo"));
    assert_eq!(h.run("EXPIRE k abc FoO"), err("ERR Unsupported option FoO"));
    assert_eq!(h.run("EXPIRE k 10 foo nx"), err("ERR Unsupported option foo"));
    let both = "ERR NX and XX, GT or LT options at the same time are not compatible";
    assert_eq!(h.run("EXPIRE k 100 nx xx"), err(both));
    assert_eq!(h.run("EXPIRE k 100 NX GT"), err(both));
    assert_eq!(h.run("EXPIRE k 100 lt nx"), err(both));
    assert_eq!(h.run("EXPIRE k abc nx xx"), err(both));
    assert_eq!(h.run("PEXPIREAT k 100 gt lt"), err("ERR GT and LT options at the same time are not compatible"));
    // Repeats are fine.
    assert_eq!(h.run("EXPIRE k 100 nx nx"), int(1));
    assert_eq!(h.run("EXPIRE k 100 xx gt xx"), int(0));
}

#[test]
fn nx_xx_gt_lt() {
    let mut h = Harness::new();
    set(&mut h, "k", "v");
    assert_eq!(h.run("EXPIRE k 100 XX"), int(0));
    assert_eq!(h.run("EXPIRE k 100 GT"), int(0)); // no TTL counts as infinite
    assert_eq!(h.run("EXPIRE k 100 LT"), int(1)); // ... which anything is less than
    assert_eq!(h.run("EXPIRE k 50 NX"), int(0));
    assert_eq!(h.run("EXPIRE k 200 LT"), int(0));
    assert_eq!(h.run("EXPIRE k 100 LT"), int(0)); // equal is not less
    assert_eq!(h.run("EXPIRE k 100 GT"), int(0)); // nor greater
    assert_eq!(h.run("EXPIRE k 200 GT"), int(1));
    assert_eq!(h.run("EXPIRE k 300 XX GT"), int(1));
    assert_eq!(h.run("TTL k"), int(300));
    assert_eq!(h.run("EXPIRE k 10 XX LT"), int(1));
    assert_eq!(h.run("TTL k"), int(10));
    assert_eq!(h.run("PERSIST k"), int(1));
    assert_eq!(h.run("EXPIRE k 10 NX"), int(1));
    // LT with a time in the past deletes.
    assert_eq!(h.run("PEXPIREAT k 1 LT"), int(1));
    assert_eq!(h.run("EXISTS k"), int(0));
}

#[test]
fn persist() {
    let mut h = Harness::new();
    set_px(&mut h, "k", "v", 1000);
    assert_eq!(h.run("PERSIST k"), int(1));
    assert_eq!(h.run("TTL k"), int(-1));
    assert_eq!(h.run("PERSIST k"), int(0));
    assert_eq!(h.run("PERSIST nokey"), int(0));
    assert_eq!(h.engine.dbs[0].volatile_len(), 0);
    h.advance_ms(5000);
    assert_eq!(h.run("EXISTS k"), int(1));
}

#[test]
fn ttl_readers_do_not_touch() {
    let mut h = Harness::new();
    set_px(&mut h, "k", "v", 100_000);
    h.advance_ms(3000);
    h.run("TTL k");
    h.run("PTTL k");
    h.run("EXPIRETIME k");
    assert_eq!(h.run("OBJECT IDLETIME k"), int(3));
    assert_eq!(h.engine.stats.keyspace_hits, 4);
}

// ----- active expiry -----

#[test]
fn cron_removes_expired_keys_without_access() {
    let mut h = Harness::new();
    for i in 0..100 {
        set_px(&mut h, &format!("v{i}"), "1", 1000);
    }
    for i in 0..100 {
        set(&mut h, &format!("p{i}"), "1");
    }
    h.engine.cron(h.now_ms);
    assert_eq!(h.engine.dbs[0].len(), 200, "nothing has expired yet");
    h.advance_ms(1001);
    h.engine.cron(h.now_ms);
    // Every sample was expired, so the cycle kept going until the volatile keys were gone.
    assert_eq!(h.engine.dbs[0].len(), 100);
    assert_eq!(h.engine.dbs[0].volatile_len(), 0);
    assert_eq!(h.engine.stats.expired_keys, 100);
    assert!(h.engine.stats.expired_stale_perc > 0.0);
}

#[test]
fn cron_covers_every_database() {
    let mut h = Harness::new();
    for db in 0..16 {
        h.run(&format!("SELECT {db}"));
        set_px(&mut h, "k", "v", 10);
    }
    h.advance_ms(11);
    h.engine.cron(h.now_ms);
    assert!(h.engine.dbs.iter().all(|db| db.is_empty()));
    assert_eq!(h.engine.stats.expired_keys, 16);
}

#[test]
fn cron_leaves_a_low_stale_database_after_one_loop() {
    let mut h = Harness::new();
    // 1 expired key among 1000 volatile ones: after a loop of 20 samples with at most 10%
    // expired, the cycle moves on; the stale key goes eventually, as the cursor walks on.
    for i in 0..1000 {
        set_px(&mut h, &format!("v{i}"), "1", 1_000_000);
    }
    set_px(&mut h, "soon", "1", 10);
    h.advance_ms(11);
    h.engine.cron(h.now_ms);
    // One loop of about 20 samples found at most one expired key, so the walk stopped early.
    assert_ne!(h.engine.dbs[0].expire_cursor, 0);
    assert!(h.engine.stats.expired_stale_perc <= 0.05 * 0.1);
    let mut calls = 1;
    while h.engine.dbs[0].contains(b"soon") {
        h.advance_ms(100);
        h.engine.cron(h.now_ms);
        calls += 1;
        assert!(calls < 1000, "the expire cursor must reach every bucket");
    }
    assert_eq!(h.engine.dbs[0].len(), 1000);
}

#[test]
fn cron_work_budget_and_time_cap() {
    let mut h = Harness::new();
    for i in 0..100_000 {
        set_px(&mut h, &format!("v{i}"), "1", 10);
    }
    h.advance_ms(11);
    h.engine.cron(h.now_ms);
    // The 25,000-unit budget (hz 10) stops the first call well before all 100,000 are gone.
    let left = h.engine.dbs[0].len();
    assert!(left > 50_000 && left < 100_000, "left {left}");
    assert_eq!(h.engine.stats.expired_time_cap_reached_count, 1);
    assert!(h.engine.active_expire.timelimit_exit);
    for _ in 0..20 {
        h.advance_ms(100);
        h.engine.cron(h.now_ms);
    }
    assert_eq!(h.engine.dbs[0].len(), 0);
    assert_eq!(h.engine.stats.expired_keys, 100_000);
}

#[test]
fn higher_hz_means_smaller_budget_per_call() {
    let config = Config { hz: 100, ..Config::default() };
    let mut h = Harness::with_config(config);
    for i in 0..20_000 {
        set_px(&mut h, &format!("v{i}"), "1", 10);
    }
    h.advance_ms(11);
    h.engine.cron(h.now_ms);
    let left = h.engine.dbs[0].len();
    assert!(left > 10_000, "hz 100 allows 2,500 units per call; left {left}");
}

#[test]
fn avg_ttl_and_keyspace_info() {
    let mut h = Harness::new();
    assert_eq!(h.engine.keyspace_info(), "");
    for i in 0..10 {
        set_px(&mut h, &format!("v{i}"), "1", 100_000);
    }
    set(&mut h, "p", "1");
    h.run("SELECT 3");
    set(&mut h, "x", "1");
    assert_eq!(h.engine.keyspace_info(), "db0:keys=11,expires=10,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n");
    h.engine.cron(h.now_ms);
    // First sample: the running average starts at the sample, then takes 49/50 of itself plus
    // 1/50 of the sample (integer arithmetic): 100000/50*49 + 100000/50 = 100000.
    assert_eq!(h.engine.dbs[0].avg_ttl_ms, 100_000);
    h.advance_ms(50_000);
    h.engine.cron(h.now_ms);
    assert_eq!(h.engine.dbs[0].avg_ttl_ms, 100_000 / 50 * 49 + 50_000 / 50);
    assert_eq!(
        h.engine.keyspace_info(),
        format!("db0:keys=11,expires=10,avg_ttl={}\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n", 99_000)
    );
    // Keys logically expired but not yet removed are not counted.
    h.advance_ms(60_000);
    h.run("SELECT 3");
    assert_eq!(h.engine.keyspace_info(), "db0:keys=1,expires=0,avg_ttl=99000\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n");
    // A database without volatile keys has its average reset by the cycle.
    h.engine.cron(h.now_ms);
    assert_eq!(h.engine.dbs[0].avg_ttl_ms, 0);
}

#[test]
fn cron_is_deterministic() {
    let run = || {
        let mut h = Harness::new();
        for i in 0..5000 {
            set_px(&mut h, &format!("v{i}"), "1", 10 + (i % 7) * 1000);
        }
        let mut trace = Vec::new();
        for _ in 0..30 {
            h.advance_ms(300);
            h.engine.cron(h.now_ms);
            trace.push((
                h.engine.dbs[0].len(),
                h.engine.dbs[0].avg_ttl_ms,
                h.engine.stats.expired_stale_perc.to_bits(),
            ));
        }
        trace
    };
    assert_eq!(run(), run());
}
