//! Every shard the routing database knows of, from any table that names one: `tenant_shards`
//! (routed orgs and endpoints), `shard_capacity` (provisioned capacity) and the registry's home
//! shards. A shard that no org is routed to yet has no endpoint the console can know; it is listed
//! as such, never left out.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::Result;

/// A shard as the routing database names it, with where each fact came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct KnownShard {
    pub id: String,
    /// `shared` or `enterprise`, from `tenant_shards` or else `shard_capacity`.
    pub shard_type: Option<String>,
    pub region: Option<String>,
    /// Orgs routed to it in `tenant_shards` (0: none yet).
    pub routed_orgs: i64,
    pub in_tenant_shards: bool,
    pub in_capacity: bool,
    /// People whose home shard (in the registry) it is.
    pub home_people: i64,
}

impl KnownShard {
    /// Whether the console knows where it lives (only `tenant_shards` has endpoints).
    pub fn has_endpoint(&self) -> bool {
        self.in_tenant_shards
    }

    /// Where the routing database names it, for the page ("tenant_shards, shard_capacity").
    pub fn named_in(&self) -> Vec<&'static str> {
        let mut tables = Vec::new();
        if self.in_tenant_shards {
            tables.push("tenant_shards");
        }
        if self.in_capacity {
            tables.push("shard_capacity");
        }
        if self.home_people > 0 {
            tables.push("patient_person_registry");
        }
        tables
    }
}

/// Every shard named in the routing DB, ordered by id. The registry is read by distinct home
/// shard (an index-only question on a platform that indexes it; a scan here, cached by callers).
#[tracing::instrument(skip_all, err)]
pub async fn load(routing: &PgPool) -> Result<Vec<KnownShard>> {
    let rows = sqlx::query_as(
        "WITH routed AS (
            SELECT DISTINCT ON (shard_id) shard_id, shard_type, region,
                   count(*) OVER (PARTITION BY shard_id) AS orgs
              FROM tenant_shards ORDER BY shard_id, organization_id),
         homes AS (
            SELECT home_shard_id AS shard_id, count(*) AS people
              FROM patient_person_registry GROUP BY home_shard_id)
         SELECT shard_id AS id,
                coalesce(r.shard_type, c.shard_type) AS shard_type,
                coalesce(r.region, c.region) AS region,
                coalesce(r.orgs, 0)::int8 AS routed_orgs,
                r.shard_id IS NOT NULL AS in_tenant_shards,
                c.shard_id IS NOT NULL AS in_capacity,
                coalesce(h.people, 0)::int8 AS home_people
           FROM routed r
           FULL JOIN shard_capacity c USING (shard_id)
           FULL JOIN homes h USING (shard_id)
          ORDER BY shard_id",
    )
    .fetch_all(routing)
    .await?;
    Ok(rows)
}
