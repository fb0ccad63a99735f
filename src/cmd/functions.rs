//! FUNCTION and FCALL (Redis's functions.c). The libraries and their Lua state are in
//! `engine/script/functions.rs`.

use crate::cmd::args::is;
use crate::cmd::keyspace::help_reply;
use crate::engine::script::functions::ENGINE_NAME;
use crate::engine::script::FLAG_NAMES;
use crate::engine::{Ctx, Handler};
use crate::persist::rdb::{crc64, OP_FUNCTION2, RDB_VERSION_DEFAULT};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "fcall" => fcall,
        "fcall_ro" => fcall_ro,
        "function|load" => function_load,
        "function|list" => function_list,
        "function|delete" => function_delete,
        "function|flush" => function_flush,
        "function|stats" => function_stats,
        "function|kill" => function_kill,
        "function|dump" => function_dump,
        "function|restore" => function_restore,
        "function|help" => function_help,
        _ => return None,
    };
    Some(h)
}

/// FCALL function numkeys [key ...] [arg ...]
fn fcall(ctx: &mut Ctx) -> Frame {
    ctx.prevent_propagation();
    ctx.engine.fcall_command(ctx.client, ctx.argv, ctx.meta, false, ctx.now_ms)
}

fn fcall_ro(ctx: &mut Ctx) -> Frame {
    ctx.prevent_propagation();
    ctx.engine.fcall_command(ctx.client, ctx.argv, ctx.meta, true, ctx.now_ms)
}

/// FUNCTION LOAD [REPLACE] code: the library's name.
fn function_load(ctx: &mut Ctx) -> Frame {
    let mut replace = false;
    let mut i = 2;
    while i < ctx.argc() - 1 {
        if is(ctx.arg(i), "REPLACE") {
            replace = true;
            i += 1;
            continue;
        }
        return Frame::error(format!("ERR Unknown option given: {}", String::from_utf8_lossy(ctx.arg(i))));
    }
    if i >= ctx.argc() {
        return Frame::error("ERR Function code is missing");
    }
    match ctx.engine.function_load(ctx.arg(i), replace) {
        Ok(name) => {
            ctx.dirty(1);
            Frame::bulk(name.into_bytes())
        }
        Err(e) => Frame::error(format!("ERR {e}")),
    }
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list(ctx: &mut Ctx) -> Frame {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < ctx.argc() {
        if !with_code && is(ctx.arg(i), "WITHCODE") {
            with_code = true;
        } else if pattern.is_none() && is(ctx.arg(i), "LIBRARYNAME") {
            if i >= ctx.argc() - 1 {
                return Frame::error("ERR library name argument was not given");
            }
            i += 1;
            pattern = Some(ctx.arg(i));
        } else {
            return Frame::error(format!("ERR Unknown argument {}", String::from_utf8_lossy(ctx.arg(i))));
        }
        i += 1;
    }
    let mut out = Vec::new();
    for lib in ctx.engine.scripting.functions.libraries.values() {
        if let Some(p) = pattern {
            if !crate::engine::glob::string_match(p, lib.name.as_bytes(), true) {
                continue;
            }
        }
        let functions = lib.functions.values().map(|f| {
            let flags = FLAG_NAMES.iter().filter(|(_, bit)| f.flags & bit != 0).map(|(n, _)| Frame::simple(n));
            Frame::Map(vec![
                (Frame::bulk_str("name"), Frame::bulk_str(&f.name)),
                (Frame::bulk_str("description"), f.description.clone().map(Frame::Bulk).unwrap_or(Frame::Null)),
                (Frame::bulk_str("flags"), Frame::Set(flags.collect())),
            ])
        });
        let mut fields = vec![
            (Frame::bulk_str("library_name"), Frame::bulk_str(&lib.name)),
            (Frame::bulk_str("engine"), Frame::bulk_str(ENGINE_NAME)),
            (Frame::bulk_str("functions"), Frame::Array(functions.collect())),
        ];
        if with_code {
            fields.push((Frame::bulk_str("library_code"), Frame::Bulk(lib.code.clone())));
        }
        out.push(Frame::Map(fields));
    }
    Frame::Array(out)
}

/// FUNCTION DELETE library
fn function_delete(ctx: &mut Ctx) -> Frame {
    let name = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    if !ctx.engine.scripting.functions.delete(&name) {
        return Frame::error("ERR Library not found");
    }
    ctx.dirty(1);
    Frame::ok()
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 3 {
        return Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), "FUNCTION"));
    }
    let valid = ctx.argc() == 2 || (ctx.argc() == 3 && (is(ctx.arg(2), "SYNC") || is(ctx.arg(2), "ASYNC")));
    if !valid {
        return Frame::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    ctx.engine.scripting.functions.flush();
    ctx.dirty(1);
    Frame::ok()
}

