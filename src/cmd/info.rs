//! INFO [section ...]: Redis 7.0's sections and field names, with values taken from the engine
//! (statistics, clients, databases) and from what the server measured about the process
//! (`engine.process`). Fields about machinery verdis does not have (forks, replication links,
//! Lua, allocator internals) report what Redis reports for a server where that machinery is
//! idle; each such place says so. `verdis_version` is added after `redis_version`.

use crate::cmd::connection::REDIS_VERSION;
use crate::engine::pubsub::Kind;
use crate::engine::table::Command;
use crate::engine::{Ctx, Engine, Handler};
use crate::resp::Frame;
use std::fmt::Write;

pub fn handler(full_name: &str) -> Option<Handler> {
    match full_name {
        "info" => Some(info),
        _ => None,
    }
}

/// The sections in output order, with whether INFO (or INFO default) includes them.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// INFO [section ...]
fn info(ctx: &mut Ctx) -> Frame {
    let wanted = wanted_sections(&ctx.argv[1..]);
    let text = render(ctx, &wanted);
    Frame::Verbatim("txt", text.into_bytes())
}

/// Which sections the arguments ask for, in output order. Names are case-insensitive; unknown
/// ones are ignored; `default` adds the default set; `all` and `everything` add every section.
fn wanted_sections(args: &[Vec<u8>]) -> Vec<&'static str> {
    let mut all = false;
    let mut names: Vec<String> = Vec::with_capacity(args.len());
    for arg in args {
        let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match name.as_str() {
            "all" | "everything" => all = true,
            _ => names.push(name),
        }
    }
    let defaults = args.is_empty() || names.iter().any(|n| n == "default");
    SECTIONS
        .iter()
        .filter(|(section, in_default)| {
            all || (defaults && *in_default) || names.iter().any(|n| section_named(section, n))
        })
        .map(|(section, _)| *section)
        .collect()
}

/// The modules section answers to Redis's internal `module_list` name too.
fn section_named(section: &str, name: &str) -> bool {
    section == name || (section == "modules" && name == "module_list")
}

fn render(ctx: &mut Ctx, sections: &[&str]) -> String {
    // Grown as needed, as Redis's sds: a buffer sized up front would count in `used_memory`,
    // read while the text is built, and a maxmemory test reads that figure against its limit.
    let mut out = String::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        match *section {
            "server" => server_section(ctx, &mut out),
            "clients" => clients_section(ctx, &mut out),
            "memory" => memory_section(ctx.engine, &mut out),
            "persistence" => persistence_section(ctx.engine, &mut out),
            "stats" => stats_section(ctx.engine, &mut out),
            "replication" => replication_section(ctx.engine, &mut out),
            "cpu" => cpu_section(ctx.engine, &mut out),
            "modules" => out.push_str("# Modules\r\n"),
            "commandstats" => commandstats_section(ctx.engine, &mut out),
            "errorstats" => errorstats_section(ctx.engine, &mut out),
            // Redis with latency-tracking off: the header alone. verdis measures no command
            // durations (its engine has no wall clock).
            "latencystats" => out.push_str("# Latencystats\r\n"),
            "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
            "keyspace" => keyspace_section(ctx.engine, &mut out),
            _ => {}
        }
    }
    out
}

/// Appends `name:value\r\n` lines.
struct Lines<'a>(&'a mut String);

impl Lines<'_> {
    fn field(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        // Writing to a String cannot fail.
        let _ = write!(self.0, "{name}:{value}\r\n");
        self
    }
}

fn header<'a>(out: &'a mut String, title: &str) -> Lines<'a> {
    out.push_str("# ");
    out.push_str(title);
    out.push_str("\r\n");
    Lines(out)
}

