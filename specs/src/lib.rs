//! verdis-spec: an executable model of Redis 7.0's keyspace, expiry and
//! string commands, and the generated operations used to test the engine
//! against it.
//!
//! The model is written from Redis's documentation, its source and the
//! behaviour of a real `redis-server` 7.0.15, independently of the engine,
//! so that one misunderstanding cannot hide in both. It favours the most
//! obvious implementation over efficiency. The rules it implements are
//! written out in `specs/rules/*.md`; every rule ID is cited by a test.

#![forbid(unsafe_code)]

mod big;
pub mod glob;
pub mod harness;
pub mod ld;
pub mod model;
pub mod num;
pub mod op;
pub mod reply;
pub mod script;

pub use harness::{run_ops, System};
pub use model::{ClientState, Item, MValue, Mismatch, Model, NUM_DBS};
pub use op::{Op, Step, EPOCH_MS};
pub use reply::Reply;

/// Builds an argument vector from string slices (test convenience).
pub fn argv(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}
