//! Blocking operations (Redis's blocked.c), generic over the commands that wait for data: the
//! list family (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), and later the sorted sets (BZPOPMIN,
//! BZPOPMAX, BZMPOP) and streams (XREAD/XREADGROUP BLOCK).
//!
//! Deterministic and sans-IO like the rest of the engine:
//! - A handler that finds nothing to serve calls [`Ctx::block`] with its keys, its deadline and a
//!   serve callback, and returns any frame; `Engine::execute` then records the client as blocked
//!   and returns `None` (no reply yet).
//! - A write calls `ctx.signal_modified(key)`; if clients wait on that key and it now holds a
//!   value of a type that can serve them, the key becomes *ready* (once, in signal order).
//! - After every command the engine serves the ready keys in the order they became ready; for
//!   each key, the clients waiting on it in the order they blocked (first blocked, first served),
//!   calling their serve callback with that key. Serving may make more keys ready (BLMOVE pushes),
//!   which are served in a further round. The served clients' replies go to `engine.outbox`.
//! - `Engine::handle_blocked_timeouts(now_ms)` answers clients whose deadline has passed with
//!   the null array, as Redis does for every list, zset and stream wait.
//! - Clients that stopped being blocked are listed for the server (`take_unblocked`), which then
//!   runs the commands that piled up in their query buffers meanwhile.
//!
//! Redis 7.0 serves a client from the key that became ready, not by re-running the command from
//! its first key; the callback gets that key for this reason.
//!
//! Hooks for the families still to come:
//! - MULTI/EXEC and scripts: set `client.deny_blocking` while the queued commands run (handlers
//!   check [`Ctx::may_block`] and answer as on timeout), and run them through the dispatcher,
//!   not `Engine::execute`, so that the keys they make ready are served once, after EXEC as a
//!   whole (`execute` serves at its end), as Redis isolates a transaction from blocked clients.
//! - Sorted sets and streams: block with `BlockKind::Zset` / `BlockKind::Stream` and a serve
//!   callback; a write signals the key through `ctx.signal_modified`, nothing else is needed.
//!   XREAD can store the ID it waits after by passing a rewritten `argv` in its request.

use super::meta::CommandMeta;
use super::{Ctx, Engine};
use crate::resp::Frame;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Serves a blocked client from `key`, which holds a value of the client's [`BlockKind`]:
/// `ctx.argv` is the command that blocked, `ctx.client` the blocked client. Returns the reply
/// that unblocks the client, or `None` to keep it waiting.
pub type ServeFn = fn(&mut Ctx, key: &[u8]) -> Option<Frame>;

/// The type of value a blocked client waits for (Redis's BLOCKED_LIST, BLOCKED_ZSET,
/// BLOCKED_STREAM): only a key holding that type is offered to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    List,
    Zset,
    Stream,
    /// WAIT: no keys; replica acknowledgements end it (`engine::repl`).
    Replicas,
}

impl BlockKind {
    /// The TYPE name of the values that serve this kind.
    pub fn type_name(self) -> &'static str {
        match self {
            BlockKind::List => "list",
            BlockKind::Zset => "zset",
            BlockKind::Stream => "stream",
            BlockKind::Replicas => "none",
        }
    }

    /// True when a value of this TYPE can wake some kind of blocked client.
    fn any_serves(type_name: &str) -> bool {
        matches!(type_name, "list" | "zset" | "stream")
    }
}

/// When a blocked client gives up: Redis's `bpop.timeout`, an absolute time in milliseconds, or
/// 0 for never. It is signed because Redis adds the timeout to the clock without an overflow
/// check; a sum that wrapped negative never times out (Redis compares it as unsigned).
pub type DeadlineMs = i64;

/// What a handler asks for when it has to wait.
pub struct BlockRequest {
    pub kind: BlockKind,
    /// The keys to wait on, in argument order (repeats are ignored).
    pub keys: Vec<Vec<u8>>,
    pub deadline_ms: DeadlineMs,
    pub serve: ServeFn,
    /// The command the serve callback will see, if not the one typed (XREAD rewrites `$` to
    /// the ID it waits after).
    pub argv: Option<Vec<Vec<u8>>>,
}

