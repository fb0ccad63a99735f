//! CLIENT ID, SETNAME, GETNAME, LIST, INFO, KILL, NO-EVICT, REPLY and HELP.
//!
//! The running client is lent to the handler (`ctx.client`) and is absent from
//! `engine.clients` while its command runs, so listings and kills consider both.

use crate::cmd::args::{err, is};
use crate::engine::client::{ClientState, ReplyMode};
use crate::engine::{errors, Ctx, Engine, Handler};
use crate::resp::parse::parse_i64;
use crate::resp::Frame;
use std::fmt::Write;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "client|id" => client_id,
        "client|setname" => client_setname,
        "client|getname" => client_getname,
        "client|list" => client_list,
        "client|info" => client_info,
        "client|kill" => client_kill,
        "client|no-evict" => client_no_evict,
        "client|reply" => client_reply,
        "client|help" => client_help,
        "client|unblock" => client_unblock,
        "client|tracking" => super::tracking::client_tracking,
        "client|caching" => super::tracking::client_caching,
        "client|getredir" => super::tracking::client_getredir,
        "client|trackinginfo" => super::tracking::client_trackinginfo,
        "client|pause" => client_pause,
        "client|unpause" => client_unpause,
        _ => return None,
    };
    Some(h)
}

/// The kinds of client Redis tells apart in CLIENT LIST TYPE and CLIENT KILL TYPE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

impl ClientType {
    /// Redis's getClientTypeByName (`slave` and `replica` are the same type).
    fn from_name(name: &[u8]) -> Option<ClientType> {
        if is(name, "normal") {
            Some(ClientType::Normal)
        } else if is(name, "slave") || is(name, "replica") {
            Some(ClientType::Replica)
        } else if is(name, "pubsub") {
            Some(ClientType::PubSub)
        } else if is(name, "master") {
            Some(ClientType::Master)
        } else {
            None
        }
    }

    /// The type of a connected client (Redis's getClientType): the master link, an attached
    /// replica (not a monitor), PubSub while it has subscriptions, else normal.
    pub fn of(client: &ClientState) -> ClientType {
        if client.master {
            ClientType::Master
        } else if client.replica && !client.monitor {
            ClientType::Replica
        } else if client.subs.active() {
            ClientType::PubSub
        } else {
            ClientType::Normal
        }
    }
}

/// `ERR Unknown client type '<name>'`
fn unknown_type(name: &[u8]) -> Frame {
    Frame::error(format!("ERR Unknown client type '{}'", String::from_utf8_lossy(name)))
}

/// Sets (or with an empty name, clears) the client's name. Names are printable ASCII without
/// spaces, so that CLIENT LIST lines stay splittable on spaces.
pub fn set_client_name(client: &mut ClientState, name: &[u8]) -> Result<(), Frame> {
    if name.is_empty() {
        client.name = None;
        return Ok(());
    }
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(err("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    client.name = Some(name.to_vec());
    Ok(())
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx) -> Frame {
    Frame::Integer(ctx.client.id as i64)
}

/// CLIENT SETNAME name
fn client_setname(ctx: &mut Ctx) -> Frame {
    match set_client_name(ctx.client, ctx.arg(2)) {
        Ok(()) => Frame::ok(),
        Err(e) => e,
    }
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx) -> Frame {
    match &ctx.client.name {
        Some(name) => Frame::bulk(name.clone()),
        None => Frame::Null,
    }
}

/// The flag letters of CLIENT LIST's `flags=` (Redis's catClientInfoString order), `N` if none.
fn flag_letters(client: &ClientState, engine: &Engine) -> String {
    let mut flags = String::new();
    if client.monitor {
        flags.push('O');
    } else if client.replica {
        flags.push('S');
    }
    if client.master {
        flags.push('M');
    }
    if client.subs.active() {
        flags.push('P');
    }
    if client.multi.active {
        flags.push('x');
    }
    if client.blocked {
        flags.push('b');
    }
    if client.tracking.on {
        flags.push('t');
    }
    if client.tracking.broken_redirect {
        flags.push('R');
    }
    if client.tracking.bcast {
        flags.push('B');
    }
    if engine.watches.is_dirty(client.id) {
        flags.push('d');
    }
    if client.close_after_reply {
        flags.push('c');
    }
    if client.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// One CLIENT LIST / CLIENT INFO line (without the trailing newline), with every field of
/// Redis 7.0 in its order. Ages are whole seconds of the engine clock.
pub fn client_info_line(client: &ClientState, engine: &Engine, now_ms: u64) -> String {
    let now_s = now_ms / 1000;
    let age_s = now_s.saturating_sub(client.created_ms / 1000);
    let idle_s = now_s.saturating_sub(client.last_interaction_ms / 1000);
    let name = client.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let io = &client.io;
    let mut line = String::with_capacity(320);
    // Writing to a String cannot fail.
    let _ = write!(
        line,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} \
         oll={} omem={} tot-mem={} events=r cmd={} user={} redir={} resp={}",
        client.id,
        client.addr,
        client.laddr,
        client.fd,
        name,
        age_s,
        idle_s,
        flag_letters(client, engine),
        client.db,
        client.subs.channels.len(),
        client.subs.patterns.len(),
        client.subs.shard_channels.len(),
        client.multi.list_count(),
        io.qbuf,
        io.qbuf_free,
        io.argv_mem,
        client.multi.argv_len_sums,
        io.rbs,
        io.rbp,
        io.obl,
        io.oll,
        io.omem,
        io.tot_mem,
        client.last_cmd,
        // The master link runs as no user at all (Redis's NULL user).
        if client.master { "(superuser)".into() } else { String::from_utf8_lossy(&client.user) },
        if client.tracking.on { client.tracking.redirect as i64 } else { -1 },
        client.resp,
    );
    line
}

/// All clients that are still connected, the running one included, in id order (the order of
/// Redis's client list, which appends on connect).
fn live_clients<'a>(ctx: &'a Ctx) -> Vec<&'a ClientState> {
    let mut all: Vec<&ClientState> = ctx.engine.clients.values().map(|c| &**c).filter(|c| !c.killed).collect();
    let pos = all.partition_point(|c| c.id < ctx.client.id);
    all.insert(pos, &*ctx.client);
    all
}