/// 40 hexadecimal digits derived from the engine's seed and start time: a stable identity for
/// this run (Redis draws its run id and replication id at random).
pub(crate) fn run_hex(engine: &Engine, salt: u64) -> String {
    let mut input = Vec::with_capacity(32);
    input.extend_from_slice(&engine.config.seed.to_le_bytes());
    input.extend_from_slice(&engine.start_ms.to_le_bytes());
    input.extend_from_slice(&u64::from(engine.process.pid).to_le_bytes());
    input.extend_from_slice(&salt.to_le_bytes());
    let a = xxhash_rust::xxh3::xxh3_128(&input);
    input.push(1);
    let b = xxhash_rust::xxh3::xxh3_64(&input);
    format!("{a:032x}{:08x}", b >> 32)
}

fn server_section(ctx: &mut Ctx, out: &mut String) {
    let engine = &*ctx.engine;
    let p = &engine.process;
    let now_ms = ctx.now_ms;
    let uptime_s = now_ms.saturating_sub(engine.start_ms) / 1000;
    let port = if p.tcp_port != 0 { p.tcp_port } else { engine.config.port };
    let os =
        if p.os.is_empty() { format!("{} {}", std::env::consts::OS, std::env::consts::ARCH) } else { p.os.clone() };
    let multiplexing = if cfg!(target_os = "linux") {
        "epoll"
    } else if cfg!(any(target_os = "macos", target_os = "freebsd")) {
        "kqueue"
    } else {
        "poll"
    };
    header(out, "Server")
        .field("redis_version", REDIS_VERSION)
        .field("verdis_version", env!("CARGO_PKG_VERSION"))
        .field("redis_git_sha1", "00000000")
        .field("redis_git_dirty", 0)
        .field("redis_build_id", "0")
        .field("redis_mode", "standalone")
        .field("os", os)
        .field("arch_bits", usize::BITS)
        .field("monotonic_clock", "POSIX clock_gettime")
        .field("multiplexing_api", multiplexing)
        .field("atomicvar_api", "c11-builtin")
        // Redis prints 0.0.0 when not built by GCC.
        .field("gcc_version", "0.0.0")
        .field("process_id", p.pid)
        .field("process_supervised", "no")
        .field("run_id", run_hex(engine, 1))
        .field("tcp_port", port)
        .field("server_time_usec", now_ms.saturating_mul(1000))
        .field("uptime_in_seconds", uptime_s)
        .field("uptime_in_days", uptime_s / 86400)
        .field("hz", engine.config.hz)
        .field("configured_hz", engine.config.hz)
        // Redis's LRU clock: seconds, 24 bits.
        .field("lru_clock", (now_ms / 1000) & 0xFF_FFFF)
        .field("executable", &p.executable)
        .field("config_file", &p.config_file)
        .field("io_threads_active", 0);
}

fn clients_section(ctx: &mut Ctx, out: &mut String) {
    let engine = &*ctx.engine;
    // The running client is lent to the handler, so it is counted apart.
    let others = engine.clients.values().filter(|c| !c.killed);
    let (mut count, mut max_in, mut max_out) = (1usize, ctx.client.io.qbuf, ctx.client.io.omem);
    for c in others {
        count += 1;
        max_in = max_in.max(c.io.qbuf);
        max_out = max_out.max(c.io.omem);
    }
    header(out, "Clients")
        .field("connected_clients", count)
        .field("cluster_connections", 0)
        .field("maxclients", engine.config.maxclients)
        .field("client_recent_max_input_buffer", max_in)
        .field("client_recent_max_output_buffer", max_out)
        .field("blocked_clients", engine.blocking.blocked_count() + engine.pause.postponed_count())
        .field("tracking_clients", engine.tracking.clients)
        .field("clients_in_timeout_table", engine.blocking.with_deadline_count());
}

/// Redis's bytesToHuman: B below 1024, then K, M, G, T, P with two decimals.
fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut scale = 1024f64;
    for unit in UNITS {
        if (n as f64) < scale * 1024.0 {
            return format!("{:.2}{unit}", n as f64 / scale);
        }
        scale *= 1024.0;
    }
    format!("{n}B")
}