/// A request made by the running handler, completed by the dispatcher.
pub(super) struct Pending {
    pub request: BlockRequest,
    pub meta: &'static CommandMeta,
    pub stat_index: usize,
}

/// One blocked client.
struct Blocked {
    kind: BlockKind,
    db: usize,
    /// Distinct keys, in argument order.
    keys: Vec<Vec<u8>>,
    deadline_ms: DeadlineMs,
    serve: ServeFn,
    argv: Vec<Vec<u8>>,
    meta: &'static CommandMeta,
    stat_index: usize,
}

/// A key of one database.
type DbKey = (usize, Vec<u8>);

/// The engine's blocking state.
#[derive(Default)]
pub struct Blocking {
    clients: BTreeMap<u64, Blocked>,
    /// The clients waiting on each key, in the order they blocked (Redis's db->blocking_keys).
    waiting: BTreeMap<DbKey, VecDeque<u64>>,
    /// Keys that became ready since the last serving round, in order (server.ready_keys), and
    /// the same keys as a set (db->ready_keys) so a key is queued once.
    ready: Vec<DbKey>,
    ready_set: BTreeSet<DbKey>,
    /// Clients unblocked since the server last asked (server.unblocked_clients).
    unblocked: Vec<u64>,
    pub(super) pending: Option<Pending>,
}

impl Blocking {
    pub fn is_blocked(&self, client: u64) -> bool {
        self.clients.contains_key(&client)
    }

    /// INFO's `blocked_clients`.
    pub fn blocked_count(&self) -> usize {
        self.clients.len()
    }

    /// INFO's `clients_in_timeout_table`: blocked clients with a deadline.
    pub fn with_deadline_count(&self) -> usize {
        self.clients.values().filter(|b| b.deadline_ms != 0).count()
    }

    /// The earliest time at which some blocked client times out (for the server's sleep).
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.clients.values().filter(|b| b.deadline_ms > 0).map(|b| b.deadline_ms as u64).min()
    }

    /// The clients unblocked since the last call, in the order they were unblocked: the server
    /// resumes processing their query buffers.
    pub fn take_unblocked(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.unblocked)
    }

    /// Reports a client as unblocked (a postponed client whose command ran), so the server
    /// resumes reading its input.
    pub(super) fn report_unblocked(&mut self, client: u64) {
        self.unblocked.push(client);
    }

    /// True when some unblocked client has not been reported by `take_unblocked` yet.
    pub fn has_unblocked(&self) -> bool {
        !self.unblocked.is_empty()
    }

    /// The keys a blocked client waits on, with its database.
    pub fn keys_of(&self, client: u64) -> Option<(usize, &[Vec<u8>])> {
        self.clients.get(&client).map(|b| (b.db, b.keys.as_slice()))
    }

    /// Records `key` of `db` as ready if clients wait on it; `type_name` is the TYPE of the value
    /// it holds now (`None`: no value).
    fn signal(&mut self, db: usize, key: &[u8], type_name: Option<&str>) {
        let db_key = (db, key.to_vec());
        let Some(queue) = self.waiting.get(&db_key) else {
            return;
        };
        if !type_name.is_some_and(BlockKind::any_serves) {
            // Clients blocked in XREADGROUP must hear that their stream was deleted or replaced
            // (Redis signals a deleted stream key for them).
            let stream_waiter = queue.iter().any(|c| self.clients.get(c).is_some_and(|b| b.kind == BlockKind::Stream));
            if !stream_waiter {
                return;
            }
        }
        if self.ready_set.contains(&db_key) {
            return;
        }
        self.ready_set.insert(db_key.clone());
        self.ready.push(db_key);
    }

    fn add(&mut self, client: u64, blocked: Blocked) {
        for key in &blocked.keys {
            self.waiting.entry((blocked.db, key.clone())).or_default().push_back(client);
        }
        self.clients.insert(client, blocked);
    }

    /// Forgets a blocked client; returns its record.
    fn remove(&mut self, client: u64) -> Option<Blocked> {
        let blocked = self.clients.remove(&client)?;
        for key in &blocked.keys {
            let db_key = (blocked.db, key.clone());
            if let Some(queue) = self.waiting.get_mut(&db_key) {
                queue.retain(|&c| c != client);
                if queue.is_empty() {
                    self.waiting.remove(&db_key);
                }
            }
        }
        self.unblocked.push(client);
        Some(blocked)
    }
}

