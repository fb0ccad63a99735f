//! The ACL log: recent refusals and failed authentications, newest first, with repeats of the
//! same event within a minute folded into one entry (Redis's addACLLogEntry).

use super::Reason;
use std::collections::VecDeque;

/// Events this close in time (ms) may share an entry.
const GROUPING_MAX_DELTA_MS: u64 = 60_000;
/// How many recent entries are searched for one to fold into.
const MATCH_SCAN: usize = 10;

/// Where the refused command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    TopLevel,
    Multi,
    Lua,
    Module,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::TopLevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
            Context::Module => "module",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command, key, channel, or (for auth) the command name the client typed.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// When it last happened, in Unix ms.
    pub time_ms: u64,
    /// CLIENT INFO of the client it last happened to.
    pub client_info: String,
}

#[derive(Clone, Debug, Default)]
pub struct AclLog {
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// Records an event; keeps at most `max_len` entries.
    pub fn add(&mut self, entry: Entry, max_len: usize) {
        let found = self.entries.iter().take(MATCH_SCAN).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.time_ms.abs_diff(entry.time_ms) <= GROUPING_MAX_DELTA_MS
                && e.object == entry.object
                && e.username == entry.username
        });
        match found.and_then(|i| self.entries.remove(i)) {
            Some(mut existing) => {
                existing.count += 1;
                existing.time_ms = entry.time_ms;
                existing.client_info = entry.client_info;
                self.entries.push_front(existing);
            }
            None => {
                self.entries.push_front(entry);
                self.entries.truncate(max_len);
            }
        }
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}
