//! Ships audit records from the routing DB to ClickHouse `audit_events`, in batches, at least
//! once: rows are claimed with `FOR UPDATE SKIP LOCKED` (several console instances share the
//! work), inserted into ClickHouse, then stamped `exported_at`. If ClickHouse is down the records
//! wait in the routing DB and go out when it is back.

use std::time::Duration;

use clickhouse::Row;
use serde::Serialize;

use super::audit::AuditLog;
use crate::error::Result;

const BATCH: i64 = 500;
const IDLE_POLL: Duration = Duration::from_secs(2);

/// A row of ClickHouse `audit_events` (the platform's audit table, shared with its services).
#[derive(Clone, Debug, Row, Serialize)]
struct ClickRow {
    ts: u32,
    actor_id: String,
    actor_role: String,
    action: String,
    target: String,
    org_id: u64,
    shard_id: String,
    client_addr: String,
    outcome: String,
    reason: String,
    subject: String,
    result_count: u32,
    shards: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Claimed {
    id: i64,
    ts: i64,
    staff_id: Option<i64>,
    role: String,
    action: String,
    target: String,
    client_addr: String,
    reason: String,
    subject: String,
    result_count: Option<i32>,
    shards: Vec<String>,
}

/// Ship one batch. Returns how many records went out.
#[tracing::instrument(skip_all, err)]
pub async fn ship_batch(log: &AuditLog, clickhouse: &clickhouse::Client) -> Result<usize> {
    let mut tx = log.pool().begin().await?;
    let rows: Vec<Claimed> = sqlx::query_as(
        "SELECT id, EXTRACT(EPOCH FROM at)::int8 AS ts, staff_id, role, action, target, client_addr,
                reason, subject, result_count, shards
           FROM console.audit_events WHERE exported_at IS NULL
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut insert = clickhouse.insert::<ClickRow>("audit_events").await?;
    let mut ids = Vec::with_capacity(rows.len());
    for r in rows {
        let Claimed {
            id,
            ts,
            staff_id,
            role,
            action,
            target,
            client_addr,
            reason,
            subject,
            result_count,
            shards,
        } = r;
        ids.push(id);
        let org_id = target
            .strip_prefix("org:")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let outcome = action
            .parse::<super::AuditAction>()
            .map(|a| a.outcome())
            .unwrap_or("ok");
        insert
            .write(&ClickRow {
                ts: ts.max(0) as u32,
                actor_id: staff_id.map(|s| format!("staff:{s}")).unwrap_or_default(),
                actor_role: role,
                action,
                target,
                org_id,
                shard_id: String::new(),
                client_addr,
                outcome: outcome.to_string(),
                reason,
                subject,
                result_count: result_count.unwrap_or(0).max(0) as u32,
                shards,
            })
            .await?;
    }
    insert.end().await?;
    sqlx::query("UPDATE console.audit_events SET exported_at = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Run until `stop` resolves: ship whenever a record is written, and every few seconds.
pub async fn run(log: AuditLog, clickhouse: clickhouse::Client, stop: impl Future<Output = ()>) {
    let notify = log.notifier();
    let mut stop = std::pin::pin!(stop);
    loop {
        match ship_batch(&log, &clickhouse).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "audit export to ClickHouse failed; will retry"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = notify.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// The columns an audit insert names (for the cross-version statement check).
pub fn insert_columns() -> &'static [&'static str] {
    <ClickRow as clickhouse::Row>::COLUMN_NAMES
}