/// `a / b` as Redis computes its memory ratios, 0 when nothing was measured.
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// `used_memory` is the bytes allocated when the program counts its allocations (verdis-server
/// does, src/alloc.rs), as Redis's zmalloc counts them; otherwise the resident size stands in for
/// it. The allocator figures agree with `used_memory` (ratio 1, extra bytes 0) as Redis reports them
/// when built with libc malloc, which cannot tell active from allocated pages.
fn memory_section(engine: &mut Engine, out: &mut String) {
    let rss = engine.process.rss_bytes;
    let used = engine.process.allocated_bytes.and_then(|read| read()).unwrap_or(rss);
    let peak = engine.stats.peak_memory_bytes.max(used);
    engine.stats.peak_memory_bytes = peak;
    let total_system = engine.process.total_system_memory_bytes;
    let config = &engine.config;
    let maxmemory = config.num_value(crate::engine::config::index_of("maxmemory")) as u64;
    let policy = String::from_utf8_lossy(&config.get(crate::engine::config::index_of("maxmemory-policy"))).into_owned();
    let vm_eval = engine.scripting.eval_memory() as u64;
    let vm_functions = engine.scripting.functions.used_memory() as u64;
    let scripts_eval = engine.scripting.scripts_mem as u64;
    let functions_mem: u64 =
        engine.scripting.functions.libraries.values().map(|l| (l.code.len() + l.name.len()) as u64).sum();
    header(out, "Memory")
        .field("used_memory", used)
        .field("used_memory_human", bytes_to_human(used))
        .field("used_memory_rss", rss)
        .field("used_memory_rss_human", bytes_to_human(rss))
        .field("used_memory_peak", peak)
        .field("used_memory_peak_human", bytes_to_human(peak))
        .field("used_memory_peak_perc", format!("{:.2}%", ratio(used * 100, peak)))
        .field("used_memory_overhead", 0)
        .field("used_memory_startup", 0)
        .field("used_memory_dataset", used)
        .field("used_memory_dataset_perc", format!("{:.2}%", ratio(used * 100, used.max(1))))
        .field("allocator_allocated", used)
        .field("allocator_active", used)
        .field("allocator_resident", used)
        .field("total_system_memory", total_system)
        .field("total_system_memory_human", bytes_to_human(total_system))
        // The Lua heaps as Lua counts them; the script cache as its names and bodies.
        .field("used_memory_lua", vm_eval)
        .field("used_memory_vm_eval", vm_eval)
        .field("used_memory_lua_human", bytes_to_human(vm_eval))
        .field("used_memory_scripts_eval", scripts_eval)
        .field("number_of_cached_scripts", engine.scripting.scripts.len())
        .field("number_of_functions", engine.scripting.functions.function_count())
        .field("number_of_libraries", engine.scripting.functions.libraries.len())
        .field("used_memory_vm_functions", vm_functions)
        .field("used_memory_vm_total", vm_eval + vm_functions)
        .field("used_memory_vm_total_human", bytes_to_human(vm_eval + vm_functions))
        .field("used_memory_functions", functions_mem)
        .field("used_memory_scripts", scripts_eval + functions_mem)
        .field("used_memory_scripts_human", bytes_to_human(scripts_eval + functions_mem))
        .field("maxmemory", maxmemory)
        .field("maxmemory_human", bytes_to_human(maxmemory))
        .field("maxmemory_policy", policy)
        .field("allocator_frag_ratio", format!("{:.2}", ratio(used, used)))
        .field("allocator_frag_bytes", 0)
        .field("allocator_rss_ratio", format!("{:.2}", ratio(used, used)))
        .field("allocator_rss_bytes", 0)
        .field("rss_overhead_ratio", format!("{:.2}", ratio(rss, used)))
        .field("rss_overhead_bytes", rss as i64 - used as i64)
        .field("mem_fragmentation_ratio", format!("{:.2}", ratio(rss, used)))
        .field("mem_fragmentation_bytes", rss as i64 - used as i64)
        .field("mem_not_counted_for_evict", 0)
        .field("mem_replication_backlog", 0)
        .field("mem_total_replication_buffers", 0)
        .field("mem_clients_slaves", 0)
        .field("mem_clients_normal", 0)
        .field("mem_cluster_links", 0)
        .field("mem_aof_buffer", engine.persist.aof.buf.len())
        .field("mem_allocator", "libc")
        .field("active_defrag_running", 0)
        .field("lazyfree_pending_objects", engine.lazyfree.pending_objects())
        .field("lazyfreed_objects", engine.lazyfree.freed_objects());
}

