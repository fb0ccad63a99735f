//! Expectation scripts: commands with the replies real Redis gives.
//!
//! The scripts under `specs/tests/scripts/` are run against the model by the
//! crate's tests, and against a real redis-server by the ignored oracle
//! test, which is how their expectations were verified. They can be run
//! against any [`System`], e.g. the engine.
//!
//! Syntax, one item per line:
//! - `# text`: a comment; `# rule: STR-1, STR-2` cites rules.
//! - `@client N`: later commands come from connection N.
//! - `@sleep MS`: the clock moves MS milliseconds (a real server sleeps).
//! - `ARG ARG ... => EXPECT`: a command and its expected reply. Arguments
//!   are separated by spaces; `"..."` quotes (escapes `\"`, `\\`, `\r`,
//!   `\n`, `\t`, `\0`, `\xHH`).
//!
//! Expectations: `+STATUS`, `-ERROR TEXT` (to the end of the line; or
//! `-"ERROR TEXT "` to keep trailing spaces), `:N`,
//! `:A..B` (an integer in a range; inside arrays and maps the `:` may be
//! left out), `"bulk"`, `(nil)`, `(nilarray)`, `(double) 1.5` (a double: RESP2's
//! `%.17g` bulk string also matches),
//! `[a, b]` (an array), `~[a, b]` (an array in any order), `{k: v}` (a map;
//! a flat array also matches), `*` (anything).
//!
//! `{now_ms}`, `{now_s}`, `{now_ms+N}`, `{now_s-N}` (and so on) in arguments
//! and integer expectations stand for the system's clock when the line runs.

use crate::harness::System;
use crate::reply::Reply;

/// An expected reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Exactly this reply.
    Exact(Reply),
    /// An integer in this inclusive range.
    IntRange(i64, i64),
    /// An array with these elements in any order.
    Unordered(Vec<Expect>),
    /// An array with these elements in this order.
    Array(Vec<Expect>),
    /// A map (or its RESP2 flat-array form).
    Map(Vec<(Expect, Expect)>),
    /// Any reply.
    Any,
}

impl Expect {
    /// True when `reply` satisfies the expectation.
    pub fn matches(&self, reply: &Reply) -> bool {
        match (self, reply) {
            (Expect::Any, _) => true,
            // A double is a bulk string in RESP2: its `%.17g` text.
            (Expect::Exact(Reply::Double(d)), Reply::Bulk(text)) => crate::reply::format_double(*d).as_bytes() == text,
            (Expect::Exact(want), got) => want == got,
            (Expect::IntRange(lo, hi), Reply::Int(n)) => (lo..=hi).contains(&n),
            (Expect::Array(want), Reply::Array(got)) | (Expect::Array(want), Reply::Set(got)) => {
                want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.matches(g))
            }
            (Expect::Unordered(want), Reply::Array(got) | Reply::Set(got)) => {
                // Greedy matching is enough for the literal elements used here.
                let mut left: Vec<&Reply> = got.iter().collect();
                want.len() == got.len()
                    && want.iter().all(|w| match left.iter().position(|g| w.matches(g)) {
                        Some(i) => {
                            left.remove(i);
                            true
                        }
                        None => false,
                    })
            }
            (Expect::Map(want), Reply::Map(got)) => {
                want.len() == got.len()
                    && want.iter().zip(got).all(|((wk, wv), (gk, gv))| wk.matches(gk) && wv.matches(gv))
            }
            (Expect::Map(want), Reply::Array(flat)) => {
                flat.len() == want.len() * 2
                    && want
                        .iter()
                        .zip(flat.chunks(2))
                        .all(|((wk, wv), pair)| wk.matches(&pair[0]) && wv.matches(&pair[1]))
            }
            _ => false,
        }
    }
}

/// One line of a script.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// Switch connection.
    Client(u64),
    /// Advance the clock.
    Sleep(u64),
    /// Run a command (arguments may hold clock placeholders) and check.
    Command {
        /// Line number (1-based), for messages.
        line: usize,
        /// Raw argument tokens.
        args: Vec<Vec<u8>>,
        /// The expectation text (clock placeholders are expanded when run).
        expect: String,
    },
}

/// Splits a command line into unquoted tokens; returns the tokens and the
/// text after an unquoted `=>`.
fn tokenize(line: &str) -> Result<(Vec<Vec<u8>>, Option<String>), String> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'=' if bytes.get(i + 1) == Some(&b'>') => {
                return Ok((tokens, Some(line[i + 2..].trim().to_string())));
            }
            b'"' => {
                let (tok, next) = quoted(bytes, i)?;
                tokens.push(tok);
                i = next;
            }
            _ => {
                let start = i;
                while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
                    i += 1;
                }
                tokens.push(bytes[start..i].to_vec());
            }
        }
    }
    Ok((tokens, None))
}

