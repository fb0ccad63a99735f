//! Write denial (MISCONF) in the engine, deterministically: the simulated disk and the in-process
//! saver, faults armed with DEBUG FAULT, every reply compared with the texts of redis-server
//! 7.0.15 (checked on a real server: a full tmpfs, a `dbfilename` that is a directory, a save
//! child killed with SIGKILL, the AOF on a full tmpfs). The last test runs generated sequences of
//! faults, saves, configuration changes and commands against the model in
//! `specs/src/misconf.rs`.

use proptest::prelude::*;
use verdis::engine::config::Config;
use verdis::engine::testkit::{bulk, err, int, ok, structured, Harness};
use verdis::oracle::system::to_model_reply;
use verdis::persist::aof::AofStatus;
use verdis::persist::disk::{DiskOp, Fault, SimDisk};
use verdis::persist::snapshot::{InlineControl, InlineSaver};
use verdis::persist::Persistence;
use verdis::resp::split::split_args;
use verdis::resp::Frame;
use verdis_spec::misconf::{DenialModel, Event, Fault as MFault, FAULTS, MISCONF_RDB};

/// An engine with `save 3600 1` (so the RDB case can hold, but no automatic save happens during
/// a test), DEBUG enabled, the simulated disk and the in-process saver.
fn harness() -> (Harness, SimDisk, InlineControl) {
    let mut config = Config::default();
    config.set("enable-debug-command", b"yes").expect("debug");
    config.set("save", b"3600 1").expect("save");
    let mut h = Harness::with_config(config);
    let disk = SimDisk::new();
    let saver = InlineSaver::new();
    let control = saver.control();
    h.engine.persist = Persistence::new(Box::new(disk.clone()), Box::new(saver), h.now_ms);
    h.engine.process.pid = 4242;
    (h, disk, control)
}

/// Marks the AOF on or off in the AOF writer's own state, without files: these tests exercise the
/// write-denial rule over the writer's status (its write and fsync outcomes are set directly).
fn set_aof(h: &mut Harness, on: bool) {
    h.engine.persist.aof.status = if on { AofStatus::On } else { AofStatus::Off };
}

fn misconf() -> Frame {
    err(MISCONF_RDB)
}

fn started() -> Frame {
    Frame::Simple("Background saving started".into())
}

fn cron(h: &mut Harness) {
    h.advance_ms(100);
    let now = h.now_ms;
    h.engine.cron(now);
}

/// BGSAVE, then the cron that reaps it.
fn bgsave(h: &mut Harness) -> Frame {
    let reply = h.run("BGSAVE");
    cron(h);
    reply
}

fn run_as(h: &mut Harness, client: u64, line: &str) -> Option<Frame> {
    let argv = split_args(line.as_bytes()).expect("quotes");
    h.engine.execute(client, &argv, h.now_ms).map(structured)
}

fn info_field(h: &mut Harness, name: &str) -> String {
    let text = match h.run("INFO everything") {
        Frame::Verbatim(_, t) | Frame::Bulk(t) => String::from_utf8(t).unwrap(),
        other => panic!("INFO replied {other:?}"),
    };
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(str::to_string))
        .unwrap_or_else(|| panic!("no INFO field {name}"))
}

