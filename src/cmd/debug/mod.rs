//! DEBUG: the subcommands Redis's own test suite and operators use to look inside the server
//! and to steer it (digests, populating, reloading, switching background work off). Each
//! subcommand is matched with the argument count Redis accepts; anything else gets Redis's
//! unknown-subcommand error.

mod digest;

use crate::cmd::args::{err, int_arg};
use crate::engine::config::LogLevel;
use crate::engine::value::Value;
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    match full_name {
        "debug" => Some(debug),
        _ => None,
    }
}

const NO_SUCH_KEY: &str = "ERR no such key";

fn debug(ctx: &mut Ctx) -> Frame {
    let local = crate::cmd::config::is_local_client(&ctx.client.addr);
    if !ctx.engine.config.debug_command_allowed(local) {
        return err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    }
    // DEBUG is never written to the AOF or sent to replicas, even when it changed the data
    // (POPULATE, RELOAD, LOADAOF): Redis's counts no change for it.
    ctx.prevent_propagation();
    let sub = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    let argc = ctx.argc();
    match (sub.as_str(), argc) {
        ("help", 2) => help(),
        ("reload", _) => crate::cmd::persist::debug_reload(ctx),
        ("loadaof", _) => loadaof(ctx),
        ("fault", _) => crate::cmd::persist::debug_fault(ctx),
        ("object", 3) => object(ctx),
        ("listpack", 3) => structure(ctx, "listpack", "Not a listpack encoded object.", "Listpack"),
        ("quicklist", 3 | 4) => structure(ctx, "quicklist", "Not a quicklist encoded object.", "Quicklist"),
        ("populate", 3..=5) => populate(ctx),
        ("digest", 2) => Frame::Simple(digest::hex(&digest::dataset(&ctx.engine.dbs))),
        ("digest-value", _) => digest_values(ctx),
        ("protocol", 3) => protocol(ctx),
        ("sleep", 3) => {
            let seconds = strtod(ctx.arg(2));
            let sleep_us = (seconds.max(0.0) * 1e6) as u64;
            ctx.engine.debug.sleep_request_us += sleep_us;
            // Redis's clock moves on during the sleep, inside a transaction too: what runs after
            // the command (serving blocked clients) sees the later time.
            ctx.engine.now_ms += sleep_us / 1000;
            Frame::ok()
        }
        ("set-active-expire", 3) => set_flag(ctx, |e, on| e.debug.active_expire_enabled = on),
        ("set-skip-checksum-validation", 3) => set_flag(ctx, |e, on| e.debug.skip_checksum_validation = on),
        ("set-disable-deny-scripts", 3) => set_flag(ctx, |e, on| e.debug.disable_deny_scripts = on),
        ("pause-cron", 3) => set_flag(ctx, |e, on| e.debug.pause_cron = on),
        ("quicklist-packed-threshold", 3) => {
            let bytes = crate::engine::config::text::memtoull(ctx.arg(2));
            match bytes.filter(|&b| crate::engine::list::set_packed_threshold(b)) {
                Some(_) => Frame::ok(),
                None => err("ERR argument must be a memory value bigger than 1 and smaller than 4gb"),
            }
        }
        ("aof-flush-sleep", 3) => {
            ctx.engine.debug.aof_flush_sleep_us = atoi(ctx.arg(2)).max(0) as u64;
            Frame::ok()
        }
        // Sent to the replicas only, in the database the stream last selected.
        ("replicate", n) if n >= 3 => {
            ctx.engine.repl_feed_raw_command(&ctx.argv[2..]);
            Frame::ok()
        }
        ("error", 3) => Frame::error(String::from_utf8_lossy(ctx.arg(2)).into_owned()),
        ("log", 3) => {
            let text = format!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            ctx.engine.persist.log(LogLevel::Warning, &text);
            Frame::ok()
        }
        ("stringmatch-test", 2) => Frame::simple("Apparently Redis did not crash: test passed"),
        ("replybuffer", 4) => replybuffer(ctx),
        _ => Frame::error(errors::subcommand_syntax(ctx.arg(1), "DEBUG")),
    }
}

