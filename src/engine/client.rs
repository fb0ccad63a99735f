//! What the engine knows about a connected client. The server owns the socket; the engine owns
//! the state commands read and change (database, protocol, name, authentication, flags).

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Set while the command after CLIENT REPLY SKIP runs.
    Skip,
}

/// I/O figures the server reports for CLIENT LIST (the engine never touches sockets).
#[derive(Clone, Debug, Default)]
pub struct IoStats {
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub argv_mem: usize,
    pub obl: usize,
    pub oll: usize,
    pub omem: usize,
    pub tot_mem: usize,
    pub rbs: usize,
    pub rbp: usize,
}

#[derive(Clone, Debug)]
pub struct ClientState {
    pub id: u64,
    pub name: Option<Vec<u8>>,
    /// Selected database index.
    pub db: usize,
    /// Protocol version, 2 or 3 (HELLO switches it).
    pub resp: u8,
    pub authenticated: bool,
    /// The ACL user the connection runs as (names are binary-safe, as Redis's).
    pub user: Vec<u8>,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created_ms: u64,
    pub last_interaction_ms: u64,
    /// Full name of the last command run (`client|list`), for CLIENT LIST's `cmd=`.
    pub last_cmd: &'static str,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    /// In MONITOR mode (CLIENT LIST flag O).
    pub monitor: bool,
    /// Close the connection once the pending replies are written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Set by CLIENT KILL; the server closes the connection.
    pub killed: bool,
    pub io: IoStats,
    /// MULTI state: the queued commands and whether the transaction already failed.
    pub multi: super::multi::MultiState,
    /// Pub/Sub subscriptions.
    pub subs: super::pubsub::ClientSubs,
    /// Out-of-band frames for this client produced by the running command (pub/sub
    /// notifications, its own published messages): written before the command's reply, even
    /// when CLIENT REPLY drops that reply.
    pub pushes: Vec<crate::resp::Frame>,
    /// Out-of-band frames the running command produced after the point where it wrote its
    /// reply (see `Ctx::reply_here`): written after the reply.
    pub pushes_after: Vec<crate::resp::Frame>,
    /// Waiting in a blocking command (CLIENT LIST flag `b`); kept by `engine::blocking`.
    pub blocked: bool,
    /// Blocking commands must not block (Redis's CLIENT_DENY_BLOCKING): set while MULTI/EXEC or
    /// a script runs commands, which then answer as if they had timed out.
    pub deny_blocking: bool,
    /// Client-side caching settings (CLIENT TRACKING).
    pub tracking: super::tracking::ClientTracking,
    /// Attached as a replica (SYNC/PSYNC): CLIENT LIST flag S, output class `replica`.
    pub replica: bool,
    /// The link with this server's master (CLIENT LIST flag M): its commands run without replies.
    pub master: bool,
    /// The replication offset right after its last command that propagated (WAIT's target).
    pub woff: u64,
}

impl ClientState {
    pub fn new(id: u64, addr: String, laddr: String, now_ms: u64) -> ClientState {
        ClientState {
            id,
            name: None,
            db: 0,
            resp: 2,
            authenticated: false,
            user: b"default".to_vec(),
            addr,
            laddr,
            fd: -1,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            reply_mode: ReplyMode::On,
            no_evict: false,
            monitor: false,
            close_after_reply: false,
            killed: false,
            io: IoStats::default(),
            multi: super::multi::MultiState::default(),
            subs: super::pubsub::ClientSubs::default(),
            pushes: Vec::new(),
            pushes_after: Vec::new(),
            blocked: false,
            deny_blocking: false,
            tracking: super::tracking::ClientTracking::default(),
            replica: false,
            master: false,
            woff: 0,
        }
    }
}
