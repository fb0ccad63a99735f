//! Reading RDB: lengths, strings (plain, integer-encoded, LZF), values of every type and
//! encoding, and whole files as a sequence of records.

use super::blobs::{self, Elem};
use super::input::Source;
use super::lzf;
use super::*;

/// A length, or (second field true) the special encoding number of a string.
pub fn read_len_enc<S: Source>(src: &mut S) -> Result<(u64, bool)> {
    let b = src.u8()?;
    match b >> 6 {
        LEN_6BIT => Ok((u64::from(b & 0x3f), false)),
        LEN_14BIT => Ok(((u64::from(b & 0x3f) << 8) | u64::from(src.u8()?), false)),
        LEN_ENCVAL => Ok((u64::from(b & 0x3f), true)),
        _ => match b {
            LEN_32BIT => Ok((u64::from(u32::from_be_bytes(src.array()?)), false)),
            LEN_64BIT => Ok((u64::from_be_bytes(src.array()?), false)),
            _ => Err(src.corrupt(format!("Unknown length encoding {} in rdbLoadLen()", b >> 6))),
        },
    }
}

/// A plain length (a special encoding here is corruption).
pub fn read_len<S: Source>(src: &mut S) -> Result<u64> {
    match read_len_enc(src)? {
        (n, false) => Ok(n),
        (enc, true) => Err(src.corrupt(format!("Unexpected string encoding {enc} where a length was expected"))),
    }
}

/// A count of items that each take at least one byte: bounded so a bogus count fails fast.
fn read_count<S: Source>(src: &mut S) -> Result<u64> {
    read_len(src)
}

/// A string in any of its encodings; integer encodings give their decimal text.
pub fn read_string<S: Source>(src: &mut S) -> Result<Vec<u8>> {
    let (n, encoded) = read_len_enc(src)?;
    if !encoded {
        return src.read_vec(n);
    }
    match n as u8 {
        ENC_INT8 => Ok((src.u8()? as i8).to_string().into_bytes()),
        ENC_INT16 => Ok(i16::from_le_bytes(src.array()?).to_string().into_bytes()),
        ENC_INT32 => Ok(i32::from_le_bytes(src.array()?).to_string().into_bytes()),
        ENC_LZF => read_lzf(src),
        other => Err(src.corrupt(format!("Unknown RDB string encoding type {other}"))),
    }
}

fn read_lzf<S: Source>(src: &mut S) -> Result<Vec<u8>> {
    let clen = read_len(src)?;
    let len = read_len(src)?;
    // One LZF back reference (3 bytes) yields at most 264 bytes: a stored length beyond that
    // ratio cannot be true, and is refused before allocating for it.
    if len > clen.saturating_mul(88).saturating_add(32) {
        return Err(src.corrupt("Invalid LZF compressed string"));
    }
    let compressed = src.read_vec(clen)?;
    let mut out = Vec::new();
    lzf::decompress(&compressed, len as usize, &mut out).map_err(|_| src.corrupt("Invalid LZF compressed string"))?;
    Ok(out)
}

/// An 8-byte little-endian binary double (ZSET_2, module doubles).
fn read_binary_double<S: Source>(src: &mut S) -> Result<f64> {
    Ok(f64::from_le_bytes(src.array()?))
}

/// The old text double of RDB_TYPE_ZSET: a length byte (253 nan, 254 +inf, 255 -inf) and text.
fn read_text_double<S: Source>(src: &mut S) -> Result<f64> {
    let len = src.u8()?;
    match len {
        255 => Ok(f64::NEG_INFINITY),
        254 => Ok(f64::INFINITY),
        253 => Ok(f64::NAN),
        _ => {
            let text = src.take(len as usize)?.to_vec();
            blobs::parse_score(&text).ok_or_else(|| src.corrupt("Invalid double value"))
        }
    }
}

