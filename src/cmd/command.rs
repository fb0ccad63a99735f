//! The COMMAND family: COMMAND, COUNT, INFO, LIST, DOCS, GETKEYS, GETKEYSANDFLAGS and HELP.
//!
//! Replies come from the command table's metadata (generated from Redis 7.0.15) and only show
//! the commands and subcommands verdis implements, so COMMAND describes this server truthfully.
//! Key-spec `notes` (Redis's prose) are not part of the metadata and are left out of the key
//! spec maps. Commands are listed in name order (Redis lists them in hash-table order).

use crate::cmd::args::{err, is};
use crate::cmd::connection::help_reply;
use crate::engine::docs;
use crate::engine::keys;
use crate::engine::meta::{BeginSearch, FindKeys, KeySpec};
use crate::engine::table::{Command, CommandTable, Flags};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "command" => command,
        "command|count" => command_count,
        "command|info" => command_info,
        "command|list" => command_list,
        "command|docs" => command_docs,
        "command|getkeys" => command_getkeys,
        "command|getkeysandflags" => command_getkeysandflags,
        "command|help" => command_help,
        _ => return None,
    };
    Some(h)
}

/// COMMAND: the description of every implemented command.
fn command(ctx: &mut Ctx) -> Frame {
    let table = &ctx.engine.table;
    Frame::Array(table.top_level().map(|c| info_frame(table, c)).collect())
}

/// COMMAND COUNT
fn command_count(ctx: &mut Ctx) -> Frame {
    Frame::Integer(ctx.engine.table.top_level().count() as i64)
}

/// COMMAND INFO [name ...]: one description per name (`get`, `client|list`), null when unknown.
fn command_info(ctx: &mut Ctx) -> Frame {
    if ctx.argc() == 2 {
        return command(ctx);
    }
    let table = &ctx.engine.table;
    let infos = ctx.argv[2..]
        .iter()
        .map(|name| match lookup_full_name(table, name) {
            Some(cmd) => info_frame(table, cmd),
            None => Frame::Null,
        })
        .collect();
    Frame::Array(infos)
}

/// A command by Redis's full name, `name` or `container|sub`, in any case (Redis's
/// lookupCommandBySds).
pub fn lookup_full_name<'t>(table: &'t CommandTable, name: &[u8]) -> Option<&'t Command> {
    let mut parts = name.split(|&b| b == b'|');
    let base = table.lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) if base.is_container() => table.lookup_sub(base, sub),
        _ => None,
    }
}

/// The ten-element description of a command (Redis's addReplyCommandInfo).
pub fn info_frame(table: &CommandTable, cmd: &Command) -> Frame {
    let meta = cmd.meta;
    let subcommands = if cmd.is_container() {
        Frame::Array(table.subcommands(cmd).map(|s| info_frame(table, s)).collect())
    } else {
        Frame::Set(Vec::new())
    };
    Frame::Array(vec![
        Frame::bulk_str(meta.name),
        Frame::Integer(i64::from(meta.arity)),
        status_set(meta.flags),
        Frame::Integer(i64::from(meta.first_key)),
        Frame::Integer(i64::from(meta.last_key)),
        Frame::Integer(i64::from(meta.key_step)),
        status_set(meta.acl_categories),
        Frame::Set(meta.tips.iter().map(|t| Frame::bulk_str(t)).collect()),
        Frame::Set(meta.key_specs.iter().map(key_spec_frame).collect()),
        subcommands,
    ])
}

/// Flags and ACL categories are sets of status replies.
fn status_set(names: &[&str]) -> Frame {
    Frame::Set(names.iter().map(|n| Frame::simple(n)).collect())
}

fn map(pairs: Vec<(&str, Frame)>) -> Frame {
    Frame::Map(pairs.into_iter().map(|(k, v)| (Frame::bulk_str(k), v)).collect())
}

fn int(n: i32) -> Frame {
    Frame::Integer(i64::from(n))
}

