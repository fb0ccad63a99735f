//! CRC-64 as Redis computes it for RDB files and DUMP payloads (the "Jones" polynomial
//! 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor). Bit at a time:
//! the model favours the plainest form over speed.

/// The polynomial in reflected (LSB-first) form.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// The CRC-64 of `bytes`, continuing from `crc` (0 to start).
pub fn crc64(mut crc: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc64;

    #[test]
    fn matches_redis_check_value() {
        // crc64.c's self test: crc64(0, "123456789") = 0xe9c6d914c4b8d9ca.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }
}
