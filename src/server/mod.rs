//! The network server: start-up, the event loop, client connections, logging, and the embedded
//! `Server` for other crates' tests.

pub mod conn;
pub mod embed;
pub mod event_loop;
pub mod log;
mod master_link;
pub mod persistence;
pub mod process;
pub mod startup;

pub use embed::{Server, ServerBuilder};
