//! The replication commands: SYNC, PSYNC, REPLCONF, WAIT, ROLE and REPLICAOF/SLAVEOF (Redis's
//! replication.c). The machinery (states, stream, backlog, the link with a master) is in
//! `engine::repl`.

use crate::cmd::args::{err, int_arg, is};
use crate::engine::blocking::{deadline_from_millis, BlockKind, BlockRequest};
use crate::engine::config::LogLevel;
use crate::engine::repl::replica::LinkState;
use crate::engine::repl::ReplicaState;
use crate::engine::{Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "sync" => sync,
        "psync" => psync,
        "replconf" => replconf,
        "wait" => wait,
        "role" => role,
        "replicaof" | "slaveof" => replicaof,
        _ => return None,
    };
    Some(h)
}

/// No reply now: what a replica gets arrives through the outbox.
fn no_reply() -> Frame {
    Frame::Raw(Vec::new())
}

/// SYNC: the old protocol; the snapshot and the stream follow without a +FULLRESYNC line.
fn sync(ctx: &mut Ctx) -> Frame {
    if ctx.client.replica {
        return no_reply();
    }
    if let Some(e) = no_master_link(ctx) {
        return e;
    }
    let (id, now) = (ctx.client.id, ctx.now_ms);
    ctx.client.replica = true;
    let addr = ctx.client.addr.clone();
    ctx.engine.repl_sync(id, &addr, None, now);
    after_sync(ctx)
}

/// A replica serves replicas only while synchronised with its own master (rule REPL-13).
fn no_master_link(ctx: &Ctx) -> Option<Frame> {
    let down = ctx.engine.repl_link_state().is_some_and(|s| s != LinkState::Connected);
    down.then(|| err("NOMASTERLINK Can't SYNC while not connected with my master"))
}

/// A replica whose snapshot could not be started was dropped (its error is queued): close.
fn after_sync(ctx: &mut Ctx) -> Frame {
    if !ctx.engine.repl.is_replica(ctx.client.id) {
        ctx.client.replica = false;
        ctx.client.close_after_reply = true;
    }
    no_reply()
}

/// PSYNC <replid> <offset>: continues from the backlog when it can (+CONTINUE), else a full
/// synchronisation (+FULLRESYNC <replid> <offset>, the snapshot, the stream).
fn psync(ctx: &mut Ctx) -> Frame {
    if ctx.client.replica {
        return no_reply();
    }
    if let Some(e) = no_master_link(ctx) {
        return e;
    }
    // Redis parses the offset after its checks: a bad one is an error (and a log line).
    let Some(offset) = crate::resp::parse::parse_i64(ctx.arg(2)) else {
        let (id, addr) = (ctx.client.id, ctx.client.addr.clone());
        ctx.engine.repl_log_wrong_offset(id, &addr);
        return err("ERR value is not an integer or out of range");
    };
    let (id, now) = (ctx.client.id, ctx.now_ms);
    let replid = ctx.arg(1).to_vec();
    ctx.client.replica = true;
    let addr = ctx.client.addr.clone();
    ctx.engine.repl_sync(id, &addr, Some((&replid, offset)), now);
    after_sync(ctx)
}

/// REPLCONF <option> <value> ...: what a replica says about itself. ACK and GETACK get no reply.
fn replconf(ctx: &mut Ctx) -> Frame {
    if ctx.argc() % 2 == 0 {
        return err("ERR syntax error");
    }
    let id = ctx.client.id;
    for j in (1..ctx.argc()).step_by(2) {
        let (option, value) = (ctx.arg(j), ctx.arg(j + 1));
        if is(option, "listening-port") {
            let port = match int_arg(value) {
                Ok(p) => p,
                Err(e) => return e,
            };
            ctx.engine.repl_set_listening_port(id, port);
        } else if is(option, "ip-address") {
            if value.len() >= 46 {
                return err(&format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    value.len()
                ));
            }
            let ip = String::from_utf8_lossy(value).into_owned();
            ctx.engine.repl_set_ip(id, ip);
        } else if is(option, "capa") {
            // verdis always sends a file, but a replica that could take a diskless transfer
            // waits `repl-diskless-sync-delay` as with Redis.
            if is(value, "eof") {
                ctx.engine.repl_set_capa_eof(id);
            }
        } else if is(option, "ack") {
            if let Some(offset) = crate::resp::parse::parse_i64(value) {
                let now = ctx.now_ms;
                ctx.engine.repl_ack(id, offset.max(0) as u64, now);
            }
            return no_reply();
        } else if is(option, "getack") {
            // Only the master asks; the ACK carries the offset before this command.
            if ctx.client.master {
                ctx.engine.repl_send_ack();
            }
            return no_reply();
        } else if is(option, "rdb-only") {
            match int_arg(value) {
                Ok(0 | 1) => {}
                Ok(_) => return err("ERR value is out of range, must be positive"),
                Err(e) => return e,
            }
        } else if is(option, "rdb-filter-only") {
            for filter in String::from_utf8_lossy(value).split_whitespace() {
                if !filter.eq_ignore_ascii_case("functions") {
                    return err(&format!("ERR Unsupported rdb-filter-only option: {filter}"));
                }
            }
        } else {
            return err(&format!("ERR Unrecognized REPLCONF option: {}", String::from_utf8_lossy(option)));
        }
    }
    Frame::ok()
}

