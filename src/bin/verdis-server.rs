//! verdis-server: started like redis-server, `verdis-server [config-file] [--option value ...]`.

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(verdis::server::startup::main_with_args(argv));
}