/// One key spec as a map of flags, begin_search and find_keys (Redis's prose `notes` are
/// omitted: verdis's metadata holds interface facts only).
fn key_spec_frame(spec: &KeySpec) -> Frame {
    let begin = match spec.begin {
        BeginSearch::Index(index) => ("index", map(vec![("index", int(index))])),
        BeginSearch::Keyword(keyword, start_from) => {
            ("keyword", map(vec![("keyword", Frame::bulk_str(keyword)), ("startfrom", int(start_from))]))
        }
        BeginSearch::Unknown => ("unknown", map(Vec::new())),
    };
    let find = match spec.find {
        FindKeys::Range(last_key, key_step, limit) => {
            ("range", map(vec![("lastkey", int(last_key)), ("keystep", int(key_step)), ("limit", int(limit))]))
        }
        FindKeys::Keynum(count_index, first_key, key_step) => (
            "keynum",
            map(vec![("keynumidx", int(count_index)), ("firstkey", int(first_key)), ("keystep", int(key_step))]),
        ),
        FindKeys::Unknown => ("unknown", map(Vec::new())),
    };
    let typed = |(kind, spec): (&str, Frame)| map(vec![("type", Frame::bulk_str(kind)), ("spec", spec)]);
    map(vec![("flags", status_set(spec.flags)), ("begin_search", typed(begin)), ("find_keys", typed(find))])
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
fn command_list(ctx: &mut Ctx) -> Frame {
    let filter = match ctx.argc() {
        2 => None,
        5 if is(ctx.arg(2), "FILTERBY") => {
            let (kind, value) = (ctx.arg(3), ctx.arg(4));
            if is(kind, "MODULE") {
                Some(ListFilter::Module)
            } else if is(kind, "ACLCAT") {
                Some(ListFilter::AclCategory(value))
            } else if is(kind, "PATTERN") {
                Some(ListFilter::Pattern(value))
            } else {
                return err(errors::SYNTAX);
            }
        }
        _ => return err(errors::SYNTAX),
    };
    let table = &ctx.engine.table;
    let mut names = Vec::new();
    for cmd in table.top_level() {
        for c in std::iter::once(cmd).chain(table.subcommands(cmd)) {
            if filter.as_ref().is_none_or(|f| f.keeps(c)) {
                names.push(Frame::bulk_str(c.meta.name));
            }
        }
    }
    Frame::Array(names)
}

enum ListFilter<'a> {
    /// verdis loads no modules, so no command belongs to one.
    Module,
    AclCategory(&'a [u8]),
    Pattern(&'a [u8]),
}

impl ListFilter<'_> {
    fn keeps(&self, cmd: &Command) -> bool {
        match self {
            ListFilter::Module => false,
            // Categories are named without the `@` here; unknown ones match nothing.
            ListFilter::AclCategory(cat) => cmd
                .meta
                .acl_categories
                .iter()
                .any(|c| c.strip_prefix('@').is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(cat))),
            ListFilter::Pattern(pattern) => glob_match_nocase(pattern, cmd.meta.name.as_bytes()),
        }
    }
}

/// Glob matching without case (`*`, `?`, `[set]`, `[^set]`, ranges, `\` escapes), as Redis's
/// stringmatchlen does for COMMAND LIST's pattern filter.
// TODO(merge): use the keyspace family's engine::glob::string_match once both are merged.
fn glob_match_nocase(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it absorbed to).
    let mut star: Option<(usize, usize)> = None;
    // Each step advances `t` or `p`, or moves the star's resume point forward; bounded by
    // (pattern length + 1) * (text length + 1).
    let bound = (pattern.len() + 1) * (text.len() + 1) * 2 + 2;
    for _ in 0..bound {
        if p < pattern.len() && pattern[p] == b'*' {
            while p < pattern.len() && pattern[p] == b'*' {
                p += 1;
            }
            if p == pattern.len() {
                return true;
            }
            star = Some((p, t));
            continue;
        }
        if t == text.len() {
            return p == pattern.len();
        }
        if p < pattern.len() {
            if let Some((matched, next_p)) = match_one(pattern, p, text[t]) {
                if matched {
                    p = next_p;
                    t += 1;
                    continue;
                }
            }
        }
        // Mismatch: let the last star absorb one more character, or fail.
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp;
                t = st + 1;
            }
            _ => return false,
        }
    }
    false
}

