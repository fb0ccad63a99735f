//! Registry tests. `oracle_config_get.tsv` is `CONFIG GET *` of a Redis 7.0.15 server started
//! with only `--port 7404` (name, tab, value; sorted).

use super::*;

const ORACLE: &str = include_str!("oracle_config_get.tsv");

fn oracle() -> Vec<(&'static str, &'static str)> {
    ORACLE.lines().map(|l| l.split_once('\t').unwrap_or((l, ""))).collect()
}

fn set(c: &mut Config, name: &str, value: &str) -> Result<(), String> {
    c.set(name, value.as_bytes())
}

fn get(c: &Config, name: &str) -> String {
    String::from_utf8(c.get_by_name(name).expect("known parameter")).expect("utf-8 value")
}

#[test]
fn every_oracle_parameter_is_known_and_nothing_else_is_listed() {
    let oracle_names: Vec<&str> = oracle().iter().map(|(n, _)| *n).collect();
    for name in &oracle_names {
        assert!(lookup(name.as_bytes()).is_some(), "unknown parameter {name}");
    }
    let mut ours: Vec<&str> =
        all_names().filter(|(_, i)| !PARAMS[*i].has(HIDDEN)).map(|(n, _)| n).filter(|n| *n != "verdis-seed").collect();
    ours.sort_unstable();
    assert_eq!(ours, oracle_names);
}

#[test]
fn defaults_match_the_oracle() {
    let c = Config::default();
    for (name, value) in oracle() {
        if name == "port" || name == "dir" {
            continue;
        }
        assert_eq!(get(&c, name), value, "default of {name}");
    }
    assert_eq!(get(&c, "port"), "6379");
    assert_eq!(get(&c, "verdis-seed"), "0");
    assert_eq!(get(&c, "use-exit-on-panic"), "no");
    assert_eq!(get(&c, "loading-process-events-interval-bytes"), "2097152");
}

#[test]
fn names_are_case_insensitive_and_aliases_share_values() {
    let mut c = Config::default();
    assert_eq!(lookup(b"SLAVE-Priority").map(|f| (f.name, f.is_alias)), Some(("slave-priority", true)));
    set(&mut c, "slave-priority", "5").unwrap();
    assert_eq!(get(&c, "replica-priority"), "5");
    set(&mut c, "hash-max-ziplist-entries", "7").unwrap();
    assert_eq!(c.hash_max_listpack_entries(), 7);
    assert!(lookup(b"nope").is_none());
}

#[test]
fn typed_fields_stay_in_sync() {
    let mut c = Config::default();
    set(&mut c, "databases", "4").unwrap();
    set(&mut c, "requirepass", "pw").unwrap();
    set(&mut c, "maxclients", "12").unwrap();
    set(&mut c, "timeout", "30").unwrap();
    set(&mut c, "port", "7000").unwrap();
    set(&mut c, "bind", "127.0.0.1 ::1").unwrap();
    set(&mut c, "protected-mode", "no").unwrap();
    set(&mut c, "proto-max-bulk-len", "2mb").unwrap();
    set(&mut c, "client-query-buffer-limit", "1gb").unwrap();
    set(&mut c, "verdis-seed", "18446744073709551615").unwrap();
    assert_eq!(c.databases, 4);
    assert_eq!(c.requirepass.as_deref(), Some(&b"pw"[..]));
    assert_eq!((c.maxclients, c.timeout_s, c.port), (12, 30, 7000));
    assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "::1".to_string()]);
    assert!(!c.protected_mode);
    assert_eq!(c.proto_max_bulk_len, 2 << 20);
    assert_eq!(c.client_query_buffer_limit, 1 << 30);
    assert_eq!(c.seed, u64::MAX);
    assert_eq!(get(&c, "verdis-seed"), "18446744073709551615");
    // Writing a field directly is seen by CONFIG GET.
    c.hz = 42;
    c.requirepass = None;
    assert_eq!(get(&c, "hz"), "42");
    assert_eq!(get(&c, "requirepass"), "");
}

#[test]
fn hz_is_clamped() {
    let mut c = Config::default();
    set(&mut c, "hz", "0").unwrap();
    assert_eq!(c.hz, 1);
    set(&mut c, "hz", "1000").unwrap();
    assert_eq!(get(&c, "hz"), "500");
}

