//! Unit tests of the sets family.
use crate::engine::testkit::*;
