//! Active expiry (Redis's activeExpireCycle in its "slow" mode, run from cron) and the lines of
//! INFO keyspace.
//!
//! Passive expiry (a key is removed when a command touches it after its time) lives in `Ctx`'s
//! lookups. Active expiry reclaims keys nobody touches: each cron call walks part of every
//! database's volatile-key table, removes the expired keys it meets, and keeps going in a
//! database while more than `acceptable_stale`% of the sampled keys were expired.
//!
//! Redis stops the cycle on wall-clock time (25% of a cron tick). verdis is deterministic, so it
//! stops on a work budget instead; see `work_budget`.

use super::Engine;

/// Keys sampled per loop at the default effort (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: u64 = 20;
/// Percentage of a cron tick the slow cycle may use (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
const SLOW_TIME_PERC: u64 = 25;
/// Percentage of stale keys under which a database is left alone (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE).
const ACCEPTABLE_STALE_PERC: u64 = 10;
/// Databases visited per call unless the previous call ran out of budget (CRON_DBS_PER_CALL).
const DBS_PER_CALL: usize = 16;
/// Redis's smallest hash table (DICT_HT_INITIAL_SIZE).
const DICT_MIN_BUCKETS: u64 = 4;
/// `active-expire-effort` (1..=10). Fixed at Redis's default until the configuration registry
/// has the parameter; `ExpireParams::new` already scales everything by it.
const ACTIVE_EXPIRE_EFFORT: u64 = 1;
/// Work units (see `work_budget`) that stand for one microsecond of Redis's time limit.
const WORK_UNITS_PER_US: u64 = 1;

/// What the active expire cycle remembers between calls (Redis keeps these in statics).
#[derive(Clone, Debug, Default)]
pub struct ActiveExpireState {
    /// The next database to visit (grows without bound; used modulo the database count).
    pub current_db: u64,
    /// The previous call stopped because it used its whole budget.
    pub timelimit_exit: bool,
}

/// The cycle's parameters, derived from the effort as Redis does.
struct ExpireParams {
    keys_per_loop: u64,
    slow_time_perc: u64,
    acceptable_stale_perc: u64,
}

impl ExpireParams {
    fn new(effort: u64) -> ExpireParams {
        let effort = effort.clamp(1, 10) - 1; // Redis rescales 1..10 to 0..9
        ExpireParams {
            keys_per_loop: KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort,
            slow_time_perc: SLOW_TIME_PERC + 2 * effort,
            acceptable_stale_perc: ACCEPTABLE_STALE_PERC - effort,
        }
    }

    /// Redis's time limit for one slow cycle, in microseconds: `slow_time_perc`% of a tick.
    fn time_limit_us(&self, hz: u32) -> u64 {
        (self.slow_time_perc * 1_000_000 / u64::from(hz.max(1)) / 100).max(1)
    }

    /// The deterministic stand-in for the time limit, in work units. One unit is one sampled key
    /// or one visited bucket of the volatile table. Sampling a key, and deleting and propagating
    /// it when it has expired, costs Redis on the order of a microsecond, so one unit counts as
    /// one microsecond: at the default hz 10 the 25 ms limit becomes 25,000 units per call
    /// (about 250,000 sampled keys per second at most, which is the order of magnitude real
    /// Redis reaches when every sampled key is expired). Like Redis, the limit is only checked
    /// every 16 loops, so a call may overshoot it by up to 16 loops' work.
    fn work_budget(&self, hz: u32) -> u64 {
        self.time_limit_us(hz) * WORK_UNITS_PER_US
    }
}

/// What one sampling loop in one database found.
struct LoopResult {
    sampled: u64,
    expired: u64,
    buckets: u64,
}

impl Engine {
    /// Removes a key whose time has passed (passive or active expiry), as Redis's
    /// deleteExpiredKeyAndPropagate: delete, the `expired` event, then WATCH and tracking.
    pub fn expire_key_now(&mut self, db: usize, key: &[u8]) {
        self.delete_key(db, key, self.config.lazyfree_lazy_expire());
        self.propagate_deletion(db, key, self.config.lazyfree_lazy_expire());
        self.notify_keyspace_event(super::notify::NOTIFY_EXPIRED, "expired", key, db);
        self.touch_watched_key(db, key);
        self.tracking_invalidate_key(key, None);
        self.stats.expired_keys += 1;
    }

    /// Whether an absolute expiry time set by a command deletes the key at once (at or before
    /// now), as Redis's checkAlreadyExpired: not while the AOF is replayed, since commands
    /// after it in the file may still act on the key (it expires after the load), and not on
    /// a replica, which leaves deletions to its master.
    pub fn already_expired(&self, when_ms: i64, now_ms: u64) -> bool {
        when_ms <= now_ms as i64 && !self.persist.aof.replaying && !self.is_replica()
    }

    /// Periodic work, called by the server `hz` times per second with the current time.
    pub fn cron(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        // DEBUG PAUSE-CRON stops all of it, as Redis's serverCron returns at once.
        if self.debug.pause_cron {
            return;
        }
        self.handle_blocked_timeouts(now_ms);
        self.resume_postponed(now_ms);
        // Keys do not expire actively while CLIENT PAUSE holds writes back (Redis skips the cycle).
        // A replica leaves expiry to its master, whose DELs it receives (Redis runs the cycle
        // on masters only).
        if !self.writes_paused(now_ms) && !self.is_replica() && self.debug.active_expire_enabled {
            self.active_expire_cycle(now_ms);
            // The cycle's DELs go out without MULTI/EXEC, as Redis's.
            self.flush_propagation(true);
        }
        // The tracking table limit is also enforced here, so that it holds while no command runs.
        if self.tracking.clients > 0 {
            self.tracking_limit_used_slots();
        }
        self.persist_cron(now_ms);
        self.aof_cron(now_ms);
        self.repl_cron(now_ms);
        self.eviction_cron(now_ms);
        self.dialing.close_idle(now_ms);
    }