/// CLIENT LIST [TYPE type] | [ID id ...]
fn client_list(ctx: &mut Ctx) -> Frame {
    let mut text = String::new();
    if ctx.argc() == 4 && is(ctx.arg(2), "TYPE") {
        let Some(wanted) = ClientType::from_name(ctx.arg(3)) else {
            return unknown_type(ctx.arg(3));
        };
        for c in live_clients(ctx) {
            if ClientType::of(c) == wanted {
                text.push_str(&client_info_line(c, ctx.engine, ctx.now_ms));
                text.push('\n');
            }
        }
    } else if ctx.argc() > 3 && is(ctx.arg(2), "ID") {
        let mut ids = Vec::with_capacity(ctx.argc() - 3);
        for arg in &ctx.argv[3..] {
            match parse_i64(arg) {
                Some(id) => ids.push(id),
                None => return err("ERR Invalid client ID"),
            }
        }
        let clients = live_clients(ctx);
        // Listed in the order asked, repeats included, as Redis does.
        for id in ids {
            if let Some(c) = clients.iter().find(|c| c.id as i64 == id) {
                text.push_str(&client_info_line(c, ctx.engine, ctx.now_ms));
                text.push('\n');
            }
        }
    } else if ctx.argc() != 2 {
        return err(errors::SYNTAX);
    } else {
        for c in live_clients(ctx) {
            text.push_str(&client_info_line(c, ctx.engine, ctx.now_ms));
            text.push('\n');
        }
    }
    Frame::Verbatim("txt", text.into_bytes())
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx) -> Frame {
    let mut text = client_info_line(ctx.client, ctx.engine, ctx.now_ms);
    text.push('\n');
    Frame::Verbatim("txt", text.into_bytes())
}

/// What CLIENT KILL matches; every given filter must match.
#[derive(Default)]
struct KillFilter {
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    client_type: Option<ClientType>,
    id: Option<u64>,
    user: Option<Vec<u8>>,
    skip_me: bool,
}

impl KillFilter {
    fn matches(&self, c: &ClientState) -> bool {
        self.addr.as_deref().is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.as_deref().is_none_or(|a| a == c.laddr.as_bytes())
            && self.client_type.is_none_or(|t| t == ClientType::of(c))
            && self.id.is_none_or(|id| id == c.id)
            && self.user.as_deref().is_none_or(|u| u == c.user.as_slice())
    }
}

