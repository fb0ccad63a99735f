//! The AOF manifest (Redis 7.0's aofManifest): which files make up the append-only data, one
//! line per file, `file <name> seq <n> type <b|h|i>`, base first, then history, then incr files.
//! Names that need it are written quoted with C escapes (sdscatrepr) and parsed with the same
//! splitting rules as the configuration file (sdssplitargs).

use crate::engine::config::text::repr;

/// A file's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Base,
    History,
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: i64,
    pub kind: FileKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub history: Vec<AofFile>,
    pub incrs: Vec<AofFile>,
    pub base_seq: i64,
    pub incr_seq: i64,
}

/// The longest manifest line Redis reads (MANIFEST_MAX_LINE).
const MAX_LINE: usize = 1024;

/// Why a manifest was refused (Redis's texts), with the offending line when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub reason: &'static str,
    pub line: Option<(usize, String)>,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((n, text)) = &self.line {
            write!(f, "Reading the manifest file, at line {n}: '{text}': ")?;
        }
        write!(f, "{}", self.reason)
    }
}

/// True when a file name must be quoted in the manifest (sdsneedsrepr).
fn needs_repr(name: &str) -> bool {
    name.bytes().any(|b| matches!(b, b'\\' | b'"') || !(0x21..=0x7e).contains(&b))
}

impl AofFile {
    /// The manifest line for this file (aofInfoFormat).
    pub fn line(&self) -> String {
        let name = if needs_repr(&self.name) { repr(self.name.as_bytes()) } else { self.name.clone() };
        format!("file {name} seq {} type {}\n", self.seq, self.kind.letter())
    }
}

impl Manifest {
    /// The manifest text (getAofManifestAsString).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self.base.iter().chain(&self.history).chain(&self.incrs) {
            out.push_str(&f.line());
        }
        out
    }

    /// Parses a manifest (aofLoadManifestFromFile).
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut max_seq = 0i64;
        if text.is_empty() {
            return Err(ManifestError { reason: "Found an empty AOF manifest", line: None });
        }
        let mut rest = text;
        let mut linenum = 0usize;
        while !rest.is_empty() {
            let (raw, has_newline) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let r = &rest[..=i];
                    rest = &rest[i + 1..];
                    (r, true)
                }
                None => {
                    let r = rest;
                    rest = &[];
                    (r, false)
                }
            };
            linenum += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            if !has_newline || raw.len() > MAX_LINE {
                return Err(ManifestError { reason: "The AOF manifest file contains too long line", line: None });
            }
            let trimmed = String::from_utf8_lossy(raw).trim_matches([' ', '\t', '\r', '\n']).to_string();
            let fail = |reason| ManifestError { reason, line: Some((linenum, trimmed.clone())) };
            if trimmed.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let args = crate::resp::split::split_args(trimmed.as_bytes()).unwrap_or_default();
            if args.len() < 6 || args.len() % 2 == 1 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            for pair in args.chunks_exact(2) {
                let key = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                match key.as_str() {
                    "file" => {
                        if value.contains('/') {
                            return Err(fail("File can't be a path, just a filename"));
                        }
                        name = Some(value);
                    }
                    "seq" => seq = atoll(&value),
                    "type" => kind = value.chars().next(),
                    _ => {}
                }
            }
            let (Some(name), true, Some(kind)) = (name.filter(|n| !n.is_empty()), seq != 0, kind) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            match kind {
                'b' => {
                    if m.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(AofFile { name, seq, kind: FileKind::Base });
                }
                'h' => m.history.push(AofFile { name, seq, kind: FileKind::History }),
                'i' => {
                    if seq <= max_seq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    max_seq = seq;
                    m.incr_seq = seq;
                    m.incrs.push(AofFile { name, seq, kind: FileKind::Incr });
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
        if linenum == 0 {
            return Err(ManifestError { reason: "Found an empty AOF manifest", line: None });
        }
        Ok(m)
    }

    /// A new base file name; the current base becomes history
    /// (getNewBaseFileNameAndMarkPreAsHistory).
    pub fn new_base(&mut self, filename: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let name = format!("{filename}.{}.base.{}", self.base_seq, if rdb { "rdb" } else { "aof" });
        self.base = Some(AofFile { name: name.clone(), seq: self.base_seq, kind: FileKind::Base });
        name
    }

    /// A new incr file name, appended to the incr list (getNewIncrAofName).
    pub fn new_incr(&mut self, filename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{filename}.{}.incr.aof", self.incr_seq);
        self.incrs.push(AofFile { name: name.clone(), seq: self.incr_seq, kind: FileKind::Incr });
        name
    }

    /// After a rewrite: every incr file but the last (the one written since the rewrite started)
    /// becomes history (markRewrittenIncrAofAsHistory).
    /// The history list grows at its head, newest first, as Redis's does.
    pub fn mark_rewritten_incrs_as_history(&mut self) {
        let keep = self.incrs.pop();
        self.all_incrs_to_history();
        self.incrs.extend(keep);
    }

    /// Every incr file becomes history (a rewrite while the AOF is off).
    pub fn all_incrs_to_history(&mut self) {
        while let Some(mut f) = self.incrs.pop() {
            f.kind = FileKind::History;
            self.history.insert(0, f);
        }
    }

    /// The files loaded at start-up, in order: base then incrs.
    pub fn load_order(&self) -> Vec<&AofFile> {
        self.base.iter().chain(&self.incrs).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }
}

/// C's atoll: leading digits, 0 when there are none.
fn atoll(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: AOF-5
    #[test]
    fn round_trip_and_names() {
        let mut m = Manifest::default();
        assert_eq!(m.new_base("appendonly.aof", true), "appendonly.aof.1.base.rdb");
        assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        // The exact text Redis 7.0.15 wrote in a fresh appendonlydir.
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        assert_eq!(Manifest::parse(m.to_text().as_bytes()).unwrap(), m);
        m.new_incr("appendonly.aof");
        m.new_base("appendonly.aof", false);
        m.mark_rewritten_incrs_as_history();
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let quoted = AofFile { name: "a b".into(), seq: 3, kind: FileKind::Incr };
        assert_eq!(quoted.line(), "file \"a b\" seq 3 type i\n");
        assert_eq!(Manifest::parse(quoted.line().as_bytes()).unwrap().incrs[0].name, "a b");
    }

    // rule: AOF-5
    #[test]
    fn refusals() {
        let reason = |t: &str| Manifest::parse(t.as_bytes()).unwrap_err().reason;
        assert_eq!(reason(""), "Found an empty AOF manifest");
        assert_eq!(reason("\n"), "Invalid AOF manifest file format");
        assert_eq!(reason("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(reason("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(reason("file a/b seq 1 type b\n"), "File can't be a path, just a filename");
        assert_eq!(reason("file a seq 1 type b\nfile b seq 2 type b\n"), "Found duplicate base file information");
        assert_eq!(reason("file a seq 2 type i\nfile b seq 2 type i\n"), "Found a non-monotonic sequence number");
        assert_eq!(reason("file a seq 1 type i"), "The AOF manifest file contains too long line");
        assert!(Manifest::parse(b"# comment\nfile a seq 1 type i extra 1\n").is_ok());
    }
}
