//! Pub/Sub state (Redis's pubsub.c): which clients listen to which channels, patterns and shard
//! channels, and delivery of published messages.
//!
//! The server-wide side maps each channel (pattern, shard channel) to its subscribers in the
//! order they subscribed, which is the order messages are delivered in. Each client keeps its own
//! subscriptions (for its counts, CLIENT LIST and unsubscribing from everything). Patterns are
//! visited in byte order when publishing; Redis visits them in its hash table's order, which is
//! random per process, so no order between patterns is promised.
//!
//! Messages for other clients go to `engine.outbox` (the server writes them after the batch);
//! messages and notifications for the running client go to `client.pushes`, which the engine
//! writes before the command's reply, whatever CLIENT REPLY says (as Redis's CLIENT_PUSHING).

use super::client::ClientState;
use super::Engine;
use crate::resp::Frame;
use std::collections::BTreeMap;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The first element of a (un)subscribe notification.
    fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
            Kind::Shard => ("ssubscribe", "sunsubscribe"),
        }
    }
}

/// One client's subscriptions, each in subscription order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientSubs {
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard_channels: Vec<Vec<u8>>,
}

impl ClientSubs {
    fn list(&self, kind: Kind) -> &Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard_channels,
        }
    }

    fn list_mut(&mut self, kind: Kind) -> &mut Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// The count a notification of this kind reports: channels plus patterns, or shard
    /// channels alone.
    fn count_for(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard_channels.len(),
        }
    }

    /// Subscribed to anything: in RESP2 the client may then only run the (un)subscribe
    /// commands, PING, QUIT and RESET (Redis's CLIENT_PUBSUB).
    pub fn active(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty())
    }
}

/// Every subscription in the server.
#[derive(Clone, Debug, Default)]
pub struct PubSub {
    channels: BTreeMap<Vec<u8>, Vec<u64>>,
    patterns: BTreeMap<Vec<u8>, Vec<u64>>,
    shard_channels: BTreeMap<Vec<u8>, Vec<u64>>,
}

impl PubSub {
    fn map(&self, kind: Kind) -> &BTreeMap<Vec<u8>, Vec<u64>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard_channels,
        }
    }

    fn map_mut(&mut self, kind: Kind) -> &mut BTreeMap<Vec<u8>, Vec<u64>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// How many channels (patterns, shard channels) have at least one subscriber.
    pub fn count(&self, kind: Kind) -> usize {
        self.map(kind).len()
    }

    /// How many clients subscribe to this exact channel or shard channel (PUBSUB NUMSUB).
    pub fn subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.map(kind).get(name).map_or(0, Vec::len)
    }

    /// The names with subscribers, in byte order, matching `pattern` if given.
    pub fn names_matching(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        self.map(kind)
            .keys()
            .filter(|name| pattern.is_none_or(|p| super::glob::string_match(p, name, false)))
            .cloned()
            .collect()
    }

    fn add(&mut self, kind: Kind, name: &[u8], client: u64) {
        self.map_mut(kind).entry(name.to_vec()).or_default().push(client);
    }

    fn remove(&mut self, kind: Kind, name: &[u8], client: u64) {
        let map = self.map_mut(kind);
        if let Some(clients) = map.get_mut(name) {
            clients.retain(|&c| c != client);
            if clients.is_empty() {
                map.remove(name);
            }
        }
    }
}

