//! List commands and blocking pops (Redis: t_list.c, blocked.c), written
//! from the Redis documentation and checked against redis-server 7.0.15.
//!
//! A list is a `Vec` (head first) and is never stored empty. Blocking is
//! modelled directly: a blocking pop that finds nothing records the client
//! as blocked (the command has no reply yet, [`NO_REPLY`]); after every
//! command, each key that some blocked client waits on and that now holds a
//! list is served to its waiting clients, first blocked first, while it has
//! elements; the replies are *deliveries* for the blocked clients. Time
//! passing answers clients whose deadline has passed with the nil array.

use super::dispatch::Call;
use super::notify::{GENERIC, LIST};
use super::{wrongtype, MValue, Model};
use crate::ld::{self, Ld};
use crate::num::{int_arg, opt_is, parse_i64};
use crate::reply::Reply;

/// What the model answers for a command that blocked (the engine's system
/// reports the absent reply the same way).
pub const NO_REPLY: &str = "<no reply>";

/// A client waiting in a blocking list (or sorted set) command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub client: u64,
    pub db: usize,
    /// Distinct keys, in argument order.
    pub keys: Vec<Vec<u8>>,
    /// The time after which it gives up; `None` waits forever.
    pub deadline_ms: Option<u64>,
    /// The command that blocked.
    pub argv: Vec<Vec<u8>>,
}

impl Blocked {
    /// True when a key holding `value` can serve this client: a list for the list commands, a
    /// sorted set for BZPOPMIN, BZPOPMAX and BZMPOP.
    pub fn waits_for(&self, value: &MValue) -> bool {
        let zset_command = self.argv.first().is_some_and(|n| n.len() > 2 && n[..2].eq_ignore_ascii_case(b"bz"));
        if zset_command {
            matches!(value, MValue::ZSet(_))
        } else {
            matches!(value, MValue::List(_))
        }
    }
}

const SYNTAX: &str = "syntax error";

fn list_reply(items: &[Vec<u8>]) -> Reply {
    Reply::Array(items.iter().map(Reply::bulk).collect())
}

/// LEFT (true) or RIGHT (false).
fn side(arg: &[u8]) -> Result<bool, Reply> {
    if opt_is(arg, "LEFT") {
        Ok(true)
    } else if opt_is(arg, "RIGHT") {
        Ok(false)
    } else {
        Err(Reply::err(SYNTAX))
    }
}

/// An integer of at least `min`, else `ERR <msg>` (also when not an integer).
fn at_least(arg: &[u8], min: i64, msg: &str) -> Result<i64, Reply> {
    match parse_i64(arg) {
        Some(n) if n >= min => Ok(n),
        _ => Err(Reply::err(msg)),
    }
}

fn ok_or_reply(r: Result<Reply, Reply>) -> Reply {
    r.unwrap_or_else(|e| e)
}

impl Model {
    /// The list at a key: `Ok(None)` when missing, WRONGTYPE for another type.
    fn list(&mut self, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Vec<Vec<u8>>>, Reply> {
        match self.lookup(db, key, now_ms).map(|i| &i.value) {
            None => Ok(None),
            Some(MValue::List(items)) => Ok(Some(items.clone())),
            Some(_) => Err(wrongtype()),
        }
    }

    /// Stores a list (deleting the key when it is empty), keeping any TTL.
    fn put_list(&mut self, db: usize, key: &[u8], items: Vec<Vec<u8>>) {
        if items.is_empty() {
            self.dbs[db].remove(key);
            return;
        }
        match self.dbs[db].get_mut(key) {
            Some(item) => item.value = MValue::List(items),
            None => {
                self.dbs[db].insert(key.to_vec(), super::Item { value: MValue::List(items), expire_at_ms: None });
            }
        }
    }

    /// The events of a pop of one or more elements from `key` by `client`: `lpop`/`rpop`,
    /// then `del` when the list emptied.
    fn popped(&mut self, client: u64, db: usize, key: &[u8], left: bool, emptied: bool) {
        self.notify(client, LIST, if left { "lpop" } else { "rpop" }, db, key);
        if emptied {
            self.notify(client, GENERIC, "del", db, key);
        }
    }

    /// True when the client waits in a blocking command.
    pub fn is_blocked(&self, client: u64) -> bool {
        self.blocked.iter().any(|b| b.client == client)
    }

    /// The replies blocked clients received since the last call, sorted by
    /// client (each client gets at most one per step).
    pub fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        let mut out = std::mem::take(&mut self.deliveries);
        out.sort_by_key(|(c, _)| *c);
        out
    }

