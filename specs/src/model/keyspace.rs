//! Keyspace, database and connection commands (Redis: db.c, server.c).

use super::dispatch::Call;
use super::notify::GENERIC;
use super::{Item, Model, NUM_DBS};
use crate::glob;
use crate::num::{int32_arg, int_arg, opt_is, parse_scan_cursor};
use crate::reply::Reply;
use std::collections::BTreeSet;

/// DEL and UNLINK: how many of the named keys were live and are now gone (a
/// key named twice counts once).
pub(super) fn del(m: &mut Model, call: &Call) -> Reply {
    let mut removed = 0;
    for key in &call.argv[1..] {
        if m.delete(call.db, key, call.now_ms) {
            m.notify_call(call, GENERIC, "del", key);
            removed += 1;
        }
    }
    Reply::Int(removed)
}

/// EXISTS: how many of the named keys are live (a key named twice counts
/// twice).
pub(super) fn exists(m: &mut Model, call: &Call) -> Reply {
    let found = call.argv[1..].iter().filter(|key| m.exists(call.db, key, call.now_ms)).count();
    Reply::Int(found as i64)
}

/// TOUCH counts like EXISTS (access times are not modelled).
pub(super) fn touch(m: &mut Model, call: &Call) -> Reply {
    exists(m, call)
}

pub(super) fn type_cmd(m: &mut Model, call: &Call) -> Reply {
    let name = m.lookup(call.db, call.arg(1), call.now_ms).map_or("none", |item| item.value.type_name());
    Reply::Status(name.to_string())
}

/// RENAME/RENAMENX: the value and the TTL move to the new name; an existing
/// destination is replaced (RENAME) or blocks the move (RENAMENX).
fn rename_generic(m: &mut Model, call: &Call, nx: bool) -> Reply {
    let (src, dst) = (call.arg(1), call.arg(2));
    if !m.exists(call.db, src, call.now_ms) {
        return Reply::err("no such key");
    }
    let done = if nx { Reply::Int(1) } else { Reply::ok() };
    if src == dst {
        return if nx { Reply::Int(0) } else { done };
    }
    if nx && m.exists(call.db, dst, call.now_ms) {
        return Reply::Int(0);
    }
    let map = &mut m.dbs[call.db];
    if let Some(item) = map.remove(src) {
        map.insert(dst.to_vec(), item);
    }
    m.touch(call.db, src);
    m.touch(call.db, dst);
    m.notify_call(call, GENERIC, "rename_from", src);
    m.notify_call(call, GENERIC, "rename_to", dst);
    done
}

pub(super) fn rename(m: &mut Model, call: &Call) -> Reply {
    rename_generic(m, call, false)
}

pub(super) fn renamenx(m: &mut Model, call: &Call) -> Reply {
    rename_generic(m, call, true)
}

/// A database index argument: a 32-bit integer naming one of the 16 dbs.
fn db_index(arg: &[u8]) -> Result<usize, Reply> {
    let id = int32_arg(arg, None)?;
    usize::try_from(id).ok().filter(|&id| id < NUM_DBS).ok_or_else(|| Reply::err("DB index is out of range"))
}

pub(super) fn move_cmd(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let dst = match db_index(call.arg(2)) {
        Ok(db) => db,
        Err(e) => return e,
    };
    if dst == call.db {
        return Reply::err("source and destination objects are the same");
    }
    if !m.exists(call.db, key, call.now_ms) || m.exists(dst, key, call.now_ms) {
        return Reply::Int(0);
    }
    if let Some(item) = m.dbs[call.db].remove(key) {
        m.dbs[dst].insert(key.to_vec(), item);
    }
    m.touch(call.db, key);
    m.touch(dst, key);
    m.notify(call.client, GENERIC, "move_from", call.db, key);
    m.notify(call.client, GENERIC, "move_to", dst, key);
    Reply::Int(1)
}

pub(super) fn copy(m: &mut Model, call: &Call) -> Reply {
    let (src, dst) = (call.arg(1), call.arg(2));
    let mut replace = false;
    let mut dst_db = call.db;
    let mut j = 3;
    while j < call.argv.len() {
        let opt = call.arg(j);
        if opt_is(opt, "REPLACE") {
            replace = true;
        } else if opt_is(opt, "DB") && j + 1 < call.argv.len() {
            dst_db = match db_index(call.arg(j + 1)) {
                Ok(db) => db,
                Err(e) => return e,
            };
            j += 1;
        } else {
            return Reply::err("syntax error");
        }
        j += 1;
    }
    if dst_db == call.db && src == dst {
        return Reply::err("source and destination objects are the same");
    }
    let Some(item) = m.lookup(call.db, src, call.now_ms).cloned() else {
        return Reply::Int(0);
    };
    if m.exists(dst_db, dst, call.now_ms) && !replace {
        return Reply::Int(0);
    }
    m.dbs[dst_db].insert(dst.to_vec(), item);
    m.touch(dst_db, dst);
    m.notify(call.client, GENERIC, "copy_to", dst_db, dst);
    Reply::Int(1)
}

