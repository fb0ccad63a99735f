//! Replication, the master's side (Redis 7.0's replication.c as seen from a master): replicas
//! attach with SYNC or PSYNC, receive an RDB snapshot taken by the background saver, then the
//! stream of propagated commands (the same units the AOF gets), and report how far they got
//! with REPLCONF ACK. A backlog of the latest stream bytes lets a replica that lost its link
//! continue with PSYNC instead of a new snapshot.
//!
//! The transfer is always disk-based (Redis with `repl-diskless-sync no`): the snapshot is the
//! RDB file a BGSAVE writes, sent as one bulk (`$<len>\r\n` + bytes). Replicas that announce
//! `capa eof` accept that form too, so a real redis-server replicates from verdis.
//!
//! A replica moves through the states Redis gives it: waiting for a BGSAVE to start, waiting for
//! it to end (the stream since the fork point is kept here meanwhile), sending the bulk (the
//! server writes the file's bytes; the stream still waits), online (stream bytes go out as they
//! are produced). The engine stays sans-IO: what a replica must receive goes through the outbox,
//! except the bulk, which the server takes with `repl_take_bulk` so that the output-buffer limits
//! do not count it (Redis does not either: it sends the file outside the reply buffers).

pub mod replica;

use super::propagate::PropOp;
use super::Engine;
use crate::persist::aof::writer::encode_command;
use crate::resp::Frame;
use rand_core::RngCore;
use std::collections::{BTreeMap, VecDeque};

/// Where a replica is in its synchronisation (Redis's SLAVE_STATE_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// No snapshot it can use is being made yet.
    WaitBgsaveStart,
    /// The snapshot it will get is being written; stream bytes since its fork are kept.
    WaitBgsaveEnd,
    /// The server is sending the snapshot file.
    SendBulk,
    /// It receives the stream as it is produced.
    Online,
}

impl ReplicaState {
    /// The `state=` INFO shows.
    pub fn info_name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// One attached replica.
#[derive(Debug)]
pub struct Replica {
    pub client_id: u64,
    pub state: ReplicaState,
    /// Attached with SYNC (old protocol): no +FULLRESYNC line and no ACKs expected.
    pub pre_psync: bool,
    /// REPLCONF listening-port (0 when not announced).
    pub listening_port: i64,
    /// REPLCONF ip-address, else the connection's address.
    pub announced_ip: Option<String>,
    /// The connection's IP address.
    pub peer_ip: String,
    /// The highest offset it acknowledged, and when (Unix seconds).
    pub ack_offset: u64,
    pub ack_s: u64,
    /// The stream offset its snapshot corresponds to.
    pub initial_offset: u64,
    /// Stream bytes produced since its snapshot's fork, not yet sent.
    pub held: Vec<u8>,
    /// The snapshot file's bytes, framed as a bulk, until the server takes them.
    pub bulk: Option<Vec<u8>>,
}

/// The latest stream bytes (Redis's repl_backlog).
#[derive(Debug)]
pub struct Backlog {
    bytes: VecDeque<u8>,
    capacity_bytes: usize,
    /// The offset of the first byte held (Redis counts offsets from 1 here).
    pub first_offset: u64,
}

impl Backlog {
    fn new(capacity_bytes: usize, first_offset: u64) -> Backlog {
        Backlog { bytes: VecDeque::new(), capacity_bytes, first_offset }
    }

    pub fn histlen(&self) -> usize {
        self.bytes.len()
    }

    fn push(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        let excess = self.bytes.len().saturating_sub(self.capacity_bytes);
        if excess > 0 {
            self.bytes.drain(..excess);
            self.first_offset += excess as u64;
        }
    }

