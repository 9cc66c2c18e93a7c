//! The telemetry pages' tables: the page's own query, its own backend function, one table of it.

use shardscope::Console;
use shardscope::error::{Error, Result};
use shardscope::partial::Partial;
use shardscope::table::Export;
use shardscope::telemetry::query::TelemetryQuery;
use shardscope::telemetry::{pages, tables};

use super::ExportQuery;

fn ready<T>(r: &Partial<T>) -> Result<&T> {
    r.as_ref()
        .map_err(|e| Error::TelemetryUnavailable(e.clone()))
}

fn query(q: &ExportQuery) -> TelemetryQuery {
    TelemetryQuery::from_lookup(|k| q.get(k))
}

pub async fn pools(console: &Console, table: &str, q: &ExportQuery) -> Result<Export> {
    let scope = query(q).scope(console).await?;
    let page = pages::pools_page(console, scope).await;
    Ok(match table {
        "series" => tables::pool_series().export(ready(&page.series)?),
        "connections" => tables::connections().export(ready(&page.connections)?),
        _ => tables::pools().export(ready(&page.pools)?),
    })
}

pub async fn requests(console: &Console, table: &str, q: &ExportQuery) -> Result<Export> {
    let query = query(q);
    let scope = query.scope(console).await?;
    let view = query.view()?;
    let page = pages::requests_page(console, scope, view).await;
    let group = page.view.group;
    Ok(match table {
        "series" => tables::request_series(group).export(ready(&page.series)?),
        _ => tables::groups(group).export(ready(&page.groups)?),
    })
}

pub async fn slow(console: &Console, table: &str, q: &ExportQuery) -> Result<Export> {
    let query = query(q);
    let scope = query.scope(console).await?;
    let top = query.slow_top()?;
    let page = pages::slow_page(console, scope, top).await?;
    Ok(match table {
        "statements" => tables::statements().export(&tables::statement_lines(&page.statements)),
        _ => tables::slow_queries().export(ready(&page.queries)?),
    })
}
