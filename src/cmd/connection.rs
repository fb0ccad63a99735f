//! The connection command family: PING, ECHO, QUIT, RESET, HELLO, AUTH, and CLIENT (in
//! `connection/client.rs`).

pub(crate) mod client;
mod tracking;

use crate::cmd::args::{err, is};
use crate::engine::client::{ClientState, ReplyMode};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::parse::parse_i64;
use crate::resp::Frame;

pub use client::{client_info_line, help_reply, set_client_name, ClientType};

/// The Redis version verdis implements (HELLO, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "ping" => ping,
        "echo" => echo,
        "quit" => quit,
        "reset" => reset,
        "monitor" => monitor,
        "hello" => hello,
        "auth" => auth,
        _ => return client::handler(full_name),
    };
    Some(h)
}

/// PING [message]
fn ping(ctx: &mut Ctx) -> Frame {
    // The table's arity (-1) lets any number through; PING itself takes at most one argument.
    if ctx.argc() > 2 {
        return Frame::error(errors::wrong_arity(ctx.meta.name));
    }
    // A subscribed RESP2 connection reads replies among messages: PING answers in their shape.
    if ctx.client.resp == 2 && ctx.client.subs.active() {
        let message = ctx.argv.get(1).cloned().unwrap_or_default();
        return Frame::Array(vec![Frame::bulk_str("pong"), Frame::bulk(message)]);
    }
    if ctx.argc() == 1 {
        Frame::simple("PONG")
    } else {
        Frame::bulk(ctx.arg(1))
    }
}

/// ECHO message
fn echo(ctx: &mut Ctx) -> Frame {
    Frame::bulk(ctx.arg(1))
}

/// QUIT: reply OK, then the server closes the connection.
fn quit(ctx: &mut Ctx) -> Frame {
    ctx.client.close_after_reply = true;
    Frame::ok()
}

