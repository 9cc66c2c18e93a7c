//! One of every routing-truth finding and two RLS drifts, written into the demo fleet by
//! `shardscope-server seed-drifts` (scripts/demo) so a new user sees what `/routing` and
//! `/compliance` are for. [`revert`] undoes every one (the tests apply, check, then revert).
//! The test fleet is seeded clean: `scripts/test` never applies them.

use sqlx::Executor;

use super::plan::sha256_hex;
use super::postgres::admin_pool;
use crate::demo::fleet::Fleet;
use crate::error::{Error, Result};

/// Org ids no plan uses (the demo's orgs are below 1 000).
pub const MISSING_ORG: i64 = 990_002;
pub const UNKNOWN_CACHED_ORG: i64 = 990_001;
pub const UNREACHABLE_ORG: i64 = 990_003;
/// A shard id routed to an address where nothing listens (a decommissioned shard still routed).
pub const UNREACHABLE_SHARD: &str = "us-3";
/// The registry's home shard that no one knows.
pub const UNKNOWN_HOME: &str = "us-east-legacy";
/// A shard provisioned in `shard_capacity` that no org is routed to yet (no endpoint known).
pub const PROVISIONED_SHARD: &str = "eu-2";
/// Drops next month's `audit_log` partition (as if the monthly job had not run).
const DROP_NEXT_PARTITION: &str = "DO $$ BEGIN EXECUTE format('DROP TABLE IF EXISTS %I', 'audit_log_' || \
     to_char(date_trunc('month', CURRENT_DATE + interval '1 month'), 'YYYY_MM')); END $$";
const REGISTRY_IDS: [i64; 3] = [990_100, 990_101, 990_102];

/// The phone (E.164) of a drift's registry row: `+1 555 999 0100` for person 990100.
pub fn legacy_phone(id: i64) -> String {
    format!("+1555999{:04}", id % 10_000)
}
/// A cache entry for an unknown org lives this long (the platform's would live 5 minutes; the
/// demo keeps it for a day so it is there when someone looks).
const DEMO_TTL: u64 = 86_400;

/// The shards the drifts use: the first, second and last shared shards.
struct Targets {
    first: String,
    second: String,
    last: String,
}

fn targets(fleet: &Fleet) -> Result<Targets> {
    let shared: Vec<&str> = fleet
        .shards
        .iter()
        .filter(|s| s.shard_type == "shared")
        .map(|s| s.id.as_str())
        .collect();
    if shared.len() < 3 {
        return Err(Error::Config(
            "drifts need at least three shared shards in the fleet".into(),
        ));
    }
    Ok(Targets {
        first: shared[0].into(),
        second: shared[1].into(),
        last: shared[shared.len() - 1].into(),
    })
}

/// The first org routed to a shard.
async fn first_org_on(routing: &sqlx::PgPool, shard: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT min(organization_id) FROM tenant_shards WHERE shard_id = $1 AND organization_id < 990000",
    )
    .bind(shard)
    .fetch_one(routing)
    .await?)
}

