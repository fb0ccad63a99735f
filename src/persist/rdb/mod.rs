//! The RDB format: Redis's snapshot file and DUMP payload encoding.
//!
//! - `input`: the byte source (a slice or a buffered stream) with offsets and the running CRC-64.
//! - `decode`: values of every type and encoding Redis has written (RDB versions 1 to 12) into the
//!   neutral [`RdbValue`], and whole files as a stream of [`Record`]s.
//! - `blobs`: the packed encodings stored inside values (ziplist, listpack, intset, zipmap).
//! - `encode`: the writer (RDB version 10 by default, as Redis 7.0; 11 on request).
//! - `dump`: DUMP/RESTORE payloads (value, RDB version, CRC-64).
//! - `lzf`: LZF compression.
//!
//! The reader parses into `RdbValue`, which holds plain element lists and knows nothing of the
//! engine; `crate::persist::load` turns it into engine values. A type the engine cannot hold yet
//! is parsed completely and then refused with [`RdbError::Unsupported`].

pub mod blobs;
mod compact_write;
pub mod decode;
pub mod dump;
pub mod encode;
pub mod input;
pub mod lzf;
mod stream;
mod stream_write;

use std::fmt;

/// The version verdis writes by default: Redis 7.0's, so a real Redis 7.0 loads the files.
pub const RDB_VERSION_DEFAULT: u16 = 10;
/// The newest version the reader understands (Redis 7.4).
pub const RDB_VERSION_MAX_READ: u16 = 12;
/// The newest DUMP payload version RESTORE accepts: Redis 7.0's own, as 7.0 refuses newer ones.
pub const RDB_VERSION_RESTORE_MAX: u16 = 10;

// Value types (the byte before each key).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE_PRE_GA: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
pub const TYPE_SET_LISTPACK: u8 = 20;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;
pub const TYPE_HASH_METADATA_PRE_GA: u8 = 22;
pub const TYPE_HASH_LISTPACK_EX_PRE_GA: u8 = 23;
pub const TYPE_HASH_METADATA: u8 = 24;
pub const TYPE_HASH_LISTPACK_EX: u8 = 25;

// Opcodes.
pub const OP_SLOT_INFO: u8 = 244;
pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION_PRE_GA: u8 = 246;
pub const OP_MODULE_AUX: u8 = 247;
pub const OP_IDLE: u8 = 248;
pub const OP_FREQ: u8 = 249;
pub const OP_AUX: u8 = 250;
pub const OP_RESIZEDB: u8 = 251;
pub const OP_EXPIRETIME_MS: u8 = 252;
pub const OP_EXPIRETIME: u8 = 253;
pub const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

// Length encodings.
pub const LEN_6BIT: u8 = 0;
pub const LEN_14BIT: u8 = 1;
pub const LEN_32BIT: u8 = 0x80;
pub const LEN_64BIT: u8 = 0x81;
pub const LEN_ENCVAL: u8 = 3;
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

// Module value sub-opcodes (RDB_TYPE_MODULE_2 and module aux data).
pub const MODULE_OP_EOF: u64 = 0;
pub const MODULE_OP_SINT: u64 = 1;
pub const MODULE_OP_UINT: u64 = 2;
pub const MODULE_OP_FLOAT: u64 = 3;
pub const MODULE_OP_DOUBLE: u64 = 4;
pub const MODULE_OP_STRING: u64 = 5;

/// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
pub const QUICKLIST_PLAIN: u64 = 1;
pub const QUICKLIST_PACKED: u64 = 2;

