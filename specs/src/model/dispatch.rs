//! Command lookup, arity checks and the generic error texts.

use super::{
    bitmaps, expiry, geo, hashes, hyperloglog, keyspace, lists, notify, pubsub, sets, sort, streams, streams_groups,
    strings, tx, zsets, Item, Model,
};
use crate::num::c_str;
use crate::reply::Reply;

/// What every command implementation receives.
pub(super) struct Call<'a> {
    /// The connection issuing the command.
    pub client: u64,
    /// The connection's selected database.
    pub db: usize,
    /// The arguments, command name included.
    pub argv: &'a [Vec<u8>],
    /// The current time.
    pub now_ms: u64,
    /// The command's lower-case name (used in error texts).
    pub name: &'static str,
}

impl Call<'_> {
    /// Argument `i` (the command name is argument 0).
    pub fn arg(&self, i: usize) -> &[u8] {
        &self.argv[i]
    }

    /// `ERR invalid expire time in '<cmd>' command`.
    pub fn invalid_expire(&self) -> Reply {
        Reply::err(&format!("invalid expire time in '{}' command", self.name))
    }

    /// `ERR wrong number of arguments for '<cmd>' command`.
    pub fn wrong_arity(&self) -> Reply {
        wrong_arity(self.name)
    }
}

type Handler = fn(&mut Model, &Call) -> Reply;