/// RDB figures come from the engine's persistence state. `rdb_last_cow_size` is the forked
/// child's private dirty memory, measured as Redis measures it (0 with the in-process saver, which
/// copies nothing on write). The AOF figures come from `persist.aof`.
fn persistence_section(engine: &Engine, out: &mut String) {
    let p = &engine.persist;
    let now_ms = engine.now_ms;
    let current_bgsave_s = p.child.map_or(-1, |c| (now_ms.saturating_sub(c.started_ms) / 1000) as i64);
    let aof = &p.aof;
    let current_rewrite_s = aof.rewrite.as_ref().map_or(-1, |c| (now_ms.saturating_sub(c.started_ms) / 1000) as i64);
    let mut lines = header(out, "Persistence");
    lines
        .field("loading", u8::from(p.loading.is_some()))
        .field("async_loading", 0)
        .field("current_cow_peak", p.current.cow_peak)
        .field("current_cow_size", p.current.cow_bytes)
        .field("current_cow_size_age", p.current.cow_updated_ms.map_or(0, |t| now_ms.saturating_sub(t) / 1000))
        .field("current_fork_perc", format!("{:.2}", p.current.percent()))
        .field("current_save_keys_processed", p.current.keys_processed)
        .field("current_save_keys_total", p.current.keys_total)
        .field("rdb_changes_since_last_save", engine.dirty)
        .field("rdb_bgsave_in_progress", u8::from(p.child.is_some()))
        .field("rdb_last_save_time", p.lastsave_s)
        .field("rdb_last_bgsave_status", if p.last_bgsave_ok { "ok" } else { "err" })
        .field("rdb_last_bgsave_time_sec", p.last_bgsave_duration_s)
        .field("rdb_current_bgsave_time_sec", current_bgsave_s)
        .field("rdb_saves", p.rdb_saves)
        .field("rdb_last_cow_size", p.last_cow_bytes)
        .field("rdb_last_load_keys_expired", p.last_load.keys_expired)
        .field("rdb_last_load_keys_loaded", p.last_load.keys_loaded)
        .field("aof_enabled", u8::from(engine.aof_on()))
        .field("aof_rewrite_in_progress", u8::from(aof.rewrite.is_some()))
        .field("aof_rewrite_scheduled", u8::from(aof.rewrite_scheduled))
        .field("aof_last_rewrite_time_sec", aof.last_rewrite_time_s)
        .field("aof_current_rewrite_time_sec", current_rewrite_s)
        .field("aof_last_bgrewrite_status", if aof.last_bgrewrite_ok { "ok" } else { "err" })
        .field("aof_rewrites", aof.rewrites)
        .field("aof_rewrites_consecutive_failures", aof.consecutive_failures)
        .field("aof_last_write_status", engine.aof_health().last_write_status())
        .field("aof_last_cow_size", 0)
        .field("module_fork_in_progress", 0)
        .field("module_fork_last_cow_size", 0);
    if engine.config.appendonly() {
        lines
            .field("aof_current_size", aof.current_size)
            .field("aof_base_size", aof.base_size)
            .field("aof_pending_rewrite", u8::from(aof.rewrite_scheduled))
            .field("aof_buffer_length", aof.buf.len())
            .field("aof_pending_bio_fsync", u8::from(aof.bg.as_ref().is_some_and(|b| b.busy())))
            .field("aof_delayed_fsync", aof.delayed_fsync);
    }
    if let Some(l) = p.loading {
        // Redis's progress estimate: the file size when known, else the used memory recorded in it.
        let (perc, remaining) = if l.total_bytes > 0 {
            (l.loaded_bytes as f64 / l.total_bytes as f64 * 100.0, l.total_bytes.saturating_sub(l.loaded_bytes))
        } else if p.loading_rdb_used_mem > 0 {
            let perc = (l.loaded_bytes as f64 / p.loading_rdb_used_mem as f64 * 100.0).min(99.99);
            (perc, p.loading_rdb_used_mem.saturating_sub(l.loaded_bytes).max(1))
        } else {
            (0.0, 1)
        };
        let elapsed_s = now_ms.saturating_sub(l.start_ms) / 1000;
        let eta_s = if elapsed_s == 0 { 1 } else { elapsed_s * remaining / (l.loaded_bytes + 1) };
        lines
            .field("loading_start_time", l.start_ms / 1000)
            .field("loading_total_bytes", l.total_bytes)
            .field("loading_rdb_used_mem", p.loading_rdb_used_mem)
            .field("loading_loaded_bytes", l.loaded_bytes)
            .field("loading_loaded_perc", format!("{perc:.2}"))
            .field("loading_eta_seconds", eta_s);
    }
}

