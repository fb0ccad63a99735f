//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP (Redis's config.c commands). The parameter
//! rules live in `engine::config`; this file adds the command-level behaviour: pattern matching,
//! the all-or-nothing multi-parameter SET with Redis's error precedence, and the side effects a
//! new value has on the engine (RNG seed).

pub mod sha256;

use crate::engine::config::rewrite::{rewrite_config, RewriteExtras};
use crate::engine::config::{
    index_of, lookup, split_set_value, strerror, Config, HIDDEN, IMMUTABLE, MULTI_ARG, PARAMS, PROTECTED,
};
use crate::engine::stats::{CommandStat, Stats};
use crate::engine::{errors, Ctx, Engine, Handler};
use crate::resp::Frame;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "config|get" => config_get,
        "config|set" => config_set,
        "config|resetstat" => config_resetstat,
        "config|rewrite" => config_rewrite,
        "config|help" => config_help,
        _ => return None,
    };
    Some(h)
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

fn config_help(_ctx: &mut Ctx) -> Frame {
    Frame::Array(HELP.iter().map(|l| Frame::simple(l)).collect())
}

/// CONFIG GET pattern [pattern ...]: a map of every matching name to its value. A name without
/// glob characters is looked up exactly (and reported as typed, hidden parameters included);
/// a pattern matches the registered names and aliases. Names are unique case-insensitively.
/// Redis's order is its dict's; verdis sorts by name.
fn config_get(ctx: &mut Ctx) -> Frame {
    let mut matches: BTreeMap<Vec<u8>, (Vec<u8>, usize)> = BTreeMap::new();
    for pattern in &ctx.argv[2..] {
        if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
            let key = pattern.to_ascii_lowercase();
            if let (false, Some(found)) = (matches.contains_key(&key), lookup(pattern)) {
                matches.insert(key, (pattern.clone(), found.index));
            }
            continue;
        }
        for (name, index) in crate::engine::config::all_names() {
            if PARAMS[index].has(HIDDEN) || matches.contains_key(name.as_bytes()) {
                continue;
            }
            if glob_match(pattern, name.as_bytes()) {
                matches.insert(name.as_bytes().to_vec(), (name.as_bytes().to_vec(), index));
            }
        }
    }
    let config = &ctx.engine.config;
    Frame::Map(matches.into_values().map(|(name, index)| (Frame::Bulk(name), Frame::Bulk(config.get(index)))).collect())
}

fn set_failed(name: &[u8], reason: &str) -> Frame {
    Frame::error(format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {reason}",
        String::from_utf8_lossy(name)
    ))
}

/// One parameter of a CONFIG SET.
struct Change<'a> {
    index: usize,
    /// The registered name matched (an alias stays an alias), used in value errors.
    name: &'static str,
    is_alias: bool,
    value: &'a [u8],
}

/// CONFIG SET name value [name value ...]: all or nothing. Names are checked first (unknown,
/// immutable, protected, repeated: the first problem is reported), then values are set in order
/// on a copy that replaces the configuration only when every value was accepted.
fn config_set(ctx: &mut Ctx) -> Frame {
    if ctx.argc() % 2 == 1 {
        return Frame::error(errors::SYNTAX);
    }
    let local = is_local_client(&ctx.client.addr);
    let changes = match check_names(&ctx.argv[2..], &ctx.engine.config, local) {
        Ok(changes) => changes,
        Err(reply) => return reply,
    };
    let old = &ctx.engine.config;
    let mut new = old.clone();
    let mut changed = Vec::with_capacity(changes.len());
    for change in &changes {
        let args = if PARAMS[change.index].has(MULTI_ARG) {
            split_set_value(change.value)
        } else {
            vec![change.value.to_vec()]
        };
        match new.set_args(change.index, &args, false) {
            Ok(true) => changed.push(change.index),
            Ok(false) => {}
            Err(reason) => {
                restore_dir(old, &new);
                return set_failed(change.name.as_bytes(), &reason);
            }
        }
    }
    match apply(ctx.engine, new, &changed) {
        Ok(()) => Frame::ok(),
        Err((name, reason)) => set_failed(name.as_bytes(), reason),
    }
}

