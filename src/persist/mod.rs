//! Persistence: the RDB format (`rdb`), the file system behind a trait (`disk`), point-in-time
//! snapshots (`snapshot`, and `fork` for the server), loading (`load`) and the engine's save
//! logic (`control`). Disk I/O and background work go through small traits so the engine stays
//! sans-IO and tests run saves deterministically.

pub mod aof;
pub mod check;
pub mod control;
pub mod denial;
pub mod disk;
pub mod faults;
pub mod fork;
pub mod load;
pub mod rdb;
pub mod snapshot;

pub use control::Persistence;
