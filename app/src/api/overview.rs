use leptos::prelude::*;

use super::ApiError;
use crate::dto::FleetShardsDto;
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

/// The shards listed in the routing DB (no shard is contacted), and those it names without an
/// endpoint. The second list is best effort: without it the overview still renders.
#[server(prefix = "/api", endpoint = "shards")]
pub async fn get_fleet_shards() -> Result<FleetShardsDto, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = console()?;
    let shards = console.shards().await.map_err(ApiError::from)?;
    let without_endpoint = match shardscope::shards::known_cached(&console).await {
        Ok(known) => known
            .iter()
            .filter(|k| !k.has_endpoint())
            .map(|k| k.id.clone())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the shards without an endpoint could not be counted");
            Vec::new()
        }
    };
    Ok(FleetShardsDto {
        shards: shards.iter().map(Into::into).collect(),
        without_endpoint,
    })
}
