//! `verdis-check-rdb`: validates an RDB file and reports where and why it is bad, in the format of
//! redis-check-rdb (offsets, the step it was doing, the key and type being read).

use super::rdb::decode::{FileDecoder, Record};
use super::rdb::input::StreamSource;
use super::rdb::type_name;
use std::io::Read;

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub ok: bool,
    /// The report's lines, as printed.
    pub lines: Vec<String>,
    pub keys: u64,
    pub expires: u64,
    pub already_expired: u64,
}

/// Checks the RDB read from `reader`; `name` is only used in the report. `now_ms` decides which
/// keys count as already expired.
pub fn check(name: &str, reader: impl Read, now_ms: u64) -> CheckReport {
    let mut report = CheckReport { lines: vec![format!("[offset 0] Checking RDB file {name}")], ..Default::default() };
    let mut decoder = match FileDecoder::new(StreamSource::new(reader)) {
        Ok(d) => d,
        Err(e) => {
            error(&mut report, e.offset(), &e.to_string(), None);
            return report;
        }
    };
    loop {
        match decoder.next_record() {
            Ok(None) => break,
            Ok(Some(record)) => describe(&mut report, &record, decoder.offset(), now_ms),
            Err(e) => {
                let context = Some((decoder.doing, decoder.last_key.clone(), decoder.last_type));
                error(&mut report, e.offset(), &e.to_string(), context);
                return report;
            }
        }
    }
    let end = decoder.offset();
    report.lines.push(format!("[offset {end}] \\o/ RDB looks OK! \\o/"));
    report.ok = true;
    summary(&mut report);
    report
}

fn describe(report: &mut CheckReport, record: &Record, offset: u64, now_ms: u64) {
    match record {
        Record::Aux { key, value } => report.lines.push(format!(
            "[offset {offset}] AUX FIELD {} = '{}'",
            String::from_utf8_lossy(key),
            String::from_utf8_lossy(value)
        )),
        Record::SelectDb(db) => report.lines.push(format!("[offset {offset}] Selecting DB ID {db}")),
        Record::ModuleAux { name, .. } => report.lines.push(format!("[offset {offset}] MODULE AUX for: {name}")),
        Record::Function(_) => report.lines.push(format!("[offset {offset}] FUNCTION library")),
        Record::Key(k) => {
            report.keys += 1;
            if let Some(t) = k.expire_at_ms {
                report.expires += 1;
                if t < now_ms as i64 {
                    report.already_expired += 1;
                }
            }
        }
        Record::Eof { stored_crc: Some(0), .. } => report
            .lines
            .push(format!("[offset {offset}] RDB file was saved with checksum disabled: no check performed.")),
        Record::Eof { stored_crc: Some(_), .. } => report.lines.push(format!("[offset {offset}] Checksum OK")),
        Record::Eof { stored_crc: None, .. } | Record::ResizeDb { .. } | Record::SlotInfo { .. } => {}
    }
}

/// Where the decoder was when it failed: the step, the key and its type.
type ErrorContext<'a> = Option<(&'a str, Option<Vec<u8>>, Option<u8>)>;

fn error(report: &mut CheckReport, offset: u64, what: &str, context: ErrorContext) {
    report.lines.push("--- RDB ERROR DETECTED ---".to_string());
    report.lines.push(format!("[offset {offset}] {what}"));
    if let Some((doing, key, rdb_type)) = context {
        report.lines.push(format!("[additional info] While doing: {doing}"));
        if let Some(key) = key {
            report.lines.push(format!("[additional info] Reading key '{}'", String::from_utf8_lossy(&key)));
        }
        if let Some(t) = rdb_type {
            report.lines.push(format!("[additional info] Reading type {t} ({})", type_name(t)));
        }
    }
    summary(report);
}

fn summary(report: &mut CheckReport) {
    report.lines.push(format!("[info] {} keys read", report.keys));
    report.lines.push(format!("[info] {} expires", report.expires));
    report.lines.push(format!("[info] {} already expired", report.already_expired));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_like_redis_check_rdb() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rdb");
        let good = std::fs::read(root.join("generated/ttl-multidb.rdb")).unwrap();
        let r = check("ttl-multidb.rdb", &good[..], 0);
        assert!(r.ok);
        assert_eq!(r.lines[1], "[offset 27] AUX FIELD redis-ver = '7.0.15'");
        assert!(r.lines.contains(&"[offset 82] Selecting DB ID 0".to_string()));
        assert!(r.lines.contains(&"[offset 585] Checksum OK".to_string()));
        assert_eq!((r.keys, r.expires), (17, 10));
        let bad = std::fs::read(root.join("redis-assets/corrupt_ziplist.rdb")).unwrap();
        let r = check("corrupt_ziplist.rdb", &bad[..], 0);
        assert!(!r.ok);
        assert!(r.lines.contains(&"[additional info] Reading key 'key:000000000091'".to_string()), "{:?}", r.lines);
        assert!(r.lines.contains(&"[additional info] Reading type 13 (hash-ziplist)".to_string()));
        assert!(r.lines.iter().any(|l| l.contains("Hash ziplist integrity check failed.")));
        let r = check("trunc", &good[..100], 0);
        assert!(!r.ok);
    }
}