fn help() -> Frame {
    const LINES: &[&str] = &[
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DIGEST",
        "    The dataset's digest (zeros when empty).",
        "DIGEST-VALUE <key> [<key> ...]",
        "    The digest of each key's value.",
        "ERROR <string>",
        "    Reply with <string> as an error.",
        "LOADAOF",
        "    Write the AOF buffer, empty the dataset and load it back from the AOF.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Low-level facts about the key's value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys <prefix>:<n> (default prefix 'key'), skipping existing ones.",
        "PROTOCOL <type>",
        "    Reply with a sample of a RESP type: string|integer|double|bignum|null|array|set|map|",
        "    attrib|push|verbatim|true|false.",
        "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
        "    Save the RDB file, empty the dataset and load the file back.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Switch active expiry of keys off or on.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Skip the checksum check of RESTORE payloads and RDB files.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    List elements of at least <size> get a node of their own (0: the 1gb default).",
        "SLEEP <seconds>",
        "    Stop the server for <seconds> (a decimal number).",
        "PAUSE-CRON <0|1>",
        "    Stop or restart the periodic work.",
        "AOF-FLUSH-SLEEP <microseconds>",
        "    Sleep before each AOF write.",
        "FAULT ARM|DISARM|LIST|CATALOGUE ...",
        "    verdis's disk fault injection.",
        "HELP",
        "    Print this help.",
    ];
    Frame::Array(LINES.iter().map(|l| Frame::simple(l)).collect())
}

/// C's atoi: an optional sign and leading digits, 0 when there are none.
fn atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim_start();
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).take(18).collect();
    sign * digits.parse::<i64>().unwrap_or(0)
}

/// C's strtod on the longest numeric prefix, 0 when there is none.
fn strtod(arg: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(arg);
    let text = text.trim();
    // The longest prefix that parses; arguments are short, so trying each length is cheap.
    (1..=text.len().min(64)).rev().find_map(|n| text.get(..n).and_then(|t| t.parse::<f64>().ok())).unwrap_or(0.0)
}

fn set_flag(ctx: &mut Ctx, set: fn(&mut crate::engine::Engine, bool)) -> Frame {
    let on = atoi(ctx.arg(2)) != 0;
    set(ctx.engine, on);
    Frame::ok()
}

/// DEBUG LOADAOF: write what is buffered, empty the dataset, and replay the AOF files the
/// manifest on disk names. The replayed commands are not written to the AOF again.
fn loadaof(ctx: &mut Ctx) -> Frame {
    let now = ctx.now_ms;
    if ctx.engine.aof_on() {
        ctx.engine.aof_flush_forced(now);
    }
    let all = 0..ctx.engine.dbs.len();
    ctx.engine.empty_dbs(all, false);
    let propagating = std::mem::replace(&mut ctx.engine.prop.enabled, false);
    let loaded = ctx.engine.aof_read_manifest().map(|manifest| {
        ctx.engine.persist.aof.manifest = manifest;
        ctx.engine.aof_delete_history();
    });
    let loaded = loaded.and_then(|()| ctx.engine.aof_load(now));
    ctx.engine.prop.enabled = propagating;
    // Nothing loaded counts as a change to save or propagate (Redis zeroes its dirty counter).
    ctx.engine.dirty = 0;
    match loaded {
        Ok(_) => {
            ctx.engine.persist.log(LogLevel::Warning, "Append Only File loaded by DEBUG LOADAOF");
            Frame::ok()
        }
        Err(e) => {
            ctx.engine.persist.log(LogLevel::Warning, &e);
            // Redis exits here; verdis keeps running and reports the failure (a deviation).
            err(&format!("ERR {e}"))
        }
    }
}