fn log_text(h: &mut Harness) -> String {
    h.engine.persist.log.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn failed_bgsave_refuses_writes_until_a_save_succeeds() {
    // rules: MISCONF-1 MISCONF-3 MISCONF-4 MISCONF-7 MISCONF-9
    let (mut h, _disk, _) = harness();
    assert_eq!(h.run("SET k v"), ok());
    assert_eq!(h.run("DEBUG FAULT ARM enospc COUNT 1"), ok());
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err");
    let log = log_text(&mut h);
    assert!(log.contains("Write error saving DB on disk(rdbSaveRio): No space left on device"), "{log}");
    assert!(log.contains("Background saving error"), "{log}");
    // Writes and PING are refused; reads, INFO, CONFIG and the rest are not.
    for line in ["SET k w", "DEL k", "FLUSHALL", "EXPIRE k 10", "LPUSH l x", "BLPOP l 1", "SWAPDB 0 1", "PFADD h a"] {
        assert_eq!(h.run(line), misconf(), "{line}");
    }
    assert_eq!(h.run("PING"), misconf());
    assert_eq!(h.run("PING hello"), misconf());
    assert_eq!(h.run("GET k"), bulk("v"));
    for line in ["ECHO hi", "SELECT 0", "TOUCH k", "PFCOUNT h", "PUBLISH ch m", "CONFIG GET save", "LASTSAVE", "DBSIZE"]
    {
        assert!(!matches!(h.run(line), Frame::Error(_)), "{line}");
    }
    assert_eq!(info_field(&mut h, "errorstat_MISCONF"), "count=10");
    assert!(info_field(&mut h, "cmdstat_set").contains("rejected_calls=1"));
    // The fault fired once: the next save succeeds and writes are accepted again.
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(h.run("SET k w"), ok());
    assert_eq!(h.run("PING"), Frame::Simple("PONG".into()));
}

#[test]
fn every_fault_of_the_catalogue_fails_the_save_with_its_log_line() {
    // rules: MISCONF-1 MISCONF-9 MISCONF-10
    let cases = [
        ("enospc", "Write error saving DB on disk(rdbSaveRio): No space left on device"),
        ("eio", "Write error saving DB on disk(rdbSaveRio): Input/output error"),
        ("short-write", "Write error saving DB on disk(rdbSaveRio): No space left on device"),
        ("fsync", "Write error saving DB on disk(fsync): Input/output error"),
        ("rename", "Error moving temp DB file temp-1000001.rdb on the final destination dump.rdb"),
        ("create", "Failed opening the temp RDB file temp-1000001.rdb"),
        ("fork", "Can't save in background: fork: Cannot allocate memory"),
        ("kill", "Background saving terminated by signal 9"),
    ];
    for (name, line) in cases {
        let (mut h, disk, _) = harness();
        h.run("SET k v");
        assert_eq!(h.run(&format!("DEBUG FAULT ARM {name} COUNT 1")), ok(), "{name}");
        let expected = if name == "fork" { err("ERR") } else { started() };
        assert_eq!(bgsave(&mut h), expected, "{name}");
        assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err", "{name}");
        assert!(log_text(&mut h).contains(line), "{name}: {}", log_text(&mut h));
        assert_eq!(h.run("SET k w"), misconf(), "{name}");
        assert!(disk.paths().iter().all(|p| !p.starts_with("temp-")), "{name}: temp file left: {:?}", disk.paths());
        assert_eq!(h.run("DEBUG FAULT LIST"), Frame::Array(vec![]), "{name}: fired once");
        assert_eq!(bgsave(&mut h), started());
        assert_eq!(h.run("SET k w"), ok(), "{name}");
    }
}

#[test]
fn the_simulated_disk_faults_have_the_same_effect() {
    // rule: MISCONF-1
    let (mut h, disk, control) = harness();
    disk.set_capacity(Some(20));
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(h.run("SET k v"), misconf());
    disk.set_capacity(None);
    disk.fail(DiskOp::Sync, Fault::Io, "temp-", Some(1));
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(h.run("SET k v"), misconf());
    control.fail_next_start("fork: Cannot allocate memory");
    assert_eq!(bgsave(&mut h), err("ERR"));
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(h.run("SET k v"), ok());
}

#[test]
fn config_lifts_the_rdb_case() {
    // rules: MISCONF-1 MISCONF-7
    let (mut h, _, _) = harness();
    h.run("DEBUG FAULT ARM eio");
    bgsave(&mut h);
    assert_eq!(h.run("SET k v"), misconf());
    assert_eq!(h.run("CONFIG SET stop-writes-on-bgsave-error no"), ok());
    assert_eq!(h.run("SET k v"), ok());
    assert_eq!(h.run("CONFIG SET stop-writes-on-bgsave-error yes"), ok());
    assert_eq!(h.run("SET k v"), misconf());
    // No save points: no RDB case, but the status stays err; a save point brings it back.
    assert_eq!(h.run("CONFIG SET save \"\""), ok());
    assert_eq!(h.run("SET k v"), ok());
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "err");
    assert_eq!(h.run("CONFIG SET save \"3600 1\""), ok());
    assert_eq!(h.run("SET k v"), misconf());
    // A failed SAVE leaves the status; a successful one clears it.
    assert_eq!(h.run("SAVE"), err("ERR"));
    assert_eq!(h.run("SET k v"), misconf());
    assert_eq!(h.run("DEBUG FAULT DISARM"), int(1));
    assert_eq!(h.run("SAVE"), ok());
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(h.run("SET k v"), ok());
}

#[test]
fn a_failed_foreground_save_does_not_start_the_denial() {
    // rule: MISCONF-1
    let (mut h, _, _) = harness();
    h.run("DEBUG FAULT ARM rename COUNT 1");
    assert_eq!(h.run("SAVE"), err("ERR"));
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(h.run("SET k v"), ok());
}