/// MONITOR: from now on the connection receives every command the server runs
/// (`crate::engine::monitor`).
fn monitor(ctx: &mut Ctx) -> Frame {
    if ctx.client.deny_blocking {
        return err("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    if ctx.engine.start_monitor(ctx.client) {
        Frame::ok()
    } else {
        // Already monitoring: Redis sends nothing.
        Frame::Raw(Vec::new())
    }
}

/// RESET: back to the state of a new connection (Redis's clearClientConnectionState).
fn reset(ctx: &mut Ctx) -> Frame {
    if ctx.client.monitor {
        ctx.client.monitor = false;
        ctx.engine.stop_monitor(ctx.client.id);
    }
    ctx.engine.discard_transaction(ctx.client);
    ctx.engine.disable_tracking(ctx.client);
    ctx.engine.unsubscribe_everything(ctx.client);
    let auth_required = ctx.engine.acl.auth_required();
    let client = &mut *ctx.client;
    client.db = 0;
    client.resp = 2;
    client.name = None;
    client.user = b"default".to_vec();
    client.authenticated = !auth_required;
    // Redis clears OFF (so the RESET reply itself is sent) but not a SKIP already in force
    // for this very command (after CLIENT REPLY SKIP, the RESET reply is still dropped).
    if client.reply_mode != ReplyMode::Skip {
        client.reply_mode = ReplyMode::On;
    }
    Frame::simple("RESET")
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx) -> Frame {
    let mut next = 1;
    let mut version = None;
    if ctx.argc() >= 2 {
        let Some(v) = parse_i64(ctx.arg(1)) else {
            return err("ERR Protocol version is not an integer or out of range");
        };
        if !(2..=3).contains(&v) {
            return err("NOPROTO unsupported protocol version");
        }
        version = Some(v as u8);
        next = 2;
    }
    // Options act in order, as Redis's loop does: an AUTH before a bad SETNAME still counts.
    while next < ctx.argc() {
        let more = ctx.argc() - 1 - next;
        let opt = ctx.arg(next);
        if is(opt, "AUTH") && more >= 2 {
            let (user, pass) = (ctx.arg(next + 1), ctx.arg(next + 2));
            if !ctx.engine.acl_authenticate(ctx.client, user, pass, ctx.arg(0)) {
                return err(errors::WRONGPASS);
            }
            next += 3;
        } else if is(opt, "SETNAME") && more >= 1 {
            if let Err(e) = set_client_name(ctx.client, ctx.arg(next + 1)) {
                return e;
            }
            next += 2;
        } else {
            let opt = String::from_utf8_lossy(opt);
            return Frame::error(format!("ERR Syntax error in HELLO option '{opt}'"));
        }
    }
    if !ctx.client.authenticated {
        return err(HELLO_NOAUTH);
    }
    if let Some(v) = version {
        ctx.client.resp = v;
    }
    hello_reply(ctx.client)
}

const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, \
otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
the RESP protocol version at the same time";

/// HELLO's map of server facts.
fn hello_reply(client: &ClientState) -> Frame {
    let field = |k: &str, v: Frame| (Frame::bulk_str(k), v);
    Frame::Map(vec![
        field("server", Frame::bulk_str("redis")),
        field("version", Frame::bulk_str(REDIS_VERSION)),
        field("proto", Frame::Integer(i64::from(client.resp))),
        field("id", Frame::Integer(client.id as i64)),
        field("mode", Frame::bulk_str("standalone")),
        field("role", Frame::bulk_str("master")),
        field("modules", Frame::Array(Vec::new())),
    ])
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 3 {
        return err(errors::SYNTAX);
    }
    let (user, pass): (&[u8], &[u8]) = if ctx.argc() == 2 {
        // The one-argument form is an error when the default user needs no password.
        if ctx.engine.acl.default_user().nopass {
            return err(AUTH_WITHOUT_PASSWORD);
        }
        (b"default", ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if ctx.engine.acl_authenticate(ctx.client, user, pass, ctx.arg(0)) {
        Frame::ok()
    } else {
        err(errors::WRONGPASS)
    }
}

const AUTH_WITHOUT_PASSWORD: &str = "ERR AUTH <password> called without any password configured \
for the default user. Are you sure your configuration is correct?";

#[cfg(test)]
mod tests {
    use crate::engine::config::Config;
    use crate::engine::testkit::{bulk, err, int, ok, Harness};
    use crate::resp::Frame;

    fn hello_map(proto: i64, id: i64) -> Frame {
        let f = |k: &str, v: Frame| (bulk(k), v);
        Frame::Map(vec![
            f("server", bulk("redis")),
            f("version", bulk("7.0.15")),
            f("proto", int(proto)),
            f("id", int(id)),
            f("mode", bulk("standalone")),
            f("role", bulk("master")),
            f("modules", Frame::Array(vec![])),
        ])
    }

    fn with_password(pass: &str) -> Harness {
        Harness::with_config(Config { requirepass: Some(pass.as_bytes().to_vec()), ..Config::default() })
    }

    #[test]
    fn ping_and_echo() {
        let mut h = Harness::new();
        assert_eq!(h.run("PING"), Frame::simple("PONG"));
        assert_eq!(h.run("PING hello"), bulk("hello"));
        assert_eq!(h.run("PING a b"), err("ERR wrong number of arguments for 'ping' command"));
        assert_eq!(h.run("ECHO x"), bulk("x"));
        assert_eq!(h.run("ECHO"), err("ERR wrong number of arguments for 'echo' command"));
    }

    #[test]
    fn quit_closes_after_reply() {
        let mut h = Harness::new();
        assert_eq!(h.run("QUIT"), ok());
        assert!(h.engine.client(h.client).unwrap().close_after_reply);
    }

    #[test]
    fn hello_switches_protocol() {
        let mut h = Harness::new();
        assert_eq!(h.run("HELLO"), hello_map(2, 1));
        assert_eq!(h.run("HELLO 3"), hello_map(3, 1));
        assert_eq!(h.engine.client(h.client).unwrap().resp, 3);
        assert_eq!(h.run("HELLO 2 SETNAME conn"), hello_map(2, 1));
        assert_eq!(h.run("CLIENT GETNAME"), bulk("conn"));
        assert_eq!(h.run("HELLO 4"), err("NOPROTO unsupported protocol version"));
        assert_eq!(h.run("HELLO 1"), err("NOPROTO unsupported protocol version"));
        assert_eq!(h.run("HELLO x"), err("ERR Protocol version is not an integer or out of range"));
        assert_eq!(h.run("HELLO 3 foo"), err("ERR Syntax error in HELLO option 'foo'"));
        assert_eq!(h.run("HELLO 3 AUTH a"), err("ERR Syntax error in HELLO option 'AUTH'"));
        assert_eq!(h.run("HELLO 3 AUTH bob pw"), err("WRONGPASS invalid username-password pair or user is disabled."));
        assert_eq!(
            h.run("HELLO 3 SETNAME \"a b\""),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
        // Failed HELLOs leave the protocol alone.
        assert_eq!(h.engine.client(h.client).unwrap().resp, 2);
        // Any password works for the default user without requirepass.
        assert_eq!(h.run("HELLO 3 AUTH default whatever"), hello_map(3, 1));
    }

    #[test]
    fn hello_with_requirepass() {
        let mut h = with_password("secret");
        assert_eq!(
            h.run("HELLO 3"),
            err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
        );
        assert_eq!(
            h.run("HELLO 3 AUTH default nope"),
            err("WRONGPASS invalid username-password pair or user is disabled.")
        );
        assert_eq!(h.run("PING"), err("NOAUTH Authentication required."));
        assert_eq!(h.run("HELLO 3 AUTH default secret"), hello_map(3, 1));
        assert_eq!(h.run("PING"), Frame::simple("PONG"));
    }

    #[test]
    fn auth_forms() {
        let mut h = Harness::new();
        assert_eq!(
            h.run("AUTH x"),
            err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
        );
        assert_eq!(h.run("AUTH default x"), ok());
        assert_eq!(h.run("AUTH bob x"), err("WRONGPASS invalid username-password pair or user is disabled."));
        assert_eq!(h.run("AUTH a b c"), err("ERR syntax error"));

        let mut h = with_password("pw");
        assert_eq!(h.run("ECHO k"), err("NOAUTH Authentication required."));
        assert_eq!(h.run("AUTH wrong"), err("WRONGPASS invalid username-password pair or user is disabled."));
        assert_eq!(h.run("AUTH pw"), ok());
        assert_eq!(h.run("PING"), Frame::simple("PONG"));
        assert_eq!(h.run("AUTH default pw"), ok());
        let errors = h.engine.stats.error_codes.clone();
        assert_eq!(errors.get("NOAUTH"), Some(&1));
        assert_eq!(errors.get("WRONGPASS"), Some(&1));
    }

    #[test]
    fn reset_restores_a_new_connection() {
        let mut h = with_password("pw");
        assert_eq!(h.run("AUTH pw"), ok());
        assert_eq!(h.run("HELLO 3 SETNAME n"), hello_map(3, 1));
        h.engine.client_mut(h.client).unwrap().db = 5;
        assert_eq!(h.run("CLIENT REPLY OFF"), Frame::Raw(vec![]));
        assert_eq!(h.run("RESET"), Frame::simple("RESET"));
        let c = h.engine.client(h.client).unwrap();
        assert_eq!((c.db, c.resp, c.name.clone()), (0, 2, None));
        assert!(!c.authenticated);
        assert_eq!(h.run("PING"), err("NOAUTH Authentication required."));
        // A SKIP in force still drops the RESET reply.
        assert_eq!(h.run("AUTH pw"), ok());
        assert_eq!(h.run("CLIENT REPLY SKIP"), Frame::Raw(vec![]));
        assert_eq!(h.run("RESET"), Frame::Raw(vec![]));
        assert_eq!(h.run("PING"), err("NOAUTH Authentication required."));
        assert_eq!(h.run("RESET x"), err("ERR wrong number of arguments for 'reset' command"));
    }
}