/// Write every drift (idempotent). `prefix` is the routing cache's key prefix (`shard:`).
#[tracing::instrument(skip_all, err)]
pub async fn apply(fleet: &Fleet, prefix: &str) -> Result<()> {
    let t = targets(fleet)?;
    let routing = admin_pool(fleet, fleet.routing_port, &fleet.routing_database).await?;
    let shard_pool = |id: &str| {
        let port = fleet.shard(id).map(|s| s.primary_port);
        async move {
            admin_pool(
                fleet,
                port.ok_or_else(|| Error::Config("unknown shard".into()))?,
                &fleet.shard_database,
            )
            .await
        }
    };
    let stale_org = first_org_on(&routing, &t.first).await?;
    let twin_org = first_org_on(&routing, &t.second).await?;
    // 1 + 2: the cache drifts.
    write_cache_drifts(fleet, prefix, stale_org, &t, Overwrite::Yes).await?;
    let url: (String, Vec<String>) = sqlx::query_as(
        "SELECT database_primary_url, coalesce(database_replica_urls, '{}') FROM tenant_shards
          WHERE shard_id = $1 LIMIT 1",
    )
    .bind(&t.second)
    .fetch_one(&routing)
    .await?;
    let dead_url = format!(
        "postgres://{}:{}/{}",
        fleet.host,
        fleet.routing_port + 7,
        fleet.shard_database
    );
    let mut tx = routing.begin().await?;
    // 3: an org routed to the second shard that was never created there (a failed onboarding);
    // shard_capacity counted it, as assign_shard's caller does.
    sqlx::query(
        "INSERT INTO tenant_shards (organization_id, shard_type, shard_id, database_primary_url,
             database_replica_urls, max_patients, sla_tier, billing_tier, region)
         SELECT $1, 'shared', $2, $3, $4, 50000, 'standard', 'shared-99', region
           FROM shard_capacity WHERE shard_id = $2
         ON CONFLICT (organization_id) DO NOTHING",
    )
    .bind(MISSING_ORG)
    .bind(&t.second)
    .bind(&url.0)
    .bind(&url.1)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO organization_summary (organization_id, shard_id, name, patients)
         VALUES ($1, $2, 'Onboarding Failed Clinic', 0) ON CONFLICT DO NOTHING",
    )
    .bind(MISSING_ORG)
    .bind(&t.second)
    .execute(&mut *tx)
    .await?;
    // 5: a shard id whose only endpoint has nothing listening.
    sqlx::query(
        "INSERT INTO tenant_shards (organization_id, shard_type, shard_id, database_primary_url,
             max_patients, sla_tier, billing_tier, region)
         VALUES ($1, 'shared', $2, $3, 50000, 'standard', 'shared-99', 'us-east-1')
         ON CONFLICT (organization_id) DO NOTHING",
    )
    .bind(UNREACHABLE_ORG)
    .bind(UNREACHABLE_SHARD)
    .bind(&dead_url)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO organization_summary (organization_id, shard_id, name, patients)
         VALUES ($1, $2, 'Decommissioned Shard Dental', 0) ON CONFLICT DO NOTHING",
    )
    .bind(UNREACHABLE_ORG)
    .bind(UNREACHABLE_SHARD)
    .execute(&mut *tx)
    .await?;
    add_shared_capacity(&mut tx, UNREACHABLE_SHARD, "us-east-1", 1).await?;
    // 8: a shard provisioned in shard_capacity with no org routed to it yet.
    add_shared_capacity(&mut tx, PROVISIONED_SHARD, "eu-west-1", 0).await?;
    // 6: shard_capacity's org count drifted on the first shard; the second counted the failed
    // onboarding (so only the first disagrees).
    sqlx::query(
        "UPDATE shard_capacity s SET current_orgs = r.n + CASE WHEN s.shard_id = $1 THEN -2 ELSE 0 END
           FROM (SELECT shard_id, count(*)::int AS n FROM tenant_shards GROUP BY shard_id) r
          WHERE r.shard_id = s.shard_id AND s.shard_id IN ($1, $2)",
    )
    .bind(&t.first)
    .bind(&t.second)
    .execute(&mut *tx)
    .await?;
    // 7: registry rows naming a home shard nobody knows (phones (555) 999-0100 … 0102, so
    // /patients can be asked about them too).
    for id in REGISTRY_IDS {
        sqlx::query(
            "INSERT INTO patient_person_registry (patient_person_id, phone_hash, home_shard_id)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(sha256_hex(&legacy_phone(id)))
        .bind(UNKNOWN_HOME)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    // 4: the second shard's first org also present on the first shard (a move left a copy).
    let first = shard_pool(&t.first).await?;
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, region)
         VALUES ($1, 'Left-behind copy', 'left-behind-' || $1, 'us-east-1') ON CONFLICT DO NOTHING",
    )
    .bind(twin_org)
    .execute(&first)
    .await?;
    // RLS drifts: enabled but not forced on the last shard; a policy loosened on the second.
    let last = shard_pool(&t.last).await?;
    last.execute("ALTER TABLE appointments NO FORCE ROW LEVEL SECURITY")
        .await?;
    // 9: the last shard's next-month audit partition is missing (the shard page names the call).
    last.execute(DROP_NEXT_PARTITION).await?;
    let second = shard_pool(&t.second).await?;
    second
        .execute(
            "ALTER POLICY tenant_isolation ON audit_log USING (organization_id = app_current_org() \
             OR app_is_superadmin() OR organization_id IS NULL)",
        )
        .await?;
    Ok(())
}

/// A shared shard's row in `shard_capacity` (50 orgs, 500 000 patients), left alone if present.
#[tracing::instrument(skip(tx), err)]
async fn add_shared_capacity(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    shard: &str,
    region: &str,
    orgs: i32,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO shard_capacity (shard_id, region, shard_type, current_orgs, max_orgs,
                                     current_patients, max_patients)
         VALUES ($1, $2, 'shared', $3, 50, 0, 500000) ON CONFLICT DO NOTHING",
    )
    .bind(shard)
    .bind(region)
    .bind(orgs)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Write the drifts' two cache entries again if the drifts are applied (their routing-DB rows are
