//! Configuration: the registry of every Redis 7.0.15 parameter (`params.rs`) and `Config`, the
//! current values. CONFIG GET/SET, the redis.conf reader (`config_file.rs`) and CONFIG REWRITE
//! (`rewrite.rs`) all go through `Config::get` / `Config::set_args`, so every path accepts and
//! rejects values with the same rules and texts as Redis.
//!
//! A few parameters live in typed public fields (`databases`, `hz`, `requirepass`, ...) that the
//! engine and server read directly; the registry reads and writes those fields, so they can
//! never disagree with CONFIG GET. The others are kept in a private table and read through
//! typed accessors (`save_points()`, `maxmemory()`, `loglevel()`, ...).

pub mod host;
mod params;
pub mod rewrite;
pub mod text;

pub use host::{os_chdir, strerror};
pub use params::{
    index_of, Kind, NumFmt, Param, Support, DEBUG, DENY_LOADING, HIDDEN, IMMUTABLE, MULTI_ARG, PARAMS, PROTECTED,
    SENSITIVE,
};
use params::{PROTECTED_ALLOWED_LOCAL, PROTECTED_ALLOWED_YES};

/// Changes into the directory named by `dir` and returns its absolute path, or the OS error text
/// (Redis chdirs when `dir` is set). The server installs one; without it `dir` is only text.
pub type ChdirHook = fn(&str) -> Result<String, String>;

/// Where CONFIG REWRITE reads and writes the configuration file. The engine is sans-IO: the
/// server installs a file-backed store in `Engine::config_store` when it was started with a
/// configuration file.
pub trait ConfigStore {
    /// The file's current text; `None` when it does not exist.
    fn read(&self) -> std::io::Result<Option<String>>;
    /// Replaces the file's text (atomically, as Redis does with a temporary file and rename).
    fn write(&mut self, text: &str) -> std::io::Result<()>;
}

/// One `save <seconds> <changes>` point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: i64,
    pub changes: i64,
}

/// The output-buffer limits of one client class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard_bytes: u64,
    pub soft_bytes: u64,
    pub soft_seconds: i64,
}

/// Client classes of `client-output-buffer-limit`, in Redis's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientClass {
    Normal = 0,
    Replica = 1,
    Pubsub = 2,
}

const CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];
const OBUF_DEFAULTS: [ObufLimit; 3] = [
    ObufLimit { hard_bytes: 0, soft_bytes: 0, soft_seconds: 0 },
    ObufLimit { hard_bytes: 256 << 20, soft_bytes: 64 << 20, soft_seconds: 60 },
    ObufLimit { hard_bytes: 32 << 20, soft_bytes: 8 << 20, soft_seconds: 60 },
];
const OOM_DEFAULTS: [i64; 3] = [0, 200, 800];
const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];
const DEFAULT_SAVE: [SavePoint; 3] = [
    SavePoint { seconds: 3600, changes: 1 },
    SavePoint { seconds: 300, changes: 100 },
    SavePoint { seconds: 60, changes: 10000 },
];
const DEFAULT_PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];
const MAX_BIND_ADDRS: usize = 16;
const MIN_HZ: i64 = 1;
const MAX_HZ: i64 = 500;

// Keyspace-notification classes (the bits of `notify-keyspace-events`).
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
/// `A`: every class except key misses and new keys.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    Always,
    Everysec,
    No,
}

/// `maxmemory-clients`: a byte count, or a percentage of `maxmemory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryClients {
    Bytes(u64),
    Percent(u64),
}

/// A stored value. Parameters kept in typed fields of `Config` hold `Field` here.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Bool(bool),
    Int(i64),
    /// `None` is C's NULL: reported as "" and left out of a rewritten file.
    Str(Option<Vec<u8>>),
    Enum(i32),
    Dir(String),
    Save(Vec<SavePoint>),
    Obuf([ObufLimit; 3]),
    Oom([i64; 3]),
    Notify(u32),
    Bind(Vec<String>),
    /// Host and port of the master, `None` for a master.
    ReplicaOf(Option<(Vec<u8>, i64)>),
    Percentiles(Vec<f64>),
    Field,
}

/// The configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub databases: usize,
    pub hz: u32,
    pub requirepass: Option<Vec<u8>>,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub maxclients: u64,
    pub timeout_s: u64,
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    /// Seed of the engine's RNG (verdis-specific: `verdis-seed`).
    pub seed: u64,
    /// How `dir` reaches the file system; see `ChdirHook`. The server installs
    /// `host::os_chdir` and then sets `dir` to "." so that it holds the working directory, which
    /// is Redis's default.
    pub chdir: Option<ChdirHook>,
    /// The parameters without a typed field (read them through the accessors). Public only so
    /// that `Config { port: 7000, ..Config::default() }` works outside this module.
    pub values: ParamValues,
}

