//! The event loop: one thread, like Redis's ae loop. It accepts connections, reads queries,
//! runs each complete command through the engine in arrival order, writes replies, and calls the
//! engine's cron `hz` times per second. The only place in verdis with sockets.

use super::conn::{Conn, ReadOutcome};
use super::log::{self, Level};
use super::process;
use crate::engine::config::ClientClass;
use crate::engine::Engine;
use crate::resp::{encode, Frame, ParseLimits};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const WAKER: Token = Token(0);
/// Listener tokens are 1..=LISTENER_SLOTS; connection tokens follow.
const LISTENER_SLOTS: usize = 16;
pub(super) const FIRST_CONN_TOKEN: usize = LISTENER_SLOTS + 1;
/// At most this many accepts per listener event (Redis's MAX_ACCEPTS_PER_CALL).
const MAX_ACCEPTS_PER_EVENT: usize = 1000;
/// The longest the loop sleeps, so a stop request is seen promptly even without the waker.
const MAX_SLEEP_MS: u64 = 100;
/// Rounds of resuming unblocked clients per loop turn (see `after_events`).
const MAX_RESUME_ROUNDS: usize = 16;
/// Redis's per-client static reply buffer (PROTO_REPLY_CHUNK_BYTES), for CLIENT LIST figures.
const REPLY_BUF_BYTES: usize = 16 * 1024;

/// The wall clock in Unix milliseconds: the server's time source for the engine.
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Asks a running loop to stop, from any thread or a signal handler's flag.
#[derive(Clone)]
pub struct StopHandle {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl StopHandle {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    pub fn flag(&self) -> Arc<AtomicBool> {
        self.flag.clone()
    }
}

/// Flags the SIGTERM and SIGINT handlers raise. Unlike a StopHandle, a signal only schedules the
/// shutdown: the cron carries it out (so SHUTDOWN ABORT can still cancel it, as in Redis).
#[derive(Clone, Default)]
pub struct SignalFlags {
    pub sigterm: Arc<AtomicBool>,
    pub sigint: Arc<AtomicBool>,
}

pub struct EventLoop {
    pub(super) poll: Poll,
    listeners: Vec<TcpListener>,
    pub(super) conns: Vec<Option<Conn>>,
    pub(super) free_slots: Vec<usize>,
    pub(super) by_client: HashMap<u64, usize>,
    pub engine: Engine,
    stop: StopHandle,
    signals: SignalFlags,
    next_cron_ms: u64,
    /// Set when a command may have marked other clients killed.
    kill_scan_needed: bool,
    /// Reused read buffer (see `Conn::read_available`).
    pub(super) scratch: Vec<u8>,
    /// Unblocked clients still have commands to run: poll without sleeping.
    resume_pending: bool,
    /// The RDB load in progress at start-up: clients are served (with LOADING) between steps.
    pub(super) loading: Option<super::persistence::StartupLoad>,
    /// Connections whose replies wait for the AOF write (and fsync) of this loop turn: one
    /// write and one fsync cover every command of the turn (group commit).
    aof_waiting: Vec<usize>,
    /// The AOF could not be made durable under `appendfsync always`: the server stops.
    aof_fatal: bool,
    /// A replica's connection to its master.
    pub(super) link: Option<super::master_link::LinkConn>,
}

/// Binds the configured addresses. An address with a leading `-` is optional: failing to bind it
/// is not an error (Redis's `bind 127.0.0.1 -::1`).
pub fn bind_listeners(addrs: &[String], port: u16) -> io::Result<Vec<std::net::TcpListener>> {
    let mut listeners = Vec::new();
    for addr in addrs {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let ip: IpAddr = match host.parse() {
            Ok(ip) => ip,
            Err(_) if optional => continue,
            Err(_) => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("invalid bind address '{host}'")))
            }
        };
        match std::net::TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(l) => listeners.push(l),
            Err(_) if optional => continue,
            Err(e) => return Err(e),
        }
    }
    if listeners.len() > LISTENER_SLOTS {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "too many bind addresses"));
    }
    Ok(listeners)
}