/// there) and the entries are missing — after a Redis restart, which loses them: the demo's
/// routing drifts stay visible for as long as it runs. NX, as the platform's router writes on a
/// miss. Returns whether the drifts are applied.
#[tracing::instrument(skip_all, err)]
pub async fn reassert_cache_drifts(fleet: &Fleet, prefix: &str) -> Result<bool> {
    let t = targets(fleet)?;
    let routing = admin_pool(fleet, fleet.routing_port, &fleet.routing_database).await?;
    let applied: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM tenant_shards WHERE organization_id = $1)",
    )
    .bind(UNREACHABLE_ORG)
    .fetch_one(&routing)
    .await?;
    if !applied {
        return Ok(false);
    }
    let stale_org = first_org_on(&routing, &t.first).await?;
    write_cache_drifts(fleet, prefix, stale_org, &t, Overwrite::No).await?;
    Ok(true)
}

/// Whether writing the cache drifts replaces an entry that is there (seeding) or only fills a
/// missing one (`NX`, as the platform's router writes on a miss).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Overwrite {
    Yes,
    No,
}

/// 1 + 2: a stale cache entry (sends an org of the first shard to the second) and an entry for
/// an org the routing DB does not know.
#[tracing::instrument(skip(fleet, t), err)]
async fn write_cache_drifts(
    fleet: &Fleet,
    prefix: &str,
    stale_org: i64,
    t: &Targets,
    overwrite: Overwrite,
) -> Result<()> {
    let client = redis::Client::open(fleet.redis_url.as_str())?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let mut pipe = redis::pipe();
    for (key, shard) in [
        (format!("{prefix}{stale_org}"), &t.second),
        (format!("{prefix}{UNKNOWN_CACHED_ORG}"), &t.first),
    ] {
        pipe.cmd("SET").arg(key).arg(shard).arg("EX").arg(DEMO_TTL);
        if overwrite == Overwrite::No {
            pipe.arg("NX");
        }
        pipe.ignore();
    }
    let _: () = pipe.query_async(&mut con).await?;
    Ok(())
}

/// Undo every drift [`apply`] wrote.
#[tracing::instrument(skip_all, err)]
pub async fn revert(fleet: &Fleet, prefix: &str) -> Result<()> {
    let t = targets(fleet)?;
    let routing = admin_pool(fleet, fleet.routing_port, &fleet.routing_database).await?;
    let stale_org = first_org_on(&routing, &t.first).await?;
    let twin_org = first_org_on(&routing, &t.second).await?;
    let client = redis::Client::open(fleet.redis_url.as_str())?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let _: () = redis::pipe()
        .set_ex(format!("{prefix}{stale_org}"), &t.first, 300)
        .ignore()
        .del(format!("{prefix}{UNKNOWN_CACHED_ORG}"))
        .ignore()
        .query_async(&mut con)
        .await?;
    let mut tx = routing.begin().await?;
    let ids = [MISSING_ORG, UNREACHABLE_ORG];
    sqlx::query("DELETE FROM tenant_shards WHERE organization_id = ANY($1)")
        .bind(&ids[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM organization_summary WHERE organization_id = ANY($1)")
        .bind(&ids[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM shard_capacity WHERE shard_id = ANY($1)")
        .bind(&[UNREACHABLE_SHARD, PROVISIONED_SHARD][..])
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE shard_capacity s SET current_orgs = r.n
           FROM (SELECT shard_id, count(*)::int AS n FROM tenant_shards GROUP BY shard_id) r
          WHERE r.shard_id = s.shard_id",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM patient_person_registry WHERE patient_person_id = ANY($1)")
        .bind(&REGISTRY_IDS[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let port = |id: &str| fleet.shard(id).map(|s| s.primary_port).unwrap_or(0);
    let first = admin_pool(fleet, port(&t.first), &fleet.shard_database).await?;
    sqlx::query("DELETE FROM organizations WHERE id = $1 AND name = 'Left-behind copy'")
        .bind(twin_org)
        .execute(&first)
        .await?;
    let last = admin_pool(fleet, port(&t.last), &fleet.shard_database).await?;
    last.execute("ALTER TABLE appointments FORCE ROW LEVEL SECURITY")
        .await?;
    last.execute("SELECT create_audit_log_partition()").await?;
    let second = admin_pool(fleet, port(&t.second), &fleet.shard_database).await?;
    second
        .execute(
            "ALTER POLICY tenant_isolation ON audit_log USING (organization_id = app_current_org() \
             OR app_is_superadmin())",
        )
        .await?;
    Ok(())
}