/// DEBUG OBJECT key: encoding, serialized length, LRU clock and, for lists, quicklist figures.
/// The key is read as stored, even if logically expired, as Redis's dictFind.
fn object(ctx: &mut Ctx) -> Frame {
    let db = ctx.client.db;
    let (now, lfu) = (ctx.now_ms, ctx.engine.config.maxmemory_policy().is_lfu());
    let compression = ctx.engine.save_options().compression;
    let shared = crate::cmd::keyspace::shares_integers(&ctx.engine.config);
    let Some(entry) = ctx.engine.dbs[db].entry(ctx.arg(2)) else {
        return err(NO_SUCH_KEY);
    };
    let serialized = crate::persist::rdb::dump::dump(&entry.value, compression).len();
    // DUMP adds a type byte before the value and a version and checksum after it.
    let serialized = serialized.saturating_sub(1 + 2 + 8);
    let access_ms = entry.access_ms();
    let lru = if lfu {
        (((access_ms / 60_000) & 0xFFFF) << 8) | u64::from(entry.lfu_counter())
    } else {
        (access_ms / 1000) & 0xFF_FFFF
    };
    let idle_s = now.saturating_sub(access_ms) / 1000;
    let mut text = format!(
        "Value at:{:#x} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        pseudo_address(ctx.arg(2)),
        crate::cmd::keyspace::refcount(&entry.value, shared),
        entry.value.encoding(),
        serialized,
        lru,
        idle_s
    );
    if let Value::List(list) = &entry.value {
        let nodes = list.node_count().max(1);
        let size: usize = list.node_sizes().sum();
        let compressed = ctx.engine.config.list_compress_depth() != 0;
        text.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            list.node_count(),
            list.len() as f64 / nodes as f64,
            list.fill(),
            u8::from(compressed),
            size
        ));
    }
    Frame::Simple(text)
}

/// A stable stand-in for the value's address (Redis prints a pointer): replies stay the same
/// from run to run.
fn pseudo_address(key: &[u8]) -> u64 {
    let mut h: u64 = 0x7f00_0000_0000;
    for &b in key {
        h = h.wrapping_mul(31).wrapping_add(u64::from(b)) & 0x7fff_ffff_fff0;
    }
    h | 0x7f00_0000_0000
}

/// DEBUG LISTPACK / QUICKLIST key: Redis prints the structure on its stdout; verdis checks the
/// encoding the same way and answers the same, printing nothing.
fn structure(ctx: &mut Ctx, encoding: &str, wrong: &str, printed: &str) -> Frame {
    let Some(entry) = crate::cmd::keyspace::lookup_no_touch_generic(ctx, ctx.arg(2), false) else {
        return err(NO_SUCH_KEY);
    };
    if entry.value.encoding() != encoding {
        return err(&format!("ERR {wrong}"));
    }
    Frame::Simple(format!("{printed} structure printed on stdout"))
}

/// DEBUG POPULATE count [prefix] [size]: string keys `prefix:n` holding `value:n` (cut or
/// zero-padded to `size` bytes when given); existing keys are left alone.
fn populate(ctx: &mut Ctx) -> Frame {
    const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
    let count = match int_arg(ctx.arg(2)) {
        Ok(n) if n >= 0 => n as u64,
        _ => return err(NOT_POSITIVE),
    };
    let size = if ctx.argc() == 5 {
        match int_arg(ctx.arg(4)) {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => return err(NOT_POSITIVE),
        }
    } else {
        None
    };
    let prefix = if ctx.argc() >= 4 { ctx.arg(3).to_vec() } else { b"key".to_vec() };
    let now = ctx.now_ms;
    // One key per iteration, `count` iterations: the loop is bounded by the request.
    for n in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{n}").as_bytes());
        if ctx.lookup_write(&key).is_some() {
            continue;
        }
        let text = format!("value:{n}").into_bytes();
        let value = match size {
            Some(s) if s > 0 => {
                let mut v = vec![0u8; s];
                let used = s.min(text.len());
                v[..used].copy_from_slice(&text[..used]);
                v
            }
            _ => text,
        };
        ctx.db().set(key.clone(), Value::str(value), now);
        ctx.signal_modified(&key);
    }
    Frame::ok()
}

