//! DEBUG subcommands the replication tests lean on: DIGEST and DIGEST-VALUE (a fingerprint of
//! the data, to compare a master and its replica), SET-ACTIVE-EXPIRE, OBJECT, SLEEP and
//! REPLICATE.
//!
//! The digest follows the shape of Redis's computeDatasetDigest (per key a hash of the key, its
//! type, value and expiry; keys combined with XOR so their order does not matter; 40 zeros for an
//! empty dataset) over an encoding-independent form of each value: two servers holding the same
//! data digest alike, whatever encodings or internal orders they chose. It is not Redis's exact
//! number, which the tests never compare with a constant other than the empty one.

use crate::cmd::args::err;
use crate::engine::db::Entry;
use crate::engine::Ctx;
use crate::persist::rdb::dump;
use crate::persist::rdb::RdbValue;
use crate::resp::Frame;

const DIGEST_BYTES: usize = 20;

/// DEBUG DIGEST: the dataset's fingerprint, 40 hexadecimal digits.
pub fn debug_digest(ctx: &mut Ctx) -> Frame {
    let mut total = [0u8; DIGEST_BYTES];
    for (db_index, db) in ctx.engine.dbs.iter().enumerate() {
        for (key, entry) in db.iter() {
            xor_into(&mut total, &key_digest(db_index, key, entry));
        }
    }
    Frame::Simple(hex(&total))
}

/// DEBUG DIGEST-VALUE key ...: each key's value fingerprint (zeros for a missing key).
pub fn debug_digest_value(ctx: &mut Ctx) -> Frame {
    let db = ctx.client.db;
    let items = ctx.argv[2..]
        .iter()
        .map(|key| {
            let digest = ctx.engine.dbs[db].entry(key).map_or([0u8; DIGEST_BYTES], |e| value_digest(e));
            Frame::Simple(hex(&digest))
        })
        .collect();
    Frame::Array(items)
}

/// DEBUG SET-ACTIVE-EXPIRE 0|1: turns the active expire cycle off or on (Redis parses with
/// atoi: anything not a number is 0).
pub fn debug_set_active_expire(ctx: &mut Ctx) -> Frame {
    if ctx.argc() != 3 {
        return unknown(ctx);
    }
    let text = String::from_utf8_lossy(ctx.arg(2));
    let digits: String = text.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    ctx.engine.active_expire.disabled = digits.parse::<i64>().unwrap_or(0) == 0;
    Frame::ok()
}

/// DEBUG OBJECT key: low-level facts about a key's value; the key is found even if it expired
/// (Redis looks in the dictionary directly).
pub fn debug_object(ctx: &mut Ctx) -> Frame {
    if ctx.argc() != 3 {
        return unknown(ctx);
    }
    let (db, now) = (ctx.client.db, ctx.now_ms);
    let Some(entry) = ctx.engine.dbs[db].entry(ctx.arg(2)) else {
        return err("ERR no such key");
    };
    let serialized = dump::dump(&entry.value, false).len().saturating_sub(11);
    let idle_s = now.saturating_sub(entry.access_ms()) / 1000;
    let lru = (entry.access_ms() / 1000) & ((1 << 24) - 1);
    Frame::Simple(format!(
        "Value at:0x{:012x} refcount:1 encoding:{} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{idle_s}",
        fake_address(ctx.arg(2)),
        entry.value.encoding()
    ))
}

/// DEBUG POPULATE count [prefix] [size]: creates the string keys `prefix:N` (default `key`)
/// holding `value:N` (cut or zero-padded to `size` bytes when given), skipping keys that exist.
/// Nothing is propagated, as in Redis.
pub fn debug_populate(ctx: &mut Ctx) -> Frame {
    if !(3..=5).contains(&ctx.argc()) {
        return unknown(ctx);
    }
    let count = match positive(ctx.arg(2)) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let size = match ctx.argv.get(4).map(|a| positive(a)) {
        Some(Ok(n)) => Some(n as usize),
        Some(Err(e)) => return e,
        None => None,
    };
    let prefix = ctx.argv.get(3).cloned().unwrap_or_else(|| b"key".to_vec());
    let now = ctx.now_ms;
    for j in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if ctx.lookup_write(&key).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if let Some(size) = size {
            value.resize(size, 0);
        }
        let db = ctx.client.db;
        ctx.engine.dbs[db].set(key.clone(), crate::engine::value::Value::str(value), now);
        ctx.signal_modified(&key);
    }
    Frame::ok()
}

/// A non-negative integer argument, with Redis's errors (getPositiveLongFromObjectOrReply).
fn positive(arg: &[u8]) -> Result<u64, Frame> {
    match crate::resp::parse::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(_) => Err(err("ERR value is out of range, must be positive")),
        None => Err(err("ERR value is not an integer or out of range")),
    }
}

