//! The server log, in Redis's format: `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, where
//! the level mark is `.` debug, `-` verbose, `*` notice, `#` warning. Each line is written and
//! flushed at once: test harnesses poll the log file while the server runs.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Verbose = 1,
    Notice = 2,
    Warning = 3,
    /// Nothing is logged (embedded servers in tests).
    Nothing = 4,
}

impl Level {
    pub fn parse(name: &str) -> Option<Level> {
        match name.to_ascii_lowercase().as_str() {
            "debug" => Some(Level::Debug),
            "verbose" => Some(Level::Verbose),
            "notice" => Some(Level::Notice),
            "warning" => Some(Level::Warning),
            "nothing" => Some(Level::Nothing),
            _ => None,
        }
    }

    fn mark(self) -> char {
        match self {
            Level::Debug => '.',
            Level::Verbose => '-',
            Level::Notice => '*',
            Level::Warning | Level::Nothing => '#',
        }
    }
}

/// Where log lines go: stdout (`logfile ""`) or a file opened in append mode for each line, so
/// that log rotation by renaming works as with Redis.
#[derive(Clone, Debug)]
enum Target {
    Stdout,
    File(String),
}

struct Logger {
    target: Mutex<Target>,
    level: AtomicU8,
}

fn logger() -> &'static Logger {
    static LOGGER: OnceLock<Logger> = OnceLock::new();
    LOGGER.get_or_init(|| Logger { target: Mutex::new(Target::Stdout), level: AtomicU8::new(Level::Notice as u8) })
}

/// Sets the minimum level and the destination (empty path: stdout).
pub fn configure(level: Level, logfile: &str) {
    let l = logger();
    l.level.store(level as u8, Ordering::Relaxed);
    if let Ok(mut t) = l.target.lock() {
        *t = if logfile.is_empty() { Target::Stdout } else { Target::File(logfile.to_string()) };
    }
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= logger().level.load(Ordering::Relaxed) && level != Level::Nothing
}

/// Logs one line with role `M` (master), as Redis's serverLog.
pub fn log(level: Level, message: &str) {
    log_role(level, 'M', message)
}

/// Logs one line with an explicit role mark (`C` before the server is set up).
pub fn log_role(level: Level, role: char, message: &str) {
    if !enabled(level) {
        return;
    }
    let line = format!("{}:{} {} {} {}\n", std::process::id(), role, timestamp(), level.mark(), message);
    write_raw(&line);
}

/// Writes text to the log destination as it is (the start-up banner).
pub fn write_raw(text: &str) {
    let target = logger().target.lock().map(|t| t.clone()).unwrap_or(Target::Stdout);
    match target {
        Target::Stdout => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Target::File(path) => {
            if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(&path) {
                let _ = f.write_all(text.as_bytes());
            }
        }
    }
}

/// `22 Nov 2026 03:42:43.123` in UTC.
fn timestamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_414), (2025, 11, 22));
    }
}
