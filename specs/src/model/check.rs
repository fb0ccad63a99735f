//! Judging another implementation's replies against the model.
//!
//! Most replies are fully determined and must be equal. A few are not:
//! - KEYS lists keys in hash-table order: compared as sets;
//! - RANDOMKEY may name any live key;
//! - SCAN may return any live matching keys with any cursor;
//! - DBSIZE counts dead keys that are not reclaimed yet, which depends on
//!   active expiry and on which dead keys RANDOMKEY/SCAN happened to visit.

use super::keyspace::{parse_scan, reclaim_scanned, scan_expectation, ScanExpectation};
use super::Model;
use crate::reply::Reply;
use std::fmt;

/// A reply that the model does not allow.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The command, lossily decoded.
    pub command: String,
    /// What the model allows.
    pub expected: String,
    /// What was received.
    pub actual: Reply,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {}, got {}", self.command, self.expected, self.actual)
    }
}

impl std::error::Error for Mismatch {}

fn describe(argv: &[Vec<u8>]) -> String {
    argv.iter().map(|a| format!("{:?}", String::from_utf8_lossy(a))).collect::<Vec<_>>().join(" ")
}

fn sorted_bulks(items: &[Reply]) -> Option<Vec<Vec<u8>>> {
    let mut keys = items
        .iter()
        .map(|r| match r {
            Reply::Bulk(b) => Some(b.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    keys.sort();
    Some(keys)
}

impl Model {
    /// Applies a command to the model and checks that `actual` is a reply
    /// Redis could have given. The model's state advances as with
    /// [`Model::apply`] either way.
    pub fn check(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64, actual: &Reply) -> Result<(), Mismatch> {
        let db = self.selected_db(client);
        let name = argv.first().map(|n| String::from_utf8_lossy(n).to_ascii_lowercase()).unwrap_or_default();
        if self.in_multi(client) {
            // Queued (or a transaction command): judged exactly, EXEC element by element.
            if name == "exec" && argv.len() == 1 {
                return self.check_exec(client, now_ms, actual, argv);
            }
            return self.check_exact(client, argv, now_ms, actual);
        }
        if self.restricted(client) || self.acl_denies(client, argv) {
            // Refused by the user's permissions (exact NOPERM), or a subscribed RESP2 client: refused, or a pub/sub command.
            return self.check_exact(client, argv, now_ms, actual);
        }
        if let Some(result) = super::sets::check_open_reply(self, client, argv, now_ms, actual, &name) {
            return result.map_err(|expected| Mismatch { command: describe(argv), expected, actual: actual.clone() });
        }
        if let Some(result) = super::hashes::check_open_reply(self, client, argv, now_ms, actual, &name) {
            return result.map_err(|expected| Mismatch { command: describe(argv), expected, actual: actual.clone() });
        }
        if let Some(result) = super::persist::check_open_reply(self, client, argv, now_ms, actual, &name) {
            return result.map_err(|expected| Mismatch { command: describe(argv), expected, actual: actual.clone() });
        }
        if name == "scan" {
            return self.check_scan(db, argv, now_ms, actual).map_err(|expected| Mismatch {
                command: describe(argv),
                expected,
                actual: actual.clone(),
            });
        }
        // Bounds and candidates must be taken before the command runs.
        let live_before = self.live_len(db, now_ms);
        let stored_before = self.stored_len(db);
        let expected = self.apply(client, argv, now_ms);
        let fail = |expected: String| Mismatch { command: describe(argv), expected, actual: actual.clone() };
        if expected.same_as(actual) {
            return Ok(());
        }
        if expected.is_error() {
            return Err(fail(expected.to_string()));
        }
        match (name.as_str(), &expected, actual) {
            // ACL CAT's order is Redis's command hash table's.
            ("acl", Reply::Array(want), Reply::Array(got)) if argv[1].eq_ignore_ascii_case(b"cat") => {
                if sorted_bulks(want) == sorted_bulks(got) {
                    Ok(())
                } else {
                    Err(fail(format!("the commands {expected} in any order")))
                }
            }
            ("keys", Reply::Array(want), Reply::Array(got)) => {
                if sorted_bulks(want) == sorted_bulks(got) {
                    Ok(())
                } else {
                    Err(fail(format!("the keys {expected} in any order")))
                }
            }
            ("randomkey", Reply::Bulk(_), Reply::Bulk(key)) => {
                if self.item(db, key, now_ms).is_some() {
                    Ok(())
                } else {
                    Err(fail("any live key".to_string()))
                }
            }
            ("dbsize", Reply::Int(_), Reply::Int(n)) => {
                let ok = usize::try_from(*n).is_ok_and(|n| (live_before..=stored_before).contains(&n));
                if ok {
                    Ok(())
                } else {
                    Err(fail(format!("an integer in {live_before}..={stored_before}")))
                }
            }
            ("zrandmember", _, _) => {
                let resp = self.client(client).resp;
                super::zsets::judge_zrandmember(self, db, argv, now_ms, resp, actual).map_err(fail)
            }
            ("zscan", _, _) => super::zsets::judge_zscan(self, db, argv, now_ms, actual).map_err(fail),
            _ => Err(fail(expected.to_string())),
        }
    }

    /// A reply that must equal the model's.
    fn check_exact(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64, actual: &Reply) -> Result<(), Mismatch> {
        let expected = self.apply(client, argv, now_ms);
        if expected.same_as(actual) {
            Ok(())
        } else {
            Err(Mismatch { command: describe(argv), expected: expected.to_string(), actual: actual.clone() })
        }
    }

    /// EXEC: a failed transaction's reply must be the model's; a transaction
    /// that runs must give an array with one reply per queued command, each
    /// judged as if the command had been sent alone at that point.
    fn check_exec(&mut self, client: u64, now_ms: u64, actual: &Reply, argv: &[Vec<u8>]) -> Result<(), Mismatch> {
        let queue = match self.exec_for_check(client, now_ms) {
            Ok(queue) => queue,
            Err(expected) if expected.same_as(actual) => return Ok(()),
            Err(expected) => {
                return Err(Mismatch {
                    command: describe(argv),
                    expected: expected.to_string(),
                    actual: actual.clone(),
                })
            }
        };
        let replies = match actual {
            Reply::Array(replies) if replies.len() == queue.len() => replies,
            _ => {
                let expected = format!("an array of {} replies", queue.len());
                return Err(Mismatch { command: describe(argv), expected, actual: actual.clone() });
            }
        };
        self.client_mut(client).in_exec = true;
        let mut result = Ok(());
        for (queued, reply) in queue.iter().zip(replies) {
            result = self.check(client, queued, now_ms, reply).map_err(|m| Mismatch {
                command: format!("EXEC, queued {}", m.command),
                expected: m.expected,
                actual: m.actual,
            });
            if result.is_err() {
                break;
            }
        }
        self.client_mut(client).in_exec = false;
        // Clients blocked on keys the transaction filled are served once it ends.
        let db = self.selected_db(client);
        let exec = [b"EXEC".to_vec()];
        self.serve_blocked(&super::dispatch::Call { client, db, argv: &exec, now_ms, name: "exec" });
        result
    }

    /// One SCAN reply: the same error as the model's, or `[cursor, [keys]]`
    /// where the cursor is a decimal number and the expectation allows every
    /// key. Dead keys that were reported have been deleted by Redis, so the
    /// model forgets them too (and nothing else: which other dead keys the
    /// call visited is unknown).
    fn check_scan(&mut self, db: usize, argv: &[Vec<u8>], now_ms: u64, actual: &Reply) -> Result<(), String> {
        let args = match parse_scan(argv) {
            Ok(args) => args,
            Err(e) if e == *actual => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let exp = self.scan_expectation_in(db, now_ms, args.pattern.as_deref(), args.type_name.as_deref());
        let Reply::Array(parts) = actual else {
            return Err("[cursor, [keys]]".to_string());
        };
        let [Reply::Bulk(cursor), Reply::Array(keys)] = parts.as_slice() else {
            return Err("[cursor, [keys]]".to_string());
        };
        if cursor.is_empty() || !cursor.iter().all(u8::is_ascii_digit) {
            return Err("a decimal cursor".to_string());
        }
        for key in keys {
            match key {
                Reply::Bulk(k) if exp.allows(k) => {
                    if exp.may.contains(k) {
                        self.dbs[db].remove(k);
                        self.touch(db, k);
                    }
                }
                other => return Err(format!("only live matching keys, not {other}")),
            }
        }
        Ok(())
    }

    fn scan_expectation_in(
        &self,
        db: usize,
        now_ms: u64,
        pattern: Option<&[u8]>,
        type_name: Option<&[u8]>,
    ) -> ScanExpectation {
        scan_expectation(self, db, now_ms, pattern, type_name)
    }

    /// What a complete SCAN iteration by `client` (MATCH `pattern`, TYPE
    /// `type_name`) starting now may report. Take it before the first call;
    /// check the union of the replies with [`ScanExpectation::check_union`].
    pub fn scan_expectation(
        &self,
        client: u64,
        pattern: Option<&[u8]>,
        type_name: Option<&[u8]>,
        now_ms: u64,
    ) -> ScanExpectation {
        self.scan_expectation_in(self.selected_db(client), now_ms, pattern, type_name)
    }

    /// Records that a complete SCAN iteration happened: Redis has then
    /// deleted every dead key matching the pattern.
    pub fn note_full_scan(&mut self, client: u64, pattern: Option<&[u8]>, now_ms: u64) {
        let db = self.selected_db(client);
        reclaim_scanned(self, db, now_ms, pattern);
    }
}
