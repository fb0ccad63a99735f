//! The ACL file (`aclfile`): where ACL LOAD reads users and ACL SAVE writes them. The engine
//! does no I/O itself; the server installs a file-backed store, tests an in-memory one.

use super::catalogue::catalogue;
use super::selector::has_spaces;
use super::{merge_selector_args, SetError, User};
use std::collections::BTreeMap;

pub trait AclFile {
    /// The file's contents, or the OS error text (strerror).
    fn read(&self) -> Result<Vec<u8>, String>;
    /// Replaces the contents; the OS error text on failure.
    fn write(&mut self, text: &[u8]) -> Result<(), String>;
}

/// An ACL file held in memory, for tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryAclFile {
    pub text: Option<Vec<u8>>,
}

impl AclFile for MemoryAclFile {
    fn read(&self) -> Result<Vec<u8>, String> {
        self.text.clone().ok_or_else(|| "No such file or directory".to_string())
    }

    fn write(&mut self, text: &[u8]) -> Result<(), String> {
        self.text = Some(text.to_vec());
        Ok(())
    }
}

/// Parses ACL file text into a complete set of users (Redis's ACLLoadFromFile); `filename`
/// appears in the error texts. On any error, the one-line description of every problem.
/// Without a `default` user in the file, the default user gets its initial rules.
pub fn parse_users(text: &[u8], filename: &str, all_channels: bool) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let _ = catalogue();
    let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let line = trim(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!("{filename}:{line_no} should start with user keyword followed by the username. "));
            continue;
        }
        let name = argv[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{filename}:{line_no}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {line_no}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name, all_channels);
        let rules: Vec<Vec<u8>> = argv[2..].iter().map(|a| a.to_vec()).collect();
        let merged = match merge_selector_args(&rules) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!("{filename}:{line_no}: Unmatched parenthesis in selector definition."));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim(op, b"\t\r\n");
            if let Err(e) = user.apply(op, all_channels) {
                if e == SetError::UnknownCommand {
                    errors.push_str(&format!(
                        "{filename}:{line_no}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.message()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{filename}:{line_no}: {}. ", e.message()));
                    syntax_error = true;
                }
            }
        }
        users.insert(name.to_vec(), user);
    }
    if !errors.is_empty() {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        return Err(errors);
    }
    users.entry(b"default".to_vec()).or_insert_with(User::new_default);
    Ok(users)
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !set.contains(b)).map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// The text ACL SAVE writes: one `user` line per user, in name order.
pub fn users_text(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// The ACL file on disk (installed by the server). ACL SAVE writes a temporary file and renames
/// it over the old one, as Redis does.
pub struct FsAclFile {
    pub path: std::path::PathBuf,
}

impl AclFile for FsAclFile {
    fn read(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.path).map_err(|e| crate::engine::config::host::strerror(&e))
    }

    fn write(&mut self, text: &[u8]) -> Result<(), String> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".tmp-{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e| crate::engine::config::host::strerror(&e))
    }
}
