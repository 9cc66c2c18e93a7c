//! The shard page's tables: its history over the page's range, and what its nodes said now.

use shardscope::Console;
use shardscope::error::{Error, Result};
use shardscope::shards::tables;
use shardscope::table::Export;

use super::ExportQuery;

/// `/`: every shard's row, as the page orders them (`?sort=`, by shard id when absent).
pub async fn overview(console: &Console, q: &ExportQuery) -> Result<Export> {
    use shardscope_app::pages::overview::{SortKey, sort_rows};
    let mut fleet = shardscope::overview::fleet_overview(console).await?;
    sort_rows(
        &mut fleet.shards,
        SortKey::from_param(q.get("sort").as_deref()),
    );
    Ok(shardscope::overview::tables::shards().export(&fleet.shards))
}

/// `/shards`: the list with the page's filters.
pub async fn list(console: &Console, q: &ExportQuery) -> Result<Export> {
    let page = shardscope::shards::list::shards_page(console, |k| q.get(k)).await?;
    Ok(tables::shards_list().export(&page.rows))
}

pub async fn shard(console: &Console, shard: &str, table: &str, q: &ExportQuery) -> Result<Export> {
    if table == "history" {
        let history = crate::charts::shard_history(console, shard, q).await?;
        let points = history
            .points
            .as_ref()
            .map_err(|u| Error::TelemetryUnavailable(u.clone()))?;
        return Ok(tables::history().export(points));
    }
    let page = shardscope::shards::detail::shard_page(console, shard).await?;
    let primary =
        page.primary.result.as_ref().map_err(|f| {
            Error::NodeUnavailable(format!("the primary of {shard} did not answer: {f}"))
        });
    Ok(match table {
        "connections" => tables::connections().export(&tables::all_state_counts(&page)),
        "senders" => tables::senders().export(&primary?.replication.senders),
        "slots" => tables::slots().export(&primary?.replication.slots),
        _ => tables::partitions().export(&primary?.partitions.partitions),
    })
}
