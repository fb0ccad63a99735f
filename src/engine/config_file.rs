//! Reading redis.conf: the file's text (with `include`d files, supplied by the caller), and the
//! command line turned into more configuration text exactly as Redis's main() does. Pure: bytes
//! in, a `Config` (or Redis's fatal error text) out; the caller does all file and stdin I/O.

use super::config::{lookup, Config, Support, MULTI_ARG, PARAMS};
use super::table_data::COMMANDS;
use crate::resp::split::split_args;
use std::collections::{BTreeMap, BTreeSet};

/// The version Redis prints in its fatal configuration error.
pub const REDIS_VERSION: &str = "7.0.15";

/// Includes nested deeper than this are refused (Redis would recurse until it crashes).
const MAX_INCLUDE_DEPTH: usize = 32;

/// Directives Redis still accepts, and ignores, with exactly two words.
const DEPRECATED: [&str; 3] = ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];

/// Why loading stopped. `message()` is what Redis writes before exiting with status 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The "*** FATAL CONFIG FILE ERROR ***" block (Redis writes it to stderr).
    Fatal(String),
    /// An included file could not be read (Redis logs this at warning level).
    CantOpen { path: String, reason: String },
}

impl LoadError {
    pub fn message(&self) -> String {
        match self {
            LoadError::Fatal(text) => text.clone(),
            LoadError::CantOpen { path, reason } => format!("Fatal error, can't open config file '{path}': {reason}"),
        }
    }
}

/// Redis's fatal configuration error text; `line` is the line number and the (trimmed) line,
/// absent for errors found after the last line.
pub fn fatal_text(line: Option<(usize, &str)>, reason: &str) -> String {
    let mut out = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
    if let Some((n, text)) = line {
        out.push_str(&format!("Reading the configuration file, at line {n}\n>>> '{text}'\n"));
    }
    out.push_str(reason);
    out.push('\n');
    out
}

/// The result of loading a configuration.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub config: Config,
    /// One line per directive verdis accepted without acting on it, for the server's log.
    pub warnings: Vec<String>,
    /// `rename-command` directives, in order (an empty target removes the command).
    pub renamed_commands: Vec<(String, String)>,
    /// The arguments of each `user` directive (after the word `user`).
    pub users: Vec<Vec<Vec<u8>>>,
    /// The arguments of each `loadmodule` directive.
    pub modules: Vec<Vec<Vec<u8>>>,
    /// Module parameters (`name.param value...`), the last one of each name kept.
    pub module_configs: BTreeMap<String, String>,
}

/// Reads the files an `include` names: the contents of each, in order (several for a wildcard
/// pattern, none when a pattern matches nothing), or the OS error text.
pub type IncludeReader<'a> = dyn FnMut(&str) -> Result<Vec<Vec<u8>>, String> + 'a;

/// Loads configuration text onto `base` (usually `Config::default()`, with the server's `dir`
/// hook installed). `include` supplies included files.
pub fn load_config(text: &[u8], base: Config, include: &mut IncludeReader<'_>) -> Result<Loaded, LoadError> {
    let mut loader = Loader {
        loaded: Loaded { config: base, ..Loaded::default() },
        include,
        reading_file: false,
        save_loaded: false,
        touched: BTreeSet::new(),
        removed_commands: BTreeSet::new(),
        added_commands: BTreeSet::new(),
    };
    loader.load_string(text, 0)?;
    loader.collect_warnings();
    Ok(loader.loaded)
}

