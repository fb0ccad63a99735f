//! DEBUG DIGEST and DIGEST-VALUE: a SHA-1 based fingerprint of the dataset, built as Redis builds
//! it so that two servers holding the same data (a master and its replica, a server before and
//! after a reload) print the same digest, and verdis prints the digest redis-server prints.
//!
//! Two ways of folding a piece of data into a 20-byte digest:
//! - `xor_in`: XOR the data's SHA-1 into the digest. Order does not matter, so unordered
//!   collections (keys, set members, hash fields, sorted set members) fold this way.
//! - `mix_in`: `xor_in`, then replace the digest by its own SHA-1. Order matters, so a list, a
//!   stream, and the parts of one element (a field and its value) fold this way.

use crate::engine::db::{Db, Entry};
use crate::engine::script::sha1::sha1;
use crate::engine::stream::StreamId;
use crate::engine::value::Value;
use crate::resp::format_g;

pub type Digest = [u8; 20];

fn xor_in(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

fn mix_in(digest: &mut Digest, data: &[u8]) {
    xor_in(digest, data);
    *digest = sha1(&digest[..]);
}

/// Redis's type codes (OBJ_STRING ...), which the digest includes.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// Folds one pair (a hash field and its value, a member and its score) into an element digest
/// of its own, then that into `digest`, unordered.
fn xor_pair(digest: &mut Digest, a: &[u8], b: &[u8]) {
    let mut element = [0u8; 20];
    mix_in(&mut element, a);
    mix_in(&mut element, b);
    xor_in(digest, &element);
}

/// Folds a value and whether it has an expiry into `digest` (Redis's xorObjectDigest).
pub fn fold_value(digest: &mut Digest, entry: &Entry) {
    let value = &entry.value;
    mix_in(digest, &type_code(value).to_be_bytes());
    match value {
        Value::Str(s) => mix_in(digest, &s.as_bytes()),
        Value::List(list) => list.iter().for_each(|item| mix_in(digest, item)),
        Value::Set(set) => set.iter().for_each(|member| xor_in(digest, &member)),
        Value::ZSet(zset) => {
            zset.iter().for_each(|(score, member)| xor_pair(digest, member, format_g(score, 17).as_bytes()))
        }
        Value::Hash(hash) => hash.iter().for_each(|(field, value)| xor_pair(digest, field, value)),
        Value::Stream(stream) => {
            for (id, fields) in stream.range(StreamId::MIN, StreamId::MAX) {
                mix_in(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (field, value) in fields {
                    mix_in(digest, field);
                    mix_in(digest, value);
                }
            }
        }
    }
    if entry.expire_at_ms().is_some() {
        xor_in(digest, b"!!expire!!");
    }
}

/// The digest of every database: zero for an empty dataset; otherwise each non-empty database's
/// number mixed in, and each key's own digest (key, then value) XORed in. Logically expired keys
/// not yet removed count, as in Redis.
pub fn dataset(dbs: &[Db]) -> Digest {
    let mut total = [0u8; 20];
    for (index, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_in(&mut total, &(index as u32).to_be_bytes());
        for (key, entry) in db.iter() {
            let mut one = [0u8; 20];
            mix_in(&mut one, key);
            fold_value(&mut one, entry);
            xor_in(&mut total, &one);
        }
    }
    total
}

pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
