//! Writing RDB. `Encoder` writes the primitives (lengths, strings with Redis's integer and LZF
//! encodings, opcodes) into any `Write`, keeping the running CRC-64; `write_value` encodes an
//! engine value; `write_snapshot` writes a whole file from the databases.
//!
//! Adding a type: give `rdb_type` and `write_value` an arm for it (choosing the RDB encoding from
//! the value's own encoding and `opts.version`, as Redis's rdbSaveObjectType/rdbSaveObject do),
//! and a conversion from `RdbValue` in `crate::persist::load`.

use super::TYPE_SET;
use super::*;
use crate::engine::db::{Db, Entry};
use crate::engine::value::{StrValue, Value};
use std::io::{self, Write};

/// Bytes buffered before a write to the underlying writer.
const BUF_BYTES: usize = 64 * 1024;

/// How to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveOptions {
    /// RDB version in the header (10 as Redis 7.0, or 11).
    pub version: u16,
    /// LZF-compress strings longer than 20 bytes when it saves space (`rdbcompression`).
    pub compression: bool,
    /// Write the CRC-64 footer, or 8 zero bytes (`rdbchecksum`).
    pub checksum: bool,
    /// What to save of each key's access record (Redis saves it under LRU and LFU policies).
    pub access: AccessSave,
}

/// The access record saved before each key: RDB_OPCODE_IDLE (idle seconds) under an LRU
/// policy, RDB_OPCODE_FREQ (the decayed LFU counter) under an LFU one, nothing otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessSave {
    #[default]
    Nothing,
    Idle {
        now_ms: u64,
    },
    Freq {
        now_ms: u64,
        params: crate::engine::evict::LfuParams,
    },
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions { version: RDB_VERSION_DEFAULT, compression: true, checksum: true, access: AccessSave::Nothing }
    }
}

/// The aux fields Redis writes after the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuxInfo {
    pub redis_ver: String,
    pub ctime_s: u64,
    pub used_mem: u64,
    /// Written as the base of an AOF (aof-base 1).
    pub aof_base: bool,
    /// The function libraries' codes, written before the databases (RDB_OPCODE_FUNCTION2).
    pub functions: Vec<Vec<u8>>,
    /// With replication under way: the database the stream has selected, the replication ID
    /// and offset (repl-stream-db, repl-id, repl-offset), so that a replica loading the file
    /// knows where the stream it continues with stands.
    pub repl: Option<(usize, String, u64)>,
}

pub struct Encoder<W: Write> {
    out: W,
    buf: Vec<u8>,
    digest: Option<crc::Digest<'static, u64, crc::Table<16>>>,
    written: u64,
    pub opts: SaveOptions,
    lzf: lzf::Compressor,
    lzf_out: Vec<u8>,
}

impl<W: Write> Encoder<W> {
    pub fn new(out: W, opts: SaveOptions) -> Encoder<W> {
        Encoder {
            out,
            buf: Vec::with_capacity(BUF_BYTES),
            digest: opts.checksum.then(|| CRC64.digest()),
            written: 0,
            opts,
            lzf: lzf::Compressor::new(),
            lzf_out: Vec::new(),
        }
    }