    /// The clock moved to `now_ms`: clients whose deadline is before it get
    /// the nil array.
    pub fn time_passes(&mut self, now_ms: u64) {
        let (gone, kept): (Vec<Blocked>, Vec<Blocked>) =
            std::mem::take(&mut self.blocked).into_iter().partition(|b| b.deadline_ms.is_some_and(|d| d < now_ms));
        self.blocked = kept;
        for b in gone {
            self.deliveries.push((b.client, Reply::NilArray));
        }
    }

    /// Keys (in `db`) that blocked clients wait on and that hold a list.
    fn ready_keys(&self, now_ms: u64, dbs: &[usize]) -> Vec<(usize, Vec<u8>)> {
        let mut ready = Vec::new();
        for &db in dbs {
            let mut keys: Vec<Vec<u8>> = self
                .blocked
                .iter()
                .filter(|b| b.db == db)
                .flat_map(|b| b.keys.iter().cloned())
                .filter(|k| self.item(db, k, now_ms).is_some_and(|i| self.some_waiter_takes(db, k, &i.value)))
                .collect();
            keys.sort();
            keys.dedup();
            ready.extend(keys.into_iter().map(|k| (db, k)));
        }
        ready
    }

    /// Serves blocked clients after a command. Keys become ready one at a
    /// time in ordinary commands; SWAPDB may make several ready at once, in
    /// the order of its two databases and then of the key names.
    pub(super) fn serve_blocked(&mut self, call: &Call) {
        if self.blocked.is_empty() {
            return;
        }
        let dbs: Vec<usize> = if call.name == "swapdb" {
            let a = parse_i64(call.arg(1)).and_then(|n| usize::try_from(n).ok()).unwrap_or(call.db);
            let b = parse_i64(call.arg(2)).and_then(|n| usize::try_from(n).ok()).unwrap_or(call.db);
            vec![a, b]
        } else {
            (0..super::NUM_DBS).collect()
        };
        let mut queue = self.ready_keys(call.now_ms, &dbs);
        // Each served client leaves `blocked`, so this ends.
        while let Some((db, key)) = queue.first().cloned() {
            queue.remove(0);
            self.serve_key(db, &key, call.now_ms);
            for k in self.ready_keys(call.now_ms, &(0..super::NUM_DBS).collect::<Vec<_>>()) {
                if !queue.contains(&k) {
                    queue.push(k);
                }
            }
            if self.blocked.is_empty() {
                break;
            }
        }
    }

    /// True when a client blocked on `key` of `db` waits for a value like `value`.
    fn some_waiter_takes(&self, db: usize, key: &[u8], value: &MValue) -> bool {
        self.blocked.iter().any(|b| b.db == db && b.keys.iter().any(|k| k == key) && b.waits_for(value))
    }

    /// Offers the value at `key` to its waiting clients in blocking order
    /// while it exists; a client waiting for another type is passed over.
    fn serve_key(&mut self, db: usize, key: &[u8], now_ms: u64) {
        let waiting: Vec<Blocked> =
            self.blocked.iter().filter(|b| b.db == db && b.keys.iter().any(|k| k == key)).cloned().collect();
        for b in waiting {
            let Some(value) = self.item(db, key, now_ms).map(|i| &i.value) else {
                return;
            };
            if !b.waits_for(value) {
                continue;
            }
            let reply = self.serve_one(&b, key, now_ms);
            self.blocked.retain(|x| x.client != b.client);
            self.deliveries.push((b.client, reply));
        }
    }

