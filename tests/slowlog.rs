//! The slow log (rules in specs/rules/slowlog.md), through the engine: with no clock every
//! command takes 0 µs, so a threshold of 0 logs every command deterministically.

use verdis::engine::testkit::Harness;
use verdis::resp::Frame;

fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

/// The arguments of each entry, newest first.
fn logged(h: &mut Harness) -> Vec<Vec<String>> {
    let Frame::Array(entries) = h.run("SLOWLOG GET -1") else { panic!("SLOWLOG GET") };
    entries
        .into_iter()
        .map(|e| match e {
            Frame::Array(parts) => match &parts[3] {
                Frame::Array(args) => args
                    .iter()
                    .map(|a| match a {
                        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("{other:?}"),
                    })
                    .collect(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect()
}

// rule: SLOWLOG-1, SLOWLOG-2
#[test]
fn every_command_is_logged_at_threshold_zero() {
    let mut h = Harness::new();
    assert_eq!(h.run("SLOWLOG LEN"), Frame::Integer(0), "the default threshold is 10 ms");
    h.run("CONFIG SET slowlog-log-slower-than 0");
    h.run("SLOWLOG RESET");
    h.run("SET k v");
    h.run("MULTI");
    h.run("INCR n");
    h.run("EXEC");
    h.run("AUTH nopass");
    h.run("CONFIG SET requirepass secret");
    h.run("AUTH secret");
    h.run("ACL SETUSER someone on +get");
    let long = "x".repeat(130);
    h.run(&format!("SET {long} v"));
    assert_eq!(
        logged(&mut h),
        vec![
            vec!["SET".to_string(), format!("{}... (2 more bytes)", "x".repeat(128)), "v".into()],
            vec!["ACL".into(), "SETUSER".into(), "(redacted)".into(), "(redacted)".into(), "(redacted)".into()],
            vec!["AUTH".into(), "(redacted)".into()],
            vec!["CONFIG".into(), "SET".into(), "requirepass".into(), "(redacted)".into()],
            vec!["AUTH".into(), "(redacted)".into()],
            vec!["INCR".into(), "n".into()],
            vec!["MULTI".into()],
            vec!["SET".into(), "k".into(), "v".into()],
            vec!["SLOWLOG".into(), "RESET".into()],
        ]
    );
    let Frame::Array(newest) = h.run("SLOWLOG GET 1") else { panic!() };
    let Frame::Array(entry) = &newest[0] else { panic!() };
    assert_eq!(entry[0], Frame::Integer(10), "SLOWLOG GET -1 itself, the 11th command logged");
    assert_eq!(entry[2], Frame::Integer(0));
    assert_eq!(entry[4], bulk("127.0.0.1:50000"));
    assert_eq!(h.run("SLOWLOG GET -2"), Frame::Error("ERR count should be greater than or equal to -1".into()));
    // 33 arguments: the 32nd slot says how many were cut.
    let many = (0..32).map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
    h.run(&format!("DEL {many}"));
    let args = &logged(&mut h)[0];
    assert_eq!(args.len(), 32);
    assert_eq!(args[31], "... (2 more arguments)");
    h.run("CONFIG SET slowlog-max-len 2");
    h.run("PING");
    assert_eq!(h.run("SLOWLOG LEN"), Frame::Integer(2));
    h.run("CONFIG SET slowlog-log-slower-than -1");
    h.run("SLOWLOG RESET");
    h.run("PING");
    assert_eq!(h.run("SLOWLOG LEN"), Frame::Integer(0));
}

// rule: SLOWLOG-1
#[test]
fn a_blocked_command_is_logged_when_served_and_debug_sleep_counts() {
    let mut h = Harness::new();
    h.run("CONFIG SET slowlog-log-slower-than 0");
    let waiter = h.new_client();
    h.run("BLPOP l 0");
    let pusher = h.new_client();
    assert_ne!(waiter, pusher);
    h.run("SLOWLOG RESET");
    h.run("LPUSH l foo");
    assert_eq!(logged(&mut h)[0], vec!["BLPOP".to_string(), "l".into(), "0".into()]);
    // DEBUG SLEEP's time is what the server sleeps after the command.
    let mut config = verdis::engine::config::Config::default();
    config.set("enable-debug-command", b"yes").unwrap();
    let mut h = Harness::with_config(config);
    h.run("CONFIG SET slowlog-log-slower-than 100000");
    h.run("DEBUG SLEEP 0.2");
    h.run("PING");
    let Frame::Array(entries) = h.run("SLOWLOG GET") else { panic!() };
    assert_eq!(entries.len(), 1);
    let Frame::Array(entry) = &entries[0] else { panic!() };
    assert_eq!(entry[2], Frame::Integer(200_000));
}
