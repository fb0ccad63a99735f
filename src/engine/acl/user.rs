//! An ACL user: flags, password hashes and selectors (the first is the root selector).

use super::selector::{has_spaces, Selector};
use super::SetError;

/// Redis's payload sanitization flags (`sanitize-payload`, `skip-sanitize-payload`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sanitize {
    Unset,
    Sanitize,
    Skip,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    /// `on`; a new user is `off`.
    pub enabled: bool,
    pub nopass: bool,
    pub sanitize: Sanitize,
    /// SHA-256 hashes of the passwords, lower-case hex, in the order they were added.
    pub passwords: Vec<String>,
    /// Never empty: `selectors[0]` is the root selector.
    pub selectors: Vec<Selector>,
}

/// SHA-256 of a password as 64 lower-case hex digits (Redis's ACLHashPassword).
pub fn hash_password(password: &[u8]) -> String {
    crate::cmd::config::sha256::sha256_hex(password)
}

fn valid_hash(hash: &[u8]) -> bool {
    hash.len() == 64 && hash.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no password, no permissions.
    pub fn new(name: &[u8], all_channels_default: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            selectors: vec![Selector::new(all_channels_default)],
        }
    }

    /// The `default` user as Redis creates it: on, nopass, every command, key and channel.
    pub fn new_default() -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            // These rules are always valid.
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Applies one rule (Redis's ACLSetUser). `all_channels_default` is `acl-pubsub-default`
    /// (new selectors and `reset` start from it).
    pub fn apply(&mut self, op: &[u8], all_channels_default: bool) -> Result<(), SetError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Sanitize::Skip;
        } else if is("sanitize-payload") {
            self.sanitize = Sanitize::Sanitize;
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(SetError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hash_password(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(SetError::BadHash);
            };
            let Some(i) = self.passwords.iter().position(|p| *p == hash) else {
                return Err(SetError::NoSuchPassword);
            };
            self.passwords.remove(i);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let selector = selector_from_ops(&op[1..op.len() - 1], all_channels_default)?;
            self.selectors.push(selector);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            for op in ["resetkeys", "resetchannels"] {
                let _ = root.apply(op.as_bytes());
            }
            if all_channels_default {
                let _ = root.apply(b"allchannels");
            }
            self.enabled = false;
            self.sanitize = Sanitize::Sanitize;
            self.selectors.truncate(1);
            let _ = self.selectors[0].apply(b"-@all");
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// The user as ACL LIST and ACL SAVE show it, after `user <name> ` (Redis's
    /// ACLDescribeUser).
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in self.flag_names() {
            out.extend_from_slice(flag.as_bytes());
            out.push(b' ');
        }
        for hash in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(hash.as_bytes());
            out.push(b' ');
        }
        out.extend(self.selectors[0].describe());
        for s in &self.selectors[1..] {
            out.extend_from_slice(b" (");
            out.extend(s.describe());
            out.push(b')');
        }
        out
    }

    /// Flags in Redis's order: on/off, nopass, skip-sanitize-payload, sanitize-payload.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Sanitize::Skip => flags.push("skip-sanitize-payload"),
            Sanitize::Sanitize => flags.push("sanitize-payload"),
            Sanitize::Unset => {}
        }
        flags
    }

    /// Whether `password` opens this user (Redis's ACLCheckUserCredentials, less the lookup).
    /// Every stored hash is compared in full, so timing does not tell which one matched.
    pub fn password_matches(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hashed = hash_password(password);
        let mut found = false;
        for stored in &self.passwords {
            found |= constant_time_eq(stored.as_bytes(), hashed.as_bytes());
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A selector from the rules between parentheses (split as redis-cli splits a line).
fn selector_from_ops(inner: &[u8], all_channels_default: bool) -> Result<Selector, SetError> {
    let mut selector = Selector::new(all_channels_default);
    // Unbalanced quotes give no rules at all, as Redis's sdssplitargs does.
    let ops = crate::resp::split::split_args(inner).unwrap_or_default();
    for op in ops {
        if op.is_empty() {
            // Redis's ACLSetSelector would read past an empty rule; none is a syntax error.
            return Err(SetError::Syntax);
        }
        selector.apply(&op)?;
    }
    Ok(selector)
}

/// True when a user name is acceptable (no spaces or NUL).
pub fn valid_name(name: &[u8]) -> bool {
    !has_spaces(name)
}