#[test]
fn a_deliberately_stopped_save_keeps_the_status() {
    // rule: MISCONF-7
    let (mut h, _, control) = harness();
    control.hold(true);
    assert_eq!(h.run("BGSAVE"), started());
    // FLUSHALL with save points stops the child with SIGUSR1 and saves in the foreground.
    assert_eq!(h.run("FLUSHALL"), ok());
    control.hold(false);
    cron(&mut h);
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    assert_eq!(h.run("SET k v"), ok());
}

#[test]
fn transactions_under_denial() {
    // rule: MISCONF-5
    let (mut h, _, _) = harness();
    let data = h.client;
    let admin = h.new_client();
    h.client = data;
    h.run("SET q old");
    // Writes queued before the failure: EXEC itself is refused and nothing runs.
    assert_eq!(h.run("MULTI"), ok());
    assert_eq!(h.run("SET q new"), Frame::Simple("QUEUED".into()));
    assert_eq!(h.run("GET q"), Frame::Simple("QUEUED".into()));
    run_as(&mut h, admin, "DEBUG FAULT ARM enospc COUNT 1");
    assert_eq!(run_as(&mut h, admin, "BGSAVE"), Some(started()));
    cron(&mut h);
    let exec = h.run("EXEC");
    assert_eq!(exec, err(&format!("EXECABORT Transaction discarded because of: {MISCONF_RDB}")));
    assert_eq!(h.run("GET q"), bulk("old"));
    assert_eq!(h.run("EXEC"), err("ERR EXEC without MULTI"), "the transaction was discarded");
    // A write or PING inside MULTI is refused and flags the transaction.
    for refused in ["SET q x", "PING"] {
        assert_eq!(h.run("MULTI"), ok());
        assert_eq!(h.run("GET q"), Frame::Simple("QUEUED".into()));
        assert_eq!(h.run(refused), misconf());
        assert_eq!(h.run("EXEC"), err("EXECABORT Transaction discarded because of previous errors."));
    }
    // Reads only: EXEC runs.
    assert_eq!(h.run("MULTI"), ok());
    h.run("GET q");
    assert_eq!(h.run("EXEC"), Frame::Array(vec![bulk("old")]));
    assert!(info_field(&mut h, "cmdstat_exec").contains("rejected_calls=1"));
}

#[test]
fn blocked_clients_wait_through_the_denial() {
    // rules: MISCONF-4 MISCONF-6
    let (mut h, _, _) = harness();
    let pusher = h.client;
    let waiter = h.new_client();
    h.client = pusher;
    assert_eq!(run_as(&mut h, waiter, "BLMOVE src dst LEFT LEFT 0"), None, "blocked");
    h.run("DEBUG FAULT ARM fork COUNT 1");
    assert_eq!(bgsave(&mut h), err("ERR"));
    assert_eq!(h.run("LPUSH src x"), misconf());
    assert_eq!(h.run("BLPOP other 0"), misconf(), "a blocking write is refused before it blocks");
    assert!(h.engine.outbox.is_empty() || !h.engine.outbox.iter().any(|(id, _)| *id == waiter));
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(h.run("LPUSH src x"), int(1));
    assert_eq!(h.run("LRANGE dst 0 -1"), Frame::Array(vec![bulk("x")]), "the waiter was served");
}

#[test]
fn subscribed_ping_is_refused() {
    // rule: MISCONF-4
    let (mut h, _, _) = harness();
    h.run("DEBUG FAULT ARM eio");
    bgsave(&mut h);
    for hello in ["HELLO 2", "HELLO 3"] {
        h.new_client();
        h.run(hello);
        h.run("SUBSCRIBE ch");
        assert_eq!(h.run("PING"), misconf(), "{hello}");
        // Before the subscribed-context error too (RESP2), as Redis.
        assert_eq!(h.run("SET k v"), misconf(), "{hello}");
    }
}

#[test]
fn check_order_against_other_rejections() {
    // rule: MISCONF-4
    let (mut h, _, _) = harness();
    h.run("DEBUG FAULT ARM eio");
    bgsave(&mut h);
    // Arity first, then MISCONF before NOREPLICAS.
    assert_eq!(h.run("SET k"), err("ERR wrong number of arguments for 'set' command"));
    h.run("CONFIG SET min-replicas-to-write 1");
    assert_eq!(h.run("SET k v"), misconf());
    h.run("CONFIG SET stop-writes-on-bgsave-error no");
    assert_eq!(h.run("SET k v"), err("NOREPLICAS Not enough good replicas to write."));
    h.run("CONFIG SET min-replicas-to-write 0");
    h.run("CONFIG SET stop-writes-on-bgsave-error yes");
    // NOAUTH before MISCONF.
    h.run("CONFIG SET requirepass secret");
    h.new_client();
    assert_eq!(h.run("SET k v"), err("NOAUTH Authentication required."));
}