    /// What one blocked client gets from the list (or sorted set) at `key`.
    fn serve_one(&mut self, b: &Blocked, key: &[u8], now_ms: u64) -> Reply {
        let name = String::from_utf8_lossy(&b.argv[0]).to_ascii_lowercase();
        if name.starts_with("bz") {
            return super::zsets::serve_blocked_zset(self, b, key, now_ms);
        }
        let mut items = match self.list(b.db, key, now_ms) {
            Ok(Some(items)) => items,
            _ => return Reply::NilArray,
        };
        match name.as_str() {
            "blpop" | "brpop" => {
                let item = if name == "blpop" { items.remove(0) } else { items.pop().unwrap_or_default() };
                let emptied = items.is_empty();
                self.put_list(b.db, key, items);
                self.popped(b.client, b.db, key, name == "blpop", emptied);
                Reply::Array(vec![Reply::bulk(key), Reply::Bulk(item)])
            }
            "blmpop" => {
                let (left, count) = match mpop_args(&b.argv, 2) {
                    Ok((_, _, left, count)) => (left, count),
                    Err(e) => return e,
                };
                let popped = pop_n(&mut items, left, count);
                let emptied = items.is_empty();
                self.put_list(b.db, key, items);
                self.popped(b.client, b.db, key, left, emptied);
                Reply::Array(vec![Reply::bulk(key), list_reply(&popped)])
            }
            _ => {
                // BLMOVE / BRPOPLPUSH
                let (from_left, to_left) = if name == "brpoplpush" {
                    (false, true)
                } else {
                    (side(&b.argv[3]).unwrap_or(true), side(&b.argv[4]).unwrap_or(true))
                };
                let dst = b.argv[2].clone();
                match self.move_one(b.client, b.db, key, &dst, from_left, to_left, now_ms) {
                    Ok(Some(v)) => Reply::Bulk(v),
                    Ok(None) => Reply::Nil,
                    Err(e) => e,
                }
            }
        }
    }

    /// Pops one element of `src` and pushes it on `dst` (which may be the
    /// same list). WRONGTYPE when `dst` holds another type.
    #[allow(clippy::too_many_arguments)]
    fn move_one(
        &mut self,
        client: u64,
        db: usize,
        src: &[u8],
        dst: &[u8],
        from_left: bool,
        to_left: bool,
        now_ms: u64,
    ) -> Result<Option<Vec<u8>>, Reply> {
        let Some(mut items) = self.list(db, src, now_ms)? else {
            return Ok(None);
        };
        let dst_items = self.list(db, dst, now_ms)?;
        let value = if from_left { items.remove(0) } else { items.pop().unwrap_or_default() };
        let mut target = if src == dst { items.clone() } else { dst_items.unwrap_or_default() };
        if to_left {
            target.insert(0, value.clone());
        } else {
            target.push(value.clone());
        }
        let emptied = items.is_empty() && src != dst;
        if src != dst {
            self.put_list(db, src, items);
        }
        self.put_list(db, dst, target);
        // The push on the destination, the reply (the moved element), then the pop.
        self.notify(client, LIST, if to_left { "lpush" } else { "rpush" }, db, dst);
        self.reply_here();
        self.popped(client, db, src, from_left, emptied);
        Ok(Some(value))
    }

    /// Records a blocked client; the command has no reply yet. Inside EXEC a client cannot
    /// block: the command answers at once as if timed out (BLMOVE and BRPOPLPUSH with a nil
    /// bulk, the pops with a nil array, as Redis's CLIENT_DENY_BLOCKING paths do).
    pub(super) fn block(&mut self, call: &Call, keys: &[Vec<u8>], deadline_ms: Option<u64>) -> Reply {
        if self.client(call.client).in_exec {
            return if matches!(call.name, "blmove" | "brpoplpush") { Reply::Nil } else { Reply::NilArray };
        }
        let mut distinct: Vec<Vec<u8>> = Vec::new();
        for k in keys {
            if !distinct.contains(k) {
                distinct.push(k.clone());
            }
        }
        self.blocked.push(Blocked {
            client: call.client,
            db: call.db,
            keys: distinct,
            deadline_ms,
            argv: call.argv.to_vec(),
        });
        Reply::Status(NO_REPLY.to_string())
    }
}

/// Pops `count` elements from one end, in pop order.
fn pop_n(items: &mut Vec<Vec<u8>>, left: bool, count: usize) -> Vec<Vec<u8>> {
    let n = count.min(items.len());
    if left {
        items.drain(..n).collect()
    } else {
        let mut tail: Vec<Vec<u8>> = items.drain(items.len() - n..).collect();
        tail.reverse();
        tail
    }
}

