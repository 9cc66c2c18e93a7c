use leptos::prelude::*;

use super::ApiError;
use crate::dto::ShardHeaderDto;
use shardscope::overview::FleetOverview;

/// The backend, put in every request's context by the server.
pub(crate) fn console() -> Result<shardscope::Console, ApiError> {
    use_context::<shardscope::Console>()
        .ok_or_else(|| ApiError::internal("console backend missing from context"))
}

/// The fleet overview: every shard probed in parallel, each within its deadline.
#[server(prefix = "/api", endpoint = "overview")]
pub async fn get_overview() -> Result<FleetOverview, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    shardscope::overview::fleet_overview(&console()?)
        .await
        .map_err(ApiError::from)
}

/// The shards listed in the routing DB (no shard is contacted).
#[server(prefix = "/api", endpoint = "shards")]
pub async fn get_fleet_shards() -> Result<Vec<ShardHeaderDto>, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let shards = console()?.shards().await.map_err(ApiError::from)?;
    Ok(shards.iter().map(Into::into).collect())
}
