//! The generic keyspace commands (Redis's db.c and object.c): DEL, UNLINK, EXISTS, TYPE,
//! RENAME, RENAMENX, MOVE, COPY, SWAPDB, SELECT, DBSIZE, RANDOMKEY, TOUCH, KEYS, SCAN, OBJECT.

use crate::cmd::args::{int_arg, is};
use crate::engine::db::Entry;
use crate::engine::glob::string_match;
use crate::engine::notify::NOTIFY_GENERIC;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "del" => del,
        "unlink" => unlink,
        "exists" => exists,
        "type" => type_cmd,
        "rename" => rename,
        "renamenx" => renamenx,
        "move" => move_cmd,
        "copy" => copy,
        "swapdb" => swapdb,
        "select" => select,
        "dbsize" => dbsize,
        "randomkey" => randomkey,
        "touch" => touch,
        "keys" => keys,
        "scan" => scan,
        "object|encoding" => object_encoding,
        "object|refcount" => object_refcount,
        "object|idletime" => object_idletime,
        "object|freq" => object_freq,
        "object|help" => object_help,
        _ => return None,
    };
    Some(h)
}

/// Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH): expires the key if due and counts a keyspace
/// hit or miss, but leaves the access time alone (EXISTS, TYPE, TTL, OBJECT, SCAN TYPE).
pub(crate) fn lookup_read_no_touch<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c Entry> {
    lookup_no_touch_generic(ctx, key, true)
}

/// `lookup_read_no_touch`, raising the `keymiss` event on a miss only when `notify_miss` (OBJECT
/// looks keys up with LOOKUP_NONOTIFY).
pub(crate) fn lookup_no_touch_generic<'c>(ctx: &'c mut Ctx, key: &[u8], notify_miss: bool) -> Option<&'c Entry> {
    let (db, now) = (ctx.client.db, ctx.now_ms);
    if ctx.engine.expire_if_needed(db, key, now) || !ctx.engine.dbs[db].contains(key) {
        ctx.engine.stats.keyspace_misses += 1;
        if notify_miss {
            ctx.engine.notify_keyspace_event(crate::engine::notify::NOTIFY_KEY_MISS, "keymiss", key, db);
        }
        return None;
    }
    ctx.engine.stats.keyspace_hits += 1;
    ctx.engine.dbs[db].entry(key)
}

/// Redis's getIntFromObjectOrReply: a 64-bit integer that must also fit in a C `int`. `msg`
/// replaces both error texts when given (SWAPDB does this).
pub(crate) fn int32_arg(arg: &[u8], msg: Option<&str>) -> Result<i32, Frame> {
    let n = int_arg(arg).map_err(|e| msg.map(Frame::error).unwrap_or(e))?;
    i32::try_from(n).map_err(|_| {
        Frame::error(
            msg.map(str::to_string).unwrap_or_else(|| {
                format!("ERR value is out of range, value must between {} and {}", i32::MIN, i32::MAX)
            }),
        )
    })
}

/// A database index argument: an int, then a valid index (`ERR DB index is out of range`).
fn db_index_arg(ctx: &Ctx, arg: &[u8]) -> Result<usize, Frame> {
    let id = int32_arg(arg, None)?;
    usize::try_from(id)
        .ok()
        .filter(|&i| i < ctx.engine.dbs.len())
        .ok_or_else(|| Frame::error(errors::DB_INDEX_OUT_OF_RANGE))
}

/// DEL: frees big values in the background only with `lazyfree-lazy-user-del` (LAZY-3).
fn del(ctx: &mut Ctx) -> Frame {
    let lazy = ctx.engine.config.lazyfree_lazy_user_del();
    del_generic(ctx, lazy)
}

/// UNLINK: DEL that always frees big values in the background (LAZY-3).
fn unlink(ctx: &mut Ctx) -> Frame {
    del_generic(ctx, true)
}

