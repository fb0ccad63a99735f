//! A small unsigned big integer, just enough for exact long-double work.
//!
//! Simplicity over speed: the model only needs exact answers for numbers of
//! a few thousand bits.

use std::cmp::Ordering;

/// An unsigned integer as little-endian 32-bit limbs, without high zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Big {
    limbs: Vec<u32>,
}

impl Big {
    /// Zero.
    pub fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    /// From a machine integer.
    pub fn from_u64(value: u64) -> Big {
        let mut big = Big { limbs: vec![value as u32, (value >> 32) as u32] };
        big.trim();
        big
    }

    /// 2^n.
    pub fn pow2(n: u64) -> Big {
        Big::from_u64(1).shl(n)
    }

    /// 10^n.
    pub fn pow10(n: u64) -> Big {
        let mut big = Big::from_u64(1);
        for _ in 0..n {
            big.mul_small(10);
        }
        big
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// True when zero.
    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// The number of significant bits (0 for zero).
    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => (self.limbs.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    /// The low 64 bits.
    pub fn low_u64(&self) -> u64 {
        let lo = u64::from(self.limbs.first().copied().unwrap_or(0));
        let hi = u64::from(self.limbs.get(1).copied().unwrap_or(0));
        lo | (hi << 32)
    }

    /// True when the lowest bit is set.
    pub fn is_odd(&self) -> bool {
        self.limbs.first().is_some_and(|l| l & 1 == 1)
    }

    /// self = self * m + a.
    pub fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// self = self * m.
    pub fn mul_small(&mut self, m: u32) {
        self.mul_add_small(m, 0);
    }

    /// self * other.
    pub fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                let v = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + other.limbs.len();
            while carry > 0 {
                let v = u64::from(out[k]) + carry;
                out[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// self + other.
    pub fn add(&self, other: &Big) -> Big {
        let n = self.limbs.len().max(other.limbs.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let a = u64::from(self.limbs.get(i).copied().unwrap_or(0));
            let b = u64::from(other.limbs.get(i).copied().unwrap_or(0));
            let v = a + b + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// self - other; the caller guarantees self >= other.
    pub fn sub(&self, other: &Big) -> Big {
        debug_assert!(self.cmp_big(other) != Ordering::Less);
        let mut out = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let a = i64::from(self.limbs[i]);
            let b = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut v = a - b - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// self << n.
    pub fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let limb_shift = (n / 32) as usize;
        let bit_shift = (n % 32) as u32;
        let mut out = vec![0u32; limb_shift];
        let mut carry = 0u32;
        for &limb in &self.limbs {
            if bit_shift == 0 {
                out.push(limb);
            } else {
                out.push((limb << bit_shift) | carry);
                carry = limb >> (32 - bit_shift);
            }
        }
        out.push(carry);
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// self >> n (truncating).
    pub fn shr(&self, n: u64) -> Big {
        let limb_shift = (n / 32) as usize;
        if limb_shift >= self.limbs.len() {
            return Big::zero();
        }
        let bit_shift = (n % 32) as u32;
        let src = &self.limbs[limb_shift..];
        let mut out = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let lo = src[i];
            let hi = src.get(i + 1).copied().unwrap_or(0);
            if bit_shift == 0 {
                out.push(lo);
            } else {
                out.push((lo >> bit_shift) | (hi << (32 - bit_shift)));
            }
        }
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// Numeric comparison.
    pub fn cmp_big(&self, other: &Big) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// (self / d, self % d) for d > 0, by binary long division over the
    /// quotient's bits (cheap when the quotient is short, as it is here).
    pub fn divmod(&self, d: &Big) -> (Big, Big) {
        assert!(!d.is_zero(), "division by zero");
        let mut rem = self.clone();
        let mut quot = Big::zero();
        if self.bit_len() < d.bit_len() {
            return (quot, rem);
        }
        let top = self.bit_len() - d.bit_len();
        for i in (0..=top).rev() {
            let shifted = d.shl(i);
            if rem.cmp_big(&shifted) != Ordering::Less {
                rem = rem.sub(&shifted);
                quot = quot.add(&Big::pow2(i));
            }
        }
        (quot, rem)
    }

    /// Decimal digits (at least "0").
    pub fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        // Peel off base-10^9 chunks, least significant first.
        let mut chunks = Vec::new();
        let mut cur = self.clone();
        while !cur.is_zero() {
            let mut rem = 0u64;
            for limb in cur.limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            cur.trim();
            chunks.push(rem as u32);
        }
        let mut out = String::new();
        for (i, chunk) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.push_str(&chunk.to_string());
            } else {
                out.push_str(&format!("{chunk:09}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_roundtrip() {
        let a = Big::pow10(30);
        assert_eq!(a.to_decimal(), format!("1{}", "0".repeat(30)));
        let b = Big::from_u64(123_456_789_012_345);
        let (q, r) = a.divmod(&b);
        assert_eq!(q.mul(&b).add(&r), a);
        assert_eq!(r.cmp_big(&b), Ordering::Less);
        assert_eq!(Big::pow2(100).shr(99), Big::from_u64(2));
        assert_eq!(Big::pow2(64).sub(&Big::from_u64(1)).low_u64(), u64::MAX);
        assert_eq!(Big::pow2(64).bit_len(), 65);
    }
}