/// Reads the value of a key of RDB type `rdb_type`.
pub fn read_value<S: Source>(src: &mut S, rdb_type: u8) -> Result<RdbValue> {
    match rdb_type {
        TYPE_STRING => Ok(RdbValue::String(read_string(src)?)),
        TYPE_LIST => {
            let n = read_count(src)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read_string(src)?);
            }
            Ok(RdbValue::List(items))
        }
        TYPE_SET => {
            let n = read_count(src)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read_string(src)?);
            }
            check_unique(src, items.iter().map(|m| m.as_slice()), "Duplicate set members detected")?;
            Ok(RdbValue::Set(items))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = read_count(src)?;
            let mut items = Vec::new();
            for _ in 0..n {
                let member = read_string(src)?;
                let score = if rdb_type == TYPE_ZSET_2 { read_binary_double(src)? } else { read_text_double(src)? };
                if score.is_nan() {
                    return Err(src.corrupt("Zset with NAN score detected"));
                }
                items.push((member, score));
            }
            check_unique(src, items.iter().map(|(m, _)| m.as_slice()), "Duplicate zset fields detected")?;
            Ok(RdbValue::ZSet(items))
        }
        TYPE_HASH => {
            let n = read_count(src)?;
            let mut items = Vec::new();
            for _ in 0..n {
                let field = read_string(src)?;
                let value = read_string(src)?;
                items.push(HashField { field, value, expire_at_ms: None });
            }
            check_unique(src, items.iter().map(|f| f.field.as_slice()), "Duplicate hash fields detected")?;
            Ok(RdbValue::Hash(items))
        }
        TYPE_HASH_METADATA | TYPE_HASH_METADATA_PRE_GA => read_hash_metadata(src, rdb_type),
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => read_quicklist(src, rdb_type),
        TYPE_HASH_ZIPMAP => {
            let blob = read_string(src)?;
            let pairs = blobs::zipmap(&blob).map_err(|_| src.corrupt("Zipmap integrity check failed."))?;
            check_unique(src, pairs.iter().map(|(f, _)| f.as_slice()), "Hash zipmap with dup elements")?;
            Ok(RdbValue::Hash(
                pairs.into_iter().map(|(field, value)| HashField { field, value, expire_at_ms: None }).collect(),
            ))
        }
        TYPE_LIST_ZIPLIST => {
            let blob = read_string(src)?;
            let elems = blobs::ziplist(&blob).map_err(|_| src.corrupt("List ziplist integrity check failed."))?;
            Ok(RdbValue::List(elems.into_iter().map(Elem::into_bytes).collect()))
        }
        TYPE_SET_INTSET => {
            let blob = read_string(src)?;
            let members = blobs::intset(&blob).map_err(|_| src.corrupt("Intset integrity check failed."))?;
            Ok(RdbValue::Set(members.into_iter().map(|m| m.to_string().into_bytes()).collect()))
        }
        TYPE_SET_LISTPACK => {
            let blob = read_string(src)?;
            let elems = blobs::listpack(&blob).map_err(|_| src.corrupt("Set listpack integrity check failed."))?;
            let members: Vec<Vec<u8>> = elems.into_iter().map(Elem::into_bytes).collect();
            check_unique(src, members.iter().map(|m| m.as_slice()), "Set listpack integrity check failed.")?;
            Ok(RdbValue::Set(members))
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = read_string(src)?;
            let (elems, what) = if rdb_type == TYPE_ZSET_ZIPLIST {
                (blobs::ziplist(&blob), "Zset ziplist integrity check failed.")
            } else {
                (blobs::listpack(&blob), "Zset listpack integrity check failed.")
            };
            let elems = elems.map_err(|_| src.corrupt(what))?;
            if elems.len() % 2 != 0 {
                return Err(src.corrupt(what));
            }
            let mut items = Vec::with_capacity(elems.len() / 2);
            let mut it = elems.into_iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                let score = s.as_score().filter(|f| !f.is_nan()).ok_or_else(|| src.corrupt(what))?;
                items.push((m.into_bytes(), score));
            }
            check_unique(src, items.iter().map(|(m, _)| m.as_slice()), what)?;
            Ok(RdbValue::ZSet(items))
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = read_string(src)?;
            let (elems, what) = if rdb_type == TYPE_HASH_ZIPLIST {
                (blobs::ziplist(&blob), "Hash ziplist integrity check failed.")
            } else {
                (blobs::listpack(&blob), "Hash listpack integrity check failed.")
            };
            let elems = elems.map_err(|_| src.corrupt(what))?;
            pairs_to_hash(src, elems, 2, what)
        }
        TYPE_HASH_LISTPACK_EX | TYPE_HASH_LISTPACK_EX_PRE_GA => {
            if rdb_type == TYPE_HASH_LISTPACK_EX {
                let _min_expire_ms = u64::from_le_bytes(src.array()?);
            }
            let blob = read_string(src)?;
            let what = "Hash listpack integrity check failed.";
            let elems = blobs::listpack(&blob).map_err(|_| src.corrupt(what))?;
            pairs_to_hash(src, elems, 3, what)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
            Ok(RdbValue::Stream(Box::new(super::stream::read_stream(src, rdb_type)?)))
        }
        TYPE_MODULE_PRE_GA => Err(src.corrupt("Pre-release module format not supported")),
        TYPE_MODULE_2 => {
            let module_id = read_len(src)?;
            let name = module_name(module_id);
            skip_module_value(src, &name)?;
            Ok(RdbValue::Module(ModuleValue { module_id, name }))
        }
        other => Err(src.corrupt(format!("Unknown RDB encoding type {other}"))),
    }
}

