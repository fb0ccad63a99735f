//! verdis-check-rdb <rdb-file>: validates an RDB file, reporting where and why it is bad, like
//! redis-check-rdb. Exit code 0 when the file is valid, 1 otherwise.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("Usage: {} <rdb-file-name>", args.first().map(String::as_str).unwrap_or("verdis-check-rdb"));
        std::process::exit(1);
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            println!("Cannot check RDB file {path}: {e}");
            std::process::exit(1);
        }
    };
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let report = verdis::persist::check::check(path, std::io::BufReader::new(file), now_ms);
    for line in &report.lines {
        println!("{line}");
    }
    std::process::exit(if report.ok { 0 } else { 1 });
}