    /// The bytes from `offset` (1-based) to the end, if the backlog holds them.
    fn since(&self, offset: u64) -> Option<Vec<u8>> {
        let end = self.first_offset + self.bytes.len() as u64;
        if offset < self.first_offset || offset > end {
            return None;
        }
        Some(self.bytes.iter().skip((offset - self.first_offset) as usize).copied().collect())
    }
}

/// The master's replication state.
#[derive(Debug)]
pub struct Replication {
    /// The replication ID once a backlog exists (INFO shows a run-derived one before).
    pub replid: Option<String>,
    /// master_repl_offset: bytes of stream produced.
    pub offset: u64,
    pub backlog: Option<Backlog>,
    pub replicas: Vec<Replica>,
    /// The database the stream last selected (None: the next command selects).
    seldb: Option<usize>,
    /// The running background save was started for replicas.
    pub rdb_for_sync: bool,
    /// Clients blocked in WAIT: the offset they wait for and how many replicas they want.
    pub waiting: BTreeMap<u64, (u64, i64)>,
    /// A WAIT blocked since the last cron: ask the replicas for an ACK (REPLCONF GETACK).
    pub getack_wanted: bool,
    /// What clients announced with REPLCONF before attaching: listening port, address.
    announced: BTreeMap<u64, (i64, Option<String>)>,
    /// Clients that announced `REPLCONF capa eof` (they accept a diskless transfer, so the
    /// save for them may wait `repl-diskless-sync-delay` for more replicas).
    capa_eof: std::collections::BTreeSet<u64>,
    last_ping_s: u64,
    last_newline_ms: u64,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// The replication ID this server had before its current one (shifted by REPLICAOF NO ONE
    /// or a master's new ID), and the first offset it is not valid for.
    pub replid2: Option<String>,
    pub second_offset: i64,
    /// A command of the master's stream is running (expired keys still exist for it).
    pub applying_master: bool,
    /// The link with the master, when this server is a replica.
    pub link: Option<replica::MasterLink>,
    /// Changes whenever the link's connection must be dropped (the server closes its socket).
    pub link_epoch: u64,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replid: None,
            offset: 0,
            backlog: None,
            replicas: Vec::new(),
            seldb: None,
            rdb_for_sync: false,
            waiting: BTreeMap::new(),
            getack_wanted: false,
            announced: BTreeMap::new(),
            capa_eof: std::collections::BTreeSet::new(),
            last_ping_s: 0,
            last_newline_ms: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            replid2: None,
            second_offset: -1,
            applying_master: false,
            link: None,
            link_epoch: 0,
        }
    }
}

impl Replication {
    pub fn replica(&self, client_id: u64) -> Option<&Replica> {
        self.replicas.iter().find(|r| r.client_id == client_id)
    }

    fn replica_mut(&mut self, client_id: u64) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.client_id == client_id)
    }

    pub fn is_replica(&self, client_id: u64) -> bool {
        self.replica(client_id).is_some()
    }

    /// Online replicas that acknowledged at least `offset` (replicationCountAcksByOffset).
    pub fn acked(&self, offset: u64) -> i64 {
        self.replicas.iter().filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset).count() as i64
    }

    /// Online replicas whose last ACK is at most `max_lag_s` old (refreshGoodSlavesCount).
    pub fn good_replicas(&self, now_s: u64, max_lag_s: u64) -> usize {
        self.replicas
            .iter()
            .filter(|r| r.state == ReplicaState::Online && now_s.saturating_sub(r.ack_s) <= max_lag_s)
            .count()
    }
}

/// How log lines name a replica (replicationGetSlaveName).
fn replica_name(ip: &str, port: i64) -> String {
    if port == 0 {
        format!("{ip}:<unknown-replica-port>")
    } else {
        format!("{ip}:{port}")
    }
}

/// 40 hexadecimal digits from the engine's seeded generator, mixed with what tells this run from
/// others (start time, process id, port): Redis draws them at random, and two servers must not
/// share an ID, or a replica moving between them would continue a history it does not have.
fn new_replid(engine: &mut Engine) -> String {
    let mut input = Vec::with_capacity(40);
    input.extend_from_slice(&engine.rng.next_u64().to_le_bytes());
    input.extend_from_slice(&engine.start_ms.to_le_bytes());
    input.extend_from_slice(&u64::from(engine.process.pid).to_le_bytes());
    input.extend_from_slice(&u64::from(engine.process.tcp_port).to_le_bytes());
    let a = xxhash_rust::xxh3::xxh3_128(&input);
    input.push(1);
    let b = xxhash_rust::xxh3::xxh3_64(&input);
    format!("{a:032x}{:08x}", b >> 32)
}