/// FUNCTION STATS: no function is ever running between commands in verdis.
fn function_stats(ctx: &mut Ctx) -> Frame {
    let fs = &ctx.engine.scripting.functions;
    let engine = Frame::Map(vec![
        (Frame::bulk_str("libraries_count"), Frame::Integer(fs.libraries.len() as i64)),
        (Frame::bulk_str("functions_count"), Frame::Integer(fs.function_count() as i64)),
    ]);
    Frame::Map(vec![
        (Frame::bulk_str("running_script"), Frame::Null),
        (Frame::bulk_str("engines"), Frame::Map(vec![(Frame::bulk_str(ENGINE_NAME), engine)])),
    ])
}

fn function_kill(_ctx: &mut Ctx) -> Frame {
    Frame::error("NOTBUSY No scripts in execution right now.")
}

/// FUNCTION DUMP: each library as RDB_OPCODE_FUNCTION2 and its code, then the RDB version and
/// the CRC-64, as DUMP payloads end.
fn function_dump(ctx: &mut Ctx) -> Frame {
    let compression = ctx.engine.config.bool_value(crate::engine::config::index_of("rdbcompression"));
    Frame::Bulk(dump_payload(&ctx.engine.function_codes(), compression))
}

/// The payload of FUNCTION DUMP; `compression` is `rdbcompression`.
pub fn dump_payload(codes: &[Vec<u8>], compression: bool) -> Vec<u8> {
    use crate::persist::rdb::encode::{Encoder, SaveOptions};
    let opts = SaveOptions { version: RDB_VERSION_DEFAULT, compression, checksum: false, ..SaveOptions::default() };
    let mut enc = Encoder::new(Vec::new(), opts);
    for code in codes {
        // Writing to a Vec cannot fail.
        let _ = enc.byte(OP_FUNCTION2);
        let _ = enc.string(code);
    }
    let mut out = enc.into_inner().unwrap_or_default();
    out.extend_from_slice(&RDB_VERSION_DEFAULT.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The library codes in a FUNCTION DUMP payload, or the error text.
fn parse_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use crate::persist::rdb::input::{SliceSource, Source};
    let body_len = payload.len() - 10;
    let mut src = SliceSource::new(&payload[..body_len]);
    let mut codes = Vec::new();
    let mut consumed = 0;
    while consumed < body_len {
        let Ok(t) = src.u8() else { return Err("can not read data type".into()) };
        if t != OP_FUNCTION2 {
            return Err("given type is not a function".into());
        }
        let Ok(code) = crate::persist::rdb::decode::read_string(&mut src) else {
            return Err("Failed loading library payload".into());
        };
        codes.push(code);
        consumed = body_len - src.remaining();
    }
    Ok(codes)
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
fn function_restore(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 4 {
        return Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), "FUNCTION"));
    }
    let (mut flush, mut replace) = (false, false);
    if ctx.argc() == 4 {
        let policy = ctx.arg(3);
        if is(policy, "FLUSH") {
            flush = true;
        } else if is(policy, "REPLACE") {
            replace = true;
        } else if !is(policy, "APPEND") {
            return Frame::error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
        }
    }
    let payload = ctx.arg(2);
    if crate::persist::rdb::dump::verify(payload).is_err() {
        return Frame::error("ERR DUMP payload version or checksum are wrong");
    }
    let result = parse_payload(payload).and_then(|codes| ctx.engine.function_restore(&codes, flush, replace));
    match result {
        Ok(()) => {
            ctx.dirty(1);
            Frame::ok()
        }
        Err(e) => Frame::error(format!("ERR {e}")),
    }
}

fn function_help(_ctx: &mut Ctx) -> Frame {
    help_reply(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    )
}
