//! Stream consumer groups and reads (Redis: t_stream.c): XGROUP, XREAD, XREADGROUP (without
//! BLOCK), XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS and XINFO CONSUMERS.

use super::dispatch::Call;
use super::streams::{GroupValue, Id, PendingValue, StreamValue};
use super::Model;
use crate::num::{int_arg, opt_is, parse_i64};
use crate::reply::Reply;

const MAX_ID: Id = (u64::MAX, u64::MAX);

fn id_reply(id: Id) -> Reply {
    Reply::Bulk(format!("{}-{}", id.0, id.1).into_bytes())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn entry(s: &StreamValue, id: Id) -> Option<Reply> {
    let fields = s.entries.iter().find(|(e, _)| *e == id)?;
    let flat = fields.1.iter().flat_map(|(f, v)| [Reply::bulk(f), Reply::bulk(v)]).collect();
    Some(Reply::Array(vec![id_reply(id), Reply::Array(flat)]))
}

fn strict(arg: &[u8]) -> Result<Id, Reply> {
    super::streams::parse_strict(arg)
}

/// Redis's addReplySubcommandSyntaxError.
fn sub_syntax(call: &Call) -> Reply {
    let sub = lossy(&call.arg(1)[..call.arg(1).len().min(128)]);
    let cmd = lossy(call.arg(0)).to_ascii_uppercase();
    Reply::err(&format!("unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."))
}

/// Marks a consumer as seen now, adding it if needed; true when added.
fn see(g: &mut GroupValue, name: &[u8], now_ms: u64) -> bool {
    g.consumers.insert(name.to_vec(), now_ms).is_none()
}

/// Hands pending entry `id` to `name` at `now_ms` with `count` deliveries.
fn own(g: &mut GroupValue, id: Id, name: &[u8], delivered_ms: u64, count: u64) {
    g.pending.insert(id, PendingValue { consumer: name.to_vec(), delivered_ms, count });
}

pub(super) fn xgroup(m: &mut Model, call: &Call) -> Reply {
    let sub = lossy(call.arg(1)).to_ascii_lowercase();
    if sub == "help" {
        return help_lines("XGROUP", XGROUP_HELP);
    }
    let argc = call.argv.len();
    let mut mkstream = false;
    let mut entries_read: Option<u64> = None;
    let mut i = 5;
    while i < argc {
        if sub == "create" && opt_is(call.arg(i), "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (sub == "create" || sub == "setid") && opt_is(call.arg(i), "ENTRIESREAD") && i + 1 < argc {
            match int_arg(call.arg(i + 1)) {
                Err(e) => return e,
                Ok(n) if n < -1 => return Reply::err("value for ENTRIESREAD must be positive or -1"),
                Ok(n) => entries_read = u64::try_from(n).ok(),
            }
            i += 2;
        } else {
            return sub_syntax(call);
        }
    }
    let (key, group) = (call.arg(2), call.arg(3));
    let stream = match m.get_stream_for_groups(call, key) {
        Ok(s) => s,
        Err(e) => return e,
    };
    if !mkstream {
        let Some(s) = &stream else {
            return Reply::err("The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
        };
        if !s.groups.contains_key(group) && matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") {
            return Reply::Error(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                lossy(group),
                lossy(key)
            ));
        }
    }
    let existed = stream.is_some();
    let mut s = stream.unwrap_or_default();
    let reply = match sub.as_str() {
        "create" if argc <= 8 => {
            let id = if crate::num::c_str(call.arg(4)) == b"$" {
                s.last_id
            } else {
                match strict(call.arg(4)) {
                    Ok(id) => id,
                    Err(e) => return e,
                }
            };
            if s.groups.contains_key(group) {
                Reply::Error("BUSYGROUP Consumer Group name already exists".to_string())
            } else {
                s.groups.insert(group.to_vec(), GroupValue { last_id: id, entries_read, ..Default::default() });
                Reply::ok()
            }
        }
        "setid" if argc == 5 || argc == 7 => {
            let id = if crate::num::c_str(call.arg(4)) == b"$" {
                s.last_id
            } else {
                match super::streams::parse_loose(call.arg(4)) {
                    Ok(id) => id,
                    Err(e) => return e,
                }
            };
            if let Some(g) = s.groups.get_mut(group) {
                g.last_id = id;
                g.entries_read = entries_read;
            }
            Reply::ok()
        }
        "destroy" => Reply::Int(i64::from(s.groups.remove(group).is_some())),
        "createconsumer" => {
            let g = s.groups.get_mut(group);
            let added = g.is_some_and(|g| !g.consumers.contains_key(call.arg(4)) && see(g, call.arg(4), call.now_ms));
            Reply::Int(i64::from(added))
        }
        "delconsumer" => {
            let g = s.groups.get_mut(group);
            let n = g.map_or(0, |g| {
                if g.consumers.remove(call.arg(4)).is_none() {
                    return 0;
                }
                let before = g.pending.len();
                g.pending.retain(|_, p| p.consumer != call.arg(4));
                (before - g.pending.len()) as i64
            });
            Reply::Int(n)
        }
        _ => return sub_syntax(call),
    };
    if existed {
        m.put_stream_quietly(call.db, key, s);
    } else {
        m.put_stream(call.db, key, s);
    }
    reply
}

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