/// Values of the parameters that have no typed field in `Config`, by registry index.
#[derive(Clone, Debug)]
pub struct ParamValues(Vec<Val>);

impl ParamValues {
    fn get(&self, i: usize) -> Option<&Val> {
        self.0.get(i)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Val> {
        self.0.get_mut(i)
    }
}

// Indices of the parameters stored in typed fields, and of those with accessors.
const I_DATABASES: usize = index_of("databases");
const I_HZ: usize = index_of("hz");
const I_REQUIREPASS: usize = index_of("requirepass");
const I_PROTO_MAX_BULK_LEN: usize = index_of("proto-max-bulk-len");
const I_CLIENT_QUERY_BUFFER_LIMIT: usize = index_of("client-query-buffer-limit");
const I_MAXCLIENTS: usize = index_of("maxclients");
const I_TIMEOUT: usize = index_of("timeout");
const I_PORT: usize = index_of("port");
const I_BIND: usize = index_of("bind");
const I_PROTECTED_MODE: usize = index_of("protected-mode");
const I_SEED: usize = index_of("verdis-seed");

const I_SAVE: usize = index_of("save");
const I_DIR: usize = index_of("dir");
const I_DBFILENAME: usize = index_of("dbfilename");
const I_APPENDONLY: usize = index_of("appendonly");
const I_APPENDFILENAME: usize = index_of("appendfilename");
const I_APPENDDIRNAME: usize = index_of("appenddirname");
const I_APPENDFSYNC: usize = index_of("appendfsync");
const I_MAXMEMORY: usize = index_of("maxmemory");
const I_MAXMEMORY_POLICY: usize = index_of("maxmemory-policy");
const I_NOTIFY: usize = index_of("notify-keyspace-events");
const I_LOGLEVEL: usize = index_of("loglevel");
const I_LOGFILE: usize = index_of("logfile");
const I_OBUF: usize = index_of("client-output-buffer-limit");
const I_REPLICAOF: usize = index_of("replicaof");
const I_CLUSTER_ENABLED: usize = index_of("cluster-enabled");
const I_ACLFILE: usize = index_of("aclfile");
const I_ENABLE_PROTECTED: usize = index_of("enable-protected-configs");
const I_MAXMEMORY_CLIENTS: usize = index_of("maxmemory-clients");

impl Default for Config {
    fn default() -> Self {
        let values = ParamValues(PARAMS.iter().enumerate().map(|(i, p)| default_val(i, p)).collect());
        Config {
            databases: 16,
            hz: 10,
            requirepass: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxclients: 10000,
            timeout_s: 0,
            port: 6379,
            bind: DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
            protected_mode: true,
            seed: 0,
            chdir: None,
            values,
        }
    }
}

fn is_field(i: usize) -> bool {
    matches!(
        i,
        I_DATABASES
            | I_HZ
            | I_REQUIREPASS
            | I_PROTO_MAX_BULK_LEN
            | I_CLIENT_QUERY_BUFFER_LIMIT
            | I_MAXCLIENTS
            | I_TIMEOUT
            | I_PORT
            | I_BIND
            | I_PROTECTED_MODE
            | I_SEED
    )
}

/// The value a parameter starts with.
fn default_val(i: usize, p: &Param) -> Val {
    if is_field(i) {
        return Val::Field;
    }
    match p.kind {
        Kind::Bool { default, .. } => Val::Bool(default),
        Kind::Str { default, .. } => Val::Str(default.map(|d| d.as_bytes().to_vec())),
        Kind::Enum { default, .. } => Val::Enum(default),
        Kind::Num { default, .. } => Val::Int(default),
        Kind::Dir => Val::Dir(String::new()),
        Kind::Save => Val::Save(DEFAULT_SAVE.to_vec()),
        Kind::ClientOutputBufferLimit => Val::Obuf(OBUF_DEFAULTS),
        Kind::OomScoreAdjValues => Val::Oom(OOM_DEFAULTS),
        Kind::NotifyKeyspaceEvents => Val::Notify(0),
        Kind::Bind => Val::Bind(DEFAULT_BIND.iter().map(|s| s.to_string()).collect()),
        Kind::ReplicaOf => Val::ReplicaOf(None),
        Kind::LatencyPercentiles => Val::Percentiles(DEFAULT_PERCENTILES.to_vec()),
    }
}

/// Where a name was found in the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub index: usize,
    /// The registered (lower-case) name it matched: the primary name or the alias.
    pub name: &'static str,
    pub is_alias: bool,
}

