//! String commands (Redis: t_string.c).

use super::dispatch::Call;
use super::notify::{GENERIC, STRING};
use super::{Model, PROTO_MAX_BULK_LEN};
use crate::ld;
use crate::num::{int_arg, opt_is, parse_i64};
use crate::reply::Reply;

/// How an expire argument is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireKind {
    /// Relative seconds.
    Ex,
    /// Relative milliseconds.
    Px,
    /// Absolute Unix seconds.
    ExAt,
    /// Absolute Unix milliseconds.
    PxAt,
}

/// The options shared by SET and GETEX.
#[derive(Default)]
struct ExtOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

/// Parses SET's (`for_set`) or GETEX's options starting at argument `first`.
/// Each option is accepted only when it does not conflict with the options
/// seen so far; repeating an option is allowed and the last value wins.
fn parse_ext_options<'a>(call: &'a Call, first: usize, for_set: bool) -> Result<ExtOptions<'a>, Reply> {
    let mut o = ExtOptions::default();
    let mut j = first;
    while j < call.argv.len() {
        let opt = call.arg(j);
        let next = call.argv.get(j + 1).map(Vec::as_slice);
        let kind_is = |k: ExpireKind| o.expire.is_none_or(|(cur, _)| cur == k);
        let expire_kind =
            [("EX", ExpireKind::Ex), ("PX", ExpireKind::Px), ("EXAT", ExpireKind::ExAt), ("PXAT", ExpireKind::PxAt)]
                .into_iter()
                .find(|(name, _)| opt_is(opt, name))
                .map(|(_, k)| k);
        if for_set && opt_is(opt, "NX") && !o.xx {
            o.nx = true;
        } else if for_set && opt_is(opt, "XX") && !o.nx {
            o.xx = true;
        } else if for_set && opt_is(opt, "GET") {
            o.get = true;
        } else if for_set && opt_is(opt, "KEEPTTL") && !o.persist && o.expire.is_none() {
            o.keep_ttl = true;
        } else if !for_set && opt_is(opt, "PERSIST") && o.expire.is_none() && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(kind), Some(value)) = (expire_kind, next) {
            if o.keep_ttl || o.persist || !kind_is(kind) {
                return Err(Reply::err("syntax error"));
            }
            o.expire = Some((kind, value));
            j += 1;
        } else {
            return Err(Reply::err("syntax error"));
        }
        j += 1;
    }
    Ok(o)
}

/// Converts an expire argument to an absolute time in ms, rejecting
/// non-positive values and anything that overflows a signed 64-bit ms time.
fn expire_at(call: &Call, kind: ExpireKind, arg: &[u8]) -> Result<i64, Reply> {
    let n = int_arg(arg)?;
    if n <= 0 {
        return Err(call.invalid_expire());
    }
    let n = i128::from(n);
    let at = match kind {
        ExpireKind::Ex => n * 1000 + i128::from(call.now_ms),
        ExpireKind::Px => n + i128::from(call.now_ms),
        ExpireKind::ExAt => n * 1000,
        ExpireKind::PxAt => n,
    };
    if matches!(kind, ExpireKind::Ex | ExpireKind::ExAt) && n > i128::from(i64::MAX / 1000) {
        return Err(call.invalid_expire());
    }
    i64::try_from(at).map_err(|_| call.invalid_expire())
}

/// GET's reply for a key: the value or nil.
fn value_reply(value: Option<Vec<u8>>) -> Reply {
    value.map_or(Reply::Nil, Reply::Bulk)
}