/// The RDB type name of a type byte, as redis-check-rdb prints them.
pub fn type_name(t: u8) -> &'static str {
    match t {
        TYPE_STRING => "string",
        TYPE_LIST => "list-linked",
        TYPE_SET => "set-hashtable",
        TYPE_ZSET => "zset-v1",
        TYPE_HASH => "hash-hashtable",
        TYPE_ZSET_2 => "zset-v2",
        TYPE_MODULE_PRE_GA => "module-pre-release",
        TYPE_MODULE_2 => "module-value",
        TYPE_HASH_ZIPMAP => "hash-zipmap",
        TYPE_LIST_ZIPLIST => "list-ziplist",
        TYPE_SET_INTSET => "set-intset",
        TYPE_ZSET_ZIPLIST => "zset-ziplist",
        TYPE_HASH_ZIPLIST => "hash-ziplist",
        TYPE_LIST_QUICKLIST => "quicklist",
        TYPE_STREAM_LISTPACKS => "stream",
        TYPE_HASH_LISTPACK => "hash-listpack",
        TYPE_ZSET_LISTPACK => "zset-listpack",
        TYPE_LIST_QUICKLIST_2 => "quicklist-v2",
        TYPE_STREAM_LISTPACKS_2 => "stream-v2",
        TYPE_SET_LISTPACK => "set-listpack",
        TYPE_STREAM_LISTPACKS_3 => "stream-v3",
        TYPE_HASH_METADATA_PRE_GA => "hash-hashtable-md-pre-ga",
        TYPE_HASH_LISTPACK_EX_PRE_GA => "hash-listpack-md-pre-ga",
        TYPE_HASH_METADATA => "hash-hashtable-md",
        TYPE_HASH_LISTPACK_EX => "hash-listpack-md",
        _ => "unknown",
    }
}

/// A value as stored in an RDB file, decoded into plain elements. Integers stored in packed
/// encodings are given as their decimal text, as Redis returns them.
#[derive(Clone, Debug, PartialEq)]
pub enum RdbValue {
    String(Vec<u8>),
    /// Elements in order (the linked-list and single-ziplist types).
    List(Vec<Vec<u8>>),
    /// Elements in order, with the number of elements in each quicklist node of the file:
    /// Redis keeps a loaded quicklist's nodes as they are, and so does verdis.
    Quicklist {
        items: Vec<Vec<u8>>,
        node_lens: Vec<usize>,
    },
    /// Members in file order.
    Set(Vec<Vec<u8>>),
    /// Fields in file order; `expire_at_ms` only for hashes with field expiry (RDB 12).
    Hash(Vec<HashField>),
    /// Members with scores, in file order.
    ZSet(Vec<(Vec<u8>, f64)>),
    Stream(Box<RdbStream>),
    /// A module value: parsed (RDB_TYPE_MODULE_2 is self-describing) but not interpretable.
    Module(ModuleValue),
}

