//! Replication, the replica's side (Redis 7.0's replication.c as seen from a replica): REPLICAOF
//! points the server at a master; the link then goes through Redis's states (connect, connecting,
//! the handshake, the snapshot transfer, connected). The engine stays sans-IO: the server opens
//! the socket and hands the engine what it reads (`repl_link_line` during the handshake,
//! `repl_link_transfer` for the snapshot, then the stream as commands of the master client with
//! `repl_master_applied`), and writes what the engine queued in `MasterLink::out` (the handshake's
//! commands, REPLCONF ACK, keep-alive newlines).
//!
//! The stream is applied as Redis does: commands of the master client run without replies, their
//! bytes advance the replication offset once the command (or the whole MULTI/EXEC) ran, and the
//! same bytes go verbatim to the backlog and to this server's own replicas, so that they share the
//! master's replication ID and offsets.

use super::Engine;
use crate::engine::config::{index_of, LogLevel};
use crate::persist::aof::writer::encode_command;

/// Redis's replication link states (REPL_STATE_*), as far as a replica of verdis goes through
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Must connect: the server starts a connection.
    Connect,
    /// A non-blocking connect is under way.
    Connecting,
    ReceivePingReply,
    ReceiveAuthReply,
    ReceivePortReply,
    ReceiveIpReply,
    ReceiveCapaReply,
    ReceivePsyncReply,
    /// Receiving the snapshot.
    Transfer,
    /// Synchronised: the stream flows.
    Connected,
}

impl LinkState {
    /// ROLE's name for the state.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
            _ => "handshake",
        }
    }

    /// The states where the link is a socket the engine is talking through (Redis's
    /// repl_transfer_s is set).
    fn in_handshake(self) -> bool {
        matches!(
            self,
            LinkState::ReceivePingReply
                | LinkState::ReceiveAuthReply
                | LinkState::ReceivePortReply
                | LinkState::ReceiveIpReply
                | LinkState::ReceiveCapaReply
                | LinkState::ReceivePsyncReply
        )
    }
}

/// What a replica knows of the stream it applies (Redis keeps it in the master client, and in the
/// cached master while the link is down).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterStream {
    pub replid: String,
    /// Bytes of the stream applied (c->reploff).
    pub reploff: u64,
    /// Bytes of the stream read (c->read_reploff).
    pub read_reploff: u64,
    /// The database the stream has selected.
    pub db: usize,
    /// Synchronised with SYNC (no ACKs).
    pub pre_psync: bool,
}

/// The snapshot being received.
#[derive(Debug, Default)]
struct Transfer {
    /// The announced size, or None for the `$EOF:<mark>` form.
    size: Option<u64>,
    eof_mark: Option<Vec<u8>>,
    /// The header line was read.
    started: bool,
    data: Vec<u8>,
}

/// The link with the master (Redis's masterhost, repl_state, master and cached_master).
#[derive(Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: i64,
    pub state: LinkState,
    /// Bytes for the server to write to the master.
    pub out: Vec<u8>,
    /// The master client once synchronised, and the stream it applies.
    pub client_id: Option<u64>,
    pub stream: Option<MasterStream>,
    /// The stream of a master whose link was lost: PSYNC asks to continue it.
    pub cached: Option<MasterStream>,
    /// The master's ID and offset from +FULLRESYNC.
    master_replid: String,
    initial_offset: i64,
    /// The last I/O on the link (Unix seconds), for timeouts and INFO.
    pub last_io_s: u64,
    /// When the link went down (Unix seconds), 0 when it never was up.
    pub down_since_s: u64,
    /// Connect at once rather than at the next replication cron.
    pub connect_now: bool,
    transfer: Transfer,
    /// Stream bytes of a MULTI/EXEC from the master, counted once EXEC ran.
    pending: Vec<u8>,
    /// The replication cron runs once a second.
    next_cron_ms: u64,
}

impl MasterLink {
    /// The snapshot's announced size (-1 before its header, 0 for the EOF-marked form) and the
    /// bytes received, for INFO.
    pub fn transfer_progress(&self) -> (i64, u64) {
        let t = &self.transfer;
        let size = match (t.started, t.size) {
            (false, _) => -1,
            (true, Some(size)) => size as i64,
            (true, None) => 0,
        };
        (size, t.data.len() as u64)
    }
}