/// Matches one pattern element at `p` against `c`: (matched, index after the element).
fn match_one(pattern: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let lower = |b: u8| b.to_ascii_lowercase();
    match pattern[p] {
        b'?' => Some((true, p + 1)),
        b'\\' if p + 1 < pattern.len() => Some((lower(pattern[p + 1]) == lower(c), p + 2)),
        b'[' => {
            let mut i = p + 1;
            let negate = pattern.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut hit = false;
            while i < pattern.len() && pattern[i] != b']' {
                if pattern[i] == b'\\' && i + 1 < pattern.len() {
                    hit |= lower(pattern[i + 1]) == lower(c);
                    i += 2;
                } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
                    let (a, b) = (lower(pattern[i]), lower(pattern[i + 2]));
                    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                    hit |= (lo..=hi).contains(&lower(c));
                    i += 3;
                } else {
                    hit |= lower(pattern[i]) == lower(c);
                    i += 1;
                }
            }
            // An unclosed class ends at the pattern's end.
            Some((hit != negate, (i + 1).min(pattern.len())))
        }
        other => Some((lower(other) == lower(c), p + 1)),
    }
}

/// COMMAND DOCS [name ...]: a map from full name to documentation facts; unknown names are
/// skipped.
fn command_docs(ctx: &mut Ctx) -> Frame {
    let table = &ctx.engine.table;
    let pairs = if ctx.argc() == 2 {
        table.top_level().map(|c| (Frame::bulk_str(c.meta.name), docs_frame(table, c))).collect()
    } else {
        ctx.argv[2..]
            .iter()
            .filter_map(|name| lookup_full_name(table, name))
            .map(|c| (Frame::bulk_str(c.meta.name), docs_frame(table, c)))
            .collect()
    };
    Frame::Map(pairs)
}

/// One command's documentation map (Redis's addReplyCommandDocs, without complexity, history
/// and arguments).
pub fn docs_frame(table: &CommandTable, cmd: &Command) -> Frame {
    let meta = cmd.meta;
    let mut fields = Vec::with_capacity(7);
    if let Some(summary) = docs::summary(meta.name) {
        fields.push(("summary", Frame::bulk_str(summary)));
    }
    if !meta.since.is_empty() {
        fields.push(("since", Frame::bulk_str(meta.since)));
    }
    fields.push(("group", Frame::bulk_str(meta.group)));
    let doc_flags = docs::doc_flags(meta.name);
    if !doc_flags.is_empty() {
        fields.push(("doc_flags", status_set(doc_flags)));
    }
    if let Some((since, replaced_by)) = docs::deprecation(meta.name) {
        fields.push(("deprecated_since", Frame::bulk_str(since)));
        fields.push(("replaced_by", Frame::bulk_str(replaced_by)));
    }
    if cmd.is_container() {
        let subs = table.subcommands(cmd).map(|s| (Frame::bulk_str(s.meta.name), docs_frame(table, s))).collect();
        fields.push(("subcommands", Frame::Map(subs)));
    }
    map(fields)
}

