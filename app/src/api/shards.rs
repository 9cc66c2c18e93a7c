//! Server functions of the shard pages: every role that sees the fleet may open them. The orgs a
//! shard holds are named only to roles that may open tenants; others see how many there are.

use leptos::prelude::*;

use super::ApiError;
use shardscope::shards::detail::ShardPage;
use shardscope::shards::list::ShardsPage;

/// `/shards`: every shard the routing DB knows, filtered by region and type.
#[server(prefix = "/api", endpoint = "shards-page")]
pub async fn get_shards(
    #[server(default)] region: Option<String>,
    #[server(default)] shard_type: Option<String>,
) -> Result<ShardsPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let get = |k: &str| match k {
        "region" => region.clone(),
        "type" => shard_type.clone(),
        _ => None,
    };
    shardscope::shards::list::shards_page(&console, get)
        .await
        .map_err(ApiError::from)
}

/// `/shards/{shard_id}`: one shard, its primary and every replica.
#[server(prefix = "/api", endpoint = "shard-page")]
pub async fn get_shard(shard: String) -> Result<ShardPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let page = shardscope::shards::detail::shard_page(&console, &shard)
        .await
        .map_err(ApiError::from)?;
    let mut page = (*page).clone();
    if !super::guard::allows(shardscope::auth::Capability::ViewTenants)
        && let Ok(orgs) = &page.orgs
    {
        page.orgs = Err(format!(
            "{} orgs are routed here; their names need the support or superadmin role",
            orgs.len()
        ));
    }
    Ok(page)
}
