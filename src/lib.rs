#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cmd;
pub mod engine;
pub mod lazyfree;
pub mod oracle;
pub mod resp;
pub mod server;
mod sync;

pub use server::{Server, ServerBuilder};
