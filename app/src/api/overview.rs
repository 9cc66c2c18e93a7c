use leptos::prelude::*;

use crate::dto::OverviewDto;

/// The fleet overview: every shard probed in parallel, each within its deadline.
#[server(prefix = "/api", endpoint = "overview")]
pub async fn get_overview() -> Result<OverviewDto, ServerFnError> {
    let console = use_context::<shardscope::Console>()
        .ok_or_else(|| ServerFnError::new("console backend missing from context"))?;
    match shardscope::overview::fleet_overview(&console).await {
        Ok(o) => Ok(o.into()),
        Err(e) => {
            tracing::error!(error = %e, "fleet overview failed");
            // Only the category crosses the wire; details stay in the log.
            Err(ServerFnError::new(match e.status() {
                503 => e.to_string(),
                _ => "internal error (logged)".to_string(),
            }))
        }
    }
}
