//! What the console reads from one shard: its primary's load and each replica's lag.
//!
//! Everything here runs on the console's own read-only, time-limited connections and touches only
//! statistics views and the aggregate `console_shard_counts()` function: no tenant rows, no PHI.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::{Failure, FailureKind};
use crate::federation::pools::{ShardPools, with_reconnect};
use crate::federation::shard_list::ShardInfo;
use crate::overview::lag::{SecondsLag, byte_lag, last_record_end, parse_lsn};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardStats {
    pub orgs: i64,
    pub patients: i64,
    pub db_bytes: i64,
    /// Client connections other than the console's own.
    pub conns_total: i64,
    pub conns_active: i64,
    /// Of `conns_total`: idle, idle in a transaction, and active but waiting on a lock.
    #[serde(default)]
    pub conns_idle: i64,
    #[serde(default)]
    pub conns_idle_in_transaction: i64,
    #[serde(default)]
    pub conns_waiting_on_lock: i64,
    pub max_connections: i64,
    /// WAL the primary keeps for its replication slots (None: no slot).
    #[serde(default)]
    pub wal_retained_bytes: Option<i64>,
    /// Replicas streaming from this primary, per pg_stat_replication.
    pub streaming_replicas: i64,
    pub replicas: Vec<ReplicaStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaStatus {
    pub endpoint: String,
    pub result: Result<ReplicaLag, Failure>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaLag {
    pub bytes: u64,
    pub seconds: SecondsLag,
    pub replay_paused: bool,
}

#[derive(sqlx::FromRow)]
struct PrimaryRow {
    conns_total: i64,
    conns_active: i64,
    conns_idle: i64,
    conns_idle_in_transaction: i64,
    conns_waiting_on_lock: i64,
    wal_retained_bytes: Option<i64>,
    max_connections: i64,
    db_bytes: i64,
    current_lsn: String,
    in_recovery: bool,
    streaming_replicas: i64,
    orgs: i64,
    patients: i64,
}

#[derive(sqlx::FromRow)]
struct ReplicaRow {
    in_recovery: bool,
    replay_lsn: Option<String>,
    replay_age_s: Option<f64>,
    pause_state: Option<String>,
}

/// Probe one shard: the primary, then every replica in parallel. A failing primary fails the shard;
/// a failing replica is reported in its own row and the shard still answers.
#[tracing::instrument(skip_all, fields(shard = %shard.id))]
pub async fn probe_shard(pools: &ShardPools, shard: &ShardInfo) -> Result<ShardStats, Failure> {
    let primary = shard.primary.as_ref().map_err(|e| {
        Failure::new(
            FailureKind::ShardUnknown,
            format!("bad primary endpoint: {e}"),
        )
    })?;
    let app = pools.engine().application_name.clone();
    let row = with_reconnect(pools, primary, |pool| {
        let app = app.clone();
        async move { primary_stats(&pool, &app).await }
    })
    .await?;
    if row.in_recovery {
        return Err(Failure::new(
            FailureKind::Query,
            format!("{primary} is in recovery: the routing DB lists a standby as primary"),
        ));
    }
    let primary_lsn = parse_lsn(&row.current_lsn)
        .map(last_record_end)
        .ok_or_else(|| Failure::new(FailureKind::Query, "unreadable WAL position"))?;
    let budget = pools.engine().shard_deadline;
    let replicas = futures::future::join_all(
        shard
            .replicas
            .iter()
            .map(|r| replica_status(pools, r, primary_lsn, budget)),
    )
    .await;
    Ok(ShardStats {
        orgs: row.orgs,
        patients: row.patients,
        db_bytes: row.db_bytes,
        conns_total: row.conns_total,
        conns_active: row.conns_active,
        conns_idle: row.conns_idle,
        conns_idle_in_transaction: row.conns_idle_in_transaction,
        conns_waiting_on_lock: row.conns_waiting_on_lock,
        max_connections: row.max_connections,
        wal_retained_bytes: row.wal_retained_bytes,
        streaming_replicas: row.streaming_replicas,
        replicas,
    })
}

#[tracing::instrument(skip_all)]
async fn primary_stats(pool: &PgPool, app: &str) -> Result<PrimaryRow, sqlx::Error> {
    sqlx::query_as(
        "SELECT
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND application_name <> $1) AS conns_total,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND state = 'active'
               AND application_name <> $1) AS conns_active,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND state = 'idle'
               AND application_name <> $1) AS conns_idle,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND state LIKE 'idle in transaction%'
               AND application_name <> $1) AS conns_idle_in_transaction,
           (SELECT count(*) FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND state = 'active'
               AND wait_event_type = 'Lock' AND application_name <> $1) AS conns_waiting_on_lock,
           CASE WHEN pg_is_in_recovery() THEN NULL ELSE
             (SELECT sum(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))::int8
                FROM pg_replication_slots) END AS wal_retained_bytes,
           current_setting('max_connections')::int8 AS max_connections,
           pg_database_size(current_database()) AS db_bytes,
           pg_is_in_recovery() AS in_recovery,
           CASE WHEN pg_is_in_recovery() THEN '0/0'
                ELSE pg_current_wal_insert_lsn()::text END AS current_lsn,
           (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming') AS streaming_replicas,
           c.orgs, c.patients
         FROM console_shard_counts() c",
    )
    .bind(app)
    .fetch_one(pool)
    .await
}

async fn replica_status(
    pools: &ShardPools,
    replica: &Result<Endpoint, String>,
    primary_lsn: u64,
    budget: Duration,
) -> ReplicaStatus {
    let Ok(endpoint) = replica else {
        let e = replica.as_ref().err().cloned().unwrap_or_default();
        return ReplicaStatus {
            endpoint: "(invalid)".into(),
            result: Err(Failure::new(FailureKind::ShardUnknown, e)),
        };
    };
    let lag = async {
        let row = with_reconnect(
            pools,
            endpoint,
            |pool| async move { replica_row(&pool).await },
        )
        .await?;
        replica_lag(row, primary_lsn)
    };
    let result = match tokio::time::timeout(budget, lag).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(
            FailureKind::Timeout,
            "replica did not answer in time",
        )),
    };
    ReplicaStatus {
        endpoint: endpoint.to_string(),
        result,
    }
}

#[tracing::instrument(skip_all)]
async fn replica_row(pool: &PgPool) -> Result<ReplicaRow, sqlx::Error> {
    sqlx::query_as(
        "SELECT pg_is_in_recovery() AS in_recovery,
                pg_last_wal_replay_lsn()::text AS replay_lsn,
                EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age_s,
                CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END AS pause_state",
    )
    .fetch_one(pool)
    .await
}

fn replica_lag(row: ReplicaRow, primary_lsn: u64) -> Result<ReplicaLag, Failure> {
    if !row.in_recovery {
        return Err(Failure::new(
            FailureKind::Query,
            "not in recovery: promoted or misrouted",
        ));
    }
    let replayed = row
        .replay_lsn
        .as_deref()
        .and_then(parse_lsn)
        .ok_or_else(|| Failure::new(FailureKind::Query, "no replay position yet"))?;
    let bytes = byte_lag(primary_lsn, replayed);
    Ok(ReplicaLag {
        bytes,
        seconds: SecondsLag::evaluate(bytes, row.replay_age_s),
        replay_paused: row
            .pause_state
            .as_deref()
            .is_some_and(|s| s != "not paused"),
    })
}
