//! The server command family: TIME, FLUSHDB, FLUSHALL and SHUTDOWN here; INFO in `info.rs`
//! and the COMMAND family in `command.rs`.

use crate::cmd::args::{err, is};
use crate::engine::lazy::FlushMode;
use crate::engine::{errors, Ctx, Handler, ShutdownRequest};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "time" => time,
        "flushdb" => flushdb,
        "flushall" => flushall,
        "shutdown" => shutdown,
        _ => return crate::cmd::info::handler(full_name).or_else(|| crate::cmd::command::handler(full_name)),
    };
    Some(h)
}

/// TIME: the engine clock as [seconds, microseconds] (verdis's clock has millisecond steps).
fn time(ctx: &mut Ctx) -> Frame {
    let seconds = ctx.now_ms / 1000;
    let micros = (ctx.now_ms % 1000) * 1000;
    Frame::Array(vec![Frame::bulk(seconds.to_string()), Frame::bulk(micros.to_string())])
}

/// FLUSHDB/FLUSHALL's optional SYNC or ASYNC (Redis's getFlushCommandFlags); `None` is a
/// syntax error. The mode decides only when the memory is released, never the reply.
fn flush_mode(ctx: &Ctx) -> Option<FlushMode> {
    match ctx.argc() {
        1 => Some(FlushMode::Default),
        2 if is(ctx.arg(1), "SYNC") => Some(FlushMode::Sync),
        2 if is(ctx.arg(1), "ASYNC") => Some(FlushMode::Async),
        _ => None,
    }
}

/// FLUSHDB [SYNC|ASYNC]
fn flushdb(ctx: &mut Ctx) -> Frame {
    let Some(mode) = flush_mode(ctx) else {
        return err(errors::SYNTAX);
    };
    let db = ctx.client.db;
    let lazy = ctx.engine.flush_is_async(mode);
    let removed = ctx.engine.empty_dbs(db..db + 1, lazy);
    // Each removed key is a change since the last save, as Redis counts them.
    ctx.dirty(removed);
    // Propagated even when the database was already empty.
    ctx.force_propagation();
    Frame::ok()
}

