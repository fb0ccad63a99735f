//! DUMP/RESTORE payloads: `type byte | value | RDB version (u16 LE) | CRC-64 (u64 LE)`, the CRC
//! covering everything before it (Redis's createDumpPayload / verifyDumpPayload).

use super::decode::read_value;
use super::encode::{rdb_type, write_value, Encoder, SaveOptions};
use super::input::{SliceSource, Source};
use super::{crc64, RdbError, RdbValue, RDB_VERSION_DEFAULT, RDB_VERSION_RESTORE_MAX};
use crate::engine::value::Value;

/// Serialises a value as DUMP does. `compression` is `rdbcompression`.
pub fn dump(value: &Value, compression: bool) -> Vec<u8> {
    let opts = SaveOptions { version: RDB_VERSION_DEFAULT, compression, checksum: false, ..SaveOptions::default() };
    let mut enc = Encoder::new(Vec::new(), opts);
    // Writing to a Vec cannot fail.
    let _ = enc.byte(rdb_type(value, opts.version));
    let _ = write_value(&mut enc, value);
    let mut out = enc.into_inner().unwrap_or_default();
    out.extend_from_slice(&RDB_VERSION_DEFAULT.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Why RESTORE refuses a payload.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a checksum mismatch.
    VersionOrChecksum,
    /// The value does not parse.
    BadData(RdbError),
}

/// Checks the footer: at least 10 bytes, version at most Redis 7.0's, CRC-64 matching.
pub fn verify(payload: &[u8]) -> Result<u16, PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION_RESTORE_MAX {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&footer[2..]);
    if crc64(&payload[..payload.len() - 8]) != u64::from_le_bytes(stored) {
        return Err(PayloadError::VersionOrChecksum);
    }
    Ok(version)
}

/// True when the payload has a footer with a version Redis 7.0 can read.
fn version_ok(payload: &[u8]) -> bool {
    payload.len() >= 10 && {
        let footer = &payload[payload.len() - 10..];
        u16::from_le_bytes([footer[0], footer[1]]) <= RDB_VERSION_RESTORE_MAX
    }
}

/// Verifies and parses a payload into its RDB type and value.
pub fn parse(payload: &[u8]) -> Result<(u8, RdbValue), PayloadError> {
    parse_checked(payload, true)
}

/// As `parse`; with `check_crc` false only the length and version are checked (DEBUG
/// SET-SKIP-CHECKSUM-VALIDATION, which lets tests feed corrupt payloads to the decoder).
pub fn parse_checked(payload: &[u8], check_crc: bool) -> Result<(u8, RdbValue), PayloadError> {
    match verify(payload) {
        Ok(_) => {}
        Err(PayloadError::VersionOrChecksum) if !check_crc && version_ok(payload) => {}
        Err(e) => return Err(e),
    }
    // As Redis, the value is read from the whole buffer; the footer is simply never reached by a
    // well-formed value.
    let mut src = SliceSource::new(payload);
    let t = src.u8().map_err(PayloadError::BadData)?;
    let value = read_value(&mut src, t).map_err(PayloadError::BadData)?;
    Ok((t, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_from_redis_7_0_15() {
        // redis-cli DUMP of SET k hello and SET n 42 on redis-server 7.0.15.
        let hello = b"\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a";
        let n = b"\x00\xc0\x2a\x0a\x00\x81\xfb\x5c\xfa\x86\x63\x4f\x50";
        assert_eq!(dump(&Value::str(b"42".to_vec()), true), n.to_vec());
        assert_eq!(dump(&Value::str(b"hello".to_vec()), true), hello.to_vec());
        assert_eq!(parse(hello).unwrap(), (0, RdbValue::String(b"hello".to_vec())));
        let mut bad = hello.to_vec();
        bad[3] ^= 1;
        assert_eq!(parse(&bad), Err(PayloadError::VersionOrChecksum));
        assert_eq!(parse(b"\x00"), Err(PayloadError::VersionOrChecksum));
    }
}
