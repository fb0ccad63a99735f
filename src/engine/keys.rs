//! Finding which arguments of a command are keys, as Redis 7.0 does: first from the command's
//! key specs (`begin_search` then `find_keys`), and for the commands whose specs cannot say
//! (incomplete or variable-flag specs, bad counts) from a command-specific parser, as Redis's
//! `getkeys_proc` functions do. COMMAND GETKEYS uses it; so will ACLs, tracking and cluster.
//!
//! `argv` always includes the command name at index 0 (and the subcommand at 1 for a
//! subcommand), so positions are argument indexes.

use super::meta::{BeginSearch, CommandMeta, FindKeys, KeySpec};

/// One key argument: its index in `argv` and its access flags (key-spec flag names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub pos: usize,
    pub flags: &'static [&'static str],
}

/// A command-specific key finder, used when the key specs cannot be trusted.
type NativeGetKeys = fn(&[Vec<u8>]) -> Vec<KeyRef>;

/// True when the command may have key arguments (Redis's doesCommandHaveKeys): it has a
/// command-specific key finder or a key spec that is not marked `not_key`.
pub fn has_keys(meta: &CommandMeta) -> bool {
    native_getkeys(meta.name).is_some() || meta.key_specs.iter().any(|s| !is_not_key(s))
}

/// The keys of a call (Redis's getKeysFromCommandWithSpecs): the key specs when they are
/// complete and have fixed flags and can be applied to these arguments; otherwise the
/// command-specific finder; otherwise none.
pub fn get_keys(meta: &CommandMeta, argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let has_key_spec = meta.key_specs.iter().any(|s| !is_not_key(s));
    let variable_flags = meta.key_specs.iter().any(|s| s.flags.contains(&"variable_flags"));
    if has_key_spec && !variable_flags {
        if let Some(keys) = keys_from_specs(meta, argv) {
            return keys;
        }
    }
    match native_getkeys(meta.name) {
        Some(find) => find(argv),
        None => Vec::new(),
    }
}

fn is_not_key(spec: &KeySpec) -> bool {
    spec.flags.contains(&"not_key")
}

/// Applies every key spec (except `not_key` ones) in order (Redis's getKeysUsingKeySpecs in
/// its default mode). `None` when a spec cannot be applied to these arguments (unknown spec
/// type, bad key count, keys out of range) or is marked `incomplete`.
pub fn keys_from_specs(meta: &CommandMeta, argv: &[Vec<u8>]) -> Option<Vec<KeyRef>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in meta.key_specs.iter().filter(|s| !is_not_key(s)) {
        let first = match spec.begin {
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword(keyword, start_from) => {
                match find_keyword(argv, keyword, i64::from(start_from)) {
                    Some(after) => after,
                    // A missing keyword means this spec has no keys in this call.
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let (first, last, step) = match spec.find {
            FindKeys::Range(last_key, key_step, limit) => {
                let (last_key, limit) = (i64::from(last_key), i64::from(limit));
                let last = if last_key >= 0 {
                    first + last_key
                } else if limit == 0 {
                    argc + last_key
                } else {
                    // Keys take 1/limit of the remaining arguments (Redis asserts last_key -1).
                    first + ((argc - first) / limit + last_key)
                };
                (first, last, i64::from(key_step))
            }
            FindKeys::Keynum(count_index, first_key, key_step) => {
                let count_at = first + i64::from(count_index);
                if i64::from(count_index) >= argc || count_at >= argc || count_at < 0 {
                    return None;
                }
                let count = crate::resp::parse::parse_i64(&argv[count_at as usize])?;
                if count < 0 {
                    return None;
                }
                // A huge count (client input) must not overflow: such a call has no valid keys.
                let first = first + i64::from(first_key);
                (first, first.checked_add(count)?.checked_sub(1)?, i64::from(key_step))
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || first < 0 || step < 1 {
            return None;
        }
        // `first..=last` lies inside argv, so the walk is bounded by argc.
        let mut i = first;
        while i <= last {
            keys.push(KeyRef { pos: i as usize, flags: spec.flags });
            i += step;
        }
        if spec.flags.contains(&"incomplete") {
            return None;
        }
    }
    Some(keys)
}

/// Searches for `keyword` as Redis's keyword begin-search does and returns the index after it.
/// A positive `start_from` searches forward from there up to (not including) the last argument;
/// a negative one searches backward from `argc + start_from` down to (not including) index 1.
fn find_keyword(argv: &[Vec<u8>], keyword: &str, start_from: i64) -> Option<i64> {
    let argc = argv.len() as i64;
    let (start, end) = if start_from > 0 { (start_from, argc - 1) } else { (argc + start_from, 1) };
    let dir = if start <= end { 1 } else { -1 };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
            return Some(i + 1);
        }
        i += dir;
    }
    None
}

/// The command-specific key finders, by command full name.
fn native_getkeys(name: &str) -> Option<NativeGetKeys> {
    let f: NativeGetKeys = match name {
        "set" => set_keys,
        "bitfield" => bitfield_keys,
        "sort" => sort_keys,
        "sort_ro" => sort_ro_keys,
        "migrate" => migrate_keys,
        "georadius" | "georadiusbymember" => georadius_keys,
        "xread" | "xreadgroup" => xread_keys,
        "lmpop" | "zmpop" | "sintercard" | "zdiff" | "zinter" | "zintercard" | "zunion" => {
            |argv| counted_keys(argv, None, 1, 2)
        }
        "blmpop" | "bzmpop" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {
            |argv| counted_keys(argv, None, 2, 3)
        }
        "zdiffstore" | "zinterstore" | "zunionstore" => |argv| counted_keys(argv, Some(1), 2, 3),
        _ => return None,
    };
    Some(f)
}

const RO_ACCESS: &[&str] = &["RO", "access"];
const RW_ACCESS_UPDATE: &[&str] = &["RW", "access", "update"];
const RW_ACCESS_DELETE: &[&str] = &["RW", "access", "delete"];
const OW_UPDATE: &[&str] = &["OW", "update"];
/// Redis's generic finders report no flags.
const NO_FLAGS: &[&str] = &[];

fn key(pos: usize, flags: &'static [&'static str]) -> KeyRef {
    KeyRef { pos, flags }
}

fn arg_is(argv: &[Vec<u8>], i: usize, word: &str) -> bool {
    argv.get(i).is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
}

/// C's `atoi` as glibc implements it: `strtol` (leading spaces, a sign, digits, saturating)
/// cut to an `int`. Redis's generic finder reads key counts this way.
fn atoi(arg: &[u8]) -> i32 {
    let mut rest = arg;
    while let [b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c, tail @ ..] = rest {
        rest = tail;
    }
    let negative = rest.first() == Some(&b'-');
    if let [b'-' | b'+', tail @ ..] = rest {
        rest = tail;
    }
    let mut n: i64 = 0;
    for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        let d = i64::from(b - b'0');
        n = if negative { n.saturating_mul(10).saturating_sub(d) } else { n.saturating_mul(10).saturating_add(d) };
    }
    n as i32
}

