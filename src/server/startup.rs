//! `verdis-server [config-file] [--option value ...]`: reads the configuration like redis-server,
//! logs in Redis's style, binds, runs the event loop, and shuts down cleanly on SIGTERM/SIGINT.

use super::event_loop::{bind_listeners, unix_ms, EventLoop};
use super::log::{self, Level};
use crate::engine::config::Config;
use crate::engine::Engine;
use std::sync::atomic::Ordering;

/// Options of the start-up that the engine's Config does not hold.
#[derive(Debug, Default)]
pub struct StartOptions {
    pub config_file: Option<String>,
    pub loglevel: Option<String>,
    pub logfile: String,
    pub always_show_logo: bool,
    pub dir: Option<String>,
}

/// Turns the command line into configuration text, as redis-server's main() does: a first
/// argument not starting with `--` is the config file; each `--name` starts a new line and the
/// words after it are its arguments.
pub fn args_to_config_text(args: &[String]) -> (Option<String>, String) {
    let mut iter = args.iter().peekable();
    let mut file = None;
    if let Some(first) = iter.peek() {
        if !first.starts_with("--") {
            file = iter.next().cloned();
        }
    }
    let mut text = String::new();
    let mut first_word = true;
    for arg in iter {
        if let Some(name) = arg.strip_prefix("--") {
            if !name.is_empty() && !first_word {
                text.push('\n');
            }
            if !name.is_empty() {
                text.push_str(name);
                first_word = false;
                continue;
            }
        }
        text.push(' ');
        text.push_str(&quote(arg));
        first_word = false;
    }
    (file, text)
}

fn quote(arg: &str) -> String {
    if arg.is_empty() {
        return "\"\"".to_string();
    }
    if arg.contains([' ', '"', '\'', '\t']) {
        return format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""));
    }
    arg.to_string()
}

/// Applies configuration text to `config` (the subset the foundation understands; the full
/// registry replaces this).
pub fn apply_config_text(config: &mut Config, opts: &mut StartOptions, text: &str) -> Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(words) = crate::resp::split::split_args(trimmed.as_bytes()) else {
            return Err(fatal(n + 1, trimmed, "Unbalanced quotes in configuration line"));
        };
        let words: Vec<String> = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
        let Some(name) = words.first().map(|w| w.to_ascii_lowercase()) else {
            continue;
        };
        let arg = words.get(1).cloned().unwrap_or_default();
        let int = |s: &str| {
            s.parse::<u64>().map_err(|_| fatal(n + 1, trimmed, "argument couldn't be parsed into an integer"))
        };
        match name.as_str() {
            "port" => config.port = int(&arg)? as u16,
            "bind" => config.bind = words[1..].to_vec(),
            "requirepass" => config.requirepass = if arg.is_empty() { None } else { Some(arg.into_bytes()) },
            "protected-mode" => config.protected_mode = arg.eq_ignore_ascii_case("yes"),
            "databases" => config.databases = int(&arg)? as usize,
            "hz" => config.hz = int(&arg)?.clamp(1, 500) as u32,
            "timeout" => config.timeout_s = int(&arg)?,
            "maxclients" => config.maxclients = int(&arg)?,
            "verdis-seed" => config.seed = int(&arg)?,
            "loglevel" => opts.loglevel = Some(arg),
            "logfile" => opts.logfile = arg,
            "always-show-logo" => opts.always_show_logo = arg.eq_ignore_ascii_case("yes"),
            "dir" => opts.dir = Some(arg),
            _ => log::log_role(
                Level::Verbose,
                'C',
                &format!("Configuration directive '{name}' accepted but not implemented"),
            ),
        }
    }
    Ok(())
}

fn fatal(line_no: usize, line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line_no}\n>>> '{line}'\n{reason}\n"
    )
}

