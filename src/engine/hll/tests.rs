//! Unit tests of the HyperLogLog representation.

use super::*;

#[test]
fn murmur_known_values() {
    // Lengths 0..=9 cover the empty input, every tail length and a full block plus a tail.
    assert_eq!(murmur64a(b"", 0), 0);
    let a = murmur64a(b"a", HASH_SEED);
    assert_ne!(a, murmur64a(b"b", HASH_SEED));
    assert_eq!(murmur64a(b"abcdefgh", 0), murmur64a(b"abcdefgh", 0));
}

#[test]
fn new_hll_is_one_xzero() {
    let h = new_sparse();
    assert_eq!(h, b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff".to_vec());
    assert!(is_hll(&h));
    assert_eq!(cached_cardinality(&h), Some(0));
    assert_eq!(count(&h), Ok(0));
    assert_eq!(decode_sparse(&h), "Z:16384");
}

#[test]
fn dense_registers_round_trip() {
    let mut regs = vec![0u8; REGISTERS * 6 / 8];
    for i in 0..REGISTERS {
        dense_put(&mut regs, i, (i % 64) as u8);
    }
    for i in 0..REGISTERS {
        assert_eq!(dense_get(&regs, i), (i % 64) as u8);
    }
}

#[test]
fn sparse_and_dense_agree() {
    let mut sparse = new_sparse();
    let mut dense = new_sparse();
    to_dense(&mut dense).unwrap();
    for i in 0..2000u32 {
        let e = format!("element:{i}");
        add(&mut sparse, e.as_bytes(), 1_000_000).unwrap();
        add(&mut dense, e.as_bytes(), 1_000_000).unwrap();
    }
    assert!(is_sparse(&sparse));
    let mut converted = sparse.clone();
    to_dense(&mut converted).unwrap();
    assert_eq!(converted[HEADER_BYTES..], dense[HEADER_BYTES..]);
    assert_eq!(count(&sparse), count(&dense));
    let card = count(&dense).unwrap();
    assert!((1900..2100).contains(&card), "{card}");
}

#[test]
fn sparse_promotes_past_max_bytes() {
    let mut h = new_sparse();
    let mut i = 0;
    while is_sparse(&h) {
        add(&mut h, format!("{i}").as_bytes(), 3000).unwrap();
        assert!(h.len() <= 3000 || !is_sparse(&h));
        i += 1;
    }
    assert_eq!(h.len(), DENSE_BYTES);
}

#[test]
fn corrupt_sparse_is_detected() {
    let mut short = new_sparse();
    short[17] = 0x00; // XZERO of 16128 registers: too few
    assert_eq!(count(&short), Err(Corrupt));
    assert_eq!(to_dense(&mut short.clone()), Err(Corrupt));
    let mut tail = new_sparse();
    tail.push(0x80); // a value run after all registers
    assert_eq!(count(&tail), Err(Corrupt));
    let mut max = [0u8; REGISTERS];
    assert_eq!(merge_into(&mut max, &tail), Err(Corrupt));
    assert_eq!(to_dense(&mut tail.clone()), Err(Corrupt));
    let mut zero_tail = new_sparse();
    zero_tail.push(0x00); // a zero run after all registers: corrupt everywhere
    assert_eq!(merge_into(&mut max, &zero_tail), Err(Corrupt));
    assert_eq!(to_dense(&mut zero_tail), Err(Corrupt));
}