/// (name, arity as in COMMAND INFO, implementation). A positive arity is an
/// exact argument count, a negative one a minimum.
const COMMANDS: &[(&str, i32, Handler)] = &[
    // strings
    ("get", 2, strings::get),
    ("set", -3, strings::set),
    ("setnx", 3, strings::setnx),
    ("setex", 4, strings::setex),
    ("psetex", 4, strings::psetex),
    ("mget", -2, strings::mget),
    ("mset", -3, strings::mset),
    ("msetnx", -3, strings::msetnx),
    ("getset", 3, strings::getset),
    ("getdel", 2, strings::getdel),
    ("getex", -2, strings::getex),
    ("append", 3, strings::append),
    ("strlen", 2, strings::strlen),
    ("getrange", 4, strings::getrange),
    ("substr", 4, strings::getrange),
    ("setrange", 4, strings::setrange),
    ("incr", 2, strings::incr),
    ("decr", 2, strings::decr),
    ("incrby", 3, strings::incrby),
    ("decrby", 3, strings::decrby),
    ("incrbyfloat", 3, strings::incrbyfloat),
    ("lcs", -3, strings::lcs),
    // keyspace
    ("config", -2, notify::config),
    ("del", -2, keyspace::del),
    ("unlink", -2, keyspace::del),
    ("exists", -2, keyspace::exists),
    ("type", 2, keyspace::type_cmd),
    ("rename", 3, keyspace::rename),
    ("renamenx", 3, keyspace::renamenx),
    ("move", 3, keyspace::move_cmd),
    ("copy", -3, keyspace::copy),
    ("swapdb", 3, keyspace::swapdb),
    ("select", 2, keyspace::select),
    ("dbsize", 1, keyspace::dbsize),
    ("touch", -2, keyspace::touch),
    ("keys", 2, keyspace::keys),
    ("randomkey", 1, keyspace::randomkey),
    ("scan", -2, keyspace::scan),
    ("flushdb", -1, keyspace::flushdb),
    ("flushall", -1, keyspace::flushall),
    ("ping", -1, keyspace::ping),
    ("echo", 2, keyspace::echo),
    // expiry
    ("expire", -3, expiry::expire),
    ("pexpire", -3, expiry::pexpire),
    ("expireat", -3, expiry::expireat),
    ("pexpireat", -3, expiry::pexpireat),
    ("ttl", 2, expiry::ttl),
    ("pttl", 2, expiry::pttl),
    ("expiretime", 2, expiry::expiretime),
    ("pexpiretime", 2, expiry::pexpiretime),
    ("persist", 2, expiry::persist),
    // lists
    ("lpush", -3, lists::lpush),
    ("rpush", -3, lists::rpush),
    ("lpushx", -3, lists::lpushx),
    ("rpushx", -3, lists::rpushx),
    ("lpop", -2, lists::lpop),
    ("rpop", -2, lists::rpop),
    ("lmpop", -4, lists::lmpop),
    ("llen", 2, lists::llen),
    ("lrange", 4, lists::lrange),
    ("lindex", 3, lists::lindex),
    ("lset", 4, lists::lset),
    ("linsert", 5, lists::linsert),
    ("lrem", 4, lists::lrem),
    ("ltrim", 4, lists::ltrim),
    ("lpos", -3, lists::lpos),
    ("lmove", 5, lists::lmove),
    ("rpoplpush", 3, lists::rpoplpush),
    ("blpop", -3, lists::blpop),
    ("brpop", -3, lists::brpop),
    ("blmove", 6, lists::blmove),
    ("brpoplpush", 4, lists::brpoplpush),
    ("blmpop", -5, lists::blmpop),
    // bitmaps
    ("setbit", 4, bitmaps::setbit),
    ("getbit", 3, bitmaps::getbit),
    ("bitcount", -2, bitmaps::bitcount),
    ("bitpos", -3, bitmaps::bitpos),
    ("bitop", -4, bitmaps::bitop),
    ("bitfield", -2, bitmaps::bitfield),
    ("bitfield_ro", -2, bitmaps::bitfield_ro),
    // hyperloglog
    ("pfadd", -2, hyperloglog::pfadd),
    ("pfcount", -2, hyperloglog::pfcount),
    ("pfmerge", -2, hyperloglog::pfmerge),
    ("pfdebug", 3, hyperloglog::pfdebug),
    ("pfselftest", 1, hyperloglog::pfselftest),
    // sets
    ("sadd", -3, sets::sadd),
    ("srem", -3, sets::srem),
    ("smembers", 2, sets::smembers),
    ("sismember", 3, sets::sismember),
    ("smismember", -3, sets::smismember),
    ("scard", 2, sets::scard),
    ("spop", -2, sets::spop),
    ("srandmember", -2, sets::srandmember),
    ("smove", 4, sets::smove),
    ("sinter", -2, sets::sinter),
    ("sintercard", -3, sets::sintercard),
    ("sinterstore", -3, sets::sinterstore),
    ("sunion", -2, sets::sunion),
    ("sunionstore", -3, sets::sunionstore),
    ("sdiff", -2, sets::sdiff),
    ("sdiffstore", -3, sets::sdiffstore),
    ("sscan", -3, sets::sscan),
    // sorted sets
    ("zadd", -4, zsets::zadd),
    ("zincrby", 4, zsets::zincrby),
    ("zrem", -3, zsets::zrem),
    ("zcard", 2, zsets::zcard),
    ("zscore", 3, zsets::zscore),
    ("zmscore", -3, zsets::zmscore),
    ("zrank", 3, zsets::zrank),
    ("zrevrank", 3, zsets::zrevrank),
    ("zcount", 4, zsets::zcount),
    ("zlexcount", 4, zsets::zlexcount),
    ("zrange", -4, zsets::zrange),
    ("zrangestore", -5, zsets::zrangestore),
    ("zrevrange", -4, zsets::zrevrange),
    ("zrangebyscore", -4, zsets::zrangebyscore),
    ("zrevrangebyscore", -4, zsets::zrevrangebyscore),
    ("zrangebylex", -4, zsets::zrangebylex),
    ("zrevrangebylex", -4, zsets::zrevrangebylex),
    ("zremrangebyrank", 4, zsets::zremrangebyrank),
    ("zremrangebyscore", 4, zsets::zremrangebyscore),
    ("zremrangebylex", 4, zsets::zremrangebylex),
    ("zpopmin", -2, zsets::zpopmin),
    ("zpopmax", -2, zsets::zpopmax),
    ("zmpop", -4, zsets::zmpop),
    ("zrandmember", -2, zsets::zrandmember),
    ("zscan", -3, zsets::zscan),
    ("zunion", -3, zsets::zunion),
    ("zinter", -3, zsets::zinter),
    ("zdiff", -3, zsets::zdiff),
    ("zintercard", -3, zsets::zintercard),
    ("zunionstore", -4, zsets::zunionstore),
    ("zinterstore", -4, zsets::zinterstore),
    ("zdiffstore", -4, zsets::zdiffstore),
    // hashes
    ("hset", -4, hashes::hset),
    ("hmset", -4, hashes::hset),
    ("hsetnx", 4, hashes::hsetnx),
    ("hget", 3, hashes::hget),
    ("hmget", -3, hashes::hmget),
    ("hdel", -3, hashes::hdel),
    ("hlen", 2, hashes::hlen),
    ("hstrlen", 3, hashes::hstrlen),
    ("hexists", 3, hashes::hexists),
    ("hkeys", 2, hashes::hkeys),
    ("hvals", 2, hashes::hvals),
    ("hgetall", 2, hashes::hgetall),
    ("hincrby", 4, hashes::hincrby),
    ("hincrbyfloat", 4, hashes::hincrbyfloat),
    ("hrandfield", -2, hashes::hrandfield),
    ("hscan", -3, hashes::hscan),
    // streams
    ("xadd", -5, streams::xadd),
    ("xtrim", -4, streams::xtrim),
    ("xlen", 2, streams::xlen),
    ("xrange", -4, streams::xrange),
    ("xrevrange", -4, streams::xrevrange),
    ("xdel", -3, streams::xdel),
    ("xsetid", -3, streams::xsetid),
    ("xgroup", -2, streams_groups::xgroup),
    ("xread", -4, streams_groups::xread),
    ("xreadgroup", -7, streams_groups::xread),
    ("xack", -4, streams_groups::xack),
    ("xpending", -3, streams_groups::xpending),
    ("xclaim", -6, streams_groups::xclaim),
    ("xautoclaim", -6, streams_groups::xautoclaim),
    ("xinfo", -2, streams_groups::xinfo),
    // sort
    ("sort", -2, sort::sort),
    ("sort_ro", -2, sort::sort_ro),
    ("bzpopmin", -3, zsets::bzpopmin),
    ("bzpopmax", -3, zsets::bzpopmax),
    ("bzmpop", -5, zsets::bzmpop),
    // transactions
    ("multi", 1, tx::multi),
    ("exec", 1, tx::exec),
    ("discard", 1, tx::discard),
    ("watch", -2, tx::watch),
    ("unwatch", 1, tx::unwatch),
    ("reset", 1, keyspace::reset),
    // pub/sub
    ("subscribe", -2, pubsub::subscribe),
    ("unsubscribe", -1, pubsub::unsubscribe),
    ("psubscribe", -2, pubsub::psubscribe),
    ("punsubscribe", -1, pubsub::punsubscribe),
    ("ssubscribe", -2, pubsub::ssubscribe),
    ("sunsubscribe", -1, pubsub::sunsubscribe),
    ("publish", 3, pubsub::publish),
    ("spublish", 3, pubsub::spublish),
    ("pubsub", -2, pubsub::pubsub),
    // geo
    ("geoadd", -5, geo::geoadd),
    ("geopos", -2, geo::geopos),
    ("geodist", -4, geo::geodist),
    ("geohash", -2, geo::geohash),
    ("georadius", -6, geo::georadius),
    ("georadius_ro", -6, geo::georadius_ro),
    ("georadiusbymember", -5, geo::georadiusbymember),
    ("georadiusbymember_ro", -5, geo::georadiusbymember_ro),
    ("geosearch", -7, geo::geosearch),
    ("geosearchstore", -8, geo::geosearchstore),
];

