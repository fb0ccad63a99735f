//! Loader tests; the fatal texts are what the reference redis-server printed for the same input.

use super::*;

fn args(list: &[&str]) -> Vec<String> {
    std::iter::once("verdis-server").chain(list.iter().copied()).map(String::from).collect()
}

fn no_include(path: &str) -> Result<Vec<Vec<u8>>, String> {
    Err(format!("no include expected ({path})"))
}

fn load(text: &str) -> Result<Loaded, LoadError> {
    load_config(text.as_bytes(), Config::default(), &mut no_include)
}

/// Loads a command line (without a file) as Redis's main() would.
fn load_argv(list: &[&str]) -> Result<Loaded, LoadError> {
    let Invocation::Run(startup) = parse_argv(&args(list)) else { panic!("not a run") };
    let text = startup_text(&startup, None, None).unwrap_or_default();
    load_config(&text, Config::default(), &mut no_include)
}

fn fatal(line: usize, text: &str, reason: &str) -> LoadError {
    LoadError::Fatal(format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{reason}\n"
    ))
}

fn save_of(l: &Loaded) -> String {
    String::from_utf8(l.config.get(index_of_save())).unwrap()
}

fn index_of_save() -> usize {
    crate::engine::config::index_of("save")
}

#[test]
fn argv_becomes_config_text() {
    let run = |list: &[&str]| match parse_argv(&args(list)) {
        Invocation::Run(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(run(&[]), Startup::default());
    let s = run(&["redis.conf", "--port", "7000", "--save", "", "--bind", "a", "b"]);
    assert_eq!(s.config_file.as_deref(), Some("redis.conf"));
    assert_eq!(s.options.as_deref(), Some("port \"7000\" \nsave \"\" \nbind \"a\" \"b\" "));
    assert_eq!(run(&["--save", "--port", "1"]).options.as_deref(), Some("save \"\"\nport \"1\" "));
    assert_eq!(run(&["--port", "1", "--save"]).options.as_deref(), Some("port \"1\" \nsave \"\""));
    assert_eq!(run(&["--port 7000", "--hz", "5"]).options.as_deref(), Some("port 7000 \nhz \"5\" "));
    assert_eq!(run(&["--maxmemory", "--1mb"]).options.as_deref(), Some("maxmemory \"--1mb\" "));
    let stdin = run(&["-", "--port", "1"]);
    assert!(stdin.from_stdin && stdin.config_file.is_none());
    let stdin_last = run(&["f.conf", "--port", "1", "-"]);
    assert!(stdin_last.from_stdin);
    assert_eq!(run(&["f.conf", "-", "--port", "1"]).options.as_deref(), Some("\"-\" \nport \"1\" "));
    assert_eq!(parse_argv(&args(&["-v"])), Invocation::Version);
    assert_eq!(parse_argv(&args(&["--help"])), Invocation::Help);
    assert_eq!(parse_argv(&args(&["--test-memory"])), Invocation::TestMemory(None));
    assert_eq!(parse_argv(&args(&["--check-system"])), Invocation::CheckSystem);
}

#[test]
fn startup_text_joins_file_stdin_and_options() {
    let s = Startup { config_file: Some("f".into()), from_stdin: true, options: Some("port \"1\" ".into()) };
    assert_eq!(startup_text(&s, Some(b"hz 5\n"), Some(b"save \"\"\n")).unwrap(), b"hz 5\nsave \"\"\n\nport \"1\" ");
    assert_eq!(startup_text(&Startup::default(), None, None), None);
}

#[test]
fn fatal_errors_match_redis() {
    assert_eq!(
        load_argv(&["--port", "abc"]).unwrap_err(),
        fatal(2, "port \"abc\"", "argument couldn't be parsed into an integer")
    );
    assert_eq!(
        load("port 7405\nfoo bar\n").unwrap_err(),
        fatal(2, "foo bar", "Bad directive or wrong number of arguments")
    );
    assert_eq!(
        load_argv(&["--port", "7405", "--maxmemory", "-1"]).unwrap_err(),
        fatal(3, "maxmemory \"-1\"", "argument must be a memory value")
    );
    assert_eq!(
        load_argv(&["--save", "1", "2", "3"]).unwrap_err(),
        fatal(2, "save \"1\" \"2\" \"3\"", "Invalid save parameters")
    );
    assert_eq!(load_argv(&["--hz"]).unwrap_err(), fatal(2, "hz", "wrong number of arguments"));
    assert_eq!(
        load("rename-command NOPE x").unwrap_err(),
        fatal(1, "rename-command NOPE x", "No such command in rename-command")
    );
    assert_eq!(
        load("rename-command get set").unwrap_err(),
        fatal(1, "rename-command get set", "Target command name already exists")
    );
    assert_eq!(
        load("sentinel monitor x").unwrap_err(),
        fatal(1, "sentinel monitor x", "sentinel directive while not in sentinel mode")
    );
    assert_eq!(load("a.b").unwrap_err(), fatal(1, "a.b", "Module config specified without value"));
    assert_eq!(
        load("list-max-ziplist-entries 5\nlist-max-ziplist-value 5 6\n").unwrap_err(),
        fatal(2, "list-max-ziplist-value 5 6", "Bad directive or wrong number of arguments")
    );
    assert_eq!(load("  foo \"bar\t\r").unwrap_err(), fatal(1, "foo \"bar", "Unbalanced quotes in configuration line"));
    assert_eq!(
        load("unixsocketperm 999").unwrap_err(),
        fatal(1, "unixsocketperm 999", "argument couldn't be parsed as an octal number")
    );
    assert_eq!(
        load("unixsocketperm 1777").unwrap_err(),
        fatal(1, "unixsocketperm 1777", "argument must be between 0 and 777 inclusive")
    );
    assert_eq!(load("replicaof host 70000").unwrap_err(), fatal(1, "replicaof host 70000", "Invalid master port"));
    assert_eq!(
        load("appendfilename \"\"").unwrap_err(),
        fatal(1, "appendfilename \"\"", "appendfilename can't be empty")
    );
    assert_eq!(
        load("cluster-enabled yes\nreplicaof h 1\n").unwrap_err().message(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n"
    );
}

#[test]
fn comments_blank_lines_quotes_and_case() {
    let l = load("# comment\n\n   \n  PORT 7001  \r\nrequirepass \"a b\\x41\"\n  # indented comment\nHz 7").unwrap();
    assert_eq!(l.config.port, 7001);
    assert_eq!(l.config.requirepass.as_deref(), Some(&b"a bA"[..]));
    assert_eq!(l.config.hz, 7);
    assert!(l.warnings.is_empty());
}

#[test]
fn save_lines_accumulate_and_include_resets_the_rule() {
    assert_eq!(save_of(&load("hz 10").unwrap()), "3600 1 300 100 60 10000");
    assert_eq!(save_of(&load("save 900 1\nsave 300 10\n").unwrap()), "900 1 300 10");
    // File lines and command-line options are one text: options add to the file's points.
    let startup = Startup { config_file: None, from_stdin: false, options: Some("save \"60\" \"5\" ".into()) };
    let text = startup_text(&startup, Some(b"save 900 1\nsave 300 10\n"), None).unwrap();
    let l = load_config(&text, Config::default(), &mut no_include).unwrap();
    assert_eq!(save_of(&l), "900 1 300 10 60 5");
    assert_eq!(save_of(&load_argv(&["--save"]).unwrap()), "");
    assert_eq!(save_of(&load_argv(&["--save", "--hz", "12"]).unwrap()), "");
    assert_eq!(save_of(&load("save \"\"\nsave 10 1").unwrap()), "10 1");
    assert_eq!(save_of(&load("save '900 1 300 10'").unwrap()), "900 1 300 10");
    // After an include, each save line replaces the points (Redis clears its reading flag).
    let mut include = |_: &str| -> Result<Vec<Vec<u8>>, String> { Ok(vec![b"hz 11\n".to_vec()]) };
    let l =
        load_config(b"save 900 1\ninclude x.conf\nsave 300 10\nsave 60 5\n", Config::default(), &mut include).unwrap();
    assert_eq!(save_of(&l), "60 5");
    assert_eq!(l.config.hz, 11);
}

#[test]
fn includes() {
    let mut include = |path: &str| -> Result<Vec<Vec<u8>>, String> {
        match path {
            "a.conf" => Ok(vec![b"hz 10\nbad\n".to_vec()]),
            "dir/*.conf" => Ok(vec![b"port 1\n".to_vec(), b"databases 3".to_vec()]),
            "empty/*.conf" => Ok(vec![]),
            _ => Err("No such file or directory".into()),
        }
    };
    let err = load_config(b"# c\ninclude a.conf\n", Config::default(), &mut include).unwrap_err();
    assert_eq!(err, fatal(2, "bad", "Bad directive or wrong number of arguments"));
    let err = load_config(b"include /x/nope.conf", Config::default(), &mut include).unwrap_err();
    assert_eq!(err.message(), "Fatal error, can't open config file '/x/nope.conf': No such file or directory");
    let l = load_config(b"include dir/*.conf\ninclude empty/*.conf", Config::default(), &mut include).unwrap();
    assert_eq!((l.config.port, l.config.databases), (1, 3));
    let mut forever = |_: &str| -> Result<Vec<Vec<u8>>, String> { Ok(vec![b"include again.conf".to_vec()]) };
    assert!(matches!(load_config(b"include x", Config::default(), &mut forever), Err(LoadError::CantOpen { .. })));
}

#[test]
fn file_only_directives_are_collected_with_warnings() {
    let text =
        "rename-command flushall \"\"\nrename-command get fetch\nrename-command fetch get2\nuser bob on >p ~* +@all\n\
                loadmodule /m.so a b\nmymod.opt 1 2\nsentinel\nlua-replicate-commands yes\n";
    let l = load(text).unwrap();
    assert_eq!(
        l.renamed_commands,
        vec![("flushall".into(), "".into()), ("get".into(), "fetch".into()), ("fetch".into(), "get2".into())]
    );
    assert_eq!(l.users, vec![vec![b"bob".to_vec(), b"on".to_vec(), b">p".to_vec(), b"~*".to_vec(), b"+@all".to_vec()]]);
    assert_eq!(l.modules.len(), 1);
    assert_eq!(l.module_configs.get("mymod.opt").map(String::as_str), Some("1 2"));
    assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
    assert_eq!(
        load("rename-command flushall \"\"\nrename-command flushall x").unwrap_err().message().lines().last(),
        Some("No such command in rename-command")
    );
}

#[test]
fn accepted_but_unimplemented_directives_warn_when_not_default() {
    let l = load("tcp-backlog 511\ntcp-keepalive 60\nio-threads 4\nhz 20\n").unwrap();
    assert_eq!(
        l.warnings,
        vec![
            "'io-threads' is accepted but has no effect in verdis: verdis executes commands and does its I/O on one thread; there are no I/O threads".to_string(),
            "'tcp-keepalive' is accepted but has no effect in verdis: TCP keepalive is left to the operating system".to_string(),
        ]
    );
}

#[test]
fn multi_arg_parameters_in_files() {
    let l = load("bind 127.0.0.1 -::1\nclient-output-buffer-limit pubsub 1mb 2mb 3\noom-score-adj-values \"1 2 3\"\nshutdown-on-sigterm save now\n").unwrap();
    assert_eq!(l.config.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
    assert_eq!(
        l.config.get_by_name("client-output-buffer-limit").unwrap(),
        b"normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3"
    );
    assert_eq!(l.config.get_by_name("oom-score-adj-values").unwrap(), b"1 2 3");
    assert_eq!(l.config.get_by_name("shutdown-on-sigterm").unwrap(), b"save now");
    assert_eq!(load("bind \"\"").unwrap().config.bind, Vec::<String>::new());
    assert_eq!(load("hz 0").unwrap().config.hz, 1);
}

/// Replays `$VERDIS_FILE_CASES` (name TAB value lines) as `verdis-server --port 7499 --name
/// value --zzz 1` and writes the fatal texts next to it, to diff against the reference server.
#[test]
#[ignore]
fn replay_file_cases_for_oracle_comparison() {
    let Ok(path) = std::env::var("VERDIS_FILE_CASES") else { return };
    let cases = std::fs::read_to_string(&path).unwrap();
    let mut out = String::new();
    for line in cases.lines() {
        let (name, value) = line.split_once('\t').unwrap();
        let flag = format!("--{name}");
        let Invocation::Run(startup) = parse_argv(&args(&["--port", "7499", &flag, value, "--zzz", "1"])) else {
            panic!("not a run")
        };
        let text = startup_text(&startup, None, None).unwrap_or_default();
        let base = Config { chdir: Some(crate::engine::config::os_chdir), ..Config::default() };
        let msg = match load_config(&text, base, &mut no_include) {
            Ok(_) => "loaded".to_string(),
            Err(e) => e.message(),
        };
        out.push_str(&format!("{name}\t{value}\t{}\n", msg.replace('\\', "\\\\").replace('\n', "\\n")));
    }
    std::fs::write(format!("{path}.verdis"), out).unwrap();
}
