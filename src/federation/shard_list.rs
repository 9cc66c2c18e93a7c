//! Which shards exist and where they live, as the routing database lists them.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::Result;
use crate::federation::endpoint::Endpoint;

/// A shard as listed in `tenant_shards`. Endpoints keep no credentials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardInfo {
    pub id: String,
    pub shard_type: String,
    pub region: Option<String>,
    /// Organizations routed to this shard by the routing DB.
    pub routed_orgs: i64,
    pub primary: Result<Endpoint, String>,
    pub replicas: Vec<Result<Endpoint, String>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    shard_id: String,
    shard_type: String,
    region: Option<String>,
    database_primary_url: String,
    replica_urls: Vec<String>,
    orgs: i64,
}

fn endpoint(url: &str) -> Result<Endpoint, String> {
    Endpoint::parse(url).map_err(|e| e.to_string())
}

/// Every distinct shard in `tenant_shards`, with its endpoints, ordered by id.
#[tracing::instrument(skip_all, err)]
pub async fn load_shards(routing: &PgPool) -> Result<Vec<ShardInfo>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT DISTINCT ON (shard_id)
                shard_id, shard_type, region, database_primary_url,
                coalesce(database_replica_urls, '{}') AS replica_urls,
                count(*) OVER (PARTITION BY shard_id) AS orgs
           FROM tenant_shards
          ORDER BY shard_id, organization_id",
    )
    .fetch_all(routing)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ShardInfo {
            primary: endpoint(&r.database_primary_url),
            replicas: r.replica_urls.iter().map(|u| endpoint(u)).collect(),
            id: r.shard_id,
            shard_type: r.shard_type,
            region: r.region,
            routed_orgs: r.orgs,
        })
        .collect())
}
