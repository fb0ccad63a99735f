//! A replica's connection to its master (the socket side of Redis's connectWithMaster,
//! syncWithMaster, readSyncBulkPayload and the master client's readQueryFromClient). The engine
//! decides (`engine::repl::replica`); this file connects, reads and writes without blocking, so
//! other clients are served while the link is set up, the snapshot arrives and the stream flows.

use super::conn::{Conn, ReadOutcome};
use super::event_loop::{unix_ms, EventLoop, FIRST_CONN_TOKEN};
use super::log::{self, Level};
use crate::engine::repl::replica::{LinkState, LinkStep};
use crate::resp::ParseLimits;
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::net::ToSocketAddrs;

/// The connection of the link, in the event loop's connection table.
pub struct LinkConn {
    pub slot: usize,
    /// The engine's link epoch when it was made: a change means the engine dropped it.
    pub epoch: u64,
    /// Bytes of a stream command the parser consumed before the command was complete: with the
    /// rest they are what gets passed on to this server's replicas.
    partial: Vec<u8>,
}

impl EventLoop {
    /// Once per loop turn: closes a link the engine gave up, starts one it asks for, and sends
    /// what it queued for the master.
    pub(super) fn sync_master_link(&mut self) {
        if let Some(link) = &self.link {
            if link.epoch != self.engine.repl.link_epoch {
                let slot = link.slot;
                self.close_slot(slot);
            }
        }
        if self.link.is_none() && self.loading.is_none() {
            if let Some((host, port)) = self.engine.repl_link_wants_connect() {
                self.connect_master(&host, port);
            }
        }
        self.flush_link_output();
        super::persistence::drain_log(&mut self.engine);
    }

    /// Starts a non-blocking connect (connectWithMaster).
    fn connect_master(&mut self, host: &str, port: i64) {
        let addr = (host, port as u16).to_socket_addrs().ok().and_then(|mut addrs| addrs.next());
        let Some(addr) = addr else {
            self.engine.repl_link_failed(&format!("Unable to connect to MASTER: can't resolve {host}"));
            return;
        };
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => {
                self.engine.repl_link_failed(&format!("Unable to connect to MASTER: {e}"));
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        let token = Token(FIRST_CONN_TOKEN + slot);
        if let Err(e) = self.poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE) {
            self.free_slots.push(slot);
            self.engine.repl_link_failed(&format!("Unable to connect to MASTER: {e}"));
            return;
        }
        self.conns[slot] = Some(Conn::new(stream, 0));
        self.engine.repl_link_connecting(unix_ms());
        self.link = Some(LinkConn { slot, epoch: self.engine.repl.link_epoch, partial: Vec::new() });
    }

    pub(super) fn is_link_slot(&self, slot: usize) -> bool {
        self.link.as_ref().is_some_and(|l| l.slot == slot)
    }

    /// An event on the link's socket.
    pub(super) fn on_link_event(&mut self, slot: usize, readable: bool, writable: bool, closed: bool) {
        if writable && self.engine.repl_link_state() == Some(LinkState::Connecting) {
            self.finish_connect(slot);
        }
        if readable || closed {
            self.on_link_readable(slot, closed);
        }
        self.flush_link_output();
        if self.is_link_slot(slot) {
            self.flush_slot(slot);
        }
    }

    /// The connect completed, or failed.
    fn finish_connect(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else { return };
        let error = match conn.stream.take_error() {
            Ok(None) => conn.stream.peer_addr().err(),
            Ok(Some(e)) | Err(e) => Some(e),
        };
        match error {
            None => self.engine.repl_link_connected(unix_ms()),
            Some(e) if e.kind() == std::io::ErrorKind::NotConnected => {}
            Some(e) => {
                self.engine.repl_link_failed(&format!("Error condition on socket for SYNC: {e}"));
                self.close_slot(slot);
            }
        }
    }