impl Engine {
    /// Appends emitted units to the stream: the backlog, online replicas (through the outbox)
    /// and replicas waiting for their snapshot (held). Redis's replicationFeedSlaves.
    pub(super) fn repl_feed(&mut self, ops: &[PropOp]) {
        // A replica passes its master's stream on verbatim instead (`repl_master_applied`).
        if self.repl.backlog.is_none() || self.repl.link.is_some() {
            return;
        }
        let mut bytes = Vec::new();
        for (db, argv) in ops {
            if self.repl.seldb != Some(*db) {
                encode_command(&mut bytes, &[b"SELECT".to_vec(), db.to_string().into_bytes()]);
                self.repl.seldb = Some(*db);
            }
            encode_command(&mut bytes, argv);
        }
        self.repl_feed_bytes(&bytes);
    }

    /// DEBUG REPLICATE: a command for the replicas only, in the database the stream last
    /// selected (no SELECT of its own), as Redis's replicationFeedSlaves with slaveseldb.
    pub fn repl_feed_raw_command(&mut self, argv: &[Vec<u8>]) {
        if self.repl.link.is_some() {
            return;
        }
        let mut bytes = Vec::new();
        encode_command(&mut bytes, argv);
        self.repl_feed_bytes(&bytes);
    }

    fn repl_feed_bytes(&mut self, bytes: &[u8]) {
        let Some(backlog) = self.repl.backlog.as_mut() else { return };
        backlog.push(bytes);
        self.repl.offset += bytes.len() as u64;
        for r in &mut self.repl.replicas {
            match r.state {
                ReplicaState::WaitBgsaveStart => {}
                ReplicaState::WaitBgsaveEnd | ReplicaState::SendBulk => r.held.extend_from_slice(bytes),
                ReplicaState::Online => self.outbox.push((r.client_id, Frame::Raw(bytes.to_vec()))),
            }
        }
    }

    /// SYNC, or PSYNC with `psync = Some((replid, offset))`: attaches the client as a replica.
    /// The reply (if any) goes through the outbox.
    pub fn repl_sync(&mut self, client_id: u64, peer_addr: &str, psync: Option<(&[u8], i64)>, now_ms: u64) {
        if self.repl.is_replica(client_id) {
            return;
        }
        let now_s = now_ms / 1000;
        let peer_ip = peer_addr.rsplit_once(':').map_or(peer_addr, |(ip, _)| ip).to_string();
        let (port, announced) = self.repl.announced.get(&client_id).cloned().unwrap_or_default();
        let name = replica_name(announced.as_deref().unwrap_or(&peer_ip), port);
        self.persist.log(crate::engine::config::LogLevel::Notice, &format!("Replica {name} asks for synchronization"));
        if let Some((replid, offset)) = psync {
            if self.repl_try_partial(client_id, &peer_ip, replid, offset, now_s) {
                self.repl.sync_partial_ok += 1;
                return;
            }
            if replid.first() != Some(&b'?') {
                self.repl.sync_partial_err += 1;
            }
        }
        self.repl.sync_full += 1;
        if self.repl.replicas.is_empty() {
            // The first PING goes out a period after a replica appears.
            self.repl.last_ping_s = now_s;
        }
        self.attach_replica(client_id, ReplicaState::WaitBgsaveStart, psync.is_none(), &peer_ip, 0, now_s);
        self.repl_create_backlog();
        // A save for replicas is running: this replica shares it, with the stream held so far.
        let shared = self
            .repl
            .replicas
            .iter()
            .find(|r| r.state == ReplicaState::WaitBgsaveEnd && self.repl.rdb_for_sync)
            .map(|r| (r.held.clone(), r.initial_offset));
        if let Some((held, initial_offset)) = shared {
            if let Some(r) = self.repl.replica_mut(client_id) {
                r.held = held;
            }
            self.repl_setup_full_resync(client_id, initial_offset);
            self.persist.log(crate::engine::config::LogLevel::Notice, "Waiting for end of BGSAVE for SYNC");
        } else if self.rdb_child_running() || self.persist.aof.rewrite.is_some() {
            self.persist.log(
                crate::engine::config::LogLevel::Notice,
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
            );
        } else if self.config.bool_value(super::config::index_of("repl-diskless-sync"))
            && self.repl.capa_eof.contains(&client_id)
            && self.config.num_value(super::config::index_of("repl-diskless-sync-delay")) > 0
        {
            // The cron starts the save once the delay passed, for every replica that came.
            self.persist.log(crate::engine::config::LogLevel::Notice, "Delay next BGSAVE for diskless SYNC");
        } else {
            self.repl_start_bgsave(now_ms);
        }
    }

