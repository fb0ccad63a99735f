//! verdis-spec: an executable model of Redis 7.0's keyspace, expiry and
//! string commands, and the generated operations used to test the engine
//! against it.
//!
//! The model is written from Redis's documentation, its source and the
//! behaviour of a real `redis-server` 7.0.15, independently of the engine,
//! so that one misunderstanding cannot hide in both. It favours the most
//! obvious implementation over efficiency. The rules it implements are
//! written out in `specs/rules/*.md`; every rule ID is cited by a test.
//!
//! Pieces:
//! - [`Model`]: `apply` a command at a given time, `check` another
//!   implementation's reply (tolerating what Redis leaves open: KEYS order,
//!   RANDOMKEY, SCAN, DBSIZE), `keys` for whole-state comparison.
//! - [`Op`]: generated operations over small alphabets ([`arbitrary`]).
//! - [`run_ops`]: runs ops against a [`System`] and the model side by side.
//! - [`script`]: expectation scripts recorded against real Redis.
//!
//! A system under test only has to turn its replies into [`Reply`]:
//!
//! ```
//! use verdis_spec::{op::ops_from_bytes, run_ops, Model, Reply, System, EPOCH_MS};
//!
//! /// Stands in for the engine: here, simply another model.
//! struct Sut(Model);
//!
//! impl System for Sut {
//!     fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
//!         self.0.apply(client, argv, now_ms)
//!     }
//! }
//!
//! let ops = ops_from_bytes(&[7u8; 512], 50);
//! run_ops(&ops, &mut Sut(Model::new()), EPOCH_MS).expect("agrees with itself");
//! ```

#![forbid(unsafe_code)]

mod big;
pub mod crc64;
pub mod glob;
pub mod harness;
pub mod ld;
pub mod misconf;
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