/// FLUSHALL [SYNC|ASYNC]
fn flushall(ctx: &mut Ctx) -> Frame {
    let Some(mode) = flush_mode(ctx) else {
        return err(errors::SYNTAX);
    };
    let lazy = ctx.engine.flush_is_async(mode);
    let removed = ctx.engine.empty_dbs(0..ctx.engine.dbs.len(), lazy);
    ctx.dirty(removed);
    ctx.force_propagation();
    // As Redis's flushAllDataAndResetRDB: a running background save would write stale data, so
    // it is stopped; with save points configured the (empty) dataset is saved at once, which
    // resets the change counter.
    // The child is signalled and reaped by a later cron, as Redis's killRDBChild: until then
    // BGSAVE still finds a save in progress.
    ctx.engine.kill_rdb_child();
    if !ctx.engine.config.save_points().is_empty() {
        ctx.engine.rdb_save(ctx.now_ms);
    }
    Frame::ok()
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
fn shutdown(ctx: &mut Ctx) -> Frame {
    let (mut save, mut nosave, mut other, mut abort, mut force) = (false, false, false, false, false);
    for arg in &ctx.argv[1..] {
        if is(arg, "NOSAVE") {
            nosave = true;
        } else if is(arg, "SAVE") {
            save = true;
        } else if is(arg, "NOW") || is(arg, "FORCE") {
            // NOW skips waiting for replicas (verdis has none); FORCE ignores save errors.
            force |= is(arg, "FORCE");
            other = true;
        } else if is(arg, "ABORT") {
            abort = true;
        } else {
            return err(errors::SYNTAX);
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return err(errors::SYNTAX);
    }
    if abort {
        // Only a shutdown a signal scheduled can be pending: SHUTDOWN itself stops at once.
        if !std::mem::take(&mut ctx.engine.shutdown_asap) {
            return err("ERR No shutdown in progress.");
        }
        ctx.engine.persist.log(crate::engine::config::LogLevel::Warning, "Shutdown manually aborted.");
        return Frame::ok();
    }
    if !ctx.engine.shutdown_save(save, nosave, force, ctx.now_ms) {
        return err("ERR Errors trying to SHUTDOWN. Check logs.");
    }
    ctx.engine.shutdown = Some(if save {
        ShutdownRequest::Save
    } else if nosave {
        ShutdownRequest::NoSave
    } else {
        ShutdownRequest::Default
    });
    // A successful SHUTDOWN sends nothing: the connection just closes.
    Frame::Raw(Vec::new())
}

#[cfg(test)]
mod tests {
    use crate::engine::testkit::{bulk, err, ok, Harness};
    use crate::engine::value::Value;
    use crate::engine::ShutdownRequest;
    use crate::resp::Frame;

    fn fill(h: &mut Harness, db: usize, n: usize) {
        for i in 0..n {
            let now = h.now_ms;
            h.engine.dbs[db].set(format!("k{i}").into_bytes(), Value::str(b"v".to_vec()), now);
        }
    }

    #[test]
    fn time_follows_the_engine_clock() {
        let mut h = Harness::new();
        h.advance_ms(1234);
        assert_eq!(h.run("TIME"), Frame::Array(vec![bulk("1000000001"), bulk("234000")]));
        assert_eq!(h.run("TIME x"), err("ERR wrong number of arguments for 'time' command"));
    }

    #[test]
    fn flushdb_and_flushall() {
        let mut h = Harness::new();
        // Without save points FLUSHALL does not save, so the change counter keeps growing.
        h.run("CONFIG SET save \"\"");
        fill(&mut h, 0, 3);
        fill(&mut h, 1, 2);
        assert_eq!(h.run("FLUSHDB x"), err("ERR syntax error"));
        assert_eq!(h.run("FLUSHDB SYNC x"), err("ERR syntax error"));
        assert_eq!(h.run("FLUSHDB async"), ok());
        assert_eq!((h.engine.dbs[0].len(), h.engine.dbs[1].len()), (0, 2));
        assert_eq!(h.engine.dirty, 3);
        assert_eq!(h.run("FLUSHALL SYNC"), ok());
        assert_eq!(h.engine.dbs[1].len(), 0);
        assert_eq!(h.engine.dirty, 5);
        assert_eq!(h.run("FLUSHALL"), ok());
        assert_eq!(h.engine.dirty, 5);
        // With save points, FLUSHALL saves the empty dataset at once (Redis 7.0).
        h.run("CONFIG SET save \"3600 1\"");
        fill(&mut h, 0, 2);
        assert_eq!(h.run("FLUSHALL"), ok());
        assert_eq!(h.engine.dirty, 0);
        assert_eq!(h.engine.persist.lastsave_s, h.now_ms / 1000);
    }

    #[test]
    fn shutdown_options() {
        let mut h = Harness::new();
        assert_eq!(h.run("SHUTDOWN ABORT"), err("ERR No shutdown in progress."));
        assert_eq!(h.run("SHUTDOWN SAVE NOSAVE"), err("ERR syntax error"));
        assert_eq!(h.run("SHUTDOWN ABORT NOW"), err("ERR syntax error"));
        // A shutdown a signal scheduled (and the cron has not run) can be cancelled.
        h.engine.shutdown_asap = true;
        assert_eq!(h.run("SHUTDOWN ABORT"), ok());
        assert!(!h.engine.shutdown_asap);
        assert_eq!(h.run("SHUTDOWN ABORT"), err("ERR No shutdown in progress."));
        assert_eq!(h.run("SHUTDOWN foo"), err("ERR syntax error"));
        assert!(h.engine.shutdown.is_none());
        assert_eq!(h.run("SHUTDOWN NOSAVE NOW FORCE"), Frame::Raw(vec![]));
        assert_eq!(h.engine.shutdown, Some(ShutdownRequest::NoSave));
        h.engine.shutdown = None;
        h.run("shutdown");
        assert_eq!(h.engine.shutdown, Some(ShutdownRequest::Default));
        h.run("SHUTDOWN save");
        assert_eq!(h.engine.shutdown, Some(ShutdownRequest::Save));
    }
}
