//! The deterministic engine: databases, configuration, clients' command state, statistics and the
//! command table. Sans-IO: `execute` takes a client, a command and the time, and returns the
//! reply. The same sequence of (time, client, command) always gives the same replies, because the
//! time is an argument, the RNG is seeded from the configuration and hashing uses a fixed seed.

pub mod acl;
pub mod blocking;
pub mod client;
pub mod config;
pub mod config_file;
pub mod db;
pub mod debug;
pub mod dial;
pub mod dict;
pub mod docs;
pub mod errors;
pub mod evict;
pub mod expire;
pub mod glob;
pub mod hash;
pub mod hll;
pub mod keys;
pub mod lazy;
pub mod list;
pub mod longdouble;
pub mod meta;
pub mod monitor;
pub mod multi;
pub mod notify;
pub mod packed;
pub mod pause;
pub mod propagate;
pub mod pubsub;
pub mod repl;
pub mod script;
pub mod set_value;
pub mod slowlog;
pub mod small_bytes;
pub mod stats;
pub mod stream;
pub mod table;
mod table_data;
pub mod testkit;
pub mod tracking;
pub mod value;
pub mod zset;

use crate::resp::Frame;
use client::{ClientState, ReplyMode};
use config::Config;
use db::Db;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use stats::{CommandStat, Stats};
use std::collections::BTreeMap;
use table::{CommandTable, Flags};
use value::Value;

/// A command handler: parses its arguments from `ctx.argv`, acts, and returns the reply.
pub type Handler = fn(&mut Ctx) -> Frame;

/// Facts about the process that only the server can know, reported by INFO.
#[derive(Clone, Debug, Default)]
pub struct ProcessInfo {
    pub pid: u32,
    pub tcp_port: u16,
    pub executable: String,
    pub config_file: String,
    pub rss_bytes: u64,
    /// Reads the bytes currently allocated, when the program counts them (`crate::alloc`); INFO
    /// reports RSS as used memory otherwise. Read at INFO time so the figure follows frees made
    /// by the lazy-free thread between two cron ticks.
    pub allocated_bytes: Option<fn() -> Option<u64>>,
    /// A stand-in for the memory eviction measures, computed from the engine's state: tests and
    /// simulations set it to drive maxmemory deterministically (it wins over `allocated_bytes`).
    pub memory_model: Option<fn(&Engine) -> u64>,
    /// A monotonic clock in microseconds, for command durations (SLOWLOG, INFO commandstats);
    /// None in tests, where every command then takes 0 µs.
    pub monotonic_us: Option<fn() -> u64>,
    pub used_cpu_sys_s: f64,
    pub used_cpu_user_s: f64,
    pub connected_clients: usize,
    pub blocked_clients: usize,
    /// `uname`'s system name, release and machine, as INFO's `os:` shows them.
    pub os: String,
    pub total_system_memory_bytes: u64,
}

/// How SHUTDOWN asked the server to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownRequest {
    Default,
    Save,
    NoSave,
}

