//! Set commands (Redis: t_set.c), on plain `BTreeSet`s.
//!
//! Encodings (intset, hashtable) are not modelled. Commands whose reply is
//! random (SPOP, SRANDMEMBER) answer with the smallest members here;
//! [`Model::check`](super::Model::check) accepts any valid choice and then
//! follows the choice the system under test made.

use super::dispatch::Call;
use super::notify::{GENERIC, SET};
use super::{wrongtype, Item, MValue, Model};
use crate::glob;
use crate::num::{int_arg, opt_is, parse_scan_cursor};
use crate::reply::Reply;
use std::collections::BTreeSet;

/// A set's members.
pub(crate) type Members = BTreeSet<Vec<u8>>;

/// The largest negative SRANDMEMBER count verdis serves (a documented
/// deviation: Redis has no bound and builds the reply until memory runs
/// out).
pub(crate) const MAX_REPEATED: u64 = 1 << 24;

impl Model {
    /// The members of a live set, `None` when the key is missing,
    /// `Err(WRONGTYPE)` for another type. Dead keys are deleted first.
    pub(crate) fn get_set(&mut self, db: usize, key: &[u8], now_ms: u64) -> Result<Option<Members>, Reply> {
        match self.lookup(db, key, now_ms).map(|item| &item.value) {
            None => Ok(None),
            Some(MValue::Set(members)) => Ok(Some(members.clone())),
            Some(_) => Err(wrongtype()),
        }
    }

    /// Writes a set back after changing it: the key keeps its TTL, and an
    /// empty set deletes the key. A key that did not exist is created
    /// without TTL.
    pub(crate) fn update_set(&mut self, db: usize, key: &[u8], members: Members) {
        let map = &mut self.dbs[db];
        if members.is_empty() {
            map.remove(key);
            return;
        }
        let expire_at_ms = map.get(key).and_then(|i| i.expire_at_ms);
        map.insert(key.to_vec(), Item { value: MValue::Set(members), expire_at_ms });
    }

    /// Stores a computed set as the STORE commands do: replacing any value
    /// and TTL; an empty result deletes the key instead.
    fn store_set(&mut self, db: usize, key: &[u8], members: Members) {
        let map = &mut self.dbs[db];
        if members.is_empty() {
            map.remove(key);
        } else {
            map.insert(key.to_vec(), Item { value: MValue::Set(members), expire_at_ms: None });
        }
    }
}

fn members_reply(members: impl IntoIterator<Item = Vec<u8>>) -> Reply {
    Reply::Set(members.into_iter().map(Reply::Bulk).collect())
}

/// SADD: adds the members; replies how many were new.
pub(super) fn sadd(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut set = match m.get_set(call.db, key, call.now_ms) {
        Ok(set) => set.unwrap_or_default(),
        Err(e) => return e,
    };
    let added = call.argv[2..].iter().filter(|member| set.insert(member.to_vec())).count();
    m.update_set(call.db, key, set);
    if added > 0 {
        m.notify_call(call, SET, "sadd", key);
    }
    Reply::Int(added as i64)
}