/// Fails when a field, member or element name repeats.
/// Sorting finds a repeat without hashing (most collections are small; a seeded std hasher cost
/// a tenth of a million-key load).
fn check_unique<'a, S: Source>(src: &S, names: impl Iterator<Item = &'a [u8]>, what: &str) -> Result<()> {
    let mut sorted: Vec<&[u8]> = names.collect();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(src.corrupt(what));
    }
    Ok(())
}

/// Field/value pairs (tuple 2) or field/value/expiry triples (tuple 3, expiry 0 meaning none).
fn pairs_to_hash<S: Source>(src: &S, elems: Vec<Elem>, tuple: usize, what: &str) -> Result<RdbValue> {
    if !elems.len().is_multiple_of(tuple) {
        return Err(src.corrupt(what));
    }
    let mut fields = Vec::with_capacity(elems.len() / tuple);
    let mut it = elems.into_iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        let expire_at_ms = if tuple == 3 {
            let t = it.next().and_then(|e| e.as_int()).filter(|&t| t >= 0).ok_or_else(|| src.corrupt(what))?;
            (t != 0).then_some(t as u64)
        } else {
            None
        };
        fields.push(HashField { field: f.into_bytes(), value: v.into_bytes(), expire_at_ms });
    }
    check_unique(src, fields.iter().map(|f| f.field.as_slice()), what)?;
    Ok(RdbValue::Hash(fields))
}

/// RDB 12 hashes with field expiry, hashtable form: [min expiry], count, (ttl, field, value)*.
fn read_hash_metadata<S: Source>(src: &mut S, rdb_type: u8) -> Result<RdbValue> {
    let min_expire_ms = if rdb_type == TYPE_HASH_METADATA { Some(u64::from_le_bytes(src.array()?)) } else { None };
    let n = read_count(src)?;
    let mut fields = Vec::new();
    for _ in 0..n {
        let ttl = read_len(src)?;
        // In the GA format a non-zero TTL is relative to the minimum, plus one; before, absolute.
        let expire_at_ms = match (ttl, min_expire_ms) {
            (0, _) => None,
            (t, Some(min)) => Some(t.wrapping_add(min).wrapping_sub(1)),
            (t, None) => Some(t),
        };
        let field = read_string(src)?;
        let value = read_string(src)?;
        fields.push(HashField { field, value, expire_at_ms });
    }
    check_unique(src, fields.iter().map(|f| f.field.as_slice()), "Duplicate hash fields detected")?;
    Ok(RdbValue::Hash(fields))
}

/// Quicklists: nodes of ziplists (v1) or of listpacks and plain elements (v2).
fn read_quicklist<S: Source>(src: &mut S, rdb_type: u8) -> Result<RdbValue> {
    let nodes = read_count(src)?;
    let mut items = Vec::new();
    let mut node_lens = Vec::new();
    for _ in 0..nodes {
        let container = if rdb_type == TYPE_LIST_QUICKLIST_2 { read_len(src)? } else { QUICKLIST_PACKED };
        if container != QUICKLIST_PACKED && container != QUICKLIST_PLAIN {
            return Err(src.corrupt("Quicklist integrity check failed."));
        }
        let blob = read_string(src)?;
        if blob.is_empty() {
            return Err(src.corrupt("Quicklist integrity check failed."));
        }
        if container == QUICKLIST_PLAIN {
            items.push(blob);
            node_lens.push(1);
            continue;
        }
        let elems = if rdb_type == TYPE_LIST_QUICKLIST_2 {
            blobs::listpack(&blob).map_err(|_| src.corrupt("Listpack integrity check failed."))?
        } else {
            blobs::ziplist(&blob).map_err(|_| src.corrupt("Ziplist integrity check failed."))?
        };
        // Empty nodes are skipped silently, as Redis does.
        if !elems.is_empty() {
            node_lens.push(elems.len());
            items.extend(elems.into_iter().map(Elem::into_bytes));
        }
    }
    Ok(RdbValue::Quicklist { items, node_lens })
}