/// DEBUG SLEEP seconds: the server stalls (no command, no cron) for that long, then answers
/// (Redis parses with strtod: anything unparsable is 0).
pub fn debug_sleep(ctx: &mut Ctx) -> Frame {
    if ctx.argc() != 3 {
        return unknown(ctx);
    }
    let secs = String::from_utf8_lossy(ctx.arg(2)).trim().parse::<f64>().unwrap_or(0.0);
    if secs.is_finite() && secs > 0.0 {
        ctx.engine.debug_sleep_ms = Some((secs * 1000.0).min(1e12) as u64);
    }
    Frame::ok()
}

/// DEBUG REPLICATE command ...: sends the command to the replicas only, in the database the
/// stream last selected (no SELECT of its own).
pub fn debug_replicate(ctx: &mut Ctx) -> Frame {
    if ctx.argc() < 3 {
        return unknown(ctx);
    }
    ctx.engine.repl_feed_raw_command(&ctx.argv[2..]);
    Frame::ok()
}

fn unknown(ctx: &Ctx) -> Frame {
    let name = String::from_utf8_lossy(&ctx.arg(1)[..ctx.arg(1).len().min(128)]).into_owned();
    err(&format!("ERR unknown subcommand or wrong number of arguments for '{name}'. Try DEBUG HELP."))
}

/// A stable stand-in for the value's address (verdis does not expose pointers).
fn fake_address(key: &[u8]) -> u64 {
    0x7f00_0000_0000 | (xxhash_rust::xxh3::xxh3_64(key) & 0xff_ffff_fff0)
}

fn key_digest(db: usize, key: &[u8], entry: &Entry) -> [u8; DIGEST_BYTES] {
    let mut input = (db as u32).to_be_bytes().to_vec();
    push_field(&mut input, key);
    input.extend_from_slice(&value_digest(entry));
    if let Some(at) = entry.expire_at_ms() {
        push_field(&mut input, b"!!expire!!");
        input.extend_from_slice(&at.to_be_bytes());
    }
    crate::engine::script::sha1::sha1(&input)
}

/// The value's digest from its canonical form: the value as RDB reads it back, with the
/// members of sets and hashes sorted (their order is the encoding's, not the data's).
fn value_digest(entry: &Entry) -> [u8; DIGEST_BYTES] {
    let payload = dump::dump(&entry.value, false);
    let mut input = entry.value.type_name().as_bytes().to_vec();
    match dump::parse(&payload) {
        Ok((_, value)) => canonical(&mut input, value),
        // Cannot happen for a dump of our own value; the raw payload still digests consistently.
        Err(_) => input.extend_from_slice(&payload),
    }
    crate::engine::script::sha1::sha1(&input)
}

fn canonical(out: &mut Vec<u8>, value: RdbValue) {
    match value {
        RdbValue::String(bytes) => push_field(out, &bytes),
        RdbValue::List(items) | RdbValue::Quicklist { items, .. } => items.iter().for_each(|i| push_field(out, i)),
        RdbValue::Set(mut members) => {
            members.sort();
            members.iter().for_each(|m| push_field(out, m));
        }
        RdbValue::Hash(fields) => {
            let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = fields.into_iter().map(|f| (f.field, f.value)).collect();
            pairs.sort();
            for (f, v) in &pairs {
                push_field(out, f);
                push_field(out, v);
            }
        }
        RdbValue::ZSet(mut elements) => {
            elements.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            for (member, score) in &elements {
                push_field(out, member);
                push_field(out, format!("{score:.17e}").as_bytes());
            }
        }
        RdbValue::Stream(s) => {
            for e in &s.entries {
                push_field(out, format!("{}-{}", e.id.ms, e.id.seq).as_bytes());
                for (f, v) in &e.fields {
                    push_field(out, f);
                    push_field(out, v);
                }
            }
            push_field(out, format!("{}-{}", s.last_id.ms, s.last_id.seq).as_bytes());
            let mut groups: Vec<String> = s.groups.iter().map(|g| format!("{g:?}")).collect();
            groups.sort();
            groups.iter().for_each(|g| push_field(out, g.as_bytes()));
        }
        RdbValue::Module(m) => push_field(out, format!("{m:?}").as_bytes()),
    }
}

/// A length-prefixed field, so that concatenations cannot collide.
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn xor_into(total: &mut [u8; DIGEST_BYTES], digest: &[u8; DIGEST_BYTES]) {
    for (t, d) in total.iter_mut().zip(digest) {
        *t ^= d;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
