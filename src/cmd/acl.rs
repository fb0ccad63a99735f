//! The ACL command family (Redis's aclCommand): SETUSER, GETUSER, DELUSER, USERS, LIST, WHOAMI,
//! CAT, GENPASS, LOG, DRYRUN, LOAD, SAVE, HELP. The rules and the check live in `engine::acl`.

use crate::cmd::args::int_arg;
use crate::cmd::connection::help_reply;
use crate::engine::acl::catalogue::{catalogue, Catalogue, CATEGORIES};
use crate::engine::acl::selector::Selector;
use crate::engine::acl::{self, file, user, Reason};
use crate::engine::{errors, Ctx, Handler};
use crate::resp::Frame;
use rand_core::RngCore;

pub fn handler(full_name: &str) -> Option<Handler> {
    let h: Handler = match full_name {
        "acl|setuser" => setuser,
        "acl|getuser" => getuser,
        "acl|deluser" => deluser,
        "acl|users" => users,
        "acl|list" => list,
        "acl|whoami" => whoami,
        "acl|cat" => cat,
        "acl|genpass" => genpass,
        "acl|log" => log,
        "acl|dryrun" => dryrun,
        "acl|load" => load,
        "acl|save" => save,
        "acl|help" => help,
        _ => return None,
    };
    Some(h)
}

fn all_channels_default(ctx: &Ctx) -> bool {
    ctx.engine.config.get_by_name("acl-pubsub-default").is_some_and(|v| v == b"allchannels")
}

/// ACL SETUSER username [rule ...]
fn setuser(ctx: &mut Ctx) -> Frame {
    let name = ctx.arg(2);
    if !user::valid_name(name) {
        return Frame::error("ERR Usernames can't contain spaces or null characters");
    }
    let all_channels = all_channels_default(ctx);
    match ctx.engine.acl.set_user(name, &ctx.argv[3..], all_channels) {
        Ok(Some(old)) => {
            if let Some(new) = ctx.engine.acl.users.get(name).cloned() {
                ctx.engine.acl_kill_pubsub_clients(ctx.client, &old, &new);
            }
            Frame::ok()
        }
        Ok(None) => Frame::ok(),
        Err(text) => Frame::error(format!("ERR {text}")),
    }
}

/// ACL GETUSER username: flags, passwords, the root selector's rules, then the other selectors.
fn getuser(ctx: &mut Ctx) -> Frame {
    let Some(u) = ctx.engine.acl.users.get(ctx.arg(2)) else {
        return Frame::Null;
    };
    let field = |k: &str, v: Frame| (Frame::bulk_str(k), v);
    let mut fields = vec![
        field("flags", Frame::Set(u.flag_names().into_iter().map(Frame::bulk_str).collect())),
        field("passwords", Frame::array_of_bulks(u.passwords.iter().map(|p| p.as_bytes().to_vec()))),
    ];
    fields.extend(selector_fields(u.root()));
    let selectors = u.selectors[1..].iter().map(|s| Frame::Map(selector_fields(s))).collect();
    fields.push(field("selectors", Frame::Array(selectors)));
    Frame::Map(fields)
}

fn selector_fields(s: &Selector) -> Vec<(Frame, Frame)> {
    vec![
        (Frame::bulk_str("commands"), Frame::bulk(s.describe_commands())),
        (Frame::bulk_str("keys"), Frame::bulk(s.describe_keys())),
        (Frame::bulk_str("channels"), Frame::bulk(s.describe_channels())),
    ]
}

/// ACL DELUSER username [username ...]: the number deleted; their clients are disconnected.
fn deluser(ctx: &mut Ctx) -> Frame {
    if ctx.argv[2..].iter().any(|n| n.as_slice() == b"default") {
        return Frame::error("ERR The 'default' user cannot be removed");
    }
    let mut deleted = 0;
    for name in &ctx.argv[2..] {
        if ctx.engine.acl.users.remove(name.as_slice()).is_some() {
            ctx.engine.acl_kill_clients_of(ctx.client, name);
            deleted += 1;
        }
    }
    Frame::Integer(deleted)
}

