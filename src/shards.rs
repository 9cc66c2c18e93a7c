//! Shards as staff open them: `/shards` lists every shard the routing DB knows of ([`known`],
//! [`list`]); `/shards/{shard_id}` reads its primary and every replica ([`detail`]): the server
//! itself ([`node`]), replication from both sides ([`replication`]) and the audit-log partitions
//! ([`partitions`]). Everything is read through the monitoring role: statistics and catalogs, no
//! tenant rows, no statement text.

pub mod detail;
pub mod known;
pub mod list;
pub mod node;
pub mod partitions;
pub mod replication;
pub mod tables;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::tenants::Sources;
use known::KnownShard;

/// Every shard the routing DB names, shared for a minute (it scans the registry's home shards,
/// which no index serves) and read once at a time.
pub async fn known_cached(console: &impl Sources) -> Result<Arc<Vec<KnownShard>>> {
    let routing = console.routing().clone();
    console
        .fleet()
        .slow_memo()
        .shared(
            crate::coalesce::Key::one("known-shards"),
            move || async move { known::load(&routing).await.map_err(|e| e.failure()) },
        )
        .await
        .map_err(Error::RoutingUnavailable)
}
