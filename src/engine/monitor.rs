//! MONITOR (Redis's monitorCommand and replicationFeedMonitors): a monitoring connection receives,
//! as a status line, every command another (or the same) connection runs, after it ran —
//! including each command EXEC runs, between the MULTI and EXEC lines. Commands refused before
//! running (unknown, wrong arity, queued by MULTI) are not shown, nor administrative commands
//! and those flagged skip-monitor; passwords of AUTH and HELLO AUTH are shown as `(redacted)`.

use super::client::ClientState;
use super::config::text::repr;
use super::Engine;
use crate::resp::Frame;

impl Engine {
    /// MONITOR: the client becomes a monitor. False when it already was one (Redis then replies
    /// nothing at all).
    pub fn start_monitor(&mut self, client: &mut ClientState) -> bool {
        if client.monitor {
            return false;
        }
        client.monitor = true;
        self.monitors.push(client.id);
        true
    }

    /// The client stops monitoring (RESET, disconnection).
    pub fn stop_monitor(&mut self, client_id: u64) {
        self.monitors.retain(|&id| id != client_id);
    }

    /// Sends the command `client` just ran to every monitor.
    pub(super) fn feed_monitors(&mut self, client: &ClientState, argv: &[Vec<u8>], now_ms: u64) {
        // Redis prints seconds and microseconds of its clock; verdis's clock has millisecond steps.
        let mut line = format!("{}.{:06} [{} {}]", now_ms / 1000, (now_ms % 1000) * 1000, client.db, client.addr);
        let hidden = redacted_positions(argv);
        for (i, arg) in argv.iter().enumerate() {
            line.push(' ');
            line.push_str(&if hidden.contains(&i) { repr(b"(redacted)") } else { repr(arg) });
        }
        for &monitor in &self.monitors {
            self.outbox.push((monitor, Frame::Simple(line.clone())));
        }
    }
}

/// The arguments Redis replaces with `(redacted)`: every argument of AUTH, the user name and
/// password after HELLO's AUTH option, MIGRATE's AUTH password and AUTH2 user and password, ACL
/// SETUSER's user and rules, and CONFIG SET values of secret parameters.
pub(crate) fn redacted_positions(argv: &[Vec<u8>]) -> Vec<usize> {
    let name = argv.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    match name.as_slice() {
        b"auth" => (1..argv.len()).collect(),
        b"hello" => {
            let mut hidden = Vec::new();
            let mut i = 2;
            while i < argv.len() {
                if argv[i].eq_ignore_ascii_case(b"auth") && i + 2 < argv.len() {
                    hidden.extend([i + 1, i + 2]);
                    i += 3;
                } else {
                    i += 1;
                }
            }
            hidden
        }
        // ACL SETUSER's user name and rules (Redis redacts them all).
        b"acl" if argv.get(1).is_some_and(|s| s.eq_ignore_ascii_case(b"setuser")) => (2..argv.len()).collect(),
        // CONFIG SET of a parameter holding a secret (masterauth, masteruser, requirepass).
        b"config" if argv.get(1).is_some_and(|s| s.eq_ignore_ascii_case(b"set")) => (2..argv.len())
            .step_by(2)
            .filter(|&i| {
                i + 1 < argv.len()
                    && super::config::lookup(&argv[i])
                        .is_some_and(|f| super::config::PARAMS[f.index].has(super::config::SENSITIVE))
            })
            .map(|i| i + 1)
            .collect(),
        b"migrate" => {
            let mut hidden = Vec::new();
            let mut i = 6;
            // Options up to KEYS; after it every argument is a key.
            while i < argv.len() && !argv[i].eq_ignore_ascii_case(b"keys") {
                if argv[i].eq_ignore_ascii_case(b"auth") && i + 1 < argv.len() {
                    hidden.push(i + 1);
                    i += 2;
                } else if argv[i].eq_ignore_ascii_case(b"auth2") && i + 2 < argv.len() {
                    hidden.extend([i + 1, i + 2]);
                    i += 3;
                } else {
                    i += 1;
                }
            }
            hidden
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::testkit::Harness;
    use crate::resp::Frame;

    // rules: CLIENT-3
    #[test]
    fn monitors_see_commands_after_they_ran() {
        let mut h = Harness::new();
        let watcher = h.engine.connect("127.0.0.1:5000".into(), "127.0.0.1:6379".into(), h.now_ms);
        let argv = |line: &str| line.split(' ').map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(h.engine.execute(watcher, &argv("MONITOR"), h.now_ms), Some(Frame::ok()));
        // A second MONITOR gets no reply at all: an empty raw frame puts no byte on the wire.
        assert_eq!(h.engine.execute(watcher, &argv("MONITOR"), h.now_ms), Some(Frame::Raw(Vec::new())));
        h.run("SET foo bar");
        h.run("MULTI");
        h.run("INCR n");
        h.run("EXEC");
        h.run("NOSUCH x");
        h.run("AUTH secret");
        h.run("HELLO 2 AUTH default pw SETNAME x");
        h.run("CONFIG GET maxclients");
        h.run("MIGRATE 127.0.0.1 1 k 9 5000 AUTH2 user password");
        let lines: Vec<String> = std::mem::take(&mut h.engine.outbox)
            .into_iter()
            .filter(|(id, _)| *id == watcher)
            .map(|(_, f)| match f {
                Frame::Simple(s) => s.split_once("] ").map(|(_, rest)| rest.to_string()).unwrap_or(s),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                r#""SET" "foo" "bar""#,
                r#""MULTI""#,
                r#""INCR" "n""#,
                r#""EXEC""#,
                r#""AUTH" "(redacted)""#,
                r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "x""#,
                r#""MIGRATE" "127.0.0.1" "1" "k" "9" "5000" "AUTH2" "(redacted)" "(redacted)""#,
            ]
        );
    }
}
