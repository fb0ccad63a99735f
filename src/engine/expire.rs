//! Active expiry and INFO keyspace.