/// WAIT numreplicas timeout: the number of replicas that acknowledged the client's last write,
/// once at least `numreplicas` did or the timeout (milliseconds, 0 = none) passed.
fn wait(ctx: &mut Ctx) -> Frame {
    // A replica's writes are not propagated: nothing to wait for (rule REPL-11).
    if ctx.engine.is_replica() {
        return err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.");
    }
    let want = match int_arg(ctx.arg(1)) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let deadline_ms = match deadline_from_millis(ctx.arg(2), ctx.now_ms) {
        Ok(d) => d,
        Err(e) => return e,
    };
    let offset = ctx.client.woff;
    let acked = ctx.engine.repl.acked(offset);
    if acked >= want || !ctx.may_block() {
        return Frame::Integer(acked);
    }
    let id = ctx.client.id;
    ctx.engine.repl.waiting.insert(id, (offset, want));
    ctx.engine.repl.getack_wanted = true;
    ctx.block(BlockRequest { kind: BlockKind::Replicas, keys: Vec::new(), deadline_ms, serve: |_, _| None, argv: None })
}

/// ROLE: a master, its offset, and each online replica's address, port and acknowledged offset;
/// a replica, its master's address, the link's state and the offset applied (rule REPL-8).
fn role(ctx: &mut Ctx) -> Frame {
    let engine = &*ctx.engine;
    if let Some(link) = &engine.repl.link {
        let offset = link.stream.as_ref().filter(|_| link.client_id.is_some()).map_or(-1, |s| s.reploff as i64);
        return Frame::Array(vec![
            Frame::bulk_str("slave"),
            Frame::Bulk(link.host.clone().into_bytes()),
            Frame::Integer(link.port),
            Frame::bulk_str(link.state.role_name()),
            Frame::Integer(offset),
        ]);
    }
    let replicas = engine
        .repl
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Online)
        .map(|r| {
            Frame::Array(vec![
                Frame::Bulk(engine.replica_ip(r.client_id).into_bytes()),
                Frame::Bulk(r.listening_port.to_string().into_bytes()),
                Frame::Bulk(r.ack_offset.to_string().into_bytes()),
            ])
        })
        .collect();
    Frame::Array(vec![Frame::bulk_str("master"), Frame::Integer(engine.repl.offset as i64), Frame::Array(replicas)])
}

/// REPLICAOF host port | REPLICAOF NO ONE (SLAVEOF is the same command): rule REPL-7.
fn replicaof(ctx: &mut Ctx) -> Frame {
    if ctx.engine.config.cluster_enabled() {
        return err("ERR REPLICAOF not allowed in cluster mode.");
    }
    let (host, port_arg) = (ctx.arg(1), ctx.arg(2));
    if is(host, "no") && is(port_arg, "one") {
        if ctx.engine.is_replica() {
            ctx.engine.repl_unset_master();
            ctx.engine.config.set_replicaof(None);
            let who = client_line(ctx);
            ctx.engine.persist.log(LogLevel::Notice, &format!("MASTER MODE enabled (user request from '{who}')"));
        }
        return Frame::ok();
    }
    if ctx.client.replica {
        return err("ERR Command is not valid when client is a replica.");
    }
    let port = match crate::resp::parse::parse_i64(port_arg) {
        Some(p) if (0..=65535).contains(&p) => p,
        _ => return err("ERR Invalid master port"),
    };
    let host = String::from_utf8_lossy(host).into_owned();
    if let Some(link) = &ctx.engine.repl.link {
        if link.host.eq_ignore_ascii_case(&host) && link.port == port {
            ctx.engine.persist.log(
                LogLevel::Notice,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
            );
            return Frame::Raw(b"+OK Already connected to specified master\r\n".to_vec());
        }
    }
    let now = ctx.now_ms;
    ctx.engine.repl_set_master(&host, port, now);
    ctx.engine.config.set_replicaof(Some((host.clone().into_bytes(), port)));
    let who = client_line(ctx);
    let line = format!("REPLICAOF {host}:{port} enabled (user request from '{who}')");
    ctx.engine.persist.log(LogLevel::Notice, &line);
    Frame::ok()
}

/// The running client as log lines describe it (catClientInfoString).
fn client_line(ctx: &Ctx) -> String {
    crate::cmd::connection::client::client_info_line(ctx.client, ctx.engine, ctx.now_ms)
}
