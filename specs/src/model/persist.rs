//! SAVE, BGSAVE, DEBUG RELOAD, DUMP and RESTORE (rules PERS-1, PERS-2, PERS-6, PERS-7, PERS-8,
//! PERS-9, PERS-10, PERS-11).
//!
//! The model writes no file: a save cannot fail here, and a reload keeps what Redis's loader
//! keeps (live keys; sorted sets in the encoding their contents give them). A background save
//! is a flag: it ends at the next server cron, which the harness runs once per clock step
//! (`time_passes`). DUMP payloads are judged by their shape (type byte, RDB version 10 footer,
//! CRC-64) and remembered with the value they stood for, so a RESTORE of one gives that value
//! back; the payloads of the op table (real Redis DUMP output) stand for the values their
//! commands build.

use super::dispatch::Call;
use super::{Item, MValue, Model, NUM_DBS};
use crate::crc64::crc64;
use crate::num::parse_i64;
use crate::op::{unhex, PAYLOADS};
use crate::reply::Reply;
use std::collections::BTreeMap;

/// Background-save state and the payloads seen.
#[derive(Clone, Debug, Default)]
pub struct PersistState {
    /// A background save is running (until the next cron).
    bgsave_running: bool,
    /// BGSAVE in EXEC asked for one at the next cron.
    bgsave_scheduled: bool,
    /// Payload bodies (without the footer) DUMP replied, with the values they stood for.
    dumped: BTreeMap<Vec<u8>, MValue>,
    /// Numbers the model's own payloads (see `dump`).
    dump_serial: u64,
}

const IN_PROGRESS: &str = "Background save already in progress";

/// The RDB version a Redis 7.0 DUMP writes, and the newest RESTORE accepts.
const DUMP_RDB_VERSION: u16 = 10;

impl Model {
    /// One server cron (Redis's serverCron): a running background save has ended and is
    /// reaped; then a scheduled one starts.
    pub(super) fn persistence_cron(&mut self) {
        let p = &mut self.persist;
        p.bgsave_running = false;
        if p.bgsave_scheduled {
            p.bgsave_scheduled = false;
            p.bgsave_running = true;
        }
    }

    /// SHUTDOWN SAVE and a new server on the saved file: a running save is stopped, every
    /// connection is gone (with its database, transaction, watches, subscriptions and blocked
    /// command), and the dataset is what the loader keeps.
    // rule: PERS-13
    pub fn restart(&mut self, now_ms: u64) {
        self.clients.clear();
        self.blocked.clear();
        self.deliveries.clear();
        self.subscriptions.clear();
        self.persist.bgsave_running = false;
        self.persist.bgsave_scheduled = false;
        // Users made by ACL SETUSER live only in memory (no aclfile here): a restarted server
        // has the default user as its configuration makes it, and no other.
        self.users = std::collections::BTreeMap::from([(
            super::acl_cmds::DEFAULT_USER.to_vec(),
            super::acl::MUser::default_user(),
        )]);
        self.reload(now_ms);
    }

    /// What Redis's loader keeps of the dataset: live keys, each sorted set in the encoding its
    /// contents give it (the other encodings are not modelled).
    fn reload(&mut self, now_ms: u64) {
        for db in 0..NUM_DBS {
            self.touch_db(db, None, now_ms);
        }
        for map in &mut self.dbs {
            map.retain(|_, item| !item.is_dead(now_ms));
            for item in map.values_mut() {
                item.value = loaded(item.value.clone());
            }
        }
    }
}

/// A value as the loader rebuilds it.
fn loaded(value: MValue) -> MValue {
    match value {
        MValue::ZSet(mut z) => {
            z.shrink_if_fits();
            MValue::ZSet(z)
        }
        other => other,
    }
}

// rule: PERS-1
pub(super) fn save(m: &mut Model, _call: &Call) -> Reply {
    if m.persist.bgsave_running {
        return Reply::err(IN_PROGRESS);
    }
    Reply::ok()
}

