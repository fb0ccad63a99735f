//! Hash commands (Redis: t_hash.c), over a `BTreeMap` from field to value.
//!
//! Encodings (listpack, hashtable) are representation and are not modelled,
//! so neither is iteration order: HKEYS, HVALS and HGETALL reply in field
//! order here and are judged as unordered (see [`check_open_reply`]).
//! HRANDFIELD and HSCAN replies are judged too, not predicted.

use super::dispatch::Call;
use super::notify::{GENERIC, HASH};
use super::{wrongtype, Item, MValue, Model};
use crate::glob;
use crate::ld;
use crate::num::{int_arg, opt_is, parse_i64, parse_scan_cursor};
use crate::reply::Reply;
use std::collections::{BTreeMap, BTreeSet};

/// A hash: field to value, never empty while stored.
pub type Fields = BTreeMap<Vec<u8>, Vec<u8>>;

/// verdis refuses negative HRANDFIELD counts asking for more picks than
/// this (Redis would try to build the reply until memory runs out).
pub const MAX_RANDOM_PICKS: u64 = 10_000_000;

impl Model {
    /// The hash at `key` (deleting the key if it is dead): `Ok(None)` when
    /// missing, WRONGTYPE for another type.
    fn get_hash(&mut self, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Fields>, Reply> {
        match self.lookup(db, key, now_ms).map(|item| &item.value) {
            None => Ok(None),
            Some(MValue::Hash(h)) => Ok(Some(h.clone())),
            Some(_) => Err(wrongtype()),
        }
    }

    /// Stores a hash, keeping the key's TTL; an empty hash deletes the key.
    fn put_hash(&mut self, db: usize, key: &[u8], fields: Fields) {
        let map = &mut self.dbs[db];
        if fields.is_empty() {
            map.remove(key);
            return;
        }
        let expire_at_ms = map.get(key).and_then(|i| i.expire_at_ms);
        map.insert(key.to_vec(), Item { value: MValue::Hash(fields), expire_at_ms });
    }
}

fn bulk(bytes: &[u8]) -> Reply {
    Reply::Bulk(bytes.to_vec())
}

fn or_nil(value: Option<&Vec<u8>>) -> Reply {
    value.map_or(Reply::Nil, |v| bulk(v))
}

/// HSET and HMSET.
pub(super) fn hset(m: &mut Model, call: &Call) -> Reply {
    if call.argv.len() % 2 == 1 {
        return call.wrong_arity();
    }
    let key = call.arg(1);
    let mut h = match m.get_hash(call.db, key, call.now_ms) {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return e,
    };
    let mut added = 0;
    for pair in call.argv[2..].chunks(2) {
        if h.insert(pair[0].clone(), pair[1].clone()).is_none() {
            added += 1;
        }
    }
    m.put_hash(call.db, key, h);
    m.reply_here();
    m.notify_call(call, HASH, "hset", key);
    if call.name == "hset" {
        Reply::Int(added)
    } else {
        Reply::ok()
    }
}

pub(super) fn hsetnx(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut h = match m.get_hash(call.db, key, call.now_ms) {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return e,
    };
    if h.contains_key(call.arg(2)) {
        return Reply::Int(0);
    }
    h.insert(call.arg(2).to_vec(), call.arg(3).to_vec());
    m.put_hash(call.db, key, h);
    m.reply_here();
    m.notify_call(call, HASH, "hset", key);
    Reply::Int(1)
}

pub(super) fn hget(m: &mut Model, call: &Call) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => or_nil(h.as_ref().and_then(|h| h.get(call.arg(2)))),
        Err(e) => e,
    }
}

pub(super) fn hmget(m: &mut Model, call: &Call) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => {
            let h = h.unwrap_or_default();
            Reply::Array(call.argv[2..].iter().map(|f| or_nil(h.get(f))).collect())
        }
        Err(e) => e,
    }
}

pub(super) fn hdel(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut h = match m.get_hash(call.db, key, call.now_ms) {
        Ok(Some(h)) => h,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let deleted = call.argv[2..].iter().filter(|f| h.remove(*f).is_some()).count();
    let emptied = h.is_empty();
    m.put_hash(call.db, key, h);
    if deleted > 0 {
        m.notify_call(call, HASH, "hdel", key);
        if emptied {
            m.notify_call(call, GENERIC, "del", key);
        }
    }
    Reply::Int(deleted as i64)
}

/// A reply computed from the hash, 0 when the key is missing.
fn count_of(m: &mut Model, call: &Call, f: impl FnOnce(&Fields) -> usize) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(Some(h)) => Reply::Int(f(&h) as i64),
        Ok(None) => Reply::Int(0),
        Err(e) => e,
    }
}

