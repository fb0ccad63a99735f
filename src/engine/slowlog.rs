//! The slow log: commands that took at least `slowlog-log-slower-than` microseconds, newest
//! first, at most `slowlog-max-len` of them (Redis's slowlog.c).
//!
//! The engine reads no clock of its own: the server gives it a monotonic microsecond clock
//! (`ProcessInfo::monotonic_us`), and without one (tests) every command takes 0 µs, so only a
//! threshold of 0 logs anything, deterministically. DEBUG SLEEP counts as the time it asks
//! the server to stop, since the server sleeps after the command returns.

use std::collections::VecDeque;

/// Arguments kept per entry (SLOWLOG_ENTRY_MAX_ARGC); the last slot says how many were cut.
pub const MAX_ARGS: usize = 32;
/// Bytes kept per argument (SLOWLOG_ENTRY_MAX_STRING).
pub const MAX_ARG_BYTES: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowEntry {
    pub id: u64,
    pub time_s: u64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    pub next_id: u64,
}

/// The arguments as the slow log keeps them: at most 32 (the last replaced by
/// `... (N more arguments)`), each at most 128 bytes (then `... (N more bytes)`), and the
/// secrets at `redacted` shown as `(redacted)`.
pub fn trimmed_args(argv: &[Vec<u8>], redacted: &[usize]) -> Vec<Vec<u8>> {
    let kept = argv.len().min(MAX_ARGS);
    let mut out = Vec::with_capacity(kept);
    for (i, arg) in argv.iter().enumerate().take(kept) {
        if kept != argv.len() && i == kept - 1 {
            out.push(format!("... ({} more arguments)", argv.len() - kept + 1).into_bytes());
        } else if redacted.contains(&i) {
            out.push(b"(redacted)".to_vec());
        } else if arg.len() > MAX_ARG_BYTES {
            let mut a = arg[..MAX_ARG_BYTES].to_vec();
            a.extend_from_slice(format!("... ({} more bytes)", arg.len() - MAX_ARG_BYTES).as_bytes());
            out.push(a);
        } else {
            out.push(arg.clone());
        }
    }
    out
}

impl SlowLog {
    /// Adds an entry at the head, dropping the oldest beyond `max_len`.
    pub fn push(&mut self, mut entry: SlowEntry, max_len: usize) {
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }
}