/// DEL and UNLINK (Redis's delGenericCommand): same reply and keyspace, `lazy` only decides
/// where the values are freed.
fn del_generic(ctx: &mut Ctx, lazy: bool) -> Frame {
    let mut deleted = 0;
    for i in 1..ctx.argc() {
        let key = ctx.arg(i);
        let (db, now) = (ctx.client.db, ctx.now_ms);
        ctx.engine.expire_if_needed(db, key, now);
        if ctx.delete_key(key, lazy) {
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
            ctx.dirty(1);
            deleted += 1;
        }
    }
    Frame::Integer(deleted)
}

fn exists(ctx: &mut Ctx) -> Frame {
    let mut count = 0;
    for i in 1..ctx.argc() {
        if lookup_read_no_touch(ctx, ctx.arg(i)).is_some() {
            count += 1;
        }
    }
    Frame::Integer(count)
}

fn type_cmd(ctx: &mut Ctx) -> Frame {
    let name = lookup_read_no_touch(ctx, ctx.arg(1)).map_or("none", |e| e.value.type_name());
    Frame::simple(name)
}

fn rename(ctx: &mut Ctx) -> Frame {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx) -> Frame {
    rename_generic(ctx, true)
}

/// RENAME and RENAMENX: the value moves with its expiry; an existing destination is replaced
/// (RENAME) or left alone with reply 0 (RENAMENX).
fn rename_generic(ctx: &mut Ctx, nx: bool) -> Frame {
    let (src, dst) = (ctx.arg(1), ctx.arg(2));
    if ctx.lookup_write(src).is_none() {
        return Frame::error(errors::NO_SUCH_KEY);
    }
    let success = if nx { Frame::Integer(1) } else { Frame::ok() };
    if src == dst {
        return if nx { Frame::Integer(0) } else { Frame::ok() };
    }
    if ctx.lookup_write(dst).is_some() {
        if nx {
            return Frame::Integer(0);
        }
        // The replaced value is freed as a server-side delete (LAZY-6).
        if let Some(old) = ctx.db().remove(dst) {
            ctx.engine.free_entry(old, ctx.engine.config.lazyfree_lazy_server_del());
        }
    }
    let Some(entry) = ctx.db().remove(src) else {
        return Frame::error(errors::NO_SUCH_KEY);
    };
    ctx.db().insert_entry(dst.to_vec(), entry);
    ctx.signal_modified(src);
    ctx.signal_modified(dst);
    ctx.notify(NOTIFY_GENERIC, "rename_from", src);
    ctx.notify(NOTIFY_GENERIC, "rename_to", dst);
    ctx.dirty(1);
    success
}

/// MOVE key db: moves the key (with its expiry) to another database unless it exists there.
fn move_cmd(ctx: &mut Ctx) -> Frame {
    let key = ctx.arg(1);
    let dst = match db_index_arg(ctx, ctx.arg(2)) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let (src, now) = (ctx.client.db, ctx.now_ms);
    if dst == src {
        return Frame::error(errors::SAME_OBJECT);
    }
    if ctx.lookup_write(key).is_none() {
        return Frame::Integer(0);
    }
    ctx.engine.expire_if_needed(dst, key, now);
    if ctx.engine.dbs[dst].contains(key) {
        return Frame::Integer(0);
    }
    let Some(entry) = ctx.engine.dbs[src].remove(key) else {
        return Frame::Integer(0);
    };
    ctx.engine.dbs[dst].insert_entry(key.to_vec(), entry);
    ctx.signal_modified_in(src, key);
    ctx.signal_modified_in(dst, key);
    ctx.notify_in(src, NOTIFY_GENERIC, "move_from", key);
    ctx.notify_in(dst, NOTIFY_GENERIC, "move_to", key);
    ctx.dirty(1);
    Frame::Integer(1)
}

