//! Generated access-control operations: ACL SETUSER with rules from a small alphabet, AUTH
//! switching the connection's user, and the ACL commands whose replies Redis fixes exactly.
//!
//! Safety of the generated sequences (see also `model/acl_cmds.rs`):
//! - Connections only ever AUTH as `u1` or `u2` (or `default`). DELUSER names only `tmp`, a
//!   missing user or `default` (refused), so no connection's user is deleted under it (Redis
//!   would disconnect it).
//! - Channel rules go to `tmp` only: the channels of `u1`/`u2` stay empty, so they can never
//!   subscribe, and no later rule change disconnects a subscriber.
//! - `default` keeps `on`, `nopass` and the ACL commands: `AUTH default <anything>` always leads
//!   back, and the rules it may get (rarely) only narrow keys, writes or SET, until a restoring
//!   SETUSER gives everything back.

use arbitrary::Arbitrary;

/// The users SETUSER shapes: `u1` and `u2` (AUTH targets), `tmp` (never authenticated).
const USERS: &[&str] = &["u1", "u1", "u2", "tmp"];

/// Rules for the users; `&` rules only reach `tmp`.
const RULES: &[&str] = &[
    "on",
    "on",
    "off",
    ">p1",
    ">p1",
    ">p2",
    "nopass",
    "~a*",
    "~b",
    "~key:*",
    "%R~a*",
    "%W~b*",
    "%R~c",
    "allkeys",
    "resetkeys",
    "+@read",
    "+@read",
    "-@write",
    "+@write",
    "+get",
    "-set",
    "+set",
    "allcommands",
    "nocommands",
    "reset",
    "&a",
    "&news",
    "resetchannels",
];

/// The rules `default` may get: none removes its password-less login or the ACL commands.
const DEFAULT_RULES: &[&str] = &["-set", "-@write", "resetkeys", "~a*", "%R~b", "+set", "allkeys", "&a"];

/// AUTH passwords: the two the rules set, and a wrong one.
const PASSWORDS: &[&str] = &["p1", "p1", "p2", "nope"];

/// ACL DRYRUN calls (user first).
const DRYRUNS: &[&[&str]] = &[
    &["u1", "get", "a"],
    &["u1", "set", "b", "1"],
    &["u2", "mget", "a", "c"],
    &["u1", "publish", "a", "m"],
    &["tmp", "publish", "news", "m"],
    &["tmp", "subscribe", "a", "b"],
    &["default", "set", "a", "1"],
    &["u2", "del", "a", "key:1"],
    &["u1", "get"],
    &["u1", "nosuch"],
    &["nosuch", "get", "a"],
];

/// ACL CAT categories: unknown ones only. (A known category lists every command of Redis's
/// table, and verdis lists only those it implements: see the report of the ACL diff work.)
const CATEGORIES: &[&str] = &["nosuch", "Read-ish"];

/// One access-control operation.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum AclOp {
    /// ACL SETUSER user rule... (1 to 4 rules).
    SetUser(u8, u8, u8, u8, u8),
    /// AUTH u1|u2 password.
    Auth(u8, u8),
    /// AUTH default <anything>: back to the default user.
    AuthDefault,
    /// ACL DELUSER tmp | nosuch | default.
    DelUser(u8),
    Users,
    WhoAmI,
    DryRun(u8),
    Cat(u8),
    /// ACL SETUSER default with a rule of `DEFAULT_RULES`, or everything back.
    Default(u8),
}

fn pick(table: &'static [&'static str], i: u8) -> &'static str {
    table[usize::from(i) % table.len()]
}

fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// SETUSER's rules, without channel rules for users that may be authenticated.
fn rules_for(user: &str, picks: &[u8]) -> Vec<&'static str> {
    picks
        .iter()
        .map(|&i| pick(RULES, i))
        .filter(|r| user == "tmp" || !(r.starts_with('&') || *r == "resetchannels"))
        .collect()
}

impl AclOp {
    pub(super) fn to_argv(&self) -> Vec<Vec<u8>> {
        match *self {
            AclOp::SetUser(u, n, a, b, c) => {
                let user = pick(USERS, u);
                let count = 1 + usize::from(n % 4);
                let mut words = vec!["ACL", "SETUSER", user];
                // Often a user one can log in as, so that AUTH switches to it.
                if n % 8 < 5 {
                    words.extend(["on", ">p1"]);
                }
                words.extend(rules_for(user, &[a, b, c, n.wrapping_add(a)][..count]));
                argv(&words)
            }
            AclOp::Auth(u, p) => argv(&["AUTH", if u % 2 == 0 { "u1" } else { "u2" }, pick(PASSWORDS, p)]),
            AclOp::AuthDefault => argv(&["AUTH", "default", "any"]),
            AclOp::DelUser(i) => argv(&["ACL", "DELUSER", pick(&["tmp", "tmp", "nosuch", "default"], i)]),
            AclOp::Users => argv(&["ACL", "USERS"]),
            AclOp::WhoAmI => argv(&["ACL", "WHOAMI"]),
            AclOp::DryRun(i) => {
                let mut words = vec!["ACL", "DRYRUN"];
                words.extend_from_slice(DRYRUNS[usize::from(i) % DRYRUNS.len()]);
                argv(&words)
            }
            AclOp::Cat(i) => argv(&["ACL", "CAT", pick(CATEGORIES, i)]),
            AclOp::Default(i) if i % 2 == 0 => {
                argv(&["ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all"])
            }
            AclOp::Default(i) => argv(&["ACL", "SETUSER", "default", pick(DEFAULT_RULES, i / 2)]),
        }
    }
}

/// What a driver sends to give a server back the generator's starting users (every generated
/// user deleted, `default` with every permission), from a connection authenticated as default.
pub fn acl_reset_commands() -> Vec<Vec<Vec<u8>>> {
    vec![
        argv(&["ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all"]),
        argv(&["ACL", "DELUSER", "u1", "u2", "tmp"]),
    ]
}