/// Parses CLIENT KILL's arguments: the old `ip:port` form, or filter/value pairs.
fn parse_kill(
    argv: &[Vec<u8>],
    users: &std::collections::BTreeMap<Vec<u8>, crate::engine::acl::User>,
) -> Result<KillFilter, Frame> {
    if argv.len() == 3 {
        // The old form can kill the caller too.
        return Ok(KillFilter { addr: Some(argv[2].clone()), ..KillFilter::default() });
    }
    let mut filter = KillFilter { skip_me: true, ..KillFilter::default() };
    // Each step consumes an option and its value.
    for pair in argv[2..].chunks(2) {
        let [opt, value] = pair else {
            return Err(err(errors::SYNTAX));
        };
        if is(opt, "ID") {
            match parse_i64(value) {
                Some(id) if id >= 1 => filter.id = Some(id as u64),
                _ => return Err(err("ERR client-id should be greater than 0")),
            }
        } else if is(opt, "TYPE") {
            match ClientType::from_name(value) {
                Some(t) => filter.client_type = Some(t),
                None => return Err(unknown_type(value)),
            }
        } else if is(opt, "ADDR") {
            filter.addr = Some(value.clone());
        } else if is(opt, "LADDR") {
            filter.laddr = Some(value.clone());
        } else if is(opt, "USER") {
            if !users.contains_key(value.as_slice()) {
                return Err(Frame::error(format!("ERR No such user '{}'", String::from_utf8_lossy(value))));
            }
            filter.user = Some(value.clone());
        } else if is(opt, "SKIPME") {
            if is(value, "YES") {
                filter.skip_me = true;
            } else if is(value, "NO") {
                filter.skip_me = false;
            } else {
                return Err(err(errors::SYNTAX));
            }
        } else {
            return Err(err(errors::SYNTAX));
        }
    }
    Ok(filter)
}