/// Looks a parameter up by name or alias, in any case.
pub fn lookup(name: &[u8]) -> Option<Found> {
    PARAMS.iter().enumerate().find_map(|(index, p)| {
        if name.eq_ignore_ascii_case(p.name.as_bytes()) {
            Some(Found { index, name: p.name, is_alias: false })
        } else {
            p.alias.filter(|a| name.eq_ignore_ascii_case(a.as_bytes())).map(|a| Found {
                index,
                name: a,
                is_alias: true,
            })
        }
    })
}

/// Every registered name (primary names and aliases), each with its parameter index.
pub fn all_names() -> impl Iterator<Item = (&'static str, usize)> {
    PARAMS.iter().enumerate().flat_map(|(i, p)| std::iter::once((p.name, i)).chain(p.alias.map(|a| (a, i))))
}

/// Splits a CONFIG SET value of a multi-argument parameter on single spaces, as Redis's
/// sdssplitlen does (an empty value gives no arguments; two spaces give an empty argument).
pub fn split_set_value(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(|&b| b == b' ').map(|s| s.to_vec()).collect()
}

fn yes_no(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Config {
    /// The current value of parameter `i` as CONFIG GET reports it.
    pub fn get(&self, i: usize) -> Vec<u8> {
        let p = &PARAMS[i];
        match (self.read(i), p.kind) {
            (Val::Bool(v), _) => {
                if v {
                    b"yes".to_vec()
                } else {
                    b"no".to_vec()
                }
            }
            (Val::Str(v), _) => v.unwrap_or_default(),
            (Val::Enum(v), Kind::Enum { names, .. }) => enum_name(names, v, p.has(MULTI_ARG)).into_bytes(),
            (Val::Int(v), Kind::Num { fmt, unsigned, max, .. }) => {
                format_num(v, fmt, unsigned && max == -1).into_bytes()
            }
            (Val::Dir(d), _) => d.into_bytes(),
            (Val::Save(points), _) => {
                let parts: Vec<String> = points.iter().map(|s| format!("{} {}", s.seconds, s.changes)).collect();
                parts.join(" ").into_bytes()
            }
            (Val::Obuf(limits), _) => {
                let parts: Vec<String> = limits
                    .iter()
                    .zip(CLASS_NAMES)
                    .map(|(l, name)| format!("{name} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
                    .collect();
                parts.join(" ").into_bytes()
            }
            (Val::Oom(v), _) => format!("{} {} {}", v[0], v[1], v[2]).into_bytes(),
            (Val::Notify(flags), _) => notify_flags_to_string(flags).into_bytes(),
            (Val::Bind(addrs), _) => addrs.join(" ").into_bytes(),
            (Val::ReplicaOf(Some((host, port))), _) => {
                let mut out = host;
                out.extend_from_slice(format!(" {port}").as_bytes());
                out
            }
            (Val::ReplicaOf(None), _) => Vec::new(),
            (Val::Percentiles(v), _) => {
                let parts: Vec<String> = v.iter().map(|p| text::format_percentile(*p)).collect();
                parts.join(" ").into_bytes()
            }
            _ => Vec::new(),
        }
    }

    /// CONFIG GET of one name (exact, any case, aliases included).
    pub fn get_by_name(&self, name: &str) -> Option<Vec<u8>> {
        lookup(name.as_bytes()).map(|f| self.get(f.index))
    }

    /// Sets parameter `i` from its arguments (already split: one for a single-argument
    /// parameter). `save_append` is Redis's config-file rule for `save`: lines after the first
    /// add points instead of replacing them. Returns whether the value changed, or Redis's
    /// reason text for refusing it.
    pub fn set_args(&mut self, i: usize, args: &[Vec<u8>], save_append: bool) -> Result<bool, String> {
        let p = &PARAMS[i];
        let new = match p.kind {
            Kind::Bool { check, .. } => {
                let v = yes_no(arg0(args)).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = check {
                    check(v)?;
                }
                Val::Bool(v)
            }
            Kind::Str { empty_is_null, check, .. } => {
                let v = arg0(args);
                if let Some(check) = check {
                    check(self, v)?;
                }
                Val::Str(if empty_is_null && v.is_empty() { None } else { Some(v.to_vec()) })
            }
            Kind::Enum { names, check, .. } => {
                let v = enum_value(names, args, p.has(MULTI_ARG))?;
                if let Some(check) = check {
                    check(v)?;
                }
                Val::Enum(v)
            }
            Kind::Num { min, max, unsigned, fmt, .. } => {
                let mut v = parse_num(arg0(args), fmt, unsigned && max == -1)?;
                check_bounds(v, min, max, unsigned, fmt)?;
                if i == I_HZ {
                    // Redis takes hz as a hint and caps it to a sane range.
                    v = v.clamp(MIN_HZ, MAX_HZ);
                }
                Val::Int(v)
            }
            Kind::Dir => Val::Dir(self.resolve_dir(args)?),
            Kind::Save => Val::Save(self.parse_save(args, save_append)?),
            Kind::ClientOutputBufferLimit => Val::Obuf(self.parse_obuf(args)?),
            Kind::OomScoreAdjValues => Val::Oom(parse_oom(args)?),
            Kind::NotifyKeyspaceEvents => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                let flags =
                    notify_string_to_flags(&args[0]).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
                Val::Notify(flags)
            }
            Kind::Bind => Val::Bind(parse_bind(args)?),
            Kind::ReplicaOf => Val::ReplicaOf(parse_replicaof(args)?),
            Kind::LatencyPercentiles => Val::Percentiles(parse_percentiles(args)?),
        };
        Ok(self.write(i, new))
    }

    /// Sets a parameter by name from one value, as CONFIG SET does (a multi-argument value is
    /// split on spaces). For the server and tests; CONFIG SET itself adds atomicity and checks.
    pub fn set(&mut self, name: &str, value: &[u8]) -> Result<(), String> {
        let found = lookup(name.as_bytes()).ok_or_else(|| format!("Unknown option '{name}'"))?;
        let args = if PARAMS[found.index].has(MULTI_ARG) { split_set_value(value) } else { vec![value.to_vec()] };
        self.set_args(found.index, &args, false).map(|_| ())
    }

    /// True when parameter `i` has its default value.
    pub fn is_default(&self, i: usize) -> bool {
        let fresh = Config::default();
        let mine = self.read(i);
        match (&mine, PARAMS[i].kind) {
            // The default of `dir` is wherever the process started.
            (_, Kind::Dir) => true,
            _ => mine == fresh.read(i),
        }
    }

    fn read(&self, i: usize) -> Val {
        let stored = self.values.get(i).cloned().unwrap_or(Val::Field);
        if stored != Val::Field {
            return stored;
        }
        match i {
            I_DATABASES => Val::Int(self.databases as i64),
            I_HZ => Val::Int(i64::from(self.hz)),
            I_REQUIREPASS => Val::Str(self.requirepass.clone()),
            I_PROTO_MAX_BULK_LEN => Val::Int(self.proto_max_bulk_len as i64),
            I_CLIENT_QUERY_BUFFER_LIMIT => Val::Int(self.client_query_buffer_limit as i64),
            I_MAXCLIENTS => Val::Int(self.maxclients as i64),
            I_TIMEOUT => Val::Int(self.timeout_s as i64),
            I_PORT => Val::Int(i64::from(self.port)),
            I_BIND => Val::Bind(self.bind.clone()),
            I_PROTECTED_MODE => Val::Bool(self.protected_mode),
            I_SEED => Val::Int(self.seed as i64),
            _ => Val::Field,
        }
    }

    /// Stores a value; returns whether it changed. Values were bounds-checked by `set_args`, so
    /// the narrowing casts into typed fields are exact.
    fn write(&mut self, i: usize, v: Val) -> bool {
        if self.read(i) == v {
            return false;
        }
        match (i, v) {
            (I_DATABASES, Val::Int(n)) => self.databases = n as usize,
            (I_HZ, Val::Int(n)) => self.hz = n as u32,
            (I_REQUIREPASS, Val::Str(s)) => self.requirepass = s,
            (I_PROTO_MAX_BULK_LEN, Val::Int(n)) => self.proto_max_bulk_len = n as u64,
            (I_CLIENT_QUERY_BUFFER_LIMIT, Val::Int(n)) => self.client_query_buffer_limit = n as u64,
            (I_MAXCLIENTS, Val::Int(n)) => self.maxclients = n as u64,
            (I_TIMEOUT, Val::Int(n)) => self.timeout_s = n as u64,
            (I_PORT, Val::Int(n)) => self.port = n as u16,
            (I_BIND, Val::Bind(b)) => self.bind = b,
            (I_PROTECTED_MODE, Val::Bool(b)) => self.protected_mode = b,
            (I_SEED, Val::Int(n)) => self.seed = n as u64,
            (i, v) => {
                if let Some(slot) = self.values.get_mut(i) {
                    *slot = v;
                }
            }
        }
        true
    }

    fn resolve_dir(&self, args: &[Vec<u8>]) -> Result<String, String> {
        if args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        let path = lossy(&args[0]);
        match self.chdir {
            Some(hook) => hook(&path),
            None => Ok(text::lexical_dir(self.dir(), &path)),
        }
    }

    /// `save`: pairs of seconds (>= 1) and changes (>= 0); a single "" clears the points.
    fn parse_save(&self, args: &[Vec<u8>], append: bool) -> Result<Vec<SavePoint>, String> {
        const INVALID: &str = "Invalid save parameters";
        let clear_all = args.len() == 1 && args[0].is_empty();
        let args = if clear_all { &[][..] } else { args };
        if args.len() % 2 == 1 {
            return Err(INVALID.into());
        }
        let mut numbers = Vec::with_capacity(args.len());
        for (j, a) in args.iter().enumerate() {
            let v = text::strtoll_whole(a).ok_or(INVALID)?;
            if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
                return Err(INVALID.into());
            }
            numbers.push(v);
        }
        let mut points = if append && !clear_all { self.save_points().to_vec() } else { Vec::new() };
        for pair in numbers.chunks_exact(2) {
            // Redis keeps the number of changes in a C int.
            points.push(SavePoint { seconds: pair[0], changes: i64::from(pair[1] as i32) });
        }
        Ok(points)
    }

    /// `client-output-buffer-limit`: groups of <class> <hard> <soft> <soft-seconds>; classes not
    /// named keep their limits.
    fn parse_obuf(&self, args: &[Vec<u8>]) -> Result<[ObufLimit; 3], String> {
        if !args.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut limits = self.client_output_buffer_limits();
        for group in args.chunks_exact(4) {
            let class = match group[0].to_ascii_lowercase().as_slice() {
                b"normal" => 0,
                b"slave" | b"replica" => 1,
                b"pubsub" => 2,
                _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
            };
            let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            let hard = text::memtoull(&group[1]).ok_or(bad)?;
            let soft = text::memtoull(&group[2]).ok_or(bad)?;
            // Redis keeps the seconds in a C int.
            let seconds = text::strtoll_whole(&group[3]).map(|s| i64::from(s as i32)).ok_or(bad)?;
            if seconds < 0 {
                return Err(bad.into());
            }
            limits[class] = ObufLimit { hard_bytes: hard, soft_bytes: soft, soft_seconds: seconds };
        }
        Ok(limits)
    }

    // ----- Typed accessors -----

    fn bool_at(&self, i: usize) -> bool {
        // Stored booleans are read without `read`'s clone (some are checked on every command).
        if let Some(Val::Bool(b)) = self.values.get(i) {
            return *b;
        }
        matches!(self.read(i), Val::Bool(true))
    }

    fn int_at(&self, i: usize) -> i64 {
        match self.values.get(i) {
            Some(Val::Int(n)) => *n,
            _ => match self.read(i) {
                Val::Int(n) => n,
                _ => 0,
            },
        }
    }

    fn enum_at(&self, i: usize) -> i32 {
        match self.values.get(i) {
            Some(Val::Enum(n)) => *n,
            _ => 0,
        }
    }

    fn str_at(&self, i: usize) -> &[u8] {
        match self.values.get(i) {
            Some(Val::Str(Some(s))) => s,
            _ => b"",
        }
    }

    /// A boolean parameter by index (see `index_of`).
    pub fn bool_value(&self, i: usize) -> bool {
        self.bool_at(i)
    }

    /// A numeric parameter by index, as Redis stores it (percentages negative).
    pub fn num_value(&self, i: usize) -> i64 {
        self.int_at(i)
    }

    /// A string parameter by index; `None` when unset (C's NULL).
    pub fn str_value(&self, i: usize) -> Option<Vec<u8>> {
        match self.read(i) {
            Val::Str(s) => s,
            _ => None,
        }
    }

    /// The `save` points, in order.
    pub fn save_points(&self) -> &[SavePoint] {
        match self.values.get(I_SAVE) {
            Some(Val::Save(points)) => points,
            _ => &[],
        }
    }

    /// The working directory (`dir`): absolute once the server has resolved it, "" before.
    pub fn dir(&self) -> &str {
        match self.values.get(I_DIR) {
            Some(Val::Dir(d)) => d,
            _ => "",
        }
    }

    pub fn dbfilename(&self) -> String {
        lossy(self.str_at(I_DBFILENAME))
    }

    pub fn appendonly(&self) -> bool {
        self.bool_at(I_APPENDONLY)
    }

    pub fn appendfilename(&self) -> String {
        lossy(self.str_at(I_APPENDFILENAME))
    }

    pub fn appenddirname(&self) -> String {
        lossy(self.str_at(I_APPENDDIRNAME))
    }

    pub fn appendfsync(&self) -> AppendFsync {
        match self.enum_at(I_APPENDFSYNC) {
            1 => AppendFsync::Always,
            0 => AppendFsync::No,
            _ => AppendFsync::Everysec,
        }
    }

    pub fn lazyfree_lazy_eviction(&self) -> bool {
        self.bool_at(const { index_of("lazyfree-lazy-eviction") })
    }

    pub fn lazyfree_lazy_expire(&self) -> bool {
        self.bool_at(const { index_of("lazyfree-lazy-expire") })
    }

    pub fn lazyfree_lazy_server_del(&self) -> bool {
        self.bool_at(const { index_of("lazyfree-lazy-server-del") })
    }

    pub fn lazyfree_lazy_user_del(&self) -> bool {
        self.bool_at(const { index_of("lazyfree-lazy-user-del") })
    }

    pub fn lazyfree_lazy_user_flush(&self) -> bool {
        self.bool_at(const { index_of("lazyfree-lazy-user-flush") })
    }

    /// `min-replicas-to-write`: writes are refused with fewer good replicas than this.
    pub fn min_replicas_to_write(&self) -> i64 {
        self.int_at(const { index_of("min-replicas-to-write") })
    }

    /// `maxmemory` in bytes (0: no limit).
    pub fn maxmemory(&self) -> u64 {
        self.int_at(I_MAXMEMORY) as u64
    }

    pub fn maxmemory_policy(&self) -> MaxmemoryPolicy {
        match self.enum_at(I_MAXMEMORY_POLICY) {
            1 => MaxmemoryPolicy::VolatileLru,
            0x102 => MaxmemoryPolicy::VolatileLfu,
            0x300 => MaxmemoryPolicy::VolatileRandom,
            0x200 => MaxmemoryPolicy::VolatileTtl,
            0x405 => MaxmemoryPolicy::AllkeysLru,
            0x506 => MaxmemoryPolicy::AllkeysLfu,
            0x604 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::NoEviction,
        }
    }

    pub fn maxmemory_samples(&self) -> i64 {
        self.int_at(const { index_of("maxmemory-samples") })
    }

    pub fn maxmemory_clients(&self) -> MaxmemoryClients {
        let v = self.int_at(I_MAXMEMORY_CLIENTS);
        if v < 0 {
            MaxmemoryClients::Percent(v.unsigned_abs())
        } else {
            MaxmemoryClients::Bytes(v as u64)
        }
    }

    /// The `notify-keyspace-events` classes as NOTIFY_* bits.
    pub fn notify_keyspace_events(&self) -> u32 {
        match self.values.get(I_NOTIFY) {
            Some(Val::Notify(flags)) => *flags,
            _ => 0,
        }
    }

    pub fn loglevel(&self) -> LogLevel {
        match self.enum_at(I_LOGLEVEL) {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            3 => LogLevel::Warning,
            _ => LogLevel::Notice,
        }
    }

    /// `logfile`: "" means standard output.
    pub fn logfile(&self) -> String {
        lossy(self.str_at(I_LOGFILE))
    }

    pub fn list_max_listpack_size(&self) -> i64 {
        self.int_at(const { index_of("list-max-listpack-size") })
    }

    pub fn list_compress_depth(&self) -> i64 {
        self.int_at(const { index_of("list-compress-depth") })
    }

    pub fn hash_max_listpack_entries(&self) -> u64 {
        self.int_at(const { index_of("hash-max-listpack-entries") }) as u64
    }

    pub fn hash_max_listpack_value(&self) -> u64 {
        self.int_at(const { index_of("hash-max-listpack-value") }) as u64
    }

    pub fn set_max_intset_entries(&self) -> u64 {
        self.int_at(const { index_of("set-max-intset-entries") }) as u64
    }

    pub fn zset_max_listpack_entries(&self) -> u64 {
        self.int_at(const { index_of("zset-max-listpack-entries") }) as u64
    }

    pub fn zset_max_listpack_value(&self) -> u64 {
        self.int_at(const { index_of("zset-max-listpack-value") }) as u64
    }

    pub fn stream_node_max_bytes(&self) -> u64 {
        self.int_at(const { index_of("stream-node-max-bytes") }) as u64
    }

    pub fn stream_node_max_entries(&self) -> i64 {
        self.int_at(const { index_of("stream-node-max-entries") })
    }

    pub fn hll_sparse_max_bytes(&self) -> u64 {
        self.int_at(const { index_of("hll-sparse-max-bytes") }) as u64
    }

    pub fn slowlog_log_slower_than_us(&self) -> i64 {
        self.int_at(const { index_of("slowlog-log-slower-than") })
    }

    pub fn slowlog_max_len(&self) -> i64 {
        self.int_at(const { index_of("slowlog-max-len") })
    }

    pub fn latency_monitor_threshold_ms(&self) -> i64 {
        self.int_at(const { index_of("latency-monitor-threshold") })
    }

    pub fn busy_reply_threshold_ms(&self) -> i64 {
        self.int_at(const { index_of("busy-reply-threshold") })
    }

    pub fn acllog_max_len(&self) -> i64 {
        self.int_at(const { index_of("acllog-max-len") })
    }

    pub fn tracking_table_max_keys(&self) -> u64 {
        self.int_at(const { index_of("tracking-table-max-keys") }) as u64
    }

    pub fn active_expire_effort(&self) -> i64 {
        self.int_at(const { index_of("active-expire-effort") })
    }

    pub fn lfu_log_factor(&self) -> i64 {
        self.int_at(const { index_of("lfu-log-factor") })
    }

    pub fn lfu_decay_time(&self) -> i64 {
        self.int_at(const { index_of("lfu-decay-time") })
    }

    pub fn activerehashing(&self) -> bool {
        self.bool_at(const { index_of("activerehashing") })
    }

    pub fn tcp_keepalive_s(&self) -> i64 {
        self.int_at(const { index_of("tcp-keepalive") })
    }

    pub fn tcp_backlog(&self) -> i64 {
        self.int_at(const { index_of("tcp-backlog") })
    }

    pub fn daemonize(&self) -> bool {
        self.bool_at(const { index_of("daemonize") })
    }

    pub fn pidfile(&self) -> Option<String> {
        self.str_value(const { index_of("pidfile") }).map(|s| lossy(&s))
    }

    pub fn unixsocket(&self) -> Option<String> {
        self.str_value(const { index_of("unixsocket") }).map(|s| lossy(&s))
    }

    pub fn aclfile(&self) -> String {
        lossy(self.str_at(I_ACLFILE))
    }

    pub fn cluster_enabled(&self) -> bool {
        self.bool_at(I_CLUSTER_ENABLED)
    }

    /// The master this server replicates, if any (`replicaof`).
    pub fn replicaof(&self) -> Option<(String, i64)> {
        match self.values.get(I_REPLICAOF) {
            Some(Val::ReplicaOf(Some((host, port)))) => Some((lossy(host), *port)),
            _ => None,
        }
    }

    /// Records the master REPLICAOF set (or None), as CONFIG GET and CONFIG REWRITE show it.
    pub fn set_replicaof(&mut self, master: Option<(Vec<u8>, i64)>) {
        if let Some(v) = self.values.get_mut(I_REPLICAOF) {
            *v = Val::ReplicaOf(master);
        }
    }

    pub fn client_output_buffer_limits(&self) -> [ObufLimit; 3] {
        match self.values.get(I_OBUF) {
            Some(Val::Obuf(limits)) => *limits,
            _ => OBUF_DEFAULTS,
        }
    }

    pub fn client_output_buffer_limit(&self, class: ClientClass) -> ObufLimit {
        self.client_output_buffer_limits()[class as usize]
    }

    /// Whether a client may change PROTECTED parameters (`enable-protected-configs`); `local`
    /// tells whether the client connected over loopback or a unix socket.
    pub fn protected_configs_allowed(&self, local: bool) -> bool {
        let v = self.enum_at(I_ENABLE_PROTECTED);
        v == PROTECTED_ALLOWED_YES || (v == PROTECTED_ALLOWED_LOCAL && local)
    }

    /// Whether DEBUG is allowed for a client (`enable-debug-command`).
    pub fn debug_command_allowed(&self, local: bool) -> bool {
        let v = self.enum_at(const { index_of("enable-debug-command") });
        v == PROTECTED_ALLOWED_YES || (v == PROTECTED_ALLOWED_LOCAL && local)
    }
}

fn arg0(args: &[Vec<u8>]) -> &[u8] {
    args.first().map(|a| a.as_slice()).unwrap_or(b"")
}

/// Redis's configEnumGetValue: one name, or with bit flags several whose values are OR-ed.
fn enum_value(names: &[(&str, i32)], args: &[Vec<u8>], bitflags: bool) -> Result<i32, String> {
    let mut value = 0;
    let ok = !args.is_empty() && (bitflags || args.len() == 1);
    let mut all_matched = ok;
    if ok {
        for a in args {
            let matched: Vec<i32> =
                names.iter().filter(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes())).map(|(_, v)| *v).collect();
            if matched.is_empty() {
                all_matched = false;
                break;
            }
            value |= matched.iter().fold(0, |acc, v| acc | v);
        }
    }
    if all_matched {
        return Ok(value);
    }
    let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    let mut msg = format!("argument(s) must be one of the following: {}", list.join(", "));
    // Redis builds the message in a 256-byte buffer.
    msg.truncate(255);
    Err(msg)
}

