#![doc = include_str!("../README.md")]
// Unsafe code is denied everywhere but in `persist::fork` (BGSAVE by fork), which explains itself.
#![deny(unsafe_code)]

pub mod alloc;
pub mod cmd;
pub mod engine;
pub mod lazyfree;
pub mod oracle;
pub mod persist;
pub mod resp;
pub mod server;
mod sync;

pub use server::{Server, ServerBuilder};