/// The engine: all state that commands read and change.
pub struct Engine {
    pub dbs: Vec<Db>,
    pub config: Config,
    pub rng: Xoshiro256PlusPlus,
    pub stats: Stats,
    pub command_stats: Vec<CommandStat>,
    pub table: CommandTable,
    /// Connected clients, except the one whose command is running (it is lent to the handler).
    /// Boxed so that lending a client out (remove, then insert again after its command) moves a
    /// pointer, not the whole state: with 50 clients the tree shifts several of them per call.
    pub clients: BTreeMap<u64, Box<ClientState>>,
    next_client_id: u64,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
    /// When the engine started, in Unix milliseconds.
    pub start_ms: u64,
    /// The time of the last command or cron call.
    pub now_ms: u64,
    pub process: ProcessInfo,
    /// Set by SHUTDOWN; the server acts on it after the reply.
    pub shutdown: Option<ShutdownRequest>,
    /// A signal scheduled a shutdown that the cron has not carried out yet (Redis's
    /// shutdown_asap); SHUTDOWN ABORT cancels it.
    pub shutdown_asap: bool,
    /// Messages for other clients (pub/sub, invalidations), delivered by the server.
    pub outbox: Vec<(u64, Frame)>,
    /// State the active expire cycle keeps between cron calls.
    pub active_expire: expire::ActiveExpireState,
    /// The configuration file CONFIG REWRITE updates; `None` when started without one.
    pub config_store: Option<Box<dyn config::ConfigStore + Send>>,
    /// Clients waiting in blocking commands, and the keys that may wake them.
    pub blocking: blocking::Blocking,
    /// When `Some`, commands that propagate differently from how they were typed (a blocking
    /// pop as the pop it became) record the command to propagate here, with its database. The
    /// AOF and replication will take their feed from here; tests turn it on to check it.
    pub propagated: Option<Vec<(usize, Vec<Vec<u8>>)>>,
    /// RDB persistence: the disk, the background saver, save and load state.
    pub persist: crate::persist::Persistence,
    /// Where removed values and flushed tables go to be freed (inline until the server installs
    /// the threaded back end; see `lazy.rs`).
    pub lazyfree: lazy::LazyFree,
    /// Every client's WATCHed keys and which transactions they already doomed.
    pub watches: multi::Watches,
    /// Every Pub/Sub subscription.
    pub pubsub: pubsub::PubSub,
    /// Where, in the outbox, the running command wrote its reply in Redis's order (see
    /// `Ctx::reply_here`); messages for its own client queued from there go after the reply.
    pub own_reply_mark: Option<usize>,
    /// Client-side caching: tracked keys, BCAST prefixes, held-back invalidations.
    pub tracking: tracking::Tracking,
    /// CLIENT PAUSE and the commands it holds back.
    pub pause: pause::Pause,
    /// Clients in MONITOR mode, in the order they started.
    pub monitors: Vec<u64>,
    /// ACL users, the ACL log and the ACL file.
    pub acl: acl::Acl,
    /// What changed commands propagate to the AOF (see `propagate.rs`).
    pub prop: propagate::Propagation,
    /// Replicas, the replication stream and its backlog (master side).
    pub repl: repl::Replication,
    /// Lua scripts and functions.
    pub scripting: script::Scripting,
    /// maxmemory eviction's candidate pool and resume flag.
    pub eviction: evict::EvictionState,
    /// Switches set by DEBUG subcommands.
    pub debug: debug::DebugFlags,
    /// MIGRATE's outgoing connections.
    pub dialing: dial::Dialing,
    pub slowlog: slowlog::SlowLog,
}

/// A command found in the table, copied out so the table is not borrowed while it runs.
#[derive(Clone, Copy)]
struct Resolved {
    meta: &'static meta::CommandMeta,
    flags: Flags,
    stat_index: usize,
    handler: Option<Handler>,
}

/// What a handler works with.
pub struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client: &'a mut ClientState,
    pub argv: &'a [Vec<u8>],
    pub now_ms: u64,
    /// The running command's metadata (its full name is `meta.name`).
    pub meta: &'static meta::CommandMeta,
}

impl Engine {
    pub fn new(config: Config, now_ms: u64) -> Engine {
        let table = CommandTable::new(crate::cmd::handler);
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let mut acl = acl::Acl::default();
        // `requirepass` is the default user's password (Redis's ACLUpdateDefaultUserPassword).
        acl.set_default_password(config.requirepass.as_deref());
        Engine {
            dbs,
            rng: Xoshiro256PlusPlus::seed_from_u64(config.seed),
            config,
            stats: Stats::default(),
            command_stats: vec![CommandStat::default(); table.stat_slots()],
            table,
            clients: BTreeMap::new(),
            next_client_id: 1,
            dirty: 0,
            start_ms: now_ms,
            now_ms,
            process: ProcessInfo::default(),
            shutdown: None,
            shutdown_asap: false,
            outbox: Vec::new(),
            active_expire: expire::ActiveExpireState::default(),
            config_store: None,
            blocking: blocking::Blocking::default(),
            propagated: None,
            persist: crate::persist::Persistence::simulated(now_ms),
            lazyfree: lazy::LazyFree::inline(),
            watches: multi::Watches::default(),
            pubsub: pubsub::PubSub::default(),
            tracking: tracking::Tracking::default(),
            own_reply_mark: None,
            pause: pause::Pause::default(),
            monitors: Vec::new(),
            acl,
            prop: propagate::Propagation::default(),
            repl: repl::Replication::default(),
            scripting: script::Scripting::default(),
            eviction: evict::EvictionState::default(),
            debug: debug::DebugFlags::default(),
            dialing: dial::Dialing::default(),
            slowlog: slowlog::SlowLog::default(),
        }
    }