/// The core of SET, SETNX, SETEX, PSETEX (Redis: setGenericCommand).
/// `ok`/`aborted` are the replies for "stored" and "not stored by NX/XX".
fn set_generic(m: &mut Model, call: &Call, o: &ExtOptions, value: &[u8], ok: Reply, aborted: Reply) -> Reply {
    let key = call.arg(1);
    let at_ms = match o.expire {
        Some((kind, arg)) => match expire_at(call, kind, arg) {
            Ok(at) => Some(at),
            Err(e) => return e,
        },
        None => None,
    };
    // GET reads the old value first: a key of another type is an error.
    let old = if o.get {
        match m.get_str(call.db, key, call.now_ms) {
            Ok(old) => old,
            Err(e) => return e,
        }
    } else {
        None
    };
    let found = m.exists(call.db, key, call.now_ms);
    if (o.nx && found) || (o.xx && !found) {
        return if o.get { value_reply(old) } else { aborted };
    }
    if o.get {
        // Redis writes the GET reply before storing.
        m.reply_here();
    }
    m.set_str(call.db, key, value.to_vec(), o.keep_ttl);
    m.notify_call(call, STRING, "set", key);
    if let Some(at) = at_ms {
        // Positive by construction; an absolute time in the past stores a
        // key that is already dead.
        m.set_expire(call.db, key, Some(at as u64));
        m.notify_call(call, GENERIC, "expire", key);
    }
    if o.get {
        value_reply(old)
    } else {
        ok
    }
}

pub(super) fn get(m: &mut Model, call: &Call) -> Reply {
    m.get_str(call.db, call.arg(1), call.now_ms).map_or_else(|e| e, value_reply)
}

pub(super) fn set(m: &mut Model, call: &Call) -> Reply {
    match parse_ext_options(call, 3, true) {
        Ok(o) => set_generic(m, call, &o, call.arg(2), Reply::ok(), Reply::Nil),
        Err(e) => e,
    }
}

pub(super) fn setnx(m: &mut Model, call: &Call) -> Reply {
    let o = ExtOptions { nx: true, ..ExtOptions::default() };
    set_generic(m, call, &o, call.arg(2), Reply::Int(1), Reply::Int(0))
}

fn set_with_expire(m: &mut Model, call: &Call, kind: ExpireKind) -> Reply {
    let o = ExtOptions { expire: Some((kind, call.arg(2))), ..ExtOptions::default() };
    set_generic(m, call, &o, call.arg(3), Reply::ok(), Reply::Nil)
}

pub(super) fn setex(m: &mut Model, call: &Call) -> Reply {
    set_with_expire(m, call, ExpireKind::Ex)
}

pub(super) fn psetex(m: &mut Model, call: &Call) -> Reply {
    set_with_expire(m, call, ExpireKind::Px)
}

pub(super) fn mget(m: &mut Model, call: &Call) -> Reply {
    // A key of another type reads as nil.
    let values =
        call.argv[1..].iter().map(|key| value_reply(m.get_str(call.db, key, call.now_ms).ok().flatten())).collect();
    Reply::Array(values)
}

/// MSET and MSETNX: pairs are stored left to right (a repeated key keeps
/// its last value), each without TTL.
fn mset_generic(m: &mut Model, call: &Call, nx: bool) -> Reply {
    if call.argv.len().is_multiple_of(2) {
        return call.wrong_arity();
    }
    let pairs = &call.argv[1..];
    if nx {
        // Every key is looked up (and reclaimed if dead) until one exists.
        for pair in pairs.chunks(2) {
            if m.exists(call.db, &pair[0], call.now_ms) {
                return Reply::Int(0);
            }
        }
    }
    for pair in pairs.chunks(2) {
        m.set_str(call.db, &pair[0], pair[1].clone(), false);
        m.notify_call(call, STRING, "set", &pair[0]);
    }
    if nx {
        Reply::Int(1)
    } else {
        Reply::ok()
    }
}

pub(super) fn mset(m: &mut Model, call: &Call) -> Reply {
    mset_generic(m, call, false)
}

pub(super) fn msetnx(m: &mut Model, call: &Call) -> Reply {
    mset_generic(m, call, true)
}

