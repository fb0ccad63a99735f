//! verdis-server: started like redis-server, `verdis-server [config-file] [--option value ...]`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(verdis::server::startup::main_with_args(args));
}