/// COPY source destination [DB db] [REPLACE].
fn copy(ctx: &mut Ctx) -> Frame {
    let (src_key, dst_key) = (ctx.arg(1), ctx.arg(2));
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut i = 3;
    while i < ctx.argc() {
        let more = ctx.argc() - i - 1;
        if is(ctx.arg(i), "replace") {
            replace = true;
        } else if is(ctx.arg(i), "db") && more >= 1 {
            dst = match db_index_arg(ctx, ctx.arg(i + 1)) {
                Ok(d) => d,
                Err(e) => return e,
            };
            i += 1;
        } else {
            return Frame::error(errors::SYNTAX);
        }
        i += 1;
    }
    if src == dst && src_key == dst_key {
        return Frame::error(errors::SAME_OBJECT);
    }
    let Some(value) = ctx.lookup_read(src_key).cloned() else {
        return Frame::Integer(0);
    };
    let expire_at_ms = ctx.engine.dbs[src].expire_of(src_key);
    let now = ctx.now_ms;
    ctx.engine.expire_if_needed(dst, dst_key, now);
    if ctx.engine.dbs[dst].contains(dst_key) {
        if !replace {
            return Frame::Integer(0);
        }
        if let Some(old) = ctx.engine.dbs[dst].remove(dst_key) {
            ctx.engine.free_entry(old, ctx.engine.config.lazyfree_lazy_server_del());
        }
    }
    // The copy is a new object: its access time is now.
    let entry = Entry::new(value, expire_at_ms, now);
    ctx.engine.dbs[dst].insert_entry(dst_key.to_vec(), entry);
    ctx.signal_modified_in(dst, dst_key);
    ctx.notify_in(dst, NOTIFY_GENERIC, "copy_to", dst_key);
    ctx.dirty(1);
    Frame::Integer(1)
}

/// SWAPDB index1 index2: swaps the two databases' contents; clients stay on their index.
fn swapdb(ctx: &mut Ctx) -> Frame {
    let first = match int32_arg(ctx.arg(1), Some("ERR invalid first DB index")) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let second = match int32_arg(ctx.arg(2), Some("ERR invalid second DB index")) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let count = ctx.engine.dbs.len();
    let valid = |n: i32| usize::try_from(n).ok().filter(|&i| i < count);
    let (Some(a), Some(b)) = (valid(first), valid(second)) else {
        return Frame::error(errors::DB_INDEX_OUT_OF_RANGE);
    };
    ctx.engine.touch_swapped_dbs(a, b, ctx.now_ms);
    let (streams_a, streams_b) = (ctx.engine.waited_stream_keys(a), ctx.engine.waited_stream_keys(b));
    ctx.engine.dbs.swap(a, b);
    ctx.engine.signal_lost_streams(a, &streams_a);
    ctx.engine.signal_lost_streams(b, &streams_b);
    // Clients blocked on keys that exist in the swapped-in contents may be served now.
    ctx.engine.signal_db_ready(a);
    ctx.engine.signal_db_ready(b);
    ctx.dirty(1);
    Frame::ok()
}

fn select(ctx: &mut Ctx) -> Frame {
    match db_index_arg(ctx, ctx.arg(1)) {
        Ok(db) => {
            ctx.client.db = db;
            Frame::ok()
        }
        Err(e) => e,
    }
}

/// DBSIZE: the number of keys, not counting keys whose time has passed but that no lookup or
/// expire cycle has removed yet (Redis counts those too; verdis never shows an expired key).
fn dbsize(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms;
    let db = ctx.db();
    Frame::Integer((db.len() - db.stale_count(now)) as i64)
}

/// RANDOMKEY: a random live key; expired keys it lands on are removed (as Redis's dbRandomKey).
fn randomkey(ctx: &mut Ctx) -> Frame {
    let (db, now) = (ctx.client.db, ctx.now_ms);
    // Each round either answers or removes one key, so this ends.
    for _ in 0..=ctx.engine.dbs[db].len() {
        let engine = &mut *ctx.engine;
        let Some(key) = engine.dbs[db].random_key(&mut engine.rng).map(<[u8]>::to_vec) else {
            return Frame::Null;
        };
        if !engine.expire_if_needed(db, &key, now) {
            return Frame::Bulk(key);
        }
    }
    Frame::Null
}