#[test]
fn aof_case_reads_the_aof_health() {
    // rules: MISCONF-2 MISCONF-8 MISCONF-9
    let (mut h, _, _) = harness();
    set_aof(&mut h, true);
    h.engine.persist.aof.last_write = Err("No space left on device".into());
    let aof_err = err("MISCONF Errors writing to the AOF file: No space left on device");
    assert_eq!(h.run("SET k v"), aof_err);
    assert_eq!(h.run("PING"), aof_err);
    assert_eq!(h.run("GET k"), Frame::Null);
    assert_eq!(info_field(&mut h, "aof_last_write_status"), "err");
    // The write error is reported before the fsync error.
    h.engine.persist.aof.last_fsync = Err("Input/output error".into());
    assert_eq!(h.run("SET k v"), aof_err);
    h.engine.persist.aof.last_write = Ok(());
    assert_eq!(h.run("SET k v"), err("MISCONF Errors writing to the AOF file: Input/output error"));
    // The RDB case comes first.
    h.run("DEBUG FAULT ARM eio COUNT 1");
    bgsave(&mut h);
    assert_eq!(h.run("SET k v"), misconf());
    h.run("CONFIG SET stop-writes-on-bgsave-error no");
    assert_eq!(h.run("SET k v"), err("MISCONF Errors writing to the AOF file: Input/output error"));
    // The AOF off: no AOF case.
    set_aof(&mut h, false);
    assert_eq!(h.run("SET k v"), ok());
    set_aof(&mut h, true);
    h.engine.persist.aof.last_fsync = Ok(());
    assert_eq!(h.run("SET k v"), ok());
    assert_eq!(info_field(&mut h, "aof_last_write_status"), "ok");
}

#[test]
fn debug_fault_command() {
    // rule: MISCONF-10
    let (mut h, _, _) = harness();
    assert_eq!(h.run("DEBUG FAULT ARM enospc COUNT 2 PATH rdb"), ok());
    assert_eq!(h.run("DEBUG FAULT ARM fork"), ok());
    assert_eq!(
        h.run("DEBUG FAULT LIST"),
        Frame::Array(vec![bulk("enospc remaining=2 path=rdb fired=0"), bulk("fork remaining=forever path= fired=0")])
    );
    let Frame::Array(catalogue) = h.run("DEBUG FAULT CATALOGUE") else { panic!("array") };
    assert_eq!(catalogue.len(), 8);
    assert_eq!(catalogue[0], bulk("enospc: file writes fail with ENOSPC (No space left on device)"));
    assert_eq!(h.run("DEBUG FAULT DISARM fork"), int(1));
    assert_eq!(h.run("DEBUG FAULT DISARM kill"), int(0));
    assert_eq!(h.run("DEBUG FAULT ARM nope"), err("ERR unknown fault 'nope'. Try DEBUG FAULT CATALOGUE."));
    assert_eq!(h.run("DEBUG FAULT ARM eio COUNT 0"), err("ERR COUNT must be a positive integer"));
    assert_eq!(h.run("DEBUG FAULT ARM eio COUNT x"), err("ERR COUNT must be a positive integer"));
    assert_eq!(h.run("DEBUG FAULT ARM eio COUNT"), err("ERR syntax error"));
    assert_eq!(h.run("DEBUG FAULT ARM eio WHEN 1"), err("ERR syntax error"));
    let usage = "ERR DEBUG FAULT subcommands: ARM <name> [COUNT n] [PATH substring], DISARM [<name>], LIST, CATALOGUE";
    assert_eq!(h.run("DEBUG FAULT"), err(usage));
    assert_eq!(h.run("DEBUG FAULT LIST x"), err(usage));
    assert_eq!(h.run("DEBUG FAULT DISARM"), int(1));
    // A PATH that does not match the RDB files: the save succeeds.
    h.run("DEBUG FAULT ARM eio PATH appendonly");
    assert_eq!(bgsave(&mut h), started());
    assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), "ok");
    // DEBUG is gated by enable-debug-command (default no).
    let mut plain = Harness::new();
    let denied = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run \
                  it from a local connection, otherwise you need to set this option in the configuration file, and \
                  then restart the server.";
    assert_eq!(plain.run("DEBUG FAULT ARM enospc"), err(denied));
}

