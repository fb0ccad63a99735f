//! Pub/Sub commands (Redis's pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
//! SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB. The state and the delivery are in
//! `engine/pubsub.rs`; the RESP2 restriction on subscribed connections is in the dispatcher.
//!
//! The (un)subscribe commands answer with one notification per name, written as out-of-band
//! frames (`client.pushes`); their own reply is empty.

use crate::cmd::args::err;
use crate::cmd::connection::help_reply;
use crate::engine::pubsub::Kind;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "subscribe" => subscribe,
        "unsubscribe" => unsubscribe,
        "psubscribe" => psubscribe,
        "punsubscribe" => punsubscribe,
        "ssubscribe" => ssubscribe,
        "sunsubscribe" => sunsubscribe,
        "publish" => publish,
        "spublish" => spublish,
        "pubsub|channels" => pubsub_channels,
        "pubsub|shardchannels" => pubsub_shardchannels,
        "pubsub|numsub" => pubsub_numsub,
        "pubsub|shardnumsub" => pubsub_shardnumsub,
        "pubsub|numpat" => pubsub_numpat,
        "pubsub|help" => pubsub_help,
        _ => return None,
    };
    Some(h)
}

/// The reply of a command whose answer is all notifications.
fn no_reply() -> Frame {
    Frame::Raw(Vec::new())
}

fn subscribe_generic(ctx: &mut Ctx, kind: Kind) -> Frame {
    // A client that must get one reply per command (a script) cannot subscribe; inside EXEC,
    // SUBSCRIBE and PSUBSCRIBE stay allowed, as Redis keeps them for compatibility.
    if ctx.client.deny_blocking && (kind == Kind::Shard || !ctx.client.multi.active) {
        let name = ctx.meta.name.to_ascii_uppercase();
        return err(&format!("ERR {name} isn't allowed for a DENY BLOCKING client"));
    }
    for name in &ctx.argv[1..] {
        ctx.engine.subscribe(ctx.client, kind, name);
    }
    no_reply()
}

fn unsubscribe_generic(ctx: &mut Ctx, kind: Kind) -> Frame {
    if ctx.argc() == 1 {
        ctx.engine.unsubscribe_all(ctx.client, kind, true);
    } else {
        for name in &ctx.argv[1..] {
            ctx.engine.unsubscribe(ctx.client, kind, name, true);
        }
    }
    no_reply()
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx) -> Frame {
    subscribe_generic(ctx, Kind::Channel)
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx) -> Frame {
    unsubscribe_generic(ctx, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx) -> Frame {
    subscribe_generic(ctx, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx) -> Frame {
    unsubscribe_generic(ctx, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]: refused inside EXEC, unlike SUBSCRIBE.
fn ssubscribe(ctx: &mut Ctx) -> Frame {
    subscribe_generic(ctx, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx) -> Frame {
    unsubscribe_generic(ctx, Kind::Shard)
}

/// PUBLISH channel message: the number of deliveries (a client reached through a channel and
/// two patterns counts three times).
fn publish(ctx: &mut Ctx) -> Frame {
    let n = ctx.engine.publish(ctx.client, Kind::Channel, ctx.arg(1), ctx.arg(2));
    // Replicas deliver it to their own subscribers; the AOF leaves it out (see aof_feed).
    ctx.force_propagation();
    Frame::Integer(n as i64)
}

/// SPUBLISH shardchannel message (patterns do not apply to shard channels).
fn spublish(ctx: &mut Ctx) -> Frame {
    let n = ctx.engine.publish(ctx.client, Kind::Shard, ctx.arg(1), ctx.arg(2));
    ctx.force_propagation();
    Frame::Integer(n as i64)
}

/// `ERR unknown subcommand or wrong number of arguments for '<SUB as typed>'. Try PUBSUB HELP.`
fn syntax_error(ctx: &Ctx) -> Frame {
    Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), "PUBSUB"))
}

fn channel_list(ctx: &mut Ctx, kind: Kind) -> Frame {
    if ctx.argc() > 3 {
        return syntax_error(ctx);
    }
    let pattern = ctx.argv.get(2).map(Vec::as_slice);
    Frame::array_of_bulks(ctx.engine.pubsub.names_matching(kind, pattern))
}

/// PUBSUB CHANNELS [pattern]: channels with subscribers, in byte order (Redis: hash order).
fn pubsub_channels(ctx: &mut Ctx) -> Frame {
    channel_list(ctx, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx) -> Frame {
    channel_list(ctx, Kind::Shard)
}

fn numsub(ctx: &mut Ctx, kind: Kind) -> Frame {
    let mut out = Vec::with_capacity(2 * ctx.argc().saturating_sub(2));
    for name in &ctx.argv[2..] {
        out.push(Frame::bulk(name.clone()));
        out.push(Frame::Integer(ctx.engine.pubsub.subscribers(kind, name) as i64));
    }
    Frame::Array(out)
}

/// PUBSUB NUMSUB [channel ...]: pairs of channel and subscriber count (patterns not counted).
fn pubsub_numsub(ctx: &mut Ctx) -> Frame {
    numsub(ctx, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx) -> Frame {
    numsub(ctx, Kind::Shard)
}

/// PUBSUB NUMPAT: how many distinct patterns have subscribers.
fn pubsub_numpat(ctx: &mut Ctx) -> Frame {
    Frame::Integer(ctx.engine.pubsub.count(Kind::Pattern) as i64)
}

/// PUBSUB HELP
fn pubsub_help(_ctx: &mut Ctx) -> Frame {
    help_reply(
        b"PUBSUB",
        &[
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
        ],
    )
}

#[cfg(test)]
mod tests;
