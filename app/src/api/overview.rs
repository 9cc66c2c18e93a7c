use leptos::prelude::*;

use crate::dto::{OverviewDto, ShardHeaderDto};

#[cfg(feature = "ssr")]
pub(crate) fn console() -> Result<shardscope::Console, ServerFnError> {
    use_context::<shardscope::Console>()
        .ok_or_else(|| ServerFnError::new("console backend missing from context"))
}

/// Map a backend error to what may cross the wire: the category, details only in the log.
#[cfg(feature = "ssr")]
pub(crate) fn public_error(e: shardscope::Error) -> ServerFnError {
    if matches!(e.status(), 403 | 429) {
        tracing::debug!(error = %e, "server function refused");
    } else {
        tracing::error!(error = %e, "server function failed");
    }
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(e.status())
    {
        res.set_status(status);
    }
    ServerFnError::new(match e.status() {
        400 | 503 => e.to_string(),
        403 => e.to_string().trim_start_matches("forbidden: ").to_string(),
        429 => e
            .to_string()
            .trim_start_matches("too many requests: ")
            .to_string(),
        _ => "internal error (logged)".to_string(),
    })
}

/// The fleet overview: every shard probed in parallel, each within its deadline.
#[server(prefix = "/api", endpoint = "overview")]
pub async fn get_overview() -> Result<OverviewDto, ServerFnError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    shardscope::overview::fleet_overview(&console()?)
        .await
        .map(Into::into)
        .map_err(public_error)
}

/// The shards listed in the routing DB (no shard is contacted).
#[server(prefix = "/api", endpoint = "shards")]
pub async fn get_fleet_shards() -> Result<Vec<ShardHeaderDto>, ServerFnError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let shards = console()?.shards().await.map_err(public_error)?;
    Ok(shards.iter().map(Into::into).collect())
}
