//! Redis's pqsort.c, shared by the model's SORT (every partition sorted) and geo searches with
//! COUNT (only the partitions holding the first ranks): which order equal elements end in is
//! part of both commands' replies.

use std::cmp::Ordering;

/// Redis's pqsort: a Bentley-McIlroy quicksort (median of three, or of three medians above 40
/// elements; insertion sort below 7; elements equal to the pivot gathered at both ends and
/// swapped to the middle) that only descends into partitions holding ranks `0..=last`.
pub(super) fn pqsort<T>(v: &mut [T], less: &dyn Fn(&T, &T) -> Ordering, last: usize) {
    fn go<T>(v: &mut [T], off: usize, cmp: &dyn Fn(&T, &T) -> Ordering, last: usize) {
        let n = v.len();
        if n < 7 {
            for i in 1..n {
                let mut j = i;
                while j > 0 && cmp(&v[j - 1], &v[j]) == Ordering::Greater {
                    v.swap(j, j - 1);
                    j -= 1;
                }
            }
            return;
        }
        let med = |v: &[T], a: usize, b: usize, c: usize| -> usize {
            let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
            let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
            if lt(a, b) {
                if lt(b, c) {
                    b
                } else if lt(a, c) {
                    c
                } else {
                    a
                }
            } else if gt(b, c) {
                b
            } else if lt(a, c) {
                a
            } else {
                c
            }
        };
        let mut mid = n / 2;
        if n > 7 {
            let (mut lo, mut hi) = (0, n - 1);
            if n > 40 {
                let d = n / 8;
                lo = med(v, lo, lo + d, lo + 2 * d);
                mid = med(v, mid - d, mid, mid + d);
                hi = med(v, hi - 2 * d, hi - d, hi);
            }
            mid = med(v, lo, mid, hi);
        }
        v.swap(0, mid);
        let (mut a, mut b, mut c, mut d) = (1, 1, n - 1, n - 1);
        loop {
            while b <= c {
                match cmp(&v[b], &v[0]) {
                    Ordering::Greater => break,
                    Ordering::Equal => {
                        v.swap(a, b);
                        a += 1;
                    }
                    Ordering::Less => {}
                }
                b += 1;
            }
            while b <= c {
                match cmp(&v[c], &v[0]) {
                    Ordering::Less => break,
                    Ordering::Equal => {
                        v.swap(c, d);
                        d -= 1;
                    }
                    Ordering::Greater => {}
                }
                c -= 1;
            }
            if b > c {
                break;
            }
            v.swap(b, c);
            b += 1;
            c -= 1;
        }
        let k = a.min(b - a);
        for i in 0..k {
            v.swap(i, b - k + i);
        }
        let k = (d - c).min(n - d - 1);
        for i in 0..k {
            v.swap(b + i, n - k + i);
        }
        let (left, right) = (b - a, d - c);
        // A partition is worth sorting when it holds one of the ranks 0..=last.
        if left > 1 && off <= last {
            go(&mut v[..left], off, cmp, last);
        }
        if right > 1 && off + n - right <= last {
            go(&mut v[n - right..], off + n - right, cmp, last);
        }
    }
    go(v, 0, less, last);
}
