//! Access control decisions (Redis: acl.c), as a pure function: a user (its rules, as typed to
//! ACL SETUSER), a command, its arguments -> allowed, or the exact NOPERM error.
//!
//! Written without bitmaps: a selector keeps the rules that apply to it, and a command's
//! permission is decided by scanning them for the last one that names it (ACL-2). Key and
//! channel patterns are replayed into plain lists. Command facts (categories, key positions and
//! the permission each key needs) come from the caller as `CommandFacts`, because they are data
//! about Redis's command table rather than ACL logic.

use crate::glob;
use std::collections::BTreeMap;

/// What the model needs to know about one command.
#[derive(Clone, Debug, Default)]
pub struct CommandFacts {
    /// Full lower-case name (`get`, `config|get`).
    pub name: String,
    /// The container, for a subcommand.
    pub parent: Option<String>,
    /// Whether it is a container (has subcommands).
    pub container: bool,
    /// Category names without `@`.
    pub categories: Vec<String>,
    /// AUTH, HELLO: no command permission needed.
    pub no_auth: bool,
}

/// The permission a key argument needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyNeed {
    pub read: bool,
    pub write: bool,
}

/// One call: the command's facts, its argv, the key arguments (index, need) and the channel
/// arguments (index, is a pattern) that need permission.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub facts: &'a CommandFacts,
    pub argv: &'a [Vec<u8>],
    pub keys: Vec<(usize, KeyNeed)>,
    pub channels: Vec<(usize, bool)>,
}