/// A blocking timeout in seconds: the deadline (`None` for none), or the
/// error. Redis multiplies by 1000 and rounds up; a product beyond 64 bits
/// (or an infinity) reads as negative.
pub(super) fn deadline(arg: &[u8], now_ms: u64) -> Result<Option<u64>, Reply> {
    let Some(value) = ld::parse(arg) else {
        return Err(Reply::err("timeout is not a float or out of range"));
    };
    let negative = || Reply::err("timeout is negative");
    let ms: i128 = match value {
        Ld::Inf { .. } => return Err(negative()),
        Ld::Finite { mant: 0, .. } => 0,
        Ld::Finite { neg, mant, exp } => {
            // `v * 1000.0L` is itself a long double: keep 64 significant
            // bits of the product (rounding to nearest, ties to even).
            let (mut scaled, mut exp) = (i128::from(mant) * 1000, exp);
            let bits = 128 - scaled.leading_zeros() as i64;
            if bits > 64 {
                let drop = bits - 64;
                let rest = scaled & ((1i128 << drop) - 1);
                let half = 1i128 << (drop - 1);
                scaled >>= drop;
                exp += drop;
                if rest > half || (rest == half && scaled & 1 == 1) {
                    scaled += 1;
                }
            }
            let magnitude = if exp >= 0 {
                if exp > 60 {
                    return Err(negative());
                }
                scaled.checked_shl(exp as u32).ok_or_else(negative)?
            } else if exp < -120 {
                i128::from(!neg)
            } else {
                let div = 1i128 << (-exp);
                if neg {
                    scaled / div
                } else {
                    (scaled + div - 1) / div
                }
            };
            if neg {
                -magnitude
            } else {
                magnitude
            }
        }
    };
    if ms > i128::from(i64::MAX) || ms < 0 {
        return Err(negative());
    }
    if ms == 0 {
        return Ok(None);
    }
    let at = ms + i128::from(now_ms);
    // A sum past i64::MAX wraps negative in Redis and never fires.
    Ok(if at > i128::from(i64::MAX) { None } else { Some(at as u64) })
}

/// LMPOP/BLMPOP arguments from `numkeys_idx`: (first key index, number of
/// keys, from the left?, count).
fn mpop_args(argv: &[Vec<u8>], numkeys_idx: usize) -> Result<(usize, usize, bool, usize), Reply> {
    let numkeys = at_least(&argv[numkeys_idx], 1, "numkeys should be greater than 0")?;
    let first = numkeys_idx + 1;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys >= argv.len() - first {
        return Err(Reply::err(SYNTAX));
    }
    let left = side(&argv[first + numkeys])?;
    let rest = &argv[first + numkeys + 1..];
    let count = match rest {
        [] => 1,
        [opt, n] if opt_is(opt, "COUNT") => at_least(n, 1, "count should be greater than 0")?,
        _ => return Err(Reply::err(SYNTAX)),
    };
    Ok((first, numkeys, left, usize::try_from(count).unwrap_or(usize::MAX)))
}

fn push(m: &mut Model, call: &Call, left: bool, only_existing: bool) -> Reply {
    let key = call.arg(1);
    let mut items = match m.list(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) if only_existing => return Reply::Int(0),
        Ok(found) => found.unwrap_or_default(),
    };
    for v in &call.argv[2..] {
        if left {
            items.insert(0, v.clone());
        } else {
            items.push(v.clone());
        }
    }
    let len = items.len();
    m.put_list(call.db, key, items);
    m.reply_here();
    m.notify_call(call, LIST, if left { "lpush" } else { "rpush" }, key);
    Reply::Int(len as i64)
}

pub(super) fn lpush(m: &mut Model, call: &Call) -> Reply {
    push(m, call, true, false)
}

pub(super) fn rpush(m: &mut Model, call: &Call) -> Reply {
    push(m, call, false, false)
}

pub(super) fn lpushx(m: &mut Model, call: &Call) -> Reply {
    push(m, call, true, true)
}