    /// Registers a new client; returns its id (ids grow from 1, as Redis's).
    pub fn connect(&mut self, addr: String, laddr: String, now_ms: u64) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut client = ClientState::new(id, addr, laddr, now_ms);
        // Authenticated as `default` from the start when that user needs no password.
        client.authenticated = !self.acl.auth_required();
        self.clients.insert(id, Box::new(client));
        self.stats.total_connections_received += 1;
        id
    }

    pub fn disconnect(&mut self, id: u64) {
        self.forget_watches(id);
        self.repl_forget(id);
        self.forget_subscriptions(id);
        self.forget_blocked(id);
        self.forget_tracking(id);
        self.pause.forget(id);
        self.stop_monitor(id);
        self.clients.remove(&id);
    }

    pub fn client(&self, id: u64) -> Option<&ClientState> {
        self.clients.get(&id).map(|c| &**c)
    }

    pub fn client_mut(&mut self, id: u64) -> Option<&mut ClientState> {
        self.clients.get_mut(&id).map(|c| &mut **c)
    }

    /// Runs one command for client `id` at time `now_ms`. Returns the reply, or `None` when the
    /// client asked not to get it (CLIENT REPLY OFF/SKIP) or the command was empty.
    ///
    /// `None` also when the command blocked the client (its reply comes later through
    /// `outbox`); a blocked client runs nothing until then, so a command sent for it is ignored
    /// (the server keeps such commands in the client's query buffer).
    pub fn execute(&mut self, id: u64, argv: &[Vec<u8>], now_ms: u64) -> Option<Frame> {
        if argv.is_empty() || self.is_blocked(id) {
            return None;
        }
        self.now_ms = self.now_ms.max(now_ms);
        // Eviction runs while the client is still among the clients, so that the invalidations
        // of keys it tracks reach it before its reply (Redis evicts in processCommand and then
        // sends pending invalidations); `admit` refuses the command if memory stays over.
        let outbox_mark = self.outbox.len();
        self.eviction.out_of_memory = self.evict_before_command(now_ms);
        let Some(mut client) = self.clients.remove(&id) else {
            return None;
        };
        self.claim_own_messages(outbox_mark, id, &mut client.pushes);
        client.last_interaction_ms = now_ms;
        if client.reply_mode == ReplyMode::SkipNext {
            client.reply_mode = ReplyMode::Skip;
        }
        self.begin_new_key_journal();
        self.own_reply_mark = None;
        self.tracking_before_command(&mut client);
        self.repl.applying_master = client.master;
        let reply = self.dispatch(&mut client, argv, now_ms);
        self.repl.applying_master = false;
        if self.pause.is_postponed(id) {
            // CLIENT PAUSE holds the command; it runs when the pause ends.
            self.clients.insert(id, client);
            self.end_new_key_journal();
            self.tracking_end_command(id);
            return None;
        }
        if self.register_block(&mut client, argv) {
            self.end_new_key_journal();
            self.tracking_end_command(id);
            // No reply yet; CLIENT REPLY SKIP applies to the reply it gets when unblocked.
            self.clients.insert(id, client);
            self.serve_ready_keys(now_ms);
            return None;
        }
        if let Some(text) = reply.error_text() {
            // A script's error that came from a command it called was counted then.
            if !std::mem::take(&mut self.scripting.error_counted) {
                self.stats.total_error_replies += 1;
                self.stats.count_error(text);
            }
        }
        if client.master {
            if let Some(text) = reply.error_text() {
                self.repl_master_error(text, client.last_cmd);
            }
        }
        // A replica's link carries no replies: one that got a reply is dropped (REPL-16).
        let mut suppressed = client.replica && !client.monitor && self.repl_replica_replied(&mut client, &reply);
        suppressed |= take_reply_suppression(&mut client);
        let pushes = std::mem::take(&mut client.pushes);
        let after = std::mem::take(&mut client.pushes_after);
        let resp = client.resp;
        self.clients.insert(id, client);
        // Writes may have woken blocked clients (Redis serves them right after the command), at
        // the engine's time, which DEBUG SLEEP inside the command may have moved on.
        self.serve_ready_keys(self.now_ms.max(now_ms));
        self.end_new_key_journal();
        self.tracking_end_command(id);
        if self.pause.wants_resume() {
            self.resume_postponed(now_ms);
        }
        let reply = if suppressed { None } else { Some(reply) };
        if pushes.is_empty() && after.is_empty() {
            reply
        } else {
            Some(with_pushes(pushes, reply.as_ref(), after, resp))
        }
    }

    fn dispatch(&mut self, client: &mut ClientState, argv: &[Vec<u8>], now_ms: u64) -> Frame {
        let cmd = match self.resolve(argv) {
            // EVAL and FCALL take their write/read-only nature from the script's flags.
            Ok(cmd) => self.script_command_flags(cmd, argv),
            Err(reply) => {
                // Redis records the looked-up command (none here) before any check (CLIENT LIST cmd=).
                client.last_cmd = "NULL";
                return self.reject_in_multi(client, false, reply);
            }
        };
        client.last_cmd = cmd.meta.name;
        if let Err(reply) = self.admit(client, &cmd, argv) {
            self.command_stats[cmd.stat_index].rejected_calls += 1;
            return self.reject_in_multi(client, cmd.meta.name == "exec", reply);
        }
        if self.postpone_if_paused(client.id, cmd.meta.name, cmd.flags, &client.multi, argv, now_ms) {
            return Frame::Raw(Vec::new());
        }
        if client.multi.active && !multi::runs_inside_multi(cmd.meta.name) {
            return self.queue_in_multi(client, argv, cmd.flags);
        }
        self.call(client, &cmd, argv, now_ms)
    }

    /// Finds the command (and subcommand) `argv` names; the error reply when there is none.
    fn resolve(&self, argv: &[Vec<u8>]) -> Result<Resolved, Frame> {
        let Some(mut cmd) = self.table.lookup(&argv[0]) else {
            return Err(Frame::error_untrimmed(errors::unknown_command(argv)));
        };
        if cmd.is_container() && argv.len() >= 2 {
            match self.table.lookup_sub(cmd, &argv[1]) {
                Some(sub) => cmd = sub,
                None => return Err(Frame::error_untrimmed(errors::unknown_subcommand(&argv[1], cmd.meta.name))),
            }
        }
        Ok(Resolved { meta: cmd.meta, flags: cmd.flags, stat_index: cmd.stat_index, handler: cmd.handler })
    }

    /// The checks Redis's processCommand makes before running or queuing a command, in its
    /// order; the rejection reply when one fails.
    fn admit(&mut self, client: &ClientState, cmd: &Resolved, argv: &[Vec<u8>]) -> Result<(), Frame> {
        let arity = cmd.meta.arity;
        let argc = argv.len() as i32;
        if (arity > 0 && arity != argc) || argc < -arity {
            return Err(Frame::error(errors::wrong_arity(cmd.meta.name)));
        }
        // Like Redis's authRequired: once the default user needs no password (and is on),
        // nobody needs to authenticate.
        if !client.authenticated && self.acl.auth_required() && !cmd.flags.contains(Flags::NO_AUTH) {
            return Err(Frame::error(errors::NOAUTH));
        }
        if client.multi.active && cmd.flags.contains(Flags::NO_MULTI) {
            return Err(Frame::error(errors::NOT_IN_MULTI));
        }
        // The master's stream is obeyed: no ACL, memory, persistence or replica checks.
        if client.master {
            return Ok(());
        }
        self.acl_admit(client, cmd.meta, argv)?;
        self.admit_memory(client, cmd)?;
        // EXEC is a write when it would run one.
        let exec = cmd.meta.name == "exec";
        let is_write = cmd.flags.contains(Flags::WRITE) || (exec && client.multi.cmd_flags.contains(Flags::WRITE));
        // When the server cannot persist it refuses writes, and PING too (Redis 7.0; older
        // versions let PING through): rules MISCONF-1..4.
        if is_write || cmd.meta.name == "ping" {
            if let Some(denial) = self.write_denial() {
                return Err(Frame::error(denial.message()));
            }
        }
        // Writes need `min-replicas-to-write` replicas that acknowledged within the lag limit.
        let min_replicas = self.config.min_replicas_to_write();
        if is_write && min_replicas > 0 && !self.persist.aof.replaying {
            let max_lag_s = self.config.num_value(config::index_of("min-replicas-max-lag")).max(0) as u64;
            if (self.repl.good_replicas(self.now_ms / 1000, max_lag_s) as i64) < min_replicas {
                return Err(Frame::error(errors::NOREPLICAS));
            }
        }
        // A replica's data comes from its master (rule REPL-11).
        if is_write && self.is_replica() && self.config.bool_value(config::index_of("replica-read-only")) {
            return Err(Frame::error(errors::READONLY_REPLICA));
        }
        // Replicas (and monitors) only listen: no access to the keyspace (REPL-16).
        if (client.replica || client.monitor)
            && (is_write || cmd.flags.contains(Flags::READONLY) || cmd.flags.contains(Flags::MAY_REPLICATE))
        {
            return Err(Frame::error(errors::REPLICA_KEYSPACE));
        }
        // A subscribed RESP2 connection only reads messages (RESP3 has no such limit).
        if client.resp == 2 && client.subs.active() && !pubsub::allowed_when_subscribed(cmd.meta.name) {
            return Err(Frame::error_untrimmed(errors::subscribed_context(cmd.meta.name)));
        }
        // With the link down, a replica that must not serve stale data answers only commands
        // flagged `stale` (rule REPL-11).
        let deny_stale = !cmd.flags.contains(Flags::STALE) || (exec && client.multi.not_stale);
        if deny_stale
            && self.repl.link.as_ref().is_some_and(|l| l.state != repl::replica::LinkState::Connected)
            && !self.config.bool_value(config::index_of("replica-serve-stale-data"))
        {
            return Err(Frame::error(errors::MASTERDOWN));
        }
        // The AOF's own replay runs while the engine is loading (clients get LOADING between
        // its pieces).
        if self.persist.loading.is_some() && !cmd.flags.contains(Flags::LOADING) && !self.persist.aof.replaying {
            return Err(Frame::error(errors::LOADING));
        }
        Ok(())
    }

    /// maxmemory (Redis's processCommand): keys are evicted first; when memory stays over the
    /// limit, commands that may grow it are refused, and so is queuing inside MULTI.
    fn admit_memory(&mut self, client: &ClientState, cmd: &Resolved) -> Result<(), Frame> {
        let out_of_memory = self.eviction.out_of_memory;
        let name = cmd.meta.name;
        let denyoom =
            cmd.flags.contains(Flags::DENYOOM) || (name == "exec" && client.multi.cmd_flags.contains(Flags::DENYOOM));
        let queuing = client.multi.active && !matches!(name, "exec" | "discard" | "quit" | "reset");
        if out_of_memory && (denyoom || queuing) {
            return Err(Frame::error(evict::OOM_ERROR));
        }
        Ok(())
    }

    /// Evicts keys before a command as `maxmemory` asks; true when memory stays over the limit.
    /// Not while loading or replaying the AOF, and not while CLIENT PAUSE keeps the dataset as
    /// it is (Redis's isSafeToPerformEvictions).
    fn evict_before_command(&mut self, now_ms: u64) -> bool {
        if self.config.num_value(const { config::index_of("maxmemory") }) == 0
            || self.persist.aof.replaying
            || self.persist.loading.is_some()
            || self.writes_paused(now_ms)
            || (self.is_replica() && self.config.bool_value(const { config::index_of("replica-ignore-maxmemory") }))
        {
            return false;
        }
        self.perform_evictions(now_ms) == evict::Eviction::Fail
    }

    /// Runs a resolved command's handler and counts it (Redis's call()).
    fn call(&mut self, client: &mut ClientState, cmd: &Resolved, argv: &[Vec<u8>], now_ms: u64) -> Frame {
        let Some(handler) = cmd.handler else {
            return Frame::error_untrimmed(errors::unknown_command(argv));
        };
        let (meta, stat_index) = (cmd.meta, cmd.stat_index);
        let dirty_before = self.dirty;
        let outbox_mark = self.outbox.len();
        let outer_reply_mark = self.own_reply_mark.take();
        let outer_call = self.begin_call_propagation();
        let repl_offset_before = self.repl.offset;
        let (started_us, sleep_before_us) = (self.monotonic_us(), self.debug.sleep_request_us);
        let mut ctx = Ctx { engine: self, client, argv, now_ms, meta };
        let reply = handler(&mut ctx);
        let duration_us = self.monotonic_us().saturating_sub(started_us)
            + self.debug.sleep_request_us.saturating_sub(sleep_before_us);
        self.end_call_propagation(outer_call, client.db, argv, self.dirty != dirty_before, meta.name == "exec");
        // WAIT waits for the stream up to the client's last write (Redis's c->woff).
        if self.repl.offset != repl_offset_before {
            client.woff = self.repl.offset;
        }
        // Keyspace events the command raised for its own client go before its reply, or after
        // it from the point where Redis's command wrote its reply (`Ctx::reply_here`).
        self.flush_new_keys();
        let reply_mark = std::mem::replace(&mut self.own_reply_mark, outer_reply_mark);
        self.claim_own_messages_split(outbox_mark, reply_mark, client.id, &mut client.pushes, &mut client.pushes_after);
        // A tracking client may now cache the keys a read-only command returned. Read-only
        // scripts count only through the reads they make (script/run.rs), as in Redis's call().
        if cmd.flags.contains(Flags::READONLY)
            && !matches!(meta.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
            && !cmd.flags.contains(Flags::PUBSUB)
            && client.tracking.on
            && !client.tracking.bcast
        {
            self.tracking_remember_keys(client, meta, argv);
        }
        if !self.monitors.is_empty() && !cmd.flags.contains(Flags::SKIP_MONITOR) && !cmd.flags.contains(Flags::ADMIN) {
            self.feed_monitors(client, argv, now_ms);
        }
        if let Some(pending) = self.blocking.pending.as_mut() {
            pending.stat_index = stat_index;
        }
        // A command that blocked is logged when it is unblocked (Redis's updateStatsOnUnblock).
        if !cmd.flags.contains(Flags::SKIP_SLOWLOG) && self.blocking.pending.is_none() {
            self.slowlog_consider(client, argv, duration_us, now_ms);
        }
        let stat = &mut self.command_stats[stat_index];
        stat.calls += 1;
        stat.usec += duration_us;
        if reply.is_error() {
            stat.failed_calls += 1;
        }
        self.stats.total_commands_processed += 1;
        reply
    }

    /// Microseconds on the server's monotonic clock (0 without one).
    fn monotonic_us(&self) -> u64 {
        self.process.monotonic_us.map_or(0, |read| read())
    }

    /// Logs the command if it took at least `slowlog-log-slower-than` µs (Redis's
    /// slowlogPushCurrentCommand); a negative threshold turns the log off.
    pub(crate) fn slowlog_consider(&mut self, client: &ClientState, argv: &[Vec<u8>], duration_us: u64, now_ms: u64) {
        let threshold = self.config.num_value(const { config::index_of("slowlog-log-slower-than") });
        if threshold < 0 || duration_us < threshold as u64 {
            return;
        }
        let max_len = self.config.num_value(const { config::index_of("slowlog-max-len") }).max(0) as usize;
        let entry = slowlog::SlowEntry {
            id: 0,
            time_s: now_ms / 1000,
            duration_us,
            argv: slowlog::trimmed_args(argv, &monitor::redacted_positions(argv)),
            peer: client.addr.clone(),
            name: client.name.clone().unwrap_or_default(),
        };
        self.slowlog.push(entry, max_len);
    }

    /// Runs a command EXEC took from the queue: it was checked when queued, so it runs without
    /// the checks again, as Redis's EXEC calls call() directly. Error replies are counted here,
    /// since the EXEC reply that carries them is not an error.
    pub fn call_queued(&mut self, client: &mut ClientState, argv: &[Vec<u8>], now_ms: u64) -> Frame {
        let reply = match self.resolve(argv) {
            Ok(cmd) => match self.acl_recheck_queued(client, cmd.meta, argv) {
                Some(denied) => denied,
                None => self.call(client, &cmd, argv, now_ms),
            },
            Err(reply) => reply,
        };
        if let Some(text) = reply.error_text() {
            if !std::mem::take(&mut self.scripting.error_counted) {
                self.stats.total_error_replies += 1;
                self.stats.count_error(text);
            }
        }
        // Notifications take the command's place in the EXEC array, as in Redis's output.
        let pushes = std::mem::take(&mut client.pushes);
        let after = std::mem::take(&mut client.pushes_after);
        if pushes.is_empty() && after.is_empty() {
            reply
        } else {
            with_pushes(pushes, Some(&reply), after, client.resp)
        }
    }

    /// True when `key` has expired at `now_ms`: the caller must treat it as missing. The key is
    /// removed too, unless CLIENT PAUSE is in force: a pause keeps the dataset as it is (no
    /// deletions, no `expired` events, no propagated DELs) while clients see the key as gone,
    /// as Redis's expireIfNeeded does; the first lookup after the pause deletes it.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: u64) -> bool {
        self.expire_if_needed_as(db, key, now_ms, false)
    }

    /// `expire_if_needed`; `for_write` is a lookup for writing (Redis's LOOKUP_WRITE), which
    /// deletes an expired key even on a (writable) replica.
    pub fn expire_if_needed_as(&mut self, db: usize, key: &[u8], now_ms: u64, for_write: bool) -> bool {
        // Nothing expires while the AOF is replayed (Redis's keyIsExpired while loading).
        if self.persist.aof.replaying || !self.dbs[db].is_expired(key, now_ms) {
            return false;
        }
        // A replica deletes nothing itself: its master's stream still sees the key, other
        // clients see it as missing (rule REPL-12).
        if self.repl.link.is_some() {
            if self.repl.applying_master {
                return false;
            }
            if !for_write {
                return true;
            }
        }
        if !self.writes_paused(now_ms) {
            self.expire_key_now(db, key);
        }
        true
    }
}

