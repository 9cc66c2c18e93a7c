//! The disk each demo shard was given (`console.shard_allocations`), set once from each primary's
//! size at seed time: the enterprise shard sits above the 80 % line, the others well within.

use super::postgres::admin_pool;
use crate::demo::fleet::Fleet;
use crate::error::Result;

/// The share of its allocation the one full shard starts at.
const FULL_SHARE: f64 = 0.86;
/// And every other shard.
const ROOMY_SHARE: f64 = 0.30;

/// The shard the demo puts above its allocation's alert line: the enterprise one, else the last.
pub fn full_shard(fleet: &Fleet) -> Option<&str> {
    fleet
        .shards
        .iter()
        .find(|s| s.shard_type == "enterprise")
        .or(fleet.shards.last())
        .map(|s| s.id.as_str())
}

/// Write an allocation for every shard that has none (existing ones are the operator's: kept).
#[tracing::instrument(skip_all, err)]
pub async fn seed_allocations(fleet: &Fleet) -> Result<()> {
    let routing = admin_pool(fleet, fleet.routing_port, &fleet.routing_database).await?;
    let full = full_shard(fleet);
    for shard in &fleet.shards {
        let pool = admin_pool(fleet, shard.primary_port, &fleet.shard_database).await?;
        let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&pool)
            .await?;
        pool.close().await;
        let share = if Some(shard.id.as_str()) == full {
            FULL_SHARE
        } else {
            ROOMY_SHARE
        };
        sqlx::query(
            "INSERT INTO console.shard_allocations (shard_id, allocated_bytes) VALUES ($1, $2)
             ON CONFLICT (shard_id) DO NOTHING",
        )
        .bind(&shard.id)
        .bind((size as f64 / share) as i64)
        .execute(&routing)
        .await?;
    }
    Ok(())
}
