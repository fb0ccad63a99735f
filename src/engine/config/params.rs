//! The registry: every configuration parameter of Redis 7.0.15 (as built with TLS, like the
//! reference server), with its alias, flags, type, bounds and default, plus verdis's own
//! `verdis-seed`. Each entry also says whether verdis acts on the value or only accepts it.

use super::Config;

/// Can only be set at startup (CONFIG SET refuses it).
pub const IMMUTABLE: u32 = 1 << 0;
/// Holds a secret (Redis redacts it from SLOWLOG and MONITOR).
pub const SENSITIVE: u32 = 1 << 1;
/// Listed by Redis's DEBUG CONFIG-DEBUG-INFO.
pub const DEBUG: u32 = 1 << 2;
/// Takes several arguments (a config-file line, or one space-separated CONFIG SET value).
pub const MULTI_ARG: u32 = 1 << 3;
/// Only reachable by exact name, never by a CONFIG GET pattern.
pub const HIDDEN: u32 = 1 << 4;
/// Settable at runtime only when `enable-protected-configs` allows it.
pub const PROTECTED: u32 = 1 << 5;
/// Refused while a dataset is loading.
pub const DENY_LOADING: u32 = 1 << 6;

const M: u32 = 0;
const IMM: u32 = IMMUTABLE;

/// Whether verdis acts on a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// The value takes effect in verdis.
    Implemented,
    /// Accepted, stored and reported, but without effect; the text says why.
    Accepted(&'static str),
}

/// How a numeric parameter's text is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    /// A plain integer (Redis's string2ll).
    Int,
    /// Bytes with an optional unit (1k, 1kb, 1m, 1mb, 1g, 1gb).
    Memory,
    /// Bytes, or a percentage `N%` stored as `-N`.
    MemoryOrPercent,
    /// An octal number (unixsocketperm).
    Octal,
}

pub type BoolCheck = fn(bool) -> Result<(), &'static str>;
pub type StrCheck = fn(&Config, &[u8]) -> Result<(), &'static str>;
pub type EnumCheck = fn(i32) -> Result<(), &'static str>;

/// A parameter's type, default and validation.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool {
        default: bool,
        check: Option<BoolCheck>,
    },
    /// A string; `empty_is_null` makes "" mean "not set" (it then disappears on REWRITE).
    Str {
        default: Option<&'static str>,
        empty_is_null: bool,
        check: Option<StrCheck>,
    },
    /// One name of `names`; with MULTI_ARG, several names whose values are OR-ed bit flags.
    Enum {
        names: &'static [(&'static str, i32)],
        default: i32,
        check: Option<EnumCheck>,
    },
    /// An integer kept as i64 bits; `unsigned` types compare their bounds as u64.
    Num {
        min: i64,
        max: i64,
        default: i64,
        unsigned: bool,
        fmt: NumFmt,
    },
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

/// One configuration parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u32,
    pub kind: Kind,
    pub support: Support,
}