    /// One slow active expire cycle (Redis's activeExpireCycle(ACTIVE_EXPIRE_CYCLE_SLOW)).
    pub fn active_expire_cycle(&mut self, now_ms: u64) {
        let params = ExpireParams::new(ACTIVE_EXPIRE_EFFORT);
        let db_count = self.dbs.len();
        if db_count == 0 {
            return;
        }
        let mut dbs_per_call = DBS_PER_CALL;
        if dbs_per_call > db_count || self.active_expire.timelimit_exit {
            dbs_per_call = db_count;
        }
        let budget = params.work_budget(self.config.hz);
        self.active_expire.timelimit_exit = false;

        let (mut total_sampled, mut total_expired, mut work) = (0u64, 0u64, 0u64);
        let mut iteration = 0u64;
        for _ in 0..dbs_per_call {
            if self.active_expire.timelimit_exit {
                break;
            }
            let db = (self.active_expire.current_db % db_count as u64) as usize;
            // Advance first, so that a call stopped by the budget resumes at the next database.
            self.active_expire.current_db = self.active_expire.current_db.wrapping_add(1);
            loop {
                iteration += 1;
                let Some(found) = self.expire_loop(db, now_ms, &params) else {
                    break;
                };
                total_sampled += found.sampled;
                total_expired += found.expired;
                work += found.sampled + found.buckets;
                if iteration & 0xf == 0 && work > budget {
                    self.active_expire.timelimit_exit = true;
                    self.stats.expired_time_cap_reached_count += 1;
                    break;
                }
                // Stay in this database while too many sampled keys had expired.
                let again = found.sampled == 0 || found.expired * 100 / found.sampled > params.acceptable_stale_perc;
                if !again {
                    break;
                }
            }
        }
        let current_perc = if total_sampled > 0 { total_expired as f64 / total_sampled as f64 } else { 0.0 };
        self.stats.expired_stale_perc = current_perc * 0.05 + self.stats.expired_stale_perc * 0.95;
    }

    /// One sampling loop over database `db`: visits buckets of its volatile table from its
    /// expire cursor until `keys_per_loop` keys were sampled (or 20 times that many buckets were
    /// visited), removing expired keys and updating the database's average TTL. `None` when
    /// there is nothing to do in this database now.
    fn expire_loop(&mut self, db: usize, now_ms: u64, params: &ExpireParams) -> Option<LoopResult> {
        let volatile = self.dbs[db].volatile_len() as u64;
        if volatile == 0 {
            self.dbs[db].avg_ttl_ms = 0;
            return None;
        }
        // A table under 1% full is too costly to sample; Redis waits for it to shrink.
        let slots = self.dbs[db].volatile_buckets() as u64;
        if slots > DICT_MIN_BUCKETS && volatile * 100 / slots < 1 {
            return None;
        }
        let want = volatile.min(params.keys_per_loop);
        let max_buckets = want * 20;
        let mut found = LoopResult { sampled: 0, expired: 0, buckets: 0 };
        let (mut ttl_sum, mut ttl_samples) = (0i64, 0i64);
        let mut bucket: Vec<Vec<u8>> = Vec::new();
        while found.sampled < want && found.buckets < max_buckets {
            bucket.clear();
            let cursor = self.dbs[db].expire_cursor;
            self.dbs[db].expire_cursor = self.dbs[db].scan_volatile(cursor, |k| bucket.push(k.to_vec()));
            found.buckets += 1;
            for key in &bucket {
                let Some(at_ms) = self.dbs[db].expire_of(key) else {
                    continue;
                };
                let ttl_ms = at_ms as i64 - now_ms as i64;
                if now_ms > at_ms {
                    self.expire_key_now(db, key);
                    found.expired += 1;
                }
                if ttl_ms > 0 {
                    ttl_sum = ttl_sum.saturating_add(ttl_ms);
                    ttl_samples += 1;
                }
                found.sampled += 1;
            }
            if self.dbs[db].volatile_len() == 0 {
                break;
            }
        }
        if ttl_samples > 0 {
            // A running average weighting the new sample by 2%, in Redis's integer arithmetic.
            let sample = (ttl_sum / ttl_samples) as u64;
            let avg = &mut self.dbs[db].avg_ttl_ms;
            if *avg == 0 {
                *avg = sample;
            }
            *avg = (*avg / 50) * 49 + sample / 50;
        }
        Some(found)
    }

    /// The database lines of INFO keyspace, `db<n>:keys=<k>,expires=<e>,avg_ttl=<ms>` each ending
    /// in CRLF, for databases that have keys (the caller adds the `# Keyspace` header). Keys that
    /// are logically expired at the engine's current time are not counted, as DBSIZE does not
    /// count them.
    pub fn keyspace_info(&self) -> String {
        let mut out = String::new();
        for (i, db) in self.dbs.iter().enumerate() {
            let stale = db.stale_count(self.now_ms);
            let keys = db.len() - stale;
            let expires = db.volatile_len() - stale;
            if keys > 0 || expires > 0 {
                out.push_str(&format!("db{i}:keys={keys},expires={expires},avg_ttl={}\r\n", db.avg_ttl_ms));
            }
        }
        out
    }
}
