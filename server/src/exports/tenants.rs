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
