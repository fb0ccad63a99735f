//! Keyspace notifications (Redis: notify.c): the `notify-keyspace-events`
//! classes, set with `CONFIG SET notify-keyspace-events` (the only CONFIG
//! form the model knows), and the events of the generic (`g`), string (`$`:
//! strings, bitmaps, HyperLogLog), list (`l`), set (`s`), hash (`h`) and
//! sorted set (`z`) classes. Expired (`x`), new-key (`n`) and key-miss (`m`)
//! events are not modelled: the model leaves open when a dead key is
//! reclaimed, and does not track creations or misses.
//!
//! An event is published as Redis publishes it: on `__keyspace@<db>__:<key>`
//! with the event as message (class `K`), then on `__keyevent@<db>__:<event>`
//! with the key as message (class `E`); subscribers get ordinary Pub/Sub
//! messages. The messages for the client running the command join its reply
//! (see `wrap_own`): before it, or after it from the point where Redis's
//! command writes its reply (`reply_here`: GETSET, HSET, LPUSH, ...).

use super::dispatch::Call;
use super::pubsub::Kind;
use super::Model;
use crate::reply::Reply;

/// `K`: publish on the keyspace channel.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on the keyevent channel.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic events (DEL, EXPIRE, RENAME...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string events.
pub const STRING: u32 = 1 << 3;
/// `l`: list events.
pub const LIST: u32 = 1 << 4;
/// `s`: set events.
pub const SET: u32 = 1 << 5;
/// `h`: hash events.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set events.
pub const ZSET: u32 = 1 << 7;
const EXPIRED: u32 = 1 << 8;
const EVICTED: u32 = 1 << 9;
const STREAM: u32 = 1 << 10;
const KEY_MISS: u32 = 1 << 11;
const MODULE: u32 = 1 << 13;
const NEW: u32 = 1 << 14;
/// `A`: every class but key misses and new keys.
const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The classes a `notify-keyspace-events` value names, or `None` for a
/// character that names none (Redis: keyspaceEventsStringToFlags).
pub fn parse_classes(text: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in text {
        flags |= match c {
            b'A' => ALL,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The value CONFIG GET shows (Redis: keyspaceEventsFlagsToString); the model
/// has no CONFIG GET, so only its tests use it.
#[cfg(test)]
pub fn classes_text(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                out.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            out.push(c);
        }
    }
    out
}

impl Model {
    /// Raises `event` of `class` about `key` of database `db`, caused by
    /// `client`'s command.
    pub(super) fn notify(&mut self, client: u64, class: u32, event: &str, db: usize, key: &[u8]) {
        if self.notify_flags & class == 0 {
            return;
        }
        if self.notify_flags & KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            let (own, _) = self.deliver(client, Kind::Channel, &channel, event.as_bytes());
            self.own_events.extend(own);
        }
        if self.notify_flags & KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{event}").into_bytes();
            let (own, _) = self.deliver(client, Kind::Channel, &channel, key);
            self.own_events.extend(own);
        }
    }

    /// `notify` for the running command's client and database.
    pub(super) fn notify_call(&mut self, call: &Call, class: u32, event: &str, key: &[u8]) {
        self.notify(call.client, class, event, call.db, key);
    }

    /// The events raised from now on come after the command's reply.
    pub(super) fn reply_here(&mut self) {
        self.own_split = Some(self.own_events.len());
    }

    /// The command's reply with the messages its own client got: those
    /// raised before `reply_here` first, then the reply, then the rest, as
    /// one array of frames; the reply alone when there are none.
    pub(super) fn wrap_own(&mut self, reply: Reply) -> Reply {
        let mut own = std::mem::take(&mut self.own_events);
        let split = self.own_split.take().unwrap_or(own.len()).min(own.len());
        if own.is_empty() {
            return reply;
        }
        let after = own.split_off(split);
        own.push(reply);
        own.extend(after);
        Reply::Array(own)
    }
}

/// CONFIG SET notify-keyspace-events <classes>: the only CONFIG form the
/// model implements.
pub(super) fn config(m: &mut Model, call: &Call) -> Reply {
    let sub = call.arg(1).to_ascii_lowercase();
    let param = call.argv.get(2).map(|p| p.to_ascii_lowercase());
    if sub != b"set" || call.argv.len() != 4 || param.as_deref() != Some(b"notify-keyspace-events".as_slice()) {
        return Reply::err("the model implements only CONFIG SET notify-keyspace-events <classes>");
    }
    match parse_classes(call.arg(3)) {
        Some(flags) => {
            m.notify_flags = flags;
            Reply::ok()
        }
        None => Reply::err(
            "CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: NOTIFY-1
    #[test]
    fn classes_round_trip_as_redis_shows_them() {
        let shown = |s: &str| classes_text(parse_classes(s.as_bytes()).expect("valid"));
        assert_eq!(shown("KEA$lshzxetmdn"), "AKEm");
        assert_eq!(shown("mnlE"), "lnEm");
        assert_eq!(shown("An"), "A");
        assert_eq!(shown("KA"), "AK");
        assert_eq!(shown("$lshzxeKE"), "$lshzxeKE");
        assert_eq!(shown(""), "");
        assert_eq!(parse_classes(b"Q"), None);
    }
}
