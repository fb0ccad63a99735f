//! The ACL commands and AUTH as the model runs them (Redis: acl.c aclCommand, authCommand), and
//! the permission check every modelled command of a connection goes through (server.c
//! processCommand, multi.c execCommand).
//!
//! The users table is the model's own (`Model::users`, decided by `acl::set_user_explained` and
//! `acl::decide`); only the command table's facts (categories, key specs) come from the caller
//! through [`AclFacts`]. Without facts no check is made and category rules are unknown.
//!
//! Not modelled: ACL LOG (entry ages are wall-clock), GENPASS (random), GETUSER and LIST (their
//! command rules are rebuilt from categories in an order Redis takes from its hash table), LOAD
//! and SAVE, and the disconnection of a deleted user's clients or of subscribers whose channels
//! are taken away (the generator never causes either: see `op/acl.rs`).

use super::acl::{self, AclFacts, MUser, Table};
use super::dispatch::Call;
use super::Model;
use crate::reply::Reply;
use std::sync::Arc;

/// The name every connection starts as, and RESET returns to.
pub const DEFAULT_USER: &[u8] = b"default";

/// ACL's subcommands the model implements, with their arities (COMMAND INFO).
pub(super) const ACL_SUBCOMMANDS: &[(&str, i32)] =
    &[("setuser", -3), ("deluser", -3), ("users", 2), ("whoami", 2), ("dryrun", -4), ("cat", -2)];

/// The text of the error EXEC puts in place of a queued command the user may no longer run.
fn exec_denial(text: &str) -> String {
    let reason = if text.contains("' command") {
        "no permission to execute the command or subcommand"
    } else if text.contains("keys") {
        "no permission to touch the specified keys"
    } else {
        "no permission to access one of the channels used as arguments"
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This \
         command is no longer allowed for the following reason: {reason}"
    )
}

impl Model {
    /// Gives the model the command table's facts, which turns the permission check on.
    pub fn set_acl_facts(&mut self, facts: Arc<dyn AclFacts>) {
        self.acl_facts = Some(facts);
    }

    fn acl_table(&self) -> Table {
        self.acl_facts.as_ref().map(|f| f.table().clone()).unwrap_or_default()
    }

    /// The user a connection runs as.
    pub fn user_of(&self, client: u64) -> Vec<u8> {
        self.client(client).user
    }

    /// Whether `user` may run `argv` (full name `full_name`): `None`, or the denial (the text
    /// without its NOPERM word, and the argument at fault). ACL-4.
    fn denial(&self, user: &MUser, full_name: &str, argv: &[Vec<u8>]) -> Option<(String, usize)> {
        let facts = self.acl_facts.as_ref()?;
        let f = facts.table().get(full_name)?;
        let call = acl::Call {
            facts: f,
            argv,
            keys: facts.keys(full_name, argv),
            channels: acl::channel_args(full_name, argv),
        };
        acl::decide(facts.table(), user, &call).err()
    }

    /// Whether the connection's user may read every key with this command (SORT's BY and GET
    /// options need it).
    pub(super) fn unrestricted_read(&self, client: u64, full_name: &str, argv: &[Vec<u8>]) -> bool {
        let (Some(facts), Some(user)) = (self.acl_facts.as_ref(), self.users.get(&self.client(client).user)) else {
            return true;
        };
        let Some(f) = facts.table().get(full_name) else { return true };
        let call = acl::Call { facts: f, argv, keys: Vec::new(), channels: Vec::new() };
        acl::unrestricted_read(facts.table(), user, &call)
    }

    /// The NOPERM error for a connection's command, or `None` when it may run (ACL-4).
    pub(super) fn acl_refusal(&self, client: u64, full_name: &str, argv: &[Vec<u8>]) -> Option<Reply> {
        let name = self.client(client).user;
        let user = self.users.get(&name)?;
        let (text, _) = self.denial(user, full_name, argv)?;
        if self.client(client).in_exec {
            return Some(Reply::Error(exec_denial(&text)));
        }
        Some(Reply::Error(text))
    }

    /// Whether a connection's command would be refused by its user's permissions (for drivers
    /// that must not start a multi-call iteration the user cannot run).
    pub fn acl_denies(&self, client: u64, argv: &[Vec<u8>]) -> bool {
        let Some((full_name, arity)) = super::dispatch::resolve(argv) else { return false };
        // A wrong argument count is refused before permissions are looked at.
        let argc = argv.len() as i64;
        if (arity > 0 && argc != i64::from(arity)) || argc < -i64::from(arity) {
            return false;
        }
        self.acl_refusal(client, &full_name, argv).is_some()
    }
}