pub(super) fn hlen(m: &mut Model, call: &Call) -> Reply {
    count_of(m, call, |h| h.len())
}

pub(super) fn hstrlen(m: &mut Model, call: &Call) -> Reply {
    let field = call.arg(2).to_vec();
    count_of(m, call, |h| h.get(&field).map_or(0, Vec::len))
}

pub(super) fn hexists(m: &mut Model, call: &Call) -> Reply {
    let field = call.arg(2).to_vec();
    count_of(m, call, |h| usize::from(h.contains_key(&field)))
}

pub(super) fn hkeys(m: &mut Model, call: &Call) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => Reply::Array(h.unwrap_or_default().keys().map(|f| bulk(f)).collect()),
        Err(e) => e,
    }
}

pub(super) fn hvals(m: &mut Model, call: &Call) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => Reply::Array(h.unwrap_or_default().values().map(|v| bulk(v)).collect()),
        Err(e) => e,
    }
}

pub(super) fn hgetall(m: &mut Model, call: &Call) -> Reply {
    match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => Reply::Map(h.unwrap_or_default().iter().map(|(f, v)| (bulk(f), bulk(v))).collect()),
        Err(e) => e,
    }
}

pub(super) fn hincrby(m: &mut Model, call: &Call) -> Reply {
    let incr = match int_arg(call.arg(3)) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let key = call.arg(1);
    let mut h = match m.get_hash(call.db, key, call.now_ms) {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return e,
    };
    let current = match h.get(call.arg(2)) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::err("hash value is not an integer"),
        },
    };
    let Some(sum) = current.checked_add(incr) else {
        return Reply::err("increment or decrement would overflow");
    };
    h.insert(call.arg(2).to_vec(), sum.to_string().into_bytes());
    m.put_hash(call.db, key, h);
    m.reply_here();
    m.notify_call(call, HASH, "hincrby", key);
    Reply::Int(sum)
}

pub(super) fn hincrbyfloat(m: &mut Model, call: &Call) -> Reply {
    let incr = match ld::parse(call.arg(3)) {
        Some(ld::Ld::Inf { .. }) => return Reply::err("value is NaN or Infinity"),
        Some(v) => v,
        None => return Reply::err("value is not a valid float"),
    };
    let key = call.arg(1);
    let mut h = match m.get_hash(call.db, key, call.now_ms) {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return e,
    };
    let current = match h.get(call.arg(2)) {
        None => ld::from_i64(0),
        Some(v) => match ld::parse(v) {
            Some(x) => x,
            None => return Reply::err("hash value is not a float"),
        },
    };
    let Some(sum) = ld::add(current, incr) else {
        return Reply::err("increment would produce NaN or Infinity");
    };
    let text = ld::format_human(sum).into_bytes();
    h.insert(call.arg(2).to_vec(), text.clone());
    m.put_hash(call.db, key, h);
    m.reply_here();
    m.notify_call(call, HASH, "hincrbyfloat", key);
    Reply::Bulk(text)
}

/// HRANDFIELD's parsed arguments: `None` count for the single-field form.
struct RandArgs {
    count: Option<i64>,
    with_values: bool,
}

