//! The oracle: a real redis-server 7.0.15 started by the test on a free loopback port. When it is
//! not installed, tests that need it skip loudly, except under CI=true, where that is a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisOracle {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

impl RedisOracle {
    /// Starts redis-server with `extra` config arguments, or returns None (skip) when absent.
    pub fn start(extra: &[&str]) -> Option<RedisOracle> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string());
        for _attempt in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let mut cmd = Command::new(&binary);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--dir", dir.path().to_str().expect("utf-8 temp path")])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(_) => {
                    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                        panic!("redis-server is not installed, and CI=true requires it (apt-get install redis-server)");
                    }
                    eprintln!(
                        "\n*** SKIPPED: redis-server not found; install redis-server to run the oracle tests ***\n"
                    );
                    return None;
                }
            };
            let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
            let mut oracle = RedisOracle { child, addr, _dir: dir };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return Some(oracle);
                }
                if let Ok(Some(_)) = oracle.child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start {binary} on a free port");
    }
}

impl Drop for RedisOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
