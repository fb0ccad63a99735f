//! verdis: a deterministic, model-checked reference implementation of the Redis 7.0 server.
#![forbid(unsafe_code)]

pub mod cmd;
pub mod engine;
pub mod resp;
pub mod server;

pub use server::{Server, ServerBuilder};