/// CLIENT KILL ip:port | CLIENT KILL filter value [filter value ...]
fn client_kill(ctx: &mut Ctx) -> Frame {
    let filter = match parse_kill(ctx.argv, &ctx.engine.acl.users) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let mut killed = 0i64;
    for other in ctx.engine.clients.values_mut() {
        if !other.killed && filter.matches(other) {
            // The server closes it after this batch of commands.
            other.killed = true;
            killed += 1;
        }
    }
    let kill_self = !filter.skip_me && filter.matches(ctx.client);
    if kill_self {
        killed += 1;
    }
    let reply = if ctx.argc() == 3 {
        if killed == 0 {
            err("ERR No such client")
        } else {
            Frame::ok()
        }
    } else {
        Frame::Integer(killed)
    };
    // The caller still gets its reply before its connection closes.
    if kill_self {
        ctx.client.close_after_reply = true;
    }
    reply
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends another client's blocking command as if it
/// had timed out, or with the UNBLOCKED error; replies 1, or 0 when that client is not blocked.
/// The reason is checked before the id.
fn client_unblock(ctx: &mut Ctx) -> Frame {
    let mut with_error = false;
    if ctx.argc() == 4 {
        if is(ctx.arg(3), "TIMEOUT") {
            with_error = false;
        } else if is(ctx.arg(3), "ERROR") {
            with_error = true;
        } else {
            return err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
    } else if ctx.argc() != 3 {
        return Frame::error(errors::subcommand_syntax(ctx.arg(1), "CLIENT"));
    }
    let Some(id) = parse_i64(ctx.arg(2)) else {
        return err(errors::NOT_INTEGER);
    };
    let unblocked = u64::try_from(id).is_ok_and(|id| ctx.engine.unblock_client(id, with_error));
    Frame::Integer(i64::from(unblocked))
}

/// CLIENT NO-EVICT ON|OFF
/// CLIENT PAUSE timeout [WRITE|ALL]: the pause ends `timeout` milliseconds from now.
fn client_pause(ctx: &mut Ctx) -> Frame {
    use crate::engine::pause::PauseKind;
    if ctx.argv.len() > 4 {
        return Frame::error(errors::subcommand_syntax(ctx.arg(1), "CLIENT"));
    }
    let kind = match ctx.argv.get(3) {
        None => PauseKind::All,
        Some(mode) if is(mode, "write") => PauseKind::Write,
        Some(mode) if is(mode, "all") => PauseKind::All,
        Some(_) => return Frame::error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    match crate::engine::blocking::deadline_from_millis(&ctx.argv[2], ctx.now_ms) {
        Ok(end_ms) => {
            ctx.engine.pause.start(kind, end_ms.max(0) as u64);
            Frame::ok()
        }
        Err(reply) => reply,
    }
}

/// CLIENT UNPAUSE: the postponed commands run after this one.
fn client_unpause(ctx: &mut Ctx) -> Frame {
    ctx.engine.pause.stop();
    Frame::ok()
}

fn client_no_evict(ctx: &mut Ctx) -> Frame {
    let arg = ctx.arg(2);
    if is(arg, "ON") {
        ctx.client.no_evict = true;
    } else if is(arg, "OFF") {
        ctx.client.no_evict = false;
    } else {
        return err(errors::SYNTAX);
    }
    Frame::ok()
}

/// CLIENT REPLY ON|OFF|SKIP. The engine drops replies according to the mode it sets; OFF and
/// SKIP have no reply of their own.
fn client_reply(ctx: &mut Ctx) -> Frame {
    let arg = ctx.arg(2);
    if is(arg, "ON") {
        ctx.client.reply_mode = ReplyMode::On;
        Frame::ok()
    } else if is(arg, "OFF") {
        ctx.client.reply_mode = ReplyMode::Off;
        Frame::Raw(Vec::new())
    } else if is(arg, "SKIP") {
        // SKIP while OFF changes nothing: replies stay off.
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
        Frame::Raw(Vec::new())
    } else {
        err(errors::SYNTAX)
    }
}

/// The lines of CLIENT HELP (Redis's reply text, part of the interface).
const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// CLIENT HELP
fn client_help(ctx: &mut Ctx) -> Frame {
    help_reply(&ctx.argv[0], CLIENT_HELP)
}

/// The reply of a `<CONTAINER> HELP` subcommand (Redis's addReplyHelp): a header naming the
/// command as typed, upper-cased, the lines, and the HELP entry.
pub fn help_reply(command: &[u8], lines: &[&str]) -> Frame {
    let name = String::from_utf8_lossy(command).to_ascii_uppercase();
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Frame::Simple(format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")));
    out.extend(lines.iter().map(|l| Frame::simple(l)));
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}

#[cfg(test)]
mod tests {
    use crate::engine::testkit::{bulk, err, int, ok, Harness};
    use crate::resp::Frame;

    fn text(f: Frame) -> String {
        match f {
            Frame::Verbatim("txt", t) => String::from_utf8(t).unwrap(),
            other => panic!("not a verbatim reply: {other:?}"),
        }
    }

    #[test]
    fn id_and_names() {
        let mut h = Harness::new();
        assert_eq!(h.run("CLIENT ID"), int(1));
        assert_eq!(h.run("CLIENT GETNAME"), Frame::Null);
        assert_eq!(h.run("CLIENT SETNAME my-conn"), ok());
        assert_eq!(h.run("CLIENT GETNAME"), bulk("my-conn"));
        assert_eq!(
            h.run("CLIENT SETNAME \"a b\""),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
        assert_eq!(
            h.run("CLIENT SETNAME \"a\\nb\""),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
        assert_eq!(h.run("CLIENT GETNAME"), bulk("my-conn"));
        assert_eq!(h.run("CLIENT SETNAME \"\""), ok());
        assert_eq!(h.run("CLIENT GETNAME"), Frame::Null);
        assert_eq!(h.run("CLIENT ID 1"), err("ERR wrong number of arguments for 'client|id' command"));
        assert_eq!(h.run("CLIENT foo"), err("ERR unknown subcommand 'foo'. Try CLIENT HELP."));
        assert_eq!(h.run("CLIENT"), err("ERR wrong number of arguments for 'client' command"));
    }

    #[test]
    fn info_line_has_every_field() {
        let mut h = Harness::new();
        h.advance_ms(2500);
        let line = text(h.run("CLIENT INFO"));
        assert_eq!(
            line,
            "id=1 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=-1 name= age=2 idle=0 flags=N db=0 \
             sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 \
             obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default redir=-1 resp=2\n"
        );
        assert_eq!(h.run("CLIENT NO-EVICT on"), ok());
        assert!(text(h.run("CLIENT INFO")).contains(" flags=e "));
        assert_eq!(h.run("CLIENT NO-EVICT off"), ok());
        assert_eq!(h.run("CLIENT NO-EVICT maybe"), err("ERR syntax error"));
    }

    #[test]
    fn list_includes_the_running_client() {
        let mut h = Harness::new();
        let first = h.client;
        let second = h.new_client();
        h.run("CLIENT SETNAME second");
        h.client = first;
        h.run("PING");
        let list = text(h.run("CLIENT LIST"));
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("id=1 ") && lines[0].contains(" cmd=client|list "));
        assert!(lines[1].starts_with("id=2 ") && lines[1].contains(" name=second "));
        assert!(lines[1].contains(" cmd=client|setname "));
        let by_id = text(h.run(&format!("CLIENT LIST ID {second} 99 {first}")));
        let ids: Vec<&str> = by_id.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(ids, ["id=2", "id=1"]);
        assert_eq!(text(h.run("CLIENT LIST ID 99")), "");
        assert_eq!(h.run("CLIENT LIST ID x"), err("ERR Invalid client ID"));
        assert_eq!(h.run("CLIENT LIST ID"), err("ERR syntax error"));
        assert_eq!(h.run("CLIENT LIST foo"), err("ERR syntax error"));
        assert_eq!(text(h.run("CLIENT LIST TYPE normal")).lines().count(), 2);
        assert_eq!(text(h.run("CLIENT LIST TYPE replica")), "");
        assert_eq!(text(h.run("CLIENT LIST TYPE PUBSUB")), "");
        assert_eq!(h.run("CLIENT LIST TYPE x"), err("ERR Unknown client type 'x'"));
    }

    #[test]
    fn kill_filters() {
        let mut h = Harness::new();
        let first = h.client;
        let second = h.new_client();
        h.client = first;
        assert_eq!(h.run("CLIENT KILL 1.2.3.4:5"), err("ERR No such client"));
        assert_eq!(h.run("CLIENT KILL ID 0"), err("ERR client-id should be greater than 0"));
        assert_eq!(h.run("CLIENT KILL ID x"), err("ERR client-id should be greater than 0"));
        assert_eq!(h.run("CLIENT KILL ID 99"), int(0));
        assert_eq!(h.run("CLIENT KILL TYPE foo"), err("ERR Unknown client type 'foo'"));
        assert_eq!(h.run("CLIENT KILL USER bob"), err("ERR No such user 'bob'"));
        assert_eq!(h.run("CLIENT KILL SKIPME maybe"), err("ERR syntax error"));
        assert_eq!(h.run("CLIENT KILL ID 5 TYPE"), err("ERR syntax error"));
        assert_eq!(h.run("CLIENT KILL foo bar"), err("ERR syntax error"));
        // Skipped by default: the caller itself.
        assert_eq!(h.run(&format!("CLIENT KILL ID {first}")), int(0));
        assert_eq!(h.run("CLIENT KILL LADDR 1.1.1.1:1"), int(0));
        assert_eq!(h.run("CLIENT KILL ADDR 127.0.0.1:50001"), int(1));
        assert!(h.engine.client(second).unwrap().killed);
        // A killed client is gone for later listings and kills.
        assert_eq!(text(h.run("CLIENT LIST")).lines().count(), 1);
        assert_eq!(h.run("CLIENT KILL 127.0.0.1:50001"), err("ERR No such client"));
        assert!(!h.engine.client(first).unwrap().close_after_reply);
        // The old form may kill the caller, which still gets its reply.
        assert_eq!(h.run("CLIENT KILL 127.0.0.1:50000"), ok());
        assert!(h.engine.client(first).unwrap().close_after_reply);
    }

    #[test]
    fn kill_self_with_skipme_no() {
        let mut h = Harness::new();
        assert_eq!(h.run("CLIENT KILL USER default SKIPME yes"), int(0));
        assert_eq!(h.run("CLIENT KILL TYPE normal SKIPME no"), int(1));
        assert!(h.engine.client(h.client).unwrap().close_after_reply);
        assert!(!h.engine.client(h.client).unwrap().killed);
    }

    #[test]
    fn reply_modes() {
        let mut h = Harness::new();
        let none = Frame::Raw(vec![]);
        assert_eq!(h.run("CLIENT REPLY ON"), ok());
        assert_eq!(h.run("CLIENT REPLY SKIP"), none);
        assert_eq!(h.run("PING"), none);
        assert_eq!(h.run("PING"), Frame::simple("PONG"));
        assert_eq!(h.run("CLIENT REPLY OFF"), none);
        assert_eq!(h.run("PING"), none);
        assert_eq!(h.run("CLIENT REPLY SKIP"), none);
        assert_eq!(h.run("PING"), none);
        assert_eq!(h.run("CLIENT REPLY foo"), none);
        assert_eq!(h.run("CLIENT REPLY ON"), ok());
        assert_eq!(h.run("CLIENT REPLY foo"), err("ERR syntax error"));
        assert_eq!(h.run("CLIENT REPLY"), err("ERR wrong number of arguments for 'client|reply' command"));
    }

    #[test]
    fn help_lists_subcommands() {
        let mut h = Harness::new();
        let Frame::Array(lines) = h.run("client help") else { panic!("not an array") };
        assert_eq!(lines.len(), 48);
        assert_eq!(lines[0], Frame::simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
        assert_eq!(lines[47], Frame::simple("    Prints this help."));
    }
}
