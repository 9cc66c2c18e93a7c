//! The tenant pages' tables.

use shardscope::Console;
use shardscope::error::Result;
use shardscope::table::Export;
use shardscope::tenants::tables;

use super::ExportQuery;

/// `/tenants`: every tenant of the view (all pages, the same search, filters and sort).
/// Endpoints and URLs are not part of the directory, so no credential can be in it.
pub async fn directory(console: &Console, q: &ExportQuery) -> Result<Export> {
    let rows = shardscope::tenants::directory_export(console, |k| q.get(k)).await?;
    Ok(tables::tenants().export(&rows))
}

/// `/routing`: every finding of the report (the page's cached one).
pub async fn routing(console: &Console) -> Result<Export> {
    let report = shardscope::tenants::truth::report(console).await?;
    Ok(tables::findings().export(&report.findings))
}

/// `/compliance`: the RLS matrix, one column per shard.
pub async fn compliance(console: &Console) -> Result<Export> {
    let report = shardscope::tenants::compliance::report(console).await?;
    let (table, rows) = tables::rls(&report);
    Ok(table.export(&rows))
}

/// `/placement`: the preview's candidates for the asked org (none when nothing is asked), or the
/// noisy neighbours.
pub async fn placement(console: &Console, table: &str, q: &ExportQuery) -> Result<Export> {
    let page = shardscope::tenants::placement::placement_page(console, |k| q.get(k)).await?;
    match table {
        "noisy" => {
            let noisy = page
                .noisy
                .map_err(shardscope::Error::TelemetryUnavailable)?;
            Ok(tables::noisy().export(&noisy))
        }
        _ => {
            let candidates = page.decision.map(|d| d.1).unwrap_or_default();
            Ok(tables::candidates().export(&candidates))
        }
    }
}