/// The lower-case names of every modelled command.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|(name, _, _)| *name)
}

/// Finds a command by name, ignoring ASCII case (a NUL byte never matches).
fn find(name: &[u8]) -> Option<&'static (&'static str, i32, Handler)> {
    COMMANDS.iter().find(|(n, _, _)| n.as_bytes().eq_ignore_ascii_case(name))
}

pub(super) fn wrong_arity(name: &str) -> Reply {
    Reply::err(&format!("wrong number of arguments for '{name}' command"))
}

/// Redis's "%.Ns" of a byte string: stops at NUL, at most `max` bytes.
fn c_prefix(bytes: &[u8], max: usize) -> &[u8] {
    let s = c_str(bytes);
    &s[..s.len().min(max)]
}

/// Error texts may carry client bytes; CR and LF become spaces so the reply
/// stays one line.
pub(super) fn one_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace(['\r', '\n'], " ")
}

/// `ERR unknown command '<name>', with args beginning with: '<a1>' '<a2>' `:
/// the name is cut to 128 bytes, and quoted arguments are added while the
/// argument text is shorter than 128 bytes, each cut to fit that budget.
pub fn unknown_command(argv: &[Vec<u8>]) -> Reply {
    let mut args: Vec<u8> = Vec::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let budget = 128 - args.len();
        args.push(b'\'');
        args.extend_from_slice(c_prefix(arg, budget));
        args.extend_from_slice(b"' ");
    }
    let name = argv.first().map_or(&[][..], |n| c_prefix(n, 128));
    let mut text = b"ERR unknown command '".to_vec();
    text.extend_from_slice(name);
    text.extend_from_slice(b"', with args beginning with: ");
    text.extend_from_slice(&args);
    Reply::Error(one_line(&text))
}