impl Param {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn implemented(&self) -> bool {
        self.support == Support::Implemented
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// ULLONG_MAX as i64 bits (the bound of unsigned 64-bit parameters).
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1024 * 1024;

// Why a parameter is only accepted. One reason per family keeps deviations.md readable.
const YES: Support = Support::Implemented;
const REPL: Support = Support::Accepted(
    "these replication details are not implemented: a replica loads the snapshot in memory in one step, a master sends snapshots from disk, SHUTDOWN does not wait for replicas",
);
const CLUSTER: Support = Support::Accepted("cluster mode is not implemented");
const TLS: Support = Support::Accepted("TLS is not implemented");
const OS: Support = Support::Accepted("process and operating-system tuning with no observable effect on replies");
const THREADS: Support =
    Support::Accepted("verdis executes commands and does its I/O on one thread; there are no I/O threads");
const DEFRAG: Support = Support::Accepted("active defragmentation is not implemented");
const AOF: Support = Support::Accepted("details of AOF writing are not modelled");
const RDB: Support = Support::Accepted("details of RDB writing are not modelled");
const SYSLOG: Support = Support::Accepted("syslog logging is not implemented");
const ENCODING: Support = Support::Accepted("this internal encoding detail is not modelled");
const LATENCY: Support = Support::Accepted("latency monitoring and tracking are not implemented");
const TESTHOOK: Support = Support::Accepted("a hook for Redis's own test suite");
const ACL: Support = Support::Accepted("ACL files and pub/sub permissions are not implemented");
const MODULES: Support = Support::Accepted("modules are not supported");
const SCRIPT: Support = Support::Accepted("busy-script handling is not implemented");
const TRACKING: Support = Support::Accepted("client-side caching limits are not implemented");
const SHUTDOWN: Support = Support::Accepted("signal handling options are not implemented");
const CLIENTMEM: Support = Support::Accepted("client memory limits and output-buffer limits are not enforced");
const SOCKET: Support = Support::Accepted("unix sockets and TCP tuning are not implemented");
const PROCESS: Support = Support::Accepted("verdis does not daemonize, write a pid file or set its process title");
const KEEPALIVE: Support = Support::Accepted("TCP keepalive is left to the operating system");
const EXPIRE: Support = Support::Accepted("active expiry effort is fixed in verdis");
const SANITIZE: Support = Support::Accepted("RESTORE payloads are always fully validated");
const DYNHZ: Support =
    Support::Accepted("verdis runs its timer at the configured hz, never adapted to the client count");
const CRASH: Support = Support::Accepted("verdis has no crash reporter or signal-handler crash log");
const REHASH: Support = Support::Accepted("verdis's hash tables rehash at a fixed pace");

const fn b(name: &'static str, alias: Option<&'static str>, flags: u32, default: bool, support: Support) -> Param {
    Param { name, alias, flags, kind: Kind::Bool { default, check: None }, support }
}

const fn s(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u32,
    default: Option<&'static str>,
    empty_is_null: bool,
    check: Option<StrCheck>,
    support: Support,
) -> Param {
    Param { name, alias, flags, kind: Kind::Str { default, empty_is_null, check }, support }
}

const fn e(
    name: &'static str,
    flags: u32,
    names: &'static [(&'static str, i32)],
    default: i32,
    support: Support,
) -> Param {
    Param { name, alias: None, flags, kind: Kind::Enum { names, default, check: None }, support }
}

#[allow(clippy::too_many_arguments)]
const fn n(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u32,
    min: i64,
    max: i64,
    default: i64,
    fmt: NumFmt,
    support: Support,
) -> Param {
    Param { name, alias, flags, kind: Kind::Num { min, max, default, unsigned: false, fmt }, support }
}

/// An unsigned numeric parameter (C's unsigned int, size_t, unsigned long long).
#[allow(clippy::too_many_arguments)]
const fn u(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u32,
    min: i64,
    max: i64,
    default: i64,
    fmt: NumFmt,
    support: Support,
) -> Param {
    Param { name, alias, flags, kind: Kind::Num { min, max, default, unsigned: true, fmt }, support }
}

const fn special(name: &'static str, alias: Option<&'static str>, flags: u32, kind: Kind, support: Support) -> Param {
    Param { name, alias, flags, kind, support }
}

use NumFmt::{Int, Memory, MemoryOrPercent, Octal};