/// TOUCH: counts the keys that exist, updating their access time.
fn touch(ctx: &mut Ctx) -> Frame {
    let mut count = 0;
    for i in 1..ctx.argc() {
        if ctx.lookup_read(ctx.arg(i)).is_some() {
            count += 1;
        }
    }
    Frame::Integer(count)
}

/// KEYS pattern: every live key matching the pattern, in table order. Like Redis it skips
/// expired keys without removing them.
fn keys(ctx: &mut Ctx) -> Frame {
    let pattern = ctx.arg(1);
    let all = pattern == b"*";
    let now = ctx.now_ms;
    let db = ctx.db();
    let found: Vec<Frame> = db
        .iter()
        .filter(|(k, e)| (all || string_match(pattern, k, false)) && e.expire_at_ms().is_none_or(|t| t >= now))
        .map(|(k, _)| Frame::Bulk(k.to_vec()))
        .collect();
    Frame::Array(found)
}

/// Redis's parseScanCursorOrReply: C's strtoul in base 10 over the whole argument (an optional
/// sign, `-n` wrapping around, an empty argument meaning 0), no leading space, no overflow.
pub(crate) fn parse_scan_cursor(arg: &[u8]) -> Result<u64, Frame> {
    let invalid = || Frame::error("ERR invalid cursor");
    if arg.first().is_some_and(|&c| c == b' ' || (b'\t'..=b'\r').contains(&c)) {
        return Err(invalid());
    }
    let (negative, digits_start) = match arg.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let digits = arg[digits_start..].iter().take_while(|c| c.is_ascii_digit()).count();
    // With no digits strtoul stops at the very start; the rest is then the whole argument.
    let rest = if digits == 0 { arg } else { &arg[digits_start + digits..] };
    // Redis checks only that parsing stopped at a NUL (the end of its C string).
    if rest.first().is_some_and(|&c| c != 0) {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &c in &arg[digits_start..digits_start + digits] {
        value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(c - b'0'))).ok_or_else(invalid)?;
    }
    Ok(if negative { value.wrapping_neg() } else { value })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
fn scan(ctx: &mut Ctx) -> Frame {
    let cursor = match parse_scan_cursor(ctx.arg(1)) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.argc() {
        let more = ctx.argc() - i;
        if is(ctx.arg(i), "count") && more >= 2 {
            count = match int_arg(ctx.arg(i + 1)) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if count < 1 {
                return Frame::error(errors::SYNTAX);
            }
        } else if is(ctx.arg(i), "match") && more >= 2 {
            let p = ctx.arg(i + 1);
            // `*` matches everything, so it is the same as no pattern.
            pattern = if p == b"*" { None } else { Some(p) };
        } else if is(ctx.arg(i), "type") && more >= 2 {
            type_name = Some(ctx.arg(i + 1));
        } else {
            return Frame::error(errors::SYNTAX);
        }
        i += 2;
    }

    let (next, found) = scan_buckets(ctx, cursor, count);
    let mut keys = Vec::with_capacity(found.len());
    for key in found {
        if pattern.is_some_and(|p| !string_match(p, &key, false)) {
            continue;
        }
        if let Some(wanted) = type_name {
            // As Redis: a read lookup (expiring the key, counting a hit or miss), no touch.
            let actual = lookup_read_no_touch(ctx, &key).map_or("none", |e| e.value.type_name());
            if !wanted.eq_ignore_ascii_case(actual.as_bytes()) {
                continue;
            }
        }
        let (db, now) = (ctx.client.db, ctx.now_ms);
        if ctx.engine.expire_if_needed(db, &key, now) || !ctx.engine.dbs[db].contains(&key) {
            continue; // expired (Redis would still list it under TYPE none; verdis never does)
        }
        keys.push(Frame::Bulk(key));
    }
    // Redis replies with the cursor as a signed 64-bit number.
    Frame::Array(vec![Frame::Bulk((next as i64).to_string().into_bytes()), Frame::Array(keys)])
}

