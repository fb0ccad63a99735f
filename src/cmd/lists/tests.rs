//! Unit tests for the list family.
