//! `maxmemory` and eviction (Redis's evict.c): before a command runs, while the memory in use is
//! over `maxmemory`, keys are removed by the `maxmemory-policy`; when nothing can be removed, a
//! command that may grow memory is refused with OOM. The LFU access counter and its decay live
//! here too.
//!
//! Memory in use is what the process allocated (the counting allocator behind INFO's
//! `used_memory`), less the buffers Redis does not count (the AOF buffer and replica output held
//! for replicas). The engine reads it through `process.allocated_bytes`, an injected source, so
//! tests drive eviction deterministically with a figure of their own.
//!
//! Redis stops a round of eviction after a time budget (`maxmemory-eviction-tenacity`) and
//! resumes from a timer; a time budget would make the engine depend on the clock, so verdis
//! gives each round a budget of keys instead and resumes from the cron.

use super::config::{index_of, MaxmemoryPolicy};
use super::db::Entry;
use super::Engine;
use rand_core::RngCore;

/// Candidates kept between rounds (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;
/// Keys removed per round for each step of `maxmemory-eviction-tenacity` (its default, 10, gives
/// 160); at 100 a round has no limit.
const KEYS_PER_TENACITY_STEP: u64 = 16;
/// Redis's OOM error.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// How a round of eviction ended (Redis's EVICT_OK, EVICT_RUNNING, EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// Memory is under the limit (or there is no limit).
    Ok,
    /// Keys were removed but the round's budget ran out before the limit was reached.
    Running,
    /// Memory is over the limit and nothing (more) can be removed.
    Fail,
}

/// One candidate: a higher score is a better key to evict.
#[derive(Clone, Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// State kept between rounds.
#[derive(Debug, Default)]
pub struct EvictionState {
    /// The best candidates seen, ascending by score.
    pool: Vec<Candidate>,
    /// The database the random policies try next.
    next_db: usize,
    /// A round ran out of budget: the cron continues it.
    pub running: bool,
    /// The round before the running command left memory over the limit.
    pub out_of_memory: bool,
}

/// The LFU parameters (`lfu-log-factor`, `lfu-decay-time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LfuParams {
    pub log_factor: i64,
    pub decay_minutes: i64,
}

impl MaxmemoryPolicy {
    pub fn is_lfu(self) -> bool {
        matches!(self, MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu)
    }

    /// LRU and LFU policies keep an access clock in every value, so small integers are not
    /// shared between keys under them (Redis's MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
    pub fn no_shared_integers(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::AllkeysLfu
        )
    }

    fn all_keys(self) -> bool {
        matches!(self, MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::AllkeysRandom)
    }

    fn random(self) -> bool {
        matches!(self, MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom)
    }
}

/// The counter after the decay since its last access: one step per `decay_minutes` elapsed
/// (Redis's LFUDecrAndReturn).
pub fn lfu_decayed(entry: &Entry, now_ms: u64, params: LfuParams) -> u8 {
    let counter = entry.lfu_counter();
    if params.decay_minutes <= 0 {
        return counter;
    }
    let elapsed_min = (now_ms / 60_000).saturating_sub(entry.access_ms() / 60_000);
    let periods = elapsed_min / params.decay_minutes as u64;
    counter.saturating_sub(periods.min(255) as u8)
}

/// An access under an LFU policy: decay, then a logarithmic increment (Redis's updateLFU and
/// LFULogIncr: the higher the counter, the less likely it grows).
pub fn lfu_touch(entry: &mut Entry, now_ms: u64, params: LfuParams, rng: &mut impl RngCore) {
    let mut counter = lfu_decayed(entry, now_ms, params);
    if counter < 255 {
        let r = f64::from(rng.next_u32()) / f64::from(u32::MAX);
        let base = f64::from(counter.saturating_sub(super::db::LFU_INIT_COUNTER));
        let p = 1.0 / (base * params.log_factor as f64 + 1.0);
        if r < p {
            counter += 1;
        }
    }
    entry.set_lfu_counter(counter);
    entry.set_access_ms(now_ms);
}

impl Engine {
    pub fn lfu_params(&self) -> LfuParams {
        LfuParams {
            log_factor: self.config.num_value(index_of("lfu-log-factor")),
            decay_minutes: self.config.num_value(index_of("lfu-decay-time")),
        }
    }

    /// Memory in use as eviction counts it, and the limit (None without a limit).
    pub fn memory_state(&self) -> (u64, Option<u64>) {
        let limit = self.config.num_value(index_of("maxmemory")) as u64;
        let allocated = match self.process.memory_model {
            Some(model) => model(self),
            None => self.process.allocated_bytes.and_then(|read| read()).unwrap_or(self.process.rss_bytes),
        };
        let held_for_replicas: u64 = self.repl.replicas.iter().map(|r| r.held.len() as u64).sum();
        let not_counted = self.persist.aof.buf.len() as u64 + held_for_replicas;
        (allocated.saturating_sub(not_counted), (limit != 0).then_some(limit))
    }

