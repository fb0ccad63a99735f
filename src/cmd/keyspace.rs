//! The keyspace command family.

use crate::engine::Handler;

pub fn handler(full_name: &str) -> Option<Handler> {
    match full_name {
        _ => None,
    }
}