pub(super) fn getset(m: &mut Model, call: &Call) -> Reply {
    let old = match m.get_str(call.db, call.arg(1), call.now_ms) {
        Ok(old) => old,
        Err(e) => return e,
    };
    // Redis writes GETSET's reply before storing.
    m.reply_here();
    m.set_str(call.db, call.arg(1), call.arg(2).to_vec(), false);
    m.notify_call(call, STRING, "set", call.arg(1));
    value_reply(old)
}

pub(super) fn getdel(m: &mut Model, call: &Call) -> Reply {
    let old = match m.get_str(call.db, call.arg(1), call.now_ms) {
        Ok(old) => old,
        Err(e) => return e,
    };
    if old.is_some() {
        // Redis writes the value before deleting the key.
        m.reply_here();
        m.delete(call.db, call.arg(1), call.now_ms);
        m.notify_call(call, GENERIC, "del", call.arg(1));
    }
    value_reply(old)
}

pub(super) fn getex(m: &mut Model, call: &Call) -> Reply {
    let o = match parse_ext_options(call, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let key = call.arg(1);
    let value = match m.get_str(call.db, key, call.now_ms) {
        Ok(Some(value)) => value,
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let at_ms = match o.expire {
        Some((kind, arg)) => match expire_at(call, kind, arg) {
            Ok(at) => Some((kind, at)),
            Err(e) => return e,
        },
        None => None,
    };
    // Redis writes the value before changing the expiry.
    m.reply_here();
    match at_ms {
        // An absolute time that is not in the future deletes the key.
        Some((ExpireKind::ExAt | ExpireKind::PxAt, at)) if at <= call.now_ms as i64 => {
            m.delete(call.db, key, call.now_ms);
            m.notify_call(call, GENERIC, "del", key);
        }
        Some((_, at)) => {
            m.set_expire(call.db, key, Some(at as u64));
            m.notify_call(call, GENERIC, "expire", key);
        }
        None if o.persist && m.expire_of(call.db, key, call.now_ms).is_some() => {
            m.set_expire(call.db, key, None);
            m.notify_call(call, GENERIC, "persist", key);
        }
        None => {}
    }
    Reply::Bulk(value)
}

/// Rejects results longer than proto-max-bulk-len.
fn check_length(len: u64) -> Result<(), Reply> {
    if len > PROTO_MAX_BULK_LEN {
        Err(Reply::err("string exceeds maximum allowed size (proto-max-bulk-len)"))
    } else {
        Ok(())
    }
}

pub(super) fn append(m: &mut Model, call: &Call) -> Reply {
    let (key, extra) = (call.arg(1), call.arg(2));
    let mut value = match m.get_str(call.db, key, call.now_ms) {
        Ok(value) => value,
        Err(e) => return e,
    };
    if let Some(current) = &value {
        if let Err(e) = check_length(current.len() as u64 + extra.len() as u64) {
            return e;
        }
    }
    let mut bytes = value.take().unwrap_or_default();
    bytes.extend_from_slice(extra);
    let len = bytes.len();
    m.overwrite_str(call.db, key, bytes);
    m.notify_call(call, STRING, "append", key);
    Reply::Int(len as i64)
}

pub(super) fn strlen(m: &mut Model, call: &Call) -> Reply {
    match m.get_str(call.db, call.arg(1), call.now_ms) {
        Ok(value) => Reply::Int(value.map_or(0, |v| v.len()) as i64),
        Err(e) => e,
    }
}

/// GETRANGE and SUBSTR: inclusive byte range, negative indexes count from
/// the end, out-of-range indexes are clamped.
pub(super) fn getrange(m: &mut Model, call: &Call) -> Reply {
    let (start, end) = match (int_arg(call.arg(2)), int_arg(call.arg(3))) {
        (Ok(s), Ok(e)) => (i128::from(s), i128::from(e)),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let value = match m.get_str(call.db, call.arg(1), call.now_ms) {
        Ok(Some(value)) => value,
        Ok(None) => return Reply::Bulk(Vec::new()),
        Err(e) => return e,
    };
    let len = value.len() as i128;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Vec::new());
    }
    let start = if start < 0 { (start + len).max(0) } else { start };
    let end = if end < 0 { (end + len).max(0) } else { end };
    let end = end.min(len - 1);
    if len == 0 || start > end {
        return Reply::Bulk(Vec::new());
    }
    Reply::Bulk(value[start as usize..=end as usize].to_vec())
}

pub(super) fn setrange(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let patch = call.arg(3);
    let offset = match int_arg(call.arg(2)) {
        Ok(o) => o,
        Err(e) => return e,
    };
    if offset < 0 {
        return Reply::err("offset is out of range");
    }
    let current = match m.get_str(call.db, key, call.now_ms) {
        Ok(current) => current,
        Err(e) => return e,
    };
    if patch.is_empty() {
        // Nothing to write: report the current length, create nothing.
        return Reply::Int(current.map_or(0, |v| v.len() as i64));
    }
    if let Err(e) = check_length(offset as u64 + patch.len() as u64) {
        return e;
    }
    let mut bytes = current.unwrap_or_default();
    let offset = offset as usize;
    if bytes.len() < offset + patch.len() {
        bytes.resize(offset + patch.len(), 0);
    }
    bytes[offset..offset + patch.len()].copy_from_slice(patch);
    let len = bytes.len();
    m.overwrite_str(call.db, key, bytes);
    m.notify_call(call, STRING, "setrange", key);
    Reply::Int(len as i64)
}

/// INCR and friends: the current value (0 when missing) must be a strict
/// 64-bit integer; overflow is an error; the TTL is kept.
fn incr_by(m: &mut Model, call: &Call, delta: i64) -> Reply {
    let key = call.arg(1);
    let current = match m.get_str(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => 0,
        Ok(Some(bytes)) => match parse_i64(&bytes) {
            Some(v) => v,
            None => return Reply::err(crate::num::NOT_INT),
        },
    };
    let Some(next) = current.checked_add(delta) else {
        return Reply::err("increment or decrement would overflow");
    };
    m.overwrite_str(call.db, key, next.to_string().into_bytes());
    m.notify_call(call, STRING, "incrby", key);
    Reply::Int(next)
}

pub(super) fn incr(m: &mut Model, call: &Call) -> Reply {
    incr_by(m, call, 1)
}

pub(super) fn decr(m: &mut Model, call: &Call) -> Reply {
    incr_by(m, call, -1)
}

pub(super) fn incrby(m: &mut Model, call: &Call) -> Reply {
    match int_arg(call.arg(2)) {
        Ok(delta) => incr_by(m, call, delta),
        Err(e) => e,
    }
}

pub(super) fn decrby(m: &mut Model, call: &Call) -> Reply {
    match int_arg(call.arg(2)) {
        Ok(i64::MIN) => Reply::err("decrement would overflow"),
        Ok(delta) => incr_by(m, call, -delta),
        Err(e) => e,
    }
}

pub(super) fn incrbyfloat(m: &mut Model, call: &Call) -> Reply {
    const NOT_FLOAT: &str = "value is not a valid float";
    let key = call.arg(1);
    let current = match m.get_str(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => ld::from_i64(0),
        Ok(Some(bytes)) => match ld::parse(&bytes) {
            Some(v) => v,
            None => return Reply::err(NOT_FLOAT),
        },
    };
    let Some(delta) = ld::parse(call.arg(2)) else {
        return Reply::err(NOT_FLOAT);
    };
    let Some(sum) = ld::add(current, delta) else {
        return Reply::err("increment would produce NaN or Infinity");
    };
    let text = ld::format_human(sum).into_bytes();
    m.overwrite_str(call.db, key, text.clone());
    m.notify_call(call, STRING, "incrbyfloat", key);
    Reply::Bulk(text)
}

/// The options of LCS.
struct LcsOptions {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: i64,
}

fn parse_lcs_options(call: &Call) -> Result<LcsOptions, Reply> {
    let mut o = LcsOptions { len: false, idx: false, with_match_len: false, min_match_len: 0 };
    let mut j = 3;
    while j < call.argv.len() {
        let opt = call.arg(j);
        let has_next = j + 1 < call.argv.len();
        if opt_is(opt, "IDX") {
            o.idx = true;
        } else if opt_is(opt, "LEN") {
            o.len = true;
        } else if opt_is(opt, "WITHMATCHLEN") {
            o.with_match_len = true;
        } else if opt_is(opt, "MINMATCHLEN") && has_next {
            o.min_match_len = int_arg(call.arg(j + 1))?.max(0);
            j += 1;
        } else {
            return Err(Reply::err("syntax error"));
        }
        j += 1;
    }
    if o.len && o.idx {
        return Err(Reply::err("If you want both the length and indexes, please just use IDX."));
    }
    Ok(o)
}

/// One common run found by LCS: inclusive ranges in a and in b.
struct Run {
    a: (usize, usize),
    b: (usize, usize),
}

/// The longest common subsequence by the textbook table, and the matching
/// runs found walking back from the end: on a tie between dropping a byte
/// of `a` or of `b`, the byte of `b` is dropped (this choice decides which
/// of several equally long subsequences is reported).
fn lcs_table_walk(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Run>) {
    let (n, k) = (a.len(), b.len());
    let mut t = vec![vec![0u32; k + 1]; n + 1];
    for i in 1..=n {
        for j in 1..=k {
            t[i][j] = if a[i - 1] == b[j - 1] { t[i - 1][j - 1] + 1 } else { t[i - 1][j].max(t[i][j - 1]) };
        }
    }
    let mut common = Vec::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut current: Option<Run> = None;
    let (mut i, mut j) = (n, k);
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            common.push(a[i - 1]);
            match &mut current {
                // Walking backwards, a match right before the run extends it.
                Some(run) if run.a.0 == i && run.b.0 == j => {
                    run.a.0 -= 1;
                    run.b.0 -= 1;
                }
                Some(_) => {
                    runs.extend(current.take());
                    current = Some(Run { a: (i - 1, i - 1), b: (j - 1, j - 1) });
                }
                None => current = Some(Run { a: (i - 1, i - 1), b: (j - 1, j - 1) }),
            }
            i -= 1;
            j -= 1;
        } else {
            runs.extend(current.take());
            if t[i - 1][j] > t[i][j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
        }
    }
    runs.extend(current.take());
    common.reverse();
    (common, runs)
}