fn stats_section(engine: &Engine, out: &mut String) {
    let s = &engine.stats;
    header(out, "Stats")
        .field("total_connections_received", s.total_connections_received)
        .field("total_commands_processed", s.total_commands_processed)
        // TODO(cron): instantaneous rates need Redis's 100 ms samples from a periodic task.
        .field("instantaneous_ops_per_sec", 0)
        .field("total_net_input_bytes", s.total_net_input_bytes)
        .field("total_net_output_bytes", s.total_net_output_bytes)
        .field("total_net_repl_input_bytes", 0)
        .field("total_net_repl_output_bytes", 0)
        .field("instantaneous_input_kbps", "0.00")
        .field("instantaneous_output_kbps", "0.00")
        .field("instantaneous_input_repl_kbps", "0.00")
        .field("instantaneous_output_repl_kbps", "0.00")
        .field("rejected_connections", s.rejected_connections)
        .field("sync_full", engine.repl.sync_full)
        .field("sync_partial_ok", engine.repl.sync_partial_ok)
        .field("sync_partial_err", engine.repl.sync_partial_err)
        .field("expired_keys", s.expired_keys)
        .field("expired_stale_perc", format!("{:.2}", s.expired_stale_perc * 100.0))
        .field("expired_time_cap_reached_count", s.expired_time_cap_reached_count)
        .field("expire_cycle_cpu_milliseconds", 0)
        .field("evicted_keys", s.evicted_keys)
        .field("evicted_clients", 0)
        .field("total_eviction_exceeded_time", 0)
        .field("current_eviction_exceeded_time", 0)
        .field("keyspace_hits", s.keyspace_hits)
        .field("keyspace_misses", s.keyspace_misses)
        .field("pubsub_channels", engine.pubsub.count(Kind::Channel))
        .field("pubsub_patterns", engine.pubsub.count(Kind::Pattern))
        .field("pubsubshard_channels", engine.pubsub.count(Kind::Shard))
        // verdis never forks.
        .field("latest_fork_usec", engine.persist.latest_fork_usec)
        .field("total_forks", engine.persist.total_forks)
        .field("migrate_cached_sockets", engine.dialing.cache.len())
        .field("slave_expires_tracked_keys", 0)
        .field("active_defrag_hits", 0)
        .field("active_defrag_misses", 0)
        .field("active_defrag_key_hits", 0)
        .field("active_defrag_key_misses", 0)
        .field("total_active_defrag_time", 0)
        .field("current_active_defrag_time", 0)
        .field("tracking_total_keys", engine.tracking.total_keys())
        .field("tracking_total_items", engine.tracking.total_items())
        .field("tracking_total_prefixes", engine.tracking.total_prefixes())
        .field("unexpected_error_replies", s.unexpected_error_replies)
        .field("total_error_replies", s.total_error_replies)
        .field("dump_payload_sanitizations", 0)
        .field("total_reads_processed", s.total_reads_processed)
        .field("total_writes_processed", s.total_writes_processed)
        .field("io_threaded_reads_processed", 0)
        .field("io_threaded_writes_processed", 0)
        .field("reply_buffer_shrinks", 0)
        .field("reply_buffer_expands", 0);
}

