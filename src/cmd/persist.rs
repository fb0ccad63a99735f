//! Persistence commands: SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE, and the DEBUG subcommands RELOAD
//! and FAULT (dispatched from `cmd::debug`). The work is in `crate::persist`; these parse
//! arguments and reply with Redis's texts.

mod faults;

pub(crate) use faults::debug_fault;

use crate::cmd::args::{err, int_arg, is};
use crate::engine::db::Entry;
use crate::engine::notify::NOTIFY_GENERIC;
use crate::engine::{errors, Ctx, Handler};
use crate::persist::load::engine_value;
use crate::persist::rdb::dump::{self, PayloadError};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "save" => save,
        "bgsave" => bgsave,
        "bgrewriteaof" => bgrewriteaof,
        "lastsave" => lastsave,
        "dump" => dump_cmd,
        "restore" => restore,
        _ => return None,
    };
    Some(h)
}

const BGSAVE_IN_PROGRESS: &str = "ERR Background save already in progress";

/// SAVE
fn save(ctx: &mut Ctx) -> Frame {
    if ctx.engine.rdb_child_running() {
        return err(BGSAVE_IN_PROGRESS);
    }
    ctx.engine.persist.rdb_saves += 1;
    if ctx.engine.rdb_save(ctx.now_ms) {
        Frame::ok()
    } else {
        // Redis replies with its shared bare error, "-ERR".
        err("ERR")
    }
}

