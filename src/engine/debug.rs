//! Switches that DEBUG subcommands flip (Redis keeps them as server globals). They exist for
//! tests: Redis's own suite turns active expiry off, skips checksums to feed corrupt payloads,
//! stops the cron, or slows the AOF writer down.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugFlags {
    /// DEBUG SET-ACTIVE-EXPIRE: when false, keys expire only when accessed.
    pub active_expire_enabled: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and RDB loading ignore CRC mismatches.
    pub skip_checksum_validation: bool,
    /// DEBUG PAUSE-CRON: the periodic work (expiry, saves, replication cron) stops.
    pub pause_cron: bool,
    /// DEBUG AOF-FLUSH-SLEEP: the server sleeps this long before each AOF write.
    pub aof_flush_sleep_us: u64,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands.
    pub disable_deny_scripts: bool,
    /// DEBUG SLEEP: how long the server should stop after the running command. The engine
    /// never sleeps (it has no clock); the event loop takes this and sleeps, and the test
    /// harness advances its simulated time instead.
    pub sleep_request_us: u64,
}

impl Default for DebugFlags {
    fn default() -> DebugFlags {
        DebugFlags {
            active_expire_enabled: true,
            skip_checksum_validation: false,
            pause_cron: false,
            aof_flush_sleep_us: 0,
            disable_deny_scripts: false,
            sleep_request_us: 0,
        }
    }
}

impl DebugFlags {
    /// The pending DEBUG SLEEP, cleared.
    pub fn take_sleep_us(&mut self) -> u64 {
        std::mem::take(&mut self.sleep_request_us)
    }
}
