//! The audit's store: records written to and read from the routing DB's `console.audit_events`.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Notify;

use super::{AuditDetail, AuditEvent, AuditFilter, AuditRecord};
use crate::error::Result;

pub const PAGE_SIZE: i64 = 100;

#[derive(Clone)]
pub struct AuditLog {
    pool: PgPool,
    shipped: Arc<Notify>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    at_ms: i64,
    staff_email: String,
    role: String,
    action: String,
    target: String,
    client_addr: String,
    exported: bool,
    reason: String,
    subject: String,
    result_count: Option<i32>,
    shards: Vec<String>,
}

fn record(r: RecordRow) -> AuditRecord {
    AuditRecord {
        id: r.id,
        at_ms: r.at_ms,
        staff_email: r.staff_email,
        role: r.role,
        action: r.action,
        target: r.target,
        client_addr: r.client_addr,
        exported: r.exported,
        detail: AuditDetail {
            reason: r.reason,
            subject: r.subject,
            result_count: r.result_count,
            shards: r.shards,
        },
    }
}

const COLUMNS: &str = "id, (EXTRACT(EPOCH FROM at) * 1000)::int8 AS at_ms, staff_email, role, \
     action, target, client_addr, exported_at IS NOT NULL AS exported, reason, subject, \
     result_count, shards";

impl AuditLog {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            shipped: Arc::new(Notify::new()),
        }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Woken after each record so the exporter ships it at once.
    pub(crate) fn notifier(&self) -> Arc<Notify> {
        self.shipped.clone()
    }

    /// Record one event. Returns its id.
    pub async fn record(&self, event: &AuditEvent) -> Result<i64> {
        let id = insert(&self.pool, event).await?;
        self.shipped.notify_one();
        Ok(id)
    }

    /// A page of records, newest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        if let Some(target) = &filter.target
            && *filter
                == (AuditFilter {
                    target: Some(target.clone()),
                    ..Default::default()
                })
        {
            return self.for_target(target).await;
        }
        let sql = format!(
            "SELECT {COLUMNS}
               FROM console.audit_events
              WHERE ($1::text IS NULL OR action = $1)
                AND ($2::text IS NULL OR staff_email = $2)
                AND ($3::text IS NULL OR client_addr = $3)
                AND ($4::int8 IS NULL OR at >= to_timestamp($4::float8 / 1000))
                AND ($5::int8 IS NULL OR at < to_timestamp($5::float8 / 1000))
                AND ($6::int8 IS NULL OR id < $6)
                AND ($8::text IS NULL OR target = $8)
                AND ($9::text IS NULL OR subject = $9)
              ORDER BY id DESC
              LIMIT $7"
        );
        // Assembled from constants only (the column list), never from input.
        let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter.action.map(|a| a.as_str()))
            .bind(filter.staff_email.as_deref())
            .bind(filter.client_addr.as_deref())
            .bind(filter.since_ms)
            .bind(filter.until_ms)
            .bind(filter.before_id)
            .bind(PAGE_SIZE)
            .bind(filter.target.as_deref())
            .bind(filter.subject.as_deref())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Every record of the view (all its pages, newest first), for an export; more than
    /// [`super::table::EXPORT_MAX`] is a 400 that says how to narrow it.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn export(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let max = super::table::EXPORT_MAX;
        let mut filter = AuditFilter {
            before_id: None,
            ..filter.clone()
        };
        let mut all = Vec::new();
        loop {
            let page = self.list(&filter).await?;
            let full = page.len() as i64 == PAGE_SIZE;
            let last = page.last().map(|r| r.id);
            // Keyset paging moves strictly down the ids; a page that does not (a target's
            // own statement pages by nothing) is the last.
            let moved = match (filter.before_id, last) {
                (Some(before), Some(last)) => last < before,
                (None, Some(_)) => true,
                _ => false,
            };
            filter.before_id = last;
            if moved {
                all.extend(page);
            }
            if all.len() > max {
                return Err(crate::Error::InvalidInput(format!(
                    "this view holds more than {max} audit records, more than one export holds: \
                     narrow it (since, until, action, staff) and export each part"
                )));
            }
            if !full || !moved {
                return Ok(all);
            }
        }
    }

    /// The newest records about one target (a tenant page's access history), by its own index:
    /// a separate statement, because a generic plan of the filtered one cannot use it.
    async fn for_target(&self, target: &str) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM console.audit_events WHERE target = $1
              ORDER BY target, id DESC LIMIT $2"
        );
        let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(target)
            .bind(PAGE_SIZE)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Records not yet in ClickHouse.
    #[tracing::instrument(skip_all, err)]
    pub async fn unexported(&self) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM console.audit_events WHERE exported_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }
}

/// Insert with any pool (the console's, or the CLI's owner pool).
#[tracing::instrument(skip_all, fields(action = %event.action), err)]
pub async fn insert(pool: &PgPool, event: &AuditEvent) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO console.audit_events (staff_id, staff_email, role, action, target, client_addr,
                                           reason, subject, result_count, shards)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(event.staff.as_ref().map(|s| s.id))
    .bind(event.staff.as_ref().map(|s| s.email.as_str()).unwrap_or(""))
    .bind(event.staff.as_ref().map(|s| s.role.as_str()).unwrap_or(""))
    .bind(event.action.as_str())
    .bind(&event.target)
    .bind(&event.client_addr)
    .bind(&event.detail.reason)
    .bind(&event.detail.subject)
    .bind(event.detail.result_count)
    .bind(&event.detail.shards)
    .fetch_one(pool)
    .await?;
    Ok(id)
}
