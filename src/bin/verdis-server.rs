//! verdis-server: started like redis-server, `verdis-server [config-file] [--option value ...]`.

/// Counted so that INFO's `used_memory` is the bytes allocated, as Redis reports it (src/alloc.rs).
#[global_allocator]
static ALLOC: verdis::alloc::Counting = verdis::alloc::Counting;

fn main() {
    verdis::alloc::mark_installed();
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(verdis::server::startup::main_with_args(argv));
}
