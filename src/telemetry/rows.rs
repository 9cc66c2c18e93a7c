//! The rows of the three tables the platform's services export to ClickHouse (`http_requests`,
//! `pool_stats`, `slow_queries`), as they are written. The panels read aggregates of them; the
//! demo's seeder and simulator write them; the statement catalog checks their columns.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct HttpRequest {
    pub ts: u32,
    pub org_id: u64,
    pub shard_id: String,
    pub service: String,
    pub instance: String,
    pub method: String,
    pub route: String,
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: String,
}

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct PoolStat {
    pub ts: u32,
    pub service: String,
    pub instance: String,
    pub shard_id: String,
    pub total_conns: u32,
    pub acquired_conns: u32,
    pub idle_conns: u32,
    pub max_conns: u32,
    pub wait_count: u64,
    pub wait_duration_ms: u64,
}

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct SlowQuery {
    pub ts: u32,
    pub shard_id: String,
    pub org_id: u64,
    pub service: String,
    pub request_id: String,
    pub duration_ms: f64,
    pub query: String,
}
