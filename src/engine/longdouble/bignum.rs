//! A small unsigned big integer, just enough for exact decimal <-> binary conversion of x87
//! extended floats: values up to about 2^40000, built from small multiplications, shifts,
//! divisions by small numbers, addition and subtraction. Hand-written (rather than a crate) to
//! keep the dependency set small; every operation is simple and exact.

use std::cmp::Ordering;

/// Little-endian 32-bit limbs, without high zero limbs (zero is the empty vector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    pub fn from_u64(n: u64) -> Big {
        let mut b = Big { limbs: vec![n as u32, (n >> 32) as u32] };
        b.trim();
        b
    }

    pub fn from_u128(n: u128) -> Big {
        let limbs = (0..4).map(|i| (n >> (32 * i)) as u32).collect();
        let mut b = Big { limbs };
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// The number of significant bits (0 for zero).
    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => (self.limbs.len() as u64 - 1) * 32 + (32 - top.leading_zeros() as u64),
        }
    }

    /// Bit `i` (0 is the least significant).
    pub fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.limbs.get(limb).is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    /// True when any of the bits below bit `i` is set.
    pub fn any_below(&self, i: u64) -> bool {
        let full = ((i / 32) as usize).min(self.limbs.len());
        if self.limbs[..full].iter().any(|&l| l != 0) {
            return true;
        }
        let part = i % 32;
        part > 0 && self.limbs.get(full).is_some_and(|l| l & ((1u32 << part) - 1) != 0)
    }

    /// The low 64 bits of `self >> shift`.
    pub fn shr_low_u64(&self, shift: u64) -> u64 {
        let mut out = 0u64;
        for i in 0..64 {
            if self.bit(shift + i) {
                out |= 1 << i;
            }
        }
        out
    }

    /// `self << bits`.
    pub fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let (whole, part) = ((bits / 32) as usize, (bits % 32) as u32);
        let mut limbs = vec![0u32; whole];
        limbs.reserve(self.limbs.len() + 1);
        let mut carry = 0u32;
        for &l in &self.limbs {
            if part == 0 {
                limbs.push(l);
            } else {
                limbs.push((l << part) | carry);
                carry = l >> (32 - part);
            }
        }
        limbs.push(carry);
        let mut b = Big { limbs };
        b.trim();
        b
    }

    /// `self = self * m + a`.
    pub fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for l in self.limbs.iter_mut() {
            let v = *l as u64 * m as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// Divides in place by `d` (non-zero); returns the remainder.
    pub fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | *l as u64;
            *l = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    /// Multiplies in place by 10^n.
    pub fn mul_pow10(&mut self, mut n: u64) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        if n > 0 {
            self.mul_add_small(10u32.pow(n as u32), 0);
        }
    }

    /// Divides in place by 10^n, truncating; true when the division was inexact. (Truncating
    /// division in steps gives the same quotient as one division, and the remainder is zero
    /// exactly when every step's remainder was.)
    pub fn div_pow10(&mut self, mut n: u64) -> bool {
        let mut inexact = false;
        while n >= 9 && !self.is_zero() {
            inexact |= self.div_small(1_000_000_000) != 0;
            n -= 9;
        }
        if n > 0 && n < 9 && !self.is_zero() {
            inexact |= self.div_small(10u32.pow(n as u32)) != 0;
        }
        inexact
    }

    pub fn add(&self, other: &Big) -> Big {
        let n = self.limbs.len().max(other.limbs.len());
        let mut limbs = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let a = *self.limbs.get(i).unwrap_or(&0) as u64;
            let b = *other.limbs.get(i).unwrap_or(&0) as u64;
            let v = a + b + carry;
            limbs.push(v as u32);
            carry = v >> 32;
        }
        limbs.push(carry as u32);
        let mut b = Big { limbs };
        b.trim();
        b
    }

    /// `self - other`; the caller ensures `self >= other`.
    pub fn sub(&self, other: &Big) -> Big {
        let mut limbs = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let a = self.limbs[i] as i64;
            let b = *other.limbs.get(i).unwrap_or(&0) as i64;
            let mut v = a - b - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            limbs.push(v as u32);
        }
        let mut b = Big { limbs };
        b.trim();
        b
    }

    pub fn cmp(&self, other: &Big) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// The decimal digits, without leading zeros ("0" for zero).
    pub fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut out = String::with_capacity(chunks.len() * 9);
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&c.to_string());
            } else {
                out.push_str(&format!("{c:09}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let mut a = Big::from_u64(123456789012345678);
        a.mul_pow10(20);
        assert_eq!(a.to_decimal(), "12345678901234567800000000000000000000");
        assert!(!a.clone().div_pow10(20));
        let mut b = a.clone();
        assert!(b.div_pow10(21));
        assert_eq!(b.to_decimal(), "12345678901234567");
        let s = Big::from_u64(1).shl(100);
        assert_eq!(s.to_decimal(), "1267650600228229401496703205376");
        assert_eq!(s.bit_len(), 101);
        assert!(s.bit(100) && !s.bit(99) && !s.any_below(100) && s.any_below(101));
        let t = s.sub(&Big::from_u64(1));
        assert_eq!(t.bit_len(), 100);
        assert_eq!(t.add(&Big::from_u64(1)), s);
        assert_eq!(t.shr_low_u64(36), u64::MAX);
        assert_eq!(t.shr_low_u64(40), (1 << 60) - 1);
        assert_eq!(Big::from_u128(u128::MAX).to_decimal(), u128::MAX.to_string());
        assert_eq!(s.cmp(&t), Ordering::Greater);
    }
}