fn parse_hrandfield(call: &Call) -> Result<RandArgs, Reply> {
    if call.argv.len() < 3 {
        return Ok(RandArgs { count: None, with_values: false });
    }
    let count = int_arg(call.arg(2))?;
    if count == i64::MIN {
        return Err(Reply::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let with_values = call.argv.len() == 4;
    if call.argv.len() > 4 || (with_values && !opt_is(call.arg(3), "WITHVALUES")) {
        return Err(Reply::err("syntax error"));
    }
    if with_values && count.unsigned_abs() > (i64::MAX / 2) as u64 {
        return Err(Reply::err("value is out of range"));
    }
    Ok(RandArgs { count: Some(count), with_values })
}

/// The reply shape of HRANDFIELD with a count for the chosen pairs.
fn pairs_reply(pairs: &[(Vec<u8>, Vec<u8>)], with_values: bool, resp3: bool) -> Reply {
    let mut items = Vec::new();
    for (f, v) in pairs {
        match (with_values, resp3) {
            (false, _) => items.push(bulk(f)),
            (true, true) => items.push(Reply::Array(vec![bulk(f), bulk(v)])),
            (true, false) => {
                items.push(bulk(f));
                items.push(bulk(v));
            }
        }
    }
    Reply::Array(items)
}

/// HRANDFIELD. The model picks deterministically (the first fields, the
/// first field repeated for negative counts); [`check_open_reply`] accepts
/// any valid choice instead.
pub(super) fn hrandfield(m: &mut Model, call: &Call) -> Reply {
    let args = match parse_hrandfield(call) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let h = match m.get_hash(call.db, call.arg(1), call.now_ms) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let Some(count) = args.count else {
        return or_nil(h.as_ref().and_then(|h| h.keys().next()));
    };
    let Some(h) = h else {
        return Reply::Array(Vec::new());
    };
    let resp3 = m.client(call.client).resp >= 3;
    let first: Vec<(Vec<u8>, Vec<u8>)> = h.into_iter().collect();
    let chosen: Vec<(Vec<u8>, Vec<u8>)> = if count >= 0 {
        first.into_iter().take(usize::try_from(count).unwrap_or(usize::MAX)).collect()
    } else if count.unsigned_abs() > MAX_RANDOM_PICKS {
        return Reply::err("value is out of range");
    } else {
        std::iter::repeat_n(first[0].clone(), count.unsigned_abs() as usize).collect()
    };
    pairs_reply(&chosen, args.with_values, resp3)
}

/// HSCAN's parsed arguments.
struct ScanArgs {
    pattern: Option<Vec<u8>>,
}

/// The options after the cursor (read only when the key holds a hash).
fn parse_hscan_options(call: &Call) -> Result<ScanArgs, Reply> {
    let mut args = ScanArgs { pattern: None };
    let mut i = 3;
    while i < call.argv.len() {
        let has_value = i + 1 < call.argv.len();
        let opt = call.arg(i);
        if opt_is(opt, "COUNT") && has_value {
            if int_arg(call.arg(i + 1))? < 1 {
                return Err(Reply::err("syntax error"));
            }
        } else if opt_is(opt, "MATCH") && has_value {
            let p = call.arg(i + 1);
            args.pattern = if p == b"*" { None } else { Some(p.to_vec()) };
        } else {
            return Err(Reply::err("syntax error"));
        }
        i += 2;
    }
    Ok(args)
}

/// What one HSCAN call may report: an error, or the pairs allowed.
fn hscan_expectation(m: &mut Model, call: &Call) -> Result<Fields, Reply> {
    if parse_scan_cursor(call.arg(2)).is_none() {
        return Err(Reply::err("invalid cursor"));
    }
    let Some(h) = m.get_hash(call.db, call.arg(1), call.now_ms)? else {
        return Ok(Fields::new());
    };
    let args = parse_hscan_options(call)?;
    Ok(h.into_iter().filter(|(f, _)| args.pattern.as_ref().is_none_or(|p| glob::matches(p, f))).collect())
}

/// HSCAN: the model replies everything at once (what Redis does for a
/// listpack); the check accepts any cursor with a subset of the pairs.
pub(super) fn hscan(m: &mut Model, call: &Call) -> Reply {
    match hscan_expectation(m, call) {
        Ok(pairs) => Reply::Array(vec![
            Reply::bulk("0"),
            Reply::Array(pairs.iter().flat_map(|(f, v)| [bulk(f), bulk(v)]).collect()),
        ]),
        Err(e) => e,
    }
}

fn bulks(items: &[Reply]) -> Option<Vec<Vec<u8>>> {
    items
        .iter()
        .map(|r| match r {
            Reply::Bulk(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// A field with its value when the reply carries values.
type FieldAndValue = (Vec<u8>, Option<Vec<u8>>);

/// The (field, value) pairs of an HRANDFIELD reply with a count, in either
/// protocol's shape.
fn reply_pairs(items: &[Reply], with_values: bool, resp3: bool) -> Option<Vec<FieldAndValue>> {
    if !with_values {
        return Some(bulks(items)?.into_iter().map(|f| (f, None)).collect());
    }
    if resp3 {
        items
            .iter()
            .map(|r| match r {
                Reply::Array(pair) => match bulks(pair)?.as_slice() {
                    [f, v] => Some((f.clone(), Some(v.clone()))),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    } else {
        let flat = bulks(items)?;
        if flat.len() % 2 != 0 {
            return None;
        }
        Some(flat.chunks(2).map(|p| (p[0].clone(), Some(p[1].clone()))).collect())
    }
}

/// Judges the replies the model does not predict exactly: the orders of
/// HKEYS/HVALS/HGETALL, and HRANDFIELD and HSCAN, which may be any valid
/// choice. `None` for other commands.
pub(super) fn check_open_reply(
    m: &mut Model,
    client: u64,
    argv: &[Vec<u8>],
    now_ms: u64,
    actual: &Reply,
    name: &str,
) -> Option<Result<(), String>> {
    if !matches!(name, "hkeys" | "hvals" | "hgetall" | "hrandfield" | "hscan") {
        return None;
    }
    let db = m.selected_db(client);
    let resp3 = m.client(client).resp >= 3;
    let before: Fields = match argv.get(1).and_then(|k| m.item(db, k, now_ms)).map(|i| &i.value) {
        Some(MValue::Hash(h)) => h.clone(),
        _ => Fields::new(),
    };
    let scan_allowed = if name == "hscan" && argv.len() >= 3 {
        let call = Call { client, db, argv, now_ms, name: "hscan" };
        Some(hscan_expectation(&mut m.clone(), &call))
    } else {
        None
    };
    let expected = m.apply(client, argv, now_ms);
    if expected == *actual {
        return Some(Ok(()));
    }
    if expected.is_error() || matches!(expected, Reply::Nil) {
        return Some(Err(expected.to_string()));
    }
    let ok = match (name, &expected, actual) {
        ("hkeys" | "hvals", Reply::Array(want), Reply::Array(got)) => {
            let sorted = |items: &[Reply]| {
                bulks(items).map(|mut v| {
                    v.sort();
                    v
                })
            };
            sorted(want) == sorted(got)
        }
        ("hgetall", Reply::Map(want), got) => {
            // A map, or its RESP2 form: a flat array of pairs.
            let got: Vec<(Reply, Reply)> = match got {
                Reply::Map(pairs) => pairs.clone(),
                Reply::Array(flat) if flat.len() % 2 == 0 => {
                    flat.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect()
                }
                _ => Vec::new(),
            };
            let as_set =
                |pairs: &[(Reply, Reply)]| pairs.iter().map(|(f, v)| format!("{f}={v}")).collect::<BTreeSet<_>>();
            want.len() == got.len() && as_set(want) == as_set(&got)
        }
        ("hrandfield", Reply::Bulk(_), Reply::Bulk(f)) => before.contains_key(f),
        ("hrandfield", Reply::Array(_), Reply::Array(items)) => {
            let count = argv.get(2).and_then(|c| parse_i64(c)).unwrap_or(0);
            let with_values = argv.len() == 4;
            match reply_pairs(items, with_values, resp3) {
                None => false,
                Some(pairs) => {
                    let real = pairs
                        .iter()
                        .all(|(f, v)| before.get(f).is_some_and(|real| v.as_ref().is_none_or(|v| v == real)));
                    let distinct = pairs.iter().map(|(f, _)| f).collect::<BTreeSet<_>>().len() == pairs.len();
                    let want_len =
                        if count >= 0 { (count as u64).min(before.len() as u64) } else { count.unsigned_abs() };
                    real && pairs.len() as u64 == want_len && (count < 0 || distinct)
                }
            }
        }
        ("hscan", _, Reply::Array(parts)) => match (scan_allowed, parts.as_slice()) {
            (Some(Ok(allowed)), [Reply::Bulk(cursor), Reply::Array(items)]) => {
                let cursor_ok = !cursor.is_empty() && cursor.iter().all(u8::is_ascii_digit);
                let pairs = bulks(items).filter(|flat| flat.len() % 2 == 0);
                cursor_ok && pairs.is_some_and(|flat| flat.chunks(2).all(|p| allowed.get(&p[0]) == Some(&p[1])))
            }
            _ => false,
        },
        _ => false,
    };
    if ok {
        Some(Ok(()))
    } else {
        Some(Err(format!("a valid reply such as {expected}")))
    }
}
