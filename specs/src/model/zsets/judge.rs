//! Judging the replies Redis chooses at random (ZRANDMEMBER) or by its hash table layout
//! (ZSCAN of a skiplist-encoded set). Neither command changes the keyspace, so the judge only
//! reads the set as it is after the command.

use super::{num, ZSetValue};
use crate::model::{MValue, Model};
use crate::num::{opt_is, parse_i64};
use crate::reply::Reply;

fn zset_at<'m>(m: &'m Model, db: usize, key: &[u8], now_ms: u64) -> Option<&'m ZSetValue> {
    match m.item(db, key, now_ms).map(|i| &i.value) {
        Some(MValue::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// A score in a reply: a double, or its `%.17g` text (a RESP2 connection's bulk string, kept
/// as text so it can be compared exactly).
fn score_of(r: &Reply) -> Option<Result<f64, Vec<u8>>> {
    match r {
        Reply::Double(d) => Some(Ok(*d)),
        Reply::Bulk(text) => Some(Err(text.clone())),
        _ => None,
    }
}

/// True when a reply's score is `score`.
fn same_score(got: &Result<f64, Vec<u8>>, score: f64) -> bool {
    match got {
        Ok(d) => d.to_bits() == score.to_bits(),
        Err(text) => num::fmt_17g(score).as_bytes() == text.as_slice(),
    }
}

type Pair = (Vec<u8>, Result<f64, Vec<u8>>);

/// Splits a WITHSCORES reply into (member, score) pairs, flat (RESP2) or nested (RESP3).
fn pairs(items: &[Reply], resp: u8) -> Option<Vec<Pair>> {
    if resp >= 3 {
        items
            .iter()
            .map(|p| match p {
                Reply::Array(v) => match v.as_slice() {
                    [Reply::Bulk(m), s] => Some((m.clone(), score_of(s)?)),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    } else {
        if !items.len().is_multiple_of(2) {
            return None;
        }
        items
            .chunks(2)
            .map(|c| match c {
                [Reply::Bulk(m), s] => Some((m.clone(), score_of(s)?)),
                _ => None,
            })
            .collect()
    }
}

/// A ZRANDMEMBER reply that differs from the model's: valid when it names members of the set
/// with their scores, the right number of them, distinct for a positive count. (Fully
/// determined cases, such as a missing key or a count covering the whole set, were compared
/// exactly by the caller.)
pub fn judge_zrandmember(
    m: &Model,
    db: usize,
    argv: &[Vec<u8>],
    now_ms: u64,
    resp: u8,
    actual: &Reply,
) -> Result<(), String> {
    let Some(z) = zset_at(m, db, &argv[1], now_ms) else {
        return Err("the reply for a missing key".into());
    };
    let Some(count_arg) = argv.get(2) else {
        return match actual {
            Reply::Bulk(member) if z.scores.contains_key(member) => Ok(()),
            _ => Err("a member of the set".into()),
        };
    };
    let count = parse_i64(count_arg).unwrap_or(0);
    let withscores = argv.get(3).is_some_and(|a| opt_is(a, "withscores"));
    let Reply::Array(items) = actual else {
        return Err("an array".into());
    };
    let got: Vec<Pair> = if withscores {
        pairs(items, resp).ok_or("member/score pairs")?
    } else {
        items
            .iter()
            .map(|r| match r {
                Reply::Bulk(m) => Some((m.clone(), Ok(f64::NAN))),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or("bulk members")?
    };
    if count > 0 && count as u64 >= z.len() as u64 {
        return Err("the whole set, highest score first".into());
    }
    let want_len = if count < 0 { count.unsigned_abs() } else { (count as u64).min(z.len() as u64) };
    if got.len() as u64 != want_len {
        return Err(format!("{want_len} elements"));
    }
    for (member, score) in &got {
        let Some(real) = z.score(member) else {
            return Err("only members of the set".into());
        };
        if withscores && !same_score(score, real) {
            return Err("each member with its score".into());
        }
    }
    if count > 0 {
        let mut names: Vec<&Vec<u8>> = got.iter().map(|(m, _)| m).collect();
        names.sort();
        names.dedup();
        if names.len() != got.len() {
            return Err("distinct members".into());
        }
    }
    Ok(())
}

/// A ZSCAN reply for a set the model holds as a skiplist: any cursor, and pairs of a member
/// matching the pattern with its score as `%.17g` text, each member at most once.
pub fn judge_zscan(m: &Model, db: usize, argv: &[Vec<u8>], now_ms: u64, actual: &Reply) -> Result<(), String> {
    // The options were valid (the model's reply was not an error): (name, value) pairs.
    let pattern = argv[3..].chunks(2).filter(|o| opt_is(&o[0], "match")).map(|o| o[1].as_slice()).next_back();
    let pattern = pattern.filter(|p| *p != b"*");
    let Some(z) = zset_at(m, db, &argv[1], now_ms) else {
        return Err("the reply for a missing key".into());
    };
    if z.listpack {
        return Err("the whole listpack in one reply".into());
    }
    let Reply::Array(parts) = actual else {
        return Err("[cursor, [member, score, ...]]".into());
    };
    let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
        return Err("[cursor, [member, score, ...]]".into());
    };
    let digits = cursor.strip_prefix(b"-").unwrap_or(cursor);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err("a decimal cursor".into());
    }
    if !items.len().is_multiple_of(2) {
        return Err("member/score pairs".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for pair in items.chunks(2) {
        let [Reply::Bulk(member), Reply::Bulk(text)] = pair else {
            return Err("bulk member/score pairs".into());
        };
        let Some(score) = z.score(member) else {
            return Err("only members of the set".into());
        };
        if num::fmt_17g(score).as_bytes() != text.as_slice() {
            return Err("scores printed as %.17g".into());
        }
        if pattern.is_some_and(|p| !crate::glob::matches(p, member)) {
            return Err("only members matching the pattern".into());
        }
        if !seen.insert(member.clone()) {
            return Err("each member once per call".into());
        }
    }
    Ok(())
}