// rule: PERS-2
pub(super) fn bgsave(m: &mut Model, call: &Call) -> Reply {
    let schedule_word = call.argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"schedule"));
    if call.argv.len() > 2 || (call.argv.len() == 2 && !schedule_word) {
        return Reply::err("syntax error");
    }
    if m.persist.bgsave_running {
        return Reply::err(IN_PROGRESS);
    }
    // Inside EXEC no child may start: the save waits for the next cron.
    if m.client(call.client).in_exec {
        m.persist.bgsave_scheduled = true;
        return Reply::Status("Background saving scheduled".to_string());
    }
    m.persist.bgsave_running = true;
    Reply::Status("Background saving started".to_string())
}

/// DEBUG RELOAD only (the generator sends no other subcommand).
// rule: PERS-9
pub(super) fn debug(m: &mut Model, call: &Call) -> Reply {
    if call.argv.len() == 2 && call.arg(1).eq_ignore_ascii_case(b"reload") {
        m.reload(call.now_ms);
        return Reply::ok();
    }
    let sub = String::from_utf8_lossy(call.arg(1)).into_owned();
    Reply::err(&format!("unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."))
}

/// DUMP's exact bytes are not predicted (`check_open_reply` judges another server's): the
/// model's own payload has the right type byte and footer around a serial number, and stands for
/// the value in its RESTOREs (so the model can play the server against itself).
pub(super) fn dump(m: &mut Model, call: &Call) -> Reply {
    let Some(value) = m.lookup(call.db, call.arg(1), call.now_ms).map(|i| i.value.clone()) else {
        return Reply::Nil;
    };
    m.persist.dump_serial += 1;
    let mut body = vec![allowed_types(&value)[0]];
    body.extend_from_slice(format!("model payload {}", m.persist.dump_serial).as_bytes());
    let payload = crate::op::with_footer(&body, DUMP_RDB_VERSION);
    m.persist.dumped.insert(body, value);
    Reply::Bulk(payload)
}

/// The RDB type bytes a DUMP may start with for a value: what Redis 7.0 writes (quicklist-2,
/// intset or set, listpack or skiplist, listpack or hash, stream listpacks 2; the set and hash
/// encodings are not modelled).
fn allowed_types(value: &MValue) -> &'static [u8] {
    match value {
        MValue::Str(_) => &[0],
        MValue::List(_) => &[18],
        MValue::Set(_) => &[11, 2],
        MValue::ZSet(z) if z.listpack => &[17],
        MValue::ZSet(_) => &[5],
        MValue::Hash(_) => &[4, 16],
        MValue::Stream(_) => &[19],
    }
}

