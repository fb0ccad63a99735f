//! Stream commands (Redis: t_stream.c), over a plain `Vec` of live entries.
//!
//! Not modelled: the listpack nodes Redis groups entries in, so approximate (`~`) trimming and
//! XINFO STREAM (whose radix-tree counters depend on them) are left to the interop and unit
//! tests; blocking reads are not generated. Everything else — IDs, exact trimming, tombstone
//! bookkeeping, consumer groups with their pending lists, delivery counts and times, the
//! entries-read counter and lag — is computed directly here.

use super::dispatch::Call;
use super::{wrongtype, Item, MValue, Model};
use crate::num::{int_arg, opt_is, parse_i64};
use crate::reply::Reply;
use std::collections::BTreeMap;

/// A stream ID as (milliseconds, sequence); tuples order as IDs do.
pub type Id = (u64, u64);

const MAX_ID: Id = (u64::MAX, u64::MAX);

/// A stream: its live entries in ID order plus the metadata Redis 7.0 keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamValue {
    pub entries: Vec<(Id, Vec<(Vec<u8>, Vec<u8>)>)>,
    pub last_id: Id,
    /// `recorded-first-entry-id`.
    pub first_id: Id,
    pub max_deleted_id: Id,
    pub entries_added: u64,
    pub groups: BTreeMap<Vec<u8>, GroupValue>,
}

/// A consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupValue {
    pub last_id: Id,
    /// `None` when unknown (Redis stores -1).
    pub entries_read: Option<u64>,
    /// Pending entries: owner, last delivery time, delivery count.
    pub pending: BTreeMap<Id, PendingValue>,
    /// Consumers and their last seen time.
    pub consumers: BTreeMap<Vec<u8>, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingValue {
    pub consumer: Vec<u8>,
    pub delivered_ms: u64,
    pub count: u64,
}

impl std::fmt::Display for StreamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.entries.iter().map(|(id, _)| show(*id)).collect();
        write!(
            f,
            "stream[{}] last={} first={} maxdel={} added={} groups={:?}",
            ids.join(" "),
            show(self.last_id),
            show(self.first_id),
            show(self.max_deleted_id),
            self.entries_added,
            self.groups
        )
    }
}

fn show(id: Id) -> String {
    format!("{}-{}", id.0, id.1)
}

fn id_reply(id: Id) -> Reply {
    Reply::Bulk(show(id).into_bytes())
}

fn invalid_id() -> Reply {
    Reply::err("Invalid stream ID specified as stream command argument")
}

/// A decimal number as Redis's string2ull reads it: its strict integer grammar (not negative),
/// or failing that strtoull's (spaces, sign, leading zeros; a minus wraps), without overflow.
fn read_u64(text: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(text) {
        return if v < 0 { None } else { Some(v as u64) };
    }
    let trimmed: &[u8] = {
        let start = text.iter().position(|b| !b" \t\n\r\x0b\x0c".contains(b)).unwrap_or(text.len());
        &text[start..]
    };
    let (neg, digits) = match trimmed.first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || digits.iter().any(|d| !d.is_ascii_digit()) {
        return None;
    }
    let mut value: u64 = 0;
    for d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { 0u64.wrapping_sub(value) } else { value })
}

/// An ID argument: `ms` or `ms-seq` (a missing sequence is `missing_seq`); `-`/`+` only when
/// `special` is allowed; `ms-*` only when `star` (then the second value is false).
fn read_id(arg: &[u8], missing_seq: u64, special: bool, star: bool) -> Option<(Id, bool)> {
    if arg.len() >= 128 {
        return None;
    }
    let text = crate::num::c_str(arg);
    match text {
        b"-" => return special.then_some(((0, 0), true)),
        b"+" => return special.then_some((MAX_ID, true)),
        _ => {}
    }
    let Some(dash) = text.iter().position(|&b| b == b'-') else {
        return Some(((read_u64(text)?, missing_seq), true));
    };
    let ms = read_u64(&text[..dash])?;
    let tail = &text[dash + 1..];
    if star && tail == b"*" {
        return Some(((ms, 0), false));
    }
    Some(((ms, read_u64(tail)?), true))
}

fn strict_id(arg: &[u8]) -> Result<Id, Reply> {
    read_id(arg, 0, false, false).map(|(id, _)| id).ok_or_else(invalid_id)
}

fn succ(id: Id) -> Option<Id> {
    if id.1 < u64::MAX {
        Some((id.0, id.1 + 1))
    } else if id.0 < u64::MAX {
        Some((id.0 + 1, 0))
    } else {
        None
    }
}

