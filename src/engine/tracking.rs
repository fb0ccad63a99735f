//! Client-side caching (Redis's tracking.c).

use super::Engine;

impl Engine {
    /// A key changed: clients that may cache it get an invalidation message.
    pub fn tracking_invalidate_key(&mut self, _db: usize, _key: &[u8]) {}
}
