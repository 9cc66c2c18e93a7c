//! Wedging a real server from a test: SIGSTOP now, SIGCONT however the test ends.

use std::path::{Path, PathBuf};

/// Sends SIGCONT to a process when dropped (a SIGSTOPped server resumes however the test ends).
pub struct Resume(pub String);

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0])
            .status();
    }
}

/// SIGSTOP the process whose pid is the first line of `pid_file` (a PostgreSQL `postmaster.pid`
/// or a server's pid file); it resumes when the guard drops.
pub fn sigstop(pid_file: &Path) -> Resume {
    let pid = std::fs::read_to_string(pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()))
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap();
    assert!(
        stopped.success(),
        "SIGSTOP to {pid} ({})",
        pid_file.display()
    );
    Resume(pid)
}

/// The fleet's ClickHouse server's pid file.
pub fn clickhouse_pid_file() -> PathBuf {
    let dir = std::env::var("SHARDSCOPE_FLEET_DIR").expect("SHARDSCOPE_FLEET_DIR");
    Path::new(&dir).join("clickhouse/server.pid")
}

/// A fleet PostgreSQL node's `postmaster.pid` (`node`: a shard id for its primary, or a
/// replica's node name).
pub fn postgres_pid_file(node: &str) -> PathBuf {
    let dir = std::env::var("SHARDSCOPE_FLEET_DIR").expect("SHARDSCOPE_FLEET_DIR");
    Path::new(&dir).join("pg").join(node).join("postmaster.pid")
}
