//! `verdis-server [config-file] [--option value ...]`: reads the configuration like redis-server,
//! logs in Redis's style, binds, runs the event loop, and shuts down cleanly on SIGTERM/SIGINT.

use super::event_loop::{bind_listeners, unix_ms, EventLoop};
use super::log::{self, Level};
use crate::engine::config::{host, Config, LogLevel};
use crate::engine::config_file::{fatal_text, load_config, parse_argv, startup_text, Invocation, REDIS_VERSION};
use crate::engine::Engine;

/// Options of the start-up that the engine's Config does not act on itself.
#[derive(Debug, Default)]
pub struct StartOptions {
    pub config_file: Option<String>,
    pub always_show_logo: bool,
    pub warnings: Vec<String>,
    /// The `user` directives, each the name and its rules.
    pub users: Vec<Vec<Vec<u8>>>,
}

/// Redis's built-in `bind` is `* -::*`; verdis-server, like the redis.conf Redis ships, listens on
/// loopback unless the configuration says otherwise.
const DEFAULT_BIND: &[u8] = b"127.0.0.1 -::1";

fn usage() -> &'static str {
    "Usage: ./verdis-server [/path/to/redis.conf] [options] [-]\n       ./verdis-server - (read config from stdin)\n       ./verdis-server -v or --version\n       ./verdis-server -h or --help\n\nExamples:\n       ./verdis-server (run the server with default config)\n       ./verdis-server /etc/redis/6379.conf\n       ./verdis-server --port 7777\n       ./verdis-server /etc/myredis.conf --loglevel verbose -\n"
}