fn pred(id: Id) -> Option<Id> {
    if id.1 > 0 {
        Some((id.0, id.1 - 1))
    } else if id.0 > 0 {
        Some((id.0 - 1, u64::MAX))
    } else {
        None
    }
}

/// A range bound: `(` excludes (then `-`/`+` are refused), otherwise `-`/`+` allowed.
fn bound(arg: &[u8], missing_seq: u64) -> Result<(Id, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        let id = read_id(&arg[1..], missing_seq, false, false).ok_or_else(invalid_id)?.0;
        Ok((id, true))
    } else {
        Ok((read_id(arg, missing_seq, true, false).ok_or_else(invalid_id)?.0, false))
    }
}

fn range_bounds(start: &[u8], end: &[u8]) -> Result<(Id, Id), Reply> {
    let (mut lo, lo_ex) = bound(start, 0)?;
    if lo_ex {
        lo = succ(lo).ok_or_else(|| Reply::err("invalid start ID for the interval"))?;
    }
    let (mut hi, hi_ex) = bound(end, u64::MAX)?;
    if hi_ex {
        hi = pred(hi).ok_or_else(|| Reply::err("invalid end ID for the interval"))?;
    }
    Ok((lo, hi))
}

fn entry_reply(id: Id, fields: &[(Vec<u8>, Vec<u8>)]) -> Reply {
    let flat = fields.iter().flat_map(|(f, v)| [Reply::bulk(f), Reply::bulk(v)]).collect();
    Reply::Array(vec![id_reply(id), Reply::Array(flat)])
}

impl StreamValue {
    fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// True when a deleted entry may lie at or after `from` (Redis checks its recorded
    /// maximal deleted ID against the range).
    pub(super) fn tombstone_from(&self, from: Id) -> bool {
        self.len() > 0
            && self.max_deleted_id != (0, 0)
            && self.max_deleted_id >= self.first_id
            && from <= self.max_deleted_id
    }

    /// The entries-read counter an ID corresponds to, when it can be known.
    pub(super) fn counter_of(&self, id: Id) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.len() == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        let clean = self.max_deleted_id == (0, 0) || self.max_deleted_id < self.first_id;
        if clean && id < self.first_id {
            return Some(self.entries_added - self.len());
        }
        if clean && id == self.first_id {
            return Some(self.entries_added - self.len() + 1);
        }
        None
    }

    pub(super) fn lag(&self, g: &GroupValue) -> Reply {
        if self.entries_added == 0 {
            return Reply::Int(0);
        }
        let known = match g.entries_read {
            Some(n) if !self.tombstone_from(g.last_id) => Some(n),
            _ => self.counter_of(g.last_id),
        };
        known.map_or(Reply::Nil, |n| Reply::Int((self.entries_added as i64).wrapping_sub(n as i64)))
    }

    /// Removes entries from the head for exact trimming; returns how many.
    fn trim(&mut self, max_len: Option<u64>, min_id: Option<Id>) -> u64 {
        let before = self.len();
        if let Some(max) = max_len {
            let drop = self.len().saturating_sub(max) as usize;
            self.entries.drain(..drop);
        }
        if let Some(min) = min_id {
            self.entries.retain(|(id, _)| *id >= min);
        }
        let removed = before - self.len();
        if self.entries.is_empty() {
            self.first_id = (0, 0);
        } else if removed > 0 {
            self.first_id = self.entries[0].0;
        }
        removed
    }
}

impl Model {
    /// The stream at `key`: `Ok(None)` when missing, WRONGTYPE for another type.
    pub(super) fn stream_at(&mut self, db: usize, key: &[u8], now_ms: u64) -> Result<Option<StreamValue>, Reply> {
        match self.lookup(db, key, now_ms).map(|i| &i.value) {
            None => Ok(None),
            Some(MValue::Stream(s)) => Ok(Some((**s).clone())),
            Some(_) => Err(wrongtype()),
        }
    }

    /// Stores a stream (streams may be empty), keeping the key's TTL.
    pub(super) fn put_stream(&mut self, db: usize, key: &[u8], s: StreamValue) {
        let map = &mut self.dbs[db];
        let expire_at_ms = map.get(key).and_then(|i| i.expire_at_ms);
        map.insert(key.to_vec(), Item { value: MValue::Stream(Box::new(s)), expire_at_ms });
    }

    /// Stores a stream changed by a command that Redis does not count as modifying the key
    /// (consumer-group bookkeeping): watchers are not disturbed.
    pub(super) fn put_stream_quietly(&mut self, db: usize, key: &[u8], s: StreamValue) {
        self.quiet_changes.insert((db, key.to_vec()));
        self.put_stream(db, key, s);
    }
}