/// The iteration step of SCAN (Redis's scanGenericCommand): visits buckets from `cursor` until
/// `count` keys were collected, the iteration ended, or `count * 10` extra buckets were visited
/// (a sparse table must not make one call slow). Returns the next cursor and the keys.
fn scan_buckets(ctx: &mut Ctx, mut cursor: u64, count: i64) -> (u64, Vec<Vec<u8>>) {
    let want = count as u64; // count >= 1
    let mut max_iterations = count.wrapping_mul(10);
    let db = ctx.db();
    let mut found: Vec<Vec<u8>> = Vec::new();
    loop {
        cursor = db.scan(cursor, |k, _| found.push(k.to_vec()));
        let keep_going = cursor != 0 && max_iterations != 0 && (found.len() as u64) < want;
        max_iterations = max_iterations.wrapping_sub(1);
        if !keep_going {
            break;
        }
    }
    (cursor, found)
}

/// OBJECT's lookup: a read lookup without touching the key. `None` means reply Null.
fn object_entry<'c>(ctx: &'c mut Ctx) -> Option<&'c Entry> {
    lookup_no_touch_generic(ctx, ctx.arg(2), false)
}

/// True when maxmemory-policy is an LFU policy: keys then carry an access counter, not an
/// idle time.
fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.engine.config.maxmemory_policy().is_lfu()
}

fn object_encoding(ctx: &mut Ctx) -> Frame {
    object_entry(ctx).map_or(Frame::Null, |e| Frame::bulk_str(e.value.encoding()))
}

/// Values Redis shares between keys (small non-negative integers stored by SET and friends)
/// report OBJ_SHARED_REFCOUNT; every other value is referenced once.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// Integers below this are shared objects in Redis (OBJ_SHARED_INTEGERS).
const SHARED_INTEGERS: i64 = 10_000;

fn object_refcount(ctx: &mut Ctx) -> Frame {
    let shared = shares_integers(&ctx.engine.config);
    object_entry(ctx).map_or(Frame::Null, |e| Frame::Integer(refcount(&e.value, shared)))
}

/// Whether small integers are shared objects: not under a maxmemory LRU or LFU policy.
pub(crate) fn shares_integers(config: &crate::engine::config::Config) -> bool {
    config.num_value(crate::engine::config::index_of("maxmemory")) == 0
        || !config.maxmemory_policy().no_shared_integers()
}

/// The reference count Redis would report for a value (OBJECT REFCOUNT, DEBUG OBJECT).
pub(crate) fn refcount(value: &crate::engine::value::Value, shared_integers: bool) -> i64 {
    use crate::engine::value::{StrValue, Value};
    match value {
        Value::Str(StrValue::Int(n)) if shared_integers && (0..SHARED_INTEGERS).contains(n) => SHARED_REFCOUNT,
        _ => 1,
    }
}

fn object_idletime(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms;
    let lfu = lfu_policy(ctx);
    let Some(entry) = object_entry(ctx) else {
        return Frame::Null;
    };
    if lfu {
        return Frame::error(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
    }
    // Redis's LRU clock ticks in whole seconds.
    Frame::Integer((now / 1000).saturating_sub(entry.access_ms() / 1000) as i64)
}

fn object_freq(ctx: &mut Ctx) -> Frame {
    let lfu = lfu_policy(ctx);
    let (now, params) = (ctx.now_ms, ctx.engine.lfu_params());
    let Some(entry) = object_entry(ctx) else {
        return Frame::Null;
    };
    if !lfu {
        return Frame::error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
             that when switching between policies at runtime LRU and LFU data will take some time \
             to adjust.",
        );
    }
    Frame::Integer(i64::from(crate::engine::evict::lfu_decayed(entry, now, params)))
}

fn object_help(_ctx: &mut Ctx) -> Frame {
    help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

/// Redis's addReplyHelp: a header naming the command, the lines, and the HELP entry, each as a
/// status reply.
pub(crate) fn help_reply(command: &str, lines: &[&str]) -> Frame {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Frame::Simple(format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")));
    out.extend(lines.iter().map(|l| Frame::simple(l)));
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}

#[cfg(test)]
#[path = "keyspace_tests.rs"]
pub(crate) mod tests;