/// The first-pass checks of CONFIG SET, in Redis's order of precedence.
fn check_names<'a>(pairs: &'a [Vec<u8>], config: &Config, local: bool) -> Result<Vec<Change<'a>>, Frame> {
    let mut changes: Vec<Change<'a>> = Vec::with_capacity(pairs.len() / 2);
    let mut first_error: Option<Frame> = None;
    for pair in pairs.chunks_exact(2) {
        let (name, value) = (&pair[0], &pair[1]);
        let Some(found) = lookup(name) else {
            first_error.get_or_insert_with(|| {
                Frame::error(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    String::from_utf8_lossy(name)
                ))
            });
            continue;
        };
        if first_error.is_some() {
            continue;
        }
        let p = &PARAMS[found.index];
        if p.has(IMMUTABLE) {
            first_error = Some(set_failed(name, "can't set immutable config"));
        } else if p.has(PROTECTED) && !config.protected_configs_allowed(local) {
            first_error = Some(set_failed(name, "can't set protected config"));
        } else if changes.iter().any(|c| c.index == found.index && c.is_alias == found.is_alias) {
            // Redis tells a parameter from its alias, so `hz` twice is refused but
            // `replica-priority` with `slave-priority` is not.
            first_error = Some(set_failed(name, "duplicate parameter"));
        }
        changes.push(Change { index: found.index, name: found.name, is_alias: found.is_alias, value });
    }
    match first_error {
        Some(reply) => Err(reply),
        None => Ok(changes),
    }
}

/// A failed CONFIG SET may already have entered a new `dir`; go back as Redis's restore does.
fn restore_dir(old: &Config, attempted: &Config) {
    if let (Some(hook), true) = (old.chdir, old.dir() != attempted.dir()) {
        if !old.dir().is_empty() {
            // Nothing more can be done if the old directory vanished; Redis only logs it.
            let _ = hook(old.dir());
        }
    }
}

/// Installs an accepted configuration and runs what Redis's apply functions do for the
/// parameters whose value changed. Err names the parameter whose apply step failed, with the
/// reason; its old value is back in place then (as Redis's restore after a failed apply).
fn apply(engine: &mut Engine, mut new: Config, changed: &[usize]) -> Result<(), (&'static str, &'static str)> {
    if changed.contains(&const { index_of("repl-backlog-size") }) {
        // resizeReplicationBacklog raises a small backlog to Redis's minimum.
        if new.num_value(const { index_of("repl-backlog-size") }) < REPL_BACKLOG_MIN_SIZE {
            let _ = new.set("repl-backlog-size", REPL_BACKLOG_MIN_SIZE.to_string().as_bytes());
        }
    }
    let reseed = new.seed != engine.config.seed;
    if changed.contains(&const { index_of("requirepass") }) {
        // Redis's updateRequirePass: the default user's password follows the parameter.
        engine.acl.set_default_password(new.requirepass.as_deref());
    }
    let appendonly_changed = changed.contains(&const { index_of("appendonly") });
    let maxmemory_changed = changed.contains(&const { index_of("maxmemory") });
    let auto_gc_changed = changed.contains(&const { index_of("aof-disable-auto-gc") });
    engine.config = new;
    if auto_gc_changed {
        // updateAofAutoGCEnabled: history kept back while the switch was on goes now.
        engine.aof_delete_history();
    }
    if maxmemory_changed {
        // updateMaxmemory: eviction starts from the cron when the new limit is below the use.
        let (used, limit) = engine.memory_state();
        if let Some(limit) = limit {
            if limit < used {
                engine.persist.log(
                    crate::engine::config::LogLevel::Warning,
                    &format!(
                        "WARNING: the new maxmemory value set via CONFIG SET ({limit}) is smaller than the current \
                         memory usage ({used}). This will result in key eviction and/or the inability to accept new \
                         write commands depending on the maxmemory-policy."
                    ),
                );
            }
            engine.eviction.running = true;
        }
    }
    if appendonly_changed {
        // startAppendOnly / stopAppendOnly.
        let now_ms = engine.now_ms;
        if engine.config.appendonly() {
            if engine.aof_start(now_ms).is_err() {
                // updateAppendonly's failure: the parameter goes back to no.
                let _ = engine.config.set("appendonly", b"no");
                if reseed {
                    engine.rng = Xoshiro256PlusPlus::seed_from_u64(engine.config.seed);
                }
                return Err(("appendonly", "Unable to turn on AOF. Check server logs."));
            }
        } else {
            engine.aof_stop(now_ms);
        }
    }
    if reseed {
        engine.rng = Xoshiro256PlusPlus::seed_from_u64(engine.config.seed);
    }
    Ok(())
}

/// Redis's CONFIG_REPL_BACKLOG_MIN_SIZE.
const REPL_BACKLOG_MIN_SIZE: i64 = 16 * 1024;