    /// PSYNC with an offset that is not a number: Redis logs it (the client gets an error).
    pub fn repl_log_wrong_offset(&mut self, client_id: u64, peer_addr: &str) {
        let peer_ip = peer_addr.rsplit_once(':').map_or(peer_addr, |(ip, _)| ip);
        let (port, announced) = self.repl.announced.get(&client_id).cloned().unwrap_or_default();
        let name = replica_name(announced.as_deref().unwrap_or(peer_ip), port);
        let line = format!("Replica {name} asks for synchronization but with a wrong offset");
        self.persist.log(crate::engine::config::LogLevel::Warning, &line);
    }

    /// A replica's command produced a reply (Redis's _addReplyToBufferOrList for a replica): the
    /// reply is dropped and the replica disconnected, with an error logged as critical first.
    /// Returns true when the reply must be dropped.
    pub(super) fn repl_replica_replied(&mut self, client: &mut super::client::ClientState, reply: &Frame) -> bool {
        if matches!(reply, Frame::Raw(bytes) if bytes.is_empty()) {
            return false;
        }
        use crate::engine::config::LogLevel;
        let command = if client.last_cmd == "NULL" { "<unknown>" } else { client.last_cmd };
        if let Some(text) = reply.error_text() {
            let line = format!(
                "== CRITICAL == This master is sending an error to its replica: '{text}' after processing the command '{command}'"
            );
            self.persist.log(LogLevel::Warning, &line);
            self.stats.unexpected_error_replies += 1;
        }
        let info = crate::cmd::connection::client::client_info_line(client, self, self.now_ms);
        let line = format!("Replica generated a reply to command '{command}', disconnecting it: {info}");
        self.persist.log(LogLevel::Warning, &line);
        client.close_after_reply = true;
        true
    }

    /// REPLCONF capa eof.
    pub fn repl_set_capa_eof(&mut self, client_id: u64) {
        self.repl.capa_eof.insert(client_id);
    }

    /// Whether the cron starts the save replicas wait for (shouldStartChildReplication): with
    /// diskless sync on, once the longest-waiting replica waited `repl-diskless-sync-delay`
    /// seconds or `repl-diskless-sync-max-replicas` are waiting.
    fn repl_should_start_bgsave(&self, now_s: u64) -> bool {
        if self.rdb_child_running() || self.persist.aof.rewrite.is_some() {
            return false;
        }
        let waiting: Vec<&Replica> =
            self.repl.replicas.iter().filter(|r| r.state == ReplicaState::WaitBgsaveStart).collect();
        if waiting.is_empty() {
            return false;
        }
        let index_of = super::config::index_of;
        let max_replicas = self.config.num_value(index_of("repl-diskless-sync-max-replicas"));
        let delay_s = self.config.num_value(index_of("repl-diskless-sync-delay")).max(0) as u64;
        let max_idle_s = waiting.iter().map(|r| now_s.saturating_sub(r.ack_s)).max().unwrap_or(0);
        !self.config.bool_value(index_of("repl-diskless-sync"))
            || (max_replicas > 0 && waiting.len() as i64 >= max_replicas)
            || max_idle_s >= delay_s
    }

    /// Records a new replica, with what it announced with REPLCONF before attaching. (The
    /// SYNC/PSYNC handler marks the running client itself as a replica.)
    fn attach_replica(
        &mut self,
        client_id: u64,
        state: ReplicaState,
        pre_psync: bool,
        peer_ip: &str,
        initial_offset: u64,
        now_s: u64,
    ) {
        let (listening_port, announced_ip) = self.repl.announced.get(&client_id).cloned().unwrap_or_default();
        self.repl.replicas.push(Replica {
            client_id,
            state,
            pre_psync,
            listening_port,
            announced_ip,
            peer_ip: peer_ip.to_string(),
            ack_offset: 0,
            ack_s: now_s,
            initial_offset,
            held: Vec::new(),
            bulk: None,
        });
    }

