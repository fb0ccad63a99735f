//! Access control lists, as Redis 7.0's acl.c: users with passwords and selectors, the rules
//! ACL SETUSER takes, the permission check every command goes through, and the ACL log.
//!
//! The check (`check`) is a pure function of a user, a command and its arguments, so tests can
//! compare it with the model in `verdis-spec`.

pub mod catalogue;
pub mod file;
mod hooks;
pub mod log;
pub mod selector;
pub mod user;

use super::keys;
use catalogue::catalogue;
use selector::{Selector, READ, WRITE};
use std::collections::BTreeMap;
pub use user::User;

/// Why a rule was refused (Redis's errno values in ACLSetUser), with Redis's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    UnknownCommand,
    Syntax,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    Duplicate,
    FirstArgOfSubcommand,
}

impl SetError {
    pub fn message(self) -> &'static str {
        match self {
            SetError::UnknownCommand => "Unknown command or category name in ACL",
            SetError::Syntax => "Syntax error",
            SetError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                 effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            SetError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have \
                 any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            SetError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            SetError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            SetError::Duplicate => "Duplicate user found. A user can only be defined once in config files",
            SetError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// What a denied command was denied for (Redis's ACL_DENIED_*; the order matters when
/// selectors disagree: the largest reason is reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command = 1,
    Key = 2,
    Auth = 3,
    Channel = 4,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Auth => "auth",
            Reason::Channel => "channel",
        }
    }
}

/// A refusal: the reason and, for keys and channels, the argument index at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial {
    pub reason: Reason,
    pub pos: usize,
}

impl Denial {
    /// The NOPERM error a refused command gets.
    pub fn error_text(&self, full_name: &str) -> String {
        match self.reason {
            Reason::Command => format!("NOPERM this user has no permissions to run the '{full_name}' command"),
            Reason::Key => "NOPERM this user has no permissions to access one of the keys used as arguments".into(),
            Reason::Channel => {
                "NOPERM this user has no permissions to access one of the channels used as arguments".into()
            }
            Reason::Auth => "no permission".into(),
        }
    }
}

/// How a command names Pub/Sub channels (Redis's commands_with_channels table): the first
/// channel argument, how many (`None`: all the rest), and whether they are patterns. Commands
/// that only unsubscribe need no channel permission, so they are absent.
fn channel_spec(full_name: &str) -> Option<(usize, Option<usize>, bool)> {
    match full_name {
        "subscribe" | "ssubscribe" => Some((1, None, false)),
        "psubscribe" => Some((1, None, true)),
        "publish" | "spublish" => Some((1, Some(1), false)),
        _ => None,
    }
}

/// The permission a key-spec's flags ask for: read for `access`, write for `insert`,
/// `delete`, `update` (Redis ignores RW/RO/OW/RM here).
fn key_perms(flags: &[&str]) -> u8 {
    let mut perms = 0;
    for f in flags {
        match *f {
            "access" => perms |= READ,
            "insert" | "delete" | "update" => perms |= WRITE,
            _ => {}
        }
    }
    perms
}

/// The key arguments of a call of command `id` (a catalogue index) with the permission each
/// needs as (position, read, write): the facts the model's ACL decision takes from the table.
pub fn key_needs(id: usize, argv: &[Vec<u8>]) -> Vec<(usize, bool, bool)> {
    let cmd = &catalogue().commands[id];
    if !keys::has_keys(cmd.meta) {
        return Vec::new();
    }
    keys::get_keys(cmd.meta, argv)
        .iter()
        .filter(|k| k.pos < argv.len())
        .map(|k| {
            let need = key_perms(k.flags);
            (k.pos, need & READ != 0, need & WRITE != 0)
        })
        .collect()
}

/// Whether one selector allows the command (Redis's ACLSelectorCheckCmd). `keys` caches the
/// command's keys between selectors.
fn check_selector(
    s: &Selector,
    id: usize,
    argv: &[Vec<u8>],
    keys: &mut Option<Vec<keys::KeyRef>>,
) -> Result<(), Denial> {
    let cmd = &catalogue().commands[id];
    if !s.all_commands && !cmd.no_auth && !s.bit(id) {
        // A first argument allowed on its own (`+select|0`) is the last chance.
        let arg_at = if cmd.parent.is_some() { 2 } else { 1 };
        let allowed = match (s.first_args_of(id), argv.get(arg_at)) {
            (Some(args), Some(arg)) if argv.len() >= 2 => args.iter().any(|a| a.eq_ignore_ascii_case(arg)),
            _ => false,
        };
        if !allowed {
            return Err(Denial { reason: Reason::Command, pos: 0 });
        }
    }
    if !s.all_keys && keys::has_keys(cmd.meta) {
        let found = keys.get_or_insert_with(|| keys::get_keys(cmd.meta, argv));
        for k in found.iter() {
            let Some(key) = argv.get(k.pos) else { continue };
            let need = key_perms(k.flags);
            let ok =
                s.patterns.iter().any(|p| p.perms & need == need && super::glob::string_match(&p.pattern, key, false));
            if !ok {
                return Err(Denial { reason: Reason::Key, pos: k.pos });
            }
        }
    }
    if !s.all_channels {
        if let Some((first, count, is_pattern)) = channel_spec(cmd.meta.name) {
            let end = count.map_or(argv.len(), |n| (first + n).min(argv.len()));
            for (pos, channel) in argv.iter().enumerate().take(end).skip(first) {
                if !channel_allowed(&s.channels, channel, is_pattern) {
                    return Err(Denial { reason: Reason::Channel, pos });
                }
            }
        }
    }
    Ok(())
}