/// SREM: removes the members; replies how many were there.
pub(super) fn srem(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let mut set = match m.get_set(call.db, key, call.now_ms) {
        Ok(Some(set)) => set,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let removed = call.argv[2..].iter().filter(|member| set.remove(member.as_slice())).count();
    let emptied = set.is_empty();
    m.update_set(call.db, key, set);
    if removed > 0 {
        m.notify_call(call, SET, "srem", key);
        if emptied {
            m.notify_call(call, GENERIC, "del", key);
        }
    }
    Reply::Int(removed as i64)
}

pub(super) fn sismember(m: &mut Model, call: &Call) -> Reply {
    match m.get_set(call.db, call.arg(1), call.now_ms) {
        Ok(set) => Reply::Int(i64::from(set.is_some_and(|s| s.contains(call.arg(2))))),
        Err(e) => e,
    }
}

pub(super) fn smismember(m: &mut Model, call: &Call) -> Reply {
    match m.get_set(call.db, call.arg(1), call.now_ms) {
        Ok(set) => {
            let set = set.unwrap_or_default();
            Reply::Array(call.argv[2..].iter().map(|x| Reply::Int(i64::from(set.contains(x)))).collect())
        }
        Err(e) => e,
    }
}

pub(super) fn scard(m: &mut Model, call: &Call) -> Reply {
    match m.get_set(call.db, call.arg(1), call.now_ms) {
        Ok(set) => Reply::Int(set.map_or(0, |s| s.len()) as i64),
        Err(e) => e,
    }
}

pub(super) fn smembers(m: &mut Model, call: &Call) -> Reply {
    match m.get_set(call.db, call.arg(1), call.now_ms) {
        Ok(set) => members_reply(set.unwrap_or_default()),
        Err(e) => e,
    }
}

/// SMOVE src dst member: both keys are looked up first; a missing source
/// replies 0 before any type is checked.
pub(super) fn smove(m: &mut Model, call: &Call) -> Reply {
    let (src, dst, member) = (call.arg(1), call.arg(2), call.arg(3));
    let source = m.get_set(call.db, src, call.now_ms);
    let target = m.get_set(call.db, dst, call.now_ms);
    let mut source = match source {
        Ok(Some(s)) => s,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    let mut target = match target {
        Ok(t) => t.unwrap_or_default(),
        Err(e) => return e,
    };
    if src == dst {
        return Reply::Int(i64::from(source.contains(member)));
    }
    if !source.remove(member) {
        return Reply::Int(0);
    }
    let emptied = source.is_empty();
    m.update_set(call.db, src, source);
    m.notify_call(call, SET, "srem", src);
    if emptied {
        m.notify_call(call, GENERIC, "del", src);
    }
    let added = target.insert(member.to_vec());
    m.update_set(call.db, dst, target);
    if added {
        m.notify_call(call, SET, "sadd", dst);
    }
    Reply::Int(1)
}

/// SPOP key [count]: the model pops the smallest members.
pub(super) fn spop(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let count = match call.argv.len() {
        2 => None,
        3 => match int_arg(call.arg(2)) {
            Ok(n) if n >= 0 => Some(n as u64),
            _ => return Reply::err("value is out of range, must be positive"),
        },
        _ => return Reply::err("syntax error"),
    };
    let mut set = match m.get_set(call.db, key, call.now_ms) {
        Ok(Some(set)) => set,
        Ok(None) if count.is_some() => return Reply::Set(Vec::new()),
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let take = count.unwrap_or(1).min(set.len() as u64) as usize;
    let popped: Vec<Vec<u8>> = set.iter().take(take).cloned().collect();
    for member in &popped {
        set.remove(member);
    }
    let emptied = set.is_empty();
    m.update_set(call.db, key, set);
    if take > 0 {
        // Redis raises `spop`, writes the reply, then deletes an emptied set.
        m.notify_call(call, SET, "spop", key);
        m.reply_here();
        if emptied {
            m.notify_call(call, GENERIC, "del", key);
        }
    }
    match count {
        None => popped.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
        Some(_) => members_reply(popped),
    }
}

/// SRANDMEMBER key [count]: the model answers with the smallest members
/// (repeating the smallest one for a negative count).
pub(super) fn srandmember(m: &mut Model, call: &Call) -> Reply {
    let key = call.arg(1);
    let count = match call.argv.len() {
        2 => None,
        3 => match int_arg(call.arg(2)) {
            Ok(i64::MIN) => {
                return Reply::err(
                    "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
            }
            Ok(n) => Some(n),
            Err(e) => return e,
        },
        _ => return Reply::err("syntax error"),
    };
    let set = match m.get_set(call.db, key, call.now_ms) {
        Ok(Some(set)) => set,
        Ok(None) if count.is_some() => return Reply::Array(Vec::new()),
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let Some(count) = count else {
        return set.into_iter().next().map_or(Reply::Nil, Reply::Bulk);
    };
    if count >= 0 {
        return Reply::Array(set.into_iter().take(count as usize).map(Reply::Bulk).collect());
    }
    if count.unsigned_abs() > MAX_REPEATED {
        return Reply::err("value is out of range, verdis limits negative counts to -16777216");
    }
    let first = set.into_iter().next().unwrap_or_default();
    Reply::Array((0..count.unsigned_abs()).map(|_| Reply::Bulk(first.clone())).collect())
}

/// Looks each key up in order, as the multi-key commands do: the sets
/// (`None` for missing keys), or WRONGTYPE at the first key of another type
/// (later keys are then not looked up).
fn read_sets(m: &mut Model, call: &Call, keys: &[Vec<u8>]) -> Result<Vec<Option<Members>>, Reply> {
    keys.iter().map(|key| m.get_set(call.db, key, call.now_ms)).collect()
}

/// The intersection; empty when any key is missing.
fn intersection(sets: Vec<Option<Members>>) -> Members {
    let mut sets = sets.into_iter();
    let Some(Some(mut result)) = sets.next() else {
        return Members::new();
    };
    for set in sets {
        match set {
            Some(set) => result.retain(|x| set.contains(x)),
            None => return Members::new(),
        }
    }
    result
}

fn union(sets: Vec<Option<Members>>) -> Members {
    sets.into_iter().flatten().flatten().collect()
}

/// The first set minus all the others (missing keys are empty sets).
fn difference(sets: Vec<Option<Members>>) -> Members {
    let mut sets = sets.into_iter();
    let mut result = sets.next().flatten().unwrap_or_default();
    for set in sets.flatten() {
        result.retain(|x| !set.contains(x));
    }
    result
}

type Combine = fn(Vec<Option<Members>>) -> Members;

/// SINTER/SUNION/SDIFF over `argv[1..]`.
fn combine_reply(m: &mut Model, call: &Call, combine: Combine) -> Reply {
    match read_sets(m, call, &call.argv[1..]) {
        Ok(sets) => members_reply(combine(sets)),
        Err(e) => e,
    }
}

/// The STORE forms: `argv[1]` receives the result of `argv[2..]`.
fn combine_store(m: &mut Model, call: &Call, combine: Combine) -> Reply {
    match read_sets(m, call, &call.argv[2..]) {
        Ok(sets) => {
            // SINTERSTORE with a missing input deletes before replying; otherwise the reply
            // comes before the events.
            let early = call.name == "sinterstore" && sets.iter().any(Option::is_none);
            let result = combine(sets);
            let len = result.len();
            let dst = call.arg(1);
            let existed = m.dbs[call.db].contains_key(dst);
            m.store_set(call.db, dst, result);
            if !early {
                m.reply_here();
            }
            if len > 0 {
                m.notify_call(call, SET, call.name, dst);
            } else if existed {
                m.notify_call(call, GENERIC, "del", dst);
            }
            Reply::Int(len as i64)
        }
        Err(e) => e,
    }
}

pub(super) fn sinter(m: &mut Model, call: &Call) -> Reply {
    combine_reply(m, call, intersection)
}

pub(super) fn sunion(m: &mut Model, call: &Call) -> Reply {
    combine_reply(m, call, union)
}

pub(super) fn sdiff(m: &mut Model, call: &Call) -> Reply {
    combine_reply(m, call, difference)
}

pub(super) fn sinterstore(m: &mut Model, call: &Call) -> Reply {
    combine_store(m, call, intersection)
}

pub(super) fn sunionstore(m: &mut Model, call: &Call) -> Reply {
    combine_store(m, call, union)
}

pub(super) fn sdiffstore(m: &mut Model, call: &Call) -> Reply {
    combine_store(m, call, difference)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the
/// intersection, capped at the limit when it is not 0.
pub(super) fn sintercard(m: &mut Model, call: &Call) -> Reply {
    let numkeys = match int_arg(call.arg(1)) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Reply::err("numkeys should be greater than 0"),
    };
    let args_left = (call.argv.len() - 2) as u64;
    if numkeys > args_left {
        return Reply::err("Number of keys can't be greater than number of args");
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0u64;
    let mut j = keys_end;
    while j < call.argv.len() {
        if opt_is(call.arg(j), "LIMIT") && j + 1 < call.argv.len() {
            limit = match int_arg(call.arg(j + 1)) {
                Ok(n) if n >= 0 => n as u64,
                _ => return Reply::err("LIMIT can't be negative"),
            };
            j += 2;
        } else {
            return Reply::err("syntax error");
        }
    }
    match read_sets(m, call, &call.argv[2..keys_end]) {
        Ok(sets) => {
            let card = intersection(sets).len() as u64;
            Reply::Int(if limit == 0 { card } else { card.min(limit) } as i64)
        }
        Err(e) => e,
    }
}

/// The options of SSCAN after a key that exists.
pub(crate) struct SscanArgs {
    pub pattern: Option<Vec<u8>>,
}

/// Parses SSCAN's COUNT (an integer of at least 1) and MATCH options.
fn parse_sscan_options(argv: &[Vec<u8>]) -> Result<SscanArgs, Reply> {
    let mut args = SscanArgs { pattern: None };
    let mut j = 3;
    while j < argv.len() {
        let has_value = j + 1 < argv.len();
        if opt_is(&argv[j], "COUNT") && has_value {
            let count = int_arg(&argv[j + 1])?;
            if count < 1 {
                return Err(Reply::err("syntax error"));
            }
        } else if opt_is(&argv[j], "MATCH") && has_value {
            args.pattern = Some(argv[j + 1].clone());
        } else {
            return Err(Reply::err("syntax error"));
        }
        j += 2;
    }
    Ok(args)
}

/// What one SSCAN call may report, after its errors: `None` when the
/// reply must be exactly `["0", []]` (a missing key), or the members it may
/// contain.
pub(crate) fn sscan_allowed(m: &mut Model, call: &Call) -> Result<Option<Members>, Reply> {
    if parse_scan_cursor(call.arg(2)).is_none() {
        return Err(Reply::err("invalid cursor"));
    }
    let Some(set) = m.get_set(call.db, call.arg(1), call.now_ms)? else {
        return Ok(None);
    };
    let args = parse_sscan_options(call.argv)?;
    let pattern = args.pattern.filter(|p| p != b"*");
    Ok(Some(set.into_iter().filter(|x| pattern.as_deref().is_none_or(|p| glob::matches(p, x))).collect()))
}

/// SSCAN: the model answers with cursor 0 and every matching member;
/// [`Model::check`](super::Model::check) accepts any subset with any cursor.
pub(super) fn sscan(m: &mut Model, call: &Call) -> Reply {
    match sscan_allowed(m, call) {
        Ok(members) => Reply::Array(vec![
            Reply::bulk("0"),
            Reply::Array(members.unwrap_or_default().into_iter().map(Reply::Bulk).collect()),
        ]),
        Err(e) => e,
    }
}

/// The distinct byte strings of an array or set reply; `None` if an element
/// is not a bulk string.
fn bulk_items(items: &[Reply]) -> Option<Vec<Vec<u8>>> {
    items
        .iter()
        .map(|r| match r {
            Reply::Bulk(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

fn distinct(items: &[Vec<u8>]) -> bool {
    items.iter().collect::<BTreeSet<_>>().len() == items.len()
}

/// Judges the set commands whose reply Redis leaves open; `None` for every
/// other command (the generic comparison applies). The model's state
/// advances as with `apply`, following the choices `actual` made.
///
/// - SMEMBERS, SINTER, SUNION, SDIFF: the members in any order.
/// - SPOP: members of the set before the call (distinct, as many as asked
///   or the whole set); the model then removes exactly those.
/// - SRANDMEMBER: members of the set; distinct and as many as the set
///   allows for a positive count, exactly |count| for a negative one.
/// - SSCAN: any members that match, with any decimal cursor; a call that
///   goes from cursor 0 to cursor 0 has seen the whole set.
pub(super) fn check_open_reply(
    m: &mut Model,
    client: u64,
    argv: &[Vec<u8>],
    now_ms: u64,
    actual: &Reply,
    name: &str,
) -> Option<Result<(), String>> {
    if !matches!(name, "smembers" | "sinter" | "sunion" | "sdiff" | "spop" | "srandmember" | "sscan") {
        return None;
    }
    let db = m.selected_db(client);
    let key = argv.get(1).cloned().unwrap_or_default();
    // The set as it was before the call (live keys only, no side effects).
    let before: Option<Members> = match m.item(db, &key, now_ms).map(|i| &i.value) {
        Some(MValue::Set(s)) => Some(s.clone()),
        _ => None,
    };
    let sscan_expect = if name == "sscan" && argv.len() >= 3 {
        let call = Call { client, db, argv, now_ms, name: "sscan" };
        Some(sscan_allowed(&mut m.clone(), &call))
    } else {
        None
    };
    let expected = m.apply(client, argv, now_ms);
    if expected == *actual {
        return Some(Ok(()));
    }
    let fail = |what: String| Some(Err(what));
    if expected.is_error() || matches!(expected, Reply::Nil) {
        return fail(expected.to_string());
    }
    let count_arg = argv.get(2).and_then(|c| crate::num::parse_i64(c));
    match (name, actual) {
        // The set type is RESP3's; a RESP2 connection sees an array.
        ("smembers" | "sinter" | "sunion" | "sdiff", Reply::Set(got) | Reply::Array(got)) => {
            let Reply::Set(want) = &expected else {
                return fail(expected.to_string());
            };
            let sorted = |items: &[Reply]| {
                bulk_items(items).map(|mut v| {
                    v.sort();
                    v
                })
            };
            if sorted(want) == sorted(got) {
                Some(Ok(()))
            } else {
                fail(format!("the members {expected} in any order"))
            }
        }
        ("spop", _) => {
            let before = before.unwrap_or_default();
            let chosen = match (argv.len(), actual) {
                (2, Reply::Bulk(x)) if before.contains(x) => vec![x.clone()],
                (3, Reply::Set(items) | Reply::Array(items)) => match bulk_items(items) {
                    Some(items)
                        if distinct(&items)
                            && items.iter().all(|x| before.contains(x))
                            && Some(items.len() as i64) == count_arg.map(|c| c.min(before.len() as i64)) =>
                    {
                        items
                    }
                    _ => return fail(format!("distinct members of {} as many as {expected}", MValue::Set(before))),
                },
                _ => return fail(format!("a member of the set, like {expected}")),
            };
            // Follow the system's choice: exactly the chosen members are gone.
            let mut left = before;
            for x in &chosen {
                left.remove(x);
            }
            m.update_set(db, &key, left);
            Some(Ok(()))
        }
        ("srandmember", _) => {
            let before = before.unwrap_or_default();
            let valid = match (argv.len(), actual, count_arg) {
                (2, Reply::Bulk(x), _) => before.contains(x),
                (3, Reply::Array(items), Some(c)) => bulk_items(items).is_some_and(|items| {
                    let members_ok = items.iter().all(|x| before.contains(x));
                    if c >= 0 {
                        members_ok && distinct(&items) && items.len() as u64 == (c as u64).min(before.len() as u64)
                    } else {
                        members_ok && items.len() as u64 == c.unsigned_abs()
                    }
                }),
                _ => false,
            };
            if valid {
                Some(Ok(()))
            } else {
                fail(format!("members of the set, like {expected}"))
            }
        }
        ("sscan", _) => {
            let Some(Ok(Some(allowed))) = sscan_expect else {
                return fail(expected.to_string());
            };
            let Reply::Array(parts) = actual else {
                return fail("[cursor, [members]]".to_string());
            };
            let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
                return fail("[cursor, [members]]".to_string());
            };
            if cursor.is_empty() || !cursor.iter().all(u8::is_ascii_digit) {
                return fail("a decimal cursor".to_string());
            }
            let Some(items) = bulk_items(items) else {
                return fail("bulk members".to_string());
            };
            if let Some(x) = items.iter().find(|x| !allowed.contains(*x)) {
                return fail(format!("only matching members, not {:?}", String::from_utf8_lossy(x)));
            }
            let whole_walk = parse_scan_cursor(&argv[2]) == Some(0) && cursor.as_slice() == b"0";
            if whole_walk && items.iter().collect::<BTreeSet<_>>() != allowed.iter().collect() {
                return fail(format!("from cursor 0 to 0, every matching member: {expected}"));
            }
            Some(Ok(()))
        }
        _ => fail(expected.to_string()),
    }
}