/// The model of a command table: facts by name (needed for categories and containers).
pub type Table = BTreeMap<String, CommandFacts>;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MSelector {
    /// The command rules in order (`+@all`, `-get`, `+config|get`, `+select|0`, ...), lower-cased.
    pub command_rules: Vec<String>,
    pub all_keys: bool,
    /// (pattern, read, write).
    pub keys: Vec<(Vec<u8>, bool, bool)>,
    pub all_channels: bool,
    pub channels: Vec<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MUser {
    pub enabled: bool,
    pub nopass: bool,
    /// Passwords in clear (the model compares clear text; the engine compares hashes).
    pub passwords: Vec<Vec<u8>>,
    pub selectors: Vec<MSelector>,
}

impl MUser {
    /// A new user: off, no password, nothing allowed (channels as `acl-pubsub-default`, here
    /// `resetchannels`).
    pub fn new() -> MUser {
        MUser { enabled: false, nopass: false, passwords: Vec::new(), selectors: vec![MSelector::default()] }
    }
}

impl Default for MUser {
    fn default() -> Self {
        MUser::new()
    }
}

fn lower(s: &[u8]) -> String {
    String::from_utf8_lossy(s).to_ascii_lowercase()
}

/// Whether a command name or `container|sub` names a command of the table (ACL-1).
fn names_command(table: &Table, name: &str) -> bool {
    match name.split_once('|') {
        None => table.get(name).is_some_and(|f| f.parent.is_none()),
        Some((c, s)) => !s.contains('|') && table.get(c).is_some_and(|f| f.container) && table.contains_key(name),
    }
}

/// Redis's reasons for refusing a rule (acl.c ACLSetUserStringError).
const UNKNOWN: &str = "Unknown command or category name in ACL";
const SYNTAX: &str = "Syntax error";
const KEY_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not \
                             have any effect. Try 'resetkeys' to start with an empty list of patterns";
const CHANNEL_AFTER_ALL: &str = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and \
                                 does not have any effect. Try 'resetchannels' to start with an empty list of channels";
const NO_SUCH_PASSWORD: &str = "The password you are trying to remove from the user does not exist";
const FIRST_ARG_OF_SUB: &str = "Allowing first-arg of a subcommand is not supported";

/// Applies one rule to a selector; `Err(reason)` when Redis refuses it.
fn apply_selector(table: &Table, s: &mut MSelector, op: &[u8]) -> Result<(), &'static str> {
    let word = lower(op);
    match word.as_str() {
        "allkeys" | "~*" => {
            s.all_keys = true;
            s.keys.clear();
            return Ok(());
        }
        "resetkeys" => {
            s.all_keys = false;
            s.keys.clear();
            return Ok(());
        }
        "allchannels" | "&*" => {
            s.all_channels = true;
            s.channels.clear();
            return Ok(());
        }
        "resetchannels" => {
            s.all_channels = false;
            s.channels.clear();
            return Ok(());
        }
        "allcommands" | "+@all" => {
            s.command_rules = vec!["+@all".into()];
            return Ok(());
        }
        "nocommands" | "-@all" => {
            s.command_rules = vec!["-@all".into()];
            return Ok(());
        }
        _ => {}
    }
    match op.first() {
        Some(b'~') | Some(b'%') => {
            if s.all_keys {
                return Err(KEY_AFTER_ALL);
            }
            let (read, write, pattern) = if op[0] == b'~' {
                (true, true, &op[1..])
            } else {
                let tilde = op.iter().position(|&b| b == b'~').unwrap_or(op.len());
                let flags = lower(&op[1..tilde]);
                let (r, w) = (flags.matches('r').count(), flags.matches('w').count());
                if r > 1 || w > 1 || r + w != flags.len() || r + w == 0 {
                    return Err(SYNTAX);
                }
                (r == 1, w == 1, op.get(tilde + 1..).unwrap_or_default())
            };
            if pattern.iter().any(|b| b.is_ascii_whitespace() || *b == 0 || *b == 0x0b) {
                return Err(SYNTAX);
            }
            match s.keys.iter_mut().find(|k| k.0 == pattern) {
                Some(k) => {
                    k.1 |= read;
                    k.2 |= write;
                }
                None => s.keys.push((pattern.to_vec(), read, write)),
            }
        }
        Some(b'&') => {
            if s.all_channels {
                return Err(CHANNEL_AFTER_ALL);
            }
            if op[1..].iter().any(|b| b.is_ascii_whitespace() || *b == 0 || *b == 0x0b) {
                return Err(SYNTAX);
            }
            if !s.channels.iter().any(|c| c == &op[1..]) {
                s.channels.push(op[1..].to_vec());
            }
        }
        Some(b'+') | Some(b'-') if op.get(1) == Some(&b'@') => {
            let cat = &word[2..];
            if !table.values().any(|f| f.categories.iter().any(|c| c == cat)) && !KNOWN_EMPTY.contains(&cat) {
                return Err(UNKNOWN);
            }
            s.command_rules.push(word);
        }
        Some(b'+') | Some(b'-') => {
            let name = &word[1..];
            if op[0] == b'+' {
                if let Some((base, arg)) = name.rsplit_once('|') {
                    // `+cmd|sub` for a container, `+cmd|firstarg` for a plain command.
                    let Some(f) = table.get(base).filter(|f| f.parent.is_none() || !f.container) else {
                        return Err(UNKNOWN);
                    };
                    if f.parent.is_some() {
                        return Err(FIRST_ARG_OF_SUB);
                    }
                    if arg.is_empty() || (f.container && !names_command(table, name)) {
                        return Err(UNKNOWN);
                    }
                    // A first argument keeps its original case but matches case-insensitively.
                    s.command_rules.push(word.clone());
                    return Ok(());
                }
            }
            if !names_command(table, name) {
                return Err(UNKNOWN);
            }
            s.command_rules.push(word);
        }
        _ => return Err(SYNTAX),
    }
    Ok(())
}

