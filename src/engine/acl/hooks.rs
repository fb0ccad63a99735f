//! Where ACLs meet the engine: the permission check before a command runs, authentication,
//! the ACL log, and disconnecting clients whose user was deleted or lost channel rights.

use super::catalogue::catalogue;
use super::log::{Context, Entry};
use super::{check, Denial, Reason, User};
use crate::engine::client::ClientState;
use crate::engine::meta::CommandMeta;
use crate::engine::Engine;
use crate::resp::Frame;

/// What a refused connection reads before it is closed, in protected mode (Redis's text).
pub const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled \
and no password is set for the default user. In this mode connections are only accepted from the loopback interface. \
If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis \
from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do \
so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a \
an authentication password for the default user. NOTE: You only need to do one of the above things in order for the \
server to start accepting connections from the outside.\r\n";

impl Engine {
    /// Protected mode (Redis's clientAcceptHandler): with `protected-mode yes` and a default
    /// user that needs no password, a client not on the loopback interface is refused. `peer`
    /// is the client's address as CLIENT LIST shows it (`ip:port`, `[v6]:port`, or a unix
    /// socket path). The text to write before closing, when refused.
    pub fn protected_mode_refusal(&self, peer: &str) -> Option<&'static str> {
        let refused =
            self.config.protected_mode && self.acl.default_user().nopass && !crate::cmd::config::is_local_client(peer);
        refused.then_some(PROTECTED_MODE_DENIED)
    }

    /// The ACL decision for a command `client` is about to run or queue (Redis's
    /// ACLCheckAllPerm in processCommand): logs and returns the NOPERM error when refused.
    pub(crate) fn acl_admit(
        &mut self,
        client: &ClientState,
        meta: &CommandMeta,
        argv: &[Vec<u8>],
    ) -> Result<(), Frame> {
        let context = if client.multi.active { Context::Multi } else { Context::TopLevel };
        match self.acl_decide(client, meta, argv) {
            Ok(()) => Ok(()),
            Err(denial) => {
                self.acl_log_denial(client, denial, meta, argv, context);
                Err(Frame::error_untrimmed(denial.error_text(meta.name)))
            }
        }
    }

    /// The check again at EXEC time, for a queued command (rules may have changed since it
    /// was queued); the error that takes its place in EXEC's reply.
    pub(crate) fn acl_recheck_queued(
        &mut self,
        client: &ClientState,
        meta: &CommandMeta,
        argv: &[Vec<u8>],
    ) -> Option<Frame> {
        let denial = self.acl_decide(client, meta, argv).err()?;
        self.acl_log_denial(client, denial, meta, argv, Context::Multi);
        let reason = match denial.reason {
            Reason::Command => "no permission to execute the command or subcommand",
            Reason::Key => "no permission to touch the specified keys",
            Reason::Channel => "no permission to access one of the channels used as arguments",
            Reason::Auth => "no permission",
        };
        Some(Frame::error(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. \
             This command is no longer allowed for the following reason: {reason}"
        )))
    }

    /// The permission check for a command a script calls (Redis's scriptVerifyACL): logs a
    /// refusal in the `lua` context; the reason when refused.
    pub(crate) fn acl_check_script(
        &mut self,
        client: &ClientState,
        meta: &CommandMeta,
        argv: &[Vec<u8>],
    ) -> Result<(), Reason> {
        let denial = match self.acl_decide(client, meta, argv) {
            Ok(()) => return Ok(()),
            Err(denial) => denial,
        };
        self.acl_log_denial(client, denial, meta, argv, Context::Lua);
        Err(denial.reason)
    }

    /// Whether `client`'s user may run the command (redis.acl_check_cmd); nothing is logged.
    pub(crate) fn acl_allows(&self, client: &ClientState, meta: &CommandMeta, argv: &[Vec<u8>]) -> bool {
        self.acl_decide(client, meta, argv).is_ok()
    }

    fn acl_decide(&self, client: &ClientState, meta: &CommandMeta, argv: &[Vec<u8>]) -> Result<(), Denial> {
        let Some(user) = self.acl.users.get(&client.user) else {
            // The user was deleted and the connection is closing: it may run nothing.
            return Err(Denial { reason: Reason::Command, pos: 0 });
        };
        let root = user.root();
        if root.all_commands && root.all_keys && root.all_channels {
            return Ok(());
        }
        match catalogue().index_of(meta.name) {
            Some(id) => check(user, id, argv),
            None => Err(Denial { reason: Reason::Command, pos: 0 }),
        }
    }

    fn acl_log_denial(
        &mut self,
        client: &ClientState,
        denial: Denial,
        meta: &CommandMeta,
        argv: &[Vec<u8>],
        context: Context,
    ) {
        let object = match denial.reason {
            Reason::Command => meta.name.as_bytes().to_vec(),
            _ => argv.get(denial.pos).cloned().unwrap_or_default(),
        };
        let username = client.user.clone();
        self.acl_log(client, denial.reason, context, object, username);
    }

    /// Adds an ACL log entry for `client` (Redis's addACLLogEntry).
    pub fn acl_log(
        &mut self,
        client: &ClientState,
        reason: Reason,
        context: Context,
        object: Vec<u8>,
        username: Vec<u8>,
    ) {
        let now_ms = self.now_ms;
        let client_info = crate::cmd::connection::client_info_line(client, self, now_ms);
        let entry = Entry { count: 1, reason, context, object, username, time_ms: now_ms, client_info };
        let max_len = usize::try_from(self.config.acllog_max_len()).unwrap_or(usize::MAX);
        self.acl.log.add(entry, max_len);
    }

    /// AUTH and HELLO AUTH: on success the client runs as `user`, authenticated; a failure is
    /// logged (object: the command as typed).
    pub fn acl_authenticate(&mut self, client: &mut ClientState, user: &[u8], password: &[u8], command: &[u8]) -> bool {
        if self.acl.credentials_ok(user, password) {
            client.authenticated = true;
            client.user = user.to_vec();
            return true;
        }
        let context = if client.multi.active { Context::Multi } else { Context::TopLevel };
        self.acl_log(client, Reason::Auth, context, command.to_vec(), user.to_vec());
        false
    }

    /// Disconnects every client authenticated as `name` (a deleted user, or all users on ACL
    /// LOAD): they fall back to an unauthenticated default user and close, the current one
    /// after its reply (Redis's ACLFreeUserAndKillClients).
    pub fn acl_kill_clients_of(&mut self, current: &mut ClientState, name: &[u8]) {
        let drop_user = |c: &mut ClientState| {
            c.user = b"default".to_vec();
            c.authenticated = false;
        };
        if current.user == name {
            drop_user(current);
            current.close_after_reply = true;
        }
        for c in self.clients.values_mut() {
            if c.user == name && !c.killed {
                drop_user(c);
                c.killed = true;
            }
        }
    }

    /// After a user's rules changed from `old` to `new`: its subscribed clients whose
    /// subscriptions the new channel rules no longer allow are disconnected (Redis's
    /// ACLKillPubsubClientsIfNeeded).
    pub fn acl_kill_pubsub_clients(&mut self, current: &mut ClientState, old: &User, new: &User) {
        let Some(upcoming) = super::channels_after_change(old, new) else {
            return;
        };
        let violates = |c: &ClientState| {
            c.user == old.name
                && c.subs.active()
                && (c.subs.patterns.iter().any(|p| !super::channel_allowed(&upcoming, p, true))
                    || c.subs
                        .channels
                        .iter()
                        .chain(&c.subs.shard_channels)
                        .any(|ch| !super::channel_allowed(&upcoming, ch, false)))
        };
        if violates(current) {
            current.close_after_reply = true;
        }
        for c in self.clients.values_mut() {
            if !c.killed && violates(c) {
                c.killed = true;
            }
        }
    }
}

