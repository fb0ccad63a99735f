//! The master's replication commands: SYNC, PSYNC, REPLCONF, WAIT and ROLE (Redis's
//! replication.c). The machinery (states, stream, backlog) is in `engine::repl`.

use crate::cmd::args::{err, int_arg, is};
use crate::engine::blocking::{deadline_from_millis, BlockKind, BlockRequest};
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
    let (id, now) = (ctx.client.id, ctx.now_ms);
    ctx.client.replica = true;
    let addr = ctx.client.addr.clone();
    ctx.engine.repl_sync(id, &addr, None, now);
    after_sync(ctx)
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
    // Redis parses the offset after its checks; a bad one gets no reply at all (only a log line).
    let Some(offset) = crate::resp::parse::parse_i64(ctx.arg(2)) else {
        return no_reply();
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
            // Capabilities are noted by Redis to choose diskless transfers; verdis always sends a file.
        } else if is(option, "ack") {
            if let Some(offset) = crate::resp::parse::parse_i64(value) {
                let now = ctx.now_ms;
                ctx.engine.repl_ack(id, offset.max(0) as u64, now);
            }
            return no_reply();
        } else if is(option, "getack") {
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

/// ROLE: a master, its offset, and each online replica's address, port and acknowledged offset.
fn role(ctx: &mut Ctx) -> Frame {
    let engine = &*ctx.engine;
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
