//! The crash model of the append-only file (rules AOF-13 to AOF-15 in `rules/aof.md`).
//!
//! A history is a sequence of writes, each applied by the server in order (a MULTI/EXEC block
//! counts as one write: it is all or nothing). Some were acknowledged (the client got the reply),
//! some were made durable by a completed fsync. After a crash and a restart the dataset must equal
//! the model's dataset after some prefix of the history: never a write without the ones before it,
//! never part of a transaction. Which prefixes are allowed depends on `appendfsync`:
//!
//! - `always`: a reply is sent only once the write is on disk, so the prefix covers every
//!   acknowledged write (it may also cover writes that were applied and written but whose reply
//!   was never sent);
//! - `everysec` and `no`: the prefix covers at least every write the last completed fsync (or
//!   rewrite) covered; later writes may or may not survive.

/// The fsync policy (`appendfsync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Always,
    Everysec,
    No,
}

/// What the server had done with a history when it crashed, in counts of writes from the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashPoint {
    /// Writes the server executed.
    pub applied: usize,
    /// Writes whose reply was sent.
    pub acknowledged: usize,
    /// Writes covered by the last completed fsync or rewrite.
    pub durable: usize,
}

/// The prefixes a restart may show: `lo..=hi` writes.
pub fn allowed_prefixes(policy: Policy, at: CrashPoint) -> std::ops::RangeInclusive<usize> {
    let lo = match policy {
        Policy::Always => at.acknowledged.max(at.durable),
        Policy::Everysec | Policy::No => at.durable,
    };
    lo.min(at.applied)..=at.applied
}

/// The smallest allowed prefix whose state equals `observed` (states after 0, 1, ... writes),
/// or None when the observed state breaks the model.
pub fn explain<S: PartialEq>(policy: Policy, at: CrashPoint, states: &[S], observed: &S) -> Option<usize> {
    allowed_prefixes(policy, at).find(|&k| states.get(k) == Some(observed))
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: AOF-13, AOF-14
    #[test]
    fn windows() {
        let at = CrashPoint { applied: 5, acknowledged: 4, durable: 2 };
        assert_eq!(allowed_prefixes(Policy::Always, at), 4..=5);
        assert_eq!(allowed_prefixes(Policy::Everysec, at), 2..=5);
        assert_eq!(allowed_prefixes(Policy::No, at), 2..=5);
        let states = ["", "a", "ab", "abc", "abcd", "abcde"];
        assert_eq!(explain(Policy::Always, at, &states, &"abcd"), Some(4));
        assert_eq!(explain(Policy::Always, at, &states, &"ab"), None);
        assert_eq!(explain(Policy::Everysec, at, &states, &"ab"), Some(2));
        assert_eq!(explain(Policy::Everysec, at, &states, &"ac"), None);
    }
}
