//! Judging another implementation's replies against the model.
//!
//! Most replies are fully determined and must be equal. A few are not:
//! - KEYS lists keys in hash-table order: compared as sets;
//! - RANDOMKEY may name any live key;
//! - SCAN may return any live matching keys with any cursor;
//! - DBSIZE counts dead keys that are not reclaimed yet, which depends on
//!   active expiry and on which dead keys RANDOMKEY/SCAN happened to visit.

use super::keyspace::{matching_keys, parse_scan, type_matches};
use super::Model;
use crate::reply::Reply;
use std::collections::BTreeSet;
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
        write!(
            f,
            "{}: expected {}, got {}",
            self.command, self.expected, self.actual
        )
    }
}

impl std::error::Error for Mismatch {}

fn describe(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect::<Vec<_>>()
        .join(" ")
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
    pub fn check(
        &mut self,
        client: u64,
        argv: &[Vec<u8>],
        now_ms: u64,
        actual: &Reply,
    ) -> Result<(), Mismatch> {
        let db = self.selected_db(client);
        let name = argv
            .first()
            .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
            .unwrap_or_default();
        // Bounds and candidates must be taken before the command runs.
        let live_before = self.live_len(db, now_ms);
        let stored_before = self.stored_len(db);
        let expected = self.apply(client, argv, now_ms);
        let fail = |expected: String| Mismatch {
            command: describe(argv),
            expected,
            actual: actual.clone(),
        };
        if expected == *actual {
            return Ok(());
        }
        if expected.is_error() {
            return Err(fail(expected.to_string()));
        }
        match (name.as_str(), &expected, actual) {
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
                let ok =
                    usize::try_from(*n).is_ok_and(|n| (live_before..=stored_before).contains(&n));
                if ok {
                    Ok(())
                } else {
                    Err(fail(format!(
                        "an integer in {live_before}..={stored_before}"
                    )))
                }
            }
            ("scan", _, _) => self
                .check_scan_reply(db, argv, now_ms, actual)
                .map_err(fail),
            _ => Err(fail(expected.to_string())),
        }
    }

    /// One SCAN reply: `[cursor, [keys]]` where the cursor is a decimal
    /// number and every key is live, matches the pattern and the type.
    fn check_scan_reply(
        &self,
        db: usize,
        argv: &[Vec<u8>],
        now_ms: u64,
        actual: &Reply,
    ) -> Result<(), String> {
        let args = parse_scan(argv).map_err(|e| e.to_string())?;
        let Reply::Array(parts) = actual else {
            return Err("a two-element array".to_string());
        };
        let [Reply::Bulk(cursor), Reply::Array(keys)] = parts.as_slice() else {
            return Err("[cursor, [keys]]".to_string());
        };
        if crate::num::parse_scan_cursor(cursor).is_none() || cursor.is_empty() {
            return Err("a decimal cursor".to_string());
        }
        let allowed: BTreeSet<Vec<u8>> = matching_keys(self, db, now_ms, args.pattern.as_deref())
            .into_iter()
            .filter(|k| {
                self.item(db, k, now_ms)
                    .is_some_and(|i| type_matches(i, args.type_name.as_deref()))
            })
            .collect();
        for key in keys {
            match key {
                Reply::Bulk(k) if allowed.contains(k) => {}
                other => return Err(format!("only live matching keys, not {other}")),
            }
        }
        Ok(())
    }

    /// A complete SCAN iteration (from cursor 0 back to 0) with no command in
    /// between: the union of the keys returned must be exactly the live keys
    /// of the client's db that match `pattern` and `type_name`.
    pub fn check_scan_union(
        &self,
        client: u64,
        pattern: Option<&[u8]>,
        type_name: Option<&[u8]>,
        now_ms: u64,
        union: &BTreeSet<Vec<u8>>,
    ) -> Result<(), String> {
        let db = self.selected_db(client);
        let pattern = pattern.filter(|p| *p != b"*");
        let expected: BTreeSet<Vec<u8>> = matching_keys(self, db, now_ms, pattern)
            .into_iter()
            .filter(|k| {
                self.item(db, k, now_ms)
                    .is_some_and(|i| type_matches(i, type_name))
            })
            .collect();
        if &expected == union {
            Ok(())
        } else {
            let missing: Vec<_> = expected
                .difference(union)
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect();
            let extra: Vec<_> = union
                .difference(&expected)
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .collect();
            Err(format!(
                "full SCAN: missing {missing:?}, unexpected {extra:?}"
            ))
        }
    }
}