impl EventLoop {
    pub fn new(engine: Engine, listeners: Vec<std::net::TcpListener>) -> io::Result<EventLoop> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut mio_listeners = Vec::new();
        for (i, l) in listeners.into_iter().enumerate() {
            l.set_nonblocking(true)?;
            let mut l = TcpListener::from_std(l);
            poll.registry().register(&mut l, Token(1 + i), Interest::READABLE)?;
            mio_listeners.push(l);
        }
        Ok(EventLoop {
            poll,
            listeners: mio_listeners,
            conns: Vec::new(),
            free_slots: Vec::new(),
            by_client: HashMap::new(),
            engine,
            stop: StopHandle { flag: Arc::new(AtomicBool::new(false)), waker },
            signals: SignalFlags::default(),
            next_cron_ms: 0,
            kill_scan_needed: false,
            scratch: vec![0; super::conn::READ_CHUNK_BYTES],
            resume_pending: false,
            loading: None,
            aof_waiting: Vec::new(),
            aof_fatal: false,
            link: None,
        })
    }

    /// Loads `load` step by step while serving clients, before regular operation.
    pub fn set_loading(&mut self, load: super::persistence::StartupLoad) {
        self.loading = Some(load);
    }

    /// One step of the start-up load; logs readiness when it completes.
    fn load_step(&mut self) -> io::Result<()> {
        let Some(load) = &mut self.loading else { return Ok(()) };
        let result = load.step(&mut self.engine);
        super::persistence::drain_log(&mut self.engine);
        match result {
            Ok(false) => Ok(()),
            Ok(true) => {
                self.loading = None;
                log::log(Level::Notice, "Ready to accept connections");
                Ok(())
            }
            // InvalidData: the fatal load line, which the caller logs as it is.
            Err(line) => Err(io::Error::new(io::ErrorKind::InvalidData, line)),
        }
    }

    /// The flags to register the SIGTERM and SIGINT handlers on.
    pub fn signal_flags(&self) -> SignalFlags {
        self.signals.clone()
    }

    /// A signal received since the last turn schedules the shutdown (Redis's sigShutdownHandler).
    fn take_signals(&mut self) {
        for (flag, name) in [(&self.signals.sigterm, "SIGTERM"), (&self.signals.sigint, "SIGINT")] {
            if flag.swap(false, Ordering::SeqCst) {
                log::log(Level::Warning, &format!("Received {name} scheduling shutdown..."));
                self.engine.shutdown_asap = true;
            }
        }
    }

    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners.iter().filter_map(|l| l.local_addr().ok()).collect()
    }

    /// Runs until stopped (StopHandle, SIGTERM flag, or SHUTDOWN).
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            let now = unix_ms();
            let mut sleep_ms =
                if self.loading.is_some() { 0 } else { self.next_cron_ms.saturating_sub(now).min(MAX_SLEEP_MS) };
            if let Some(deadline) = self.engine.blocking.next_deadline_ms() {
                // A client times out once the clock is past its deadline.
                sleep_ms = sleep_ms.min((deadline + 1).saturating_sub(now));
            }
            if let Some(end_ms) = self.engine.pause.end_ms() {
                // CLIENT PAUSE ends once the clock is past its end.
                sleep_ms = sleep_ms.min((end_ms + 1).saturating_sub(now));
            }
            if self.resume_pending {
                sleep_ms = 0;
            }
            match self.poll.poll(&mut events, Some(Duration::from_millis(sleep_ms))) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                let token = event.token().0;
                if token == WAKER.0 {
                    continue;
                } else if token < FIRST_CONN_TOKEN {
                    self.accept_all(token - 1);
                } else {
                    let slot = token - FIRST_CONN_TOKEN;
                    if self.is_link_slot(slot) {
                        let closed = event.is_read_closed() || event.is_error();
                        self.on_link_event(slot, event.is_readable(), event.is_writable(), closed);
                        continue;
                    }
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        self.on_readable(slot, event.is_read_closed() || event.is_error());
                    }
                    if event.is_writable() {
                        if self.engine.aof_pending() {
                            // Sent after this turn's AOF write, with everyone else's.
                            self.aof_waiting.push(slot);
                        } else {
                            self.flush_slot(slot);
                        }
                    }
                }
            }
            self.flush_aof_waiting();
            let now = unix_ms();
            self.engine.handle_blocked_timeouts(now);
            if self.engine.pause.end_ms().is_some_and(|end_ms| end_ms < now) {
                self.engine.resume_postponed(now);
            }
            self.after_events();
            if self.loading.is_some() {
                self.load_step()?;
            }
            self.take_signals();
            let now = unix_ms();
            if self.loading.is_none() && now >= self.next_cron_ms {
                // A scheduled shutdown is the cron's first task (serverCron's shutdown_asap).
                if self.engine.shutdown_asap && !self.engine.debug.pause_cron {
                    return Ok(());
                }
                self.cron(now);
                let period_ms = 1000 / u64::from(self.engine.config.hz.clamp(1, 500));
                self.next_cron_ms = now + period_ms;
            }
            self.sync_master_link();
            if self.aof_fatal {
                return Err(io::Error::other("AOF write or fsync failed with appendfsync always"));
            }
            if self.stop.flag.load(Ordering::SeqCst) || self.engine.shutdown.is_some() {
                return Ok(());
            }
        }
    }

    fn accept_all(&mut self, listener: usize) {
        for _ in 0..MAX_ACCEPTS_PER_EVENT {
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            match l.accept() {
                Ok((stream, peer)) => self.on_accept(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::log(Level::Warning, &format!("Accepting client connection: {e}"));
                    return;
                }
            }
        }
    }

    fn on_accept(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let config = &self.engine.config;
        // As Redis: the client limit first (at accept), then protected mode.
        if self.by_client.len() as u64 >= config.maxclients {
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            self.engine.stats.rejected_connections += 1;
            return;
        }
        if let Some(denied) = self.engine.protected_mode_refusal(&peer.to_string()) {
            let _ = stream.write(denied.as_bytes());
            self.engine.stats.rejected_connections += 1;
            return;
        }
        let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let id = self.engine.connect(peer.to_string(), laddr, unix_ms());
        if let Some(c) = self.engine.client_mut(id) {
            c.fd = raw_fd(&stream);
        }
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        let token = Token(FIRST_CONN_TOKEN + slot);
        if self.poll.registry().register(&mut stream, token, Interest::READABLE | Interest::WRITABLE).is_err() {
            self.engine.disconnect(id);
            self.free_slots.push(slot);
            return;
        }
        log::log(Level::Verbose, &format!("Accepted {peer}"));
        self.conns[slot] = Some(Conn::new(stream, id));
        self.by_client.insert(id, slot);
    }

    /// `peer_closed`: the event reported the peer's end closed (or an error), see `read_available`.
    fn on_readable(&mut self, slot: usize, peer_closed: bool) {
        let limit = self.engine.config.client_query_buffer_limit as usize;
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if conn.closing {
            return;
        }
        let (outcome, bytes) = conn.read_available(limit.saturating_add(64 * 1024), &mut self.scratch, peer_closed);
        self.engine.stats.total_net_input_bytes += bytes as u64;
        self.engine.stats.total_reads_processed += 1;
        if matches!(outcome, ReadOutcome::Closed) {
            conn.dead = true;
        }
        self.process_queries(slot);
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if conn.pending_query().len() > limit && !conn.closing {
            log::log(Level::Warning, "Closing client that reached max query buffer length");
            self.engine.stats.client_query_buffer_limit_disconnections += 1;
            conn.dead = true;
        }
        if self.engine.aof_pending() && !conn.dead {
            // The reply goes out after the AOF write of this turn.
            self.aof_waiting.push(slot);
            return;
        }
        self.flush_slot(slot);
    }

    /// Writes (and, per appendfsync, syncs) what this turn's commands appended to the AOF,
    /// then sends the replies that waited for it.
    fn flush_aof_waiting(&mut self) {
        self.flush_aof();
        for slot in std::mem::take(&mut self.aof_waiting) {
            self.flush_slot(slot);
        }
    }

    /// Writes the AOF buffer before any reply leaves (Redis's beforeSleep flushAppendOnlyFile).
    /// False when the data could not be made durable: then nothing may be acknowledged.
    fn flush_aof(&mut self) -> bool {
        if self.aof_fatal {
            return false;
        }
        if !self.engine.aof_pending() {
            return true;
        }
        // DEBUG AOF-FLUSH-SLEEP widens the window between a command and its AOF write, for tests.
        if self.engine.debug.aof_flush_sleep_us > 0 {
            std::thread::sleep(Duration::from_micros(self.engine.debug.aof_flush_sleep_us));
        }
        if self.engine.aof_flush(unix_ms()) {
            return true;
        }
        super::persistence::drain_log(&mut self.engine);
        self.aof_fatal = true;
        self.stop.stop();
        false
    }

    /// Parses and runs every complete command in the client's query buffer.
    fn process_queries(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        let id = conn.client_id;
        // One clock reading for the whole batch, as Redis caches the time per event.
        let mut now_ms = unix_ms();
        // Each iteration consumes bytes or stops, so the loop ends; the cap is a second guard.
        for _ in 0..usize::MAX {
            // A blocked client's further commands wait in its buffer until it is unblocked.
            if conn.closing || self.engine.is_blocked(id) {
                break;
            }
            let max_bulk_bytes = self.engine.config.proto_max_bulk_len;
            // One client lookup serves both the parse limits and the I/O figures below.
            let Some(c) = self.engine.client_mut(id) else {
                break;
            };
            let limits = ParseLimits { max_bulk_bytes, authenticated: c.authenticated };
            match conn.parser.parse(&conn.query[conn.query_pos..], limits) {
                Ok((n, None)) => {
                    conn.query_pos += n;
                    break;
                }
                Ok((n, Some(argv))) => {
                    conn.query_pos += n;
                    if argv.is_empty() {
                        continue;
                    }
                    // As Redis, the buffer still holds this batch's commands while they run.
                    c.io.qbuf = conn.query.len();
                    c.io.qbuf_free = conn.query.capacity() - conn.query.len();
                    c.io.argv_mem = argv.iter().map(|a| a.len()).sum();
                    let reply = self.engine.execute(id, &argv, now_ms);
                    // DEBUG SLEEP: the whole server stops, as Redis's does.
                    let sleep_us = self.engine.debug.take_sleep_us();
                    if sleep_us > 0 {
                        std::thread::sleep(Duration::from_micros(sleep_us));
                        now_ms = unix_ms();
                    }
                    // The argument buffers serve the next command (no allocation per argument).
                    conn.parser.recycle(argv);
                    let Some(client) = self.engine.client(id) else {
                        break;
                    };
                    if let Some(reply) = reply {
                        encode(&reply, client.resp, &mut conn.out);
                    }
                    if client.close_after_reply {
                        conn.closing = true;
                    }
                    // CLIENT KILL, and ACL changes that disconnect users' clients.
                    if client.last_cmd == "client|kill" || client.last_cmd.starts_with("acl|") {
                        self.kill_scan_needed = true;
                    }
                    if self.engine.shutdown.is_some() {
                        break;
                    }
                }
                Err(e) => {
                    encode(&Frame::Error(e.reply.clone()), 2, &mut conn.out);
                    log::log(Level::Verbose, &format!("Protocol error from client id={id}: {}", e.reply));
                    conn.closing = true;
                    break;
                }
            }
        }
        if let Some(c) = self.engine.client_mut(id) {
            c.io.qbuf = conn.query.len() - conn.query_pos;
            c.io.qbuf_free = conn.query_free();
        }
    }

    pub(super) fn flush_slot(&mut self, slot: usize) {
        self.enforce_output_limit(slot);
        self.engine.drop_propagated_without_aof();
        if !self.flush_aof() {
            return;
        }
        self.write_conn(slot);
        // A replica's snapshot is out: the stream held for it follows (Redis puts it online).
        if let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) {
            if !conn.has_pending_output() && self.engine.repl_sending_bulk(conn.client_id) {
                let held = self.engine.repl_bulk_sent(conn.client_id, unix_ms());
                conn.out.extend_from_slice(&held);
                self.write_conn(slot);
            }
        }
        self.after_write(slot);
    }

    /// Writes what the socket takes of the connection's output.
    pub(super) fn write_conn(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        if conn.has_pending_output() {
            match conn.flush() {
                Ok(n) => {
                    self.engine.stats.total_net_output_bytes += n as u64;
                    self.engine.stats.total_writes_processed += 1;
                }
                Err(_) => conn.dead = true,
            }
        }
    }

    /// CLIENT LIST's figures for what is still unsent, and the close of a finished connection.
    fn after_write(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        // CLIENT LIST's output fields, as Redis's 16 KiB static reply buffer (obl) and the
        // reply list beyond it (oll blocks, omem bytes) would show what is still unsent.
        let pending = conn.pending_output_bytes();
        if let Some(c) = self.engine.clients.get_mut(&conn.client_id) {
            c.io.obl = pending.min(REPLY_BUF_BYTES);
            c.io.omem = pending.saturating_sub(REPLY_BUF_BYTES);
            c.io.oll = c.io.omem.div_ceil(REPLY_BUF_BYTES);
        }
        if conn.dead || (conn.closing && !conn.has_pending_output()) {
            self.close_slot(slot);
        }
    }

    /// `client-output-buffer-limit` (Redis's checkClientOutputBufferLimits): replies waiting
    /// beyond the 16 KiB reply buffer count against the limits of the client's class (pubsub
    /// while subscribed, normal otherwise). Over the hard limit, or over the soft limit for longer
    /// than its seconds, the client is closed at once and its unsent replies dropped, so that a
    /// slow reader cannot make the server hold unbounded memory.
    fn enforce_output_limit(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) else {
            return;
        };
        let used_bytes = conn.pending_output_bytes().saturating_sub(REPLY_BUF_BYTES) as u64;
        if used_bytes == 0 || conn.dead {
            conn.obuf_soft_since_s = None;
            return;
        }
        let Some(client) = self.engine.clients.get(&conn.client_id) else {
            return;
        };
        // A snapshot being sent is not a reply backlog (Redis sends the file outside the buffers).
        if self.engine.repl_sending_bulk(conn.client_id) {
            return;
        }
        let class = if client.replica {
            ClientClass::Replica
        } else if client.subs.active() {
            ClientClass::Pubsub
        } else {
            ClientClass::Normal
        };
        let limit = self.engine.config.client_output_buffer_limit(class);
        let hard = limit.hard_bytes != 0 && used_bytes >= limit.hard_bytes;
        let mut soft = false;
        if limit.soft_bytes != 0 && used_bytes >= limit.soft_bytes {
            let now_s = unix_ms() / 1000;
            let since_s = *conn.obuf_soft_since_s.get_or_insert(now_s);
            soft = now_s.saturating_sub(since_s) as i64 > limit.soft_seconds;
        } else {
            conn.obuf_soft_since_s = None;
        }
        if hard || soft {
            let info = crate::cmd::connection::client::client_info_line(client, &self.engine, self.engine.now_ms);
            log::log(Level::Warning, &format!("Client {info} closed for overcoming of output buffer limits."));
            self.engine.stats.client_output_buffer_limit_disconnections += 1;
            conn.dead = true;
        }
    }

    pub(super) fn close_slot(&mut self, slot: usize) {
        let Some(mut conn) = self.conns.get_mut(slot).and_then(|c| c.take()) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.forget_link_slot(slot, conn.client_id);
        // The master link has no client until it is synchronised.
        if conn.client_id != 0 {
            self.by_client.remove(&conn.client_id);
            self.engine.disconnect(conn.client_id);
        }
        self.free_slots.push(slot);
    }

    /// Work after a batch of events: messages for other clients (replies of unblocked clients
    /// among them), the commands unblocked clients had queued meanwhile, and killed clients.
    fn after_events(&mut self) {
        if !self.engine.persist.log.is_empty() {
            super::persistence::drain_log(&mut self.engine);
        }
        self.deliver_outbox();
        // Running queued commands can block and unblock clients again; each round consumes
        // queued input, and what is left after the last round waits for the next loop turn.
        self.resume_pending = false;
        for _ in 0..MAX_RESUME_ROUNDS {
            let unblocked = self.engine.blocking.take_unblocked();
            if unblocked.is_empty() {
                break;
            }
            for id in unblocked {
                if let Some(&slot) = self.by_client.get(&id) {
                    // The master's stream (held by CLIENT PAUSE) runs without replies.
                    if self.is_link_slot(slot) {
                        self.process_master_stream(slot, unix_ms());
                    } else {
                        self.process_queries(slot);
                    }
                    self.flush_slot(slot);
                }
            }
            self.deliver_outbox();
        }
        if self.engine.blocking.has_unblocked() {
            self.resume_pending = true;
        }
        if self.kill_scan_needed {
            self.kill_scan_needed = false;
            let killed: Vec<u64> = self.engine.clients.values().filter(|c| c.killed).map(|c| c.id).collect();
            for id in killed {
                if let Some(&slot) = self.by_client.get(&id) {
                    self.close_slot(slot);
                }
            }
        }
    }

    /// Encodes and sends the messages the engine queued for other clients.
    fn deliver_outbox(&mut self) {
        // BCAST invalidations collected since the last round (Redis sends them in beforeSleep).
        self.engine.tracking_broadcast();
        // Replicas' snapshots, after whatever was queued for them before (+FULLRESYNC).
        for (id, bulk) in self.engine.repl_take_bulks() {
            self.engine.outbox.push((id, Frame::Raw(bulk)));
        }
        let outbox = std::mem::take(&mut self.engine.outbox);
        let master = self.engine.repl_master_client();
        for (id, frame) in outbox {
            let Some(&slot) = self.by_client.get(&id) else {
                continue;
            };
            // The master never gets replies or messages (only what the link queues).
            if Some(id) == master {
                continue;
            }
            let resp = self.engine.client(id).map(|c| c.resp).unwrap_or(2);
            if let Some(conn) = self.conns.get_mut(slot).and_then(|c| c.as_mut()) {
                encode(&frame, resp, &mut conn.out);
            }
            self.flush_slot(slot);
        }
    }

    /// Periodic work, `hz` times per second (Redis's serverCron).
    fn cron(&mut self, now_ms: u64) {
        // DEBUG PAUSE-CRON stops the periodic work (the engine's part checks it too).
        if self.engine.debug.pause_cron {
            return;
        }
        self.engine.cron(now_ms);
        // The engine may have dropped replicas (a failed snapshot, a timeout).
        self.kill_scan_needed = true;
        // Active expiry publishes `expired` events (and tracking invalidations).
        self.deliver_outbox();
        self.close_idle_clients(now_ms);
        self.resize_query_buffers(now_ms);
        let (user, sys) = process::cpu_seconds();
        let p = &mut self.engine.process;
        p.rss_bytes = process::rss_bytes();
        p.used_cpu_user_s = user;
        p.used_cpu_sys_s = sys;
        p.connected_clients = self.by_client.len();
        super::persistence::drain_log(&mut self.engine);
    }

    /// Shrinks or frees query buffers of clients that no longer need them (Redis's clientsCron).
    fn resize_query_buffers(&mut self, now_ms: u64) {
        for conn in self.conns.iter_mut().flatten() {
            let Some(client) = self.engine.clients.get_mut(&conn.client_id) else { continue };
            let idle_ms = now_ms.saturating_sub(client.last_interaction_ms);
            if conn.resize_query_buffer(idle_ms) {
                client.io.qbuf = conn.pending_query().len();
                client.io.qbuf_free = conn.query_free();
            }
        }
    }

    fn close_idle_clients(&mut self, now_ms: u64) {
        let timeout_ms = self.engine.config.timeout_s.saturating_mul(1000);
        if timeout_ms == 0 {
            return;
        }
        let idle: Vec<u64> = self
            .engine
            .clients
            .values()
            // Blocked clients wait as long as their command says (Redis skips them too).
            // Monitors and replicas are exempt, as in Redis.
            .filter(|c| {
                !c.blocked
                    && !c.monitor
                    && !c.replica
                    && !c.master
                    && now_ms.saturating_sub(c.last_interaction_ms) > timeout_ms
            })
            .map(|c| c.id)
            .collect();
        for id in idle {
            if let Some(&slot) = self.by_client.get(&id) {
                log::log(Level::Verbose, "Closing idle client");
                self.close_slot(slot);
            }
        }
    }

    /// Number of connected clients.
    pub fn client_count(&self) -> usize {
        self.by_client.len()
    }
}

#[cfg(unix)]
pub(super) fn raw_fd(stream: &TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    i64::from(stream.as_raw_fd())
}

#[cfg(not(unix))]
pub(super) fn raw_fd(_stream: &TcpStream) -> i64 {
    -1
}