/// The binary's main: returns the process exit code.
pub fn main_with_args(args: Vec<String>) -> i32 {
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!("Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=verdis-{}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let (file, cli_text) = args_to_config_text(&args);
    let mut config = Config::default();
    let mut opts = StartOptions { config_file: file.clone(), ..StartOptions::default() };
    let mut text = String::new();
    if let Some(path) = &file {
        match std::fs::read_to_string(path) {
            Ok(t) => text.push_str(&t),
            Err(e) => {
                eprintln!("Fatal error, can't open config file '{path}': {e}");
                return 1;
            }
        }
        text.push('\n');
    }
    text.push_str(&cli_text);
    if let Err(e) = apply_config_text(&mut config, &mut opts, &text) {
        eprint!("{e}");
        return 1;
    }
    let level = opts.loglevel.as_deref().and_then(Level::parse).unwrap_or(Level::Notice);
    log::configure(level, &opts.logfile);
    run(config, opts)
}

fn run(config: Config, opts: StartOptions) -> i32 {
    let pid = std::process::id();
    log::log_role(Level::Warning, 'C', "oO0OoO0OoO0Oo verdis is starting oO0OoO0OoO0Oo");
    log::log_role(
        Level::Warning,
        'C',
        &format!(
            "verdis version={} (Redis 7.0.15 compatible), bits=64, commit=00000000, modified=0, pid={pid}, just started",
            env!("CARGO_PKG_VERSION")
        ),
    );
    log::log_role(Level::Warning, 'C', "Configuration loaded");
    if let Some(dir) = &opts.dir {
        if let Err(e) = std::env::set_current_dir(dir) {
            log::log(Level::Warning, &format!("Can't chdir to '{dir}': {e}"));
            return 1;
        }
    }
    let listeners = match bind_listeners(&config.bind, config.port) {
        Ok(l) if !l.is_empty() => l,
        Ok(_) | Err(_) => {
            log::log(Level::Warning, &format!("Failed listening on port {} (tcp), aborting.", config.port));
            return 1;
        }
    };
    let port = config.port;
    let mut engine = Engine::new(config, unix_ms());
    engine.process.pid = pid;
    engine.process.tcp_port = port;
    engine.process.config_file = opts
        .config_file
        .as_ref()
        .and_then(|f| std::fs::canonicalize(f).ok())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    engine.process.executable = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    if opts.always_show_logo {
        log::write_raw(&banner(port, pid));
    } else {
        log::log(Level::Notice, &format!("Running mode=standalone, port={port}."));
    }
    let mut event_loop = match EventLoop::new(engine, listeners) {
        Ok(l) => l,
        Err(e) => {
            log::log(Level::Warning, &format!("Failed creating the event loop: {e}"));
            return 1;
        }
    };
    let stop = event_loop.stop_handle();
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(signal, stop.flag()) {
            log::log(Level::Warning, &format!("Can't install the signal handler: {e}"));
        }
    }
    log::log(Level::Warning, "Server initialized");
    log::log(Level::Notice, "Ready to accept connections");
    if let Err(e) = event_loop.run() {
        log::log(Level::Warning, &format!("Event loop failed: {e}"));
        return 1;
    }
    if event_loop.engine.shutdown.is_none() && stop.flag().load(Ordering::SeqCst) {
        log::log(Level::Warning, "Received SIGTERM scheduling shutdown...");
    }
    log::log(Level::Warning, "User requested shutdown...");
    log::log(Level::Warning, "verdis is now ready to exit, bye bye...");
    0
}

/// The start-up banner. It carries ` Port: N` and ` PID: N`, which test harnesses look for.
fn banner(port: u16, pid: u32) -> String {
    format!(
        "\n                verdis {} (Redis 7.0.15 compatible) 64 bit\n\n                Running in standalone mode\n                Port: {port}\n                PID: {pid}\n\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_to_text() {
        let args: Vec<String> = ["redis.conf", "--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (file, text) = args_to_config_text(&args);
        assert_eq!(file.as_deref(), Some("redis.conf"));
        assert_eq!(text, "port 7000\nsave \"\"\nbind 127.0.0.1 ::1");
    }
}
