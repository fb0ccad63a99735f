//! Helpers for the replication tests: one command over a connection, INFO fields, waiting for a
//! condition, and whether a replica caught up with its master.

use super::wire::{args, parse_node, Node, Wire};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Sends one command line and returns the parsed reply.
pub fn call(w: &mut Wire, line: &str) -> Node {
    parse_node(&w.call(&args(line))).expect("reply").0
}

/// Runs each command line on a new connection, ignoring the replies.
pub fn run_lines(addr: SocketAddr, lines: &[&str]) {
    let mut w = Wire::connect(addr);
    for line in lines {
        call(&mut w, line);
    }
}

/// A field of an INFO section ("" when absent).
pub fn info_in(addr: SocketAddr, section: &str, name: &str) -> String {
    let mut w = Wire::connect(addr);
    let Node::Blob(text) = call(&mut w, &format!("INFO {section}")) else { panic!("INFO is a bulk") };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.split("\r\n").find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string)).unwrap_or_default()
}

/// A field of INFO replication.
pub fn info_field(addr: SocketAddr, name: &str) -> String {
    info_in(addr, "replication", name)
}

/// Polls `ok` for up to 30 seconds; panics naming `what` if it never holds.
pub fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// The replica's link is up and it applied everything the master produced.
pub fn caught_up(master: SocketAddr, replica: SocketAddr) -> bool {
    info_field(replica, "master_link_status") == "up"
        && info_field(replica, "slave_repl_offset") == info_field(master, "master_repl_offset")
}