impl RdbValue {
    /// The type name TYPE reports for such a value.
    pub fn type_name(&self) -> &'static str {
        match self {
            RdbValue::String(_) => "string",
            RdbValue::List(_) | RdbValue::Quicklist { .. } => "list",
            RdbValue::Set(_) => "set",
            RdbValue::Hash(_) => "hash",
            RdbValue::ZSet(_) => "zset",
            RdbValue::Stream(_) => "stream",
            RdbValue::Module(_) => "module",
        }
    }

    /// Empty containers are skipped on load, as Redis does (streams may be empty).
    pub fn is_empty_container(&self) -> bool {
        match self {
            RdbValue::List(v) | RdbValue::Set(v) | RdbValue::Quicklist { items: v, .. } => v.is_empty(),
            RdbValue::Hash(v) => v.is_empty(),
            RdbValue::ZSet(v) => v.is_empty(),
            RdbValue::String(_) | RdbValue::Stream(_) | RdbValue::Module(_) => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashField {
    pub field: Vec<u8>,
    pub value: Vec<u8>,
    pub expire_at_ms: Option<u64>,
}

/// A stream ID.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub fn from_be_bytes(b: &[u8; 16]) -> StreamId {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&b[..8]);
        seq.copy_from_slice(&b[8..]);
        StreamId { ms: u64::from_be_bytes(ms), seq: u64::from_be_bytes(seq) }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamEntry {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A stream: its live entries and metadata, as XINFO STREAM FULL shows them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RdbStream {
    /// Live (not deleted) entries, in ID order.
    pub entries: Vec<StreamEntry>,
    /// The stored length (number of live entries).
    pub length: u64,
    pub last_id: StreamId,
    /// Stored from RDB_TYPE_STREAM_LISTPACKS_2 on; computed from the entries before that.
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: Vec<StreamGroup>,
    /// Number of listpack nodes (XINFO's radix-tree-keys).
    pub nodes: usize,
    /// The nodes as stored, tombstones included (so a loaded stream keeps Redis's node layout).
    pub node_list: Vec<RdbStreamNode>,
    /// Written before RDB_TYPE_STREAM_LISTPACKS_2: group read counters are to be estimated.
    pub legacy: bool,
}

/// One listpack node of a stream: its master ID and field names, and every entry it holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RdbStreamNode {
    pub master: StreamId,
    pub master_fields: Vec<Vec<u8>>,
    pub items: Vec<RdbStreamItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RdbStreamItem {
    pub id: StreamId,
    pub deleted: bool,
    pub same_fields: bool,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamGroup {
    pub name: Vec<u8>,
    pub last_id: StreamId,
    /// `None` when unknown (stored as -1, or not stored before RDB_TYPE_STREAM_LISTPACKS_2).
    pub entries_read: Option<u64>,
    /// The group's pending entries, in ID order.
    pub pending: Vec<PendingEntry>,
    pub consumers: Vec<StreamConsumer>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PendingEntry {
    pub id: StreamId,
    pub delivery_time_ms: u64,
    pub delivery_count: u64,
    /// The owning consumer's name (set from the consumers' own lists).
    pub consumer: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamConsumer {
    pub name: Vec<u8>,
    pub seen_time_ms: u64,
    /// Stored from RDB_TYPE_STREAM_LISTPACKS_3 on (Redis 7.2).
    pub active_time_ms: Option<u64>,
    /// IDs of this consumer's pending entries.
    pub pending: Vec<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModuleValue {
    pub module_id: u64,
    /// The module type name encoded in the ID (nine characters).
    pub name: String,
}

/// Redis's 64-character module-name alphabet.
const MODULE_CHARSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The module type name in a module ID (its top 54 bits, six per character).
pub fn module_name(id: u64) -> String {
    let mut id = id >> 10;
    let mut name = [0u8; 9];
    for slot in name.iter_mut().rev() {
        *slot = MODULE_CHARSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Why an RDB file or payload could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RdbError {
    /// The data ends early.
    UnexpectedEof { offset: u64 },
    /// The data is malformed; `what` says how.
    Corrupt { offset: u64, what: String },
    /// Well-formed, but something verdis (or this Redis version) does not load.
    Unsupported { offset: u64, what: String },
    /// The file could not be read.
    Io { offset: u64, what: String },
}

impl RdbError {
    pub fn offset(&self) -> u64 {
        match self {
            RdbError::UnexpectedEof { offset }
            | RdbError::Corrupt { offset, .. }
            | RdbError::Unsupported { offset, .. }
            | RdbError::Io { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::UnexpectedEof { offset } => write!(f, "Unexpected EOF reading RDB file at offset {offset}"),
            RdbError::Corrupt { offset, what } => write!(f, "{what} (at offset {offset})"),
            RdbError::Unsupported { offset, what } => write!(f, "{what} (at offset {offset})"),
            RdbError::Io { offset, what } => write!(f, "I/O error at offset {offset}: {what}"),
        }
    }
}

impl RdbError {
    /// The line Redis logs for a file or payload it cannot read (rdbReportError): the reason
    /// after Redis's fixed prefix, which names a source line verdis does not have (0).
    pub fn report(&self) -> String {
        match self {
            RdbError::Corrupt { offset, what } | RdbError::Unsupported { offset, what } => {
                format!("Internal error in RDB reading offset {offset}, function at rdb.c:0 -> {what}")
            }
            other => other.to_string(),
        }
    }
}

impl std::error::Error for RdbError {}

pub type Result<T> = std::result::Result<T, RdbError>;

/// CRC-64 as Redis computes it (Jones polynomial, reflected; check value 0xe9c6d914c4b8d9ca).
pub static CRC64: crc::Crc<u64, crc::Table<16>> = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

pub fn crc64(bytes: &[u8]) -> u64 {
    CRC64.checksum(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_is_redis_jones() {
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut d = CRC64.digest();
        d.update(b"1234");
        d.update(b"56789");
        assert_eq!(d.finalize(), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn module_names() {
        // "MyType123" with encoding version 3, built the way Redis builds module IDs.
        let name = b"MyType123";
        let mut id: u64 = 0;
        for &c in name {
            id = (id << 6) | MODULE_CHARSET.iter().position(|&x| x == c).unwrap() as u64;
        }
        id = (id << 10) | 3;
        assert_eq!(module_name(id), "MyType123");
    }
}