    /// A readable name for log lines (replicationGetSlaveName).
    fn replica_name(&self, client_id: u64) -> String {
        let port = self.repl.replica(client_id).map_or(0, |r| r.listening_port);
        replica_name(&self.replica_ip(client_id), port)
    }

    /// The address a replica announced (REPLCONF ip-address), else its connection's.
    pub fn replica_ip(&self, client_id: u64) -> String {
        self.repl
            .replica(client_id)
            .map(|r| r.announced_ip.clone().unwrap_or_else(|| r.peer_ip.clone()))
            .unwrap_or_default()
    }

    /// REPLCONF listening-port, sent before SYNC/PSYNC: kept for the replica to come.
    pub fn repl_set_listening_port(&mut self, client_id: u64, port: i64) {
        self.repl.announced.entry(client_id).or_default().0 = port;
        if let Some(r) = self.repl.replica_mut(client_id) {
            r.listening_port = port;
        }
    }

    /// REPLCONF ip-address.
    pub fn repl_set_ip(&mut self, client_id: u64, ip: String) {
        self.repl.announced.entry(client_id).or_default().1 = Some(ip.clone());
        if let Some(r) = self.repl.replica_mut(client_id) {
            r.announced_ip = Some(ip);
        }
    }

    /// Creates the backlog when the first replica arrives, with a new replication ID.
    fn repl_create_backlog(&mut self) {
        if self.repl.backlog.is_some() {
            return;
        }
        let capacity_bytes = self.config.num_value(super::config::index_of("repl-backlog-size")).max(1) as usize;
        self.repl.replid = Some(new_replid(self));
        self.repl.replid2 = None;
        self.repl.second_offset = -1;
        self.repl.backlog = Some(Backlog::new(capacity_bytes, self.repl.offset + 1));
        self.prop.enabled = true;
        let id = self.repl.replid.clone().unwrap_or_default();
        self.persist.log(
            crate::engine::config::LogLevel::Notice,
            &format!("Replication backlog created, my new replication IDs are '{id}' and '{}'", "0".repeat(40)),
        );
    }

    /// PSYNC with a known ID and an offset the backlog holds: +CONTINUE and the missing bytes.
    fn repl_try_partial(&mut self, client_id: u64, peer_ip: &str, replid: &[u8], offset: i64, now_s: u64) -> bool {
        let ours = self.repl.replid.as_deref().map(str::as_bytes);
        let previous = self.repl.replid2.as_deref().map(str::as_bytes);
        // The previous ID is good up to the offset where it was replaced.
        let known = ours == Some(replid) || (previous == Some(replid) && offset <= self.repl.second_offset);
        if !known || offset < 0 {
            return false;
        }
        let Some(missing) = self.repl.backlog.as_ref().and_then(|b| b.since(offset as u64)) else {
            return false;
        };
        let id = self.repl.replid.clone().unwrap_or_default();
        self.attach_replica(client_id, ReplicaState::Online, false, peer_ip, offset as u64, now_s);
        self.outbox.push((client_id, Frame::Raw(format!("+CONTINUE {id}\r\n").into_bytes())));
        if !missing.is_empty() {
            self.outbox.push((client_id, Frame::Raw(missing)));
        }
        true
    }

    /// The snapshot that starts now (or is shared) is this replica's: from here the stream is
    /// held for it; a PSYNC replica learns the ID and offset (replicationSetupSlaveForFullResync).
    fn repl_setup_full_resync(&mut self, client_id: u64, initial_offset: u64) {
        let id = self.repl.replid.clone().unwrap_or_default();
        // The next command selects its database again, for the new replica's sake.
        self.repl.seldb = None;
        let Some(r) = self.repl.replica_mut(client_id) else { return };
        r.state = ReplicaState::WaitBgsaveEnd;
        r.initial_offset = initial_offset;
        if !r.pre_psync {
            self.outbox.push((client_id, Frame::Raw(format!("+FULLRESYNC {id} {initial_offset}\r\n").into_bytes())));
        }
    }

