//! Shared set-up for integration tests: the real fleet started by `scripts/test`.
#![allow(dead_code)]

use shardscope::{Config, Console};

mod fleet;
#[allow(unused_imports)]
pub use fleet::{admin_pool, fleet, fleet_cmd, fleet_file};
mod signal;
#[allow(unused_imports)]
pub use signal::{Resume, clickhouse_pid_file, postgres_pid_file, sigstop};

/// A console on the fleet, with a shard deadline generous for a busy machine (8 s, as the router
/// tests' TestApp): a test that asserts "every shard answered" must not depend on load (cold pools
/// open TLS and SCRAM sessions). Tests about deadlines set their own.
pub fn console() -> Console {
    console_with(|_| {})
}

/// A console whose config is adjusted first (deadline, cache, namespace...).
pub fn console_with(adjust: impl FnOnce(&mut Config)) -> Console {
    let mut config = Config::from_env().expect("SHARDSCOPE_* env from the fleet");
    config.engine.shard_deadline = std::time::Duration::from_secs(8);
    adjust(&mut config);
    Console::new(config).expect("console")
}

/// A unique Redis namespace, so tests sharing the fleet's Redis never see each other's entries.
pub fn unique_namespace(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub mod proxy;
#[allow(unused_imports)]
pub use proxy::DelayProxy;

/// One `shard_samples` row of a healthy primary, for tests that write history themselves.
pub fn sample_row(shard: &str, endpoint: &str, ts: u32) -> shardscope::history::sample::SampleRow {
    shardscope::history::sample::SampleRow {
        ts,
        shard_id: shard.to_string(),
        endpoint: endpoint.to_string(),
        role: "primary".into(),
        reachable: 1,
        failure: String::new(),
        conns_total: 1,
        conns_active: 0,
        conns_idle: 1,
        conns_idle_in_transaction: 0,
        conns_waiting_on_lock: 0,
        max_connections: 100,
        db_bytes: 1,
        lag_seconds: None,
        lag_bytes: None,
        replay_paused: 0,
        wal_retained_bytes: None,
    }
}

/// Run one ClickHouse statement that returns nothing; a failure fails the test.
pub async fn clickhouse_exec(client: &clickhouse::Client, sql: &str) {
    client
        .query(sql)
        .execute()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