/// Redis's getTimeoutFromObjectOrReply in seconds: a long double, times 1000, rounded up, as a
/// 64-bit integer (a value out of that range becomes LLONG_MIN, as the x86 conversion does),
/// then added to the clock. Returns the deadline, 0 for none.
pub fn deadline_from_secs(arg: &[u8], now_ms: u64) -> Result<DeadlineMs, Frame> {
    let value =
        super::longdouble::parse(arg).ok_or_else(|| Frame::error("ERR timeout is not a float or out of range"))?;
    let ms = ceil_times_1000(value);
    deadline_from_ms_value(ms, now_ms)
}

/// The same for a timeout given in whole milliseconds (XREAD BLOCK).
pub fn deadline_from_millis(arg: &[u8], now_ms: u64) -> Result<DeadlineMs, Frame> {
    let ms = crate::resp::parse::parse_i64(arg)
        .ok_or_else(|| Frame::error("ERR timeout is not an integer or out of range"))?;
    deadline_from_ms_value(ms, now_ms)
}

fn deadline_from_ms_value(ms: i64, now_ms: u64) -> Result<DeadlineMs, Frame> {
    if ms < 0 {
        return Err(Frame::error("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(0);
    }
    Ok(ms.wrapping_add(now_ms as i64))
}

/// `(long long) ceill(v * 1000.0L)` on x86-64: the product is rounded to a 64-bit significand,
/// then rounded up to an integer; infinities and values beyond 64 bits give i64::MIN.
fn ceil_times_1000(value: super::longdouble::LongDouble) -> i64 {
    use super::longdouble::LongDouble;
    let (neg, mant, exp) = match value {
        LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        LongDouble::Inf { .. } | LongDouble::NaN => return i64::MIN,
    };
    if mant == 0 {
        return 0;
    }
    // The exact product, then rounded to 64 significant bits (to nearest, ties to even).
    let mut product = u128::from(mant) * 1000;
    let mut exp = exp;
    let bits = 128 - product.leading_zeros() as i64;
    if bits > 64 {
        let drop = (bits - 64) as u32;
        let half = 1u128 << (drop - 1);
        let rest = product & ((1u128 << drop) - 1);
        product >>= drop;
        if rest > half || (rest == half && product & 1 == 1) {
            product += 1;
        }
        exp += i64::from(drop);
    }
    // product * 2^exp, rounded towards +infinity.
    let magnitude_ceil = |round_up: bool| -> Option<u128> {
        if exp >= 0 {
            if exp >= 64 {
                return None;
            }
            product.checked_shl(exp as u32).filter(|v| v >> (exp as u32) == product)
        } else if -exp >= 128 {
            Some(u128::from(round_up))
        } else {
            let shift = (-exp) as u32;
            let whole = product >> shift;
            let has_fraction = product & ((1u128 << shift) - 1) != 0;
            Some(whole + u128::from(round_up && has_fraction))
        }
    };
    // Positive values round away from zero, negative ones towards zero.
    match magnitude_ceil(!neg) {
        Some(m) if !neg && m <= i64::MAX as u128 => m as i64,
        Some(m) if neg && m <= 1u128 << 63 => (m as i128).wrapping_neg() as i64,
        _ => i64::MIN,
    }
}

impl Ctx<'_> {
    /// False when the running command must not block (inside MULTI/EXEC or a script: Redis's
    /// CLIENT_DENY_BLOCKING); the command then answers as if its timeout had passed.
    pub fn may_block(&self) -> bool {
        !self.client.deny_blocking
    }

    /// Blocks the running client. The handler returns right after; whatever it returns is
    /// discarded, and the client gets its reply when served, timed out or unblocked.
    pub fn block(&mut self, mut request: BlockRequest) -> Frame {
        let mut seen = BTreeSet::new();
        request.keys.retain(|k| seen.insert(k.clone()));
        self.engine.blocking.pending = Some(Pending { request, meta: self.meta, stat_index: 0 });
        Frame::Raw(Vec::new())
    }
}

impl Engine {
    /// True when the client waits in a blocking command: the server runs nothing else for it.
    pub fn is_blocked(&self, client: u64) -> bool {
        self.blocking.is_blocked(client) || self.pause.is_postponed(client)
    }

    /// Records the running command's block request for `client`.
    pub(super) fn register_block(&mut self, client: &mut super::client::ClientState, argv: &[Vec<u8>]) -> bool {
        let Some(pending) = self.blocking.pending.take() else {
            return false;
        };
        let Pending { request, meta, stat_index } = pending;
        client.blocked = true;
        let blocked = Blocked {
            kind: request.kind,
            db: client.db,
            keys: request.keys,
            deadline_ms: request.deadline_ms,
            serve: request.serve,
            argv: request.argv.unwrap_or_else(|| argv.to_vec()),
            meta,
            stat_index,
        };
        self.blocking.add(client.id, blocked);
        true
    }

    /// Marks `key` of `db` ready if clients wait on it and it holds a value that may serve them.
    pub fn signal_key_ready(&mut self, db: usize, key: &[u8]) {
        if self.blocking.waiting.is_empty() {
            return;
        }
        let type_name = self.dbs.get(db).and_then(|d| d.entry(key)).map(|e| e.value.type_name());
        self.blocking.signal(db, key, type_name);
    }

    /// Marks ready every key of `db` that clients wait on and that holds a value now (after
    /// SWAPDB, as Redis's scanDatabaseForReadyKeys).
    pub fn signal_db_ready(&mut self, db: usize) {
        let keys: Vec<Vec<u8>> =
            self.blocking.waiting.keys().filter(|(d, _)| *d == db).map(|(_, k)| k.clone()).collect();
        for key in keys {
            self.signal_key_ready(db, &key);
        }
    }

    /// The keys of `db` that clients wait on and that hold a stream now: a flush or SWAPDB
    /// that takes them away must wake the XREADGROUP clients (scanDatabaseForDeletedStreams).
    pub fn waited_stream_keys(&self, db: usize) -> Vec<Vec<u8>> {
        if self.blocking.waiting.is_empty() {
            return Vec::new();
        }
        self.blocking
            .waiting
            .keys()
            .filter(|(d, k)| *d == db && self.dbs[db].entry(k).is_some_and(|e| e.value.type_name() == "stream"))
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Signals those of `keys` (from [`Engine::waited_stream_keys`]) that no longer hold a stream.
    pub fn signal_lost_streams(&mut self, db: usize, keys: &[Vec<u8>]) {
        for key in keys {
            if self.dbs[db].entry(key).is_some_and(|e| e.value.type_name() == "stream") {
                continue;
            }
            self.signal_key_ready(db, key);
        }
    }

    /// Serves the ready keys (Redis's handleClientsBlockedOnKeys). Each round takes the keys
    /// ready so far; serving can make more keys ready, handled in a further round. Every serve
    /// unblocks a client, so the rounds end.
    pub fn serve_ready_keys(&mut self, now_ms: u64) {
        while !self.blocking.ready.is_empty() {
            let round = std::mem::take(&mut self.blocking.ready);
            for (db, key) in round {
                self.blocking.ready_set.remove(&(db, key.clone()));
                self.serve_key(db, &key, now_ms);
            }
        }
        // Keys found expired while serving, outside any command.
        self.flush_propagation(true);
    }

    /// Offers `key` to the clients waiting on it, first blocked first, while it holds a value.
    fn serve_key(&mut self, db: usize, key: &[u8], now_ms: u64) {
        if self.expire_if_needed(db, key, now_ms) {
            return;
        }
        let Some(queue) = self.blocking.waiting.get(&(db, key.to_vec())) else {
            return;
        };
        let waiting: Vec<u64> = queue.iter().copied().collect();
        for client_id in waiting {
            // The key may have been emptied and deleted by the previous client.
            let type_name = self.dbs[db].entry(key).map(|e| e.value.type_name());
            let Some(blocked) = self.blocking.clients.get(&client_id) else {
                continue;
            };
            // Stream waiters are offered any key state: XREADGROUP fails when its stream is gone.
            if type_name != Some(blocked.kind.type_name()) && blocked.kind != BlockKind::Stream {
                continue;
            }
            self.serve_client(client_id, key, now_ms);
        }
    }

    /// Runs one blocked client's serve callback for `key`; unblocks it when it got a reply.
    fn serve_client(&mut self, client_id: u64, key: &[u8], now_ms: u64) {
        let Some(mut client) = self.clients.remove(&client_id) else {
            return;
        };
        let Some(blocked) = self.blocking.clients.remove(&client_id) else {
            self.clients.insert(client_id, client);
            return;
        };
        let saved = self.tracking_serve_begin(&client);
        let outer = self.begin_call_propagation();
        let mut ctx = Ctx { engine: self, client: &mut client, argv: &blocked.argv, now_ms, meta: blocked.meta };
        let served = (blocked.serve)(&mut ctx, key);
        self.end_served_propagation(outer, client.db);
        // A serve callback cannot block again; drop any request it made.
        self.blocking.pending = None;
        let stat_index = blocked.stat_index;
        // Back in place, so that `remove` below finds it.
        self.blocking.clients.insert(client_id, blocked);
        self.clients.insert(client_id, client);
        if let Some(reply) = served {
            self.unblock(client_id, reply, false, stat_index);
        }
        self.tracking_serve_end(client_id, saved);
    }

    /// Unblocks a client with `reply`: statistics, CLIENT REPLY modes, delivery to the outbox,
    /// and the unblocked list. `failed` counts a failed call even without an error reply (CLIENT
    /// UNBLOCK does, as Redis's updateStatsOnUnblock is told there were errors).
    fn unblock(&mut self, client_id: u64, reply: Frame, failed: bool, stat_index: usize) {
        let Some(blocked) = self.blocking.remove(client_id) else {
            return;
        };
        if let Some(client) = self.clients.remove(&client_id) {
            // Logged as the command the client sent, with the time it ran, not the wait.
            let now_ms = self.now_ms;
            self.slowlog_consider(&client, &blocked.argv, 0, now_ms);
            self.clients.insert(client_id, client);
        }
        let is_error = if let Some(text) = reply.error_text() {
            self.stats.total_error_replies += 1;
            self.stats.count_error(text);
            true
        } else {
            false
        };
        if is_error || failed {
            if let Some(stat) = self.command_stats.get_mut(stat_index) {
                stat.failed_calls += 1;
            }
        }
        let Some(client) = self.clients.get_mut(&client_id) else {
            return;
        };
        client.blocked = false;
        if super::take_reply_suppression(client) {
            return;
        }
        self.outbox.push((client_id, reply));
    }

    /// Answers every blocked client whose deadline is before `now_ms` with the null array
    /// (Redis's handleBlockedClientsTimeout), in deadline order, then client id order.
    pub fn handle_blocked_timeouts(&mut self, now_ms: u64) {
        if self.blocking.clients.is_empty() {
            return;
        }
        let mut due: Vec<(u64, u64)> = self
            .blocking
            .clients
            .iter()
            .filter(|(_, b)| b.deadline_ms != 0 && (b.deadline_ms as u64) < now_ms)
            .map(|(&id, b)| (b.deadline_ms as u64, id))
            .collect();
        due.sort_unstable();
        for (_, id) in due {
            let stat_index = self.blocking.clients.get(&id).map_or(0, |b| b.stat_index);
            // A WAIT that times out answers with the replicas that acknowledged so far.
            let reply = self.repl_wait_reply(id).unwrap_or(Frame::NullArray);
            self.unblock(id, reply, false, stat_index);
        }
    }

    /// CLIENT UNBLOCK: ends a client's wait as a timeout would, or with the UNBLOCKED error.
    /// False when the client is not blocked.
    pub fn unblock_client(&mut self, client_id: u64, with_error: bool) -> bool {
        let Some(stat_index) = self.blocking.clients.get(&client_id).map(|b| b.stat_index) else {
            return false;
        };
        let wait_reply = self.repl_wait_reply(client_id);
        let reply = if with_error {
            Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        } else {
            wait_reply.unwrap_or(Frame::NullArray)
        };
        self.unblock(client_id, reply, true, stat_index);
        true
    }

    /// Ends a wait with `reply` (WAIT served by replica acknowledgements).
    pub(super) fn unblock_with(&mut self, client_id: u64, reply: Frame) {
        let stat_index = self.blocking.clients.get(&client_id).map_or(0, |b| b.stat_index);
        self.unblock(client_id, reply, false, stat_index);
    }

    /// Ends every wait with the UNBLOCKED error, as the server turns into a replica (Redis's
    /// disconnectAllBlockedClients).
    pub(crate) fn disconnect_all_blocked(&mut self) {
        let ids: Vec<u64> = self.blocking.clients.keys().copied().collect();
        for id in ids {
            self.repl.waiting.remove(&id);
            let text = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
            self.unblock_with(id, Frame::error(text));
        }
    }

    /// A disconnected client stops waiting (nothing is sent).
    pub(super) fn forget_blocked(&mut self, client_id: u64) {
        self.blocking.remove(client_id);
        self.blocking.unblocked.retain(|&c| c != client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline(arg: &str) -> Result<DeadlineMs, Frame> {
        deadline_from_secs(arg.as_bytes(), 1_000_000)
    }

    #[test]
    fn timeouts_in_seconds_round_up_to_milliseconds() {
        assert_eq!(deadline("0"), Ok(0));
        assert_eq!(deadline("1"), Ok(1_001_000));
        assert_eq!(deadline("0.0001"), Ok(1_000_001));
        assert_eq!(deadline("1e-400"), Ok(1_000_001));
        assert_eq!(deadline("0.5"), Ok(1_000_500));
        assert_eq!(deadline("0x10"), Ok(1_016_000));
        // ceil(-0.1) is -0: no timeout at all.
        assert_eq!(deadline("-0.0001"), Ok(0));
    }

    #[test]
    fn out_of_range_timeouts_are_negative() {
        let negative = Err(Frame::error("ERR timeout is negative"));
        for arg in ["-1", "inf", "-inf", "1e30", "9.3e15"] {
            assert_eq!(deadline(arg), negative, "{arg}");
        }
        let not_float = Err(Frame::error("ERR timeout is not a float or out of range"));
        for arg in ["abc", "", " 1", "nan", "1e5000"] {
            assert_eq!(deadline(arg), not_float, "{arg}");
        }
    }

    #[test]
    fn huge_timeouts_wrap_and_never_fire() {
        assert_eq!(deadline("9.2e15"), Ok(9_200_000_000_001_000_000));
        // LLONG_MAX ms plus the clock wraps below zero: such a client never times out.
        let d = deadline_from_secs(b"9223372036854775.807", 1_700_000_000_000).unwrap();
        assert!(d < 0);
        let mut h = super::super::testkit::Harness::new();
        h.run("BLPOP k 9223372036854775.807");
        assert!(h.engine.is_blocked(h.client));
        assert_eq!(h.engine.blocking.next_deadline_ms(), None);
        h.engine.handle_blocked_timeouts(h.now_ms * 2);
        assert!(h.engine.is_blocked(h.client));
    }
}