impl Engine {
    /// Loads the users of `user` directives and then the ACL file, at start-up (Redis's
    /// ACLLoadUsersAtStartup). The log line to exit with on an error.
    pub fn load_startup_users(&mut self, users: &[Vec<Vec<u8>>]) -> Result<(), String> {
        let filename = self.config.aclfile();
        if !filename.is_empty() && !users.is_empty() {
            return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file \
                        path is invalid. This setup is very likely to lead to configuration errors and security \
                        holes, please define either an ACL file or declare users directly in your redis.conf, but \
                        not both."
                .to_string());
        }
        let all_channels = self.config.get_by_name("acl-pubsub-default").is_some_and(|v| v == b"allchannels");
        let mut seen: Vec<&[u8]> = Vec::new();
        for argv in users {
            let Some((name, rules)) = argv.split_first() else { continue };
            if seen.contains(&name.as_slice()) || !super::user::valid_name(name) {
                return Err(format!(
                    "Error in user declaration '{}': {}",
                    String::from_utf8_lossy(name),
                    super::SetError::Duplicate.message()
                ));
            }
            seen.push(name);
            let rules = super::merge_selector_args(rules).map_err(|_| "Critical error while loading ACLs. Exiting.")?;
            let user = self.acl.users.entry(name.clone()).or_insert_with(|| User::new(name, all_channels));
            if name.as_slice() == b"default" {
                let _ = user.apply(b"reset", all_channels);
            }
            for op in &rules {
                if let Err(e) = user.apply(op, all_channels) {
                    return Err(format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        String::from_utf8_lossy(op),
                        String::from_utf8_lossy(name),
                        e.message()
                    ));
                }
            }
        }
        if !filename.is_empty() {
            let text =
                self.acl.file.as_ref().map(|f| f.read()).unwrap_or_else(|| Err("No such file or directory".into()));
            let loaded = text
                .map_err(|e| format!("Error loading ACLs, opening file '{filename}': {e}"))
                .and_then(|t| super::file::parse_users(&t, &filename, all_channels));
            match loaded {
                Ok(users) => self.acl.users = users,
                Err(e) => return Err(format!("Aborting Redis startup because of ACL errors: {e}")),
            }
        }
        Ok(())
    }

    /// Whether the client's user may run this command with read access to every key (Redis's
    /// ACLUserCheckCmdWithUnrestrictedKeyAccess with CMD_KEY_ACCESS): some selector allows the
    /// call and has `allkeys` or a `*` pattern that grants reading.
    pub fn acl_unrestricted_read(&self, client: &ClientState, meta: &CommandMeta, argv: &[Vec<u8>]) -> bool {
        let Some(user) = self.acl.users.get(&client.user) else {
            return false;
        };
        let Some(id) = catalogue().index_of(meta.name) else {
            return false;
        };
        user.selectors.iter().any(|s| {
            let whole =
                s.all_keys || s.patterns.iter().any(|p| p.perms & super::selector::READ != 0 && p.pattern == b"*");
            whole && super::check(&User { selectors: vec![s.clone()], ..user.clone() }, id, argv).is_ok()
        })
    }
}