/// Error texts checked against the reference server's CONFIG SET replies.
#[test]
fn value_errors() {
    let mut c = Config::default();
    let cases = [
        ("slave-priority", "abc", "argument couldn't be parsed into an integer"),
        ("maxmemory", "-1", "argument must be a memory value"),
        ("maxmemory-clients", "101%", "percentage argument must be less or equal to 100"),
        ("maxmemory-clients", "-5", "argument must be a memory or percent value"),
        ("proto-max-bulk-len", "100", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("maxclients", "-1", "argument must be between 1 and 4294967295 inclusive"),
        ("list-max-listpack-size", "-99999999999", "argument must be between -2147483648 and 2147483647 inclusive"),
        ("active-defrag-cycle-min", "0", "argument must be between 1 and 99 inclusive"),
        ("loglevel", "foo", "argument(s) must be one of the following: debug, verbose, notice, warning"),
        ("appendonly", "maybe", "argument must be 'yes' or 'no'"),
        ("shutdown-on-sigint", "save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
        ("shutdown-on-sigint", "", "argument(s) must be one of the following: default, save, nosave, now, force"),
        ("save", "10  1", "Invalid save parameters"),
        ("save", "0 1", "Invalid save parameters"),
        ("notify-keyspace-events", "Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("client-output-buffer-limit", "master 1 1 1", "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1 1", "Wrong number of arguments in buffer limit configuration."),
        (
            "client-output-buffer-limit",
            "normal 1 x 1",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "latency-tracking-info-percentiles",
            "101",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
        ),
        ("latency-tracking-info-percentiles", "abc", "Invalid latency-tracking-info-percentiles parameters"),
        ("oom-score-adj-values", "1 2", "wrong number of arguments"),
        ("oom-score-adj-values", "1 2 3000", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
        ("dbfilename", "a/b", "dbfilename can't be a path, just a filename"),
        ("appendfilename", "", "appendfilename can't be empty"),
        ("appenddirname", "x\\y", "appenddirname can't be a path, just a dirname"),
        ("unixsocketperm", "999", "argument couldn't be parsed as an octal number"),
        ("unixsocketperm", "1777", "argument must be between 0 and 777 inclusive"),
        ("cluster-announce-hostname", "a_b", "Hostnames may only contain alphanumeric characters, hyphens or dots"),
        ("proc-title-template", "{nope}", "template format is invalid or contains unknown variables"),
        ("proc-title-template", "{title}", "template format is invalid or contains unknown variables"),
        ("replicaof", "host 70000", "Invalid master port"),
        ("replicaof", "host", "wrong number of arguments"),
        (
            "activedefrag",
            "yes",
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution",
        ),
    ];
    for (name, value, reason) in cases {
        assert_eq!(set(&mut c, name, value), Err(reason.to_string()), "{name} {value:?}");
    }
    assert_eq!(Config::default().get(index_of("save")), c.get(index_of("save")), "failed sets change nothing");
}

/// Accepted values and how CONFIG GET then reports them (checked against the reference server).
#[test]
fn values_and_their_reported_form() {
    let mut c = Config::default();
    let cases = [
        ("maxmemory", "10mb", "10485760"),
        ("maxmemory", "1k", "1000"),
        ("maxmemory", "", "0"),
        ("maxmemory", "kb", "0"),
        ("maxmemory", "99999999999999999999", "18446744073709551615"),
        ("maxmemory-clients", "10%", "10%"),
        ("maxmemory-clients", "1g", "1000000000"),
        ("oom-score-adj", "relative", "yes"),
        ("oom-score-adj", "ABSOLUTE", "absolute"),
        ("shutdown-on-sigint", "save now", "save now"),
        ("shutdown-on-sigterm", "force nosave", "nosave force"),
        ("save", "10 ", "10 0"),
        ("save", "", ""),
        ("save", "900 1 300 10", "900 1 300 10"),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "Kgx$", "g$xK"),
        ("notify-keyspace-events", "", ""),
        (
            "client-output-buffer-limit",
            "normal 1mb 2k 3 replica 1 1 1",
            "normal 1048576 2000 3 slave 1 1 1 pubsub 33554432 8388608 60",
        ),
        ("latency-tracking-info-percentiles", "50 99.9 100.0 0.001", "50 99.9 100 0.001"),
        ("latency-tracking-info-percentiles", "", ""),
        ("bind", "", ""),
        ("bind", "127.0.0.1", "127.0.0.1"),
        ("unixsocketperm", "700", "700"),
        ("list-max-ziplist-size", "-5", "-5"),
        ("appendonly", "YES", "yes"),
        ("requirepass", "s\"ecret", "s\"ecret"),
        ("replicaof", "127.0.0.1 6380", "127.0.0.1 6380"),
        ("replicaof", "NO ONE", ""),
        ("proc-title-template", "{{x {port}", "{{x {port}"),
    ];
    for (name, value, expected) in cases {
        assert_eq!(set(&mut c, name, value), Ok(()), "{name} {value:?}");
        assert_eq!(get(&c, name), expected, "{name} {value:?}");
    }
}

#[test]
fn typed_accessors() {
    let mut c = Config::default();
    assert_eq!(c.save_points(), DEFAULT_SAVE);
    assert_eq!(c.loglevel(), LogLevel::Notice);
    assert_eq!(c.maxmemory_policy(), MaxmemoryPolicy::NoEviction);
    assert_eq!(c.appendfsync(), AppendFsync::Everysec);
    assert_eq!((c.dbfilename().as_str(), c.logfile().as_str()), ("dump.rdb", ""));
    assert_eq!((c.list_max_listpack_size(), c.set_max_intset_entries(), c.zset_max_listpack_value()), (-2, 512, 64));
    set(&mut c, "maxmemory-policy", "allkeys-lru").unwrap();
    set(&mut c, "loglevel", "warning").unwrap();
    set(&mut c, "notify-keyspace-events", "Ex").unwrap();
    set(&mut c, "lazyfree-lazy-user-flush", "yes").unwrap();
    set(&mut c, "maxmemory", "1gb").unwrap();
    set(&mut c, "maxmemory-clients", "5%").unwrap();
    assert_eq!(c.maxmemory_policy(), MaxmemoryPolicy::AllkeysLru);
    assert_eq!(c.loglevel(), LogLevel::Warning);
    assert_eq!(c.notify_keyspace_events(), NOTIFY_KEYEVENT | NOTIFY_EXPIRED);
    assert!(c.lazyfree_lazy_user_flush());
    assert_eq!(c.maxmemory(), 1 << 30);
    assert_eq!(c.maxmemory_clients(), MaxmemoryClients::Percent(5));
    assert_eq!(c.client_output_buffer_limit(ClientClass::Pubsub).hard_bytes, 32 << 20);
    assert!(!c.protected_configs_allowed(true));
}

#[test]
fn dir_without_a_hook_is_resolved_as_text() {
    let mut c = Config::default();
    set(&mut c, "dir", "/tmp/x/../y").unwrap();
    assert_eq!(c.dir(), "/tmp/y");
    set(&mut c, "dir", "z").unwrap();
    assert_eq!(c.dir(), "/tmp/y/z");
    fn refuse(_: &str) -> Result<String, String> {
        Err("No such file or directory".into())
    }
    c.chdir = Some(refuse);
    assert_eq!(set(&mut c, "dir", "/nope"), Err("No such file or directory".into()));
}

#[test]
fn is_default_tracks_changes() {
    let mut c = Config::default();
    let i = index_of("tcp-keepalive");
    assert!(c.is_default(i));
    set(&mut c, "tcp-keepalive", "10").unwrap();
    assert!(!c.is_default(i));
}

#[test]
fn print_accepted_for_docs() {
    if std::env::var("VERDIS_PRINT_ACCEPTED").is_err() {
        return;
    }
    let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
    for p in PARAMS {
        if let Support::Accepted(why) = p.support {
            let name = match p.alias {
                Some(a) => format!("`{}` (`{a}`)", p.name),
                None => format!("`{}`", p.name),
            };
            match by_reason.iter_mut().find(|(r, _)| *r == why) {
                Some((_, v)) => v.push(name),
                None => by_reason.push((why, vec![name])),
            }
        }
    }
    for (why, names) in by_reason {
        println!("- {}: {why}.", names.join(", "));
    }
}

#[test]
fn deviations_list_every_accepted_parameter() {
    let doc = include_str!("../../../specs/deviations.md");
    for p in PARAMS {
        if let Support::Accepted(why) = p.support {
            assert!(doc.contains(&format!("`{}`", p.name)), "{} missing from specs/deviations.md", p.name);
            assert!(doc.contains(why), "reason of {} missing from specs/deviations.md", p.name);
        }
    }
}
