//! Reading one tenant's rows the way the platform does: the tenant-reader role (SELECT on the
//! tenant tables, no BYPASSRLS, not the owner), inside a read-only transaction that sets the RLS
//! context with `SET LOCAL` (`set_config(…, true)`) for that tenant only. Nothing outside the
//! transaction carries the context: a pooled connection goes back with none set.

use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};

use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::{Failure, FailureKind};
use crate::federation::pools::ShardPools;

/// The `app.current_role` the console reads with. Deliberately not `superadmin` (which the
/// platform's policies let see every org): an ordinary role, so the tenant policy decides.
pub const READER_APP_ROLE: &str = "console_reader";

/// Begin a read-only transaction scoped to `org_id`. `staff_id` (the console account reading) is
/// set as `app.current_user_id` so the platform's own triggers and logs can tell who read.
pub async fn begin_scoped(
    pool: &PgPool,
    org_id: i64,
    staff_id: i64,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "SELECT set_config('app.current_org_id', $1, true),
                set_config('app.current_role', $2, true),
                set_config('app.current_user_id', $3, true)",
    )
    .bind(org_id.to_string())
    .bind(READER_APP_ROLE)
    .bind(staff_id.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// A tenant's own numbers, counted on its shard under its RLS context (no `WHERE organization_id`
/// in the queries: the policy is what scopes them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TenantCounts {
    pub patients: i64,
    pub appointments_upcoming: i64,
    pub appointments_last_30d: i64,
    pub audit_rows_24h: i64,
}

#[derive(sqlx::FromRow)]
struct Visible {
    orgs: i64,
    other_orgs: i64,
}

/// Count a tenant's rows on its shard. Refuses (a `Query` failure naming the reason) when the
/// reader can see another org's rows under this context: isolation is broken on that shard and
/// numbers would mix tenants.
#[tracing::instrument(skip(readers), fields(endpoint = %endpoint), err(level = "debug"))]
pub async fn tenant_counts(
    readers: &ShardPools,
    endpoint: &Endpoint,
    org_id: i64,
    staff_id: i64,
) -> Result<TenantCounts, Failure> {
    crate::federation::pools::with_reconnect(readers, endpoint, |pool| async move {
        let mut tx = begin_scoped(&pool, org_id, staff_id).await?;
        let seen: Visible = sqlx::query_as(
            "SELECT (SELECT count(*) FROM organizations) AS orgs,
                    (SELECT count(*) FROM (SELECT 1 FROM patients
                                            WHERE organization_id IS DISTINCT FROM $1 LIMIT 1) x)
                  + (SELECT count(*) FROM (SELECT 1 FROM appointments
                                            WHERE organization_id IS DISTINCT FROM $1 LIMIT 1) y)
                  + (SELECT count(*) FROM (SELECT 1 FROM audit_log
                                            WHERE organization_id IS DISTINCT FROM $1 LIMIT 1) z)
                    AS other_orgs",
        )
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
        let counts: TenantCounts = sqlx::query_as(
            "SELECT (SELECT count(*) FROM patients) AS patients,
                    (SELECT count(*) FROM appointments WHERE starts_at >= now())
                        AS appointments_upcoming,
                    (SELECT count(*) FROM appointments
                      WHERE starts_at >= now() - interval '30 days' AND starts_at < now())
                        AS appointments_last_30d,
                    (SELECT count(*) FROM audit_log WHERE created_at >= now() - interval '24 hours')
                        AS audit_rows_24h",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok((seen, counts))
    })
    .await
    .and_then(|(seen, counts)| {
        if seen.orgs > 1 || seen.other_orgs > 0 {
            Err(Failure::new(
                FailureKind::Query,
                "row-level security does not isolate this tenant on its shard (other orgs' rows \
                 are visible): counts withheld, see /compliance",
            ))
        } else if seen.orgs == 0 {
            Err(Failure::new(
                FailureKind::Query,
                "the organization is not on its assigned shard (see /routing)",
            ))
        } else {
            Ok(counts)
        }
    })
}