/// The binary's main, given the whole argv (program name first): returns the exit code.
pub fn main_with_args(argv: Vec<String>) -> i32 {
    let startup = match parse_argv(&argv) {
        Invocation::Version => {
            println!(
                "Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=verdis-{}",
                env!("CARGO_PKG_VERSION")
            );
            return 0;
        }
        Invocation::Help => {
            eprint!("{}", usage());
            return 1;
        }
        Invocation::TestMemory(_) | Invocation::CheckSystem => {
            eprintln!("verdis-server does not implement --test-memory or --check-system");
            return 1;
        }
        Invocation::Run(startup) => startup,
    };
    let mut base = Config { chdir: Some(host::os_chdir), ..Config::default() };
    if let Err(e) = base.set("dir", b".").and_then(|_| base.set("bind", DEFAULT_BIND)) {
        eprintln!("Can't read the working directory: {e}");
        return 1;
    }
    // The config file's absolute path is taken before `dir` changes the working directory.
    let config_file = startup
        .config_file
        .as_ref()
        .map(|f| std::fs::canonicalize(f).map(|p| p.display().to_string()).unwrap_or_else(|_| f.clone()));
    let file_text = match &config_file {
        Some(path) => match std::fs::read(path) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("Fatal error, can't open config file '{path}': {}", host::strerror(&e));
                return 1;
            }
        },
        None => None,
    };
    let stdin_text = if startup.from_stdin {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf);
        Some(buf)
    } else {
        None
    };
    let text = startup_text(&startup, file_text.as_deref(), stdin_text.as_deref()).unwrap_or_default();
    let loaded = match load_config(&text, base, &mut |path: &str| host::read_include(path)) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.message());
            return 1;
        }
    };
    let config = loaded.config;
    let level = match config.loglevel() {
        LogLevel::Debug => Level::Debug,
        LogLevel::Verbose => Level::Verbose,
        LogLevel::Notice => Level::Notice,
        LogLevel::Warning => Level::Warning,
    };
    let logfile = config.logfile();
    if !logfile.is_empty() {
        if let Err(e) = std::fs::OpenOptions::new().create(true).append(true).open(&logfile) {
            eprint!("{}", fatal_text(None, &format!("Can't open the log file: {}", host::strerror(&e))));
            return 1;
        }
    }
    log::configure(level, &logfile);
    let always_show_logo = config.get_by_name("always-show-logo").is_some_and(|v| v == b"yes");
    let opts = StartOptions { config_file, always_show_logo, warnings: loaded.warnings, users: loaded.users };
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
    for warning in &opts.warnings {
        log::log_role(Level::Verbose, 'C', warning);
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
    super::persistence::install_real_persistence(&mut engine);
    engine.dialing.dialer = Some(Box::new(crate::engine::dial::TcpDialer));
    engine.process.monotonic_us = Some(super::process::monotonic_us);
    engine.process.pid = pid;
    engine.process.allocated_bytes = Some(crate::alloc::allocated_bytes);
    engine.process.tcp_port = port;
    engine.process.os = super::process::os_string();
    engine.process.total_system_memory_bytes = super::process::total_system_memory_bytes();
    engine.process.config_file = opts.config_file.clone().unwrap_or_default();
    if let Some(path) = &opts.config_file {
        engine.config_store = Some(Box::new(host::FileConfigStore { path: path.into() }));
    }
    let aclfile = engine.config.aclfile();
    if !aclfile.is_empty() {
        engine.acl.file = Some(Box::new(crate::engine::acl::file::FsAclFile { path: aclfile.into() }));
    }
    if let Err(line) = engine.load_startup_users(&opts.users) {
        log::log(Level::Warning, &line);
        return 1;
    }
    engine.process.executable = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    if let Err(e) = engine.start_lazyfree_thread() {
        log::log(Level::Warning, &format!("Can't start the lazy free thread, freeing inline: {e}"));
    }
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
    let signals = event_loop.signal_flags();
    for (signal, flag) in
        [(signal_hook::consts::SIGTERM, signals.sigterm), (signal_hook::consts::SIGINT, signals.sigint)]
    {
        if let Err(e) = signal_hook::flag::register(signal, flag) {
            log::log(Level::Warning, &format!("Can't install the signal handler: {e}"));
        }
    }
    log::log(Level::Warning, "Server initialized");
    if event_loop.engine.config.appendonly() {
        // With the AOF on, it is the only source of data (loadDataFromDisk).
        match super::persistence::boot_aof(&mut event_loop.engine) {
            Ok(Some(load)) => event_loop.set_loading(load),
            Ok(None) => log::log(Level::Notice, "Ready to accept connections"),
            Err(line) => {
                log::log(Level::Warning, &line);
                return 1;
            }
        }
    } else {
        match super::persistence::begin_load(&mut event_loop.engine, unix_ms()) {
            Ok(Some(load)) => event_loop.set_loading(load),
            Ok(None) => log::log(Level::Notice, "Ready to accept connections"),
            Err(line) => {
                super::persistence::drain_log(&mut event_loop.engine);
                log::log(Level::Warning, &line);
                return 1;
            }
        }
    }
    // `replicaof` in the configuration: the link starts once the data is loaded.
    if let Some((host, port)) = event_loop.engine.config.replicaof() {
        event_loop.engine.repl_set_master_at_start(&host, port, unix_ms());
        super::persistence::drain_log(&mut event_loop.engine);
    }
    loop {
        if let Err(e) = event_loop.run() {
            if e.kind() == std::io::ErrorKind::InvalidData {
                // A start-up load failed: its own line, as Redis ends its log.
                log::log(Level::Warning, &e.to_string());
            } else {
                log::log(Level::Warning, &format!("Event loop failed: {e}"));
            }
            return 1;
        }
        if event_loop.engine.shutdown.is_some() {
            // SHUTDOWN already did its save (and logged it).
            break;
        }
        // A signal: save as a plain SHUTDOWN would, and keep running if that fails (as Redis).
        let saved = event_loop.engine.shutdown_save(false, false, false, unix_ms());
        super::persistence::drain_log(&mut event_loop.engine);
        if saved {
            break;
        }
        log::log(
            Level::Warning,
            "SIGTERM received but errors trying to shut down the server, check the logs for more information",
        );
        event_loop.engine.shutdown_asap = false;
    }
    // What the AOF buffered goes to disk before exiting (prepareForShutdown).
    event_loop.engine.aof_kill_rewrite_now();
    event_loop.engine.aof_flush_and_sync(unix_ms());
    super::persistence::drain_log(&mut event_loop.engine);
    // Let the free thread finish what is queued (see crate::lazyfree: shutdown drains).
    event_loop.engine.lazyfree.shutdown();
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