    /// Bytes written so far (buffered or not).
    pub fn written(&self) -> u64 {
        self.written
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if let Some(d) = &mut self.digest {
            d.update(&self.buf);
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.written += bytes.len() as u64;
        if self.buf.len() + bytes.len() > BUF_BYTES {
            self.flush_buf()?;
            if bytes.len() > BUF_BYTES {
                if let Some(d) = &mut self.digest {
                    d.update(bytes);
                }
                return self.out.write_all(bytes);
            }
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    pub fn byte(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// A length in Redis's 6/14/32/64-bit encoding.
    pub fn len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.byte(n as u8)
        } else if n < 1 << 14 {
            self.raw(&[((n >> 8) as u8) | (LEN_14BIT << 6), n as u8])
        } else if n <= u64::from(u32::MAX) {
            self.byte(LEN_32BIT)?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.byte(LEN_64BIT)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// An integer in the 8/16/32-bit string encodings; false if it does not fit.
    fn encoded_int(&mut self, v: i64) -> io::Result<bool> {
        let tag = LEN_ENCVAL << 6;
        if let Ok(b) = i8::try_from(v) {
            self.raw(&[tag | ENC_INT8, b as u8])?;
        } else if let Ok(h) = i16::try_from(v) {
            let b = h.to_le_bytes();
            self.raw(&[tag | ENC_INT16, b[0], b[1]])?;
        } else if let Ok(w) = i32::try_from(v) {
            let b = w.to_le_bytes();
            self.raw(&[tag | ENC_INT32, b[0], b[1], b[2], b[3]])?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// A string as Redis's rdbSaveRawString: integer encoding for short decimal integers, LZF
    /// when enabled and worth it, plain otherwise.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            if let Some(v) = crate::resp::parse::parse_i64(s) {
                if self.encoded_int(v)? {
                    return Ok(());
                }
            }
        }
        if self.opts.compression && s.len() > 20 {
            let mut out = std::mem::take(&mut self.lzf_out);
            let fits = self.lzf.compress(s, s.len() - 4, &mut out);
            let result = if fits {
                self.byte((LEN_ENCVAL << 6) | ENC_LZF)
                    .and_then(|_| self.len(out.len() as u64))
                    .and_then(|_| self.len(s.len() as u64))
                    .and_then(|_| self.raw(&out))
            } else {
                Ok(())
            };
            self.lzf_out = out;
            result?;
            if fits {
                return Ok(());
            }
        }
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// An integer value as Redis's rdbSaveLongLongAsStringObject.
    pub fn int_string(&mut self, v: i64) -> io::Result<()> {
        if self.encoded_int(v)? {
            return Ok(());
        }
        let text = v.to_string();
        self.len(text.len() as u64)?;
        self.raw(text.as_bytes())
    }

    pub fn header(&mut self) -> io::Result<()> {
        self.raw(format!("REDIS{:04}", self.opts.version).as_bytes())
    }

    pub fn aux(&mut self, key: &str, value: &[u8]) -> io::Result<()> {
        self.byte(OP_AUX)?;
        self.string(key.as_bytes())?;
        self.string(value)
    }

    /// The aux fields Redis 7.0 writes, in its order.
    pub fn aux_fields(&mut self, aux: &AuxInfo) -> io::Result<()> {
        self.aux("redis-ver", aux.redis_ver.as_bytes())?;
        self.aux("redis-bits", b"64")?;
        self.aux("ctime", aux.ctime_s.to_string().as_bytes())?;
        self.aux("used-mem", aux.used_mem.to_string().as_bytes())?;
        if let Some((db, replid, offset)) = &aux.repl {
            self.aux("repl-stream-db", db.to_string().as_bytes())?;
            self.aux("repl-id", replid.as_bytes())?;
            self.aux("repl-offset", offset.to_string().as_bytes())?;
        }
        self.aux("aof-base", if aux.aof_base { b"1" } else { b"0" })
    }

    pub fn select_db(&mut self, db: u64, keys: u64, expires: u64) -> io::Result<()> {
        self.byte(OP_SELECTDB)?;
        self.len(db)?;
        self.byte(OP_RESIZEDB)?;
        self.len(keys)?;
        self.len(expires)
    }

    /// One key: its expiry, type, name and value.
    pub fn key_value(&mut self, key: &[u8], entry: &Entry) -> io::Result<()> {
        if let Some(at) = entry.expire_at_ms() {
            self.byte(OP_EXPIRETIME_MS)?;
            self.raw(&(at as i64).to_le_bytes())?;
        }
        match self.opts.access {
            AccessSave::Nothing => {}
            AccessSave::Idle { now_ms } => {
                self.byte(OP_IDLE)?;
                self.len(now_ms.saturating_sub(entry.access_ms()) / 1000)?;
            }
            AccessSave::Freq { now_ms, params } => {
                self.byte(OP_FREQ)?;
                self.raw(&[crate::engine::evict::lfu_decayed(entry, now_ms, params)])?;
            }
        }
        self.byte(rdb_type(&entry.value, self.opts.version))?;
        self.string(key)?;
        write_value(self, &entry.value)
    }

    /// The EOF opcode and the checksum (or zeros); returns the writer and the total size.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.byte(OP_EOF)?;
        self.flush_buf()?;
        let crc = self.digest.take().map(|d| d.finalize()).unwrap_or(0);
        self.out.write_all(&crc.to_le_bytes())?;
        self.written += 8;
        self.out.flush()?;
        Ok((self.out, self.written))
    }

    /// Flushes buffered bytes (no checksum) and returns the writer: for DUMP payloads.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.digest = None;
        self.flush_buf()?;
        Ok(self.out)
    }
}

/// The RDB type byte a value is saved with.
pub fn rdb_type(value: &Value, _version: u16) -> u8 {
    // As Redis 7.0: the compact encodings as their blobs, the others element by element.
    match value {
        Value::Str(_) => TYPE_STRING,
        Value::Set(s) if s.ints().is_some() => super::TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::ZSet(z) if z.is_listpack() => super::TYPE_ZSET_LISTPACK,
        Value::ZSet(_) => super::TYPE_ZSET_2,
        Value::List(_) => super::TYPE_LIST_QUICKLIST_2,
        Value::Hash(h) if h.encoding() == "listpack" => super::TYPE_HASH_LISTPACK,
        Value::Hash(_) => super::TYPE_HASH,
        Value::Stream(_) => super::TYPE_STREAM_LISTPACKS_2,
    }
}

/// A value's body (what follows its type byte and key).
pub fn write_value<W: Write>(enc: &mut Encoder<W>, value: &Value) -> io::Result<()> {
    match value {
        Value::Str(StrValue::Int(n)) => enc.int_string(*n),
        Value::Str(StrValue::Emb(b)) => enc.string(b),
        Value::Str(StrValue::Raw(b)) => enc.string(b),
        Value::Set(set) if set.ints().is_some() => enc.string(&compact_write::intset_blob(set.ints().unwrap_or(&[]))),
        Value::ZSet(zset) if zset.is_listpack() => enc.string(&compact_write::zset_listpack(zset.iter())),
        Value::Hash(hash) if hash.encoding() == "listpack" => enc.string(&compact_write::hash_listpack(hash.iter())),
        Value::List(list) => compact_write::write_quicklist(enc, list),
        Value::Set(set) => {
            let members = set.members();
            enc.len(members.len() as u64)?;
            for m in &members {
                enc.string(m)?;
            }
            Ok(())
        }
        Value::ZSet(zset) => {
            enc.len(zset.len() as u64)?;
            for (score, member) in zset.iter() {
                enc.string(member)?;
                enc.raw(&score.to_le_bytes())?;
            }
            Ok(())
        }
        Value::Hash(hash) => {
            enc.len(hash.len() as u64)?;
            for (field, value) in hash.iter() {
                enc.string(field)?;
                enc.string(value)?;
            }
            Ok(())
        }
        Value::Stream(s) => super::stream_write::write_stream(enc, s),
    }
}

/// Writes a whole RDB file of `dbs`. `after_key` runs after each key (the BGSAVE child uses it
/// for `rdb-key-save-delay`). Returns the writer and the file size.
pub fn write_snapshot<W: Write>(
    dbs: &[Db],
    opts: SaveOptions,
    aux: &AuxInfo,
    out: W,
    mut after_key: impl FnMut(),
) -> io::Result<(W, u64)> {
    let mut enc = Encoder::new(out, opts);
    enc.header()?;
    enc.aux_fields(aux)?;
    for code in &aux.functions {
        enc.byte(super::OP_FUNCTION2)?;
        enc.string(code)?;
    }
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        enc.select_db(i as u64, db.len() as u64, db.volatile_len() as u64)?;
        for (key, entry) in db.iter() {
            enc.key_value(key, entry)?;
            after_key();
        }
    }
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::rdb::decode::{read_all, Record};

    fn encode_string(s: &[u8], compression: bool) -> Vec<u8> {
        let mut enc = Encoder::new(Vec::new(), SaveOptions { compression, ..SaveOptions::default() });
        enc.string(s).unwrap();
        enc.into_inner().unwrap()
    }

    #[test]
    fn string_encodings_match_redis() {
        assert_eq!(encode_string(b"12", true), vec![0xc0, 12]);
        assert_eq!(encode_string(b"-129", true), vec![0xc1, 0x7f, 0xff]);
        assert_eq!(encode_string(b"100000", true), vec![0xc2, 0xa0, 0x86, 0x01, 0x00]);
        // Not canonical integers: stored as text.
        assert_eq!(encode_string(b"012", true), vec![3, b'0', b'1', b'2']);
        assert_eq!(encode_string(b"12345678901", true)[0], 11);
        let long = vec![b'a'; 100];
        assert_eq!(encode_string(&long, true)[0], 0xc3);
        assert_eq!(encode_string(&long, false)[..2], [0x40, 100]);
        let mut enc = Encoder::new(Vec::new(), SaveOptions::default());
        enc.int_string(i64::MAX).unwrap();
        assert_eq!(enc.into_inner().unwrap(), [&[19u8][..], b"9223372036854775807"].concat());
    }

    #[test]
    fn lengths() {
        let mut enc = Encoder::new(Vec::new(), SaveOptions::default());
        for n in [0u64, 63, 64, 16383, 16384, u64::from(u32::MAX), u64::from(u32::MAX) + 1] {
            enc.len(n).unwrap();
        }
        let bytes = enc.into_inner().unwrap();
        let mut src = input::SliceSource::new(&bytes);
        for n in [0u64, 63, 64, 16383, 16384, u64::from(u32::MAX), u64::from(u32::MAX) + 1] {
            assert_eq!(decode::read_len(&mut src).unwrap(), n);
        }
    }

    #[test]
    fn snapshot_round_trip() {
        let mut dbs = vec![Db::new(), Db::new(), Db::new()];
        dbs[0].set(b"int".to_vec(), Value::str(b"-42".to_vec()), 0);
        dbs[0].set(b"big".to_vec(), Value::str(b"9223372036854775807".to_vec()), 0);
        dbs[0].set(b"long".to_vec(), Value::str(vec![b'x'; 5000]), 0);
        dbs[2].set(b"ttl".to_vec(), Value::str(b"v".to_vec()), 0);
        dbs[2].set_expire(b"ttl", 4_102_444_800_000);
        for opts in [
            SaveOptions::default(),
            SaveOptions { version: 11, compression: false, checksum: false, access: AccessSave::Nothing },
        ] {
            let aux = AuxInfo {
                redis_ver: "7.0.15".into(),
                ctime_s: 1,
                used_mem: 2,
                aof_base: false,
                functions: Vec::new(),
                repl: None,
            };
            let (bytes, size) = write_snapshot(&dbs, opts, &aux, Vec::new(), || {}).unwrap();
            assert_eq!(size as usize, bytes.len());
            let (version, records) = read_all(&bytes).unwrap();
            assert_eq!(version, opts.version);
            let keys: Vec<_> = records
                .iter()
                .filter_map(|r| match r {
                    Record::Key(k) => Some((k.db, k.key.clone(), k.value.clone(), k.expire_at_ms)),
                    _ => None,
                })
                .collect();
            assert_eq!(keys.len(), 4);
            assert!(keys.contains(&(0, b"long".to_vec(), RdbValue::String(vec![b'x'; 5000]), None)));
            assert!(keys.contains(&(0, b"int".to_vec(), RdbValue::String(b"-42".to_vec()), None)));
            assert!(keys.contains(&(2, b"ttl".to_vec(), RdbValue::String(b"v".to_vec()), Some(4_102_444_800_000))));
            match records.last() {
                Some(Record::Eof { stored_crc: Some(c), computed_crc }) => {
                    assert_eq!(*c, if opts.checksum { *computed_crc } else { 0 })
                }
                other => panic!("no EOF: {other:?}"),
            }
        }
    }
}