/// Reads a quoted string starting at `start` (the opening quote); returns the
/// bytes and the index after the closing quote.
fn quoted(b: &[u8], start: usize) -> Result<(Vec<u8>, usize), String> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => return Err("unterminated quote".into()),
            Some(b'"') => return Ok((out, i + 1)),
            Some(b'\\') => {
                let c = *b.get(i + 1).ok_or("dangling backslash")?;
                i += 2;
                out.push(match c {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'0' => 0,
                    b'x' => {
                        let hex = b.get(i..i + 2).ok_or("short \\x escape")?;
                        i += 2;
                        u8::from_str_radix(std::str::from_utf8(hex).map_err(|e| e.to_string())?, 16)
                            .map_err(|e| e.to_string())?
                    }
                    other => other,
                });
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Parses a script.
pub fn parse(text: &str) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: {raw}", n + 1);
        if let Some(rest) = line.strip_prefix("@client ") {
            lines.push(Line::Client(rest.trim().parse().map_err(|_| bad("bad client"))?));
        } else if let Some(rest) = line.strip_prefix("@sleep ") {
            lines.push(Line::Sleep(rest.trim().parse().map_err(|_| bad("bad sleep"))?));
        } else {
            let (args, expect) = tokenize(line).map_err(|e| bad(&e))?;
            let expect = expect.ok_or_else(|| bad("missing =>"))?;
            if args.is_empty() {
                return Err(bad("empty command"));
            }
            lines.push(Line::Command { line: n + 1, args, expect });
        }
    }
    Ok(lines)
}

/// Replaces `{now_ms}`, `{now_s}`, `{now_ms+N}`, `{now_s-N}` with values.
pub fn expand_clock(text: &[u8], now_ms: u64) -> Vec<u8> {
    let s = String::from_utf8_lossy(text);
    if !s.contains("{now_") {
        return text.to_vec();
    }
    let mut out = String::new();
    let mut rest: &str = &s;
    while let Some(start) = rest.find("{now_") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        out.push_str(&clock_value(inner, now_ms).unwrap_or_else(|| format!("{{{inner}}}")));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn clock_value(inner: &str, now_ms: u64) -> Option<String> {
    let (base, tail) = if let Some(t) = inner.strip_prefix("now_ms") {
        (now_ms as i64, t)
    } else if let Some(t) = inner.strip_prefix("now_s") {
        ((now_ms / 1000) as i64, t)
    } else {
        return None;
    };
    let offset: i64 = match tail.chars().next() {
        None => 0,
        Some('+') => tail[1..].parse().ok()?,
        Some('-') => -tail[1..].parse::<i64>().ok()?,
        Some(_) => return None,
    };
    Some((base + offset).to_string())
}

/// Parses an expectation.
pub fn parse_expect(text: &str) -> Result<Expect, String> {
    let text = text.trim();
    if let Some(quoted_err) = text.strip_prefix("-\"") {
        // -"..." keeps trailing spaces that a plain line would lose.
        let bytes = format!("\"{quoted_err}");
        let (err, _) = quoted(bytes.as_bytes(), 0)?;
        return Ok(Expect::Exact(Reply::Error(String::from_utf8_lossy(&err).into_owned())));
    }
    if let Some(err) = text.strip_prefix('-') {
        return Ok(Expect::Exact(Reply::Error(err.to_string())));
    }
    let mut p = ExpectParser { s: text.as_bytes(), i: 0 };
    let e = p.value()?;
    p.skip_ws();
    if p.i != p.s.len() {
        return Err(format!("trailing text in expectation {text:?}"));
    }
    Ok(e)
}

struct ExpectParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl ExpectParser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| *c == b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A bare word up to a delimiter.
    fn word(&mut self) -> String {
        let start = self.i;
        while self.s.get(self.i).is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b' ' | b':')) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn list(&mut self, close: u8) -> Result<Vec<Expect>, String> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Ok(items);
        }
        loop {
            items.push(self.value()?);
            if self.eat(close) {
                return Ok(items);
            }
            if !self.eat(b',') {
                return Err("expected ',' in list".into());
            }
        }
    }

    fn value(&mut self) -> Result<Expect, String> {
        self.skip_ws();
        let rest = &self.s[self.i..];
        if rest.starts_with(b"(nil)") {
            self.i += 5;
            return Ok(Expect::Exact(Reply::Nil));
        }
        if rest.starts_with(b"(nilarray)") {
            self.i += 10;
            return Ok(Expect::Exact(Reply::NilArray));
        }
        if rest.starts_with(b"(double)") {
            self.i += 8;
            self.skip_ws();
            let w = self.word();
            let d: f64 = w.parse().map_err(|_| format!("bad double {w}"))?;
            return Ok(Expect::Exact(Reply::Double(d)));
        }
        match rest.first() {
            Some(b'*') => {
                self.i += 1;
                Ok(Expect::Any)
            }
            Some(b'"') => {
                let (bytes, next) = quoted(self.s, self.i)?;
                self.i = next;
                Ok(Expect::Exact(Reply::Bulk(bytes)))
            }
            Some(b'+') => {
                self.i += 1;
                Ok(Expect::Exact(Reply::Status(self.word())))
            }
            Some(b':') | Some(b'0'..=b'9') | Some(b'-') => {
                if rest.first() == Some(&b':') {
                    self.i += 1;
                }
                let w = self.word();
                if let Some((a, b)) = w.split_once("..") {
                    let lo = a.parse().map_err(|_| format!("bad int {a}"))?;
                    let hi = b.parse().map_err(|_| format!("bad int {b}"))?;
                    Ok(Expect::IntRange(lo, hi))
                } else {
                    Ok(Expect::Exact(Reply::Int(w.parse().map_err(|_| format!("bad int {w}"))?)))
                }
            }
            Some(b'~') => {
                self.i += 1;
                if !self.eat(b'[') {
                    return Err("expected [ after ~".into());
                }
                Ok(Expect::Unordered(self.list(b']')?))
            }
            Some(b'[') => {
                self.i += 1;
                Ok(Expect::Array(self.list(b']')?))
            }
            Some(b'{') => {
                self.i += 1;
                let mut pairs = Vec::new();
                if self.eat(b'}') {
                    return Ok(Expect::Map(pairs));
                }
                loop {
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return Err("expected ':' in map".into());
                    }
                    let v = self.value()?;
                    pairs.push((k, v));
                    if self.eat(b'}') {
                        return Ok(Expect::Map(pairs));
                    }
                    if !self.eat(b',') {
                        return Err("expected ',' in map".into());
                    }
                }
            }
            _ => Err(format!("cannot parse expectation at {:?}", String::from_utf8_lossy(rest))),
        }
    }
}

