//! Lua scripting (EVAL & co., SCRIPT, FUNCTION, FCALL), checked against what real Redis 7.0.15
//! replied for the same commands (specs/rules/scripting.md).

use verdis::engine::testkit::*;
use verdis::resp::Frame;

fn eval(h: &mut Harness, script: &str, args: &[&str]) -> Frame {
    let mut argv: Vec<Vec<u8>> = vec![b"EVAL".to_vec(), script.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    h.run_argv(&argv)
}

// rule: SCRIPT-1, SCRIPT-3
#[test]
fn basic_replies() {
    let mut h = Harness::new();
    assert_eq!(eval(&mut h, "return 'hello'", &["0"]), bulk("hello"));
    assert_eq!(eval(&mut h, "return 100.5", &["0"]), int(100));
    assert_eq!(
        eval(&mut h, "return {1,2,3,'ciao',{1,2}}", &["0"]),
        Frame::Array(vec![int(1), int(2), int(3), bulk("ciao"), Frame::Array(vec![int(1), int(2)])])
    );
    assert_eq!(eval(&mut h, "return KEYS[1] .. ARGV[1]", &["1", "a", "b"]), bulk("ab"));
    assert_eq!(eval(&mut h, "return redis.call('set', KEYS[1], 'x')", &["1", "k"]), ok());
    assert_eq!(eval(&mut h, "return redis.call('get', KEYS[1])", &["1", "k"]), bulk("x"));
    assert_eq!(eval(&mut h, "return redis.call('get', 'nokey')", &["0"]), Frame::Null);
    assert_eq!(eval(&mut h, "return true", &["0"]), int(1));
    assert_eq!(eval(&mut h, "return false", &["0"]), Frame::Null);
}

// rule: SCRIPT-2
#[test]
fn errors() {
    let mut h = Harness::new();
    let sha_a = verdis::engine::script::sha1::sha1_hex(b"return a");
    assert_eq!(
        eval(&mut h, "return a", &["0"]),
        err(&format!("ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: {sha_a}, on @user_script:1."))
    );
    let sha = verdis::engine::script::sha1::sha1_hex(b"a=10");
    assert_eq!(
        eval(&mut h, "a=10", &["0"]),
        err(&format!("ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."))
    );
    assert_eq!(
        eval(&mut h, "return 1 +", &["0"]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    h.run("SET s foo");
    let sha = verdis::engine::script::sha1::sha1_hex(b"return redis.call('incr','s')");
    assert_eq!(
        eval(&mut h, "return redis.call('incr','s')", &["0"]),
        err(&format!("ERR value is not an integer or out of range script: {sha}, on @user_script:1."))
    );
    assert_eq!(
        eval(&mut h, "return redis.pcall('incr','s')", &["0"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(eval(&mut h, "return redis.error_reply('My Error')", &["0"]), err("My Error"));
    assert_eq!(eval(&mut h, "return 1", &["2", "a"]), err("ERR Number of keys can't be greater than number of args"));
    assert_eq!(eval(&mut h, "return 1", &["-1"]), err("ERR Number of keys can't be negative"));
    assert_eq!(
        h.run("EVALSHA ffffffffffffffffffffffffffffffffffffffff 0"),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
}

// rule: SCRIPT-4
#[test]
fn scripts_propagate_their_effects_in_multi_exec() {
    let mut h = Harness::new();
    let out = h.propagated(&[
            "EVAL \"redis.call('set','a','1'); redis.call('incr','a'); return redis.call('get','a')\" 0",
            "EVAL \"return redis.call('set','b','1')\" 0",
            "EVAL \"return redis.call('get','b')\" 0",
            "EVAL \"redis.set_repl(redis.REPL_NONE); redis.call('set','c','1'); redis.set_repl(redis.REPL_ALL); redis.call('set','d','1')\" 0",
        ],
    );
    assert_eq!(out, ["0:MULTI", "0:set a 1", "0:incr a", "0:EXEC", "0:set b 1", "0:set d 1"]);
}

// rule: SCRIPT-5
#[test]
fn scripts_in_multi_and_flush_in_multi() {
    let mut h = Harness::new();
    h.run("MULTI");
    assert_eq!(h.run("EVAL \"return redis.call('incr','n')\" 0"), Frame::simple("QUEUED"));
    assert_eq!(h.run("SCRIPT FLUSH"), Frame::simple("QUEUED"));
    assert_eq!(h.run("EVAL \"return redis.call('incr','n')\" 0"), Frame::simple("QUEUED"));
    assert_eq!(h.run("EXEC"), Frame::Array(vec![int(1), ok(), int(2)]));
    assert_eq!(h.run("SCRIPT EXISTS a0a7c6e89d40c9bbbd0d3f6d7b4c8ed50ddbe35d"), Frame::Array(vec![int(0)]));
}

// rule: SCRIPT-6
#[test]
fn random_sequence_continues_and_reseeds() {
    let mut h = Harness::new();
    let a = h.run("EVAL \"return tostring(math.random())\" 0");
    let b = h.run("EVAL \"return tostring(math.random())\" 0");
    assert_ne!(a, b);
    // The first value of a fresh server, as real Redis 7.0.15 gives it.
    assert_eq!(a, bulk("0.39646477363839"));
    let c = h.run("EVAL \"math.randomseed(ARGV[1]); return tostring(math.random())\" 0 42");
    let d = h.run("EVAL \"math.randomseed(ARGV[1]); return tostring(math.random())\" 0 42");
    assert_eq!(c, d);
}

// rule: SCRIPT-3
#[test]
fn resp3_conversions() {
    let mut h = Harness::new();
    h.run("HSET h f v");
    assert_eq!(
        h.run("EVAL \"redis.setresp(3); return redis.call('hgetall', 'h')\" 0"),
        Frame::Map(vec![(bulk("f"), bulk("v"))])
    );
    assert_eq!(h.run("EVAL \"redis.setresp(3); return true\" 0"), Frame::Boolean(true));
    assert_eq!(h.run("EVAL \"return {double=3.5}\" 0"), Frame::Double(3.5));
    assert_eq!(h.run("EVAL \"redis.setresp(3); return redis.call('get','nokey') == nil\" 0"), Frame::Boolean(true));
    assert_eq!(h.run("EVAL \"return redis.call('get','nokey') == false\" 0"), int(1));
}

// rule: SCRIPT-7
#[test]
fn read_only_scripts() {
    let mut h = Harness::new();
    let sha = verdis::engine::script::sha1::sha1_hex(b"return redis.call('set','a','b')");
    assert_eq!(
        h.run("EVAL_RO \"return redis.call('set','a','b')\" 0"),
        err(&format!("ERR Write commands are not allowed from read-only scripts. script: {sha}, on @user_script:1."))
    );
    let script = "#!lua\nreturn redis.call('get','a')";
    let argv: Vec<Vec<u8>> = vec![b"EVAL_RO".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
    assert_eq!(h.run_argv(&argv), err("ERR Can not execute a script with write flag using *_ro command."));
}

fn argv(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

const LIB1: &str = "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return keys[1] end)\nredis.register_function{function_name='f2', callback=function() return 2 end, flags={'no-writes'}, description='desc'}";

// rule: SCRIPT-8
#[test]
fn function_load_and_fcall() {
    let mut h = Harness::new();
    assert_eq!(h.run_argv(&argv(&["FUNCTION", "LOAD", LIB1])), bulk("lib1"));
    assert_eq!(h.run("FCALL f1 1 kk"), bulk("kk"));
    assert_eq!(h.run("FCALL_RO f2 0"), int(2));
    assert_eq!(h.run("FCALL_RO f1 0"), err("ERR Can not execute a script with write flag using *_ro command."));
    assert_eq!(h.run("FCALL nosuch 0"), err("ERR Function not found"));
    assert_eq!(h.run("FCALL f1 x"), err("ERR Bad number of keys provided"));
    assert_eq!(h.run_argv(&argv(&["FUNCTION", "LOAD", LIB1])), err("ERR Library 'lib1' already exists"));
    let cases = [
        ("#!lua name=lib2\nredis.register_function('f1', function() end)", "ERR Function f1 already exists"),
        (
            "#!lua name=lib2\nredis.register_function()",
            "ERR Error registering functions: ERR wrong number of arguments to redis.register_function",
        ),
        ("#!lua name=lib2\nreturn 1", "ERR No functions registered"),
        (
            "#!lua name=lib2\nredis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        ("#!lua name=lib2\nx = 1", "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
        ("#!lua name=lib2\nlocal x =", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        ("#!lua name=a name=b\n", "ERR Invalid metadata value, name argument was given multiple times"),
        ("#!js name=a\n", "ERR Engine 'js' not found"),
        ("x", "ERR Missing library metadata"),
        ("#!lua", "ERR Invalid library metadata"),
    ];
    for (code, expected) in cases {
        assert_eq!(h.run_argv(&argv(&["FUNCTION", "LOAD", code])), err(expected), "{code}");
    }
    h.run("FUNCTION LOAD \"#!lua name=lib3\nredis.register_function('f3', function() return a end)\"");
    assert_eq!(
        h.run("FCALL f3 0"),
        err("ERR user_function:2: Script attempted to access nonexistent global variable 'a' script: f3, on @user_function:2.")
    );
    assert_eq!(h.run("FUNCTION DELETE nosuch"), err("ERR Library not found"));
    assert_eq!(h.run("FUNCTION DELETE lib3"), ok());
    assert_eq!(h.run("FCALL f3 0"), err("ERR Function not found"));
}

// rule: SCRIPT-9
#[test]
fn function_dump_restore_and_flush() {
    let mut h = Harness::new();
    h.run_argv(&argv(&["FUNCTION", "LOAD", LIB1]));
    let Frame::Bulk(payload) = h.run("FUNCTION DUMP") else { panic!("no payload") };
    assert_eq!(h.run("FUNCTION FLUSH"), ok());
    assert_eq!(h.run("FCALL f1 1 a"), err("ERR Function not found"));
    let restore = |h: &mut Harness, policy: &str| {
        let mut a = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), payload.clone()];
        if !policy.is_empty() {
            a.push(policy.as_bytes().to_vec());
        }
        h.run_argv(&a)
    };
    assert_eq!(restore(&mut h, ""), ok());
    assert_eq!(h.run("FCALL f1 1 a"), bulk("a"));
    assert_eq!(restore(&mut h, "APPEND"), err("ERR Library lib1 already exists"));
    assert_eq!(restore(&mut h, "REPLACE"), ok());
    assert_eq!(restore(&mut h, "FLUSH"), ok());
    assert_eq!(
        restore(&mut h, "BAD"),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    assert_eq!(h.run("FUNCTION RESTORE foo"), err("ERR DUMP payload version or checksum are wrong"));
    let Frame::Map(stats) = h.run("FUNCTION STATS") else { panic!("stats") };
    assert_eq!(stats[0], (bulk("running_script"), Frame::Null));
}

// rule: SCRIPT-10
#[test]
fn pause_write_holds_scripts_that_may_write() {
    let mut h = Harness::new();
    let other = h.new_client();
    h.run("CLIENT PAUSE 100000 WRITE");
    let me = h.client;
    h.client = other;
    assert_eq!(h.run_argv(&argv(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"])), int(1));
    assert_eq!(h.run_argv(&argv(&["EVAL", "return 1", "0"])), Frame::Raw(Vec::new()));
    h.client = me;
}

/// A tracking client caches a read-only script's declared keys only when the script runs a
/// read command: EVAL_RO of a PING tracks nothing (Redis's call() leaves the _RO scripts to the
/// commands they run).
// rule: SCRIPT-3
#[test]
fn read_only_scripts_track_only_through_their_reads() {
    let mut h = Harness::new();
    let tracker = h.client;
    let writer = h.new_client();
    h.client = tracker;
    h.run("HELLO 3");
    h.run("CLIENT TRACKING on");
    h.run("EVAL_RO \"redis.call('ping')\" 1 k1");
    h.client = writer;
    h.run("SET k1 v");
    assert!(h.engine.outbox.iter().all(|(to, _)| *to != tracker), "nothing tracked: {:?}", h.engine.outbox);
    h.client = tracker;
    h.run("EVAL_RO \"redis.call('get', 'k1')\" 1 k1");
    h.client = writer;
    h.run("SET k1 w");
    assert!(h.engine.outbox.iter().any(|(to, _)| *to == tracker), "the read tracked k1");
}

// rule: SCRIPT-1
#[test]
fn thousands_of_cached_scripts_and_functions() {
    // Each compiled script or registered function used to hold one of mlua's ~8,000 reference
    // slots: the 8,000th distinct EVAL aborted the server.
    let mut h = Harness::new();
    for i in 0..9000 {
        assert_eq!(eval(&mut h, &format!("return {i}"), &["0"]), Frame::Integer(i));
    }
    assert_eq!(eval(&mut h, "return 1", &["0"]), Frame::Integer(1));
    let mut code = String::from("#!lua name=many\n");
    for i in 0..9000 {
        code.push_str(&format!("redis.register_function('f{i}', function() return {i} end)\n"));
    }
    let load = h.run_argv(&[b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.into_bytes()]);
    assert_eq!(load, Frame::Bulk(b"many".to_vec()));
    assert_eq!(h.run("FCALL f8999 0"), Frame::Integer(8999));
    // A failed REPLACE keeps the library it would have replaced.
    let bad = "#!lua name=many\nredis.register_function('f1', function() return 1 end)\nerror('no')";
    assert!(matches!(
        h.run_argv(&[b"FUNCTION".to_vec(), b"LOAD".to_vec(), b"REPLACE".to_vec(), bad.into()]),
        Frame::Error(_)
    ));
    assert_eq!(h.run("FCALL f1 0"), Frame::Integer(1));
    assert_eq!(h.run("FUNCTION DELETE many"), Frame::Simple("OK".into()));
    assert_eq!(h.run("FCALL f1 0"), Frame::Error("ERR Function not found".into()));
}
