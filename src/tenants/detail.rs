//! `/tenants/{org_id}`: everything the console knows about where one tenant lives and how it is
//! doing, each part read under its own deadline so one slow source never blanks the page.

use serde::{Deserialize, Serialize};

use super::Sources;
use super::directory::Tenant;
use super::reader::{TenantCounts, tenant_counts};
use super::routing_cache::CacheEntry;
use super::truth::Finding;
use crate::auth::{AuditFilter, AuditRecord};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::{Outcome, timed};
use crate::overview::probe::ShardStats;
use crate::partial::{Failure, FailureKind, Partial, Visible};
use crate::telemetry::filters::Filters;
use crate::telemetry::pools::PoolRow;
use crate::telemetry::requests::{GroupStats, RequestStats, View};
use crate::telemetry::slow::SlowRow;
use crate::telemetry::sql::{GroupBy, TopBy};
use crate::time_range::TimeRange;

/// The routing row as shown: endpoints without credentials (a URL that does not parse is shown as
/// unusable, never echoed: it may hold a password).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutingRow {
    pub primary: std::result::Result<String, String>,
    pub replicas: Vec<std::result::Result<String, String>>,
    pub max_patients: Option<i32>,
    pub shard_load_score: Option<i32>,
    pub updated_at_ms: Option<i64>,
}

/// The routing cache entry compared with the routing DB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CacheVerdict {
    Agrees(CacheEntry),
    Disagrees(CacheEntry),
    /// No entry: the platform reads the routing DB on the tenant's next request (normal).
    Missing,
    Unknown(String),
}

impl CacheVerdict {
    /// `agrees`, `disagrees`, `missing` or `unknown`.
    pub fn code(&self) -> &'static str {
        match self {
            CacheVerdict::Agrees(_) => "agrees",
            CacheVerdict::Disagrees(_) => "disagrees",
            CacheVerdict::Missing => "missing",
            CacheVerdict::Unknown(_) => "unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantTelemetry {
    pub range: TimeRange,
    pub totals: Partial<RequestStats>,
    pub routes: Partial<Vec<GroupStats>>,
    pub pools: Partial<Vec<PoolRow>>,
    pub slow: Partial<Vec<SlowRow>>,
}

/// The newest records of who opened a tenant that its page (and its export) shows.
pub const ACCESS_SHOWN: usize = 20;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantPage {
    pub tenant: Tenant,
    pub routing: RoutingRow,
    pub cache: CacheVerdict,
    /// The shard's overview probe (reachability, replicas' lag, connections); None when the shard
    /// is not in the console's shard list.
    pub health: Option<Outcome<ShardStats>>,
    pub counts: Partial<TenantCounts>,
    pub telemetry: TenantTelemetry,
    /// Routing findings about this tenant, and why its shard's part is unknown (if it is).
    pub findings: Partial<(Vec<Finding>, Option<String>)>,
    /// Who opened this tenant before: only for a role that may read the access audit (staff
    /// emails and client addresses are a superadmin's to see); withheld, unread, for any other.
    pub access: Visible<Partial<Vec<AuditRecord>>>,
    pub generated_at_ms: u64,
}

fn shown(url: &str) -> std::result::Result<String, String> {
    Endpoint::parse(url)
        .map(|e| e.to_string())
        .map_err(|_| "unusable URL (not shown: it may hold credentials)".to_string())
}

#[derive(sqlx::FromRow)]
struct Row {
    database_primary_url: String,
    replica_urls: Vec<String>,
    max_patients: Option<i32>,
    shard_load_score: Option<i32>,
    updated_at_ms: Option<i64>,
}

/// Parse the org id of `/tenants/{org_id}`.
pub fn parse_org_id(raw: &str) -> Result<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{:?} is not an organization id: use the number from /tenants, e.g. /tenants/101",
                raw.chars().take(40).collect::<String>()
            ))
        })
}

/// The tenant's directory row; a 400 naming the id when the routing DB has no such org.
pub async fn find_tenant(console: &impl Sources, org_id: i64) -> Result<Tenant> {
    super::directory_cached(console)
        .await?
        .iter()
        .find(|t| t.org_id == org_id)
        .cloned()
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "no organization {org_id} in the routing database: search for it on /tenants"
            ))
        })
}