/// ACL USERS: the user names, in order.
fn users(ctx: &mut Ctx) -> Frame {
    Frame::array_of_bulks(ctx.engine.acl.users.keys().cloned())
}

/// ACL LIST: every user in configuration-file form.
fn list(ctx: &mut Ctx) -> Frame {
    Frame::array_of_bulks(ctx.engine.acl.describe_all())
}

/// ACL WHOAMI
fn whoami(ctx: &mut Ctx) -> Frame {
    Frame::bulk(ctx.client.user.clone())
}

/// ACL CAT [category]: the categories, or the implemented commands (and subcommands) in one.
fn cat(ctx: &mut Ctx) -> Frame {
    if ctx.argc() == 2 {
        return Frame::array_of_bulks(CATEGORIES.iter().map(|c| c.as_bytes().to_vec()));
    }
    if ctx.argc() > 3 {
        return subcommand_syntax_error(ctx);
    }
    let Some(bit) = Catalogue::category_bit(ctx.arg(2)) else {
        let name = String::from_utf8_lossy(ctx.arg(2));
        let shown: String = name.chars().take(128).collect();
        return Frame::error(format!("ERR Unknown category '{shown}'"));
    };
    let table = &ctx.engine.table;
    let names = catalogue()
        .commands
        .iter()
        .filter(|c| c.categories & bit != 0)
        .filter(|c| table.get(c.meta.name).is_some_and(|t| t.implemented()))
        .map(|c| c.meta.name.as_bytes().to_vec());
    Frame::array_of_bulks(names)
}

/// Redis's addReplySubcommandSyntaxError.
fn subcommand_syntax_error(ctx: &Ctx) -> Frame {
    Frame::error(crate::engine::errors::subcommand_syntax(ctx.arg(1), "ACL"))
}

/// Redis's GENPASS_MAX_BITS.
const GENPASS_MAX_BITS: i64 = 4096;