pub(super) fn swapdb(m: &mut Model, call: &Call) -> Reply {
    let first = match int32_arg(call.arg(1), Some("invalid first DB index")) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let second = match int32_arg(call.arg(2), Some("invalid second DB index")) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let in_range = |id: i64| usize::try_from(id).ok().filter(|&i| i < NUM_DBS);
    match (in_range(first), in_range(second)) {
        (Some(a), Some(b)) => {
            // Clients keep their db numbers and so see the swapped contents.
            if a != b {
                m.touch_db(a, Some(b), call.now_ms);
                m.touch_db(b, Some(a), call.now_ms);
            }
            m.dbs.swap(a, b);
            Reply::ok()
        }
        _ => Reply::err("DB index is out of range"),
    }
}

pub(super) fn select(m: &mut Model, call: &Call) -> Reply {
    match db_index(call.arg(1)) {
        Ok(db) => {
            m.client_mut(call.client).db = db;
            Reply::ok()
        }
        Err(e) => e,
    }
}

/// DBSIZE counts stored keys, including dead ones not reclaimed yet.
pub(super) fn dbsize(m: &mut Model, call: &Call) -> Reply {
    Reply::Int(m.stored_len(call.db) as i64)
}

/// Live keys of the caller's db matching a KEYS/SCAN pattern (None = all).
pub(super) fn matching_keys(m: &Model, db: usize, now_ms: u64, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
    m.dbs[db]
        .iter()
        .filter(|(_, item): &(&Vec<u8>, &Item)| !item.is_dead(now_ms))
        .filter(|(key, _)| pattern.is_none_or(|p| glob::matches(p, key)))
        .map(|(key, _)| key.clone())
        .collect()
}

/// KEYS: every live key matching; the model lists them in byte order (Redis's
/// order is its hash table's, so checks compare as sets).
pub(super) fn keys(m: &mut Model, call: &Call) -> Reply {
    let pattern = call.arg(1);
    // The exact pattern "*" skips matching, so it also lists the empty key.
    let pattern = if pattern == b"*" { None } else { Some(pattern) };
    let found = matching_keys(m, call.db, call.now_ms, pattern);
    Reply::Array(found.into_iter().map(Reply::Bulk).collect())
}

/// RANDOMKEY: the model answers with the first live key; any live key is a
/// valid answer, nil only when there is none.
pub(super) fn randomkey(m: &mut Model, call: &Call) -> Reply {
    matching_keys(m, call.db, call.now_ms, None).into_iter().next().map_or(Reply::Nil, Reply::Bulk)
}

/// The parsed arguments of SCAN.
pub(crate) struct ScanArgs {
    pub cursor: u64,
    pub pattern: Option<Vec<u8>>,
    pub type_name: Option<Vec<u8>>,
}

pub(crate) fn parse_scan(argv: &[Vec<u8>]) -> Result<ScanArgs, Reply> {
    let cursor = parse_scan_cursor(&argv[1]).ok_or_else(|| Reply::err("invalid cursor"))?;
    let mut args = ScanArgs { cursor, pattern: None, type_name: None };
    let mut i = 2;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        let opt = &argv[i];
        if opt_is(opt, "COUNT") && has_value {
            let count = int_arg(&argv[i + 1])?;
            if count < 1 {
                return Err(Reply::err("syntax error"));
            }
        } else if opt_is(opt, "MATCH") && has_value {
            let pattern = &argv[i + 1];
            args.pattern = if pattern == b"*" { None } else { Some(pattern.clone()) };
        } else if opt_is(opt, "TYPE") && has_value {
            args.type_name = Some(argv[i + 1].clone());
        } else {
            return Err(Reply::err("syntax error"));
        }
        i += 2;
    }
    Ok(args)
}

/// What SCAN may report for one pattern and type filter.
///
/// `must`: the live keys that pass both filters; a complete iteration
/// reports each of them. `may`: keys that may also appear. That is the
/// dead-but-stored keys matching the pattern when the type filter is
/// `none`: Redis's type check deletes a dead key and sees type "none", and
/// its expiry check then finds nothing left to expire, so the key is
/// reported (Redis 7.0 db.c scanGenericCommand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanExpectation {
    /// Keys a complete iteration must report.
    pub must: BTreeSet<Vec<u8>>,
    /// Further keys any SCAN reply may contain.
    pub may: BTreeSet<Vec<u8>>,
}

impl ScanExpectation {
    /// True when one reply may contain `key`.
    pub fn allows(&self, key: &[u8]) -> bool {
        self.must.contains(key) || self.may.contains(key)
    }

    /// Checks the union of the keys of a complete iteration.
    pub fn check_union(&self, union: &BTreeSet<Vec<u8>>) -> Result<(), String> {
        let show = |keys: Vec<&Vec<u8>>| -> Vec<String> {
            keys.into_iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect()
        };
        let missing = show(self.must.difference(union).collect());
        let extra = show(union.iter().filter(|k| !self.allows(k)).collect());
        if missing.is_empty() && extra.is_empty() {
            Ok(())
        } else {
            Err(format!("full SCAN: missing {missing:?}, unexpected {extra:?}"))
        }
    }
}