/// Read the whole page for a tenant found by [`find_tenant`] and a range already parsed (both
/// checked at the edge, before the view is audited). `staff_id` is the reader's identity inside
/// the RLS context.
#[tracing::instrument(skip(console, tenant), fields(org_id = tenant.org_id), err(level = "debug"))]
pub async fn tenant_page(
    console: &(impl Sources + crate::overview::Sources + crate::telemetry::Sources),
    tenant: Tenant,
    range: TimeRange,
    staff_id: i64,
    with_access_audit: bool,
) -> Result<TenantPage> {
    let now = now_ms();
    let org_id = tenant.org_id;
    let row: Row = sqlx::query_as(
        "SELECT database_primary_url, coalesce(database_replica_urls, '{}') AS replica_urls,
                max_patients, shard_load_score,
                (EXTRACT(EPOCH FROM updated_at) * 1000)::int8 AS updated_at_ms
           FROM tenant_shards WHERE organization_id = $1",
    )
    .bind(org_id)
    .fetch_optional(console.routing())
    .await?
    .ok_or_else(|| Error::InvalidInput(format!("organization {org_id} was just removed")))?;
    let routing = RoutingRow {
        primary: shown(&row.database_primary_url),
        replicas: row.replica_urls.iter().map(|u| shown(u)).collect(),
        max_patients: row.max_patients,
        shard_load_score: row.shard_load_score,
        updated_at_ms: row.updated_at_ms,
    };
    let shards = console.shards().await?;
    let shard = shards.iter().find(|s| s.id == tenant.shard_id).cloned();
    let deadline = console.config().engine.shard_deadline;
    let entry = console.routing_cache().entry(org_id).await;
    let cache = match &entry {
        Ok(Some(e)) if e.shard_id == tenant.shard_id => CacheVerdict::Agrees(e.clone()),
        Ok(Some(e)) => CacheVerdict::Disagrees(e.clone()),
        Ok(None) => CacheVerdict::Missing,
        Err(e) => CacheVerdict::Unknown(e.to_string()),
    };
    let health = async {
        match &shard {
            Some(s) => Some(console.overview_cache().shard_overview(s).await),
            None => None,
        }
    };
    let counts = async {
        let Some(readers) = console.tenant_readers() else {
            return Err(Failure::new(
                FailureKind::Unconfigured,
                "the tenant reader has no password (SHARDSCOPE_TENANT_READER_PASSWORD)",
            ));
        };
        // The primary from the tenant's own routing row: where the platform reads it.
        let endpoint = Endpoint::parse(&row.database_primary_url).map_err(|_| {
            Failure::new(
                FailureKind::ShardUnknown,
                "its routing row has an unusable primary URL",
            )
        })?;
        let out = timed(
            tenant.shard_id.clone(),
            deadline,
            tenant_counts(readers, &endpoint, org_id, staff_id),
        )
        .await;
        out.result
    };
    let telemetry = tenant_telemetry(console, &tenant, range, (now / 1000) as u32);
    let findings = async {
        let known_entry = entry.as_ref().ok().cloned().flatten();
        super::truth::tenant_findings(console, org_id, &tenant.shard_id, known_entry)
            .await
            .map(|r| {
                let mut unknown: Vec<String> = r
                    .unknown
                    .iter()
                    .map(|(s, why)| format!("{s}: {why}"))
                    .collect();
                if let Err(e) = &entry {
                    unknown.push(format!("the routing cache could not be read ({e})"));
                }
                (
                    r.findings,
                    (!unknown.is_empty()).then(|| unknown.join("; ")),
                )
            })
            .map_err(|e| e.failure())
    };
    let access = async {
        if !with_access_audit {
            return Visible::Withheld(
                "who opened this tenant is in the access audit, a superadmin's to read".into(),
            );
        }
        Visible::Shown(
            console
                .auth()
                .audit
                .list(&AuditFilter {
                    target: Some(format!("org:{org_id}")),
                    ..Default::default()
                })
                .await
                .map(|mut records| {
                    records.truncate(ACCESS_SHOWN);
                    records
                })
                .map_err(|e| Failure::new(e.failure().kind, "the access audit could not be read")),
        )
    };
    let (health, counts, telemetry, findings, access) =
        tokio::join!(health, counts, telemetry, findings, access);
    Ok(TenantPage {
        tenant,
        routing,
        cache,
        health,
        counts,
        telemetry,
        findings,
        access,
        generated_at_ms: now,
    })
}

async fn tenant_telemetry(
    console: &impl crate::telemetry::Sources,
    tenant: &Tenant,
    range: TimeRange,
    now: u32,
) -> TenantTelemetry {
    let t = console.telemetry();
    let org = Filters {
        org: Some(tenant.org_id as u64),
        ..Default::default()
    };
    let shard = Filters {
        shard: Some(tenant.shard_id.clone()),
        ..Default::default()
    };
    let view = View {
        group: GroupBy::Route,
        by: TopBy::Volume,
        top: 5,
    };
    let (requests, pools, slow) = tokio::join!(
        crate::telemetry::requests::requests_panel(t, &range, &org, view, now),
        crate::telemetry::pools::pools_panel(t, &range, &shard, now),
        crate::telemetry::slow::slow_top(t, &range, &org, 10),
    );
    TenantTelemetry {
        range,
        totals: requests.totals,
        routes: requests.groups,
        pools: pools.pools,
        slow,
    }
}