pub(super) fn lcs(m: &mut Model, call: &Call) -> Reply {
    // Both keys are read before either is checked; any other type is refused
    // with LCS's own message, before the options are parsed.
    let a = m.get_str(call.db, call.arg(1), call.now_ms);
    let b = m.get_str(call.db, call.arg(2), call.now_ms);
    let (Ok(a), Ok(b)) = (a, b) else {
        return Reply::err("The specified keys must contain string values");
    };
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let o = match parse_lcs_options(call) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // The table of (len a + 1) x (len b + 1) 32-bit cells may not exceed
    // proto-max-bulk-len (long strings such as dense HyperLogLogs reach it).
    if (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4 > PROTO_MAX_BULK_LEN {
        return Reply::err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    let (common, runs) = lcs_table_walk(&a, &b);
    if o.len {
        return Reply::Int(common.len() as i64);
    }
    if !o.idx {
        return Reply::Bulk(common);
    }
    let pair = |(x, y): (usize, usize)| Reply::Array(vec![Reply::Int(x as i64), Reply::Int(y as i64)]);
    let matches = runs
        .into_iter()
        .filter_map(|run| {
            let run_len = (run.a.1 - run.a.0 + 1) as i64;
            if o.min_match_len > 0 && run_len < o.min_match_len {
                return None;
            }
            let mut entry = vec![pair(run.a), pair(run.b)];
            if o.with_match_len {
                entry.push(Reply::Int(run_len));
            }
            Some(Reply::Array(entry))
        })
        .collect();
    Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), Reply::Int(common.len() as i64)),
    ])
}
