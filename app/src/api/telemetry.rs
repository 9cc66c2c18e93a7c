//! Server functions of the telemetry pages: role check, one backend call, a DTO. Bad input answers
//! 400 with what to type; an unavailable ClickHouse is part of the page, not an error.

use leptos::prelude::*;

use crate::dto::{PoolsPageDto, RequestsPageDto, SlowPageDto, TelemetryQuery};

#[cfg(feature = "ssr")]
pub(crate) fn backend_error(e: shardscope::Error) -> ServerFnError {
    if e.status() == 400 {
        super::guard::bad_request(e.to_string().trim_start_matches("invalid input: "))
    } else if e.status() == 403 {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::FORBIDDEN);
        }
        ServerFnError::new(e.to_string().trim_start_matches("forbidden: "))
    } else {
        super::public_error(e)
    }
}

/// `/pools`: every pool, its waits, and the connection math per shard.
#[server(prefix = "/api", endpoint = "pools")]
pub async fn get_pools(
    #[server(default)] query: TelemetryQuery,
) -> Result<PoolsPageDto, ServerFnError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    shardscope::telemetry::pages::pools_page(&console, |k| query.get(k))
        .await
        .map(Into::into)
        .map_err(backend_error)
}

/// `/telemetry`: request rate, latency quantiles and 5xx rate per shard, org or route.
#[server(prefix = "/api", endpoint = "requests")]
pub async fn get_requests(
    #[server(default)] query: TelemetryQuery,
) -> Result<RequestsPageDto, ServerFnError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    shardscope::telemetry::pages::requests_page(&console, |k| query.get(k))
        .await
        .map(Into::into)
        .map_err(backend_error)
}

/// `/telemetry/slow-queries`: the slow-query log by statement, and `pg_stat_statements` per shard.
#[server(prefix = "/api", endpoint = "slow-queries")]
pub async fn get_slow_queries(
    #[server(default)] query: TelemetryQuery,
) -> Result<SlowPageDto, ServerFnError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    shardscope::telemetry::pages::slow_page(&console, |k| query.get(k))
        .await
        .map(Into::into)
        .map_err(backend_error)
}
