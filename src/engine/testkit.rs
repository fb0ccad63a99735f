//! A small harness to drive the engine directly in tests: one engine, one or more clients, a
//! simulated clock. `run("SET k v")` splits the line like redis-cli and returns the reply.

pub mod golden;

use super::config::Config;
use super::Engine;
use crate::resp::split::split_args;
use crate::resp::Frame;

pub struct Harness {
    pub engine: Engine,
    pub client: u64,
    pub now_ms: u64,
}

impl Harness {
    /// An engine with the default configuration at time 1,000,000,000,000 ms, and one client.
    pub fn new() -> Harness {
        Harness::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Harness {
        let now_ms = 1_000_000_000_000;
        let mut engine = Engine::new(config, now_ms);
        let client = engine.connect("127.0.0.1:50000".into(), "127.0.0.1:6379".into(), now_ms);
        Harness { engine, client, now_ms }
    }

    /// Runs one command line (quoted as redis-cli does) for the current client.
    pub fn run(&mut self, line: &str) -> Frame {
        let argv = split_args(line.as_bytes()).expect("balanced quotes in test command");
        self.run_argv(&argv)
    }

    pub fn run_argv(&mut self, argv: &[Vec<u8>]) -> Frame {
        let reply = self.engine.execute(self.client, argv, self.now_ms).unwrap_or(Frame::Raw(Vec::new()));
        // DEBUG SLEEP passes simulated time instead of stopping the test.
        self.now_ms += self.engine.debug.take_sleep_us() / 1000;
        structured(reply)
    }

    /// Runs `lines` with propagation on and returns what they propagated, one string per
    /// command ("db:ARG ARG"), MULTI/EXEC included.
    pub fn propagated(&mut self, lines: &[&str]) -> Vec<String> {
        self.engine.prop.enabled = true;
        for line in lines {
            self.run(line);
        }
        self.engine
            .take_propagated()
            .into_iter()
            .map(|(db, argv)| {
                let words: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                format!("{db}:{}", words.join(" "))
            })
            .collect()
    }

    /// Moves the simulated clock forward.
    pub fn advance_ms(&mut self, ms: u64) {
        self.now_ms += ms;
    }

    /// Connects another client and makes it current; returns its id.
    pub fn new_client(&mut self) -> u64 {
        self.client = self.engine.connect("127.0.0.1:50001".into(), "127.0.0.1:6379".into(), self.now_ms);
        self.client
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// A reply some handler pre-encoded (`Frame::Raw` holding one whole reply, as LRANGE's) decoded
/// back into frames, so tests compare structure; anything else is returned as is.
pub fn structured(reply: Frame) -> Frame {
    if let Frame::Raw(bytes) = &reply {
        if let Ok(Some((frame, used))) = crate::resp::decode(bytes) {
            if used == bytes.len() {
                return frame;
            }
        }
    }
    reply
}

/// Shorthands for expected replies.
pub fn ok() -> Frame {
    Frame::ok()
}

pub fn bulk(s: &str) -> Frame {
    Frame::bulk_str(s)
}

pub fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

pub fn err(s: &str) -> Frame {
    Frame::Error(s.to_string())
}