/// Redis's configEnumGetName: the name of a value; with bit flags, the names of its bits.
pub(crate) fn enum_name(names: &[(&str, i32)], value: i32, bitflags: bool) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for (name, v) in names {
        if *v == value {
            return name.to_string();
        }
        if bitflags && *v != 0 && *v == (unmatched & *v) {
            parts.push(name);
            unmatched &= !*v;
        }
    }
    if parts.is_empty() || unmatched != 0 {
        return "unknown".to_string();
    }
    parts.join(" ")
}

/// Reads a numeric value the way Redis's numericParseString does: memory units first, then a
/// percentage, then octal, and a plain integer only for plain parameters.
fn parse_num(arg: &[u8], fmt: NumFmt, unsigned64: bool) -> Result<i64, String> {
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryOrPercent) {
        if let Some(v) = text::memtoull(arg) {
            return Ok(v as i64);
        }
    }
    if fmt == NumFmt::MemoryOrPercent && arg.len() > 1 && arg.ends_with(b"%") {
        if let Some(v) = crate::resp::parse::parse_i64(&arg[..arg.len() - 1]).filter(|v| *v >= 0) {
            return Ok(-v);
        }
    }
    if fmt == NumFmt::Octal {
        let (v, overflow, end) = text::c_strtoll(arg, 8);
        if !overflow && end == arg.len() {
            return Ok(v);
        }
    }
    if fmt == NumFmt::Int {
        if let Some(v) = crate::resp::parse::parse_i64(arg) {
            return Ok(v);
        }
        if unsigned64 {
            // verdis-seed takes the whole u64 range.
            if let Some(v) = parse_u64(arg) {
                return Ok(v as i64);
            }
        }
    }
    Err(match fmt {
        NumFmt::MemoryOrPercent => "argument must be a memory or percent value",
        NumFmt::Memory => "argument must be a memory value",
        NumFmt::Octal => "argument couldn't be parsed as an octal number",
        NumFmt::Int => "argument couldn't be parsed into an integer",
    }
    .into())
}

