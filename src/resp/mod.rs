//! RESP, the Redis serialization protocol: the `Frame` a reply is made of, its RESP2 and RESP3
//! encodings, and the incremental request parser (multibulk and inline) with Redis's limits.
//!
//! Pure code: no sockets, no clock. The server feeds bytes in and writes encoded bytes out.

mod decode;
mod encode;
mod frame;
pub mod parse;
pub mod split;

pub use decode::{decode, DecodeError};
pub use encode::{encode, format_double, format_g};
pub use frame::Frame;
pub use parse::{ParseLimits, ProtoError, RequestParser};
