//! ACL behaviour through the engine (the `Harness`, no sockets): authentication gates, key and
//! channel permissions, the ACL log, user deletion, requirepass, ACL LOAD/SAVE with an
//! in-memory ACL file, and protected mode decided from a simulated peer address.

use verdis::engine::acl::file::MemoryAclFile;
use verdis::engine::config::Config;
use verdis::engine::testkit::{bulk, err, int, ok, Harness};
use verdis::resp::Frame;

fn with_password(pass: &str) -> Harness {
    Harness::with_config(Config { requirepass: Some(pass.as_bytes().to_vec()), ..Config::default() })
}

fn noauth() -> Frame {
    err("NOAUTH Authentication required.")
}

// rule: ACL-5
#[test]
fn unauthenticated_clients_run_only_auth_hello_quit_reset() {
    let mut h = with_password("secret");
    let table: Vec<String> = h.engine.table.top_level().map(|c| c.meta.name.to_string()).collect();
    let allowed = ["auth", "hello", "quit", "reset"];
    // Every implemented command other than those four is refused before it runs.
    for name in &table {
        if allowed.contains(&name.as_str()) {
            continue;
        }
        let reply = h.run(&format!("{name} a b c"));
        match reply {
            Frame::Error(e) if e == "NOAUTH Authentication required." => {}
            // The existence and arity checks come first, as in Redis.
            Frame::Error(e) if e.contains("wrong number of arguments") => {}
            Frame::Error(e) if e.starts_with("ERR unknown subcommand") => {}
            other => panic!("{name} ran without authentication: {other:?}"),
        }
    }
    assert_eq!(h.run("PING"), noauth());
    assert_eq!(h.run("GET k"), noauth());
    assert_eq!(h.run("ACL WHOAMI"), noauth());
    assert_eq!(h.run("CLIENT ID"), noauth());
    assert_eq!(h.run("MULTI"), noauth());
    assert!(matches!(h.run("HELLO 3"), Frame::Error(e) if e.starts_with("NOAUTH HELLO must be called")));
    assert_eq!(h.run("AUTH wrong"), err("WRONGPASS invalid username-password pair or user is disabled."));
    assert_eq!(h.run("RESET"), Frame::simple("RESET"));
    assert_eq!(h.run("PING"), noauth());
    assert_eq!(h.run("AUTH secret"), ok());
    assert_eq!(h.run("PING"), Frame::simple("PONG"));
    assert_eq!(h.run("ACL WHOAMI"), bulk("default"));
    assert_eq!(h.run("QUIT"), ok());
}

// rule: ACL-3, ACL-4
#[test]
fn user_restricted_to_app_keys_cannot_read_other() {
    let mut h = Harness::new();
    assert_eq!(h.run("SET other secret"), ok());
    assert_eq!(h.run("SET app:1 v"), ok());
    assert_eq!(h.run("ACL SETUSER app on >pw ~app:* +@all"), ok());
    assert_eq!(h.run("AUTH app pw"), ok());
    assert_eq!(h.run("GET app:1"), bulk("v"));
    let denied = err("NOPERM this user has no permissions to access one of the keys used as arguments");
    assert_eq!(h.run("GET other"), denied);
    assert_eq!(h.run("MGET app:1 other"), denied);
    assert_eq!(h.run("COPY app:1 other"), denied);
    assert_eq!(h.run("DEL other"), denied);
    assert_eq!(h.run("RENAME app:1 other"), denied);
    assert_eq!(h.run("GET other"), denied);
    // Denied commands leave the data alone.
    assert_eq!(h.run("AUTH default x"), ok());
    assert_eq!(h.run("GET other"), bulk("secret"));
    assert_eq!(h.run("GET app:1"), bulk("v"));
}

// rule: ACL-3, ACL-4
#[test]
fn read_and_write_key_permissions() {
    let mut h = Harness::new();
    assert_eq!(h.run("ACL SETUSER rw on nopass +@all %R~r:* %W~w:*"), ok());
    assert_eq!(h.run("AUTH rw x"), ok());
    let denied = err("NOPERM this user has no permissions to access one of the keys used as arguments");
    assert_eq!(h.run("SET w:1 v"), ok());
    assert_eq!(h.run("GET w:1"), denied);
    assert_eq!(h.run("SET r:1 v"), denied);
    assert_eq!(h.run("GET r:1"), Frame::Null);
    assert_eq!(h.run("COPY r:1 w:2"), int(0));
    assert_eq!(h.run("COPY w:1 r:2"), denied);
    assert_eq!(h.run("EXISTS r:1 w:1"), int(1));
}