pub(super) fn rpushx(m: &mut Model, call: &Call) -> Reply {
    push(m, call, false, true)
}

fn pop(m: &mut Model, call: &Call, left: bool) -> Reply {
    if call.argv.len() > 3 {
        return call.wrong_arity();
    }
    let count = match call.argv.get(2) {
        None => None,
        Some(n) => match at_least(n, 0, "value is out of range, must be positive") {
            Ok(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Err(e) => return e,
        },
    };
    let key = call.arg(1);
    let mut items = match m.list(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return if count.is_some() { Reply::NilArray } else { Reply::Nil },
        Ok(Some(items)) => items,
    };
    let (reply, any) = match count {
        None => (Reply::Bulk(pop_n(&mut items, left, 1).pop().unwrap_or_default()), true),
        Some(n) => {
            let popped = pop_n(&mut items, left, n);
            (list_reply(&popped), !popped.is_empty())
        }
    };
    let emptied = items.is_empty();
    m.put_list(call.db, key, items);
    if any {
        m.reply_here();
        m.popped(call.client, call.db, key, left, emptied);
    }
    reply
}

pub(super) fn lpop(m: &mut Model, call: &Call) -> Reply {
    pop(m, call, true)
}

pub(super) fn rpop(m: &mut Model, call: &Call) -> Reply {
    pop(m, call, false)
}

/// A key and its list's elements.
type KeyAndList = (Vec<u8>, Vec<Vec<u8>>);

/// The first of the keys holding a list (WRONGTYPE stops the search).
fn first_list(m: &mut Model, call: &Call, keys: &[Vec<u8>]) -> Result<Option<KeyAndList>, Reply> {
    for key in keys {
        if let Some(items) = m.list(call.db, key, call.now_ms)? {
            return Ok(Some((key.clone(), items)));
        }
    }
    Ok(None)
}

pub(super) fn lmpop(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (first, n, left, count) = mpop_args(call.argv, 1)?;
        let Some((key, mut items)) = first_list(m, call, &call.argv[first..first + n])? else {
            return Ok(Reply::NilArray);
        };
        let popped = pop_n(&mut items, left, count);
        let emptied = items.is_empty();
        m.put_list(call.db, &key, items);
        m.reply_here();
        m.popped(call.client, call.db, &key, left, emptied);
        Ok(Reply::Array(vec![Reply::Bulk(key), list_reply(&popped)]))
    })())
}

pub(super) fn llen(m: &mut Model, call: &Call) -> Reply {
    match m.list(call.db, call.arg(1), call.now_ms) {
        Ok(items) => Reply::Int(items.map_or(0, |i| i.len() as i64)),
        Err(e) => e,
    }
}

/// Normalizes an inclusive range with negative indexes; `None` when empty.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i128;
    let fix = |i: i64| if i < 0 { len + i128::from(i) } else { i128::from(i) };
    let (start, end) = (fix(start).max(0), fix(end).min(len - 1));
    if start > end || start >= len {
        None
    } else {
        Some((start as usize, end as usize))
    }
}

pub(super) fn lrange(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (start, end) = (int_arg(call.arg(2))?, int_arg(call.arg(3))?);
        let items = m.list(call.db, call.arg(1), call.now_ms)?.unwrap_or_default();
        Ok(match range(start, end, items.len()) {
            Some((s, e)) => list_reply(&items[s..=e]),
            None => Reply::Array(Vec::new()),
        })
    })())
}

/// A position for an index (negative from the tail) if inside the list.
fn position(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i128 + i128::from(index) } else { i128::from(index) };
    (0..len as i128).contains(&i).then_some(i as usize)
}

pub(super) fn lindex(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let Some(items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Ok(Reply::Nil);
        };
        let index = int_arg(call.arg(2))?;
        Ok(position(index, items.len()).map_or(Reply::Nil, |i| Reply::Bulk(items[i].clone())))
    })())
}

pub(super) fn lset(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let Some(mut items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Err(Reply::err("no such key"));
        };
        let index = int_arg(call.arg(2))?;
        let i = position(index, items.len()).ok_or_else(|| Reply::err("index out of range"))?;
        items[i] = call.arg(3).to_vec();
        m.put_list(call.db, call.arg(1), items);
        m.reply_here();
        m.notify_call(call, LIST, "lset", call.arg(1));
        Ok(Reply::ok())
    })())
}