/// Walks a self-describing module value (or module aux data) up to its EOF opcode.
fn skip_module_value<S: Source>(src: &mut S, name: &str) -> Result<()> {
    loop {
        let op = read_len(src)?;
        match op {
            MODULE_OP_EOF => return Ok(()),
            MODULE_OP_SINT | MODULE_OP_UINT => {
                read_len(src)?;
            }
            MODULE_OP_STRING => {
                read_string(src)?;
            }
            MODULE_OP_FLOAT => {
                src.take(4)?;
            }
            MODULE_OP_DOUBLE => {
                src.take(8)?;
            }
            _ => return Err(src.corrupt(format!("Unknown module opcode {op} in module {name} value"))),
        }
    }
}

/// One key with the attributes set by the opcodes before it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRecord {
    pub db: u64,
    pub key: Vec<u8>,
    pub value: RdbValue,
    /// The RDB type byte the value was stored with.
    pub rdb_type: u8,
    /// Absolute expiry in Unix milliseconds (may be negative in a hostile file).
    pub expire_at_ms: Option<i64>,
    /// LRU idle time in seconds (RDB_OPCODE_IDLE).
    pub idle_s: Option<u64>,
    /// LFU counter (RDB_OPCODE_FREQ).
    pub freq: Option<u8>,
}

/// One item of an RDB file.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    Aux {
        key: Vec<u8>,
        value: Vec<u8>,
    },
    SelectDb(u64),
    ResizeDb {
        db_size: u64,
        expires_size: u64,
    },
    SlotInfo {
        slot: u64,
        size: u64,
        expires_size: u64,
    },
    /// A function library's code (RDB_OPCODE_FUNCTION2).
    Function(Vec<u8>),
    /// Module aux data, skipped (its module is named in the ID).
    ModuleAux {
        module_id: u64,
        name: String,
    },
    Key(KeyRecord),
    /// The end: the stored checksum (None before RDB 5; 0 when the writer disabled it) and the
    /// checksum of the bytes before it.
    Eof {
        stored_crc: Option<u64>,
        computed_crc: u64,
    },
}

/// Reads a whole RDB file record by record.
pub struct FileDecoder<S: Source> {
    src: S,
    version: u16,
    db: u64,
    expire_at_ms: Option<i64>,
    idle_s: Option<u64>,
    freq: Option<u8>,
    done: bool,
    /// Refuse a file whose (non-zero) stored checksum differs from the computed one.
    pub verify_checksum: bool,
    /// What the decoder was doing, for error reports (redis-check-rdb's "While doing").
    pub doing: &'static str,
    /// The key being read (or last read) and its type, for error reports.
    pub last_key: Option<Vec<u8>>,
    pub last_type: Option<u8>,
}

impl<S: Source> FileDecoder<S> {
    /// Reads and checks the header (`REDIS` and a four-digit version).
    pub fn new(mut src: S) -> Result<FileDecoder<S>> {
        let signature = || RdbError::Corrupt { offset: 0, what: "Wrong signature trying to load DB from file".into() };
        let header = src.take(9).map_err(|_| signature())?.to_vec();
        if &header[..5] != b"REDIS" {
            return Err(signature());
        }
        let version = std::str::from_utf8(&header[5..9]).ok().and_then(|t| t.parse::<u16>().ok()).unwrap_or(0);
        if !(1..=RDB_VERSION_MAX_READ).contains(&version) {
            return Err(RdbError::Unsupported {
                offset: 5,
                what: format!("Can't handle RDB format version {version}"),
            });
        }
        Ok(FileDecoder {
            src,
            version,
            db: 0,
            expire_at_ms: None,
            idle_s: None,
            freq: None,
            done: false,
            verify_checksum: true,
            doing: "start",
            last_key: None,
            last_type: None,
        })
    }

    pub fn version(&self) -> u16 {
        self.version
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.src.offset()
    }