/// BGSAVE [SCHEDULE]
fn bgsave(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 2 || (ctx.argc() == 2 && !is(ctx.arg(1), "SCHEDULE")) {
        return err(errors::SYNTAX);
    }
    if ctx.engine.rdb_child_running() {
        return err(BGSAVE_IN_PROGRESS);
    }
    // Inside EXEC (the only place a queued command runs) no child may start, and with an AOF
    // rewrite running none may start either: the save waits for the cron when EXEC runs it or
    // SCHEDULE asks for it, as Redis's bgsaveCommand does; otherwise the reply is an error.
    let in_exec = ctx.client.multi.active;
    if in_exec || ctx.engine.persist.aof.rewrite.is_some() {
        if in_exec || ctx.argc() == 2 {
            ctx.engine.persist.bgsave_scheduled = true;
            return Frame::Simple("Background saving scheduled".into());
        }
        return err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    match ctx.engine.rdb_bgsave(ctx.now_ms) {
        Ok(_) => Frame::Simple("Background saving started".into()),
        Err(_) => err("ERR"),
    }
}

/// BGREWRITEAOF: starts (or schedules, while a background save runs) an AOF rewrite.
fn bgrewriteaof(ctx: &mut Ctx) -> Frame {
    match ctx.engine.aof_rewrite_background(ctx.now_ms) {
        Ok(true) => Frame::Simple("Background append only file rewriting started".into()),
        Ok(false) => Frame::Simple("Background append only file rewriting scheduled".into()),
        Err(text) => Frame::error(format!("ERR {text}")),
    }
}

/// LASTSAVE: the Unix time of the last successful save.
fn lastsave(ctx: &mut Ctx) -> Frame {
    Frame::Integer(ctx.engine.persist.lastsave_s as i64)
}

/// DUMP key
fn dump_cmd(ctx: &mut Ctx) -> Frame {
    let compression = ctx.engine.save_options().compression;
    let key = ctx.arg(1);
    match ctx.lookup_read(key) {
        Some(value) => Frame::Bulk(dump::dump(value, compression)),
        None => Frame::Null,
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(ctx: &mut Ctx) -> Frame {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle_s, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < ctx.argc() {
        let more = ctx.argc() - j - 1;
        let a = ctx.arg(j);
        if is(a, "REPLACE") {
            replace = true;
        } else if is(a, "ABSTTL") {
            absttl = true;
        } else if is(a, "IDLETIME") && more >= 1 && freq.is_none() {
            let v = match int_arg(ctx.arg(j + 1)) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if v < 0 {
                return err("ERR Invalid IDLETIME value, must be >= 0");
            }
            idle_s = Some(v);
            j += 1;
        } else if is(a, "FREQ") && more >= 1 && idle_s.is_none() {
            let v = match int_arg(ctx.arg(j + 1)) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if !(0..=255).contains(&v) {
                return err("ERR Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = Some(v);
            j += 1;
        } else {
            return err(errors::SYNTAX);
        }
        j += 1;
    }
    let key = ctx.arg(1);
    if !replace && ctx.lookup_write(key).is_some() {
        return err("BUSYKEY Target key name already exists.");
    }
    let ttl = match int_arg(ctx.arg(2)) {
        Ok(t) => t,
        Err(e) => return e,
    };
    if ttl < 0 {
        return err("ERR Invalid TTL value, must be >= 0");
    }
    let check_crc = !ctx.engine.debug.skip_checksum_validation;
    let value = match dump::parse_checked(ctx.arg(3), check_crc) {
        Ok((_, v)) => v,
        Err(PayloadError::VersionOrChecksum) => return err("ERR DUMP payload version or checksum are wrong"),
        Err(PayloadError::BadData(e)) => {
            // As Redis in a RESTORE context: the reason goes to the log at verbose level only.
            ctx.engine.persist.log(crate::engine::config::LogLevel::Verbose, &e.report());
            return err("ERR Bad data format");
        }
    };
    if value.is_empty_container() {
        return err("ERR Bad data format");
    }
    let encodings = crate::persist::load::LoadEncodings::from_config(&ctx.engine.config);
    let value = match engine_value(key, value, &encodings) {
        Ok(v) => v,
        Err(what) => return err(&format!("ERR Bad data format: {what}")),
    };
    let now = ctx.now_ms;
    let deleted = replace && ctx.db().remove(key).is_some();
    let expire_at = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t),
        (t, false) => Some(t.saturating_add(now as i64)),
    };
    // A key restored with a time already past is not created (only the old one is deleted).
    if expire_at.is_some_and(|t| ctx.engine.already_expired(t, now)) {
        if deleted {
            ctx.signal_modified(key);
            ctx.notify(NOTIFY_GENERIC, "del", key);
            ctx.dirty(1);
            if ctx.propagating() {
                ctx.propagate_as(vec![b"DEL".to_vec(), key.to_vec()]);
            }
        }
        return Frame::ok();
    }
    // IDLETIME sets the access time under an LRU policy, FREQ the access counter under an LFU
    // one (Redis's objectSetLRUOrLFU); the other is ignored.
    let lfu = ctx.engine.config.maxmemory_policy().is_lfu();
    let access_ms = match idle_s {
        Some(s) if !lfu => now.saturating_sub((s as u64).saturating_mul(1000)),
        _ => now,
    };
    let mut entry = Entry::new(value, expire_at.map(|t| t as u64), access_ms);
    if let (Some(f), true) = (freq, lfu) {
        entry.set_lfu_counter(f.clamp(0, 255) as u8);
    }
    ctx.db().insert_entry(key.to_vec(), entry);
    ctx.signal_modified(key);
    ctx.notify(NOTIFY_GENERIC, "restore", key);
    ctx.dirty(1);
    // A relative TTL is propagated as the absolute time, with ABSTTL added.
    if let (Some(at_ms), false, true) = (expire_at, absttl, ctx.propagating()) {
        let mut argv = ctx.argv.to_vec();
        argv[2] = crate::engine::propagate::num_arg(at_ms);
        argv.push(b"ABSTTL".to_vec());
        ctx.propagate_as(argv);
    }
    Frame::ok()
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the file back.
pub(crate) fn debug_reload(ctx: &mut Ctx) -> Frame {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for a in &ctx.argv[2..] {
        if is(a, "MERGE") {
            merge = true;
        } else if is(a, "NOFLUSH") {
            flush = false;
        } else if is(a, "NOSAVE") {
            save = false;
        } else {
            return err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    let now = ctx.now_ms;
    if save && !ctx.engine.rdb_save(now) {
        return err("ERR");
    }
    if flush {
        // As Redis's emptyData: watchers of the keys see the flush.
        let all = 0..ctx.engine.dbs.len();
        ctx.engine.empty_dbs(all, false);
    }
    let path = ctx.engine.rdb_path();
    if let Err(e) = ctx.engine.rdb_load_file(&path, now, merge) {
        ctx.engine.persist.log(crate::engine::config::LogLevel::Warning, &e.to_string());
        return err("ERR Error trying to load the RDB dump");
    }
    ctx.engine.persist.log(crate::engine::config::LogLevel::Warning, "DB reloaded by DEBUG RELOAD");
    Frame::ok()
}