/// ACL GENPASS [bits]: random hex digits (bits/4 rounded up) from the engine's seeded RNG.
fn genpass(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 3 {
        return subcommand_syntax_error(ctx);
    }
    let bits = if ctx.argc() == 3 {
        match int_arg(ctx.arg(2)) {
            Ok(b) => b,
            Err(e) => return e,
        }
    } else {
        256
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Frame::error(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to \
             {GENPASS_MAX_BITS}"
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(chars);
    while out.len() < chars {
        let word = ctx.engine.rng.next_u64();
        for i in 0..16 {
            if out.len() < chars {
                out.push(HEX[((word >> (i * 4)) & 0xf) as usize]);
            }
        }
    }
    Frame::bulk(out)
}

/// ACL LOG [count | RESET]
fn log(ctx: &mut Ctx) -> Frame {
    if ctx.argc() > 3 {
        return subcommand_syntax_error(ctx);
    }
    let mut count: i64 = 10;
    if ctx.argc() == 3 {
        if ctx.arg(2).eq_ignore_ascii_case(b"reset") {
            ctx.engine.acl.log.reset();
            return Frame::ok();
        }
        count = match int_arg(ctx.arg(2)) {
            Ok(n) => n.max(0),
            Err(e) => return e,
        };
    }
    let now_ms = ctx.now_ms;
    let entries = ctx.engine.acl.log.entries.iter().take(usize::try_from(count).unwrap_or(usize::MAX));
    let field = |k: &str, v: Frame| (Frame::bulk_str(k), v);
    Frame::Array(
        entries
            .map(|e| {
                let age_s = (now_ms as f64 - e.time_ms as f64) / 1000.0;
                Frame::Map(vec![
                    field("count", Frame::Integer(e.count as i64)),
                    field("reason", Frame::bulk_str(e.reason.name())),
                    field("context", Frame::bulk_str(e.context.name())),
                    field("object", Frame::bulk(e.object.clone())),
                    field("username", Frame::bulk(e.username.clone())),
                    field("age-seconds", Frame::Double(age_s)),
                    field("client-info", Frame::bulk(e.client_info.clone().into_bytes())),
                ])
            })
            .collect(),
    )
}

/// ACL DRYRUN username command [arg ...]: OK, or (as a bulk string) why it would be refused.
fn dryrun(ctx: &mut Ctx) -> Frame {
    let Some(u) = ctx.engine.acl.users.get(ctx.arg(2)) else {
        return Frame::error(format!("ERR User '{}' not found", String::from_utf8_lossy(ctx.arg(2))));
    };
    let argv = &ctx.argv[3..];
    let table = &ctx.engine.table;
    let found = table.lookup(&argv[0]).and_then(|c| {
        if c.is_container() && argv.len() >= 2 {
            table.lookup_sub(c, &argv[1])
        } else {
            Some(c)
        }
    });
    let Some(cmd) = found else {
        return Frame::error(format!("ERR Command '{}' not found", String::from_utf8_lossy(&argv[0])));
    };
    let (arity, argc) = (cmd.meta.arity, argv.len() as i32);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Frame::error(errors::wrong_arity(cmd.meta.name));
    }
    let Some(id) = catalogue().index_of(cmd.meta.name) else {
        return Frame::error(format!("ERR Command '{}' not found", String::from_utf8_lossy(&argv[0])));
    };
    match acl::check(u, id, argv) {
        Ok(()) => Frame::ok(),
        Err(d) => {
            let arg = |pos: usize| String::from_utf8_lossy(argv.get(pos).map(Vec::as_slice).unwrap_or_default());
            let text = match d.reason {
                Reason::Command => format!("This user has no permissions to run the '{}' command", cmd.meta.name),
                Reason::Key => format!("This user has no permissions to access the '{}' key", arg(d.pos)),
                _ => format!("This user has no permissions to access the '{}' channel", arg(d.pos)),
            };
            Frame::bulk(text.into_bytes())
        }
    }
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify \
users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) \
in order to store users in the Redis configuration.";

/// ACL LOAD: replaces every user with the ACL file's, or changes nothing if it has an error.
/// Clients of the replaced users are disconnected; the default user's stay.
fn load(ctx: &mut Ctx) -> Frame {
    let filename = ctx.engine.config.aclfile();
    if filename.is_empty() {
        return Frame::error(NO_ACL_FILE);
    }
    let text = match ctx.engine.acl.file.as_ref().map(|f| f.read()) {
        Some(Ok(text)) => text,
        Some(Err(reason)) => {
            return Frame::error(format!("ERR Error loading ACLs, opening file '{filename}': {reason}"));
        }
        None => {
            return Frame::error(format!(
                "ERR Error loading ACLs, opening file '{filename}': No such file or directory"
            ))
        }
    };
    let all_channels = all_channels_default(ctx);
    match file::parse_users(&text, &filename, all_channels) {
        Ok(users) => {
            // Redis frees every old user but the default one, disconnecting their clients,
            // even when the file defines a user of the same name again.
            let old: Vec<Vec<u8>> =
                ctx.engine.acl.users.keys().filter(|n| n.as_slice() != b"default").cloned().collect();
            ctx.engine.acl.users = users;
            for name in old {
                ctx.engine.acl_kill_clients_of(ctx.client, &name);
            }
            Frame::ok()
        }
        Err(errors) => Frame::error(format!("ERR {errors}")),
    }
}

/// ACL SAVE: writes every user to the ACL file.
fn save(ctx: &mut Ctx) -> Frame {
    if ctx.engine.config.aclfile().is_empty() {
        return Frame::error(NO_ACL_FILE);
    }
    let text = file::users_text(&ctx.engine.acl.describe_all());
    match ctx.engine.acl.file.as_mut().map(|f| f.write(&text)) {
        Some(Ok(())) => Frame::ok(),
        _ => Frame::error(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ),
    }
}

const ACL_HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

/// ACL HELP
fn help(ctx: &mut Ctx) -> Frame {
    help_reply(&ctx.argv[0], ACL_HELP)
}