/// Commands a subscribed RESP2 connection may run.
pub fn allowed_when_subscribed(full_name: &str) -> bool {
    matches!(
        full_name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// A (un)subscribe notification: `[verb, name or null, count]`.
fn notification(verb: &str, name: Option<&[u8]>, count: usize) -> Frame {
    let name = name.map_or(Frame::Null, |n| Frame::bulk(n.to_vec()));
    Frame::Push(vec![Frame::bulk_str(verb), name, Frame::Integer(count as i64)])
}

impl Engine {
    /// Subscribes the client to `name`, unless it already is, and notifies it either way.
    pub fn subscribe(&mut self, client: &mut ClientState, kind: Kind, name: &[u8]) {
        let list = client.subs.list_mut(kind);
        if !list.iter().any(|n| n == name) {
            list.push(name.to_vec());
            self.pubsub.add(kind, name, client.id);
        }
        let count = client.subs.count_for(kind);
        client.pushes.push(notification(kind.verbs().0, Some(name), count));
    }

    /// Unsubscribes the client from `name` if it is subscribed; notifies it when `notify`.
    pub fn unsubscribe(&mut self, client: &mut ClientState, kind: Kind, name: &[u8], notify: bool) {
        let list = client.subs.list_mut(kind);
        if let Some(pos) = list.iter().position(|n| n == name) {
            list.remove(pos);
            self.pubsub.remove(kind, name, client.id);
        }
        if notify {
            let count = client.subs.count_for(kind);
            client.pushes.push(notification(kind.verbs().1, Some(name), count));
        }
    }

    /// Unsubscribes the client from everything of one kind, in subscription order; when
    /// notifying and there was nothing, one notification with a null name still answers.
    pub fn unsubscribe_all(&mut self, client: &mut ClientState, kind: Kind, notify: bool) {
        let names = client.subs.list(kind).clone();
        for name in &names {
            self.unsubscribe(client, kind, name, notify);
        }
        if notify && names.is_empty() {
            let count = client.subs.count_for(kind);
            client.pushes.push(notification(kind.verbs().1, None, count));
        }
    }

    /// Leaves every subscription without notifications (RESET, a closed connection).
    pub fn unsubscribe_everything(&mut self, client: &mut ClientState) {
        for kind in [Kind::Channel, Kind::Shard, Kind::Pattern] {
            self.unsubscribe_all(client, kind, false);
        }
    }

    /// A disconnected client's subscriptions go away.
    pub fn forget_subscriptions(&mut self, id: u64) {
        if let Some(mut client) = self.clients.remove(&id) {
            self.unsubscribe_everything(&mut client);
            self.clients.insert(id, client);
        }
    }

    /// Delivers a message to the subscribers of `channel` (and, for global channels, of the
    /// patterns matching it); returns how many deliveries were made. `publisher` is the running
    /// client, which gets its own messages before the PUBLISH reply.
    pub fn publish(&mut self, publisher: &mut ClientState, kind: Kind, channel: &[u8], message: &[u8]) -> usize {
        self.publish_from(Some(publisher), kind, channel, message)
    }

    /// `publish` for messages no command sends (keyspace events of the expiry cycle): everything
    /// goes through the outbox.
    pub fn publish_detached(&mut self, kind: Kind, channel: &[u8], message: &[u8]) -> usize {
        self.publish_from(None, kind, channel, message)
    }

    fn publish_from(
        &mut self,
        mut publisher: Option<&mut ClientState>,
        kind: Kind,
        channel: &[u8],
        message: &[u8],
    ) -> usize {
        let mut deliveries: Vec<(u64, Frame)> = Vec::new();
        let verb = if kind == Kind::Shard { "smessage" } else { "message" };
        for &id in self.pubsub.map(kind).get(channel).map(Vec::as_slice).unwrap_or_default() {
            let frame =
                Frame::Push(vec![Frame::bulk_str(verb), Frame::bulk(channel.to_vec()), Frame::bulk(message.to_vec())]);
            deliveries.push((id, frame));
        }
        if kind == Kind::Channel {
            for (pattern, ids) in &self.pubsub.patterns {
                if !super::glob::string_match(pattern, channel, false) {
                    continue;
                }
                for &id in ids {
                    let frame = Frame::Push(vec![
                        Frame::bulk_str("pmessage"),
                        Frame::bulk(pattern.clone()),
                        Frame::bulk(channel.to_vec()),
                        Frame::bulk(message.to_vec()),
                    ]);
                    deliveries.push((id, frame));
                }
            }
        }
        let count = deliveries.len();
        for (id, frame) in deliveries {
            match publisher.as_deref_mut() {
                Some(p) if p.id == id => p.pushes.push(frame),
                _ => self.outbox.push((id, frame)),
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_counts_and_forgets_empty_names() {
        let mut p = PubSub::default();
        p.add(Kind::Channel, b"a", 1);
        p.add(Kind::Channel, b"a", 2);
        p.add(Kind::Pattern, b"a*", 1);
        assert_eq!((p.count(Kind::Channel), p.subscribers(Kind::Channel, b"a")), (1, 2));
        p.remove(Kind::Channel, b"a", 1);
        p.remove(Kind::Channel, b"a", 2);
        assert_eq!(p.count(Kind::Channel), 0);
        assert_eq!(p.names_matching(Kind::Pattern, Some(b"a\\*")), vec![b"a*".to_vec()]);
    }

    #[test]
    fn detached_publish_goes_to_the_outbox() {
        let mut h = crate::engine::testkit::Harness::new();
        let sub = h.client;
        h.run("PSUBSCRIBE __keyevent@0__:*");
        let n = h.engine.publish_detached(Kind::Channel, b"__keyevent@0__:expired", b"k");
        assert_eq!(n, 1);
        let (id, frame) = h.engine.outbox.pop().expect("a message");
        assert_eq!(id, sub);
        assert!(matches!(frame, Frame::Push(ref items) if items.len() == 4));
    }
}