    /// Starts a background save for the replicas waiting for one (startBgsaveForReplication).
    fn repl_start_bgsave(&mut self, now_ms: u64) {
        use crate::engine::config::LogLevel;
        self.persist.log(LogLevel::Notice, "Starting BGSAVE for SYNC with target: disk");
        let waiting: Vec<u64> = self
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
            .map(|r| r.client_id)
            .collect();
        if self.rdb_bgsave(now_ms).is_err() {
            self.persist.log(LogLevel::Warning, "BGSAVE for replication failed");
            for id in waiting {
                self.repl_drop(id, Some("ERR BGSAVE failed, replication can't continue"));
            }
            return;
        }
        self.repl.rdb_for_sync = true;
        let offset = self.repl.offset;
        for id in waiting {
            self.repl_setup_full_resync(id, offset);
        }
    }

    /// Detaches a replica and closes its connection (after `error`, if given).
    fn repl_drop(&mut self, client_id: u64, error: Option<&str>) {
        self.repl.replicas.retain(|r| r.client_id != client_id);
        if let Some(e) = error {
            self.outbox.push((client_id, Frame::error(e)));
        }
        if let Some(client) = self.clients.get_mut(&client_id) {
            client.replica = false;
            client.killed = true;
        }
    }

    /// A background save ended (updateSlavesWaitingBgsave): replicas waiting for it get the
    /// file, or are dropped when it failed; replicas that could not share it get the next save,
    /// which the cron starts.
    pub fn repl_bgsave_done(&mut self, ok: bool) {
        self.repl.rdb_for_sync = false;
        let ending: Vec<u64> =
            self.repl.replicas.iter().filter(|r| r.state == ReplicaState::WaitBgsaveEnd).map(|r| r.client_id).collect();
        let file = if ok && !ending.is_empty() {
            let path = self.rdb_path();
            crate::persist::aof::load::read_all(self.persist.disk.as_mut(), &path).ok()
        } else {
            None
        };
        for id in ending {
            match &file {
                Some(bytes) => {
                    let mut bulk = format!("${}\r\n", bytes.len()).into_bytes();
                    bulk.extend_from_slice(bytes);
                    if let Some(r) = self.repl.replica_mut(id) {
                        r.state = ReplicaState::SendBulk;
                        r.bulk = Some(bulk);
                    }
                }
                None => {
                    self.persist
                        .log(crate::engine::config::LogLevel::Warning, "SYNC failed. BGSAVE child returned an error");
                    self.repl_drop(id, None);
                }
            }
        }
    }

    /// The snapshot bulks ready to send, by client (the server writes them, then calls
    /// `repl_bulk_sent`).
    pub fn repl_take_bulks(&mut self) -> Vec<(u64, Vec<u8>)> {
        self.repl.replicas.iter_mut().filter_map(|r| r.bulk.take().map(|b| (r.client_id, b))).collect()
    }

    /// The server wrote a replica's whole snapshot: it is online, and gets the held stream
    /// (returned, to go out right after the bulk).
    pub fn repl_bulk_sent(&mut self, client_id: u64, now_ms: u64) -> Vec<u8> {
        let Some(r) = self.repl.replica_mut(client_id) else { return Vec::new() };
        if r.state != ReplicaState::SendBulk || r.bulk.is_some() {
            return Vec::new();
        }
        r.state = ReplicaState::Online;
        r.ack_s = now_ms / 1000;
        let held = std::mem::take(&mut r.held);
        let name = self.replica_name(client_id);
        self.persist
            .log(crate::engine::config::LogLevel::Notice, &format!("Synchronization with replica {name} succeeded"));
        held
    }

    /// True when the client is a replica being sent its snapshot (its output is not limited).
    pub fn repl_sending_bulk(&self, client_id: u64) -> bool {
        self.repl.replica(client_id).is_some_and(|r| r.state == ReplicaState::SendBulk)
    }

    /// REPLCONF ACK from a replica.
    pub fn repl_ack(&mut self, client_id: u64, offset: u64, now_ms: u64) {
        let Some(r) = self.repl.replica_mut(client_id) else { return };
        r.ack_offset = r.ack_offset.max(offset);
        r.ack_s = now_ms / 1000;
        self.repl_serve_waiting();
    }