/// The master's view: its replicas (one `slaveN` line each), the stream offset and the backlog
/// (none until the first replica attaches).
fn replication_section(engine: &Engine, out: &mut String) {
    let repl = &engine.repl;
    let now_s = engine.now_ms / 1000;
    let mut lines = header(out, "Replication");
    match &repl.link {
        None => {
            lines.field("role", "master");
        }
        Some(link) => {
            lines.field("role", "slave");
            replica_fields(engine, link, &mut lines);
        }
    }
    lines.field("connected_slaves", repl.replicas.len());
    let min_replicas = engine.config.min_replicas_to_write();
    let max_lag_s = engine.config.num_value(crate::engine::config::index_of("min-replicas-max-lag"));
    if min_replicas > 0 && max_lag_s > 0 {
        lines.field("min_slaves_good_slaves", repl.good_replicas(now_s, max_lag_s as u64));
    }
    for (i, r) in repl.replicas.iter().enumerate() {
        let line = format!(
            "ip={},port={},state={},offset={},lag={}",
            engine.replica_ip(r.client_id),
            r.listening_port,
            r.state.info_name(),
            r.ack_offset,
            now_s.saturating_sub(r.ack_s)
        );
        lines.field(&format!("slave{i}"), line);
    }
    let backlog_size = engine.config.num_value(crate::engine::config::index_of("repl-backlog-size"));
    lines
        .field("master_failover_state", "no-failover")
        .field("master_replid", engine.repl_current_id())
        .field("master_replid2", repl.replid2.clone().unwrap_or_else(|| "0".repeat(40)))
        .field("master_repl_offset", repl.offset)
        .field("second_repl_offset", repl.second_offset)
        .field("repl_backlog_active", u8::from(repl.backlog.is_some()))
        .field("repl_backlog_size", backlog_size)
        .field("repl_backlog_first_byte_offset", repl.backlog.as_ref().map_or(0, |b| b.first_offset))
        .field("repl_backlog_histlen", repl.backlog.as_ref().map_or(0, |b| b.histlen()));
}

