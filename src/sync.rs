//! The synchronization types the threaded parts of verdis use, behind one facade (as tokio does):
//! std's normally, loom's when the code is compiled for a loom model check.
//!
//! The loom models (`tests/loom_lazyfree.rs`) include this file and `src/lazyfree.rs` directly
//! with `#[path]`, so that they are compiled inside the test crate, where the loom dev-dependency
//! exists and `cfg(test)` holds. The library itself, even when built with `--cfg loom` as that
//! test's dependency, has no `cfg(test)` and keeps std's types. (A consequence: the library's own
//! unit tests are not meant to run under `--cfg loom`.)

#[cfg(all(loom, test))]
pub(crate) use loom::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    thread,
};

#[cfg(not(all(loom, test)))]
pub(crate) use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    thread,
};

/// Locks `mutex`. A poisoned lock (a thread panicked while holding it) still gives its data:
/// every critical section in verdis leaves the data consistent before anything that can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar`, releasing and retaking `guard`'s lock (poisoning ignored as in `lock`).
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(|poisoned| poisoned.into_inner())
}
