//! File-system helpers for the server: the engine never calls these (it is sans-IO); the server
//! plugs them in where Redis touches the file system for its configuration: the `dir` hook,
//! `include` with glob patterns, and the file behind CONFIG REWRITE.

use super::ConfigStore;
use std::path::{Path, PathBuf};

/// The C strerror text of an I/O error (Rust's " (os error N)" suffix removed).
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// A `dir` hook: enters the directory and returns the new working directory, as Redis's chdir
/// followed by getcwd.
pub fn os_chdir(path: &str) -> Result<String, String> {
    std::env::set_current_dir(path).map_err(|e| strerror(&e))?;
    let cwd = std::env::current_dir().map_err(|e| strerror(&e))?;
    Ok(cwd.to_string_lossy().into_owned())
}

/// Reads what an `include` names. Without wildcard characters the file must exist; with them
/// (`*`, `?`, `[`) the matching files are read in sorted order, and no match is no error.
pub fn read_include(path: &str) -> Result<Vec<Vec<u8>>, String> {
    if !path.contains(['*', '?', '[']) {
        return std::fs::read(path).map(|c| vec![c]).map_err(|e| strerror(&e));
    }
    let mut contents = Vec::new();
    for file in glob_paths(path) {
        contents.push(std::fs::read(&file).map_err(|e| strerror(&e))?);
    }
    Ok(contents)
}

/// glob(3) for the patterns redis.conf uses: each path component may hold wildcards; names
/// starting with a dot only match a pattern that starts with one; results sorted bytewise.
fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut current: Vec<PathBuf> = vec![if absolute { PathBuf::from("/") } else { PathBuf::new() }];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &current {
            if !component.contains(['*', '?', '[']) {
                next.push(base.join(component));
                continue;
            }
            let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base.as_path() };
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<String> =
                entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.retain(|n| (!n.starts_with('.') || component.starts_with('.')) && fnmatch(component, n));
            names.sort_unstable();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        current = next;
    }
    current.retain(|p| p.exists());
    current
}

/// fnmatch(3) without flags: `*`, `?`, `[...]` (with `!` or `^` negation and ranges), `\` escapes.
fn fnmatch(pattern: &str, name: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let step = match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, si));
                pi += 1;
                continue;
            }
            Some(b'?') => Some(pi + 1),
            Some(b'[') => class(p, pi, s[si]),
            Some(b'\\') if pi + 1 < p.len() => (p[pi + 1] == s[si]).then_some(pi + 2),
            Some(&c) => (c == s[si]).then_some(pi + 1),
            None => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                si += 1;
            }
            (None, Some((after, start))) => {
                star = Some((after, start + 1));
                pi = after;
                si = start + 1;
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A bracket expression at `p[open]`: the index after it when `c` matches.
fn class(p: &[u8], open: usize, c: u8) -> Option<usize> {
    let mut i = open + 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != b']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    if i >= p.len() {
        // No closing bracket: the `[` is an ordinary character.
        return (c == b'[').then_some(open + 1);
    }
    (matched != negate).then_some(i + 1)
}

/// The configuration file behind CONFIG REWRITE, replaced atomically through a temporary file
/// in the same directory, as Redis's rewriteConfigOverwriteFile does.
pub struct FileConfigStore {
    pub path: PathBuf,
}

impl ConfigStore for FileConfigStore {
    fn read(&self) -> std::io::Result<Option<String>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write(&mut self, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_rules() {
        assert!(fnmatch("*.conf", "a.conf") && fnmatch("a?c", "abc") && fnmatch("[a-c]x", "bx"));
        assert!(fnmatch("[!a]x", "bx") && !fnmatch("[!a]x", "ax") && fnmatch("[]]", "]") && fnmatch("a[", "a["));
        assert!(!fnmatch("*.conf", "a.confx") && fnmatch("*", "") && fnmatch("\\*", "*"));
    }

    #[test]
    fn include_and_store_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_string_lossy().into_owned();
        std::fs::write(dir.path().join("b.conf"), "hz 2\n").unwrap();
        std::fs::write(dir.path().join("a.conf"), "hz 1\n").unwrap();
        std::fs::write(dir.path().join(".hidden.conf"), "hz 3\n").unwrap();
        let got = read_include(&format!("{base}/*.conf")).unwrap();
        assert_eq!(got, vec![b"hz 1\n".to_vec(), b"hz 2\n".to_vec()]);
        assert_eq!(read_include(&format!("{base}/none/*.conf")).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(read_include(&format!("{base}/missing.conf")), Err("No such file or directory".to_string()));
        let mut store = FileConfigStore { path: dir.path().join("redis.conf") };
        assert_eq!(store.read().unwrap(), None);
        store.write("port 1\n").unwrap();
        assert_eq!(store.read().unwrap().as_deref(), Some("port 1\n"));
    }
}