/// A channel against a list of channel patterns: a pattern subscription must equal one of
/// them literally; a plain channel may match one as a glob.
pub fn channel_allowed(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| if is_pattern { p == channel } else { super::glob::string_match(p, channel, false) })
}

/// Whether `user` may run command `id` (a catalogue index) with these arguments (Redis's
/// ACLCheckAllUserCommandPerm). When no selector allows it, the refusal reported is the
/// command one if every selector refused the command, else the largest reason, and among
/// equal reasons the latest argument.
pub fn check(user: &User, id: usize, argv: &[Vec<u8>]) -> Result<(), Denial> {
    let mut worst = Denial { reason: Reason::Command, pos: 0 };
    let mut keys = None;
    for s in &user.selectors {
        match check_selector(s, id, argv, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > worst.reason || (d.reason == worst.reason && d.pos > worst.pos) {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

/// Whether the user may use a channel at all (Redis's ACLUserCheckChannelPerm).
pub fn channel_permitted(user: &User, channel: &[u8], is_pattern: bool) -> bool {
    user.selectors.iter().any(|s| s.all_channels || channel_allowed(&s.channels, channel, is_pattern))
}

/// Joins rules split over several arguments into selectors: `(` starts one that runs to the
/// argument ending with `)` (Redis's ACLMergeSelectorArguments). On an unclosed parenthesis,
/// the index of the argument that opened it.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((start, mut selector)) = open.take() {
            selector.push(b' ');
            selector.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(selector);
            } else {
                open = Some((start, selector));
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(out),
    }
}

/// The users, the ACL log and the ACL file.
pub struct Acl {
    /// By name, in byte order (Redis keeps them in a radix tree).
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: log::AclLog,
    /// Where ACL LOAD and ACL SAVE read and write `aclfile` (installed by the server).
    pub file: Option<Box<dyn file::AclFile + Send>>,
}

impl Default for Acl {
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert(b"default".to_vec(), User::new_default());
        Acl { users, log: log::AclLog::default(), file: None }
    }
}

impl Acl {
    pub fn default_user(&self) -> &User {
        // The default user is never removed (DELUSER refuses it; LOAD always recreates it).
        self.users.get(b"default".as_slice()).expect("the default user always exists")
    }

    pub fn default_user_mut(&mut self) -> &mut User {
        self.users.entry(b"default".to_vec()).or_insert_with(User::new_default)
    }

    /// Whether connections must authenticate (Redis's authRequired, less the client's flag):
    /// the default user has a password, or is off.
    pub fn auth_required(&self) -> bool {
        let d = self.default_user();
        !d.nopass || !d.enabled
    }

    /// `requirepass`: the default user's only password, or nopass when cleared.
    pub fn set_default_password(&mut self, password: Option<&[u8]>) {
        let d = self.default_user_mut();
        let _ = d.apply(b"resetpass", false);
        match password {
            Some(p) => {
                let _ = d.apply(&[b">".as_slice(), p].concat(), false);
            }
            None => {
                let _ = d.apply(b"nopass", false);
            }
        }
    }

    /// Checks a user name and password (Redis's ACLCheckUserCredentials).
    pub fn credentials_ok(&self, name: &[u8], password: &[u8]) -> bool {
        self.users.get(name).is_some_and(|u| u.password_matches(password))
    }

    /// ACL SETUSER's rules applied to a copy of the user (a new one if absent), kept only if
    /// every rule is valid. The error text when one is not. Returns the user's old version.
    pub fn set_user(&mut self, name: &[u8], rules: &[Vec<u8>], all_channels: bool) -> Result<Option<User>, String> {
        let merged = merge_selector_args(rules).map_err(|i| {
            format!("Unmatched parenthesis in acl selector starting at '{}'.", String::from_utf8_lossy(&rules[i]))
        })?;
        let old = self.users.get(name).cloned();
        let mut user = old.clone().unwrap_or_else(|| User::new(name, all_channels));
        for op in &merged {
            if let Err(e) = user.apply(op, all_channels) {
                return Err(format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                ));
            }
        }
        self.users.insert(name.to_vec(), user);
        Ok(old)
    }

    /// Every user as `user <name> <rules>` lines (ACL LIST, ACL SAVE, CONFIG REWRITE).
    pub fn describe_all(&self) -> Vec<Vec<u8>> {
        self.users.values().map(|u| [b"user ".as_slice(), &u.name, b" ", &u.describe()].concat()).collect()
    }
}

/// Whether a user that had `old` channel permissions and now has `new` ones may keep its
/// subscriptions without a check: the new ones allow every channel, or include all the old
/// patterns (Redis's ACLKillPubsubClientsIfNeeded shortcuts). Otherwise the upcoming channel
/// list, to check each subscription against.
pub fn channels_after_change(old: &User, new: &User) -> Option<Vec<Vec<u8>>> {
    if new.selectors.iter().any(|s| s.all_channels) {
        return None;
    }
    let upcoming: Vec<Vec<u8>> = new.selectors.iter().flat_map(|s| s.channels.iter().cloned()).collect();
    let superset = old.selectors.iter().all(|s| !s.all_channels && s.channels.iter().all(|c| upcoming.contains(c)));
    if superset {
        None
    } else {
        Some(upcoming)
    }
}
