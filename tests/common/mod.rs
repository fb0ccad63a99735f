//! Shared test support: a raw RESP client over TCP, an embedded verdis, and a real redis-server
//! started on a free loopback port (the oracle).
#![allow(dead_code)]

pub mod oracle;
pub mod process;
pub mod repl;
pub mod scenario;
pub mod wire;