// ---- the model ----

fn fault_strategy() -> impl Strategy<Value = MFault> {
    prop::sample::select(FAULTS.to_vec())
}

fn event_strategy() -> impl Strategy<Value = Event> {
    let errors = prop::sample::select(vec!["No space left on device", "Input/output error"]);
    prop_oneof![
        3 => (fault_strategy(), prop::option::of(1u8..3)).prop_map(|(f, c)| Event::Arm(f, c)),
        1 => Just(Event::DisarmAll),
        3 => Just(Event::Bgsave),
        1 => Just(Event::Save),
        1 => any::<bool>().prop_map(Event::StopWrites),
        1 => any::<bool>().prop_map(Event::SavePoints),
        1 => any::<bool>().prop_map(Event::AofEnabled),
        1 => prop::option::of(errors.clone()).prop_map(|e| Event::AofWrite(e.map(str::to_string))),
        1 => prop::option::of(errors).prop_map(|e| Event::AofFsync(e.map(str::to_string))),
        4 => (0u8..4).prop_map(Event::Set),
        2 => Just(Event::Get),
        2 => Just(Event::Ping),
        2 => Just(Event::Multi),
        2 => Just(Event::Exec),
        1 => Just(Event::Discard),
    ]
}

/// Runs `event` on the engine: the admin client for configuration and saves, the data client
/// for data commands, the AOF health set directly (as the AOF writer would).
fn engine_step(h: &mut Harness, data: u64, admin: u64, event: &Event) -> Frame {
    let admin_line = |h: &mut Harness, line: &str| run_as(h, admin, line).expect("a reply");
    match event {
        Event::Arm(f, count) => {
            let count = count.map_or(String::new(), |c| format!(" COUNT {c}"));
            admin_line(h, &format!("DEBUG FAULT ARM {}{count}", f.name()))
        }
        Event::DisarmAll => admin_line(h, "DEBUG FAULT DISARM"),
        Event::Bgsave => {
            let reply = admin_line(h, "BGSAVE");
            cron(h);
            reply
        }
        Event::Save => admin_line(h, "SAVE"),
        Event::StopWrites(on) => {
            admin_line(h, &format!("CONFIG SET stop-writes-on-bgsave-error {}", if *on { "yes" } else { "no" }))
        }
        Event::SavePoints(on) => admin_line(h, if *on { "CONFIG SET save \"3600 1\"" } else { "CONFIG SET save \"\"" }),
        Event::AofEnabled(on) => {
            set_aof(h, *on);
            ok()
        }
        Event::AofWrite(e) => {
            h.engine.persist.aof.last_write = e.clone().map_or(Ok(()), Err);
            ok()
        }
        Event::AofFsync(e) => {
            h.engine.persist.aof.last_fsync = e.clone().map_or(Ok(()), Err);
            ok()
        }
        Event::Set(v) => run_as(h, data, &format!("SET k {v}")).expect("reply"),
        Event::Get => run_as(h, data, "GET k").expect("reply"),
        Event::Ping => run_as(h, data, "PING").expect("reply"),
        Event::Multi => run_as(h, data, "MULTI").expect("reply"),
        Event::Exec => run_as(h, data, "EXEC").expect("reply"),
        Event::Discard => run_as(h, data, "DISCARD").expect("reply"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    /// Faults, saves, configuration changes, AOF status changes and commands in any order: every
    /// reply and the INFO status fields match the model after every step.
    #[test]
    fn engine_matches_the_denial_model(events in prop::collection::vec(event_strategy(), 1..60)) {
        // rules: MISCONF-1 MISCONF-2 MISCONF-4 MISCONF-5 MISCONF-7 MISCONF-10
        let (mut h, _, _) = harness();
        let data = h.client;
        let admin = h.new_client();
        let mut model = DenialModel::default();
        for (i, event) in events.iter().enumerate() {
            let expected = model.apply(event);
            let actual = to_model_reply(engine_step(&mut h, data, admin, event));
            prop_assert!(expected.same_as(&actual), "step {i} {event:?}: model {expected:?}, engine {actual:?}");
            prop_assert_eq!(info_field(&mut h, "rdb_last_bgsave_status"), model.rdb_status(), "step {} {:?}", i, event);
            prop_assert_eq!(info_field(&mut h, "aof_last_write_status"), model.aof_status(), "step {} {:?}", i, event);
        }
    }
}
