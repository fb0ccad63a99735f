//! `verdis-check-aof`: checks a multi-part AOF (through its manifest) or a single AOF file, in the
//! manner and wording of redis-check-aof, and with --fix cuts the last file back to its last
//! valid command.

use super::manifest::Manifest;
use crate::persist::rdb::decode::FileDecoder;
use crate::persist::rdb::input::SliceSource;

/// What checking one file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub size: u64,
    /// Offset of the end of the last complete command outside a transaction.
    pub ok_up_to: u64,
    /// Lines read (redis-check-aof's ok_up_to_line).
    pub line: u64,
    /// What stopped the check, as redis-check-aof prints it.
    pub error: Option<String>,
    /// The RDB part was not valid (the file cannot be fixed).
    pub bad_preamble: bool,
}

impl FileCheck {
    pub fn diff(&self) -> u64 {
        self.size - self.ok_up_to
    }
}

/// The byte offset just past the RDB at the start of `data`, or None when it does not decode.
pub fn rdb_end(data: &[u8]) -> Option<usize> {
    let mut dec = FileDecoder::new(SliceSource::new(data)).ok()?;
    // Each record consumes input; the decoder ends at EOF or fails.
    loop {
        match dec.next_record() {
            Ok(None) => return Some(dec.offset() as usize),
            Ok(Some(_)) => {}
            Err(_) => return None,
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    error: Option<String>,
    /// Where the last read started (redis-check-aof's epos).
    epos: usize,
}

impl Reader<'_> {
    fn fail(&mut self, at: usize, what: String) -> bool {
        self.error = Some(format!("0x{at:16x}: {what}"));
        false
    }

    fn newline(&mut self, at: usize, bytes: &[u8]) -> bool {
        if bytes != b"\r\n" {
            let b0 = bytes.first().copied().unwrap_or(0);
            let b1 = bytes.get(1).copied().unwrap_or(0);
            return self.fail(at, format!("Expected \\r\\n, got: {b0:02x}{b1:02x}"));
        }
        self.line += 1;
        true
    }

    /// A `<prefix><number>\r\n` line (readLong); EOF is a failure without a message.
    fn number(&mut self, prefix: u8) -> Option<i64> {
        let at = self.pos;
        self.epos = at;
        if at >= self.data.len() {
            return None;
        }
        let end = self.data[at..].iter().position(|&b| b == b'\n').map_or(self.data.len(), |i| at + i + 1);
        let line = &self.data[at..end.min(at + 127)];
        self.pos = at + line.len();
        if line[0] != prefix {
            self.fail(at, format!("Expected prefix '{}', got: '{}'", prefix as char, line[0] as char));
            return None;
        }
        let digits_end =
            1 + line[1..].iter().position(|b| !(b.is_ascii_digit() || *b == b'-')).unwrap_or(line.len() - 1);
        let n = std::str::from_utf8(&line[1..digits_end]).ok().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        let rest = &line[digits_end..];
        if !self.newline(at, &rest[..rest.len().min(2)]) {
            return None;
        }
        Some(n)
    }

    fn string(&mut self) -> Option<Vec<u8>> {
        let len = self.number(b'$')?;
        let at = self.pos;
        self.epos = at;
        if len < 0 {
            self.fail(at, format!("Expected to read string of {len} bytes, which is not in the suitable range"));
            return None;
        }
        let want = len as usize + 2;
        let got = self.data.len().saturating_sub(at).min(want);
        if got != want {
            self.pos = self.data.len();
            self.fail(at, format!("Expected to read {want} bytes, got {got} bytes"));
            return None;
        }
        let s = self.data[at..at + len as usize].to_vec();
        self.pos = at + want;
        let crlf_at = at + len as usize;
        let data = self.data;
        if !self.newline(at, &data[crlf_at..at + want]) {
            return None;
        }
        Some(s)
    }
}

/// Checks the commands of `data` from `start` (after an RDB preamble, if any).
pub fn check_commands(data: &[u8], start: usize, filename: &str) -> FileCheck {
    let mut r = Reader { data, pos: start, line: 1, error: None, epos: start };
    let mut ok_up_to = start;
    let mut multi = 0i32;
    // Each round consumes input or stops.
    while r.pos < data.len() {
        if multi == 0 {
            ok_up_to = r.pos;
        }
        match data[r.pos] {
            b'#' => {
                r.pos = data[r.pos..].iter().position(|&b| b == b'\n').map_or(data.len(), |i| r.pos + i + 1);
            }
            b'*' => {
                let Some(argc) = r.number(b'*') else { break };
                let mut ok = true;
                for i in 0..argc.max(0) {
                    let Some(arg) = r.string() else {
                        ok = false;
                        break;
                    };
                    if i == 0 && arg.eq_ignore_ascii_case(b"multi") {
                        multi += 1;
                        if multi > 1 {
                            let at = r.pos;
                            r.fail(at, format!("Unexpected MULTI in AOF {filename}"));
                            ok = false;
                            break;
                        }
                    } else if i == 0 && arg.eq_ignore_ascii_case(b"exec") {
                        multi -= 1;
                        if multi != 0 {
                            let at = r.pos;
                            r.fail(at, format!("Unexpected EXEC in AOF {filename}"));
                            ok = false;
                            break;
                        }
                    }
                }
                if !ok {
                    break;
                }
            }
            _ => {
                r.error = Some(format!("AOF {filename} format error"));
                break;
            }
        }
    }
    if r.pos >= data.len() && r.error.is_none() {
        if multi != 0 {
            r.error = Some(format!("0x{:16x}: Reached EOF before reading EXEC for MULTI", r.epos));
        } else {
            ok_up_to = data.len();
        }
    }
    FileCheck { size: data.len() as u64, ok_up_to: ok_up_to as u64, line: r.line, error: r.error, bad_preamble: false }
}

/// Checks one file (RDB preamble, then commands).
pub fn check_file(data: &[u8], filename: &str, now_ms: u64, out: &mut Vec<String>) -> FileCheck {
    let mut start = 0;
    if data.len() >= 8 && data.starts_with(b"REDIS") {
        let report = crate::persist::check::check(filename, data, now_ms);
        out.extend(report.lines);
        match rdb_end(data).filter(|_| report.ok) {
            Some(end) => {
                out.push("RDB preamble is OK, proceeding with AOF tail...".into());
                start = end;
            }
            None => {
                out.push("RDB preamble of AOF file is not sane, aborting.".into());
                return FileCheck { size: data.len() as u64, ok_up_to: 0, line: 0, error: None, bad_preamble: true };
            }
        }
    }
    let check = check_commands(data, start, filename);
    if let Some(e) = &check.error {
        out.push(e.clone());
    }
    out.push(format!(
        "AOF analyzed: filename={filename}, size={}, ok_up_to={}, ok_up_to_line={}, diff={}",
        check.size,
        check.ok_up_to,
        check.line,
        check.diff()
    ));
    check
}

/// The files a manifest names, in load order, with whether each is the last.
pub fn manifest_files(text: &[u8]) -> Result<Vec<(String, bool)>, String> {
    let m = Manifest::parse(text).map_err(|e| e.to_string())?;
    let names: Vec<String> = m.load_order().into_iter().map(|f| f.name.clone()).collect();
    let n = names.len();
    Ok(names.into_iter().enumerate().map(|(i, name)| (name, i + 1 == n)).collect())
}

/// True when the file looks like a manifest (a line starting with `file`).
pub fn is_manifest(data: &[u8]) -> bool {
    data.split(|&b| b == b'\n').any(|l| l.first() != Some(&b'#') && l.starts_with(b"file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: AOF-16
    #[test]
    fn finds_the_first_bad_offset() {
        let good = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let c = check_commands(good, 0, "f");
        assert_eq!((c.ok_up_to, c.diff(), c.error.clone()), (20, 0, None));
        let mut torn = good.to_vec();
        torn.extend_from_slice(b"*1\r\n$4\r\nPI");
        let c = check_commands(&torn, 0, "f");
        assert_eq!(c.ok_up_to, 20);
        assert_eq!(c.error.as_deref(), Some("0x              1c: Expected to read 6 bytes, got 2 bytes"));
        assert_eq!(c.line, 8);
        let mut open = good.to_vec();
        open.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n");
        let c = check_commands(&open, 0, "f");
        assert_eq!(c.ok_up_to, 20);
        assert_eq!(c.error.as_deref(), Some("0x              2b: Reached EOF before reading EXEC for MULTI"));
    }
}
