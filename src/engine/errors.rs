//! Error replies with Redis 7.0's exact texts. Handlers return these through `Frame::error`.

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const SYNTAX: &str = "ERR syntax error";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const NO_SUCH_KEY: &str = "ERR no such key";
pub const INDEX_OUT_OF_RANGE: &str = "ERR index out of range";
pub const DB_INDEX_OUT_OF_RANGE: &str = "ERR DB index is out of range";
pub const SAME_OBJECT: &str = "ERR source and destination objects are the same";
pub const LOADING: &str = "LOADING Redis is loading the dataset in memory";
pub const NOAUTH: &str = "NOAUTH Authentication required.";
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
pub const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
pub const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";

/// `ERR wrong number of arguments for '<name>' command`, with Redis's full name (`config|get`).
pub fn wrong_arity(full_name: &str) -> String {
    format!("ERR wrong number of arguments for '{full_name}' command")
}

/// `ERR invalid expire time in '<cmd>' command`, with the command name as the client typed it.
pub fn invalid_expire(cmd: &str) -> String {
    format!("ERR invalid expire time in '{cmd}' command")
}

/// `ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.`
pub fn unknown_subcommand(sub: &[u8], container: &str) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    format!("ERR unknown subcommand '{sub}'. Try {} HELP.", container.to_ascii_uppercase())
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CONTAINER> HELP.`
/// (Redis's addReplySubcommandSyntaxError: a known subcommand with the wrong arguments; the
/// name as the client typed it, cut at 128 bytes).
pub fn subcommand_syntax(sub: &[u8], container: &str) -> String {
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
        container.to_ascii_uppercase()
    )
}

/// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' ` (the args list is cut
/// after about 128 bytes, as Redis's commandCheckExistence does).
pub fn unknown_command(argv: &[Vec<u8>]) -> String {
    let mut args = String::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(&arg[..arg.len().min(room)]).into_owned();
        args.push('\'');
        args.push_str(&text);
        args.push_str("' ");
    }
    let name = argv.first().map(|n| String::from_utf8_lossy(&n[..n.len().min(128)]).into_owned());
    format!("ERR unknown command '{}', with args beginning with: {args}", name.unwrap_or_default())
}

pub const DECREMENT_OVERFLOW: &str = "ERR decrement would overflow";
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
pub const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

/// What a subscribed RESP2 connection gets for a command it may not run.
pub fn subscribed_context(full_name: &str) -> String {
    format!(
        "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed \
         in this context"
    )
}

/// Writes refused because the last background save failed (Redis's shared.bgsaveerr).
pub const MISCONF_RDB: &str =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist \
to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors \
during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details \
about the RDB error.";

/// Writes refused because writing or syncing the AOF failed; `reason` is the strerror text.
pub fn misconf_aof(reason: &str) -> String {
    format!("MISCONF Errors writing to the AOF file: {reason}")
}

/// A write sent to a read-only replica.
pub const READONLY_REPLICA: &str = "READONLY You can't write against a read only replica.";
/// A replica whose link is down and that must not serve stale data.
pub const MASTERDOWN: &str = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
/// A replica's (or monitor's) connection sent a command that touches the keyspace.
pub const REPLICA_KEYSPACE: &str = "ERR Replica can't interact with the keyspace";