fn parse_u64(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() || (arg[0] == b'0' && arg.len() > 1) || !arg.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(arg).ok()?.parse().ok()
}

/// Redis's numericBoundaryCheck, with its three message forms.
fn check_bounds(v: i64, min: i64, max: i64, unsigned: bool, fmt: NumFmt) -> Result<(), String> {
    if unsigned {
        let (uv, umin, umax) = (v as u64, min as u64, max as u64);
        if uv > umax || uv < umin {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {umin:o} and {umax:o} inclusive")
            } else {
                format!("argument must be between {umin} and {umax} inclusive")
            });
        }
        return Ok(());
    }
    if fmt == NumFmt::MemoryOrPercent && v < 0 {
        if v < min {
            return Err(format!("percentage argument must be less or equal to {}", -min));
        }
        return Ok(());
    }
    if v > max || v < min {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(())
}

/// CONFIG GET's text of a number: `N%` for a percentage, unsigned for memory, octal, or signed.
fn format_num(v: i64, fmt: NumFmt, unsigned64: bool) -> String {
    match fmt {
        NumFmt::MemoryOrPercent if v < 0 => format!("{}%", v.unsigned_abs()),
        NumFmt::Memory | NumFmt::MemoryOrPercent => (v as u64).to_string(),
        NumFmt::Octal => format!("{:o}", v as u64),
        NumFmt::Int if unsigned64 => (v as u64).to_string(),
        NumFmt::Int => v.to_string(),
    }
}