pub(super) fn linsert(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let after = if opt_is(call.arg(2), "AFTER") {
            true
        } else if opt_is(call.arg(2), "BEFORE") {
            false
        } else {
            return Err(Reply::err(SYNTAX));
        };
        let Some(mut items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Ok(Reply::Int(0));
        };
        let Some(at) = items.iter().position(|i| i.as_slice() == call.arg(3)) else {
            return Ok(Reply::Int(-1));
        };
        items.insert(if after { at + 1 } else { at }, call.arg(4).to_vec());
        let len = items.len();
        m.put_list(call.db, call.arg(1), items);
        m.notify_call(call, LIST, "linsert", call.arg(1));
        Ok(Reply::Int(len as i64))
    })())
}

pub(super) fn lrem(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let count = int_arg(call.arg(2))?;
        let Some(items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Ok(Reply::Int(0));
        };
        let element = call.arg(3);
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        let mut removed = 0;
        let mut ordered: Vec<Vec<u8>> = items;
        if count < 0 {
            ordered.reverse();
        }
        let mut kept = Vec::new();
        for item in ordered {
            if removed < limit && item.as_slice() == element {
                removed += 1;
            } else {
                kept.push(item);
            }
        }
        if count < 0 {
            kept.reverse();
        }
        let emptied = kept.is_empty();
        m.put_list(call.db, call.arg(1), kept);
        if removed > 0 {
            m.notify_call(call, LIST, "lrem", call.arg(1));
            if emptied {
                m.notify_call(call, GENERIC, "del", call.arg(1));
            }
        }
        Ok(Reply::Int(removed as i64))
    })())
}

pub(super) fn ltrim(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (start, end) = (int_arg(call.arg(2))?, int_arg(call.arg(3))?);
        let Some(items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Ok(Reply::ok());
        };
        let kept = match range(start, end, items.len()) {
            Some((s, e)) => items[s..=e].to_vec(),
            None => Vec::new(),
        };
        let emptied = kept.is_empty();
        m.put_list(call.db, call.arg(1), kept);
        m.notify_call(call, LIST, "ltrim", call.arg(1));
        if emptied {
            m.notify_call(call, GENERIC, "del", call.arg(1));
        }
        Ok(Reply::ok())
    })())
}

pub(super) fn lpos(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
        let mut j = 3;
        while j < call.argv.len() {
            let has_value = j + 1 < call.argv.len();
            let opt = call.arg(j);
            if opt_is(opt, "RANK") && has_value {
                rank = int_arg(call.arg(j + 1))?;
                if rank == 0 {
                    return Err(Reply::err(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
                         negative to start from the end of the list",
                    ));
                }
            } else if opt_is(opt, "COUNT") && has_value {
                count = Some(at_least(call.arg(j + 1), 0, "COUNT can't be negative")?);
            } else if opt_is(opt, "MAXLEN") && has_value {
                maxlen = at_least(call.arg(j + 1), 0, "MAXLEN can't be negative")?;
            } else {
                return Err(Reply::err(SYNTAX));
            }
            j += 2;
        }
        let Some(items) = m.list(call.db, call.arg(1), call.now_ms)? else {
            return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
        };
        let len = items.len();
        let mut order: Vec<usize> = (0..len).collect();
        if rank < 0 {
            order.reverse();
        }
        if maxlen > 0 {
            order.truncate(usize::try_from(maxlen).unwrap_or(usize::MAX));
        }
        let matches: Vec<usize> = order.into_iter().filter(|&i| items[i].as_slice() == call.arg(2)).collect();
        // Redis negates the rank in place: -LLONG_MIN stays LLONG_MIN, which
        // then lets every match count and never reaches a COUNT limit.
        let wraps = rank == i64::MIN;
        let skip = if wraps { 0 } else { usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX) };
        let count = if wraps && count.is_some() { Some(0) } else { count };
        let found: Vec<Reply> = matches.into_iter().skip(skip).map(|i| Reply::Int(i as i64)).collect();
        Ok(match count {
            None => found.into_iter().next().unwrap_or(Reply::Nil),
            Some(0) => Reply::Array(found),
            Some(n) => Reply::Array(found.into_iter().take(usize::try_from(n).unwrap_or(usize::MAX)).collect()),
        })
    })())
}

