//! Server functions of the shard pages: every role that sees the fleet may open them. The orgs a
//! shard holds are named only to roles that may open tenants; others see how many there are.

use leptos::prelude::*;

use super::ApiError;
use shardscope::partial::Visible;
use shardscope::shards::detail::ShardView;
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

/// `/shards/{shard_id}`: one shard, its primary and every replica, and its history over the range.
#[server(prefix = "/api", endpoint = "shard-page")]
pub async fn get_shard(
    shard: String,
    #[server(default)] range: Option<String>,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
) -> Result<ShardView, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewFleet)?;
    let console = super::console()?;
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|v| !v.trim().is_empty())
    }
    let range =
        shardscope::time_range::TimeRange::parse(text(&range), text(&from), text(&to), now)?;
    let mut view = shardscope::shards::detail::shard_view(&console, &shard, range)
        .await
        .map_err(ApiError::from)?;
    let page = &mut view.live;
    if !super::guard::allows(shardscope::auth::Capability::ViewTenants)
        && let Ok(Visible::Shown(orgs)) = &page.orgs
    {
        page.orgs = Ok(Visible::Withheld(format!(
            "{} orgs are routed here; their names need the support or superadmin role",
            orgs.len()
        )));
    }
    Ok(view)
}
