//! Persistence: the RDB format (`rdb`), and later the AOF. Disk I/O and background work go
//! through small traits so the engine stays sans-IO and tests can run saves deterministically.

pub mod rdb;