pub const SUPERVISED: &[(&str, i32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
pub const SYSLOG_FACILITY: &[(&str, i32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
pub const REPL_DISKLESS_LOAD: &[(&str, i32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
pub const LOGLEVEL: &[(&str, i32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
pub const MAXMEMORY_POLICY: &[(&str, i32)] = &[
    ("volatile-lru", 1),
    ("volatile-lfu", (1 << 8) | 2),
    ("volatile-random", 3 << 8),
    ("volatile-ttl", 2 << 8),
    ("allkeys-lru", (4 << 8) | 1 | 4),
    ("allkeys-lfu", (5 << 8) | 2 | 4),
    ("allkeys-random", (6 << 8) | 4),
    ("noeviction", 7 << 8),
];
pub const APPENDFSYNC: &[(&str, i32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
pub const OOM_SCORE_ADJ: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
pub const ACL_PUBSUB_DEFAULT: &[(&str, i32)] = &[("allchannels", 1 << 3), ("resetchannels", 0)];
pub const SANITIZE_DUMP: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
pub const PROTECTED_ACTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
pub const ENDPOINT_TYPE: &[(&str, i32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
pub const PROPAGATION_ERROR: &[(&str, i32)] = &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
pub const SHUTDOWN_ON_SIG: &[(&str, i32)] = &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];
pub const TLS_AUTH_CLIENTS: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("optional", 2)];

/// The value of `loglevel`'s `notice`, `maxmemory-policy`'s `noeviction` etc. are the enum
/// values above; the accessors in `config.rs` turn them into Rust enums.
pub const PROTECTED_ALLOWED_YES: i32 = 1;
pub const PROTECTED_ALLOWED_LOCAL: i32 = 2;

/// Every parameter, in the order of Redis's config.c table (verdis's own at the end).
#[rustfmt::skip]
pub const PARAMS: &[Param] = &[
    // Booleans.
    b("rdbchecksum", None, IMM, true, YES),
    b("daemonize", None, IMM, false, PROCESS),
    b("io-threads-do-reads", None, DEBUG | IMM, false, THREADS),
    b("always-show-logo", None, IMM, false, YES),
    b("protected-mode", None, M, true, YES),
    b("rdbcompression", None, M, true, YES),
    b("rdb-del-sync-files", None, M, false, REPL),
    b("activerehashing", None, M, true, REHASH),
    b("stop-writes-on-bgsave-error", None, M, true, YES),
    b("set-proc-title", None, IMM, true, PROCESS),
    b("dynamic-hz", None, M, true, DYNHZ),
    b("lazyfree-lazy-eviction", None, DEBUG, false, YES),
    b("lazyfree-lazy-expire", None, DEBUG, false, YES),
    b("lazyfree-lazy-server-del", None, DEBUG, false, YES),
    b("lazyfree-lazy-user-del", None, DEBUG, false, YES),
    b("lazyfree-lazy-user-flush", None, DEBUG, false, YES),
    b("repl-disable-tcp-nodelay", None, M, false, REPL),
    b("repl-diskless-sync", None, DEBUG, true, YES),
    b("aof-rewrite-incremental-fsync", None, M, true, AOF),
    b("no-appendfsync-on-rewrite", None, M, false, AOF),
    b("cluster-require-full-coverage", None, M, true, CLUSTER),
    b("rdb-save-incremental-fsync", None, M, true, RDB),
    b("aof-load-truncated", None, M, true, YES),
    b("aof-use-rdb-preamble", None, M, true, YES),
    b("aof-timestamp-enabled", None, M, false, YES),
    b("cluster-replica-no-failover", Some("cluster-slave-no-failover"), M, false, CLUSTER),
    b("replica-lazy-flush", Some("slave-lazy-flush"), M, false, YES),
    b("replica-serve-stale-data", Some("slave-serve-stale-data"), M, true, YES),
    b("replica-read-only", Some("slave-read-only"), DEBUG, true, YES),
    b("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), M, true, YES),
    b("jemalloc-bg-thread", None, M, true, THREADS),
    Param { name: "activedefrag", alias: None, flags: DEBUG, kind: Kind::Bool { default: false, check: Some(check_activedefrag) }, support: DEFRAG },
    b("syslog-enabled", None, IMM, false, SYSLOG),
    b("cluster-enabled", None, IMM, false, CLUSTER),
    b("appendonly", None, DENY_LOADING, false, YES),
    b("cluster-allow-reads-when-down", None, M, false, CLUSTER),
    b("cluster-allow-pubsubshard-when-down", None, M, true, CLUSTER),
    b("crash-log-enabled", None, M, true, CRASH),
    b("crash-memcheck-enabled", None, M, true, CRASH),
    b("use-exit-on-panic", None, HIDDEN, false, TESTHOOK),
    b("disable-thp", None, IMM, true, OS),
    b("cluster-allow-replica-migration", None, M, true, CLUSTER),
    b("replica-announced", None, M, true, YES),
    b("latency-tracking", None, M, true, LATENCY),
    b("aof-disable-auto-gc", None, M, false, YES),
    b("replica-ignore-disk-write-errors", None, M, false, REPL),

    // Strings.
    s("aclfile", None, IMM, Some(""), false, None, ACL),
    s("unixsocket", None, IMM, None, true, None, SOCKET),
    s("pidfile", None, IMM, None, true, None, PROCESS),
    s("replica-announce-ip", Some("slave-announce-ip"), M, None, true, None, YES),
    s("masteruser", None, SENSITIVE, None, true, None, YES),
    s("cluster-announce-ip", None, M, None, true, None, CLUSTER),
    s("cluster-config-file", None, IMM, Some("nodes.conf"), false, None, CLUSTER),
    s("cluster-announce-hostname", None, M, None, true, Some(check_hostname), CLUSTER),
    s("syslog-ident", None, IMM, Some("redis"), false, None, SYSLOG),
    s("dbfilename", None, PROTECTED, Some("dump.rdb"), false, Some(check_dbfilename), YES),
    s("appendfilename", None, IMM, Some("appendonly.aof"), false, Some(check_aof_filename), YES),
    s("appenddirname", None, IMM, Some("appendonlydir"), false, Some(check_aof_dirname), YES),
    s("server_cpulist", None, IMM, None, true, None, OS),
    s("bio_cpulist", None, IMM, None, true, None, OS),
    s("aof_rewrite_cpulist", None, IMM, None, true, None, OS),
    s("bgsave_cpulist", None, IMM, None, true, None, OS),
    s("ignore-warnings", None, M, Some(""), false, None, OS),
    s("proc-title-template", None, M, Some("{title} {listen-addr} {server-mode}"), false, Some(check_proc_title), PROCESS),
    s("bind-source-addr", None, M, None, true, None, REPL),
    s("logfile", None, IMM, Some(""), false, None, YES),
    s("masterauth", None, SENSITIVE, None, true, None, YES),
    s("requirepass", None, SENSITIVE, None, true, None, YES),

    // Enumerations.
    e("supervised", IMM, SUPERVISED, 0, PROCESS),
    e("syslog-facility", IMM, SYSLOG_FACILITY, 128, SYSLOG),
    e("repl-diskless-load", DEBUG | DENY_LOADING, REPL_DISKLESS_LOAD, 0, REPL),
    e("loglevel", M, LOGLEVEL, 2, YES),
    e("maxmemory-policy", M, MAXMEMORY_POLICY, 7 << 8, YES),
    e("appendfsync", M, APPENDFSYNC, 2, YES),
    e("oom-score-adj", M, OOM_SCORE_ADJ, 0, OS),
    e("acl-pubsub-default", M, ACL_PUBSUB_DEFAULT, 0, ACL),
    e("sanitize-dump-payload", DEBUG, SANITIZE_DUMP, 0, SANITIZE),
    e("enable-protected-configs", IMM, PROTECTED_ACTION, 0, YES),
    e("enable-debug-command", IMM, PROTECTED_ACTION, 0, YES),
    e("enable-module-command", IMM, PROTECTED_ACTION, 0, MODULES),
    e("cluster-preferred-endpoint-type", M, ENDPOINT_TYPE, 0, CLUSTER),
    e("propagation-error-behavior", M, PROPAGATION_ERROR, 0, REPL),
    Param { name: "shutdown-on-sigint", alias: None, flags: MULTI_ARG, kind: Kind::Enum { names: SHUTDOWN_ON_SIG, default: 0, check: Some(check_shutdown_flags) }, support: SHUTDOWN },
    Param { name: "shutdown-on-sigterm", alias: None, flags: MULTI_ARG, kind: Kind::Enum { names: SHUTDOWN_ON_SIG, default: 0, check: Some(check_shutdown_flags) }, support: SHUTDOWN },

    // Integers (C int).
    n("databases", None, IMM, 1, INT_MAX, 16, Int, YES),
    n("port", None, M, 0, 65535, 6379, Int, YES),
    n("io-threads", None, DEBUG | IMM, 1, 128, 1, Int, THREADS),
    n("auto-aof-rewrite-percentage", None, M, 0, INT_MAX, 100, Int, YES),
    n("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), M, 0, INT_MAX, 10, Int, CLUSTER),
    n("list-max-listpack-size", Some("list-max-ziplist-size"), M, INT_MIN, INT_MAX, -2, Int, YES),
    n("tcp-keepalive", None, M, 0, INT_MAX, 300, Int, KEEPALIVE),
    n("cluster-migration-barrier", None, M, 0, INT_MAX, 1, Int, CLUSTER),
    n("active-defrag-cycle-min", None, M, 1, 99, 1, Int, DEFRAG),
    n("active-defrag-cycle-max", None, M, 1, 99, 25, Int, DEFRAG),
    n("active-defrag-threshold-lower", None, M, 0, 1000, 10, Int, DEFRAG),
    n("active-defrag-threshold-upper", None, M, 0, 1000, 100, Int, DEFRAG),
    n("lfu-log-factor", None, M, 0, INT_MAX, 10, Int, YES),
    n("lfu-decay-time", None, M, 0, INT_MAX, 1, Int, YES),
    n("replica-priority", Some("slave-priority"), M, 0, INT_MAX, 100, Int, YES),
    n("repl-diskless-sync-delay", None, M, 0, INT_MAX, 5, Int, YES),
    n("maxmemory-samples", None, M, 1, INT_MAX, 5, Int, YES),
    n("maxmemory-eviction-tenacity", None, M, 0, 100, 10, Int, YES),
    n("timeout", None, M, 0, INT_MAX, 0, Int, YES),
    n("replica-announce-port", Some("slave-announce-port"), M, 0, 65535, 0, Int, YES),
    n("tcp-backlog", None, IMM, 0, INT_MAX, 511, Int, SOCKET),
    n("cluster-port", None, IMM, 0, 65535, 0, Int, CLUSTER),
    n("cluster-announce-bus-port", None, M, 0, 65535, 0, Int, CLUSTER),
    n("cluster-announce-port", None, M, 0, 65535, 0, Int, CLUSTER),
    n("cluster-announce-tls-port", None, M, 0, 65535, 0, Int, CLUSTER),
    n("repl-timeout", None, M, 1, INT_MAX, 60, Int, YES),
    n("repl-ping-replica-period", Some("repl-ping-slave-period"), M, 1, INT_MAX, 10, Int, YES),
    n("list-compress-depth", None, DEBUG, 0, INT_MAX, 0, Int, ENCODING),
    n("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, 0, Int, TESTHOOK),
    n("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, 0, Int, TESTHOOK),
    n("active-expire-effort", None, M, 1, 10, 1, Int, EXPIRE),
    n("hz", None, M, 0, INT_MAX, 10, Int, YES),
    n("min-replicas-to-write", Some("min-slaves-to-write"), M, 0, INT_MAX, 0, Int, YES),
    n("min-replicas-max-lag", Some("min-slaves-max-lag"), M, 0, INT_MAX, 10, Int, YES),
    n("watchdog-period", None, HIDDEN, 0, INT_MAX, 0, Int, TESTHOOK),
    n("shutdown-timeout", None, M, 0, INT_MAX, 10, Int, REPL),
    n("repl-diskless-sync-max-replicas", None, M, 0, INT_MAX, 0, Int, YES),

    // Unsigned int.
    u("maxclients", None, M, 1, UINT_MAX, 10000, Int, YES),
    u("unixsocketperm", None, IMM, 0, 0o777, 0, Octal, SOCKET),
    u("socket-mark-id", None, IMM, 0, UINT_MAX, 0, Int, SOCKET),

    // Unsigned long (Redis checks their bounds as signed).
    n("active-defrag-max-scan-fields", None, M, 1, LONG_MAX, 1000, Int, DEFRAG),
    n("slowlog-max-len", None, M, 0, LONG_MAX, 128, Int, YES),
    n("acllog-max-len", None, M, 0, LONG_MAX, 128, Int, ACL),

    // Long long.
    n("busy-reply-threshold", Some("lua-time-limit"), M, 0, LONG_MAX, 5000, Int, SCRIPT),
    n("cluster-node-timeout", None, M, 0, LONG_MAX, 15000, Int, CLUSTER),
    n("slowlog-log-slower-than", None, M, -1, LONG_MAX, 10000, Int, YES),
    n("latency-monitor-threshold", None, M, 0, LONG_MAX, 0, Int, LATENCY),
    n("proto-max-bulk-len", None, DEBUG, MB, LONG_MAX, 512 * MB, Memory, YES),
    n("stream-node-max-entries", None, M, 0, LONG_MAX, 100, Int, YES),
    n("repl-backlog-size", None, M, 1, LONG_MAX, MB, Memory, YES),

    // Unsigned long long.
    u("maxmemory", None, M, 0, ULLONG_MAX, 0, Memory, YES),
    u("cluster-link-sendbuf-limit", None, M, 0, ULLONG_MAX, 0, Memory, CLUSTER),

    // size_t.
    u("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), M, 0, LONG_MAX, 512, Int, YES),
    u("set-max-intset-entries", None, M, 0, LONG_MAX, 512, Int, YES),
    u("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), M, 0, LONG_MAX, 128, Int, YES),
    u("active-defrag-ignore-bytes", None, M, 1, LONG_MAX, 100 * MB, Memory, DEFRAG),
    u("hash-max-listpack-value", Some("hash-max-ziplist-value"), M, 0, LONG_MAX, 64, Memory, YES),
    u("stream-node-max-bytes", None, M, 0, LONG_MAX, 4096, Memory, YES),
    u("zset-max-listpack-value", Some("zset-max-ziplist-value"), M, 0, LONG_MAX, 64, Memory, YES),
    u("hll-sparse-max-bytes", None, M, 0, LONG_MAX, 3000, Memory, ENCODING),
    u("tracking-table-max-keys", None, M, 0, LONG_MAX, 1_000_000, Int, TRACKING),
    u("client-query-buffer-limit", None, DEBUG, MB, LONG_MAX, 1024 * MB, Memory, YES),
    // ssize_t.
    n("maxmemory-clients", None, M, -100, LONG_MAX, 0, MemoryOrPercent, CLIENTMEM),

    // time_t and off_t.
    n("repl-backlog-ttl", None, M, 0, LONG_MAX, 3600, Int, REPL),
    n("auto-aof-rewrite-min-size", None, M, 0, LONG_MAX, 64 * MB, Memory, YES),
    n("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, 2 * MB, Int, TESTHOOK),

    // TLS (the reference server is built with it).
    n("tls-port", None, M, 0, 65535, 0, Int, TLS),
    n("tls-session-cache-size", None, M, 0, INT_MAX, 20 * 1024, Int, TLS),
    n("tls-session-cache-timeout", None, M, 0, INT_MAX, 300, Int, TLS),
    b("tls-cluster", None, M, false, TLS),
    b("tls-replication", None, M, false, TLS),
    e("tls-auth-clients", M, TLS_AUTH_CLIENTS, 1, TLS),
    b("tls-prefer-server-ciphers", None, M, false, TLS),
    b("tls-session-caching", None, M, true, TLS),
    s("tls-cert-file", None, M, None, true, None, TLS),
    s("tls-key-file", None, M, None, true, None, TLS),
    s("tls-key-file-pass", None, M, None, true, None, TLS),
    s("tls-client-cert-file", None, M, None, true, None, TLS),
    s("tls-client-key-file", None, M, None, true, None, TLS),
    s("tls-client-key-file-pass", None, M, None, true, None, TLS),
    s("tls-dh-params-file", None, M, None, true, None, TLS),
    s("tls-ca-cert-file", None, M, None, true, None, TLS),
    s("tls-ca-cert-dir", None, M, None, true, None, TLS),
    s("tls-protocols", None, M, None, true, None, TLS),
    s("tls-ciphers", None, M, None, true, None, TLS),
    s("tls-ciphersuites", None, M, None, true, None, TLS),

    // Special formats.
    special("dir", None, PROTECTED | DENY_LOADING, Kind::Dir, YES),
    special("save", None, MULTI_ARG, Kind::Save, YES),
    special("client-output-buffer-limit", None, MULTI_ARG, Kind::ClientOutputBufferLimit, CLIENTMEM),
    special("oom-score-adj-values", None, MULTI_ARG, Kind::OomScoreAdjValues, OS),
    special("notify-keyspace-events", None, M, Kind::NotifyKeyspaceEvents, YES),
    special("bind", None, MULTI_ARG, Kind::Bind, YES),
    special("replicaof", Some("slaveof"), IMM | MULTI_ARG, Kind::ReplicaOf, YES),
    special("latency-tracking-info-percentiles", None, MULTI_ARG, Kind::LatencyPercentiles, LATENCY),

    // verdis's own: the seed of the engine's random number generator.
    u("verdis-seed", None, M, 0, ULLONG_MAX, 0, Int, YES),
];

/// The index of `name` (a primary name) in PARAMS; a compile-time error when it is missing, so
/// the typed accessors can use constant indices.
pub const fn index_of(name: &str) -> usize {
    let mut i = 0;
    while i < PARAMS.len() {
        if const_eq(PARAMS[i].name.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("unknown configuration parameter")
}

const fn const_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

fn check_activedefrag(on: bool) -> Result<(), &'static str> {
    // The reference server is built without Redis's defragmenting jemalloc, and so is verdis.
    if on {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
    }
    Ok(())
}

fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

fn check_dbfilename(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_aof_filename(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_aof_dirname(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

fn check_hostname(_: &Config, v: &[u8]) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.') {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

fn check_shutdown_flags(v: i32) -> Result<(), &'static str> {
    if v & 1 != 0 && v & 2 != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

/// A template is valid when every `{variable}` is known and the expansion (with an empty title)
/// is not blank, as Redis's validateProcTitleTemplate decides.
fn check_proc_title(config: &Config, v: &[u8]) -> Result<(), &'static str> {
    const INVALID: &str = "template format is invalid or contains unknown variables";
    let mut out: Vec<u8> = Vec::new();
    let mut rest = v;
    while !rest.is_empty() {
        let Some(open) = rest.iter().position(|&c| c == b'{') else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(&rest[..open]);
        let after = &rest[open + 1..];
        match after.first() {
            None => return Err(INVALID),
            Some(b'{') => {
                out.push(b'{');
                rest = &after[1..];
                continue;
            }
            Some(_) => {}
        }
        let close = after.iter().position(|&c| c == b'}').ok_or(INVALID)?;
        let value: Vec<u8> = match &after[..close] {
            b"title" => Vec::new(),
            b"listen-addr" | b"config-file" | b"port" | b"tls-port" => b"x".to_vec(),
            b"server-mode" if config.cluster_enabled() => b"[cluster]".to_vec(),
            b"server-mode" => Vec::new(),
            b"unixsocket" => config.str_value(const { index_of("unixsocket") }).unwrap_or_default(),
            _ => return Err(INVALID),
        };
        out.extend_from_slice(&value);
        rest = &after[close + 1..];
    }
    if out.iter().all(|&c| c == b' ') {
        return Err(INVALID);
    }
    Ok(())
}