/// Parsed XADD/XTRIM options.
#[derive(Default)]
struct Trim {
    max_len: Option<u64>,
    min_id: Option<Id>,
    approx: bool,
    limit_given: bool,
    limit: i64,
    /// XADD: where the ID is, the ID (None for `*`) and whether its sequence was given.
    id_at: usize,
    id: Option<(Id, bool)>,
    no_mkstream: bool,
}

fn parse_trim(call: &Call, xadd: bool) -> Result<Trim, Reply> {
    let argv = call.argv;
    let mut t = Trim::default();
    let mut i = 2;
    while i < argv.len() {
        let left = argv.len() - 1 - i;
        let a = &argv[i];
        if xadd && crate::num::c_str(a) == b"*" {
            break;
        }
        let is_max = opt_is(a, "MAXLEN");
        if (is_max || opt_is(a, "MINID")) && left >= 1 {
            if t.max_len.is_some() || t.min_id.is_some() {
                return Err(Reply::err("syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            t.approx = false;
            let next = crate::num::c_str(&argv[i + 1]);
            if left >= 2 && (next == b"~" || next == b"=") {
                t.approx = next == b"~";
                i += 1;
            }
            let v = &argv[i + 1];
            if is_max {
                let n = int_arg(v)?;
                if n < 0 {
                    return Err(Reply::err("The MAXLEN argument must be >= 0."));
                }
                t.max_len = Some(n as u64);
            } else {
                t.min_id = Some(strict_id(v)?);
            }
            i += 2;
        } else if opt_is(a, "LIMIT") && left >= 1 {
            let n = int_arg(&argv[i + 1])?;
            if n < 0 {
                return Err(Reply::err("The LIMIT argument must be >= 0."));
            }
            t.limit = n;
            t.limit_given = true;
            i += 2;
        } else if xadd && opt_is(a, "NOMKSTREAM") {
            t.no_mkstream = true;
            i += 1;
        } else if xadd {
            t.id = Some(read_id(a, 0, false, true).ok_or_else(invalid_id)?);
            break;
        } else {
            return Err(Reply::err("syntax error"));
        }
    }
    t.id_at = i;
    let strategy = t.max_len.is_some() || t.min_id.is_some();
    if t.limit != 0 && !strategy {
        return Err(Reply::err("syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && !strategy {
        return Err(Reply::err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if t.limit_given && !t.approx {
        return Err(Reply::err("syntax error, LIMIT cannot be used without the special ~ option"));
    }
    Ok(t)
}

pub(super) fn xadd(m: &mut Model, call: &Call) -> Reply {
    let t = match parse_trim(call, true) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let rest = call.argv.len() - t.id_at - 1;
    if call.argv.len() <= t.id_at + 1 || rest % 2 == 1 {
        return call.wrong_arity();
    }
    if let Some(((0, 0), true)) = t.id {
        return Reply::err("The ID specified in XADD must be greater than 0-0");
    }
    let key = call.arg(1);
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(Some(s)) => s,
        Ok(None) if t.no_mkstream => return Reply::Nil,
        Ok(None) => StreamValue::default(),
    };
    if s.last_id == MAX_ID {
        return Reply::err("The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match t.id {
        None => Some(if call.now_ms > s.last_id.0 { (call.now_ms, 0) } else { succ(s.last_id).unwrap_or((0, 0)) }),
        Some((id, true)) => Some(id),
        Some(((ms, _), false)) if ms == s.last_id.0 => s.last_id.1.checked_add(1).map(|seq| (ms, seq)),
        Some((id, false)) => Some(id),
    };
    let Some(id) = id.filter(|id| *id > s.last_id) else {
        let msg = if id.is_none() {
            "Elements are too large to be stored"
        } else {
            "The ID specified in XADD is equal or smaller than the target stream top item"
        };
        return Reply::err(msg);
    };
    let fields = call.argv[t.id_at + 1..].chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    s.entries.push((id, fields));
    s.last_id = id;
    s.entries_added += 1;
    if s.entries.len() == 1 {
        s.first_id = id;
    }
    if !t.approx {
        s.trim(t.max_len, t.min_id);
    }
    m.put_stream(call.db, key, s);
    id_reply(id)
}

pub(super) fn xtrim(m: &mut Model, call: &Call) -> Reply {
    let t = match parse_trim(call, false) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let key = call.arg(1);
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(s)) => s,
    };
    if t.approx {
        // Whole-node trimming is not modelled (no generated op uses `~`).
        return Reply::Int(0);
    }
    let n = s.trim(t.max_len, t.min_id);
    if n > 0 {
        m.put_stream(call.db, key, s);
    }
    Reply::Int(n as i64)
}

pub(super) fn xlen(m: &mut Model, call: &Call) -> Reply {
    match m.stream_at(call.db, call.arg(1), call.now_ms) {
        Err(e) => e,
        Ok(s) => Reply::Int(s.map_or(0, |s| s.len() as i64)),
    }
}

fn range_cmd(m: &mut Model, call: &Call, rev: bool) -> Reply {
    let (a, b) = if rev { (call.arg(3), call.arg(2)) } else { (call.arg(2), call.arg(3)) };
    let (lo, hi) = match range_bounds(a, b) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut count: Option<i64> = None;
    let mut i = 4;
    while i < call.argv.len() {
        if opt_is(call.arg(i), "COUNT") && i + 1 < call.argv.len() {
            match int_arg(call.arg(i + 1)) {
                Ok(n) => count = Some(n.max(0)),
                Err(e) => return e,
            }
            i += 2;
        } else {
            return Reply::err("syntax error");
        }
    }
    let s = match m.stream_at(call.db, call.arg(1), call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(s)) => s,
    };
    if count == Some(0) {
        return Reply::NilArray;
    }
    let mut picked: Vec<&(Id, Vec<(Vec<u8>, Vec<u8>)>)> =
        s.entries.iter().filter(|(id, _)| lo <= *id && *id <= hi).collect();
    if rev {
        picked.reverse();
    }
    let n = count.map_or(usize::MAX, |c| c as usize);
    Reply::Array(picked.into_iter().take(n).map(|(id, f)| entry_reply(*id, f)).collect())
}

pub(super) fn xrange(m: &mut Model, call: &Call) -> Reply {
    range_cmd(m, call, false)
}

pub(super) fn xrevrange(m: &mut Model, call: &Call) -> Reply {
    range_cmd(m, call, true)
}

pub(super) fn xdel(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(s)) => s,
    };
    let mut ids = Vec::new();
    for a in &call.argv[2..] {
        match strict_id(a) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let mut n = 0;
    let mut first_gone = false;
    for id in ids {
        let Some(pos) = s.entries.iter().position(|(e, _)| *e == id) else { continue };
        s.entries.remove(pos);
        n += 1;
        first_gone |= id == s.first_id;
        s.max_deleted_id = s.max_deleted_id.max(id);
    }
    if n > 0 {
        if s.entries.is_empty() {
            s.first_id = (0, 0);
        } else if first_gone {
            s.first_id = s.entries[0].0;
        }
        m.put_stream(call.db, key, s);
    }
    Reply::Int(n)
}

pub(super) fn xsetid(m: &mut Model, call: &Call) -> Reply {
    let id = match strict_id(call.arg(2)) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut added: Option<u64> = None;
    let mut max_del = (0, 0);
    let mut i = 3;
    while i < call.argv.len() {
        let has_value = i + 1 < call.argv.len();
        if opt_is(call.arg(i), "ENTRIESADDED") && has_value {
            match int_arg(call.arg(i + 1)) {
                Err(e) => return e,
                Ok(n) if n < 0 => return Reply::err("entries_added must be positive"),
                Ok(n) => added = Some(n as u64),
            }
        } else if opt_is(call.arg(i), "MAXDELETEDID") && has_value {
            match strict_id(call.arg(i + 1)) {
                Err(e) => return e,
                Ok(d) if id < d => {
                    return Reply::err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
                }
                Ok(d) => max_del = d,
            }
        } else {
            return Reply::err("syntax error");
        }
        i += 2;
    }
    let key = call.arg(1);
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::err("no such key"),
        Ok(Some(s)) => s,
    };
    if let Some((top, _)) = s.entries.last() {
        if id < *top {
            return Reply::err("The ID specified in XSETID is smaller than the target stream top item");
        }
        if added.is_some_and(|a| a < s.len()) {
            return Reply::err("The entries_added specified in XSETID is smaller than the target stream length");
        }
    }
    s.last_id = id;
    if let Some(a) = added {
        s.entries_added = a;
    }
    if max_del != (0, 0) {
        s.max_deleted_id = max_del;
    }
    m.put_stream_quietly(call.db, key, s);
    Reply::ok()
}

pub(super) fn parse_strict(arg: &[u8]) -> Result<Id, Reply> {
    strict_id(arg)
}

pub(super) fn parse_loose(arg: &[u8]) -> Result<Id, Reply> {
    read_id(arg, 0, true, false).map(|(id, _)| id).ok_or_else(invalid_id)
}

pub(super) fn parse_range(start: &[u8], end: &[u8]) -> Result<(Id, Id), Reply> {
    range_bounds(start, end)
}

pub(super) fn parse_bound(arg: &[u8]) -> Result<(Id, bool), Reply> {
    bound(arg, 0)
}

pub(super) fn next_id(id: Id) -> Option<Id> {
    succ(id)
}