// rule: ACL-3, ACL-4
#[test]
fn channel_permissions_and_command_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run("ACL SETUSER p on nopass -@all +publish +subscribe +psubscribe &news:*"), ok());
    assert_eq!(h.run("AUTH p x"), ok());
    let denied = err("NOPERM this user has no permissions to access one of the channels used as arguments");
    assert_eq!(h.run("PUBLISH news:1 hi"), int(0));
    assert_eq!(h.run("PUBLISH other hi"), denied);
    assert_eq!(h.run("SUBSCRIBE news:1 other"), denied);
    assert_eq!(h.run("PSUBSCRIBE news:1*"), denied);
    assert_eq!(h.run("GET x"), err("NOPERM this user has no permissions to run the 'get' command"));
    assert_eq!(h.run("CONFIG GET hz"), err("NOPERM this user has no permissions to run the 'config|get' command"));
}

// rule: ACL-6
#[test]
fn acl_log_records_and_folds_refusals() {
    let mut h = Harness::new();
    assert_eq!(h.run("ACL SETUSER u on >pw ~k +get +multi"), ok());
    assert_eq!(h.run("AUTH u wrong"), err("WRONGPASS invalid username-password pair or user is disabled."));
    assert_eq!(h.run("AUTH u pw"), ok());
    h.run("SET k v");
    h.run("SET k v");
    h.run("GET other");
    h.run("MULTI");
    h.run("INCR k");
    h.advance_ms(1500);
    h.new_client();
    let log = h.run("ACL LOG");
    let Frame::Array(entries) = log else { panic!("{log:?}") };
    assert_eq!(entries.len(), 4);
    let field = |e: &Frame, name: &str| -> Frame {
        let Frame::Map(pairs) = e else { panic!("{e:?}") };
        pairs.iter().find(|(k, _)| *k == bulk(name)).map(|(_, v)| v.clone()).expect(name)
    };
    // Newest first: the INCR in MULTI, the key, the two folded SETs, the failed AUTH.
    assert_eq!(field(&entries[0], "object"), bulk("incr"));
    assert_eq!(field(&entries[0], "context"), bulk("multi"));
    assert_eq!(field(&entries[1], "reason"), bulk("key"));
    assert_eq!(field(&entries[1], "object"), bulk("other"));
    assert_eq!(field(&entries[2], "count"), int(2));
    assert_eq!(field(&entries[2], "reason"), bulk("command"));
    assert_eq!(field(&entries[2], "username"), bulk("u"));
    assert_eq!(field(&entries[3], "reason"), bulk("auth"));
    assert_eq!(field(&entries[3], "object"), bulk("AUTH"));
    assert_eq!(field(&entries[3], "age-seconds"), Frame::Double(1.5));
    assert_eq!(h.run("ACL LOG 1").clone(), Frame::Array(vec![entries[0].clone()]));
    assert_eq!(h.run("ACL LOG RESET"), ok());
    assert_eq!(h.run("ACL LOG"), Frame::Array(vec![]));
    assert_eq!(h.run("CONFIG SET acllog-max-len 2"), ok());
    for k in ["a", "b", "c"] {
        h.run(&format!("AUTH {k} x"));
    }
    assert_eq!(h.run("ACL LOG"), h.run("ACL LOG 2"));
    let Frame::Array(entries) = h.run("ACL LOG") else { panic!() };
    assert_eq!(entries.len(), 2);
}

// rule: ACL-8
#[test]
fn deleting_a_user_disconnects_its_clients() {
    let mut h = Harness::new();
    let admin = h.client;
    assert_eq!(h.run("ACL SETUSER bob on >pw +@all ~*"), ok());
    let bob = h.new_client();
    assert_eq!(h.run("AUTH bob pw"), ok());
    h.client = admin;
    assert_eq!(h.run("ACL SETUSER bob off"), ok());
    // Redis 7.0 keeps connections of a disabled user; new logins fail.
    assert!(!h.engine.client(bob).unwrap().killed);
    assert_eq!(h.run("ACL DELUSER bob nobody"), int(1));
    let c = h.engine.client(bob).unwrap();
    assert!(c.killed);
    assert!(!c.authenticated);
    // A client deleting its own user gets the reply, then the connection closes.
    assert_eq!(h.run("ACL SETUSER self on nopass +@all"), ok());
    assert_eq!(h.run("AUTH self x"), ok());
    assert_eq!(h.run("ACL DELUSER self"), int(1));
    assert!(h.engine.client(admin).unwrap().close_after_reply);
    assert_eq!(h.run("ACL DELUSER default"), err("ERR The 'default' user cannot be removed"));
}