    /// Answers the WAIT clients whose replicas have acknowledged enough.
    fn repl_serve_waiting(&mut self) {
        let served: Vec<(u64, i64)> = self
            .repl
            .waiting
            .iter()
            .map(|(&id, &(offset, want))| (id, offset, want))
            .filter_map(|(id, offset, want)| {
                let acked = self.repl.acked(offset);
                (acked >= want).then_some((id, acked))
            })
            .collect();
        for (id, acked) in served {
            self.repl.waiting.remove(&id);
            self.unblock_with(id, Frame::Integer(acked));
        }
    }

    /// A WAIT that timed out answers with the replicas that acknowledged so far.
    pub(super) fn repl_wait_reply(&mut self, client_id: u64) -> Option<Frame> {
        let (offset, _) = self.repl.waiting.remove(&client_id)?;
        Some(Frame::Integer(self.repl.acked(offset)))
    }

    /// Replication work of the cron (replicationCron): newlines to replicas waiting for their
    /// snapshot, PING into the stream every `repl-ping-replica-period`, REPLCONF GETACK for
    /// WAIT, timed-out replicas dropped, a snapshot started for replicas waiting for one.
    pub fn repl_cron(&mut self, now_ms: u64) {
        self.repl_replica_cron(now_ms);
        if self.repl.replicas.is_empty() && self.repl.waiting.is_empty() {
            return;
        }
        let now_s = now_ms / 1000;
        if self.repl.getack_wanted {
            self.repl.getack_wanted = false;
            let db = self.repl.seldb.unwrap_or(0);
            self.repl_feed(&[(db, vec![b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()])]);
        }
        let period_s = self.config.num_value(super::config::index_of("repl-ping-replica-period")).max(1) as u64;
        // A replica's replicas get its master's PINGs.
        if now_s >= self.repl.last_ping_s + period_s && !self.repl.replicas.is_empty() && self.repl.link.is_none() {
            self.repl.last_ping_s = now_s;
            // PING goes in the database last selected: no SELECT of its own.
            let db = self.repl.seldb.unwrap_or(0);
            let saved = self.repl.seldb;
            self.repl.seldb = Some(db);
            let mut bytes = Vec::new();
            encode_command(&mut bytes, &[b"PING".to_vec()]);
            self.repl_feed_bytes(&bytes);
            self.repl.seldb = saved;
        }
        if now_ms >= self.repl.last_newline_ms + 1000 {
            self.repl.last_newline_ms = now_ms;
            for r in &self.repl.replicas {
                if matches!(r.state, ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd) {
                    self.outbox.push((r.client_id, Frame::Raw(b"\n".to_vec())));
                }
            }
        }
        let timeout_s = self.config.num_value(super::config::index_of("repl-timeout")).max(1) as u64;
        let timed_out: Vec<u64> = self
            .repl
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::Online && !r.pre_psync && now_s.saturating_sub(r.ack_s) > timeout_s)
            .map(|r| r.client_id)
            .collect();
        for id in timed_out {
            self.persist
                .log(crate::engine::config::LogLevel::Warning, "Disconnecting timedout replica (streaming sync)");
            self.repl_drop(id, None);
        }
        if self.repl_should_start_bgsave(now_s) {
            self.repl_start_bgsave(now_ms);
        }
    }

    /// A disconnected client stops being a replica or waiting in WAIT.
    pub(super) fn repl_forget(&mut self, client_id: u64) {
        let now_ms = self.now_ms;
        self.repl_master_disconnected(client_id, now_ms);
        self.repl.announced.remove(&client_id);
        self.repl.capa_eof.remove(&client_id);
        self.repl.replicas.retain(|r| r.client_id != client_id);
        self.repl.waiting.remove(&client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_keeps_the_latest_bytes() {
        let mut b = Backlog { bytes: VecDeque::new(), capacity_bytes: 4, first_offset: 1 };
        b.push(b"abc");
        assert_eq!(b.since(1), Some(b"abc".to_vec()));
        assert_eq!(b.since(4), Some(Vec::new()));
        assert_eq!(b.since(5), None);
        b.push(b"def");
        assert_eq!(b.first_offset, 3);
        assert_eq!(b.since(3), Some(b"cdef".to_vec()));
        assert_eq!(b.since(2), None);
        assert_eq!(b.histlen(), 4);
    }
}
