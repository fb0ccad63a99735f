//! Allocation accounting for INFO's `used_memory`, as Redis's zmalloc counts what it allocated.
//!
//! Why: the resident set size is not the dataset's size. glibc keeps freed memory for reuse, so
//! after FLUSHALL (or once the lazy-free thread has done its job) RSS stays high while Redis's
//! `used_memory` falls; users and Redis's own tests watch `used_memory` fall. Counting every
//! allocation is the only honest way to report it with the system allocator.
//!
//! The `unsafe` here is the `GlobalAlloc` contract, nothing more: every call forwards to
//! `std::alloc::System` with the caller's arguments unchanged, and only a relaxed atomic counter is
//! updated besides. The library never installs it (an embedding program chooses its own
//! allocator); `verdis-server` does, and so can a test binary:
//! `#[global_allocator] static ALLOC: verdis::alloc::Counting = verdis::alloc::Counting;`.
//! The cost, one uncontended atomic add per allocation and per free, is what zmalloc pays too.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static ALLOCATED_BYTES: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator with a count of the bytes currently allocated.
pub struct Counting;

// SAFETY: every method forwards its arguments to `System`, which upholds `GlobalAlloc`'s contract;
// the counter does not influence what is returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            ALLOCATED_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            ALLOCATED_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        ALLOCATED_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            // On failure the old block stays allocated and the count stays as it was.
            ALLOCATED_BYTES.fetch_add(new_size, Ordering::Relaxed);
            ALLOCATED_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

/// Records that this process allocates through [`Counting`]; the program calls it at start after
/// installing the allocator, so that [`allocated_bytes`] is trusted.
pub fn mark_installed() {
    INSTALLED.store(true, Ordering::Relaxed);
}

/// Bytes currently allocated, when [`Counting`] is the process's allocator.
pub fn allocated_bytes() -> Option<u64> {
    INSTALLED.load(Ordering::Relaxed).then(|| ALLOCATED_BYTES.load(Ordering::Relaxed) as u64)
}
