//! Counters reported by INFO stats, INFO errorstats and INFO commandstats.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub client_query_buffer_limit_disconnections: u64,
    pub client_output_buffer_limit_disconnections: u64,
    /// Error replies by error code (the first word of the reply), for INFO errorstats. Ordered
    /// by code as Redis's radix tree is.
    pub error_codes: BTreeMap<String, u64>,
    /// The highest memory figure INFO has reported (Redis's stat_peak_memory).
    pub peak_memory_bytes: u64,
}

impl Stats {
    /// Counts one error reply under its code, as Redis's afterErrorReply does: the code is the
    /// text before the first space when that space comes within Redis's 32-byte window (which
    /// includes the leading `-`), and `ERR` otherwise.
    pub fn count_error(&mut self, text: &str) {
        let window = &text.as_bytes()[..text.len().min(31)];
        let code = match window.iter().position(|&b| b == b' ') {
            Some(end) => &text[..end],
            None => "ERR",
        };
        match self.error_codes.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.error_codes.insert(code.to_string(), 1);
            }
        }
    }
}

/// Per-command counters (INFO commandstats).
#[derive(Clone, Debug, Default)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}