    fn on_link_readable(&mut self, slot: usize, peer_closed: bool) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else { return };
        // No query buffer limit for the master (Redis exempts it): the socket is drained, as
        // the edge-triggered poll requires.
        let (outcome, bytes) = conn.read_available(usize::MAX, &mut self.scratch, peer_closed);
        self.engine.stats.total_net_input_bytes += bytes as u64;
        let now_ms = unix_ms();
        if self.engine.repl_link_state() == Some(LinkState::Connected) {
            self.engine.repl_master_read(bytes, now_ms);
        }
        self.drive_link(slot, now_ms);
        if matches!(outcome, ReadOutcome::Closed) && self.is_link_slot(slot) {
            if self.engine.repl_link_state() != Some(LinkState::Connected) {
                self.engine.repl_link_failed("I/O error trying to sync with MASTER: connection lost");
            }
            self.close_slot(slot);
        }
        super::persistence::drain_log(&mut self.engine);
    }

    /// Hands what was read to the engine according to the link's state, until it needs more.
    fn drive_link(&mut self, slot: usize, now_ms: u64) {
        // Each round consumes input or changes the state forward; the bound is a second guard.
        for _ in 0..1024 {
            let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else { return };
            let Some(state) = self.engine.repl_link_state() else { return };
            match state {
                LinkState::Connect | LinkState::Connecting => return,
                LinkState::Transfer => {
                    let before = state;
                    match self.engine.repl_link_transfer(conn.pending_query(), now_ms) {
                        Ok(used) => conn.query_pos += used,
                        Err(()) => return self.close_slot(slot),
                    }
                    if self.engine.repl_link_state() == Some(before) {
                        return;
                    }
                }
                LinkState::Connected => {
                    if conn.client_id == 0 {
                        // Synchronised: the connection now carries the master client.
                        let Some(id) = self.engine.repl_master_client() else { return };
                        conn.client_id = id;
                        self.by_client.insert(id, slot);
                        // CLIENT LIST shows the link's real addresses.
                        let (peer, local) = (conn.stream.peer_addr(), conn.stream.local_addr());
                        if let Some(c) = self.engine.client_mut(id) {
                            c.addr = peer.map(|a| a.to_string()).unwrap_or_default();
                            c.laddr = local.map(|a| a.to_string()).unwrap_or_default();
                            c.fd = super::event_loop::raw_fd(&conn.stream);
                        }
                        let unread = conn.pending_query().len();
                        self.engine.repl_master_read(unread, now_ms);
                    }
                    return self.process_master_stream(slot, now_ms);
                }
                _ => {
                    let pending = conn.pending_query();
                    let Some(end) = pending.iter().position(|&b| b == b'\n') else { return };
                    let line = pending[..end].strip_suffix(b"\r").unwrap_or(&pending[..end]).to_vec();
                    conn.query_pos += end + 1;
                    if self.engine.repl_link_line(&line, now_ms) == LinkStep::Close {
                        return self.close_slot(slot);
                    }
                }
            }
        }
    }

    /// Runs the master's commands (without replies) and tells the engine the bytes each took.
    pub(super) fn process_master_stream(&mut self, slot: usize, now_ms: u64) {
        let max_bulk_bytes = self.engine.config.proto_max_bulk_len;
        let limits = ParseLimits { max_bulk_bytes, authenticated: true };
        // Each round consumes bytes or stops, so the loop ends; the cap is a second guard.
        for _ in 0..usize::MAX {
            let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else { return };
            let Some(link) = self.link.as_mut() else { return };
            let id = conn.client_id;
            if conn.closing || conn.dead || self.engine.is_blocked(id) {
                return;
            }
            let start = conn.query_pos;
            match conn.parser.parse(&conn.query[start..], limits) {
                Ok((n, None)) => {
                    conn.query_pos += n;
                    link.partial.extend_from_slice(&conn.query[start..start + n]);
                    return;
                }
                Ok((n, Some(argv))) => {
                    conn.query_pos += n;
                    let mut raw = std::mem::take(&mut link.partial);
                    raw.extend_from_slice(&conn.query[start..start + n]);
                    if !argv.is_empty() {
                        // The master gets no replies (REPLCONF GETACK answers through the link).
                        let _ = self.engine.execute(id, &argv, now_ms);
                    }
                    conn.parser.recycle(argv);
                    self.engine.repl_master_applied(&raw);
                    if self.engine.shutdown.is_some() {
                        return;
                    }
                }
                Err(e) => {
                    log::log(Level::Warning, &format!("Protocol error from MASTER: {}", e.reply));
                    conn.dead = true;
                    return;
                }
            }
        }
    }

    /// Writes what the engine queued for the master.
    pub(super) fn flush_link_output(&mut self) {
        let out = self.engine.repl_link_take_output();
        if out.is_empty() {
            return;
        }
        let Some(slot) = self.link.as_ref().map(|l| l.slot) else { return };
        if let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) {
            conn.out.extend_from_slice(&out);
        }
        self.write_conn(slot);
    }

    /// The link's connection closed: the engine learns it unless it dropped the link itself.
    pub(super) fn forget_link_slot(&mut self, slot: usize, client_id: u64) {
        let Some(link) = self.link.take_if(|l| l.slot == slot) else { return };
        if client_id == 0 && link.epoch == self.engine.repl.link_epoch {
            self.engine.repl_link_failed("Connection with MASTER lost during the synchronization");
        }
    }
}