/// True when `type_name` (compared ignoring case, as a C string) names `t`.
fn type_is(type_name: &[u8], t: &str) -> bool {
    crate::num::c_str(type_name).eq_ignore_ascii_case(t.as_bytes())
}

/// The SCAN expectation for `db` at `now_ms`. `pattern` `None` (or `*`)
/// and `type_name` `None` disable the filters.
pub(crate) fn scan_expectation(
    m: &Model,
    db: usize,
    now_ms: u64,
    pattern: Option<&[u8]>,
    type_name: Option<&[u8]>,
) -> ScanExpectation {
    let pattern = pattern.filter(|p| *p != b"*");
    let mut must = BTreeSet::new();
    let mut may = BTreeSet::new();
    for (key, item) in &m.dbs[db] {
        if !pattern.is_none_or(|p| glob::matches(p, key)) {
            continue;
        }
        if item.is_dead(now_ms) {
            if type_name.is_some_and(|t| type_is(t, "none")) {
                may.insert(key.clone());
            }
        } else if type_name.is_none_or(|t| type_is(t, item.value.type_name())) {
            must.insert(key.clone());
        }
    }
    ScanExpectation { must, may }
}

/// Redis deletes every dead key it visits that matches the pattern; after a
/// complete iteration, that is all of them.
pub(crate) fn reclaim_scanned(m: &mut Model, db: usize, now_ms: u64, pattern: Option<&[u8]>) {
    let pattern = pattern.filter(|p| *p != b"*");
    let reclaimed: Vec<Vec<u8>> = m.dbs[db]
        .iter()
        .filter(|(key, item)| item.is_dead(now_ms) && pattern.is_none_or(|p| glob::matches(p, key)))
        .map(|(key, _)| key.clone())
        .collect();
    for key in reclaimed {
        m.dbs[db].remove(&key);
        m.touch(db, &key);
    }
}

/// SCAN: the model answers with every key of the expectation and cursor 0;
/// [`Model::check`] accepts any reply whose keys the expectation allows.
pub(super) fn scan(m: &mut Model, call: &Call) -> Reply {
    let args = match parse_scan(call.argv) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let pattern = args.pattern.as_deref();
    let exp = scan_expectation(m, call.db, call.now_ms, pattern, args.type_name.as_deref());
    if args.cursor == 0 {
        // Answering cursor 0 from cursor 0 claims a complete iteration, which
        // visits (and reclaims) every dead key matching the pattern.
        reclaim_scanned(m, call.db, call.now_ms, pattern);
    } else {
        // Reported dead keys were deleted on the way.
        for key in &exp.may {
            m.dbs[call.db].remove(key);
            m.touch(call.db, key);
        }
    }
    let keys = exp.must.union(&exp.may).cloned().map(Reply::Bulk).collect();
    Reply::Array(vec![Reply::bulk("0"), Reply::Array(keys)])
}

/// FLUSHDB/FLUSHALL accept nothing, SYNC or ASYNC.
fn flush_option_ok(call: &Call) -> bool {
    match call.argv.len() {
        1 => true,
        2 => opt_is(call.arg(1), "SYNC") || opt_is(call.arg(1), "ASYNC"),
        _ => false,
    }
}

pub(super) fn flushdb(m: &mut Model, call: &Call) -> Reply {
    if !flush_option_ok(call) {
        return Reply::err("syntax error");
    }
    m.touch_db(call.db, None, call.now_ms);
    m.dbs[call.db].clear();
    Reply::ok()
}

pub(super) fn flushall(m: &mut Model, call: &Call) -> Reply {
    if !flush_option_ok(call) {
        return Reply::err("syntax error");
    }
    for db in 0..NUM_DBS {
        m.touch_db(db, None, call.now_ms);
    }
    for db in &mut m.dbs {
        db.clear();
    }
    Reply::ok()
}

pub(super) fn ping(m: &mut Model, call: &Call) -> Reply {
    // A subscribed RESP2 client gets the reply in the shape of a message.
    if call.argv.len() <= 2 && m.client(call.client).resp == 2 && m.subscribed(call.client) {
        let text = call.argv.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk("pong"), Reply::Bulk(text)]);
    }
    match call.argv.len() {
        1 => Reply::Status("PONG".to_string()),
        2 => Reply::Bulk(call.arg(1).to_vec()),
        _ => call.wrong_arity(),
    }
}

/// RESET: the connection as new (database 0, RESP2), out of any
/// transaction, watching and subscribed to nothing.
pub(super) fn reset(m: &mut Model, call: &Call) -> Reply {
    m.leave_all(call.client);
    let c = m.client_mut(call.client);
    c.db = 0;
    c.resp = 2;
    c.queue = None;
    c.queue_refused = false;
    c.watching.clear();
    c.watch_touched = false;
    Reply::Status("RESET".to_string())
}

pub(super) fn echo(_m: &mut Model, call: &Call) -> Reply {
    Reply::Bulk(call.arg(1).to_vec())
}
