//! Every rule in `specs/rules/*.md` must be cited by at least one test.
//!
//! A citation is a line of a test source containing `rule:` or `rules:`
//! followed by rule IDs. Test sources are the files under `specs/tests/`
//! and the repository's `tests/`, and the `src` files of the spec crate
//! (whose unit tests live next to the code).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Rule IDs look like `STR-12`: an upper-case prefix, a dash, digits.
fn ids_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts_word && bytes[i].is_ascii_uppercase() {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_uppercase() {
                j += 1;
            }
            if bytes.get(j) == Some(&b'-') {
                let mut k = j + 1;
                while k < bytes.len() && bytes[k].is_ascii_digit() {
                    k += 1;
                }
                let ends_word = k == bytes.len() || !bytes[k].is_ascii_alphanumeric();
                if k > j + 1 && ends_word {
                    ids.push(text[i..k].to_string());
                    i = k;
                    continue;
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    ids
}

/// The rule IDs defined in a rule file: `- **ID**: ...` lines.
fn defined_rules(rules_dir: &Path) -> BTreeSet<String> {
    let mut defined = BTreeSet::new();
    for entry in fs::read_dir(rules_dir).expect("rules dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            let text = fs::read_to_string(&path).expect("rule file");
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("- **") {
                    if let Some((id, _)) = rest.split_once("**") {
                        assert!(defined.insert(id.to_string()), "rule {id} defined twice ({})", path.display());
                    }
                }
            }
        }
    }
    defined
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "redis" || e == "txt") {
            out.push(path);
        }
    }
}

fn cited_rules(dirs: &[PathBuf]) -> BTreeSet<String> {
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, &mut files);
    }
    let mut cited = BTreeSet::new();
    for file in files {
        // This file's own examples are not citations.
        if file.file_name().is_some_and(|n| n == "traceability.rs") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for line in text.lines() {
            if line.contains("rule:") || line.contains("rules:") {
                cited.extend(ids_in(line));
            }
        }
    }
    cited
}

#[test]
fn every_rule_is_cited_by_a_test() {
    let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo_dir = spec_dir.parent().expect("repository root");
    let defined = defined_rules(&spec_dir.join("rules"));
    assert!(defined.len() >= 40, "only {} rules found", defined.len());
    let cited = cited_rules(&[spec_dir.join("tests"), spec_dir.join("src"), repo_dir.join("tests")]);
    let uncited: Vec<_> = defined.difference(&cited).collect();
    assert!(uncited.is_empty(), "rules cited by no test: {uncited:?}");
}

#[test]
fn citations_name_existing_rules() {
    let spec_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo_dir = spec_dir.parent().expect("repository root");
    let defined = defined_rules(&spec_dir.join("rules"));
    let cited = cited_rules(&[spec_dir.join("tests"), spec_dir.join("src"), repo_dir.join("tests")]);
    // One prefix a line: helpers add theirs in parallel, and merges stay clean.
    #[rustfmt::skip]
    let prefixes = [
        "PROTO",
        "KEY",
        "EXP",
        "STR",
        "LAZY",
        "BIT",
        "HLL",
        "HASH",
        "SORT",
        "TX",
        "PUBSUB",
        "CLIENT",
        "ACL",
        "GEO",
        "MISCONF",
        "NOTIFY",
        "TRACK",
        "STREAM",
        "AOF",
        "REPL",
        "SCRIPT",
        "EVICT",
        "DEBUG",
    ];
    let unknown: Vec<_> = cited
        .iter()
        .filter(|id| prefixes.iter().any(|p| id.starts_with(&format!("{p}-"))))
        .filter(|id| !defined.contains(*id))
        .collect();
    assert!(unknown.is_empty(), "tests cite undefined rules: {unknown:?}");
}

#[test]
fn id_scanner() {
    assert_eq!(ids_in("// rule: STR-1, KEY-12"), vec!["STR-1", "KEY-12"]);
    assert_eq!(ids_in("EXP-3 aSTR-1 STR-2a STR-"), vec!["EXP-3"]);
}