/// `CMD [dest] numkeys key [key ...] ...`: `count_at` holds the count, keys start at
/// `first_at`; the destination (if any) comes last in the result. No keys when the count is
/// below 1 or larger than the arguments left (the command will report the error).
fn counted_keys(argv: &[Vec<u8>], dest_at: Option<usize>, count_at: usize, first_at: usize) -> Vec<KeyRef> {
    let Some(count_arg) = argv.get(count_at) else {
        return Vec::new();
    };
    let count = i64::from(atoi(count_arg));
    if count < 1 || count > argv.len() as i64 - first_at as i64 {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (0..count as usize).map(|i| key(first_at + i, NO_FLAGS)).collect();
    if let Some(dest) = dest_at {
        keys.push(key(dest, NO_FLAGS));
    }
    keys
}

/// SET: the key reads the old value only with GET.
fn set_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let with_get = (3..argv.len()).any(|i| arg_is(argv, i, "GET"));
    vec![key(1, if with_get { RW_ACCESS_UPDATE } else { OW_UPDATE })]
}

/// BITFIELD: read-only when every operation is a GET (a parse error counts as a write).
fn bitfield_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let mut read_only = true;
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        if arg_is(argv, i, "GET") && remaining >= 2 {
            i += 3;
        } else if (arg_is(argv, i, "SET") || arg_is(argv, i, "INCRBY")) && remaining >= 3 {
            read_only = false;
            break;
        } else if arg_is(argv, i, "OVERFLOW") && remaining >= 1 {
            i += 2;
        } else {
            read_only = false;
            break;
        }
    }
    vec![key(1, if read_only { RO_ACCESS } else { RW_ACCESS_UPDATE })]
}

/// SORT_RO: only the sorted key (BY and GET patterns are not counted).
fn sort_ro_keys(_argv: &[Vec<u8>]) -> Vec<KeyRef> {
    vec![key(1, RO_ACCESS)]
}