fn lmove_generic(m: &mut Model, call: &Call, from_left: bool, to_left: bool) -> Reply {
    match m.move_one(call.client, call.db, call.arg(1), call.arg(2), from_left, to_left, call.now_ms) {
        Ok(Some(v)) => Reply::Bulk(v),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

pub(super) fn lmove(m: &mut Model, call: &Call) -> Reply {
    match (side(call.arg(3)), side(call.arg(4))) {
        (Ok(from), Ok(to)) => lmove_generic(m, call, from, to),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

pub(super) fn rpoplpush(m: &mut Model, call: &Call) -> Reply {
    lmove_generic(m, call, false, true)
}

fn bpop(m: &mut Model, call: &Call, left: bool) -> Reply {
    ok_or_reply((|| {
        let last = call.argv.len() - 1;
        let deadline_ms = deadline(call.arg(last), call.now_ms)?;
        let keys = &call.argv[1..last];
        if let Some((key, mut items)) = first_list(m, call, keys)? {
            let item = pop_n(&mut items, left, 1).pop().unwrap_or_default();
            let emptied = items.is_empty();
            m.put_list(call.db, &key, items);
            m.reply_here();
            m.popped(call.client, call.db, &key, left, emptied);
            return Ok(Reply::Array(vec![Reply::Bulk(key), Reply::Bulk(item)]));
        }
        Ok(m.block(call, keys, deadline_ms))
    })())
}

pub(super) fn blpop(m: &mut Model, call: &Call) -> Reply {
    bpop(m, call, true)
}

pub(super) fn brpop(m: &mut Model, call: &Call) -> Reply {
    bpop(m, call, false)
}

pub(super) fn blmpop(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (first, n, left, count) = mpop_args(call.argv, 2)?;
        let deadline_ms = deadline(call.arg(1), call.now_ms)?;
        let keys = &call.argv[first..first + n];
        if let Some((key, mut items)) = first_list(m, call, keys)? {
            let popped = pop_n(&mut items, left, count);
            let emptied = items.is_empty();
            m.put_list(call.db, &key, items);
            m.reply_here();
            m.popped(call.client, call.db, &key, left, emptied);
            return Ok(Reply::Array(vec![Reply::Bulk(key), list_reply(&popped)]));
        }
        Ok(m.block(call, keys, deadline_ms))
    })())
}

fn blmove_generic(m: &mut Model, call: &Call, from_left: bool, to_left: bool, deadline_ms: Option<u64>) -> Reply {
    match m.list(call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(None) => m.block(call, &call.argv[1..2], deadline_ms),
        Ok(Some(_)) => lmove_generic(m, call, from_left, to_left),
    }
}

pub(super) fn blmove(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let (from, to) = (side(call.arg(3))?, side(call.arg(4))?);
        let deadline_ms = deadline(call.arg(5), call.now_ms)?;
        Ok(blmove_generic(m, call, from, to, deadline_ms))
    })())
}

pub(super) fn brpoplpush(m: &mut Model, call: &Call) -> Reply {
    ok_or_reply((|| {
        let deadline_ms = deadline(call.arg(3), call.now_ms)?;
        Ok(blmove_generic(m, call, false, true, deadline_ms))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        // rules: LIST-12
        assert_eq!(deadline(b"0", 100), Ok(None));
        assert_eq!(deadline(b"0.5", 100), Ok(Some(600)));
        assert_eq!(deadline(b"0.0001", 100), Ok(Some(101)));
        assert_eq!(deadline(b"-0.0001", 100), Ok(None));
        assert_eq!(deadline(b"-1", 100), Err(Reply::err("timeout is negative")));
        assert_eq!(deadline(b"inf", 100), Err(Reply::err("timeout is negative")));
        assert_eq!(deadline(b"1e30", 100), Err(Reply::err("timeout is negative")));
        assert_eq!(deadline(b"x", 100), Err(Reply::err("timeout is not a float or out of range")));
    }
}
