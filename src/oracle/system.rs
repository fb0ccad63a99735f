//! Both sides of a diff behind one interface: the in-process engine and a remote server, each
//! with several connections (the generated operations switch between clients).

use super::remote::Remote;
use crate::engine::config::Config;
use crate::engine::Engine;
use crate::resp::{decode, encode, Frame};
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock: the target runs on it, so the engine does too during a diff.
pub fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A server that runs commands for numbered clients.
pub trait Side {
    fn call(&mut self, client: u64, argv: &[Vec<u8>]) -> io::Result<Frame>;
}

/// The in-process engine, on the wall clock.
pub struct EngineSide {
    pub engine: Engine,
    ids: BTreeMap<u64, u64>,
}

impl EngineSide {
    pub fn new(config: Config) -> EngineSide {
        EngineSide { engine: Engine::new(config, wall_ms()), ids: BTreeMap::new() }
    }

    /// The database a diff client has selected (0 before its first command).
    pub fn selected_db(&self, client: u64) -> usize {
        self.ids.get(&client).and_then(|id| self.engine.client(*id)).map_or(0, |c| c.db)
    }
}

impl Side for EngineSide {
    fn call(&mut self, client: u64, argv: &[Vec<u8>]) -> io::Result<Frame> {
        let now = wall_ms();
        let engine = &mut self.engine;
        let id = *self
            .ids
            .entry(client)
            .or_insert_with(|| engine.connect(format!("127.0.0.1:{}", 50000 + client), "127.0.0.1:0".into(), now));
        let frame = self.engine.execute(id, argv, now).unwrap_or(Frame::Simple("<no reply>".into()));
        // Through the wire format of the client's protocol and back, so the reply compares with
        // what a remote client decodes (a RESP2 map is a flat array, a double a bulk string).
        let resp = self.engine.client(id).map_or(2, |c| c.resp);
        let mut bytes = Vec::new();
        encode(&frame, resp, &mut bytes);
        match decode(&bytes) {
            Ok(Some((wire, _))) => Ok(wire),
            _ => Err(io::Error::other("the engine's reply did not decode")),
        }
    }
}

/// A remote server, one connection per client, opened on first use.
pub struct RemoteSide {
    addr: SocketAddr,
    conns: BTreeMap<u64, Remote>,
}

impl RemoteSide {
    pub fn new(addr: SocketAddr) -> RemoteSide {
        RemoteSide { addr, conns: BTreeMap::new() }
    }
}

impl Side for RemoteSide {
    fn call(&mut self, client: u64, argv: &[Vec<u8>]) -> io::Result<Frame> {
        if !self.conns.contains_key(&client) {
            self.conns.insert(client, Remote::connect(self.addr)?);
        }
        match self.conns.get_mut(&client) {
            Some(conn) => conn.call(argv),
            None => Err(io::Error::other("no connection")),
        }
    }
}

/// An engine reply in the model's terms (`verdis_spec::Reply`), for the state-machine tests and
/// the `command_seq` fuzz target.
pub fn to_model_reply(frame: Frame) -> verdis_spec::Reply {
    use verdis_spec::Reply;
    match frame {
        Frame::Simple(s) => Reply::Status(s),
        Frame::Error(e) => Reply::Error(e),
        Frame::Integer(n) => Reply::Int(n),
        Frame::Bulk(b) => Reply::Bulk(b),
        Frame::Null => Reply::Nil,
        Frame::NullArray => Reply::NilArray,
        Frame::Array(items) | Frame::Push(items) => Reply::Array(items.into_iter().map(to_model_reply).collect()),
        Frame::Set(items) => Reply::Set(items.into_iter().map(to_model_reply).collect()),
        Frame::Map(pairs) => {
            Reply::Map(pairs.into_iter().map(|(k, v)| (to_model_reply(k), to_model_reply(v))).collect())
        }
        Frame::Double(d) => Reply::Double(d),
        Frame::Boolean(b) => Reply::Bool(b),
        Frame::BigNumber(s) => Reply::Bulk(s.into_bytes()),
        Frame::Verbatim(_, text) => Reply::Bulk(text),
        // A pre-encoded reply (LRANGE) compares as the frame it encodes; several frames (pub/sub
        // notifications, a client's own messages before its reply) as an array of them.
        Frame::Raw(bytes) => frames_reply(&bytes),
    }
}