/// What the server should do after handing the engine a line of the handshake.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkStep {
    /// Keep reading.
    Continue,
    /// The handshake failed: close the connection (the engine reconnects).
    Close,
}

/// The longest snapshot header or handshake line the engine accepts.
const MAX_LINE_BYTES: usize = 1024;
/// The length of the `$EOF:` mark (Redis's CONFIG_RUN_ID_SIZE).
const EOF_MARK_BYTES: usize = 40;

impl Engine {
    /// True when this server is a replica (REPLICAOF set).
    pub fn is_replica(&self) -> bool {
        self.repl.link.is_some()
    }

    /// The replication ID this server reports: its own, or the one derived from the run before a
    /// backlog exists (see INFO).
    pub fn repl_current_id(&self) -> String {
        self.repl.replid.clone().unwrap_or_else(|| crate::cmd::info::run_hex(self, 2))
    }

    /// `replicaof` in the configuration: a replica from the start, with no history of its own
    /// to offer (PSYNC ? -1).
    pub fn repl_set_master_at_start(&mut self, host: &str, port: i64, now_ms: u64) {
        self.repl_point_at(host, port, false, now_ms);
    }

    /// REPLICAOF host port (replicationSetMaster).
    pub fn repl_set_master(&mut self, host: &str, port: i64, now_ms: u64) {
        self.repl_point_at(host, port, true, now_ms);
    }

    /// Makes the server a replica of host:port. A master turned replica at run time offers its
    /// own history as the cached master (`synthesize`).
    fn repl_point_at(&mut self, host: &str, port: i64, synthesize: bool, now_ms: u64) {
        let was_master = self.repl.link.is_none();
        // A synchronised master becomes the cached one: the new master may continue its stream.
        self.repl_close_link(true);
        let cached = self.repl.link.as_mut().and_then(|l| l.cached.take());
        self.disconnect_all_blocked();
        let cached = if was_master && synthesize {
            self.log(
                LogLevel::Notice,
                "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
            );
            let replid = self.repl_current_id();
            self.repl.replid = Some(replid.clone());
            let offset = self.repl.offset;
            Some(MasterStream { replid, reploff: offset, read_reploff: offset, db: 0, pre_psync: false })
        } else if was_master {
            None
        } else {
            cached
        };
        self.repl.link = Some(MasterLink {
            host: host.to_string(),
            port,
            state: LinkState::Connect,
            out: Vec::new(),
            client_id: None,
            stream: None,
            cached,
            master_replid: String::new(),
            initial_offset: -1,
            last_io_s: now_ms / 1000,
            down_since_s: 0,
            connect_now: true,
            transfer: Transfer::default(),
            pending: Vec::new(),
            next_cron_ms: now_ms + 1000,
        });
        self.log(LogLevel::Notice, &format!("Connecting to MASTER {host}:{port}"));
    }

    /// REPLICAOF NO ONE (replicationUnsetMaster): the data stays; the replication ID shifts so
    /// that this server's replicas can continue with it.
    pub fn repl_unset_master(&mut self) {
        if self.repl.link.is_none() {
            return;
        }
        self.repl_close_link(false);
        self.repl.link = None;
        self.repl_shift_id();
        self.repl_disconnect_replicas();
        self.repl.seldb = None;
        if self.config.bool_value(index_of("appendonly")) && !self.aof_on() {
            let _ = self.aof_start(self.now_ms);
        }
    }

    /// Drops the link's socket state: the master client is closed (its stream becomes the
    /// cached master when `cache_live` is set; a cached master already there stays, as Redis's
    /// cancelReplicationHandshake leaves it), a handshake or transfer is cancelled. The server
    /// closes the socket when it sees the epoch change.
    fn repl_close_link(&mut self, cache_live: bool) {
        self.repl.link_epoch += 1;
        let Some(link) = self.repl.link.as_mut() else { return };
        if let Some(id) = link.client_id.take() {
            let stream = link.stream.take();
            if cache_live {
                link.cached = stream;
            }
            if let Some(client) = self.clients.get_mut(&id) {
                client.master = false;
                client.killed = true;
            }
        }
        link.state = LinkState::Connect;
        link.transfer = Transfer::default();
        link.pending.clear();
        link.out.clear();
    }