/// A replica's view of its link (rule REPL-8).
fn replica_fields(engine: &Engine, link: &crate::engine::repl::replica::MasterLink, lines: &mut Lines) {
    use crate::engine::repl::replica::LinkState;
    let now_s = engine.now_ms / 1000;
    let connected = link.state == LinkState::Connected;
    let stream = if link.client_id.is_some() { link.stream.as_ref() } else { link.cached.as_ref() };
    let (applied, read) = stream.map_or((1, 1), |s| (s.reploff, s.read_reploff));
    let last_io = if link.client_id.is_some() { now_s.saturating_sub(link.last_io_s) as i64 } else { -1 };
    lines
        .field("master_host", &link.host)
        .field("master_port", link.port)
        .field("master_link_status", if connected { "up" } else { "down" })
        .field("master_last_io_seconds_ago", last_io)
        .field("master_sync_in_progress", u8::from(link.state == LinkState::Transfer))
        .field("slave_read_repl_offset", read)
        .field("slave_repl_offset", applied);
    if link.state == LinkState::Transfer {
        let (size, read) = link.transfer_progress();
        let perc = if size > 0 { read as f64 / size as f64 * 100.0 } else { 0.0 };
        lines
            .field("master_sync_total_bytes", size)
            .field("master_sync_read_bytes", read)
            .field("master_sync_left_bytes", size - read as i64)
            .field("master_sync_perc", format!("{perc:.2}"))
            .field("master_sync_last_io_seconds_ago", now_s.saturating_sub(link.last_io_s));
    }
    if !connected {
        let down = if link.down_since_s == 0 { -1 } else { now_s.saturating_sub(link.down_since_s) as i64 };
        lines.field("master_link_down_since_seconds", down);
    }
    let config = &engine.config;
    let index_of = crate::engine::config::index_of;
    lines
        .field("slave_priority", config.num_value(index_of("replica-priority")))
        .field("slave_read_only", u8::from(config.bool_value(index_of("replica-read-only"))))
        .field("replica_announced", u8::from(config.bool_value(index_of("replica-announced"))));
}

fn cpu_section(engine: &Engine, out: &mut String) {
    let p = &engine.process;
    let mut lines = header(out, "CPU");
    lines
        .field("used_cpu_sys", format!("{:.6}", p.used_cpu_sys_s))
        .field("used_cpu_user", format!("{:.6}", p.used_cpu_user_s))
        // verdis starts no child processes.
        .field("used_cpu_sys_children", "0.000000")
        .field("used_cpu_user_children", "0.000000");
    if cfg!(target_os = "linux") {
        // Commands run on the main thread, which does nearly all of the process's work.
        lines
            .field("used_cpu_sys_main_thread", format!("{:.6}", p.used_cpu_sys_s))
            .field("used_cpu_user_main_thread", format!("{:.6}", p.used_cpu_user_s));
    }
}

/// One line per command (subcommands after their container) that was called, failed or was
/// rejected. `usec` is measured on the server's monotonic clock (0 in tests without one).
fn commandstats_section(engine: &Engine, out: &mut String) {
    let mut lines = header(out, "Commandstats");
    let table = &engine.table;
    for cmd in table.top_level() {
        for c in std::iter::once(cmd).chain(table.subcommands(cmd)) {
            command_stat_line(engine, c, &mut lines);
        }
    }
}

fn command_stat_line(engine: &Engine, cmd: &Command, lines: &mut Lines) {
    let Some(stat) = engine.command_stats.get(cmd.stat_index) else {
        return;
    };
    if stat.calls == 0 && stat.failed_calls == 0 && stat.rejected_calls == 0 {
        return;
    }
    let per_call = if stat.calls == 0 { 0.0 } else { stat.usec as f32 / stat.calls as f32 };
    let value = format!(
        "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
        stat.calls, stat.usec, stat.rejected_calls, stat.failed_calls
    );
    lines.field(&format!("cmdstat_{}", safe_info_name(cmd.meta.name)), value);
}

/// Redis replaces the characters that would break INFO's format in names.
fn safe_info_name(name: &str) -> String {
    name.replace(['#', ':', '\n', '\r'], "_")
}

fn errorstats_section(engine: &Engine, out: &mut String) {
    let mut lines = header(out, "Errorstats");
    for (code, count) in &engine.stats.error_codes {
        lines.field(&format!("errorstat_{}", safe_info_name(code)), format!("count={count}"));
    }
}

