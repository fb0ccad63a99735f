//! The oracle tooling: `verdis diff` runs the same generated operations on an in-process verdis
//! engine and on another server over RESP, and reports where their replies differ.
//! Nothing here is part of the engine; it only drives it.

pub mod acl_facts;
pub mod diff;
pub mod remote;
pub mod system;

pub use diff::{run_diff, run_replay, DiffOptions, DiffReport};