/// A system that can also tell time and wait (for scripts).
pub trait Clocked: System {
    /// The clock the next command runs at, given the script's virtual clock.
    fn now(&mut self, virtual_ms: u64) -> u64 {
        virtual_ms
    }
    /// Called for `@sleep`; a real server sleeps here.
    fn sleep(&mut self, _ms: u64) {}
}

/// Runs a script against `sys`, starting the virtual clock at `start_ms`.
/// Returns every failing line.
pub fn run(text: &str, sys: &mut impl Clocked, start_ms: u64) -> Result<(), Vec<String>> {
    let lines = parse(text).map_err(|e| vec![e])?;
    let mut clock = start_ms;
    let mut client = 0;
    let mut failures = Vec::new();
    for line in lines {
        match line {
            Line::Client(c) => client = c,
            Line::Sleep(ms) => {
                sys.sleep(ms);
                clock += ms;
            }
            Line::Command { line, args, expect } => {
                let now = sys.now(clock);
                let argv: Vec<Vec<u8>> = args.iter().map(|a| expand_clock(a, now)).collect();
                let expect_text = String::from_utf8_lossy(&expand_clock(expect.as_bytes(), now)).into_owned();
                let reply = sys.execute(client, &argv, now);
                match parse_expect(&expect_text) {
                    Ok(e) if e.matches(&reply) => {}
                    Ok(_) => failures.push(format!("line {line}: expected {expect_text}, got {reply}")),
                    Err(err) => failures.push(format!("line {line}: {err}")),
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

impl System for crate::Model {
    fn execute(&mut self, client: u64, argv: &[Vec<u8>], now_ms: u64) -> Reply {
        self.apply(client, argv, now_ms)
    }

    fn snapshot(
        &mut self,
        db: usize,
        now_ms: u64,
    ) -> Option<std::collections::BTreeMap<Vec<u8>, crate::model::KeyState>> {
        Some(self.keys(db, now_ms))
    }

    fn advance(&mut self, now_ms: u64) {
        self.time_passes(now_ms);
    }

    fn take_deliveries(&mut self) -> Vec<(u64, Reply)> {
        crate::Model::take_deliveries(self)
    }
}

impl Clocked for crate::Model {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_expectations() {
        assert_eq!(parse_expect("+OK").unwrap(), Expect::Exact(Reply::ok()));
        assert_eq!(parse_expect("-ERR syntax error").unwrap(), Expect::Exact(Reply::err("syntax error")));
        assert_eq!(parse_expect(":5..7").unwrap(), Expect::IntRange(5, 7));
        let e = parse_expect(r#"{"matches": [[[4, 7], [5, 8]]], "len": :6}"#).unwrap();
        assert!(matches!(e, Expect::Map(ref p) if p.len() == 2));
        assert!(parse_expect(r#"~["a", "b"]"#)
            .unwrap()
            .matches(&Reply::Array(vec![Reply::bulk("b"), Reply::bulk("a")])));
        assert_eq!(expand_clock(b"{now_s+10}", 5_000), b"15".to_vec());
        assert_eq!(expand_clock(b"x{now_ms-1}y", 5_000), b"x4999y".to_vec());
    }
}
