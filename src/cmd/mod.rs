//! Command implementations, one file per family as Redis's t_string.c, t_list.c, ...
//! Each family exposes `handler(full_name) -> Option<Handler>`; the command table asks them all.

use crate::engine::Handler;

pub mod acl;
pub mod args;
pub mod bitmaps;
pub mod command;
pub mod config;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod functions;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod info;
pub mod keyspace;
pub mod lists;
pub mod memory;
pub mod persist;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod tx;
pub mod zsets;

/// The handler for a command's full name (`get`, `config|get`), if verdis implements it.
pub fn handler(full_name: &str) -> Option<Handler> {
    strings::handler(full_name)
        .or_else(|| acl::handler(full_name))
        .or_else(|| keyspace::handler(full_name))
        .or_else(|| persist::handler(full_name))
        .or_else(|| debug::handler(full_name))
        .or_else(|| expire::handler(full_name))
        .or_else(|| connection::handler(full_name))
        .or_else(|| server::handler(full_name))
        .or_else(|| config::handler(full_name))
        .or_else(|| functions::handler(full_name))
        .or_else(|| tx::handler(full_name))
        .or_else(|| pubsub::handler(full_name))
        .or_else(|| lists::handler(full_name))
        .or_else(|| bitmaps::handler(full_name))
        .or_else(|| hyperloglog::handler(full_name))
        .or_else(|| hashes::handler(full_name))
        .or_else(|| memory::handler(full_name))
        .or_else(|| sort::handler(full_name))
        .or_else(|| sets::handler(full_name))
        .or_else(|| zsets::handler(full_name))
        .or_else(|| streams::handler(full_name))
        .or_else(|| geo::handler(full_name))
        .or_else(|| replication::handler(full_name))
        .or_else(|| scripting::handler(full_name))
}