/// COMMAND GETKEYS command [arg ...]
fn command_getkeys(ctx: &mut Ctx) -> Frame {
    getkeys(ctx, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn command_getkeysandflags(ctx: &mut Ctx) -> Frame {
    getkeys(ctx, true)
}

/// The keys of the command in `argv[2..]`, with their flags when asked (Redis's
/// getKeysSubcommandImpl).
fn getkeys(ctx: &mut Ctx, with_flags: bool) -> Frame {
    let call = &ctx.argv[2..];
    let table = &ctx.engine.table;
    let Some(mut cmd) = table.lookup(&call[0]) else {
        return err("ERR Invalid command specified");
    };
    if cmd.is_container() && call.len() >= 2 {
        match table.lookup_sub(cmd, &call[1]) {
            Some(sub) => cmd = sub,
            None => return err("ERR Invalid command specified"),
        }
    }
    getkeys_frame(cmd, call, with_flags)
}

/// The reply of COMMAND GETKEYS (or GETKEYSANDFLAGS) for the call `call` of `cmd`, once the
/// command is known.
pub fn getkeys_frame(cmd: &Command, call: &[Vec<u8>], with_flags: bool) -> Frame {
    if !keys::has_keys(cmd.meta) {
        return err("ERR The command has no key arguments");
    }
    let (arity, argc) = (cmd.meta.arity, call.len() as i32);
    if (arity > 0 && arity != argc) || argc < -arity {
        return err("ERR Invalid number of arguments specified for command");
    }
    let found = keys::get_keys(cmd.meta, call);
    if found.is_empty() && !cmd.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return err("ERR Invalid arguments specified for command");
    }
    let reply = found
        .iter()
        .map(|k| {
            let name = Frame::bulk(call[k.pos].clone());
            if with_flags {
                Frame::Array(vec![name, status_set(k.flags)])
            } else {
                name
            }
        })
        .collect();
    Frame::Array(reply)
}

/// The lines of COMMAND HELP (Redis's reply text, part of the interface).
const COMMAND_HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

/// COMMAND HELP
fn command_help(ctx: &mut Ctx) -> Frame {
    help_reply(&ctx.argv[0], COMMAND_HELP)
}

#[cfg(test)]
mod tests {
    use super::glob_match_nocase;
    use crate::engine::testkit::{bulk, err, int, Harness};
    use crate::resp::Frame;

    fn names(f: Frame) -> Vec<String> {
        let Frame::Array(items) = f else { panic!("not an array: {f:?}") };
        items
            .into_iter()
            .map(|i| match i {
                Frame::Bulk(b) => String::from_utf8(b).unwrap(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn info_shapes() {
        let mut h = Harness::new();
        let reply = h.run("COMMAND INFO ping nosuch client|id CLIENT|ID get|x a|b|c");
        let Frame::Array(items) = reply else { panic!() };
        assert_eq!(items.len(), 6);
        assert_eq!(
            items[0],
            Frame::Array(vec![
                bulk("ping"),
                int(-1),
                Frame::Set(vec![Frame::simple("fast")]),
                int(0),
                int(0),
                int(0),
                Frame::Set(vec![Frame::simple("@fast"), Frame::simple("@connection")]),
                Frame::Set(vec![bulk("request_policy:all_shards"), bulk("response_policy:all_succeeded")]),
                Frame::Set(vec![]),
                Frame::Set(vec![]),
            ])
        );
        assert_eq!(items[1], Frame::Null);
        assert_eq!(items[2], items[3]);
        assert!(matches!(&items[2], Frame::Array(f) if f[0] == bulk("client|id")));
        assert_eq!(items[4], Frame::Null);
        assert_eq!(items[5], Frame::Null);
    }

    #[test]
    fn container_lists_implemented_subcommands() {
        let mut h = Harness::new();
        let Frame::Array(items) = h.run("COMMAND INFO client") else { panic!() };
        let Frame::Array(info) = &items[0] else { panic!() };
        let Frame::Array(subs) = &info[9] else { panic!("subcommands are an array") };
        assert!(subs.len() >= 9);
    }

    #[test]
    fn count_and_list() {
        let mut h = Harness::new();
        let Frame::Integer(count) = h.run("COMMAND COUNT") else { panic!() };
        let Frame::Array(all) = h.run("COMMAND") else { panic!() };
        assert_eq!(all.len() as i64, count);
        let list = names(h.run("COMMAND LIST"));
        assert!(list.contains(&"client|list".to_string()));
        assert!(list.contains(&"ping".to_string()));
        assert!(!list.contains(&"cluster|info".to_string()));
        let pattern = names(h.run("COMMAND LIST FILTERBY PATTERN CLIENT|L*"));
        assert_eq!(pattern, ["client|list"]);
        let cat = names(h.run("COMMAND LIST FILTERBY ACLCAT Connection"));
        assert!(cat.contains(&"ping".to_string()) && cat.contains(&"client|id".to_string()));
        assert!(!cat.contains(&"client".to_string()));
        assert!(names(h.run("COMMAND LIST FILTERBY ACLCAT @connection")).is_empty());
        assert!(names(h.run("COMMAND LIST FILTERBY MODULE x")).is_empty());
        assert_eq!(h.run("COMMAND LIST FILTERBY FOO x"), err("ERR syntax error"));
        assert_eq!(h.run("COMMAND LIST FILTERBY PATTERN x y"), err("ERR syntax error"));
        assert_eq!(h.run("COMMAND LIST x"), err("ERR syntax error"));
    }

    #[test]
    fn docs_shape() {
        let mut h = Harness::new();
        let reply = h.run("COMMAND DOCS echo nosuch");
        let Frame::Map(pairs) = reply else { panic!() };
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].0, bulk("echo"));
        let Frame::Map(fields) = &pairs[0].1 else { panic!() };
        let keys: Vec<&Frame> = fields.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&bulk("summary"), &bulk("since"), &bulk("group")]);
        assert_eq!(fields[1].1, bulk("1.0.0"));
        assert_eq!(fields[2].1, bulk("connection"));
        let Frame::Map(client) = h.run("COMMAND DOCS client") else { panic!() };
        let Frame::Map(fields) = &client[0].1 else { panic!() };
        assert_eq!(fields.last().unwrap().0, bulk("subcommands"));
    }

    #[test]
    fn getkeys_errors() {
        let mut h = Harness::new();
        assert_eq!(h.run("COMMAND GETKEYS nosuch a b"), err("ERR Invalid command specified"));
        assert_eq!(h.run("COMMAND GETKEYS client list"), err("ERR The command has no key arguments"));
        assert_eq!(h.run("COMMAND GETKEYS client nosuch"), err("ERR Invalid command specified"));
        assert_eq!(h.run("COMMAND GETKEYS ping x"), err("ERR The command has no key arguments"));
        assert_eq!(h.run("COMMAND GETKEYS ping"), err("ERR wrong number of arguments for 'command|getkeys' command"));
    }

    #[test]
    fn help() {
        let mut h = Harness::new();
        let Frame::Array(lines) = h.run("COMMAND HELP") else { panic!() };
        assert_eq!(lines.len(), 21);
        assert_eq!(lines[0], Frame::simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    }

    #[test]
    fn glob() {
        assert!(glob_match_nocase(b"cl*", b"client|list"));
        assert!(glob_match_nocase(b"*LIST", b"client|list"));
        assert!(glob_match_nocase(b"c?ient*", b"client"));
        assert!(glob_match_nocase(b"[a-c]*", b"client"));
        assert!(!glob_match_nocase(b"[^a-c]*", b"client"));
        assert!(glob_match_nocase(b"*|*", b"a|b"));
        assert!(!glob_match_nocase(b"*|*", b"ab"));
        assert!(glob_match_nocase(b"a\\*", b"a*"));
        assert!(!glob_match_nocase(b"a\\*", b"ab"));
        assert!(glob_match_nocase(b"", b""));
        assert!(!glob_match_nocase(b"", b"a"));
        assert!(glob_match_nocase(b"*a*b*c", b"xxaxxbxxc"));
    }
}
