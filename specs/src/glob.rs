//! Redis's glob patterns (KEYS, SCAN MATCH), case-sensitive.
//!
//! The pattern is first cut into tokens, then matched by dynamic
//! programming. The quirks of Redis's matcher are part of the semantics:
//! - a trailing lone backslash is a literal backslash;
//! - a class missing its `]` extends to the end of the pattern;
//! - in a class, `x-y` is a range even when `y` is `]`, ranges may be given
//!   backwards, and compare bytes as C's signed `char`;
//! - `[^` at the end of a pattern matches any one byte, `[` matches none;
//! - the empty string matches only the empty pattern (`KEYS *` still lists
//!   the empty key, because KEYS skips matching for the exact pattern `*`).

/// One pattern element.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `*`: any run of bytes, possibly empty.
    Star,
    /// `?`: any single byte.
    Any,
    /// `[...]`: one byte in (or, negated, not in) the listed items.
    Class { negated: bool, items: Vec<ClassItem> },
    /// A byte matched exactly.
    Byte(u8),
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Byte(u8),
    /// Inclusive range over signed-char values, already ordered.
    Range(i8, i8),
}

fn tokenize(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {
                tokens.push(Token::Star);
                i += 1;
            }
            b'?' => {
                tokens.push(Token::Any);
                i += 1;
            }
            b'\\' if i + 1 < pattern.len() => {
                tokens.push(Token::Byte(pattern[i + 1]));
                i += 2;
            }
            b'[' => {
                let (token, next) = class(pattern, i + 1);
                tokens.push(token);
                i = next;
            }
            other => {
                tokens.push(Token::Byte(other));
                i += 1;
            }
        }
    }
    tokens
}

/// Parses a class body starting at `i` (just after `[`); returns the token
/// and the index after the class.
fn class(p: &[u8], mut i: usize) -> (Token, usize) {
    let negated = p.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    loop {
        let remaining = p.len().saturating_sub(i);
        if remaining == 0 {
            break;
        }
        if p[i] == b'\\' && remaining >= 2 {
            items.push(ClassItem::Byte(p[i + 1]));
            i += 2;
        } else if p[i] == b']' {
            i += 1;
            break;
        } else if remaining >= 3 && p[i + 1] == b'-' {
            let (a, b) = (p[i] as i8, p[i + 2] as i8);
            items.push(ClassItem::Range(a.min(b), a.max(b)));
            i += 3;
        } else {
            items.push(ClassItem::Byte(p[i]));
            i += 1;
        }
    }
    (Token::Class { negated, items }, i)
}

fn token_matches(token: &Token, byte: u8) -> bool {
    match token {
        Token::Star => true,
        Token::Any => true,
        Token::Byte(b) => *b == byte,
        Token::Class { negated, items } => {
            let hit = items.iter().any(|item| match item {
                ClassItem::Byte(b) => *b == byte,
                ClassItem::Range(lo, hi) => (*lo..=*hi).contains(&(byte as i8)),
            });
            hit != *negated
        }
    }
}

/// True when `subject` matches the glob `pattern` as Redis's KEYS/SCAN would.
pub fn matches(pattern: &[u8], subject: &[u8]) -> bool {
    if subject.is_empty() {
        return pattern.is_empty();
    }
    let tokens = tokenize(pattern);
    // ok[t][s]: tokens[t..] match subject[s..].
    let (nt, ns) = (tokens.len(), subject.len());
    let mut ok = vec![vec![false; ns + 1]; nt + 1];
    ok[nt][ns] = true;
    for t in (0..nt).rev() {
        for s in (0..=ns).rev() {
            ok[t][s] = match tokens[t] {
                Token::Star => ok[t + 1][s] || (s < ns && ok[t][s + 1]),
                ref single => s < ns && token_matches(single, subject[s]) && ok[t + 1][s + 1],
            };
        }
    }
    ok[0][0]
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn glob_basics_and_quirks() {
        // rule: KEY-15
        assert!(matches(b"h?llo", b"hello"));
        assert!(matches(b"h*llo", b"hllo"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"h[b-a]llo", b"hbllo"));
        assert!(matches(b"a\\*", b"a*"));
        assert!(!matches(b"a\\*", b"ab"));
        assert!(matches(b"a\\", b"a\\"));
        assert!(matches(b"[^", b"k"));
        assert!(!matches(b"[", b"k"));
        assert!(matches(b"[abc", b"b"));
        // "a-]" is the range ']'..'a', and the class is then unterminated.
        assert!(matches(b"[a-]", b"_"));
        assert!(!matches(b"[a-]", b"b"));
        assert!(!matches(b"**", b""));
        assert!(matches(b"", b""));
        assert!(matches(b"a*", b"a"));
        // Signed-char ranges: 0x80.. sort below ASCII.
        assert!(matches(b"[\x80-a]", b"A"));
        assert!(!matches(b"[a-\x80]", b"z"));
    }
}
