use crate::engine::testkit::*;
use crate::resp::Frame;

fn eval(h: &mut Harness, script: &str, args: &[&str]) -> Frame {
    let mut argv: Vec<Vec<u8>> = vec![b"EVAL".to_vec(), script.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    h.run_argv(&argv)
}

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

#[test]
fn errors() {
    let mut h = Harness::new();
    let sha_a = crate::engine::script::sha1::sha1_hex(b"return a");
    assert_eq!(
        eval(&mut h, "return a", &["0"]),
        err(&format!("ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: {sha_a}, on @user_script:1."))
    );
    let sha = crate::engine::script::sha1::sha1_hex(b"a=10");
    assert_eq!(
        eval(&mut h, "a=10", &["0"]),
        err(&format!("ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."))
    );
    assert_eq!(
        eval(&mut h, "return 1 +", &["0"]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    h.run("SET s foo");
    let sha = crate::engine::script::sha1::sha1_hex(b"return redis.call('incr','s')");
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