fn parse_oom(args: &[Vec<u8>]) -> Result<[i64; 3], String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut values = [0i64; 3];
    for (slot, a) in values.iter_mut().zip(args) {
        match text::strtoll_whole(a) {
            Some(v) if (-2000..=2000).contains(&v) => *slot = v,
            _ => return Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into()),
        }
    }
    Ok(values)
}

fn parse_bind(args: &[Vec<u8>]) -> Result<Vec<String>, String> {
    if args.len() > MAX_BIND_ADDRS {
        return Err("Too many bind addresses specified.".into());
    }
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    Ok(args.iter().map(|a| lossy(a)).collect())
}

fn parse_replicaof(args: &[Vec<u8>]) -> Result<Option<(Vec<u8>, i64)>, String> {
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
        return Ok(None);
    }
    // strtol into a C int, then range-checked.
    let port = text::strtoll_whole(&args[1]).map(|p| i64::from(p as i32));
    match port {
        Some(p) if (0..=65535).contains(&p) => Ok(Some((args[0].clone(), p))),
        _ => Err("Invalid master port".into()),
    }
}

fn parse_percentiles(args: &[Vec<u8>]) -> Result<Vec<f64>, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        let v = text::string2d(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&v) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        out.push(v);
    }
    Ok(out)
}

/// Redis's keyspaceEventsStringToFlags; `None` for an unknown class character.
pub fn notify_string_to_flags(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in classes {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Redis's keyspaceEventsFlagsToString: `A` when all classes are on, then K, E, m.
pub fn notify_flags_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        let classes = [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ];
        s.extend(classes.iter().filter(|(bit, _)| flags & bit != 0).map(|(_, c)| *c));
    }
    for (bit, c) in [(NOTIFY_KEYSPACE, 'K'), (NOTIFY_KEYEVENT, 'E'), (NOTIFY_KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests;