struct Loader<'a, 'b> {
    loaded: Loaded,
    include: &'a mut IncludeReader<'b>,
    /// Redis's `reading_config_file`: cleared when any (even an included) text is finished.
    reading_file: bool,
    /// Whether a `save` line already replaced the default save points.
    save_loaded: bool,
    /// Parameters the text set.
    touched: BTreeSet<usize>,
    removed_commands: BTreeSet<String>,
    added_commands: BTreeSet<String>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn trim_line(line: &[u8]) -> &[u8] {
    let is_trim = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !is_trim(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !is_trim(b)).map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

impl Loader<'_, '_> {
    /// Redis's loadServerConfigFromString.
    fn load_string(&mut self, text: &[u8], depth: usize) -> Result<(), LoadError> {
        self.reading_file = true;
        let lines: Vec<&[u8]> = if text.is_empty() { Vec::new() } else { text.split(|&b| b == b'\n').collect() };
        for (i, raw) in lines.iter().enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fatal = |reason: &str| LoadError::Fatal(fatal_text(Some((i + 1, &lossy(line))), reason));
            let Some(mut argv) = split_args(line) else {
                return Err(fatal("Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();
            self.directive(&argv, depth).map_err(|reason| match reason {
                DirectiveError::Reason(r) => fatal(&r),
                DirectiveError::Load(e) => e,
            })?;
        }
        if self.loaded.config.cluster_enabled() && self.loaded.config.replicaof().is_some() {
            return Err(LoadError::Fatal(fatal_text(None, "replicaof directive not allowed in cluster mode")));
        }
        self.reading_file = false;
        Ok(())
    }

    fn directive(&mut self, argv: &[Vec<u8>], depth: usize) -> Result<(), DirectiveError> {
        let name = lossy(&argv[0]);
        let argc = argv.len();
        if let Some(found) = lookup(&argv[0]) {
            return self.set_param(found.index, argv).map_err(DirectiveError::Reason);
        }
        if DEPRECATED.contains(&name.as_str()) && argc == 2 {
            return Ok(());
        }
        match name.as_str() {
            "include" if argc == 2 => self.include_file(&lossy(&argv[1]), depth),
            "rename-command" if argc == 3 => {
                self.rename_command(&lossy(&argv[1]), &lossy(&argv[2])).map_err(DirectiveError::Reason)
            }
            "user" if argc >= 2 => {
                self.loaded.users.push(argv[1..].to_vec());
                Ok(())
            }
            "loadmodule" if argc >= 2 => {
                self.loaded.modules.push(argv[1..].to_vec());
                Ok(())
            }
            n if n.contains('.') => {
                if argc < 2 {
                    return Err(DirectiveError::Reason("Module config specified without value".into()));
                }
                let value: Vec<String> = argv[1..].iter().map(|a| lossy(a)).collect();
                self.loaded.module_configs.insert(name.clone(), value.join(" "));
                Ok(())
            }
            // verdis never runs as a sentinel; a bare `sentinel` is ignored as Redis does.
            "sentinel" if argc == 1 => Ok(()),
            "sentinel" => Err(DirectiveError::Reason("sentinel directive while not in sentinel mode".into())),
            _ => Err(DirectiveError::Reason("Bad directive or wrong number of arguments".into())),
        }
    }

    fn set_param(&mut self, index: usize, argv: &[Vec<u8>]) -> Result<(), String> {
        let p = &PARAMS[index];
        let multi = p.has(MULTI_ARG);
        if !multi && argv.len() != 2 {
            return Err("wrong number of arguments".into());
        }
        // A multi-argument parameter given as one quoted word ("--save '900 1'") is split.
        let args: Vec<Vec<u8>> = if multi && argv.len() == 2 && !argv[1].is_empty() {
            split_args(&argv[1]).unwrap_or_default()
        } else {
            argv[1..].to_vec()
        };
        let is_save = p.name == "save";
        let append = is_save && self.reading_file && self.save_loaded;
        self.loaded.config.set_args(index, &args, append)?;
        if is_save && self.reading_file {
            self.save_loaded = true;
        }
        self.touched.insert(index);
        Ok(())
    }

    fn include_file(&mut self, path: &str, depth: usize) -> Result<(), DirectiveError> {
        if depth >= MAX_INCLUDE_DEPTH {
            let reason = "Too many levels of nested include".to_string();
            return Err(DirectiveError::Load(LoadError::CantOpen { path: path.to_string(), reason }));
        }
        let contents = (self.include)(path)
            .map_err(|reason| DirectiveError::Load(LoadError::CantOpen { path: path.to_string(), reason }))?;
        // Redis concatenates every matched file and parses the result as one text.
        let text: Vec<u8> = contents.concat();
        self.load_string(&text, depth + 1).map_err(DirectiveError::Load)
    }

    fn command_exists(&self, lower: &str) -> bool {
        self.added_commands.contains(lower)
            || (!self.removed_commands.contains(lower) && COMMANDS.iter().any(|c| c.name == lower))
    }

    /// Redis's rename-command: the source must exist now, the target must not.
    fn rename_command(&mut self, from: &str, to: &str) -> Result<(), String> {
        let from_lower = from.to_ascii_lowercase();
        if !self.command_exists(&from_lower) {
            return Err("No such command in rename-command".into());
        }
        if !self.added_commands.remove(&from_lower) {
            self.removed_commands.insert(from_lower);
        }
        if !to.is_empty() {
            let to_lower = to.to_ascii_lowercase();
            if self.command_exists(&to_lower) {
                return Err("Target command name already exists".into());
            }
            self.added_commands.insert(to_lower);
        }
        self.loaded.renamed_commands.push((from.to_string(), to.to_string()));
        Ok(())
    }

    fn collect_warnings(&mut self) {
        for &i in &self.touched {
            let p = &PARAMS[i];
            if let Support::Accepted(why) = p.support {
                if !self.loaded.config.is_default(i) {
                    self.loaded.warnings.push(format!("'{}' is accepted but has no effect in verdis: {why}", p.name));
                }
            }
        }
        let mut note = |what: &str, count: usize, why: &str| {
            if count > 0 {
                self.loaded.warnings.push(format!("'{what}' is accepted but has no effect in verdis: {why}"));
            }
        };
        note("rename-command", self.loaded.renamed_commands.len(), "commands keep their names");
        note("loadmodule", self.loaded.modules.len(), "modules are not supported");
        note("<module>.<parameter>", self.loaded.module_configs.len(), "modules are not supported");
    }
}

enum DirectiveError {
    /// A reason for the fatal error at the current line.
    Reason(String),
    /// An error from an included text, already complete.
    Load(LoadError),
}

/// What the command line asks the server to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `-v` / `--version`.
    Version,
    /// `-h` / `--help`.
    Help,
    /// `--test-memory <megabytes>` (the amount is `None` when the argument count is wrong).
    TestMemory(Option<String>),
    /// `--check-system`.
    CheckSystem,
    Run(Startup),
}

/// Where the configuration comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Startup {
    /// The configuration file as given (Redis makes it absolute before reading it).
    pub config_file: Option<String>,
    /// `-` as the first or last argument: also read configuration from standard input.
    pub from_stdin: bool,
    /// The other arguments as configuration text; `None` when there were no arguments at all
    /// (then Redis loads no configuration).
    pub options: Option<String>,
}

/// Turns `argv` (program name first) into an `Invocation`, building the options text exactly as
/// Redis's main() does: `--name` starts a new line, other words are appended quoted, `--save`
/// without a value means `save ""`.
pub fn parse_argv(argv: &[String]) -> Invocation {
    if argv.len() < 2 {
        return Invocation::Run(Startup::default());
    }
    match argv[1].as_str() {
        "-v" | "--version" => return Invocation::Version,
        "--help" | "-h" => return Invocation::Help,
        "--test-memory" => return Invocation::TestMemory(if argv.len() == 3 { Some(argv[2].clone()) } else { None }),
        "--check-system" => return Invocation::CheckSystem,
        _ => {}
    }
    let mut startup = Startup::default();
    let mut j = 1;
    if !argv[1].starts_with('-') {
        startup.config_file = Some(argv[1].clone());
        j = 2;
    }
    let last = argv.len() - 1;
    let mut options = String::new();
    let mut handled_last_value = true;
    while j < argv.len() {
        let arg = argv[j].as_str();
        let next_is_option = j != last && argv[j + 1].starts_with("--");
        if arg == "-" && (j == 1 || j == last) {
            startup.from_stdin = true;
        } else if handled_last_value && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            let words = split_args(arg.as_bytes()).map_or(0, |w| w.len());
            if words == 1 {
                // A bare option name: its value is the next argument.
                handled_last_value = false;
                let is_save = arg.eq_ignore_ascii_case("--save");
                let is_sentinel = arg.eq_ignore_ascii_case("--sentinel");
                if is_save && (next_is_option || j == last) {
                    options.push_str("\"\"");
                    handled_last_value = next_is_option;
                } else if is_sentinel && next_is_option {
                    handled_last_value = true;
                }
            } else {
                // "--port 6380" as one argument carries its own value.
                handled_last_value = true;
            }
        } else {
            options.push_str(&super::config::text::repr(arg.as_bytes()));
            options.push(' ');
            handled_last_value = true;
        }
        j += 1;
    }
    startup.options = Some(options);
    Invocation::Run(startup)
}

/// The text Redis parses at startup: the file, then standard input, then a newline and the
/// command-line options. `None` when Redis would load nothing (no arguments).
pub fn startup_text(startup: &Startup, file: Option<&[u8]>, stdin: Option<&[u8]>) -> Option<Vec<u8>> {
    let options = startup.options.as_ref()?;
    let mut text = Vec::new();
    text.extend_from_slice(file.unwrap_or_default());
    text.extend_from_slice(stdin.unwrap_or_default());
    text.push(b'\n');
    text.extend_from_slice(options.as_bytes());
    Some(text)
}

#[cfg(test)]
mod tests;
