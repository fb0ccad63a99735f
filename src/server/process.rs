//! Facts about this process for INFO: resident memory and CPU time, read from /proc on Linux
//! (zero where /proc is absent).

/// Resident set size in bytes.
pub fn rss_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// (user, system) CPU seconds used by this process.
pub fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // The command name in parentheses may contain spaces: fields start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return (0.0, 0.0);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name);
    // clock ticks are 100 per second on Linux.
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// The kernel's name, release and machine (`Linux 6.1.0 x86_64`), as `uname` reports them.
pub fn os_string() -> String {
    let read = |path: &str| std::fs::read_to_string(path).map(|s| s.trim().to_string()).unwrap_or_default();
    let name = read("/proc/sys/kernel/ostype");
    let release = read("/proc/sys/kernel/osrelease");
    if name.is_empty() {
        return format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    }
    format!("{name} {release} {}", std::env::consts::ARCH)
}

/// Physical memory in bytes (`MemTotal` of /proc/meminfo), 0 when unknown.
pub fn total_system_memory_bytes() -> u64 {
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Microseconds on a monotonic clock since the first call: command durations (SLOWLOG,
/// INFO commandstats) are differences of two readings.
pub fn monotonic_us() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_micros() as u64
}