/// Categories that exist in Redis even if the table given to the model has no command in them.
const KNOWN_EMPTY: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Splits a `(rules)` selector as redis-cli would (plain spaces are enough for the model's
/// generated rules).
fn selector_rules(inner: &[u8]) -> Vec<Vec<u8>> {
    inner.split(|&b| b == b' ').filter(|r| !r.is_empty()).map(|r| r.to_vec()).collect()
}

/// Applies ACL SETUSER's rules to a user: all or nothing (ACL-1). Selector rules must come
/// whole (`(+get ~k)` in one argument).
pub fn set_user(table: &Table, user: &MUser, rules: &[Vec<u8>]) -> Result<MUser, ()> {
    set_user_explained(table, user, rules).map_err(|_| ())
}

/// As [`set_user`], with Redis's error for a refused rule:
/// `ERR Error in ACL SETUSER modifier '<rule>': <reason>`.
pub fn set_user_explained(table: &Table, user: &MUser, rules: &[Vec<u8>]) -> Result<MUser, String> {
    let explain = |op: &[u8], reason: &str| {
        format!("ERR Error in ACL SETUSER modifier '{}': {reason}", String::from_utf8_lossy(op))
    };
    let mut u = user.clone();
    for op in rules {
        let word = lower(op);
        match word.as_str() {
            "" => {}
            "on" => u.enabled = true,
            "off" => u.enabled = false,
            "nopass" => {
                u.nopass = true;
                u.passwords.clear();
            }
            "resetpass" => {
                u.nopass = false;
                u.passwords.clear();
            }
            "sanitize-payload" | "skip-sanitize-payload" => {}
            "clearselectors" => u.selectors.truncate(1),
            "reset" => {
                u = MUser::new();
            }
            _ if op[0] == b'>' => {
                if !u.passwords.contains(&op[1..].to_vec()) {
                    u.passwords.push(op[1..].to_vec());
                }
                u.nopass = false;
            }
            _ if op[0] == b'<' => {
                let i = u.passwords.iter().position(|p| p == &op[1..]).ok_or_else(|| explain(op, NO_SUCH_PASSWORD))?;
                u.passwords.remove(i);
            }
            _ if op[0] == b'(' && op.len() >= 2 && op[op.len() - 1] == b')' => {
                let mut s = MSelector::default();
                for r in selector_rules(&op[1..op.len() - 1]) {
                    apply_selector(table, &mut s, &r).map_err(|e| explain(op, e))?;
                }
                u.selectors.push(s);
            }
            _ => apply_selector(table, &mut u.selectors[0], op).map_err(|e| explain(op, e))?,
        }
    }
    Ok(u)
}

/// Whether a rule (`+x`/`-x`, lower-case) names command `f` (ACL-2), and if so whether it
/// allows it. `+cmd|firstarg` rules are handled by the caller.
fn rule_verdict(table: &Table, rule: &str, f: &CommandFacts) -> Option<bool> {
    let allow = rule.starts_with('+');
    let body = &rule[1..];
    if body == "@all" {
        return Some(allow);
    }
    if let Some(cat) = body.strip_prefix('@') {
        let in_cat = |name: &str| table.get(name).is_some_and(|g| g.categories.iter().any(|c| c == cat));
        let hit = in_cat(&f.name) || f.parent.as_deref().is_some_and(in_cat);
        return hit.then_some(allow);
    }
    let hit = body == f.name || f.parent.as_deref() == Some(body);
    hit.then_some(allow)
}

/// Whether a first-argument rule (`+select|0`) applies to `f`.
fn first_arg_rule<'r>(table: &Table, rule: &'r str, f: &CommandFacts) -> Option<&'r str> {
    let (base, arg) = rule.strip_prefix('+')?.rsplit_once('|')?;
    let facts = table.get(base)?;
    (base == f.name && !facts.container && facts.parent.is_none()).then_some(arg)
}

fn command_allowed(table: &Table, s: &MSelector, call: &Call) -> bool {
    let f = call.facts;
    if f.no_auth {
        return true;
    }
    let mut allowed = false;
    let mut first_args: Vec<&str> = Vec::new();
    for rule in &s.command_rules {
        if let Some(arg) = first_arg_rule(table, rule, f) {
            first_args.push(arg);
            continue;
        }
        if let Some(v) = rule_verdict(table, rule, f) {
            allowed = v;
            // Any rule about the command itself forgets its allowed first arguments; so do
            // +@all and -@all.
            let body = &rule[1..];
            if body == "@all" || body == f.name || body.starts_with('@') {
                first_args.clear();
            }
        }
    }
    if allowed {
        return true;
    }
    let at = if f.parent.is_some() { 2 } else { 1 };
    call.argv.len() >= 2
        && call.argv.get(at).is_some_and(|a| first_args.iter().any(|x| x.as_bytes().eq_ignore_ascii_case(a)))
}

