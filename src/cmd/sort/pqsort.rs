//! The partial quicksort Redis uses for SORT with BY and LIMIT (pqsort.c, from NetBSD's qsort:
//! Bentley and McIlroy's three-way partitioning with median-of-three pivots and insertion sort
//! for short runs), which skips partitions lying entirely outside the requested window. With
//! ties (equal weights) the order it leaves is not the stable order, so verdis follows the same
//! algorithm step for step to leave the same order.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `lrange..=rrange` hold what a full sort would put there.
/// The window may be empty (`rrange == lrange - 1`, even -1), as Redis passes it for LIMIT with a
/// count of 0.
pub fn pqsort<T>(v: &mut [T], cmp: &mut impl FnMut(&T, &T) -> Ordering, lrange: i64, rrange: i64) {
    sort_range(v, 0, v.len(), cmp, lrange, rrange);
}

/// True when the window `lrange..=rrange` does not touch the elements `start..start + len`.
fn outside(start: usize, len: usize, lrange: i64, rrange: i64) -> bool {
    let (start, end) = (start as i64, (start + len) as i64);
    (lrange < start && rrange < start) || (lrange >= end && rrange >= end)
}

/// The index of the median of three, exactly as med3 picks it.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements starting at `a` with the `n` starting at `b`.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Sorts `v[base..base + n]` (pqsort's `_pqsort`). The right partition is handled by the loop
/// (as the C code's goto), the left one by recursion, whose depth the partitioning bounds.
fn sort_range<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
    lrange: i64,
    rrange: i64,
) {
    loop {
        if n < 7 {
            for pm in base + 1..base + n {
                let mut pl = pm;
                while pl > base && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        // Elements equal to the pivot gather at both ends ([base+1, pa) and (pd, end)), smaller
        // ones after the left run, larger ones before the right run.
        let (mut pa, mut pb) = (base + 1, base + 1);
        let (mut pc, mut pd) = (base + n - 1, base + n - 1);
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[base]);
                if r == Ordering::Greater {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[base]);
                if r == Ordering::Less {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let end = base + n;
        let r = (pa - base).min(pb - pa);
        vecswap(v, base, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        vecswap(v, pb, end - r, r);
        let left = pb - pa;
        if left > 1 && !outside(base, left, lrange, rrange) {
            sort_range(v, base, left, cmp, lrange, rrange);
        }
        let right = pd - pc;
        if right <= 1 {
            return;
        }
        base = end - right;
        n = right;
        if outside(base, n, lrange, rrange) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn the_window_is_sorted_like_a_full_sort() {
        let mut seed = 7;
        for n in [0usize, 1, 2, 6, 7, 8, 9, 40, 41, 100, 500] {
            for _ in 0..20 {
                let v: Vec<u64> = (0..n).map(|_| lcg(&mut seed) % 50).collect();
                let mut sorted = v.clone();
                sorted.sort();
                if n == 0 {
                    continue;
                }
                let l = (lcg(&mut seed) as usize) % n;
                let r = l + (lcg(&mut seed) as usize) % (n - l);
                let mut w = v.clone();
                pqsort(&mut w, &mut |a: &u64, b: &u64| a.cmp(b), l as i64, r as i64);
                assert_eq!(w[l..=r], sorted[l..=r], "n={n} window {l}..={r}");
                let mut full = v.clone();
                pqsort(&mut full, &mut |a: &u64, b: &u64| a.cmp(b), 0, n as i64 - 1);
                assert_eq!(full, sorted);
            }
        }
    }

    #[test]
    fn ties_are_left_where_pqsort_c_leaves_them() {
        // Each line: n, window, and the keys and original positions after Redis's pqsort.c.
        for line in include_str!("pqsort_cases.txt").lines().filter(|l| !l.starts_with('#')) {
            let parts: Vec<&str> = line.split('|').collect();
            let head: Vec<usize> = parts[0].split_whitespace().map(|x| x.parse().unwrap()).collect();
            let keys: Vec<i64> = parts[1].split_whitespace().map(|x| x.parse().unwrap()).collect();
            let ids: Vec<usize> = parts[2].split_whitespace().map(|x| x.parse().unwrap()).collect();
            let (n, l, r) = (head[0], head[1], head[2]);
            let mut original = vec![(0i64, 0usize); n];
            for (k, id) in keys.iter().zip(&ids) {
                original[*id] = (*k, *id);
            }
            pqsort(&mut original, &mut |a: &(i64, usize), b: &(i64, usize)| a.0.cmp(&b.0), l as i64, r as i64);
            let got: Vec<usize> = original.iter().map(|p| p.1).collect();
            assert_eq!(got, ids, "{line}");
        }
    }
}