/// SORT: the sorted key and the last STORE destination, skipping option arguments the way
/// Redis's parser does.
fn sort_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let mut keys = vec![key(1, RO_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        if arg_is(argv, i, "LIMIT") {
            i += 2;
        } else if arg_is(argv, i, "STORE") && i + 1 < argv.len() {
            store = Some(i + 1);
        } else if arg_is(argv, i, "GET") || arg_is(argv, i, "BY") {
            i += 1;
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push(key(pos, OW_UPDATE));
    }
    keys
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k ...]
fn migrate_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let (mut first, mut count) = (3, 1);
    let mut i = 6;
    while i < argv.len() {
        if arg_is(argv, i, "KEYS") {
            if argv.get(3).is_some_and(|k| !k.is_empty()) {
                // Both a key and KEYS: a syntax error the command reports; no keys here.
                count = 0;
            } else {
                first = i + 1;
                count = argv.len() - first;
            }
            break;
        }
        if arg_is(argv, i, "AUTH") {
            i += 1;
        } else if arg_is(argv, i, "AUTH2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + count).filter(|&p| p < argv.len()).map(|p| key(p, RW_ACCESS_DELETE)).collect()
}

/// GEORADIUS[BYMEMBER]: the source key and the last STORE or STOREDIST destination.
fn georadius_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let mut dest = None;
    let mut i = 5;
    while i < argv.len() {
        if (arg_is(argv, i, "STORE") || arg_is(argv, i, "STOREDIST")) && i + 1 < argv.len() {
            dest = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![key(1, NO_FLAGS)];
    if let Some(pos) = dest {
        keys.push(key(pos, NO_FLAGS));
    }
    keys
}

/// XREAD[GROUP] ... STREAMS key [key ...] id [id ...]: the first half after STREAMS.
fn xread_keys(argv: &[Vec<u8>]) -> Vec<KeyRef> {
    let mut streams_at = None;
    let mut i = 1;
    while i < argv.len() {
        if arg_is(argv, i, "BLOCK") || arg_is(argv, i, "COUNT") {
            i += 1;
        } else if arg_is(argv, i, "GROUP") {
            i += 2;
        } else if arg_is(argv, i, "NOACK") {
            // No argument.
        } else if arg_is(argv, i, "STREAMS") {
            streams_at = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(at) = streams_at else {
        return Vec::new();
    };
    let rest = argv.len() - at - 1;
    if rest == 0 || !rest.is_multiple_of(2) {
        return Vec::new();
    }
    (at + 1..at + 1 + rest / 2).map(|p| key(p, NO_FLAGS)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::table_data::COMMANDS;
    use crate::resp::split::split_args;

    fn meta(name: &str) -> &'static CommandMeta {
        COMMANDS.iter().flat_map(|c| std::iter::once(c).chain(c.subcommands.iter())).find(|c| c.name == name).unwrap()
    }

    fn positions(name: &str, line: &str) -> Vec<usize> {
        let argv = split_args(line.as_bytes()).unwrap();
        get_keys(meta(name), &argv).iter().map(|k| k.pos).collect()
    }

    #[test]
    fn specs_and_finders() {
        assert_eq!(positions("get", "GET k"), [1]);
        assert_eq!(positions("mset", "MSET a 1 b 2"), [1, 3]);
        assert_eq!(positions("del", "DEL a b c"), [1, 2, 3]);
        assert_eq!(positions("zunionstore", "ZUNIONSTORE d 2 a b"), [1, 3, 4]);
        assert_eq!(positions("zunionstore", "ZUNIONSTORE d 0 a"), Vec::<usize>::new());
        assert_eq!(positions("eval", "EVAL s 2 a b c"), [3, 4]);
        assert_eq!(positions("xread", "XREAD COUNT 2 STREAMS a b 0 0"), [4, 5]);
        assert_eq!(positions("sort", "SORT l BY x LIMIT 0 1 STORE d"), [1, 8]);
        assert_eq!(positions("migrate", "MIGRATE h p \"\" 0 5 KEYS a b"), [7, 8]);
        assert_eq!(positions("georadius", "GEORADIUS k 1 2 3 km STORE d"), [1, 7]);
        assert_eq!(positions("lmpop", "LMPOP 2 a b LEFT"), [2, 3]);
        assert_eq!(positions("blmove", "BLMOVE a b LEFT RIGHT 0"), [1, 2]);
    }

    #[test]
    fn variable_flags_use_the_finder() {
        let argv = split_args(b"SET k v GET").unwrap();
        assert_eq!(get_keys(meta("set"), &argv), vec![key(1, RW_ACCESS_UPDATE)]);
        let argv = split_args(b"SET k v EX 10").unwrap();
        assert_eq!(get_keys(meta("set"), &argv), vec![key(1, OW_UPDATE)]);
        let argv = split_args(b"BITFIELD k GET u8 0").unwrap();
        assert_eq!(get_keys(meta("bitfield"), &argv), vec![key(1, RO_ACCESS)]);
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi(b" 12x"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"99999999999999999999"), -1);
    }

    #[test]
    fn has_keys_follows_specs_and_finders() {
        assert!(has_keys(meta("get")));
        assert!(has_keys(meta("eval")));
        assert!(!has_keys(meta("ping")));
        assert!(!has_keys(meta("publish")));
    }
}
