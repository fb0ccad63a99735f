//! verdis-check-aof [--fix] <file.manifest|file.aof>: checks an AOF like redis-check-aof: a
//! manifest's base and incr files, or one old-style file (with or without an RDB preamble).
//! With --fix, asks for confirmation on stdin and truncates the last file at its last valid
//! command (only the last file of a multi-part AOF can be fixed). Exit code 0 when valid (or
//! fixed), 1 otherwise.

use std::io::{BufRead, Write};
use std::path::Path;
use verdis::persist::aof::check::{check_file, is_manifest, manifest_files};

fn usage(prog: &str) -> ! {
    println!("Usage: {prog} [--fix] <file.manifest|file.aof>");
    std::process::exit(1);
}

fn read(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            println!("Cannot open file {}: {e}, aborting...", path.display());
            std::process::exit(1);
        }
    }
}

/// Checks one file; returns "valid", "empty" or "truncated", or exits as redis-check-aof does.
fn check_one(path: &Path, name: &str, last: bool, fix: bool) -> &'static str {
    let data = read(path);
    if data.is_empty() {
        return "empty";
    }
    let mut lines = Vec::new();
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let result = check_file(&data, name, now_ms, &mut lines);
    for l in &lines {
        println!("{l}");
    }
    if result.bad_preamble {
        std::process::exit(1);
    }
    if result.diff() == 0 {
        return "valid";
    }
    if !fix {
        println!("AOF {name} is not valid. Use the --fix option to try fixing it.");
        std::process::exit(1);
    }
    if !last {
        println!("Failed to truncate AOF {name} because it is not the last file");
        std::process::exit(1);
    }
    println!(
        "This will shrink the AOF {name} from {} bytes, with {} bytes, to {} bytes",
        result.size,
        result.diff(),
        result.ok_up_to
    );
    print!("Continue? [y/N]: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() || !answer.to_ascii_lowercase().starts_with('y') {
        println!("Aborting...");
        std::process::exit(1);
    }
    let truncated = std::fs::OpenOptions::new().write(true).open(path).and_then(|f| f.set_len(result.ok_up_to));
    if truncated.is_err() {
        println!("Failed to truncate AOF {name}");
        std::process::exit(1);
    }
    "truncated"
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map(String::as_str).unwrap_or("verdis-check-aof");
    let (fix, file) = match args.len() {
        2 => (false, &args[1]),
        3 if args[1] == "--fix" => (true, &args[2]),
        _ => usage(prog),
    };
    let path = Path::new(file);
    let data = read(path);
    if is_manifest(&data) {
        println!("Start checking Multi Part AOF");
        let dir = path.parent().unwrap_or(Path::new("."));
        let files = match manifest_files(&data) {
            Ok(f) => f,
            Err(e) => {
                println!("{e}");
                std::process::exit(1);
            }
        };
        let mut incr_started = false;
        for (i, (name, last)) in files.iter().enumerate() {
            let fpath = dir.join(name);
            let is_base = i == 0 && name.contains(".base.");
            if is_base {
                let rdb = read(&fpath).starts_with(b"REDIS");
                println!("Start to check BASE AOF ({} format).", if rdb { "RDB" } else { "RESP" });
            } else if !incr_started {
                println!("Start to check INCR files.");
                incr_started = true;
            }
            let kind = if is_base { "BASE" } else { "INCR" };
            match check_one(&fpath, name, *last, fix) {
                "valid" => println!("{kind} AOF {name} is valid"),
                "empty" => println!("{kind} AOF {name} is empty"),
                _ => println!("Successfully truncated AOF {name}"),
            }
        }
        println!("All AOF files and manifest are valid");
    } else {
        println!("Start checking Old-Style AOF");
        match check_one(path, file, true, fix) {
            "valid" => println!("AOF {file} is valid"),
            "empty" => println!("AOF {file} is empty"),
            _ => println!("Successfully truncated AOF {file}"),
        }
    }
}
