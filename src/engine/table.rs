//! The command table: every Redis 7.0 command's metadata joined with verdis's handler for it.
//! A command without a handler is not implemented; it is unknown to clients and absent from
//! COMMAND's replies, so COMMAND tells the truth about what verdis can do.

use super::meta::CommandMeta;
use super::table_data::COMMANDS;
use super::Handler;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes command names with xxh3: faster than SipHash on the per-command lookup, and the table
/// is built from static names, so hash flooding is not a concern.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 ^= super::dict::hash_bytes(bytes);
    }

    /// `str`'s Hash ends every name with a 0xff byte; mixing it in cheaply spares a second xxh3
    /// call per lookup (the default would hash it as one more byte slice).
    fn write_u8(&mut self, byte: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(byte);
    }
}

type NameMap<V> = HashMap<&'static str, V, BuildHasherDefault<NameHasher>>;

/// Command flags used on the hot path, decoded once from the metadata's flag names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const WRITE: Flags = Flags(1);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    pub const PUBSUB: Flags = Flags(1 << 4);
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const LOADING: Flags = Flags(1 << 7);
    pub const STALE: Flags = Flags(1 << 8);
    pub const NO_AUTH: Flags = Flags(1 << 9);
    pub const NO_MULTI: Flags = Flags(1 << 10);
    pub const FAST: Flags = Flags(1 << 11);
    pub const ALLOW_BUSY: Flags = Flags(1 << 12);
    pub const MAY_REPLICATE: Flags = Flags(1 << 13);
    pub const SKIP_MONITOR: Flags = Flags(1 << 14);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 15);
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 16);
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 17);

    fn from_name(name: &str) -> Flags {
        match name {
            "write" => Flags::WRITE,
            "readonly" => Flags::READONLY,
            "denyoom" => Flags::DENYOOM,
            "admin" => Flags::ADMIN,
            "pubsub" => Flags::PUBSUB,
            "noscript" => Flags::NOSCRIPT,
            "blocking" => Flags::BLOCKING,
            "loading" => Flags::LOADING,
            "stale" => Flags::STALE,
            "no_auth" => Flags::NO_AUTH,
            "no_multi" => Flags::NO_MULTI,
            "fast" => Flags::FAST,
            "allow_busy" => Flags::ALLOW_BUSY,
            "may_replicate" => Flags::MAY_REPLICATE,
            "skip_monitor" => Flags::SKIP_MONITOR,
            "skip_slowlog" => Flags::SKIP_SLOWLOG,
            "no_async_loading" => Flags::NO_ASYNC_LOADING,
            "no_mandatory_keys" => Flags::NO_MANDATORY_KEYS,
            _ => Flags(0),
        }
    }

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags of both (for the union over a transaction's queued commands).
    /// These flags without `other`'s.
    pub fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    pub fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// A command as the dispatcher sees it.
pub struct Command {
    pub meta: &'static CommandMeta,
    pub flags: Flags,
    pub handler: Option<Handler>,
    /// Index into the engine's per-command statistics.
    pub stat_index: usize,
}

impl Command {
    pub fn implemented(&self) -> bool {
        self.handler.is_some()
    }
}

/// All commands by lower-case full name (`get`, `config|get`).
pub struct CommandTable {
    by_name: NameMap<Command>,
    /// Top-level commands in name order, for COMMAND and COMMAND LIST.
    top_level: Vec<&'static str>,
}

impl CommandTable {
    /// Builds the table, asking `lookup` for each command's handler.
    pub fn new(lookup: fn(&str) -> Option<Handler>) -> CommandTable {
        let mut by_name = NameMap::default();
        let mut top_level = Vec::new();
        let mut stat_index = 0;
        for meta in COMMANDS {
            let mut any_sub = false;
            for sub in meta.subcommands {
                let handler = lookup(sub.name);
                any_sub |= handler.is_some();
                by_name.insert(sub.name, Command::new(sub, handler, stat_index));
                stat_index += 1;
            }
            // A container (CONFIG, CLIENT, ...) is implemented when one of its subcommands is.
            // Most have no handler of their own; COMMAND does (it runs with no subcommand).
            let handler = lookup(meta.name);
            let mut cmd = Command::new(meta, handler, stat_index);
            stat_index += 1;
            if any_sub && cmd.handler.is_none() {
                cmd.handler = Some(container_placeholder);
            }
            if cmd.implemented() {
                top_level.push(meta.name);
            }
            by_name.insert(meta.name, cmd);
        }
        top_level.sort_unstable();
        CommandTable { by_name, top_level }
    }

    pub fn get(&self, lower_name: &str) -> Option<&Command> {
        self.by_name.get(lower_name)
    }

    /// The implemented command for `name` in any case, if any.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 64];
        // `container|sub` names are internal: a client cannot call a subcommand by that name.
        if name.len() > buf.len() || name.contains(&b'|') {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        let lower = std::str::from_utf8(lower).ok()?;
        self.by_name.get(lower).filter(|c| c.implemented())
    }

    /// The implemented subcommand `sub` of container `container`.
    pub fn lookup_sub(&self, container: &Command, sub: &[u8]) -> Option<&Command> {
        let full = format!("{}|{}", container.meta.name, String::from_utf8_lossy(sub).to_ascii_lowercase());
        self.by_name.get(full.as_str()).filter(|c| c.implemented())
    }

    /// Implemented top-level commands, in name order.
    pub fn top_level(&self) -> impl Iterator<Item = &Command> {
        self.top_level.iter().filter_map(|n| self.by_name.get(n))
    }

    /// Implemented subcommands of a container.
    pub fn subcommands<'a>(&'a self, container: &'a Command) -> impl Iterator<Item = &'a Command> {
        container.meta.subcommands.iter().filter_map(|m| self.by_name.get(m.name)).filter(|c| c.implemented())
    }

    pub fn stat_slots(&self) -> usize {
        self.by_name.len()
    }

    pub fn all(&self) -> impl Iterator<Item = &Command> {
        self.by_name.values()
    }
}

/// Commands Redis 7.0 flags CMD_MAY_REPLICATE (src/commands.c): they may write to the replication
/// stream without being writes, so CLIENT PAUSE WRITE holds them back. COMMAND INFO does not show
/// the flag, so the generated table cannot carry it.
const MAY_REPLICATE: &[&str] = &["pfcount", "publish", "spublish", "eval", "evalsha", "fcall"];

impl Command {
    fn new(meta: &'static CommandMeta, handler: Option<Handler>, stat_index: usize) -> Command {
        let mut flags = meta.flags.iter().fold(Flags(0), |acc, f| Flags(acc.0 | Flags::from_name(f).0));
        if MAY_REPLICATE.contains(&meta.name) {
            flags = flags.union(Flags::MAY_REPLICATE);
        }
        Command { meta, flags, handler, stat_index }
    }

    pub fn is_container(&self) -> bool {
        !self.meta.subcommands.is_empty()
    }
}

/// Never called: the dispatcher resolves a container to its subcommand before calling.
fn container_placeholder(_ctx: &mut super::Ctx) -> crate::resp::Frame {
    crate::resp::Frame::error("ERR internal: container command called directly")
}
