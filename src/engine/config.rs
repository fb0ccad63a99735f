//! Configuration: the values the engine and the server read. (Skeleton: the full parameter
//! registry with CONFIG GET/SET/REWRITE and redis.conf parsing builds on these fields.)

#[derive(Clone, Debug)]
pub struct Config {
    pub databases: usize,
    pub hz: u32,
    pub requirepass: Option<Vec<u8>>,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub maxclients: u64,
    pub timeout_s: u64,
    pub port: u16,
    pub bind: Vec<String>,
    pub protected_mode: bool,
    /// Seed of the engine's RNG (verdis-specific: `verdis-seed`).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            hz: 10,
            requirepass: None,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxclients: 10000,
            timeout_s: 0,
            port: 6379,
            bind: vec!["127.0.0.1".to_string(), "-::1".to_string()],
            protected_mode: true,
            seed: 0,
        }
    }
}
