//! Glob-style matching with the exact semantics of Redis 7.0's `stringmatchlen` (util.c), used by
//! KEYS, SCAN MATCH and later by PSUBSCRIBE, CONFIG GET and ACL patterns.
//!
//! Syntax: `*` (any run, possibly empty), `?` (one byte), `[...]` / `[^...]` (a set of bytes with
//! `a-z` ranges and `\` escapes), `\x` (a literal `x`). Redis's quirks are kept on purpose:
//! - an unterminated set runs to the end of the pattern (`[a-` matches `a` and `-`);
//! - a range end may be the closing bracket (`[a-]` is the range `]`..`a`, and the set stays open);
//! - reversed ranges are swapped (`[z-a]` is `[a-z]`); range bounds and the subject byte compare
//!   as C's signed `char`, so bytes >= 0x80 sort below ASCII;
//! - an escaped byte inside a set compares case-sensitively even with `nocase`;
//! - the empty string matches only the empty pattern (`*` does not match it: Redis's loop never
//!   runs for an empty subject; KEYS special-cases the pattern `*` itself);
//! - a trailing lone `\` matches a literal backslash;
//! - a pattern needing more than 1000 nested `*` expansions never matches (the recursion limit
//!   Redis 7.0's security release added; the 7.0.15 oracle has it).
//!
//! Redis's matcher is recursive with a "skip longer matches" flag: once the part of the pattern
//! after a `*` has failed at every position, no earlier `*` can help, so the whole match fails.
//! That is exactly the classic iterative algorithm that only remembers the most recent `*`; this
//! implementation is that loop, so its stack use is constant whatever the pattern.

/// Redis's limit on nested `*` expansions (a call deeper than this fails).
const MAX_STAR_NESTING: usize = 1000;

/// True when `string` matches the glob `pattern`; `nocase` folds ASCII letters.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    if string.is_empty() {
        // Redis's main loop needs both a pattern byte and a subject byte.
        return pattern.is_empty();
    }
    let (mut p, mut s) = (0usize, 0usize);
    // Where to resume after the most recent `*`: the pattern index after it, and the subject
    // index that the rest of the pattern was last tried at.
    let mut resume: Option<(usize, usize)> = None;
    let mut stars = 0usize;
    loop {
        let matched = if p >= pattern.len() {
            false // pattern used up but subject left: this attempt fails
        } else if pattern[p] == b'*' {
            while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                p += 1;
            }
            if p + 1 == pattern.len() {
                return true; // a final `*` takes the rest of the subject
            }
            stars += 1;
            if stars > MAX_STAR_NESTING {
                return false;
            }
            p += 1;
            resume = Some((p, s));
            continue;
        } else {
            let (ok, next) = match_one(pattern, p, string[s], nocase);
            if ok {
                p = next;
                s += 1;
                if s == string.len() {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    false
                } else {
                    true
                }
            } else {
                false
            }
        };
        if matched {
            continue;
        }
        // This attempt failed: let the last `*` take one more byte, if any is left to take.
        match resume {
            Some((after_star, tried_at)) if tried_at + 1 < string.len() => {
                resume = Some((after_star, tried_at + 1));
                p = after_star;
                s = tried_at + 1;
            }
            _ => return false,
        }
    }
}

/// Matches one non-`*` token starting at `pattern[p]` against the subject byte `c`. Returns
/// whether it matched and the index of the next token.
fn match_one(pattern: &[u8], p: usize, c: u8, nocase: bool) -> (bool, usize) {
    match pattern[p] {
        b'?' => (true, p + 1),
        b'[' => match_set(pattern, p + 1, c, nocase),
        b'\\' => {
            // A lone trailing backslash is itself a literal.
            let q = if pattern.len() - p >= 2 { p + 1 } else { p };
            (bytes_equal(pattern[q], c, nocase), q + 1)
        }
        b => (bytes_equal(b, c, nocase), p + 1),
    }
}

/// Matches a `[...]` set whose body starts at `pattern[i]`; returns the match and the index after
/// the set (after its `]`, or the pattern's end for an unterminated set).
fn match_set(pattern: &[u8], mut i: usize, c: u8, nocase: bool) -> (bool, usize) {
    let len = pattern.len();
    let negate = i < len && pattern[i] == b'^';
    if negate {
        i += 1;
    }
    let mut matched = false;
    loop {
        if i < len && pattern[i] == b'\\' && len - i >= 2 {
            i += 1;
            matched |= pattern[i] == c;
        } else if i < len && pattern[i] == b']' {
            break;
        } else if i >= len {
            i = len - 1; // unterminated: the set ends with the pattern
            break;
        } else if len - i >= 3 && pattern[i + 1] == b'-' {
            matched |= in_range(pattern[i], pattern[i + 2], c, nocase);
            i += 2;
        } else {
            matched |= bytes_equal(pattern[i], c, nocase);
        }
        i += 1;
    }
    (matched != negate, i + 1)
}