/// DEBUG DIGEST-VALUE key...: each key's value digest, zeros for a missing key (read as stored,
/// even if logically expired).
fn digest_values(ctx: &mut Ctx) -> Frame {
    let db = &ctx.engine.dbs[ctx.client.db];
    let digests = ctx.argv[2..].iter().map(|key| {
        let mut d = [0u8; 20];
        if let Some(entry) = db.entry(key) {
            digest::fold_value(&mut d, entry);
        }
        Frame::Simple(digest::hex(&d))
    });
    Frame::Array(digests.collect())
}

/// DEBUG PROTOCOL type: one sample reply of each RESP type, for client tests.
fn protocol(ctx: &mut Ctx) -> Frame {
    let resp = ctx.client.resp;
    let name = String::from_utf8_lossy(ctx.arg(2)).to_ascii_lowercase();
    let numbers = || (0..3).map(Frame::Integer).collect::<Vec<_>>();
    match name.as_str() {
        "string" => Frame::bulk_str("Hello World"),
        "integer" => Frame::Integer(12345),
        "double" => Frame::Double(3.141),
        "bignum" => Frame::BigNumber("1234567999999999999999999999999999999".into()),
        "null" => Frame::Null,
        "array" => Frame::Array(numbers()),
        "set" => Frame::Set(numbers()),
        "map" => Frame::Map((0..3).map(|j| (Frame::Integer(j), Frame::Boolean(j == 1))).collect()),
        "attrib" => {
            let reply = Frame::bulk_str("Some real reply following the attribute");
            if resp < 3 {
                return reply;
            }
            let mut bytes = b"|1\r\n".to_vec();
            let attribute = Frame::Array(vec![Frame::bulk_str("key:123"), Frame::Integer(90)]);
            for part in [Frame::bulk_str("key-popularity"), attribute, reply] {
                crate::resp::encode(&part, resp, &mut bytes);
            }
            Frame::Raw(bytes)
        }
        "push" => {
            if resp < 3 {
                return err("ERR RESP2 is not supported by this command");
            }
            let mut bytes = Vec::new();
            let push = Frame::Push(vec![Frame::bulk_str("server-cpu-usage"), Frame::Integer(42)]);
            crate::resp::encode(&push, resp, &mut bytes);
            crate::resp::encode(&Frame::bulk_str("Some real reply following the push reply"), resp, &mut bytes);
            Frame::Raw(bytes)
        }
        "true" => Frame::Boolean(true),
        "false" => Frame::Boolean(false),
        "verbatim" => Frame::Verbatim("txt", b"This is a verbatim\nstring".to_vec()),
        _ => err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

/// DEBUG REPLYBUFFER PEAK-RESET-TIME <ms|never|reset> | RESIZING <0|1>: verdis sizes its
/// output buffers its own way, so these only check their arguments.
fn replybuffer(ctx: &mut Ctx) -> Frame {
    let what = String::from_utf8_lossy(ctx.arg(2)).to_ascii_lowercase();
    let value = ctx.arg(3);
    match what.as_str() {
        "peak-reset-time" => {
            if value.eq_ignore_ascii_case(b"never") || value.eq_ignore_ascii_case(b"reset") {
                return Frame::ok();
            }
            match int_arg(value) {
                Ok(_) => Frame::ok(),
                Err(e) => e,
            }
        }
        "resizing" => Frame::ok(),
        _ => Frame::error(errors::subcommand_syntax(ctx.arg(1), "DEBUG")),
    }
}