/// Redis's islocalClient: a unix-socket client or one from a loopback address.
pub(crate) fn is_local_client(addr: &str) -> bool {
    if addr.starts_with('/') || addr.is_empty() {
        return true;
    }
    let host = match addr.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => addr.rsplit_once(':').map_or(addr, |(h, _)| h),
    };
    host == "127.0.0.1" || host == "::1"
}

/// CONFIG RESETSTAT: zeroes the INFO stats counters and every command's statistics.
fn config_resetstat(ctx: &mut Ctx) -> Frame {
    reset_stats(ctx.engine);
    Frame::ok()
}

/// What Redis's resetServerStats and resetCommandTableStats clear.
pub fn reset_stats(engine: &mut Engine) {
    engine.stats = Stats::default();
    engine.lazyfree.reset_freed_objects();
    for stat in engine.command_stats.iter_mut() {
        *stat = CommandStat::default();
    }
}

/// CONFIG REWRITE: rewrites the configuration file through the engine's store.
fn config_rewrite(ctx: &mut Ctx) -> Frame {
    // With an ACL file the users live there, and `user` lines are dropped from the config.
    let users = if ctx.engine.config.aclfile().is_empty() {
        ctx.engine.acl.describe_all().iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
    } else {
        Vec::new()
    };
    let extras = RewriteExtras { users };
    let engine = &mut *ctx.engine;
    let Some(store) = engine.config_store.as_mut() else {
        return Frame::error("ERR The server is running without a config file");
    };
    let failed = |e: std::io::Error| Frame::error(format!("ERR Rewriting config file: {}", strerror(&e)));
    let old = match store.read() {
        Ok(old) => old,
        Err(e) => return failed(e),
    };
    let text = rewrite_config(old.as_deref(), &engine.config, &extras);
    match store.write(&text) {
        Ok(()) => Frame::ok(),
        Err(e) => failed(e),
    }
}

// TODO: use the shared engine/glob.rs (Redis's stringmatchlen) once it lands; this private copy
// only serves CONFIG GET's case-insensitive matching of parameter names.
/// Redis's stringmatchlen (case-insensitive), written as a loop that backtracks to the last `*`
/// (equivalent to Redis's recursion with its skip-longer-matches cut, without deep recursion).
fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    if s.is_empty() {
        // Redis's loop never starts on an empty string, so only an empty pattern matches it.
        return pattern.is_empty();
    }
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if i == s.len() {
            while pattern.get(p) == Some(&b'*') {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
        } else if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while pattern.get(p + 1) == Some(&b'*') {
                        p += 1;
                    }
                    if p + 1 == pattern.len() {
                        return true;
                    }
                    star = Some((p + 1, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    let (matched, end) = match_class(pattern, p, s[i]);
                    if matched {
                        p = end + 1;
                        i += 1;
                        continue;
                    }
                }
                _ => {
                    if pattern[p] == b'\\' && pattern.len() - p >= 2 {
                        p += 1;
                    }
                    if pattern[p].eq_ignore_ascii_case(&s[i]) {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last `*` swallow one more byte, while some remain after it.
        match star {
            Some((after_star, start)) if start + 1 < s.len() => {
                star = Some((after_star, start + 1));
                p = after_star;
                i = start + 1;
            }
            _ => return false,
        }
    }
}

/// A `[...]` class starting at `pattern[open]`: whether `c` matches, and the index of its last
/// pattern byte (the `]`, or the pattern's last byte when the class is not closed).
fn match_class(pattern: &[u8], open: usize, c: u8) -> (bool, usize) {
    let mut p = open + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let exact = c;
    let c = c.to_ascii_lowercase();
    let mut matched = false;
    loop {
        let left = pattern.len().saturating_sub(p);
        if left >= 2 && pattern[p] == b'\\' {
            p += 1;
            // Redis compares an escaped byte case-sensitively even in a nocase match.
            matched |= pattern[p] == exact;
        } else if left >= 1 && pattern[p] == b']' {
            break;
        } else if left == 0 {
            p -= 1;
            break;
        } else if left >= 3 && pattern[p + 1] == b'-' {
            let (mut lo, mut hi) = (pattern[p], pattern[p + 2]);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let (lo, hi) = (lo.to_ascii_lowercase(), hi.to_ascii_lowercase());
            p += 2;
            matched |= c >= lo && c <= hi;
        } else {
            matched |= pattern[p].to_ascii_lowercase() == c;
        }
        p += 1;
    }
    (matched != negate, p)
}

#[cfg(test)]
mod tests;