    /// The next record, or None after the end.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        if self.done {
            return Ok(None);
        }
        loop {
            self.doing = "read-type";
            let op = self.src.u8()?;
            match op {
                OP_EXPIRETIME => {
                    let s = i32::from_le_bytes(self.src.array()?);
                    self.expire_at_ms = Some(i64::from(s) * 1000);
                }
                OP_EXPIRETIME_MS => self.expire_at_ms = Some(i64::from_le_bytes(self.src.array()?)),
                OP_FREQ => self.freq = Some(self.src.u8()?),
                OP_IDLE => self.idle_s = Some(read_len(&mut self.src)?),
                OP_EOF => return self.finish().map(Some),
                OP_SELECTDB => {
                    self.db = read_len(&mut self.src)?;
                    return Ok(Some(Record::SelectDb(self.db)));
                }
                OP_RESIZEDB => {
                    let db_size = read_len(&mut self.src)?;
                    let expires_size = read_len(&mut self.src)?;
                    return Ok(Some(Record::ResizeDb { db_size, expires_size }));
                }
                OP_SLOT_INFO => {
                    let slot = read_len(&mut self.src)?;
                    let size = read_len(&mut self.src)?;
                    let expires_size = read_len(&mut self.src)?;
                    return Ok(Some(Record::SlotInfo { slot, size, expires_size }));
                }
                OP_AUX => {
                    let key = read_string(&mut self.src)?;
                    let value = read_string(&mut self.src)?;
                    return Ok(Some(Record::Aux { key, value }));
                }
                OP_MODULE_AUX => {
                    let module_id = read_len(&mut self.src)?;
                    let when_opcode = read_len(&mut self.src)?;
                    let _when = read_len(&mut self.src)?;
                    if when_opcode != MODULE_OP_UINT {
                        return Err(self.src.corrupt("bad when_opcode"));
                    }
                    let name = module_name(module_id);
                    skip_module_value(&mut self.src, &name)?;
                    return Ok(Some(Record::ModuleAux { module_id, name }));
                }
                OP_FUNCTION_PRE_GA => return Err(self.src.corrupt("Pre-release function format not supported.")),
                OP_FUNCTION2 => return Ok(Some(Record::Function(read_string(&mut self.src)?))),
                t if t <= 7 || (9..=25).contains(&t) => {
                    return self.read_key(t).map(|k| Some(Record::Key(k)));
                }
                other => {
                    return Err(RdbError::Corrupt {
                        offset: self.src.offset() - 1,
                        what: format!("Unknown RDB opcode or value type {other}"),
                    })
                }
            }
        }
    }

    fn read_key(&mut self, rdb_type: u8) -> Result<KeyRecord> {
        self.doing = "read-key";
        self.last_type = Some(rdb_type);
        let key = read_string(&mut self.src)?;
        self.last_key = Some(key.clone());
        self.doing = "read-object-value";
        let value = read_value(&mut self.src, rdb_type)?;
        Ok(KeyRecord {
            db: self.db,
            key,
            value,
            rdb_type,
            expire_at_ms: self.expire_at_ms.take(),
            idle_s: self.idle_s.take(),
            freq: self.freq.take(),
        })
    }

    fn finish(&mut self) -> Result<Record> {
        self.done = true;
        self.doing = "check-sum";
        let computed_crc = self.src.crc();
        let stored_crc = if self.version >= 5 { Some(u64::from_le_bytes(self.src.array()?)) } else { None };
        if let Some(stored) = stored_crc {
            if self.verify_checksum && stored != 0 && stored != computed_crc {
                return Err(self.src.corrupt(format!(
                    "Wrong RDB checksum expected: ({computed_crc:x}) but got ({stored:x}). RDB CRC error"
                )));
            }
        }
        Ok(Record::Eof { stored_crc, computed_crc })
    }

    /// Gives the source back (to check for trailing bytes, for example).
    pub fn into_source(self) -> S {
        self.src
    }
}

/// Reads every record of an in-memory file (tests, tools, fuzzing).
pub fn read_all(bytes: &[u8]) -> Result<(u16, Vec<Record>)> {
    let mut dec = FileDecoder::new(input::SliceSource::new(bytes))?;
    let mut records = Vec::new();
    while let Some(r) = dec.next_record()? {
        records.push(r);
    }
    Ok((dec.version(), records))
}