    /// shiftReplicationId: the current ID becomes the secondary one, valid up to the current
    /// offset, and a new ID is drawn.
    fn repl_shift_id(&mut self) {
        self.repl.replid2 = Some(self.repl_current_id());
        self.repl.second_offset = self.repl.offset as i64 + 1;
        let id = super::new_replid(self);
        self.repl.replid = Some(id.clone());
        let line = format!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {id}",
            self.repl.replid2.as_deref().unwrap_or_default(),
            self.repl.second_offset
        );
        self.log(LogLevel::Warning, &line);
    }

    /// Closes every replica's connection (disconnectSlaves): they synchronise again.
    fn repl_disconnect_replicas(&mut self) {
        let ids: Vec<u64> = self.repl.replicas.iter().map(|r| r.client_id).collect();
        for id in ids {
            self.repl_drop(id, None);
        }
    }

    fn log(&mut self, level: LogLevel, line: &str) {
        self.persist.log(level, line);
    }

    fn link_mut(&mut self) -> Option<&mut MasterLink> {
        self.repl.link.as_mut()
    }

    /// The server started connecting to the master (connectWithMaster).
    pub fn repl_link_connecting(&mut self, now_ms: u64) {
        if let Some(link) = self.link_mut() {
            link.state = LinkState::Connecting;
            link.connect_now = false;
            link.last_io_s = now_ms / 1000;
        }
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync started");
    }

    /// The connection could not be made or was lost before the synchronisation ended: the
    /// next replication cron tries again.
    pub fn repl_link_failed(&mut self, reason: &str) {
        let Some(link) = self.link_mut() else { return };
        if link.state == LinkState::Connected {
            return;
        }
        link.connect_now = false;
        self.log(LogLevel::Warning, reason);
        self.repl_close_link(false);
    }

    /// The non-blocking connect succeeded: the handshake starts with PING.
    pub fn repl_link_connected(&mut self, now_ms: u64) {
        self.log(LogLevel::Notice, "Non blocking connect for SYNC fired the event.");
        let Some(link) = self.link_mut() else { return };
        link.state = LinkState::ReceivePingReply;
        link.last_io_s = now_ms / 1000;
        encode_command(&mut link.out, &[b"PING".to_vec()]);
    }

    /// A line the master sent during the handshake (without its CRLF).
    pub fn repl_link_line(&mut self, line: &[u8], now_ms: u64) -> LinkStep {
        let Some(link) = self.link_mut() else { return LinkStep::Close };
        link.last_io_s = now_ms / 1000;
        let text = String::from_utf8_lossy(line).into_owned();
        match link.state {
            LinkState::ReceivePingReply => self.on_ping_reply(&text),
            LinkState::ReceiveAuthReply => {
                if text.starts_with('-') {
                    self.log(LogLevel::Warning, &format!("Unable to AUTH to MASTER: {text}"));
                    self.repl_close_link(false);
                    return LinkStep::Close;
                }
                self.set_link_state(LinkState::ReceivePortReply);
                LinkStep::Continue
            }
            LinkState::ReceivePortReply => {
                if text.starts_with('-') {
                    let line = format!("(Non critical) Master does not understand REPLCONF listening-port: {text}");
                    self.log(LogLevel::Notice, &line);
                }
                let announced = self.config.str_value(index_of("replica-announce-ip")).is_some();
                self.set_link_state(if announced { LinkState::ReceiveIpReply } else { LinkState::ReceiveCapaReply });
                LinkStep::Continue
            }
            LinkState::ReceiveIpReply => {
                if text.starts_with('-') {
                    let line = format!("(Non critical) Master does not understand REPLCONF ip-address: {text}");
                    self.log(LogLevel::Notice, &line);
                }
                self.set_link_state(LinkState::ReceiveCapaReply);
                LinkStep::Continue
            }
            LinkState::ReceiveCapaReply => {
                if text.starts_with('-') {
                    self.log(
                        LogLevel::Notice,
                        &format!("(Non critical) Master does not understand REPLCONF capa: {text}"),
                    );
                }
                self.send_psync();
                LinkStep::Continue
            }
            LinkState::ReceivePsyncReply => self.on_psync_reply(&text, now_ms),
            _ => LinkStep::Continue,
        }
    }

    fn set_link_state(&mut self, state: LinkState) {
        if let Some(link) = self.link_mut() {
            link.state = state;
        }
    }

    /// The PING reply: errors other than the authentication ones end the attempt. Then AUTH
    /// (with masterauth), REPLCONF listening-port and capa go out together.
    fn on_ping_reply(&mut self, text: &str) -> LinkStep {
        let auth_error = text.starts_with("-NOAUTH")
            || text.starts_with("-NOPERM")
            || text.starts_with("-ERR operation not permitted");
        if !text.starts_with('+') && !auth_error {
            self.log(LogLevel::Warning, &format!("Error reply to PING from master: '{text}'"));
            self.repl_close_link(false);
            return LinkStep::Close;
        }
        self.log(LogLevel::Notice, "Master replied to PING, replication can continue...");
        let auth = self.config.str_value(index_of("masterauth"));
        let user = self.config.str_value(index_of("masteruser"));
        let port = match self.config.num_value(index_of("replica-announce-port")) {
            0 => i64::from(self.config.port),
            p => p,
        };
        let announce_ip = self.config.str_value(index_of("replica-announce-ip"));
        let Some(link) = self.repl.link.as_mut() else { return LinkStep::Close };
        let has_auth = auth.is_some();
        if let Some(password) = auth {
            let mut argv = vec![b"AUTH".to_vec()];
            argv.extend(user);
            argv.push(password);
            encode_command(&mut link.out, &argv);
        }
        encode_command(&mut link.out, &[b"REPLCONF".to_vec(), b"listening-port".to_vec(), port.to_string().into()]);
        if let Some(ip) = &announce_ip {
            encode_command(&mut link.out, &[b"REPLCONF".to_vec(), b"ip-address".to_vec(), ip.clone()]);
        }
        let capa = [b"REPLCONF".to_vec(), b"capa".to_vec(), b"eof".to_vec(), b"capa".to_vec(), b"psync2".to_vec()];
        encode_command(&mut link.out, &capa);
        link.state = if has_auth { LinkState::ReceiveAuthReply } else { LinkState::ReceivePortReply };
        LinkStep::Continue
    }

    /// PSYNC with the cached master's ID and next offset, or `PSYNC ? -1`.
    fn send_psync(&mut self) {
        let (replid, offset) = match self.repl.link.as_ref().and_then(|l| l.cached.as_ref()) {
            Some(c) => (c.replid.clone(), (c.reploff + 1).to_string()),
            None => ("?".to_string(), "-1".to_string()),
        };
        if replid == "?" {
            self.log(LogLevel::Notice, "Partial resynchronization not possible (no cached master)");
        } else {
            self.log(LogLevel::Notice, &format!("Trying a partial resynchronization (request {replid}:{offset})."));
        }
        let Some(link) = self.link_mut() else { return };
        link.initial_offset = -1;
        encode_command(&mut link.out, &[b"PSYNC".to_vec(), replid.into_bytes(), offset.into_bytes()]);
        link.state = LinkState::ReceivePsyncReply;
    }

    /// The PSYNC reply (slaveTryPartialResynchronization with read_reply set).
    fn on_psync_reply(&mut self, text: &str, now_ms: u64) -> LinkStep {
        if text.is_empty() {
            // A newline the master sends while it prepares the snapshot.
            return LinkStep::Continue;
        }
        if let Some(rest) = text.strip_prefix("+FULLRESYNC") {
            let mut parts = rest.split_whitespace();
            let (id, offset) = (parts.next().unwrap_or(""), parts.next());
            let Some(link) = self.link_mut() else { return LinkStep::Close };
            match offset {
                Some(offset) if id.len() == EOF_MARK_BYTES => {
                    link.master_replid = id.to_string();
                    link.initial_offset = offset.parse().unwrap_or(0);
                    let line = format!("Full resync from master: {id}:{}", link.initial_offset);
                    self.log(LogLevel::Notice, &line);
                }
                _ => {
                    link.master_replid = "0".repeat(EOF_MARK_BYTES);
                    self.log(LogLevel::Warning, "Master replied with wrong +FULLRESYNC syntax.");
                }
            }
            self.start_transfer(now_ms);
            return LinkStep::Continue;
        }
        if let Some(rest) = text.strip_prefix("+CONTINUE") {
            self.log(LogLevel::Notice, "Successful partial resynchronization with master.");
            self.continue_stream(rest.trim(), now_ms);
            self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            return LinkStep::Continue;
        }
        if text.starts_with("-NOMASTERLINK") || text.starts_with("-LOADING") {
            let line = format!("Master is currently unable to PSYNC but should be in the future: {text}");
            self.log(LogLevel::Notice, &line);
            self.repl_close_link(false);
            return LinkStep::Close;
        }
        if text.starts_with("-ERR") {
            self.log(LogLevel::Notice, &format!("Master does not support PSYNC or is in error state (reply: {text})"));
        } else {
            self.log(LogLevel::Warning, &format!("Unexpected reply to PSYNC from master: {text}"));
        }
        // The old protocol: SYNC, then the snapshot without an ID.
        self.log(LogLevel::Notice, "Retrying with SYNC...");
        if let Some(link) = self.link_mut() {
            link.out.extend_from_slice(b"SYNC\r\n");
            link.master_replid = "0".repeat(EOF_MARK_BYTES);
            link.initial_offset = -1;
        }
        self.start_transfer(now_ms);
        LinkStep::Continue
    }

    fn start_transfer(&mut self, now_ms: u64) {
        if let Some(link) = self.link_mut() {
            link.state = LinkState::Transfer;
            link.transfer = Transfer::default();
            link.last_io_s = now_ms / 1000;
        }
    }

    /// +CONTINUE: the cached master comes back to life (replicationResurrectCachedMaster). A new
    /// ID from the master becomes ours, with the old one kept as the secondary.
    fn continue_stream(&mut self, new_id: &str, now_ms: u64) {
        let Some(mut stream) = self.repl.link.as_mut().and_then(|l| l.cached.take()) else { return };
        if new_id.len() == EOF_MARK_BYTES && new_id != stream.replid {
            self.log(LogLevel::Warning, &format!("Master replication ID changed to {new_id}"));
            self.repl.replid2 = Some(stream.replid.clone());
            self.repl.second_offset = self.repl.offset as i64 + 1;
            self.repl.replid = Some(new_id.to_string());
            stream.replid = new_id.to_string();
            self.repl_disconnect_replicas();
        }
        stream.read_reploff = stream.reploff;
        self.attach_master_client(stream, now_ms);
        if self.repl.backlog.is_none() {
            self.repl_create_backlog_keeping_id();
        }
    }

    /// Creates the master client for the synchronised link (replicationCreateMasterClient).
    fn attach_master_client(&mut self, stream: MasterStream, now_ms: u64) {
        let (host, port) = match &self.repl.link {
            Some(l) => (l.host.clone(), l.port),
            None => return,
        };
        let id = self.connect(format!("{host}:{port}"), String::new(), now_ms);
        if let Some(client) = self.clients.get_mut(&id) {
            client.master = true;
            client.authenticated = true;
            client.db = stream.db.min(self.dbs.len().saturating_sub(1));
        }
        let Some(link) = self.link_mut() else { return };
        link.client_id = Some(id);
        link.stream = Some(stream);
        link.state = LinkState::Connected;
        link.down_since_s = 0;
        link.last_io_s = now_ms / 1000;
    }

    /// The RDB loaded at start-up recorded a replication history: a replica continues it
    /// (PSYNC with that ID and offset), as Redis's loadDataFromDisk with a valid rdbSaveInfo.
    pub fn repl_restore_from_rdb(&mut self, replid: String, offset: u64, db: usize) {
        let Some(link) = self.repl.link.as_mut() else { return };
        if link.client_id.is_some() {
            return;
        }
        link.cached =
            Some(MasterStream { replid: replid.clone(), reploff: offset, read_reploff: offset, db, pre_psync: false });
        self.repl.replid = Some(replid);
        self.repl.offset = offset;
    }

    /// What a snapshot records of replication (rdbPopulateSaveInfo): a master with a backlog
    /// gives its stream's database; a replica its master's (or the cached master's).
    pub fn repl_save_info(&self) -> Option<(usize, String, u64)> {
        let id = self.repl.replid.clone()?;
        let db = match &self.repl.link {
            None if self.repl.backlog.is_some() => self.repl.seldb.unwrap_or(0),
            None => return None,
            Some(link) => match (&link.stream, &link.cached) {
                (Some(s), _) if link.client_id.is_some() => {
                    link.client_id.and_then(|c| self.clients.get(&c)).map_or(s.db, |c| c.db)
                }
                (_, Some(c)) => c.db,
                _ => return None,
            },
        };
        Some((db, id, self.repl.offset))
    }

    /// The master client's id while the link is synchronised.
    pub fn repl_master_client(&self) -> Option<u64> {
        self.repl.link.as_ref().and_then(|l| l.client_id)
    }

    /// True while the running or given client is the master's.
    pub fn is_master_client(&self, client_id: u64) -> bool {
        self.repl_master_client() == Some(client_id)
    }

    /// Snapshot bytes from the master. Returns how many of `data` were taken: once the snapshot
    /// is complete and loaded the rest belongs to the stream. Err when the transfer failed (the
    /// server closes the socket; the engine reconnects).
    pub fn repl_link_transfer(&mut self, data: &[u8], now_ms: u64) -> Result<usize, ()> {
        let Some(link) = self.link_mut() else { return Err(()) };
        link.last_io_s = now_ms / 1000;
        if !link.transfer.started {
            return self.transfer_header_lines(data, now_ms);
        }
        let t = &mut link.transfer;
        let (used, complete) = match (t.size, &t.eof_mark) {
            (Some(size), _) => {
                let take = (size.saturating_sub(t.data.len() as u64) as usize).min(data.len());
                t.data.extend_from_slice(&data[..take]);
                (take, t.data.len() as u64 == size)
            }
            (None, Some(mark)) => {
                // The mark may straddle two reads: search from just before the new bytes.
                let from = t.data.len().saturating_sub(EOF_MARK_BYTES - 1);
                t.data.extend_from_slice(data);
                match t.data[from..].windows(EOF_MARK_BYTES).position(|w| w == mark.as_slice()) {
                    Some(at) => {
                        let end = from + at;
                        // Bytes after the mark belong to the stream.
                        let after = t.data.len() - end - EOF_MARK_BYTES;
                        t.data.truncate(end);
                        (data.len() - after, true)
                    }
                    None => (data.len(), false),
                }
            }
            (None, None) => (data.len(), false),
        };
        if complete {
            let eof_form = t.eof_mark.is_some();
            let payload = std::mem::take(&mut t.data);
            self.repl_load_snapshot(&payload, eof_form, now_ms)?;
        }
        Ok(used)
    }

    /// The lines before the snapshot: keep-alive newlines, an error, or the bulk's header.
    fn transfer_header_lines(&mut self, data: &[u8], now_ms: u64) -> Result<usize, ()> {
        let mut used = 0;
        // Each round consumes a line, so the rounds are bounded by the bytes.
        for _ in 0..=data.len() {
            let Some(end) = data[used..].iter().position(|&b| b == b'\n') else {
                if data.len() - used > MAX_LINE_BYTES {
                    return self.transfer_failed("Bad protocol from MASTER: header line too long");
                }
                return Ok(used);
            };
            let line = &data[used..used + end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            used += end + 1;
            match line.first() {
                None => continue,
                Some(b'-') => {
                    let text = String::from_utf8_lossy(&line[1..]).into_owned();
                    return self.transfer_failed(&format!("MASTER aborted replication with an error: {text}"));
                }
                Some(b'$') => {
                    self.transfer_header(&line[1..]);
                    let rest = self.repl_link_transfer(&data[used..], now_ms)?;
                    return Ok(used + rest);
                }
                Some(_) => {
                    let text = String::from_utf8_lossy(line).into_owned();
                    return self.transfer_failed(&format!("Bad protocol from MASTER, the first byte is not '$' (we received '{text}'), are you sure the host and port are right?"));
                }
            }
        }
        Ok(used)
    }

    /// `$<len>` or `$EOF:<40 bytes>`.
    fn transfer_header(&mut self, spec: &[u8]) {
        let Some(link) = self.link_mut() else { return };
        let t = &mut link.transfer;
        t.started = true;
        let line = if let Some(mark) = spec.strip_prefix(b"EOF:").filter(|m| m.len() >= EOF_MARK_BYTES) {
            t.eof_mark = Some(mark[..EOF_MARK_BYTES].to_vec());
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk".to_string()
        } else {
            let size = std::str::from_utf8(spec).ok().and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or(0);
            t.size = Some(size);
            format!("MASTER <-> REPLICA sync: receiving {size} bytes from master to disk")
        };
        self.log(LogLevel::Notice, &line);
    }

    fn transfer_failed(&mut self, line: &str) -> Result<usize, ()> {
        self.log(LogLevel::Warning, line);
        self.repl_close_link(false);
        Err(())
    }

    /// The whole snapshot arrived (the end of readSyncBulkPayload): the old data goes, the
    /// snapshot is loaded, and the master client starts at the master's offset.
    fn repl_load_snapshot(&mut self, payload: &[u8], eof_form: bool, now_ms: u64) -> Result<(), ()> {
        // replicationAttachToNewMaster: a new history; our replicas must synchronise again.
        if let Some(link) = self.link_mut() {
            link.cached = None;
        }
        self.repl_disconnect_replicas();
        self.repl.backlog = None;
        let aof_was_on = self.aof_on();
        if aof_was_on {
            self.aof_stop(now_ms);
        }
        if self.rdb_child_running() {
            self.log(LogLevel::Notice, "Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process and removing its temp file to avoid any race");
            self.kill_rdb_child_now();
        }
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Flushing old data");
        let lazy = self.config.bool_value(index_of("replica-lazy-flush"));
        self.empty_dbs(0..self.dbs.len(), lazy);
        self.scripting.functions.flush();
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Loading DB in memory");
        let stream_db = match self.load_payload(payload, now_ms) {
            Ok(db) => db,
            Err(e) => {
                self.log(
                    LogLevel::Warning,
                    &format!("Failed trying to load the MASTER synchronization DB from disk: {e}"),
                );
                self.empty_dbs(0..self.dbs.len(), lazy);
                self.repl_close_link(false);
                return Err(());
            }
        };
        let Some(link) = self.link_mut() else { return Err(()) };
        let replid = link.master_replid.clone();
        let initial = link.initial_offset;
        let offset = initial.max(0) as u64;
        let stream = MasterStream {
            replid: replid.clone(),
            reploff: offset,
            read_reploff: offset,
            db: stream_db,
            pre_psync: initial < 0,
        };
        self.attach_master_client(stream, now_ms);
        self.repl.replid = Some(replid);
        self.repl.offset = offset;
        self.repl.replid2 = None;
        self.repl.second_offset = -1;
        self.repl_create_backlog_keeping_id();
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Finished with success");
        if eof_form {
            // The master puts a replica that got a streamed snapshot online at its first ACK.
            self.repl_send_ack();
        }
        if aof_was_on {
            let _ = self.aof_start(now_ms);
        }
        Ok(())
    }

    /// Loads a snapshot into the (empty) databases; returns the stream's database it records.
    fn load_payload(&mut self, payload: &[u8], now_ms: u64) -> Result<usize, String> {
        use crate::persist::load::Loader;
        use crate::persist::rdb::input::SliceSource;
        let verify = self.config.bool_value(index_of("rdbchecksum"));
        let mut loader = Loader::new(SliceSource::new(payload), now_ms, false, verify).map_err(|e| e.to_string())?;
        // A replica keeps keys that expired: the master's DELs remove them.
        loader.keep_expired = true;
        // Each step reads at least one record, so the bytes bound the steps.
        for _ in 0..=payload.len() {
            if loader.step(self, 1 << 20).map_err(|e| e.to_string())? {
                self.finish_load(loader.stats);
                return Ok(loader.repl_stream_db.unwrap_or(0) as usize);
            }
        }
        Err("the snapshot did not end".to_string())
    }

    /// Creates the backlog with the current ID (a replica's backlog continues its master's).
    fn repl_create_backlog_keeping_id(&mut self) {
        let capacity_bytes = self.config.num_value(index_of("repl-backlog-size")).max(1) as usize;
        self.repl.backlog = Some(super::Backlog::new(capacity_bytes, self.repl.offset + 1));
        self.prop.enabled = true;
    }

    /// Bytes read from the master (the stream, possibly an incomplete command).
    pub fn repl_master_read(&mut self, bytes: usize, now_ms: u64) {
        let Some(link) = self.link_mut() else { return };
        link.last_io_s = now_ms / 1000;
        if let Some(s) = link.stream.as_mut() {
            s.read_reploff += bytes as u64;
        }
    }

    /// A command of the stream ran (`raw` is how it arrived): its bytes count once it is
    /// complete, a MULTI/EXEC at its EXEC, and go verbatim to the backlog and our replicas
    /// (replicationFeedStreamFromMasterStream).
    pub fn repl_master_applied(&mut self, raw: &[u8]) {
        let Some(id) = self.repl_master_client() else { return };
        let in_multi = self.clients.get(&id).is_some_and(|c| c.multi.active);
        let db = self.clients.get(&id).map_or(0, |c| c.db);
        let Some(link) = self.link_mut() else { return };
        link.pending.extend_from_slice(raw);
        if in_multi {
            return;
        }
        let bytes = std::mem::take(&mut link.pending);
        if let Some(s) = link.stream.as_mut() {
            s.reploff += bytes.len() as u64;
            s.db = db;
        }
        self.repl_feed_bytes(&bytes);
    }

    /// A command of the master's stream failed: the data may have diverged (afterErrorReply).
    pub(crate) fn repl_master_error(&mut self, text: &str, command: &str) {
        let text: String = text.chars().take(4096).collect();
        let command = if command == "NULL" { "<unknown>" } else { command };
        let line = format!(
            "== CRITICAL == This replica is sending an error to its master: '{text}' after processing the command '{command}'"
        );
        self.log(LogLevel::Warning, &line);
        self.stats.unexpected_error_replies += 1;
    }

    /// REPLCONF ACK <offset> to the master (replicationSendAck).
    pub fn repl_send_ack(&mut self) {
        let Some(link) = self.link_mut() else { return };
        let Some(offset) = link.stream.as_ref().map(|s| s.reploff) else { return };
        let argv = [b"REPLCONF".to_vec(), b"ACK".to_vec(), offset.to_string().into_bytes()];
        encode_command(&mut link.out, &argv);
    }

    /// The master client is going away (its connection closed or was killed): its stream is
    /// cached for a PSYNC, and the link reconnects (replicationCacheMaster).
    pub(crate) fn repl_master_disconnected(&mut self, client_id: u64, now_ms: u64) {
        if !self.is_master_client(client_id) {
            return;
        }
        self.log(LogLevel::Notice, "Connection with master lost.");
        self.log(LogLevel::Notice, "Caching the disconnected master state.");
        self.repl_close_link(true);
        let Some(link) = self.link_mut() else { return };
        link.down_since_s = now_ms / 1000;
        link.connect_now = true;
        let line = format!("Reconnecting to MASTER {}:{}", link.host, link.port);
        self.log(LogLevel::Notice, &line);
    }

    /// The replica's part of the replication cron (once a second): timeouts, ACKs.
    pub(super) fn repl_replica_cron(&mut self, now_ms: u64) {
        let Some(link) = self.link_mut() else { return };
        if now_ms < link.next_cron_ms {
            return;
        }
        link.next_cron_ms = now_ms + 1000;
        let now_s = now_ms / 1000;
        let timeout_s = self.config.num_value(index_of("repl-timeout")).max(1) as u64;
        let Some(link) = self.repl.link.as_ref() else { return };
        let idle_s = now_s.saturating_sub(link.last_io_s);
        let (state, master_id) = (link.state, link.client_id);
        if (state == LinkState::Connecting || state.in_handshake()) && idle_s > timeout_s {
            self.log(LogLevel::Warning, "Timeout connecting to the MASTER...");
            self.repl_close_link(false);
        } else if state == LinkState::Transfer && idle_s > timeout_s {
            self.log(LogLevel::Warning, "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            self.repl_close_link(false);
        } else if state == LinkState::Connected && idle_s > timeout_s {
            self.log(LogLevel::Warning, "MASTER timeout: no data nor PING received...");
            if let Some(id) = master_id {
                self.repl_master_disconnected(id, now_ms);
            }
        }
        let Some(link) = self.link_mut() else { return };
        if link.state == LinkState::Connect {
            link.connect_now = true;
        }
        if link.stream.as_ref().is_some_and(|s| !s.pre_psync) && link.client_id.is_some() {
            self.repl_send_ack();
        }
    }

    /// What the server must write to the master.
    pub fn repl_link_take_output(&mut self) -> Vec<u8> {
        self.link_mut().map(|l| std::mem::take(&mut l.out)).unwrap_or_default()
    }

    /// The link state, if a replica.
    pub fn repl_link_state(&self) -> Option<LinkState> {
        self.repl.link.as_ref().map(|l| l.state)
    }

    /// The master's address, and whether the server should connect now.
    pub fn repl_link_wants_connect(&self) -> Option<(String, i64)> {
        let link = self.repl.link.as_ref()?;
        (link.state == LinkState::Connect && link.connect_now).then(|| (link.host.clone(), link.port))
    }
}
