//! Server functions of the telemetry pages: role check, the query checked once into typed values,
//! one backend call, the backend's page. Bad input answers 400 with what to type; an unavailable
//! ClickHouse is part of the page, not an error.

use leptos::prelude::*;

use super::ApiError;
use crate::dto::TelemetryQuery;
use shardscope::telemetry::pages::{PoolsPage, RequestsPage, SlowPage};

/// `/pools`: every pool, its waits, and the connection math per shard.
#[server(prefix = "/api", endpoint = "pools")]
pub async fn get_pools(#[server(default)] query: TelemetryQuery) -> Result<PoolsPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let scope = query.scope(&console).await?;
    Ok(shardscope::telemetry::pages::pools_page(&console, scope).await)
}

/// `/telemetry`: request rate, latency quantiles and 5xx rate per shard, org or route.
#[server(prefix = "/api", endpoint = "requests")]
pub async fn get_requests(
    #[server(default)] query: TelemetryQuery,
) -> Result<RequestsPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let scope = query.scope(&console).await?;
    let view = query.view()?;
    Ok(shardscope::telemetry::pages::requests_page(&console, scope, view).await)
}

/// `/telemetry/slow-queries`: the slow-query log by statement, and `pg_stat_statements` per shard.
#[server(prefix = "/api", endpoint = "slow-queries")]
pub async fn get_slow_queries(
    #[server(default)] query: TelemetryQuery,
) -> Result<SlowPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let scope = query.scope(&console).await?;
    let top = query.slow_top()?;
    shardscope::telemetry::pages::slow_page(&console, scope, top)
        .await
        .map_err(ApiError::from)
}
