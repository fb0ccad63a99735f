#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cmd;
pub mod engine;
pub mod persist;
pub mod resp;
pub mod server;

pub use server::{Server, ServerBuilder};