/// Redis's range test: bounds swapped if reversed, then (with `nocase`) lower-cased; all three
/// compared as signed C chars.
fn in_range(a: u8, b: u8, c: u8, nocase: bool) -> bool {
    let (mut start, mut end, mut c) = (signed(a), signed(b), signed(c));
    if start > end {
        std::mem::swap(&mut start, &mut end);
    }
    if nocase {
        start = lower(start);
        end = lower(end);
        c = lower(c);
    }
    start <= c && c <= end
}

fn bytes_equal(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// A byte as C's (signed) `char` on the platforms Redis runs on.
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

/// C's `tolower` in the "C" locale: only ASCII capitals change.
fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{RngCore, SeedableRng};

    /// A direct transcription of Redis's recursive algorithm (with its nesting limit), used only
    /// to check the iterative matcher on random inputs.
    fn reference(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
        let mut skip = false;
        reference_impl(pattern, string, nocase, &mut skip, 0)
    }

    fn at(p: &[u8], i: usize) -> u8 {
        p.get(i).copied().unwrap_or(0) // C strings end with a NUL
    }

    fn reference_impl(pat: &[u8], string: &[u8], nocase: bool, skip: &mut bool, nesting: usize) -> bool {
        if nesting > MAX_STAR_NESTING {
            return false;
        }
        let (mut p, mut s) = (0usize, 0usize);
        while p < pat.len() && s < string.len() {
            match pat[p] {
                b'*' => {
                    while p < pat.len() && at(pat, p + 1) == b'*' {
                        p += 1;
                    }
                    if pat.len() - p == 1 {
                        return true;
                    }
                    while s < string.len() {
                        if reference_impl(&pat[p + 1..], &string[s..], nocase, skip, nesting + 1) {
                            return true;
                        }
                        if *skip {
                            return false;
                        }
                        s += 1;
                    }
                    *skip = true;
                    return false;
                }
                b'?' => s += 1,
                b'[' => {
                    p += 1;
                    let not = at(pat, p) == b'^';
                    if not {
                        p += 1;
                    }
                    let mut m = false;
                    loop {
                        if at(pat, p) == b'\\' && pat.len() - p >= 2 {
                            p += 1;
                            if pat[p] == string[s] {
                                m = true;
                            }
                        } else if at(pat, p) == b']' {
                            break;
                        } else if p == pat.len() {
                            p -= 1;
                            break;
                        } else if pat.len() - p >= 3 && pat[p + 1] == b'-' {
                            if in_range(pat[p], pat[p + 2], string[s], nocase) {
                                m = true;
                            }
                            p += 2;
                        } else if bytes_equal(pat[p], string[s], nocase) {
                            m = true;
                        }
                        p += 1;
                    }
                    if not {
                        m = !m;
                    }
                    if !m {
                        return false;
                    }
                    s += 1;
                }
                other => {
                    let mut b = other;
                    if b == b'\\' && pat.len() - p >= 2 {
                        p += 1;
                        b = pat[p];
                    }
                    if !bytes_equal(b, string[s], nocase) {
                        return false;
                    }
                    s += 1;
                }
            }
            p += 1;
            if s == string.len() {
                while at(pat, p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        p == pat.len() && s == string.len()
    }

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }

    /// Cases checked against redis-server 7.0.15 with KEYS over the keys (the matcher also agreed
    /// with the oracle on 5,000 random KEYS patterns and 3,000 random nocase CONFIG GET patterns)
    /// `a b 0 ] ^ \ - [ ab abc x- ""` and `\xff`.
    #[test]
    fn oracle_cases() {
        let keys: &[&[u8]] = &[b"a", b"b", b"0", b"]", b"^", b"\\", b"-", b"[", b"ab", b"abc", b"x-", b"", b"\xff"];
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"[\x80-a]", &[b"a", b"0", b"]", b"^", b"\\", b"-", b"[", b"\xff"]),
            (b"[a-\x80]", &[b"a", b"0", b"]", b"^", b"\\", b"-", b"[", b"\xff"]),
            (b"[a-]", &[b"a", b"^", b"]"]),
            (b"[a-", &[b"a", b"-"]),
            (b"[]", &[]),
            (b"[]a]", &[]),
            (b"[^a]", &[b"\\", b"0", b"b", b"^", b"]", b"[", b"-", b"\xff"]),
            (b"[^]", &[b"a", b"\\", b"0", b"b", b"^", b"]", b"[", b"-", b"\xff"]),
            (b"[\\]]", &[b"]"]),
            (b"[\\", &[b"\\"]),
            (b"\\", &[b"\\"]),
            (b"a\\", &[]),
            (b"[a-c-e]", &[b"a", b"b", b"-"]),
            (b"[z-a]", &[b"a", b"b"]),
            (b"**", &[b"a", b"b", b"0", b"]", b"^", b"\\", b"-", b"[", b"ab", b"abc", b"x-", b"\xff"]),
            (b"?", &[b"a", b"b", b"0", b"]", b"^", b"\\", b"-", b"[", b"\xff"]),
            (b"", &[b""]),
            (b"[!a]", &[b"a"]),
            (b"[^a-b]", &[b"\\", b"0", b"^", b"]", b"[", b"-", b"\xff"]),
            (b"a*", &[b"a", b"abc", b"ab"]),
            (b"*c", &[b"abc"]),
            (b"a?c", &[b"abc"]),
            (b"[-a]", &[b"a", b"-"]),
            (b"[a\\-c]", &[b"a", b"-"]),
            (b"[x]-", &[b"x-"]),
            (b"*-", &[b"x-", b"-"]),
            (b"[", &[]),
            (b"[[]", &[b"["]),
            (b"\\[", &[b"["]),
            (b"[a-\\]", &[b"a", b"\\", b"^", b"]"]),
            (b"[\\a-c]", &[b"a", b"-"]),
            (b"[^\\]]", &[b"a", b"\\", b"0", b"b", b"^", b"[", b"-", b"\xff"]),
        ];
        for (pattern, expected) in cases {
            let mut got: Vec<&[u8]> = keys.iter().copied().filter(|k| string_match(pattern, k, false)).collect();
            let mut want: Vec<&[u8]> = expected.to_vec();
            got.sort();
            want.sort();
            assert_eq!(got, want, "pattern {:?}", String::from_utf8_lossy(pattern));
        }
    }

    #[test]
    fn basics() {
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("*", "anything"));
        assert!(!m("*", ""));
        assert!(m("a*b*c", "aXbYc"));
        assert!(!m("a*b*c", "aXbY"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
    }

    #[test]
    fn nocase() {
        assert!(string_match(b"HeLLo", b"hello", true));
        assert!(!string_match(b"HeLLo", b"hello", false));
        assert!(string_match(b"[A-C]", b"b", true));
        // Escapes inside a set stay case-sensitive.
        assert!(!string_match(b"[\\A]", b"a", true));
        // Bounds are swapped first, then lowered: [Z-a] becomes z..a, which is empty.
        assert!(!string_match(b"[Z-a]", b"z", true));
        assert!(string_match(b"[Z-a]", b"_", false));
        // Checked with CONFIG GET (which matches with nocase) on redis-server 7.0.15: reversed
        // mixed-case ranges become empty once lowered.
        assert!(!string_match(b"*[a-F]", b"maxmemory-samples", true));
        assert!(!string_match(b"*[E-a]*", b"maxmemory", true));
        assert!(string_match(b"*M[A-Z]x*", b"maxclients", true));
        assert!(string_match(b"*[^E]EM*", b"daemonize", true));
        assert!(!string_match(b"*[^E]EM*", b"appendonly", true));
    }

    #[test]
    fn star_nesting_limit() {
        // Checked on the oracle: "a*" repeated n times against 1200 a's matches up to n = 1001.
        let subject = vec![b'a'; 1200];
        for (n, expected) in [(999, true), (1000, true), (1001, true), (1002, false), (1100, false)] {
            let pattern = b"a*".repeat(n);
            assert_eq!(string_match(&pattern, &subject, false), expected, "n = {n}");
            assert_eq!(reference(&pattern, &subject, false), expected, "reference n = {n}");
        }
    }

    #[test]
    fn long_patterns_use_no_stack() {
        let pattern = b"*a".repeat(200_000);
        let subject = vec![b'a'; 10];
        assert!(!string_match(&pattern, &subject, false));
        // Pathological backtracking stays polynomial.
        let pattern = format!("{}b", "a*".repeat(30));
        assert!(!string_match(pattern.as_bytes(), &[b'a'; 200], false));
    }

    #[test]
    fn matches_reference_on_random_inputs() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let pattern_bytes = b"ab*?[]^-\\A\xff";
        let subject_bytes = b"ab-]\\[^A\xff";
        for _ in 0..200_000 {
            let plen = (rng.next_u32() % 9) as usize;
            let slen = (rng.next_u32() % 7) as usize;
            let pattern: Vec<u8> =
                (0..plen).map(|_| pattern_bytes[(rng.next_u32() as usize) % pattern_bytes.len()]).collect();
            let subject: Vec<u8> =
                (0..slen).map(|_| subject_bytes[(rng.next_u32() as usize) % subject_bytes.len()]).collect();
            let nocase = rng.next_u32() % 2 == 0;
            assert_eq!(
                string_match(&pattern, &subject, nocase),
                reference(&pattern, &subject, nocase),
                "pattern {:?} subject {:?} nocase {nocase}",
                String::from_utf8_lossy(&pattern),
                String::from_utf8_lossy(&subject)
            );
        }
    }
}