/// AUTH [username] password (ACL-5).
pub(super) fn auth(m: &mut Model, call: &Call) -> Reply {
    let (name, password) = match call.argv.len() {
        2 => {
            if m.users.get(DEFAULT_USER).is_some_and(|u| u.nopass) {
                return Reply::err(
                    "AUTH <password> called without any password configured for the default user. Are you sure \
                     your configuration is correct?",
                );
            }
            (DEFAULT_USER.to_vec(), call.arg(1))
        }
        3 => (call.arg(1).to_vec(), call.arg(2)),
        _ => return Reply::err("syntax error"),
    };
    if acl::auth_ok(m.users.get(&name), password) {
        m.client_mut(call.client).user = name;
        Reply::ok()
    } else {
        Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".to_string())
    }
}

/// ACL <subcommand> ... (the arity was checked by the dispatcher).
pub(super) fn acl(m: &mut Model, call: &Call) -> Reply {
    let sub = String::from_utf8_lossy(call.arg(1)).to_ascii_lowercase();
    match sub.as_str() {
        "setuser" => setuser(m, call),
        "deluser" => deluser(m, call),
        "users" => Reply::Array(m.users.keys().map(|n| Reply::Bulk(n.clone())).collect()),
        "whoami" => Reply::Bulk(m.client(call.client).user),
        "dryrun" => dryrun(m, call),
        "cat" => cat(m, call),
        _ => Reply::err("unsupported ACL subcommand in the model"),
    }
}

/// ACL SETUSER name rule... (ACL-1): all rules or none.
fn setuser(m: &mut Model, call: &Call) -> Reply {
    let name = call.arg(2).to_vec();
    let table = m.acl_table();
    let current = m.users.get(&name).cloned().unwrap_or_default();
    match acl::set_user_explained(&table, &current, &call.argv[3..]) {
        Ok(user) => {
            m.users.insert(name, user);
            Reply::ok()
        }
        Err(text) => Reply::Error(text),
    }
}

/// ACL DELUSER name... (ACL-8): `default` is refused before anything is deleted.
fn deluser(m: &mut Model, call: &Call) -> Reply {
    let names = &call.argv[2..];
    if names.iter().any(|n| n.as_slice() == DEFAULT_USER) {
        return Reply::err("The 'default' user cannot be removed");
    }
    let deleted = names.iter().filter(|n| m.users.remove(n.as_slice()).is_some()).count();
    Reply::Int(deleted as i64)
}

/// ACL DRYRUN user command arg...: OK, or the denial as a bulk string.
fn dryrun(m: &mut Model, call: &Call) -> Reply {
    let Some(user) = m.users.get(call.arg(2)).cloned() else {
        return Reply::err(&format!("User '{}' not found", String::from_utf8_lossy(call.arg(2))));
    };
    let argv = &call.argv[3..];
    let Some((full_name, arity)) = super::dispatch::resolve(argv) else {
        return Reply::err(&format!("Command '{}' not found", String::from_utf8_lossy(&argv[0])));
    };
    let argc = argv.len() as i64;
    if (arity > 0 && argc != i64::from(arity)) || argc < -i64::from(arity) {
        return super::dispatch::wrong_arity(&full_name);
    }
    match m.denial(&user, &full_name, argv) {
        None => Reply::ok(),
        Some((text, pos)) => {
            let what = if text.contains("' command") {
                format!("run the '{full_name}' command")
            } else if text.contains("keys") {
                format!("access the '{}' key", String::from_utf8_lossy(&argv[pos]))
            } else {
                format!("access the '{}' channel", String::from_utf8_lossy(&argv[pos]))
            };
            Reply::Bulk(format!("This user has no permissions to {what}").into_bytes())
        }
    }
}

/// ACL CAT category: every command and subcommand in it (in table order; Redis's order is its
/// hash table's, so comparisons ignore it).
fn cat(m: &mut Model, call: &Call) -> Reply {
    if call.argv.len() != 3 {
        return Reply::err("ACL CAT without a category is not modelled");
    }
    let wanted = String::from_utf8_lossy(call.arg(2)).to_ascii_lowercase();
    let table = m.acl_table();
    let names: Vec<Reply> = table
        .values()
        .filter(|f| f.categories.iter().any(|c| *c == wanted))
        .map(|f| Reply::Bulk(f.name.clone().into_bytes()))
        .collect();
    if names.is_empty() && !table.values().any(|f| f.categories.iter().any(|c| *c == wanted)) {
        return Reply::err(&format!("Unknown category '{}'", String::from_utf8_lossy(call.arg(2))));
    }
    Reply::Array(names)
}