// rule: ACL-8
#[test]
fn revoking_channels_disconnects_subscribers() {
    let mut h = Harness::new();
    let admin = h.client;
    assert_eq!(h.run("ACL SETUSER s on nopass +@all &a &b"), ok());
    let sub = h.new_client();
    assert_eq!(h.run("AUTH s x"), ok());
    h.run("SUBSCRIBE a");
    h.client = admin;
    assert_eq!(h.run("ACL SETUSER s &c"), ok());
    assert!(!h.engine.client(sub).unwrap().killed);
    assert_eq!(h.run("ACL SETUSER s resetchannels &b"), ok());
    assert!(h.engine.client(sub).unwrap().killed);
}

// rule: ACL-5
#[test]
fn requirepass_is_the_default_users_password() {
    let mut h = Harness::new();
    assert_eq!(
        h.run("AUTH x"),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(h.run("CONFIG SET requirepass s3"), ok());
    let Frame::Map(user) = h.run("ACL GETUSER default") else { panic!() };
    assert_eq!(user[0].1, Frame::Set(vec![bulk("on")]));
    h.new_client();
    assert_eq!(h.run("PING"), noauth());
    assert_eq!(h.run("AUTH s3"), ok());
    assert_eq!(h.run("CONFIG SET requirepass \"\""), ok());
    assert_eq!(h.run("ACL GETUSER default").clone(), h.run("ACL GETUSER default"));
    h.new_client();
    assert_eq!(h.run("PING"), Frame::simple("PONG"));
    // The default user switched off: new connections start unauthenticated.
    assert_eq!(h.run("ACL SETUSER default off"), ok());
    h.new_client();
    assert_eq!(h.run("PING"), noauth());
    assert_eq!(h.run("HELLO 2 AUTH default x"), err("WRONGPASS invalid username-password pair or user is disabled."));
}

// rule: ACL-8
#[test]
fn acl_load_and_save_use_the_acl_file() {
    let mut h = Harness::new();
    assert!(
        matches!(h.run("ACL SAVE"), Frame::Error(e) if e.starts_with("ERR This Redis instance is not configured to use an ACL file"))
    );
    h.run("CONFIG SET aclfile users.acl");
    h.engine.config.set("aclfile", b"users.acl").unwrap();
    h.engine.acl.file = Some(Box::new(MemoryAclFile::default()));
    assert_eq!(h.run("ACL LOAD"), err("ERR Error loading ACLs, opening file 'users.acl': No such file or directory"));
    assert_eq!(h.run("ACL SETUSER al on >pw ~x* +get"), ok());
    assert_eq!(h.run("ACL SAVE"), ok());
    let saved = h.run("ACL LIST");
    assert_eq!(h.run("ACL DELUSER al"), int(1));
    assert_eq!(h.run("ACL LOAD"), ok());
    assert_eq!(h.run("ACL LIST"), saved);
    h.engine.acl.file =
        Some(Box::new(MemoryAclFile { text: Some(b"user a on\nuser a off\nfoo\nuser b +nosuch\n".to_vec()) }));
    assert_eq!(
        h.run("ACL LOAD"),
        err("ERR WARNING: Duplicate user 'a' found on line 2. users.acl:3 should start with user keyword followed by the username. users.acl:4: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
    );
    assert_eq!(h.run("ACL LIST"), saved);
}

// rule: ACL-9
#[test]
fn protected_mode_refuses_non_loopback_clients() {
    let h = Harness::new();
    let refused = h.engine.protected_mode_refusal("10.1.2.3:5000").expect("refused");
    assert!(refused.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled"));
    assert!(refused.ends_with("in order for the server to start accepting connections from the outside.\r\n"));
    assert_eq!(h.engine.protected_mode_refusal("127.0.0.1:5000"), None);
    assert_eq!(h.engine.protected_mode_refusal("[::1]:5000"), None);
    assert_eq!(h.engine.protected_mode_refusal("/tmp/redis.sock"), None);
    // Only 127.0.0.1 counts as loopback, as in Redis.
    assert!(h.engine.protected_mode_refusal("127.0.0.2:5000").is_some());
    // A password for the default user, or protected-mode no, lets everyone connect.
    let mut h = with_password("pw");
    assert_eq!(h.engine.protected_mode_refusal("10.1.2.3:5000"), None);
    assert_eq!(h.run("AUTH pw"), ok());
    assert_eq!(h.run("CONFIG SET requirepass \"\""), ok());
    assert!(h.engine.protected_mode_refusal("10.1.2.3:5000").is_some());
    assert_eq!(h.run("CONFIG SET protected-mode no"), ok());
    assert_eq!(h.engine.protected_mode_refusal("10.1.2.3:5000"), None);
}
