//! Ships audit records from the routing DB to ClickHouse `audit_events`, in batches, exactly
//! once. A batch is claimed with a lease that expires (several console instances share the work
//! with `FOR UPDATE SKIP LOCKED` inside one short statement), inserted into ClickHouse under a
//! deadline, then stamped `exported_at`. No routing-DB transaction is open while ClickHouse is
//! asked, so a wedged ClickHouse holds no routing connection. A record whose earlier attempt
//! ended without an answer (deadline passed, console stopped) is shipped again only if ClickHouse
//! does not have it (`console_record_id`). If ClickHouse is down the records wait in the routing
//! DB and go out when it is back.

use std::time::Duration;

use clickhouse::Row;
use serde::Serialize;

use super::audit::AuditLog;
use crate::error::{Error, Result};
use crate::partial::{Failure, FailureKind};
use crate::stop::Stop;

const BATCH: i64 = 500;
const IDLE_POLL: Duration = Duration::from_secs(2);

/// How long a claim lasts and how long ClickHouse gets to take a batch (well inside the lease, so
/// no other instance claims a batch whose insert may still land).
#[derive(Clone, Copy, Debug)]
pub struct ExportTiming {
    pub lease: Duration,
    pub insert_deadline: Duration,
}

impl Default for ExportTiming {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(120),
            insert_deadline: Duration::from_secs(20),
        }
    }
}

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
    console_record_id: u64,
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
    export_attempts: i32,
}

impl Claimed {
    fn into_row(self) -> ClickRow {
        let org_id = self
            .target
            .strip_prefix("org:")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let outcome = self
            .action
            .parse::<super::AuditAction>()
            .map(|a| a.outcome())
            .unwrap_or("ok");
        ClickRow {
            ts: self.ts.max(0) as u32,
            actor_id: self
                .staff_id
                .map(|s| format!("staff:{s}"))
                .unwrap_or_default(),
            actor_role: self.role,
            action: self.action,
            target: self.target,
            org_id,
            shard_id: String::new(),
            client_addr: self.client_addr,
            outcome: outcome.to_string(),
            reason: self.reason,
            subject: self.subject,
            result_count: self.result_count.unwrap_or(0).max(0) as u32,
            shards: self.shards,
            console_record_id: self.id.max(0) as u64,
        }
    }
}

/// Claim up to a batch of unshipped records whose lease (if any) has run out.
async fn claim(log: &AuditLog, lease: Duration) -> Result<Vec<Claimed>> {
    Ok(sqlx::query_as(
        "UPDATE console.audit_events a
            SET export_lease_until = now() + make_interval(secs => $2),
                export_attempts = a.export_attempts + 1
           FROM (SELECT id FROM console.audit_events
                  WHERE exported_at IS NULL
                    AND (export_lease_until IS NULL OR export_lease_until < now())
                  ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) c
          WHERE a.id = c.id
      RETURNING a.id, EXTRACT(EPOCH FROM a.at)::int8 AS ts, a.staff_id, a.role, a.action,
                a.target, a.client_addr, a.reason, a.subject, a.result_count, a.shards,
                a.export_attempts",
    )
    .bind(BATCH)
    .bind(lease.as_secs_f64())
    .fetch_all(log.pool())
    .await?)
}

/// Of `ids`, those ClickHouse already holds (delivered by an attempt whose answer was lost).
async fn already_delivered(clickhouse: &clickhouse::Client, ids: &[u64]) -> Result<Vec<u64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(clickhouse
        .query(&already_delivered_sql(ids))
        .fetch_all::<u64>()
        .await?)
}

/// The statement [`already_delivered`] sends (numbers only, from the routing DB's ids: nothing
/// from outside reaches this text).
pub fn already_delivered_sql(ids: &[u64]) -> String {
    let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
    format!(
        "SELECT DISTINCT console_record_id FROM audit_events WHERE console_record_id IN ({list})"
    )
}

/// Ship one batch. Returns how many records were stamped shipped.
#[tracing::instrument(skip_all, err)]
pub async fn ship_batch(
    log: &AuditLog,
    clickhouse: &clickhouse::Client,
    timing: ExportTiming,
) -> Result<usize> {
    let claimed = claim(log, timing.lease).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    let retried: Vec<u64> = claimed
        .iter()
        .filter(|c| c.export_attempts > 1)
        .map(|c| c.id as u64)
        .collect();
    let deadline = timing.insert_deadline;
    let send = async {
        let present = already_delivered(clickhouse, &retried).await?;
        let rows: Vec<ClickRow> = claimed
            .into_iter()
            .filter(|c| !present.contains(&(c.id as u64)))
            .map(Claimed::into_row)
            .collect();
        if !rows.is_empty() {
            let mut insert = clickhouse.insert::<ClickRow>("audit_events").await?;
            for row in &rows {
                insert.write(row).await?;
            }
            insert.end().await?;
        }
        Ok::<(), Error>(())
    };
    match tokio::time::timeout(deadline, send).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(Error::TelemetryUnavailable(Failure::new(
                FailureKind::Timeout,
                format!(
                    "ClickHouse did not take the audit batch within {} ms; retried when the \
                     claim expires",
                    deadline.as_millis()
                ),
            )));
        }
    }
    sqlx::query(
        "UPDATE console.audit_events SET exported_at = now(), export_lease_until = NULL
          WHERE id = ANY($1)",
    )
    .bind(&ids)
    .execute(log.pool())
    .await?;
    Ok(ids.len())
}

/// The audit export as a background task (`tasks::start` runs it).
pub struct Exporter {
    log: AuditLog,
    target: crate::clickhouse_db::Target,
}

impl Exporter {
    /// None when ClickHouse is not configured (the audit then stays in the routing DB).
    pub fn new(log: AuditLog, config: &crate::config::Config) -> Option<Self> {
        Some(Self {
            log,
            target: crate::clickhouse_db::Target::of(config)?,
        })
    }

    /// Connect (ClickHouse may be down at start-up: retried every 5 s), then ship whenever a
    /// record is written and every few seconds, until stop. A batch in flight at stop finishes
    /// (or its claim expires and it is shipped again later, never twice).
    pub async fn run(&self, mut stop: Stop) {
        let client = loop {
            match self.target.connect().await {
                Ok(c) => break c,
                Err(e) => {
                    tracing::warn!(error = %e, "ClickHouse unavailable; audit export waits");
                    tokio::select! {
                        _ = stop.stopped() => return,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
            }
        };
        run(&self.log, &client, stop).await
    }
}

/// Ship until stop: whenever a record is written, and every few seconds.
async fn run(log: &AuditLog, clickhouse: &clickhouse::Client, mut stop: Stop) {
    let notify = log.notifier();
    loop {
        match ship_batch(log, clickhouse, ExportTiming::default()).await {
            Ok(n) if n as i64 == BATCH && !stop.is_stopped() => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "audit export to ClickHouse failed; will retry"),
        }
        tokio::select! {
            _ = stop.stopped() => return,
            _ = notify.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// The columns an audit insert names (for the cross-version statement check).
pub fn insert_columns() -> &'static [&'static str] {
    <ClickRow as clickhouse::Row>::COLUMN_NAMES
}
