//! The commands ACL rules can name: every Redis 7.0 command and subcommand from the generated
//! metadata (implemented or not, as Redis's rules name its whole original command table), each
//! with an index into the selectors' permission bitmaps and its ACL categories as a bitmask.
//!
//! Order: top-level commands by name, each container followed by its subcommands. Redis walks
//! its command dictionary in hash order, which changes with every process, so no client can
//! rely on the order; a fixed one keeps verdis's replies deterministic.

use super::super::meta::CommandMeta;
use super::super::table_data::COMMANDS;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Redis's ACL categories, in the order ACL CAT and COMMAND INFO list them. A category's bit in
/// a command's mask is its index here.
pub const CATEGORIES: &[&str] = &[
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

/// One command as ACLs see it.
pub struct AclCommand {
    pub meta: &'static CommandMeta,
    /// Bit `i` set: the command is in `CATEGORIES[i]`.
    pub categories: u32,
    /// The container's index, for a subcommand.
    pub parent: Option<usize>,
    /// The subcommands' indexes, for a container.
    pub subs: Vec<usize>,
    /// Runs without authentication (AUTH, HELLO): no command permission is needed either.
    pub no_auth: bool,
}

pub struct Catalogue {
    pub commands: Vec<AclCommand>,
    by_name: BTreeMap<&'static str, usize>,
}

/// The catalogue, built once from the static metadata.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(build)
}

fn category_mask(meta: &CommandMeta) -> u32 {
    let mut mask = 0;
    for name in meta.acl_categories {
        let name = name.trim_start_matches('@');
        if let Some(i) = CATEGORIES.iter().position(|c| *c == name) {
            mask |= 1 << i;
        }
    }
    mask
}

fn build() -> Catalogue {
    let mut top: Vec<&'static CommandMeta> = COMMANDS.iter().collect();
    top.sort_by_key(|m| m.name);
    let mut commands = Vec::new();
    let mut by_name = BTreeMap::new();
    for meta in top {
        let index = commands.len();
        commands.push(new_command(meta, None));
        by_name.insert(meta.name, index);
        for sub in meta.subcommands {
            let sub_index = commands.len();
            commands.push(new_command(sub, Some(index)));
            commands[index].subs.push(sub_index);
            by_name.insert(sub.name, sub_index);
        }
    }
    Catalogue { commands, by_name }
}

fn new_command(meta: &'static CommandMeta, parent: Option<usize>) -> AclCommand {
    AclCommand {
        meta,
        categories: category_mask(meta),
        parent,
        subs: Vec::new(),
        no_auth: meta.flags.contains(&"no_auth"),
    }
}

impl Catalogue {
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The index of a command by its full lower-case name (`get`, `config|get`).
    pub fn index_of(&self, full_name: &str) -> Option<usize> {
        self.by_name.get(full_name).copied()
    }

    /// The command a rule names, in any case: `name` or `container|sub` (Redis's
    /// lookupCommandBySds: a `|` form needs a container on the left, and one `|` at most).
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let mut parts = lower.split('|');
        let first = parts.next()?;
        match (parts.next(), parts.next()) {
            (None, _) => self.by_name.get(first).copied().filter(|&i| self.commands[i].parent.is_none()),
            (Some(sub), None) => {
                let container = self.by_name.get(first).copied()?;
                if self.commands[container].subs.is_empty() {
                    return None;
                }
                let full = format!("{first}|{sub}");
                self.by_name.get(full.as_str()).copied()
            }
            _ => None,
        }
    }

    /// A category's bit, by name in any case.
    pub fn category_bit(name: &[u8]) -> Option<u32> {
        CATEGORIES.iter().position(|c| c.as_bytes().eq_ignore_ascii_case(name)).map(|i| 1 << i)
    }
}