    /// Removes keys by the policy until memory is under `maxmemory` (Redis's performEvictions).
    pub fn perform_evictions(&mut self, now_ms: u64) -> Eviction {
        let (used, Some(limit)) = self.memory_state() else {
            return Eviction::Ok;
        };
        if used <= limit {
            self.eviction.running = false;
            return Eviction::Ok;
        }
        let policy = self.config.maxmemory_policy();
        if policy == MaxmemoryPolicy::NoEviction {
            return Eviction::Fail;
        }
        let tenacity = self.config.num_value(index_of("maxmemory-eviction-tenacity")).clamp(0, 100) as u64;
        let budget_keys = if tenacity >= 100 { u64::MAX } else { (tenacity.max(1)) * KEYS_PER_TENACITY_STEP };
        let lazy = self.config.bool_value(index_of("lazyfree-lazy-eviction"));
        let mut removed = 0u64;
        loop {
            let Some((db, key)) = self.pick_victim(policy, now_ms) else {
                self.eviction.running = false;
                self.flush_propagation(true);
                return Eviction::Fail;
            };
            self.evict_key(db, &key, lazy);
            removed += 1;
            let (used, _) = self.memory_state();
            if used <= limit {
                self.eviction.running = false;
                self.flush_propagation(true);
                return Eviction::Ok;
            }
            if removed >= budget_keys {
                // The cron goes on with it (Redis's eviction timer).
                self.eviction.running = true;
                self.flush_propagation(true);
                return Eviction::Running;
            }
        }
    }

    /// Removes one key as eviction does: the deletion propagates as DEL (UNLINK when lazy), the
    /// `evicted` event is raised, watchers and tracking clients hear of it.
    fn evict_key(&mut self, db: usize, key: &[u8], lazy: bool) {
        self.delete_key(db, key, lazy);
        self.stats.evicted_keys += 1;
        self.touch_watched_key(db, key);
        self.tracking_invalidate_key(key, None);
        self.notify_keyspace_event(super::notify::NOTIFY_EVICTED, "evicted", key, db);
        self.propagate_deletion(db, key, lazy);
    }

    /// The next key to evict, if any key can be.
    fn pick_victim(&mut self, policy: MaxmemoryPolicy, now_ms: u64) -> Option<(usize, Vec<u8>)> {
        if policy.random() {
            return self.random_victim(policy.all_keys());
        }
        // Refill the pool from every database, then take the best candidate that still exists;
        // a bounded number of refills, since each either finds a key or finds none to sample.
        for _ in 0..=POOL_SIZE {
            let mut total_keys = 0;
            for db in 0..self.dbs.len() {
                let keys = if policy.all_keys() { self.dbs[db].len() } else { self.dbs[db].volatile_len() };
                if keys > 0 {
                    self.populate_pool(db, policy, now_ms);
                    total_keys += keys;
                }
            }
            if total_keys == 0 {
                return None;
            }
            while let Some(c) = self.eviction.pool.pop() {
                let present = if policy.all_keys() {
                    self.dbs[c.db].contains(&c.key)
                } else {
                    self.dbs[c.db].expire_of(&c.key).is_some()
                };
                if present {
                    return Some((c.db, c.key));
                }
            }
        }
        None
    }

    /// A random key of the next database that has one (allkeys-random, volatile-random).
    fn random_victim(&mut self, all_keys: bool) -> Option<(usize, Vec<u8>)> {
        let count = self.dbs.len();
        for _ in 0..count {
            self.eviction.next_db = (self.eviction.next_db + 1) % count;
            let db = self.eviction.next_db;
            let key = if all_keys {
                self.dbs[db].random_key(&mut self.rng)
            } else {
                self.dbs[db].random_volatile_key(&mut self.rng)
            };
            if let Some(key) = key {
                return Some((db, key.to_vec()));
            }
        }
        None
    }

    /// Samples `maxmemory-samples` keys of `db` into the pool (Redis's evictionPoolPopulate).
    fn populate_pool(&mut self, db: usize, policy: MaxmemoryPolicy, now_ms: u64) {
        let samples = self.config.num_value(index_of("maxmemory-samples")).max(1) as usize;
        let lfu = self.lfu_params();
        for key in self.dbs[db].sample_keys(&mut self.rng, samples, !policy.all_keys()) {
            let Some(entry) = self.dbs[db].entry(&key) else { continue };
            let score = match policy {
                MaxmemoryPolicy::VolatileTtl => u64::MAX - entry.expire_at_ms().unwrap_or(u64::MAX),
                p if p.is_lfu() => 255 - u64::from(lfu_decayed(entry, now_ms, lfu)),
                _ => now_ms.saturating_sub(entry.access_ms()),
            };
            self.pool_insert(Candidate { score, db, key });
        }
    }

    fn pool_insert(&mut self, candidate: Candidate) {
        let pool = &mut self.eviction.pool;
        if pool.iter().any(|c| c.db == candidate.db && c.key == candidate.key) {
            return;
        }
        if pool.len() == POOL_SIZE {
            if candidate.score <= pool[0].score {
                return;
            }
            pool.remove(0);
        }
        let at = pool.partition_point(|c| c.score <= candidate.score);
        pool.insert(at, candidate);
        debug_assert!(pool.len() <= POOL_SIZE);
    }

    /// A round that ran out of budget goes on from the cron (Redis's evictionTimeProc).
    pub fn eviction_cron(&mut self, now_ms: u64) {
        if self.eviction.running {
            self.perform_evictions(now_ms);
            self.flush_propagation(true);
        }
    }
}