fn help_lines(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".to_string()));
    out.push(Reply::Status("    Prints this help.".to_string()));
    Reply::Array(out)
}

impl Model {
    fn get_stream_for_groups(&mut self, call: &Call, key: &[u8]) -> Result<Option<StreamValue>, Reply> {
        self.stream_at(call.db, key, call.now_ms)
    }
}

/// XREAD and XREADGROUP without BLOCK (a BLOCK that would wait answers the null array, as
/// inside MULTI; generated ops do not block).
pub(super) fn xread(m: &mut Model, call: &Call) -> Reply {
    let grouped = call.name == "xreadgroup";
    let argv = call.argv;
    let mut count: u64 = 0;
    let mut group: Option<(&[u8], &[u8])> = None;
    let mut noack = false;
    let mut streams_at = 0;
    let mut i = 1;
    while i < argv.len() {
        let left = argv.len() - i - 1;
        let a = &argv[i];
        if opt_is(a, "BLOCK") && left >= 1 {
            match parse_i64(&argv[i + 1]) {
                None => return Reply::err("timeout is not an integer or out of range"),
                Some(t) if t < 0 => return Reply::err("timeout is negative"),
                Some(_) => {}
            }
            i += 2;
        } else if opt_is(a, "COUNT") && left >= 1 {
            match int_arg(&argv[i + 1]) {
                Ok(n) => count = n.max(0) as u64,
                Err(e) => return e,
            }
            i += 2;
        } else if opt_is(a, "STREAMS") && left >= 1 {
            streams_at = i + 1;
            if (argv.len() - streams_at) % 2 == 1 {
                return Reply::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
            }
            break;
        } else if opt_is(a, "GROUP") && left >= 2 {
            if !grouped {
                return Reply::err("The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            }
            group = Some((&argv[i + 1], &argv[i + 2]));
            i += 3;
        } else if opt_is(a, "NOACK") {
            if !grouped {
                return Reply::err("The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
            }
            noack = true;
            i += 1;
        } else {
            return Reply::err("syntax error");
        }
    }
    if streams_at == 0 {
        return Reply::err("syntax error");
    }
    if grouped && group.is_none() {
        return Reply::err("Missing GROUP option for XREADGROUP");
    }
    let n = (argv.len() - streams_at) / 2;
    let keys = &argv[streams_at..streams_at + n];
    // `None`: the `>` of XREADGROUP.
    let mut after: Vec<Option<Id>> = Vec::new();
    for (key, arg) in keys.iter().zip(&argv[streams_at + n..]) {
        let s = match m.stream_at(call.db, key, call.now_ms) {
            Ok(s) => s,
            Err(e) => return e,
        };
        if let Some((g, _)) = group {
            if !s.as_ref().is_some_and(|s| s.groups.contains_key(g)) {
                return Reply::Error(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    lossy(key),
                    lossy(g)
                ));
            }
        }
        let id = match crate::num::c_str(arg) {
            b"$" if grouped => return Reply::err("The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."),
            b"$" => Some(s.as_ref().map_or((0, 0), |s| s.last_id)),
            b">" if !grouped => return Reply::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
            b">" => None,
            _ => match strict(arg) {
                Ok(id) if id == MAX_ID && grouped => None,
                Ok(id) => Some(id),
                Err(e) => return e,
            },
        };
        after.push(id);
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    for (key, id) in keys.iter().zip(after) {
        let Ok(Some(mut s)) = m.stream_at(call.db, key, call.now_ms) else { continue };
        let served = match group {
            None => {
                let from = id.unwrap_or(MAX_ID);
                let found: Vec<Reply> = s
                    .entries
                    .iter()
                    .filter(|(e, _)| *e > from)
                    .take(limit)
                    .filter_map(|(e, _)| entry(&s, *e))
                    .collect();
                if found.is_empty() {
                    continue;
                }
                Reply::Array(found)
            }
            Some((gname, cname)) => {
                let Some(mut g) = s.groups.remove(gname) else { continue };
                let reply = match id {
                    Some(from) => {
                        see(&mut g, cname, call.now_ms);
                        let mine: Vec<Id> = g
                            .pending
                            .iter()
                            .filter(|(e, p)| **e > from && p.consumer == cname)
                            .map(|(e, _)| *e)
                            .take(limit)
                            .collect();
                        let mut items = Vec::new();
                        for e in mine {
                            match entry(&s, e) {
                                Some(r) => {
                                    items.push(r);
                                    if let Some(p) = g.pending.get_mut(&e) {
                                        p.delivered_ms = call.now_ms;
                                        p.count += 1;
                                    }
                                }
                                None => items.push(Reply::Array(vec![id_reply(e), Reply::NilArray])),
                            }
                        }
                        Reply::Array(items)
                    }
                    None => {
                        let newer = s.entries.last().is_some_and(|(top, _)| *top > g.last_id);
                        if !newer {
                            s.groups.insert(gname.to_vec(), g);
                            continue;
                        }
                        see(&mut g, cname, call.now_ms);
                        let fresh: Vec<Id> =
                            s.entries.iter().map(|(e, _)| *e).filter(|e| *e > g.last_id).take(limit).collect();
                        let mut items = Vec::new();
                        for e in fresh {
                            advance(&s, &mut g, e);
                            if let Some(r) = entry(&s, e) {
                                items.push(r);
                            }
                            if !noack {
                                own(&mut g, e, cname, call.now_ms, 1);
                            }
                        }
                        Reply::Array(items)
                    }
                };
                s.groups.insert(gname.to_vec(), g);
                m.put_stream_quietly(call.db, key, s);
                reply
            }
        };
        out.push((Reply::bulk(key), served));
    }
    if out.is_empty() {
        return Reply::NilArray;
    }
    if m.client(call.client).resp >= 3 {
        Reply::Map(out)
    } else {
        Reply::Array(out.into_iter().map(|(k, v)| Reply::Array(vec![k, v])).collect())
    }
}

/// Moves a group's last delivered ID to `id`, keeping its read counter when it stays known.
fn advance(s: &StreamValue, g: &mut GroupValue, id: Id) {
    if id <= g.last_id {
        return;
    }
    let tombstone_ahead = s.tombstone_from(id);
    g.entries_read = match g.entries_read {
        Some(n) if !tombstone_ahead => Some(n + 1),
        current if s.entries_added > 0 => {
            let _ = current;
            s.counter_of(id)
        }
        current => current,
    };
    g.last_id = id;
}

pub(super) fn xack(m: &mut Model, call: &Call) -> Reply {
    let (key, gname) = (call.arg(1), call.arg(2));
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(Some(s)) if s.groups.contains_key(gname) => s,
        Ok(_) => return Reply::Int(0),
    };
    let mut ids = Vec::new();
    for a in &call.argv[3..] {
        match strict(a) {
            Ok(id) => ids.push(id),
            Err(e) => return e,
        }
    }
    let Some(g) = s.groups.get_mut(gname) else { return Reply::Int(0) };
    let n = ids.iter().filter(|id| g.pending.remove(id).is_some()).count();
    if n > 0 {
        m.put_stream_quietly(call.db, key, s);
    }
    Reply::Int(n as i64)
}

fn no_key_or_group(key: &[u8], group: &[u8]) -> Reply {
    Reply::Error(format!("NOGROUP No such key '{}' or consumer group '{}'", lossy(key), lossy(group)))
}

pub(super) fn xpending(m: &mut Model, call: &Call) -> Reply {
    let argc = call.argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Reply::err("syntax error");
    }
    let mut min_idle = 0i64;
    let mut detail: Option<(Id, Id, i64, Option<&[u8]>)> = None;
    if argc >= 6 {
        let mut at = 3;
        if opt_is(call.arg(3), "IDLE") {
            match int_arg(call.arg(4)) {
                Ok(n) => min_idle = n,
                Err(e) => return e,
            }
            if argc < 8 {
                return Reply::err("syntax error");
            }
            at = 5;
        }
        let count = match int_arg(call.arg(at + 2)) {
            Ok(n) => n.max(0),
            Err(e) => return e,
        };
        let (lo, hi) = match super::streams::parse_range(call.arg(at), call.arg(at + 1)) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let consumer = (at + 3 < argc).then(|| call.arg(at + 3));
        detail = Some((lo, hi, count, consumer));
    }
    let (key, gname) = (call.arg(1), call.arg(2));
    let s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(s) => s,
    };
    let Some(g) = s.as_ref().and_then(|s| s.groups.get(gname)) else {
        return no_key_or_group(key, gname);
    };
    let now = call.now_ms as i64;
    let Some((lo, hi, mut count, consumer)) = detail else {
        if g.pending.is_empty() {
            return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
        }
        let mut per: std::collections::BTreeMap<&[u8], usize> = Default::default();
        for p in g.pending.values() {
            *per.entry(p.consumer.as_slice()).or_default() += 1;
        }
        let owners = per
            .into_iter()
            .map(|(c, n)| Reply::Array(vec![Reply::bulk(c), Reply::Bulk(n.to_string().into_bytes())]))
            .collect();
        let first = *g.pending.keys().next().unwrap_or(&(0, 0));
        let last = *g.pending.keys().next_back().unwrap_or(&(0, 0));
        return Reply::Array(vec![
            Reply::Int(g.pending.len() as i64),
            id_reply(first),
            id_reply(last),
            Reply::Array(owners),
        ]);
    };
    if let Some(c) = consumer {
        if !g.consumers.contains_key(c) {
            return Reply::Array(Vec::new());
        }
    }
    let mut out = Vec::new();
    for (id, p) in &g.pending {
        if count == 0 {
            break;
        }
        if *id < lo || *id > hi || consumer.is_some_and(|c| c != p.consumer.as_slice()) {
            continue;
        }
        let idle = now.wrapping_sub(p.delivered_ms as i64);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        count -= 1;
        out.push(Reply::Array(vec![
            id_reply(*id),
            Reply::bulk(&p.consumer),
            Reply::Int(idle.max(0)),
            Reply::Int(p.count as i64),
        ]));
    }
    Reply::Array(out)
}