/// Looks the command up, checks its arity, and runs it (or queues it inside
/// MULTI). A command refused here dooms an open transaction.
pub(super) fn run(model: &mut Model, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
    // Make sure the client exists from its first command on.
    model.client_mut(client);
    let Some(first) = argv.first() else {
        // Redis never dispatches an empty command; the model answers as for
        // an unknown empty name.
        return unknown_command(&[Vec::new()]);
    };
    let Some(&(name, arity, handler)) = find(first) else {
        return model.refuse(client, unknown_command(argv), false);
    };
    // A container's subcommand decides the arity and the name in errors.
    let (full_name, arity) = match subcommand(name, argv) {
        Ok(found) => found.unwrap_or((name.to_string(), arity)),
        Err(e) => return model.refuse(client, e, false),
    };
    let argc = argv.len() as i64;
    let arity = i64::from(arity);
    if (arity > 0 && argc != arity) || argc < -arity {
        return model.refuse(client, wrong_arity(&full_name), name == "exec");
    }
    if model.restricted(client) && !pubsub::allowed_when_subscribed(name) {
        return model.refuse(client, pubsub::not_in_subscribed_context(&full_name), name == "exec");
    }
    if model.in_multi(client) && !tx::runs_now(name) {
        return model.enqueue(client, argv);
    }
    let call = Call { client, db: model.client(client).db, argv, now_ms, name };
    model.clock_ms = now_ms;
    let before = model.watched_items();
    // Names touched by an enclosing EXEC so far are set aside and merged
    // back; a top-level command starts and ends with none.
    let outer = std::mem::take(&mut model.touched_now);
    let outer_own = (std::mem::take(&mut model.own_events), model.own_split.take());
    model.run_depth += 1;
    let reply = handler(model, &call);
    // The command's own keyspace events join its reply (see notify.rs).
    let reply = model.wrap_own(reply);
    (model.own_events, model.own_split) = outer_own;
    model.touch_changed(&before);
    // Writes may have woken blocked clients; inside EXEC only once it ends (see tx.rs).
    if model.run_depth == 1 && !model.client(client).in_exec {
        model.serve_blocked(&call);
        // Events of the served pops reach the running client after its reply, as messages.
        for event in std::mem::take(&mut model.own_events) {
            model.deliveries.push((client, event));
        }
        model.own_split = None;
    }
    model.run_depth -= 1;
    if model.run_depth > 0 {
        model.touched_now.extend(outer);
    } else {
        model.touched_now.clear();
        model.quiet_changes.clear();
    }
    reply
}

/// For a container command (PUBSUB, CONFIG), its subcommand's full name and arity;
/// `Ok(None)` for other commands or when no subcommand is given.
fn subcommand(name: &str, argv: &[Vec<u8>]) -> Result<Option<(String, i32)>, Reply> {
    if name == "config" && argv.len() >= 2 {
        // Only CONFIG SET is modelled (see notify.rs).
        if argv[1].eq_ignore_ascii_case(b"set") {
            return Ok(Some(("config|set".to_string(), -4)));
        }
        let typed = String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)]).into_owned();
        return Err(Reply::Error(one_line(format!("ERR unknown subcommand '{typed}'. Try CONFIG HELP.").as_bytes())));
    }
    let table: &[(&str, i32)] = match name {
        "pubsub" => pubsub::PUBSUB_SUBCOMMANDS,
        "xgroup" => XGROUP_SUBCOMMANDS,
        "xinfo" => XINFO_SUBCOMMANDS,
        _ => return Ok(None),
    };
    if argv.len() < 2 {
        return Ok(None);
    }
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    match table.iter().find(|(n, _)| *n == sub) {
        Some((n, arity)) => Ok(Some((format!("{name}|{n}"), *arity))),
        None => {
            let typed = String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)]).into_owned();
            let container = name.to_ascii_uppercase();
            Err(Reply::Error(one_line(format!("ERR unknown subcommand '{typed}'. Try {container} HELP.").as_bytes())))
        }
    }
}

/// XGROUP's and XINFO's subcommands with their arities (COMMAND INFO).
const XGROUP_SUBCOMMANDS: &[(&str, i32)] =
    &[("create", -5), ("setid", -5), ("destroy", 4), ("createconsumer", 5), ("delconsumer", 5), ("help", 2)];
const XINFO_SUBCOMMANDS: &[(&str, i32)] = &[("stream", -3), ("groups", 3), ("consumers", 4), ("help", 2)];

impl Model {
    /// What is stored now under every watched name.
    fn watched_items(&self) -> Vec<(usize, Vec<u8>, Option<Item>)> {
        let mut items: Vec<_> = self
            .clients
            .values()
            .flat_map(|c| c.watching.iter())
            .map(|w| (w.db, w.key.clone(), self.dbs[w.db].get(&w.key).cloned()))
            .collect();
        items.dedup();
        items
    }

    /// A backstop for commands that change a key without touching it: a
    /// watched name whose stored item differs from `before`, and that the
    /// command did not touch, is touched now.
    fn touch_changed(&mut self, before: &[(usize, Vec<u8>, Option<Item>)]) {
        for (db, key, item) in before {
            let touched =
                self.touched_now.contains(&(*db, key.clone())) || self.quiet_changes.contains(&(*db, key.clone()));
            if !touched && self.dbs[*db].get(key) != item.as_ref() {
                self.touch(*db, key);
            }
        }
    }
}