fn keyspace_section(engine: &Engine, out: &mut String) {
    let mut lines = header(out, "Keyspace");
    for (i, db) in engine.dbs.iter().enumerate() {
        let (keys, expires) = (db.len(), db.volatile_len());
        if keys > 0 || expires > 0 {
            // TODO(expire): Redis's avg_ttl is an estimate kept by the active expire cycle;
            // 0 is what it reports before the cycle has sampled the database.
            lines.field(&format!("db{i}"), format!("keys={keys},expires={expires},avg_ttl=0"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bytes_to_human;
    use crate::engine::testkit::Harness;
    use crate::engine::value::Value;
    use crate::resp::Frame;

    fn info(h: &mut Harness, line: &str) -> String {
        match h.run(line) {
            Frame::Verbatim("txt", t) => String::from_utf8(t).unwrap(),
            other => panic!("not verbatim: {other:?}"),
        }
    }

    fn headers(text: &str) -> Vec<&str> {
        text.lines().filter(|l| l.starts_with("# ")).collect()
    }

    fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        text.split("\r\n").find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
    }

    #[test]
    fn default_and_all_sections() {
        let mut h = Harness::new();
        let default = info(&mut h, "INFO");
        assert_eq!(
            headers(&default),
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert_eq!(headers(&info(&mut h, "INFO default")), headers(&default));
        let all = info(&mut h, "INFO all");
        assert!(headers(&all).contains(&"# Commandstats"));
        assert!(headers(&all).contains(&"# Latencystats"));
        assert_eq!(headers(&info(&mut h, "INFO everything")), headers(&all));
        // Sections come in Redis's order, whatever the order asked.
        assert_eq!(headers(&info(&mut h, "INFO keyspace SERVER")), ["# Server", "# Keyspace"]);
        assert_eq!(info(&mut h, "INFO nosuch"), "");
        assert_eq!(info(&mut h, "INFO cluster"), "# Cluster\r\ncluster_enabled:0\r\n");
        assert_eq!(headers(&info(&mut h, "INFO module_list")), ["# Modules"]);
        assert!(default.ends_with("\r\n"));
        assert!(default.contains("\r\n\r\n# Clients\r\n"));
    }

    #[test]
    fn values_come_from_the_engine() {
        let mut h = Harness::new();
        h.advance_ms(90_061_000);
        let now = h.now_ms;
        h.engine.dbs[0].set(b"a".to_vec(), Value::str(b"1".to_vec()), now);
        h.engine.dbs[3].set(b"b".to_vec(), Value::str(b"1".to_vec()), now);
        h.engine.dbs[3].set_expire(b"b", now + 5000);
        h.new_client();
        h.run("PING");
        h.run("PING a b");
        h.run("NOSUCH");
        let text = info(&mut h, "INFO everything");
        assert_eq!(field(&text, "redis_version"), Some("7.0.15"));
        assert_eq!(field(&text, "verdis_version"), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(field(&text, "uptime_in_seconds"), Some("90061"));
        assert_eq!(field(&text, "uptime_in_days"), Some("1"));
        assert_eq!(field(&text, "connected_clients"), Some("2"));
        assert_eq!(field(&text, "db0"), Some("keys=1,expires=0,avg_ttl=0"));
        assert_eq!(field(&text, "db3"), Some("keys=1,expires=1,avg_ttl=0"));
        assert_eq!(field(&text, "db1"), None);
        assert_eq!(
            field(&text, "cmdstat_ping"),
            Some("calls=2,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1")
        );
        assert_eq!(field(&text, "errorstat_ERR"), Some("count=2"));
        assert_eq!(field(&text, "total_error_replies"), Some("2"));
        assert_eq!(field(&text, "total_connections_received"), Some("2"));
        assert_eq!(field(&text, "run_id").map(str::len), Some(40));
        assert_eq!(field(&text, "master_replid").map(str::len), Some(40));
        assert_ne!(field(&text, "run_id"), field(&text, "master_replid"));
        assert_eq!(field(&text, "rdb_changes_since_last_save"), Some("0"));
        assert_eq!(field(&text, "server_time_usec"), Some((now * 1000).to_string().as_str()));
    }

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(941160), "919.10K");
        assert_eq!(bytes_to_human(7151616), "6.82M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }
}