/// The refusal reasons, ordered as Redis compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MReason {
    Command = 1,
    Key = 2,
    Channel = 4,
}

fn check_selector(table: &Table, s: &MSelector, call: &Call) -> Result<(), (MReason, usize)> {
    if !command_allowed(table, s, call) {
        return Err((MReason::Command, 0));
    }
    if !s.all_keys {
        for &(pos, need) in &call.keys {
            let key = &call.argv[pos];
            let ok = s.keys.iter().any(|(p, r, w)| (*r || !need.read) && (*w || !need.write) && glob::matches(p, key));
            if !ok {
                return Err((MReason::Key, pos));
            }
        }
    }
    if !s.all_channels {
        for &(pos, is_pattern) in &call.channels {
            let ch = &call.argv[pos];
            let ok = s.channels.iter().any(|p| if is_pattern { p == ch } else { glob::matches(p, ch) });
            if !ok {
                return Err((MReason::Channel, pos));
            }
        }
    }
    Ok(())
}

/// The decision (ACL-4): `Ok(())`, or the NOPERM error text and the argument at fault.
pub fn decide(table: &Table, user: &MUser, call: &Call) -> Result<(), (String, usize)> {
    let mut worst = (MReason::Command, 0usize);
    for s in &user.selectors {
        match check_selector(table, s, call) {
            Ok(()) => return Ok(()),
            Err(e) => {
                if e.0 > worst.0 || (e.0 == worst.0 && e.1 > worst.1) {
                    worst = e;
                }
            }
        }
    }
    let text = match worst.0 {
        MReason::Command => {
            format!("NOPERM this user has no permissions to run the '{}' command", call.facts.name)
        }
        MReason::Key => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
        MReason::Channel => {
            "NOPERM this user has no permissions to access one of the channels used as arguments".into()
        }
    };
    Err((text, worst.1))
}

/// AUTH (ACL-5): whether `password` opens `user`.
pub fn auth_ok(user: Option<&MUser>, password: &[u8]) -> bool {
    user.is_some_and(|u| u.enabled && (u.nopass || u.passwords.iter().any(|p| p == password)))
}

impl MUser {
    /// The `default` user as Redis starts it: on, nopass, every command, key and channel.
    pub fn default_user() -> MUser {
        let root = MSelector {
            command_rules: vec!["+@all".into()],
            all_keys: true,
            keys: Vec::new(),
            all_channels: true,
            channels: Vec::new(),
        };
        MUser { enabled: true, nopass: true, passwords: Vec::new(), selectors: vec![root] }
    }
}

/// What the model needs from Redis's command table to decide a call: the commands' facts
/// (names, containers, categories) and where a call's keys are with the permission each needs
/// (Redis's key specs). These are data about Redis's command table, not ACL logic, so the
/// caller supplies them (the tests take them from the generated command metadata).
pub trait AclFacts: std::fmt::Debug + Send + Sync {
    /// Every command and subcommand by full name.
    fn table(&self) -> &Table;
    /// The key arguments of a call of `full_name`, with the permission each needs.
    fn keys(&self, full_name: &str, argv: &[Vec<u8>]) -> Vec<(usize, KeyNeed)>;
}

/// The channel arguments of a call (Redis's commands_with_channels): (index, is a pattern).
/// Unsubscribing needs no permission (ACL-3).
pub fn channel_args(full_name: &str, argv: &[Vec<u8>]) -> Vec<(usize, bool)> {
    match full_name {
        "subscribe" | "ssubscribe" => (1..argv.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..argv.len()).map(|i| (i, true)).collect(),
        "publish" | "spublish" if argv.len() > 1 => vec![(1, false)],
        _ => Vec::new(),
    }
}

/// Whether one of the user's selectors allows the call's command and reads every key (Redis's
/// ACLUserCheckCmdWithUnrestrictedKeyAccess, which SORT's BY and GET need).
pub fn unrestricted_read(table: &Table, user: &MUser, call: &Call) -> bool {
    user.selectors.iter().any(|s| {
        let every_key = s.all_keys || s.keys.iter().any(|(p, read, _)| p.as_slice() == b"*" && *read);
        every_key && command_allowed(table, s, call)
    })
}