/// Pre-encoded bytes as the model sees them: the frame they hold, or an array of the frames when
/// they hold several (pub/sub notifications, a client's own messages before its reply).
fn frames_reply(bytes: &[u8]) -> verdis_spec::Reply {
    let mut frames = Vec::new();
    let mut pos = 0;
    // Each decoded frame uses at least one byte, so this ends.
    while pos < bytes.len() {
        match decode(&bytes[pos..]) {
            Ok(Some((frame, used))) if used > 0 => {
                frames.push(to_model_reply(frame));
                pos += used;
            }
            _ => return verdis_spec::Reply::Bulk(bytes.to_vec()),
        }
    }
    if frames.len() == 1 {
        frames.remove(0)
    } else {
        verdis_spec::Reply::Array(frames)
    }
}

/// The engine behind the model's `System` interface, on a simulated clock (model client n is
/// engine client `ids[n]`). No whole-state snapshot: replies are what it compares.
pub struct ModelSystem {
    pub engine: Engine,
    ids: BTreeMap<u64, u64>,
}

impl ModelSystem {
    /// The server the model describes: no save points (the model counts no changes, so none
    /// fires unseen) and DEBUG enabled (DEBUG RELOAD is a modelled command).
    pub fn new(now_ms: u64) -> ModelSystem {
        let mut config = Config::default();
        for (name, value) in [("save", &b""[..]), ("enable-debug-command", b"yes")] {
            let set = config.set(name, value);
            debug_assert!(set.is_ok(), "{name}: {set:?}");
        }
        ModelSystem { engine: Engine::new(config, now_ms), ids: BTreeMap::new() }
    }

    /// SHUTDOWN SAVE, then a new engine with the same configuration and disk that loads the
    /// file at start-up; every connection is gone.
    pub fn restart(&mut self, now_ms: u64) {
        self.engine.shutdown_save(true, false, false, now_ms);
        let path = self.engine.rdb_path();
        let mut engine = Engine::new(self.engine.config.clone(), now_ms);
        std::mem::swap(&mut engine.persist.disk, &mut self.engine.persist.disk);
        let loaded = engine.rdb_load_file(&path, now_ms, false);
        debug_assert!(loaded.is_ok(), "the saved file loads: {loaded:?}");
        self.engine = engine;
        self.ids.clear();
    }

    /// The engine client that stands for model client `client`.
    pub fn engine_client(&mut self, client: u64, now_ms: u64) -> u64 {
        let engine = &mut self.engine;
        *self
            .ids
            .entry(client)
            .or_insert_with(|| engine.connect(format!("127.0.0.1:{}", 40000 + client), "127.0.0.1:6379".into(), now_ms))
    }
}

impl verdis_spec::System for ModelSystem {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> verdis_spec::Reply {
        let id = self.engine_client(client, now_ms);
        match self.engine.execute(id, argv, now_ms) {
            Some(frame) => to_model_reply(frame),
            None => verdis_spec::Reply::Status("<no reply>".into()),
        }
    }

    fn restart(&mut self, now_ms: u64) -> bool {
        ModelSystem::restart(self, now_ms);
        true
    }

    fn advance(&mut self, now_ms: u64) {
        self.engine.handle_blocked_timeouts(now_ms);
        // One server cron per clock step (the model's `time_passes` does the same).
        self.engine.persist_cron(now_ms);
    }

    fn acl_facts(&self) -> Option<std::sync::Arc<dyn verdis_spec::model::acl::AclFacts>> {
        Some(super::acl_facts::table_facts())
    }

    /// The replies blocked clients got, by model client.
    fn take_deliveries(&mut self) -> Vec<(u64, verdis_spec::Reply)> {
        // No server resumes unblocked clients here: forget them.
        self.engine.blocking.take_unblocked();
        let outbox = std::mem::take(&mut self.engine.outbox);
        let mut out: Vec<(u64, verdis_spec::Reply)> = outbox
            .into_iter()
            .map(|(id, frame)| {
                let client = self.ids.iter().find(|(_, &e)| e == id).map_or(u64::MAX, |(&m, _)| m);
                (client, to_model_reply(frame))
            })
            .collect();
        out.sort_by_key(|(c, _)| *c);
        out
    }
}
