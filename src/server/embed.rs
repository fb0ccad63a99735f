//! `verdis::Server`: a real verdis server inside your process, for tests. It listens on loopback
//! (port 0 picks a free port), runs its event loop on its own thread, and stops when dropped.

use super::event_loop::{bind_listeners, unix_ms, EventLoop, StopHandle};
use crate::engine::config::Config;
use crate::engine::Engine;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

/// Builds an embedded server.
pub struct ServerBuilder {
    config: Config,
    /// Persist to real files in this directory (BGSAVE forks); in memory otherwise.
    persistence_dir: Option<String>,
}

impl ServerBuilder {
    /// The port to listen on; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.config.port = port;
        self
    }

    /// Replaces the whole configuration (its port and bind addresses are used as given).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets one configuration parameter as CONFIG SET would (`"maxmemory"`, `"100mb"`), with
    /// Redis's validation; the error is Redis's CONFIG SET error text.
    pub fn set(mut self, name: &str, value: &str) -> Result<Self, String> {
        self.config.set(name, value.as_bytes())?;
        Ok(self)
    }

    /// Persists to real files in `dir` (SAVE and BGSAVE write `dir/dump.rdb`, BGSAVE forks as the
    /// real server does, and an RDB file already there is loaded at start). Without it the server
    /// persists to an in-memory disk and never touches the file system.
    pub fn persistence_dir(mut self, dir: &str) -> Self {
        self.persistence_dir = Some(dir.to_string());
        self
    }

    /// Seeds the engine's RNG (SPOP, RANDOMKEY, ...): the same seed, the same choices.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Binds, starts the event loop thread, and returns once the server accepts connections.
    pub fn start(self) -> io::Result<Server> {
        let listeners = bind_listeners(&self.config.bind, self.config.port)?;
        let mut config = self.config;
        if let Some(dir) = &self.persistence_dir {
            config.set("dir", dir.as_bytes()).map_err(io::Error::other)?;
        }
        let mut engine = Engine::new(config, unix_ms());
        // Dropping the engine when the event loop ends drains and joins the free thread.
        engine.start_lazyfree_thread()?;
        engine.process.pid = std::process::id();
        engine.process.allocated_bytes = Some(crate::alloc::allocated_bytes);
        engine.persist.quiet_log = true;
        engine.dialing.dialer = Some(Box::new(crate::engine::dial::TcpDialer));
        engine.process.monotonic_us = Some(super::process::monotonic_us);
        let load = if self.persistence_dir.is_some() {
            super::persistence::install_real_persistence(&mut engine);
            super::persistence::begin_load(&mut engine, unix_ms()).map_err(io::Error::other)?
        } else {
            None
        };
        let mut event_loop = EventLoop::new(engine, listeners)?;
        if let Some(load) = load {
            event_loop.set_loading(load);
        }
        let addr = event_loop
            .local_addrs()
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::AddrNotAvailable, "no listening address"))?;
        let stop = event_loop.stop_handle();
        let thread = std::thread::Builder::new().name("verdis-server".into()).spawn(move || {
            let _ = event_loop.run();
        })?;
        Ok(Server { addr, stop, thread: Some(thread) })
    }
}

/// A running embedded server. Dropping it stops the server and joins its thread.
pub struct Server {
    addr: SocketAddr,
    stop: StopHandle,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn builder() -> ServerBuilder {
        let config = Config { port: 0, bind: vec!["127.0.0.1".to_string()], ..Config::default() };
        ServerBuilder { config, persistence_dir: None }
    }

    /// Starts a server with the defaults on a free loopback port.
    pub fn start() -> io::Result<Server> {
        Server::builder().start()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `redis://127.0.0.1:<port>/`, for clients that take a URL.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    /// Stops the server and waits for its thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
