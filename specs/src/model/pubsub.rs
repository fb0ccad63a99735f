//! Pub/Sub (Redis: pubsub.c): subscriptions, delivery, and the limits on a
//! subscribed RESP2 connection.
//!
//! Every subscription is one entry of a server-wide list kept in the order
//! the subscriptions were made; a client's channels, and a channel's
//! subscribers, are read off that list. Messages for other clients join the
//! model's deliveries (see `Model::take_deliveries`), which the test driver
//! drains and compares; messages a client publishes to itself are part of
//! its PUBLISH reply instead.
//!
//! A reply made of several frames (a notification per name, or a client's
//! own messages followed by the PUBLISH count) is modelled as an array of
//! those frames; a single notification is just itself.

use super::dispatch::Call;
use super::Model;
use crate::glob;
use crate::reply::Reply;

/// What a subscription listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: one channel.
    Channel,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: one shard channel (a namespace of its own).
    Shard,
}

/// One subscription of one client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The kind.
    pub kind: Kind,
    /// The channel, pattern or shard channel.
    pub name: Vec<u8>,
    /// The subscribed client.
    pub client: u64,
}

/// Commands a subscribed RESP2 client may still send (QUIT is not modelled).
pub(super) fn allowed_when_subscribed(name: &str) -> bool {
    ["ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "reset"]
        .contains(&name)
}

/// The error for any other command.
pub(super) fn not_in_subscribed_context(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

fn bulk_str(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

impl Model {
    /// The names a client subscribes to with this kind, oldest first.
    fn names_of(&self, client: u64, kind: Kind) -> Vec<Vec<u8>> {
        self.subscriptions.iter().filter(|s| s.client == client && s.kind == kind).map(|s| s.name.clone()).collect()
    }

    /// True when the client has any subscription.
    pub fn subscribed(&self, client: u64) -> bool {
        self.subscriptions.iter().any(|s| s.client == client)
    }

    /// True when the client is subscribed in RESP2, so that most commands
    /// are refused (not while EXEC runs its queue: those were accepted).
    pub fn restricted(&self, client: u64) -> bool {
        let c = self.client(client);
        c.resp == 2 && !c.in_exec && self.subscribed(client)
    }

    /// The count a notification reports: channels and patterns together, or
    /// shard channels alone.
    fn count_for(&self, client: u64, kind: Kind) -> i64 {
        let counted = |k: Kind| match kind {
            Kind::Shard => k == Kind::Shard,
            _ => k != Kind::Shard,
        };
        self.subscriptions.iter().filter(|s| s.client == client && counted(s.kind)).count() as i64
    }

    /// The messages (and other deliveries) to `client` not yet taken, oldest
    /// first.
    pub fn take_messages(&mut self, client: u64) -> Vec<Reply> {
        let (mine, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.deliveries).into_iter().partition(|(c, _)| *c == client);
        self.deliveries = rest;
        mine.into_iter().map(|(_, r)| r).collect()
    }

    /// Leaves every subscription silently (RESET).
    pub(super) fn leave_all(&mut self, client: u64) {
        self.subscriptions.retain(|s| s.client != client);
    }

    fn subscribe_one(&mut self, client: u64, kind: Kind, name: &[u8]) -> Reply {
        let exists = self.subscriptions.iter().any(|s| s.client == client && s.kind == kind && s.name == name);
        if !exists {
            self.subscriptions.push(Subscription { kind, name: name.to_vec(), client });
        }
        let verb = match kind {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        };
        Reply::Array(vec![bulk_str(verb), Reply::bulk(name), Reply::Int(self.count_for(client, kind))])
    }

    fn unsubscribe_one(&mut self, client: u64, kind: Kind, name: Option<&[u8]>) -> Reply {
        if let Some(name) = name {
            self.subscriptions.retain(|s| !(s.client == client && s.kind == kind && s.name == name));
        }
        let verb = match kind {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        };
        let name = name.map_or(Reply::Nil, Reply::bulk);
        Reply::Array(vec![bulk_str(verb), name, Reply::Int(self.count_for(client, kind))])
    }

    /// Delivers a message; returns the client's own messages and the count.
    pub(super) fn deliver(&mut self, publisher: u64, kind: Kind, channel: &[u8], message: &[u8]) -> (Vec<Reply>, i64) {
        let mut deliveries: Vec<(u64, Reply)> = Vec::new();
        let verb = if kind == Kind::Shard { "smessage" } else { "message" };
        for s in self.subscriptions.iter().filter(|s| s.kind == kind && s.name == channel) {
            deliveries.push((s.client, Reply::Array(vec![bulk_str(verb), Reply::bulk(channel), Reply::bulk(message)])));
        }
        if kind == Kind::Channel {
            // Patterns in byte order (Redis: hash-table order, unspecified),
            // each pattern's subscribers oldest first.
            let mut patterns: Vec<Vec<u8>> =
                self.subscriptions.iter().filter(|s| s.kind == Kind::Pattern).map(|s| s.name.clone()).collect();
            patterns.sort();
            patterns.dedup();
            for pattern in patterns.iter().filter(|p| glob::matches(p, channel)) {
                for s in self.subscriptions.iter().filter(|s| s.kind == Kind::Pattern && s.name == *pattern) {
                    let msg = Reply::Array(vec![
                        bulk_str("pmessage"),
                        Reply::bulk(pattern),
                        Reply::bulk(channel),
                        Reply::bulk(message),
                    ]);
                    deliveries.push((s.client, msg));
                }
            }
        }
        let count = deliveries.len() as i64;
        let mut own = Vec::new();
        for (client, msg) in deliveries {
            if client == publisher {
                own.push(msg);
            } else {
                self.deliveries.push((client, msg));
            }
        }
        (own, count)
    }
}

/// Several frames as one modelled reply.
fn frames(mut replies: Vec<Reply>) -> Reply {
    if replies.len() == 1 {
        replies.remove(0)
    } else {
        Reply::Array(replies)
    }
}

fn subscribe_generic(m: &mut Model, call: &Call, kind: Kind) -> Reply {
    frames(call.argv[1..].iter().map(|name| m.subscribe_one(call.client, kind, name)).collect())
}

fn unsubscribe_generic(m: &mut Model, call: &Call, kind: Kind) -> Reply {
    let names: Vec<Vec<u8>> = if call.argv.len() > 1 { call.argv[1..].to_vec() } else { m.names_of(call.client, kind) };
    if names.is_empty() {
        return m.unsubscribe_one(call.client, kind, None);
    }
    frames(names.iter().map(|name| m.unsubscribe_one(call.client, kind, Some(name))).collect())
}

/// SUBSCRIBE channel...
pub(super) fn subscribe(m: &mut Model, call: &Call) -> Reply {
    subscribe_generic(m, call, Kind::Channel)
}

/// UNSUBSCRIBE [channel...]
pub(super) fn unsubscribe(m: &mut Model, call: &Call) -> Reply {
    unsubscribe_generic(m, call, Kind::Channel)
}

/// PSUBSCRIBE pattern...
pub(super) fn psubscribe(m: &mut Model, call: &Call) -> Reply {
    subscribe_generic(m, call, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern...]
pub(super) fn punsubscribe(m: &mut Model, call: &Call) -> Reply {
    unsubscribe_generic(m, call, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel...: refused while EXEC runs.
pub(super) fn ssubscribe(m: &mut Model, call: &Call) -> Reply {
    if m.client(call.client).in_exec {
        return Reply::err("SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    }
    subscribe_generic(m, call, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel...]
pub(super) fn sunsubscribe(m: &mut Model, call: &Call) -> Reply {
    unsubscribe_generic(m, call, Kind::Shard)
}

fn publish_generic(m: &mut Model, call: &Call, kind: Kind) -> Reply {
    let (mut own, count) = m.deliver(call.client, kind, call.arg(1), call.arg(2));
    if own.is_empty() {
        return Reply::Int(count);
    }
    own.push(Reply::Int(count));
    frames(own)
}

/// PUBLISH channel message
pub(super) fn publish(m: &mut Model, call: &Call) -> Reply {
    publish_generic(m, call, Kind::Channel)
}

/// SPUBLISH shardchannel message
pub(super) fn spublish(m: &mut Model, call: &Call) -> Reply {
    publish_generic(m, call, Kind::Shard)
}

/// The subcommands of PUBSUB with their arity (the subcommand counts).
pub(super) const PUBSUB_SUBCOMMANDS: &[(&str, i32)] =
    &[("channels", -2), ("numsub", -2), ("numpat", 2), ("shardchannels", -2), ("shardnumsub", -2), ("help", 2)];

/// PUBSUB <subcommand> ...; the dispatcher has checked the subcommand and
/// its arity.
pub(super) fn pubsub(m: &mut Model, call: &Call) -> Reply {
    let sub = String::from_utf8_lossy(call.arg(1)).to_ascii_lowercase();
    let names_of_kind = |m: &Model, kind: Kind| {
        let mut names: Vec<Vec<u8>> =
            m.subscriptions.iter().filter(|s| s.kind == kind).map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    };
    let numsub = |m: &Model, kind: Kind| {
        let mut out = Vec::new();
        for name in &call.argv[2..] {
            let n = m.subscriptions.iter().filter(|s| s.kind == kind && s.name == *name).count();
            out.push(Reply::bulk(name));
            out.push(Reply::Int(n as i64));
        }
        Reply::Array(out)
    };
    match sub.as_str() {
        "channels" | "shardchannels" => {
            if call.argv.len() > 3 {
                let typed = String::from_utf8_lossy(call.arg(1));
                return Reply::err(&format!(
                    "unknown subcommand or wrong number of arguments for '{typed}'. Try PUBSUB HELP."
                ));
            }
            let kind = if sub == "channels" { Kind::Channel } else { Kind::Shard };
            let pattern = call.argv.get(2);
            let names = names_of_kind(m, kind)
                .into_iter()
                .filter(|n| pattern.is_none_or(|p| glob::matches(p, n)))
                .map(Reply::Bulk)
                .collect();
            Reply::Array(names)
        }
        "numsub" => numsub(m, Kind::Channel),
        "shardnumsub" => numsub(m, Kind::Shard),
        "numpat" => Reply::Int(names_of_kind(m, Kind::Pattern).len() as i64),
        _ => Reply::Array(
            [
                "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
                "HELP",
                "    Prints this help.",
            ]
            .iter()
            .map(|l| Reply::Status(l.to_string()))
            .collect(),
        ),
    }
}
