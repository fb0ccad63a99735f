//! The two sorts GEORADIUS/GEOSEARCH use, so that points at equal distances come out in Redis's
//! order: a full sort is glibc's qsort, a stable merge sort (for a total preorder its result is
//! the one any stable sort gives); a partial sort (COUNT below the number of matches) is Redis's
//! pqsort, a Bentley-McIlroy quicksort that skips the partitions outside the wanted ranks, and is
//! not stable. It is reimplemented here step for step, on indices.

use std::cmp::Ordering;

/// Sorts `v` fully, stably.
pub fn full_sort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    v.sort_by(cmp);
}

/// Puts the elements of ranks `first..=last` in their sorted places (the rest stays partitioned
/// around them), exactly as Redis's pqsort moves them.
pub fn partial_sort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering, first: usize, last: usize) {
    let mut sorter = Sorter { v, cmp, first, last };
    let n = sorter.v.len();
    sorter.run(0, n);
}

struct Sorter<'a, T, F> {
    v: &'a mut [T],
    cmp: F,
    first: usize,
    last: usize,
}

impl<T, F: Fn(&T, &T) -> Ordering> Sorter<'_, T, F> {
    fn c(&self, i: usize, j: usize) -> Ordering {
        (self.cmp)(&self.v[i], &self.v[j])
    }

    /// The median of three positions, with pqsort's tie choices.
    fn med3(&self, a: usize, b: usize, c: usize) -> usize {
        if self.c(a, b) == Ordering::Less {
            if self.c(b, c) == Ordering::Less {
                b
            } else if self.c(a, c) == Ordering::Less {
                c
            } else {
                a
            }
        } else if self.c(b, c) == Ordering::Greater {
            b
        } else if self.c(a, c) == Ordering::Less {
            a
        } else {
            c
        }
    }

    /// Swaps the `n` elements from `i` with the `n` elements from `j`, pairwise.
    fn vecswap(&mut self, i: usize, j: usize, n: usize) {
        for k in 0..n {
            self.v.swap(i + k, j + k);
        }
    }

    /// True when positions `start..start + len` hold some of the wanted ranks.
    fn wanted(&self, start: usize, len: usize) -> bool {
        !(self.last < start || self.first >= start + len)
    }

    /// Sorts `v[a..a + n]` as far as the wanted ranks need. Each round either returns or
    /// continues on a strictly smaller partition, so it ends.
    fn run(&mut self, mut a: usize, mut n: usize) {
        loop {
            if n < 7 {
                for m in a + 1..a + n {
                    let mut l = m;
                    while l > a && self.c(l - 1, l) == Ordering::Greater {
                        self.v.swap(l, l - 1);
                        l -= 1;
                    }
                }
                return;
            }
            let mut pm = a + n / 2;
            if n > 7 {
                let mut pl = a;
                let mut pn = a + n - 1;
                if n > 40 {
                    let d = n / 8;
                    pl = self.med3(pl, pl + d, pl + 2 * d);
                    pm = self.med3(pm - d, pm, pm + d);
                    pn = self.med3(pn - 2 * d, pn - d, pn);
                }
                pm = self.med3(pl, pm, pn);
            }
            self.v.swap(a, pm);
            let (mut pa, mut pb) = (a + 1, a + 1);
            let (mut pc, mut pd) = (a + n - 1, a + n - 1);
            loop {
                while pb <= pc {
                    let r = self.c(pb, a);
                    if r == Ordering::Greater {
                        break;
                    }
                    if r == Ordering::Equal {
                        self.v.swap(pa, pb);
                        pa += 1;
                    }
                    pb += 1;
                }
                while pb <= pc {
                    let r = self.c(pc, a);
                    if r == Ordering::Less {
                        break;
                    }
                    if r == Ordering::Equal {
                        self.v.swap(pc, pd);
                        pd -= 1;
                    }
                    pc -= 1;
                }
                if pb > pc {
                    break;
                }
                self.v.swap(pb, pc);
                pb += 1;
                pc -= 1;
            }
            let pn = a + n;
            let r = (pa - a).min(pb - pa);
            self.vecswap(a, pb - r, r);
            let r = (pd - pc).min(pn - pd - 1);
            self.vecswap(pb, pn - r, r);
            let left = pb - pa;
            if left > 1 && self.wanted(a, left) {
                self.run(a, left);
            }
            let right = pd - pc;
            if right <= 1 {
                return;
            }
            a = pn - right;
            n = right;
            if !self.wanted(a, n) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_sort_places_the_wanted_ranks() {
        let mut state = 12345u64;
        for len in 0..120usize {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state % 10
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort();
            if len == 0 {
                continue;
            }
            let last = len / 3;
            partial_sort(&mut v, |a, b| a.cmp(b), 0, last);
            assert_eq!(&v[..=last], &sorted[..=last]);
        }
    }
}