pub(super) fn xclaim(m: &mut Model, call: &Call) -> Reply {
    let (key, gname, cname) = (call.arg(1), call.arg(2), call.arg(3));
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(Some(s)) if s.groups.contains_key(gname) => s,
        Ok(_) => return no_key_or_group(key, gname),
    };
    let Some(min_idle) = parse_i64(call.arg(4)) else {
        return Reply::err("Invalid min-idle-time argument for XCLAIM");
    };
    let min_idle = min_idle.max(0);
    let argc = call.argv.len();
    let mut j = 5;
    let mut ids = Vec::new();
    while j < argc {
        match strict(call.arg(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = call.now_ms as i64;
    let (mut force, mut justid, mut retry, mut when, mut lastid) = (false, false, None::<i64>, None::<i64>, (0, 0));
    while j < argc {
        let o = call.arg(j);
        let has = j + 1 < argc;
        let num = |what: &str| {
            parse_i64(call.arg(j + 1)).ok_or_else(|| Reply::err(&format!("Invalid {what} option argument for XCLAIM")))
        };
        if opt_is(o, "FORCE") {
            force = true;
        } else if opt_is(o, "JUSTID") {
            justid = true;
        } else if opt_is(o, "IDLE") && has {
            match num("IDLE") {
                Ok(v) => when = Some(now.wrapping_sub(v)),
                Err(e) => return e,
            }
            j += 1;
        } else if opt_is(o, "TIME") && has {
            match num("TIME") {
                Ok(v) => when = Some(v),
                Err(e) => return e,
            }
            j += 1;
        } else if opt_is(o, "RETRYCOUNT") && has {
            match num("RETRYCOUNT") {
                Ok(v) => retry = Some(v),
                Err(e) => return e,
            }
            j += 1;
        } else if opt_is(o, "LASTID") && has {
            match strict(call.arg(j + 1)) {
                Ok(v) => lastid = v,
                Err(e) => return e,
            }
            j += 1;
        } else {
            return Reply::err(&format!("Unrecognized XCLAIM option '{}'", lossy(o)));
        }
        j += 1;
    }
    let delivered = match when {
        Some(t) if (0..=now).contains(&t) => t as u64,
        _ => now as u64,
    };
    let Some(mut g) = s.groups.remove(gname) else { return no_key_or_group(key, gname) };
    if lastid > g.last_id {
        g.last_id = lastid;
    }
    let mut out = Vec::new();
    for id in ids {
        let exists = s.entries.iter().any(|(e, _)| *e == id);
        if !exists {
            g.pending.remove(&id);
            continue;
        }
        let (prev_count, check_idle) = match g.pending.get(&id) {
            Some(p) => (p.count, Some(p.delivered_ms)),
            None if force => (1, None),
            None => continue,
        };
        if let Some(t) = check_idle {
            if min_idle != 0 && now.wrapping_sub(t as i64) < min_idle {
                continue;
            }
        }
        see(&mut g, cname, call.now_ms);
        let count = match retry {
            Some(r) if r >= 0 => r as u64,
            _ if justid => prev_count,
            _ => prev_count + 1,
        };
        own(&mut g, id, cname, delivered, count);
        out.push(if justid { id_reply(id) } else { entry(&s, id).unwrap_or(Reply::Nil) });
    }
    s.groups.insert(gname.to_vec(), g);
    m.put_stream_quietly(call.db, key, s);
    Reply::Array(out)
}

pub(super) fn xautoclaim(m: &mut Model, call: &Call) -> Reply {
    let Some(min_idle) = parse_i64(call.arg(4)) else {
        return Reply::err("Invalid min-idle-time argument for XAUTOCLAIM");
    };
    let min_idle = min_idle.max(0);
    let (mut start, excl) = match super::streams::parse_bound(call.arg(5)) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if excl {
        match super::streams::next_id(start) {
            Some(n) => start = n,
            None => return Reply::err("invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < call.argv.len() {
        if opt_is(call.arg(j), "COUNT") && j + 1 < call.argv.len() {
            match parse_i64(call.arg(j + 1)) {
                Some(n) if n >= 1 && n <= i64::MAX / 16 => count = n,
                _ => return Reply::err("COUNT must be > 0"),
            }
            j += 2;
        } else if opt_is(call.arg(j), "JUSTID") {
            justid = true;
            j += 1;
        } else {
            return Reply::err("syntax error");
        }
    }
    let (key, gname, cname) = (call.arg(1), call.arg(2), call.arg(3));
    let mut s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(Some(s)) if s.groups.contains_key(gname) => s,
        Ok(_) => return no_key_or_group(key, gname),
    };
    let Some(mut g) = s.groups.remove(gname) else { return no_key_or_group(key, gname) };
    let now = call.now_ms as i64;
    let candidates: Vec<Id> = g.pending.keys().copied().filter(|id| *id >= start).collect();
    let mut attempts = count.saturating_mul(10);
    let (mut claimed, mut gone) = (Vec::new(), Vec::new());
    let mut cursor = (0, 0);
    for (k, id) in candidates.iter().enumerate() {
        if attempts == 0 || count == 0 {
            cursor = *id;
            break;
        }
        attempts -= 1;
        let _ = k;
        if !s.entries.iter().any(|(e, _)| e == id) {
            g.pending.remove(id);
            gone.push(id_reply(*id));
            count -= 1;
            continue;
        }
        let Some(p) = g.pending.get(id).cloned() else { continue };
        if min_idle != 0 && now.wrapping_sub(p.delivered_ms as i64) < min_idle {
            continue;
        }
        see(&mut g, cname, call.now_ms);
        own(&mut g, *id, cname, call.now_ms, if justid { p.count } else { p.count + 1 });
        claimed.push(if justid { id_reply(*id) } else { entry(&s, *id).unwrap_or(Reply::Nil) });
        count -= 1;
    }
    s.groups.insert(gname.to_vec(), g);
    m.put_stream_quietly(call.db, key, s);
    Reply::Array(vec![id_reply(cursor), Reply::Array(claimed), Reply::Array(gone)])
}

pub(super) fn xinfo(m: &mut Model, call: &Call) -> Reply {
    let sub = lossy(call.arg(1)).to_ascii_lowercase();
    if sub == "help" {
        return help_lines(
            "XINFO",
            &[
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ],
        );
    }
    let key = call.arg(2);
    let s = match m.stream_at(call.db, key, call.now_ms) {
        Err(e) => return e,
        Ok(None) => return Reply::err("no such key"),
        Ok(Some(s)) => s,
    };
    let b = |t: &str| Reply::bulk(t.as_bytes());
    match sub.as_str() {
        "groups" => Reply::Array(
            s.groups
                .iter()
                .map(|(name, g)| {
                    Reply::Map(vec![
                        (b("name"), Reply::bulk(name)),
                        (b("consumers"), Reply::Int(g.consumers.len() as i64)),
                        (b("pending"), Reply::Int(g.pending.len() as i64)),
                        (b("last-delivered-id"), id_reply(g.last_id)),
                        (b("entries-read"), g.entries_read.map_or(Reply::Nil, |n| Reply::Int(n as i64))),
                        (b("lag"), s.lag(g)),
                    ])
                })
                .collect(),
        ),
        "consumers" => {
            let gname = call.arg(3);
            let Some(g) = s.groups.get(gname) else {
                return Reply::Error(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    lossy(gname),
                    lossy(key)
                ));
            };
            Reply::Array(
                g.consumers
                    .iter()
                    .map(|(name, seen)| {
                        let pending = g.pending.values().filter(|p| &p.consumer == name).count();
                        Reply::Map(vec![
                            (b("name"), Reply::bulk(name)),
                            (b("pending"), Reply::Int(pending as i64)),
                            (b("idle"), Reply::Int((call.now_ms as i64).wrapping_sub(*seen as i64).max(0))),
                        ])
                    })
                    .collect(),
            )
        }
        _ => sub_syntax(call),
    }
}