/// The body of a payload whose footer is well formed (version <= `max_version`, CRC-64 right).
fn verified_body(payload: &[u8], max_version: u16) -> Option<&[u8]> {
    if payload.len() < 10 {
        return None;
    }
    let (data, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([data[data.len() - 2], data[data.len() - 1]]);
    let crc = u64::from_le_bytes(crc.try_into().ok()?);
    (version <= max_version && crc64(0, data) == crc).then(|| &data[..data.len() - 2])
}

/// DUMP: a null reply for a missing key, else a payload of the value's type with a version 10
/// footer and a correct CRC-64 (remembered for RESTORE).
// rule: PERS-6
pub(super) fn check_open_reply(
    m: &mut Model,
    client: u64,
    argv: &[Vec<u8>],
    now_ms: u64,
    actual: &Reply,
    name: &str,
) -> Option<Result<(), String>> {
    if name != "dump" || argv.len() != 2 {
        return None;
    }
    let db = m.selected_db(client);
    let value = m.lookup(db, &argv[1], now_ms).map(|item| item.value.clone());
    let Some(value) = value else {
        return Some(if *actual == Reply::Nil { Ok(()) } else { Err("a null reply".to_string()) });
    };
    let Reply::Bulk(payload) = actual else {
        return Some(Err("a DUMP payload".to_string()));
    };
    let footer_ok =
        payload.len() >= 10 && payload[payload.len() - 10..payload.len() - 8] == DUMP_RDB_VERSION.to_le_bytes();
    let Some(body) = verified_body(payload, DUMP_RDB_VERSION).filter(|_| footer_ok) else {
        return Some(Err("a payload ending in RDB version 10 and its CRC-64".to_string()));
    };
    let allowed = allowed_types(&value);
    if !body.first().is_some_and(|t| allowed.contains(t)) {
        return Some(Err(format!("a payload of RDB type {allowed:?} for {}", value.type_name())));
    }
    m.persist.dumped.insert(body.to_vec(), value);
    Some(Ok(()))
}

/// The value a payload body stands for: one DUMP replied, or one of the op table's.
fn value_of_body(m: &Model, body: &[u8]) -> Option<MValue> {
    if let Some(v) = m.persist.dumped.get(body) {
        return Some(v.clone());
    }
    PAYLOADS.iter().find_map(|(cmds, hex)| {
        let bytes = unhex(hex);
        (bytes.len() >= 10 && &bytes[..bytes.len() - 10] == body).then(|| built_value(cmds)).flatten()
    })
}

/// Runs `cmds` on an empty model and returns key `k`'s value.
fn built_value(cmds: &[&str]) -> Option<MValue> {
    let mut scratch = Model::new();
    for line in cmds {
        let argv: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        scratch.apply(0, &argv, 0);
    }
    scratch.item(0, b"k", 0).map(|i| i.value.clone())
}

/// RESTORE's options: (replace, absttl), or the error reply.
fn restore_options(argv: &[Vec<u8>]) -> Result<(bool, bool), Reply> {
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, false, false);
    let mut j = 4;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        let a = &argv[j];
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && !freq {
            let v = parse_i64(&argv[j + 1]).ok_or_else(not_integer)?;
            if v < 0 {
                return Err(Reply::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = true;
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && !idle {
            let v = parse_i64(&argv[j + 1]).ok_or_else(not_integer)?;
            if !(0..=255).contains(&v) {
                return Err(Reply::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = true;
            j += 1;
        } else {
            return Err(Reply::err("syntax error"));
        }
        j += 1;
    }
    Ok((replace, absttl))
}

fn not_integer() -> Reply {
    Reply::err("value is not an integer or out of range")
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]: options, BUSYKEY, TTL,
/// payload, in Redis's order. IDLETIME and FREQ change nothing the model observes.
// rule: PERS-7 PERS-10
pub(super) fn restore(m: &mut Model, call: &Call) -> Reply {
    let (replace, absttl) = match restore_options(call.argv) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let (db, key, now) = (call.db, call.arg(1), call.now_ms);
    if !replace && m.lookup(db, key, now).is_some() {
        return Reply::Error("BUSYKEY Target key name already exists.".to_string());
    }
    let Some(ttl) = parse_i64(call.arg(2)) else {
        return not_integer();
    };
    if ttl < 0 {
        return Reply::err("Invalid TTL value, must be >= 0");
    }
    let Some(body) = verified_body(call.arg(3), DUMP_RDB_VERSION) else {
        return Reply::err("DUMP payload version or checksum are wrong");
    };
    let Some(value) = value_of_body(m, body) else {
        return Reply::err("Bad data format");
    };
    // With REPLACE the old key goes even if it has expired but is still stored.
    let deleted = replace && m.dbs[db].remove(key).is_some();
    let expire_at = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t),
        (t, false) => Some(t.saturating_add(now as i64)),
    };
    if expire_at.is_some_and(|t| t <= now as i64) {
        if deleted {
            m.touch(db, key);
            m.notify_call(call, super::notify::GENERIC, "del", key);
        }
        return Reply::ok();
    }
    let item = Item { value: loaded(value), expire_at_ms: expire_at.map(|t| t as u64) };
    m.dbs[db].insert(key.to_vec(), item);
    m.touch(db, key);
    m.notify_call(call, super::notify::GENERIC, "restore", key);
    Reply::ok()
}