/// Whether the client's CLIENT REPLY mode drops the reply of the command that just ended; moves
/// SKIP back to ON, as the skip covers one command.
fn take_reply_suppression(client: &mut ClientState) -> bool {
    match client.reply_mode {
        ReplyMode::On => false,
        ReplyMode::Off => true,
        ReplyMode::Skip => {
            client.reply_mode = ReplyMode::On;
            true
        }
        ReplyMode::SkipNext => true,
    }
}

/// Out-of-band frames followed by the reply (if any), as bytes in the client's protocol.
fn with_pushes(pushes: Vec<Frame>, reply: Option<&Frame>, after: Vec<Frame>, resp: u8) -> Frame {
    let mut bytes = Vec::new();
    for push in &pushes {
        crate::resp::encode(push, resp, &mut bytes);
    }
    if let Some(reply) = reply {
        crate::resp::encode(reply, resp, &mut bytes);
    }
    for push in &after {
        crate::resp::encode(push, resp, &mut bytes);
    }
    Frame::Raw(bytes)
}

impl<'a> Ctx<'a> {
    /// Argument `i` (the command name is 0).
    pub fn arg(&self, i: usize) -> &'a [u8] {
        &self.argv[i]
    }

    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    /// The command name as the client typed it, lower-cased (used in some error texts).
    pub fn name_lower(&self) -> String {
        String::from_utf8_lossy(&self.argv[0]).to_ascii_lowercase()
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.client.db;
        &mut self.engine.dbs[i]
    }

    /// Looks a key up for reading: expires it if due, counts a hit or a miss, touches it.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        let (db, now) = (self.client.db, self.now_ms);
        if self.engine.expire_if_needed(db, key, now) || !self.engine.dbs[db].contains(key) {
            self.engine.stats.keyspace_misses += 1;
            self.engine.notify_keyspace_event(notify::NOTIFY_KEY_MISS, "keymiss", key, db);
            return None;
        }
        let engine = &mut *self.engine;
        // As Redis, no access-time update while a forked child saves: it would copy pages on write.
        let engine_no_touch = engine.persist.avoid_writes;
        let lfu = engine.config.maxmemory_policy().is_lfu().then(|| engine.lfu_params());
        match engine.dbs[db].entry_mut(key) {
            Some(entry) => {
                engine.stats.keyspace_hits += 1;
                if !engine_no_touch {
                    touch(entry, now, lfu, &mut engine.rng);
                }
                Some(&entry.value)
            }
            None => {
                engine.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Looks a key up for writing: expires it if due, touches it; no hit/miss statistics.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Value> {
        let (db, now) = (self.client.db, self.now_ms);
        if self.engine.expire_if_needed_as(db, key, now, true) {
            return None;
        }
        let engine = &mut *self.engine;
        let engine_no_touch = engine.persist.avoid_writes;
        let lfu = engine.config.maxmemory_policy().is_lfu().then(|| engine.lfu_params());
        engine.dbs[db].entry_mut(key).map(|entry| {
            if !engine_no_touch {
                touch(entry, now, lfu, &mut engine.rng);
            }
            &mut entry.value
        })
    }

    /// True when the key exists (and has not expired); does not touch it.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        let (db, now) = (self.client.db, self.now_ms);
        !self.engine.expire_if_needed(db, key, now) && self.engine.dbs[db].contains(key)
    }

    /// Records that a key was changed (WATCH and client tracking hook in here later).
    pub fn signal_modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.signal_modified_in(db, key);
    }

    /// Records that a key of database `db` was changed (MOVE and COPY change another database):
    /// transactions watching it will fail, and clients blocked on it may be served after the
    /// command.
    pub fn signal_modified_in(&mut self, db: usize, key: &[u8]) {
        self.engine.touch_watched_key(db, key);
        self.engine.tracking_invalidate_key(key, Some(self.client.id));
        self.engine.signal_key_ready(db, key);
    }

    /// The command propagates to the AOF and replicas as `argv` in the client's database,
    /// instead of as typed (Redis's rewriteClientCommandVector and alsoPropagate). Several calls
    /// propagate several commands, in order.
    pub fn propagate_as(&mut self, argv: Vec<Vec<u8>>) {
        let db = self.client.db;
        if self.engine.prop.enabled {
            self.engine.prop.call.rewrite.push(argv.clone());
        }
        if let Some(log) = self.engine.propagated.as_mut() {
            log.push((db, argv));
        }
    }

    /// True when propagated commands are recorded: handlers build rewritten forms only then.
    pub fn propagating(&self) -> bool {
        self.engine.prop.enabled
    }

    /// Queues `argv` (in the client's database) to propagate after whatever the command queued
    /// so far, whether or not the data changed (Redis's alsoPropagate).
    pub fn also_propagate(&mut self, argv: Vec<Vec<u8>>) {
        let db = self.client.db;
        self.engine.prop.also(db, argv);
    }

    /// The command propagates even if it changed nothing (Redis's forceCommandPropagation).
    pub fn force_propagation(&mut self) {
        self.engine.prop.call.force = true;
    }

    /// The command itself is not propagated (its `also_propagate` commands are).
    pub fn prevent_propagation(&mut self) {
        self.engine.prop.call.prevent = true;
    }

    /// Adds to the count of changes since the last save.
    pub fn dirty(&mut self, n: u64) {
        self.engine.dirty += n;
    }
}

/// Records an access to a key: its time, and under an LFU policy its access counter.
fn touch(entry: &mut db::Entry, now_ms: u64, lfu: Option<evict::LfuParams>, rng: &mut impl rand_core::RngCore) {
    match lfu {
        Some(params) => evict::lfu_touch(entry, now_ms, params, rng),
        None => entry.set_access_ms(now_ms),
    }
}
