//! The tenant pages' tables.

use shardscope::Console;
use shardscope::auth::Capability;
use shardscope::error::{Error, Result};
use shardscope::partial::{Partial, Visible};
use shardscope::table::Export;
use shardscope::tenants::opening::Opener;
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

fn ready<T>(r: Partial<T>) -> Result<T> {
    r.map_err(Error::TelemetryUnavailable)
}

/// `/tenants/{org}`: one of the tenant's tables, opened as its page is (the same checks, the same
/// `view_tenant` record first). Who opened it before is a superadmin's only: any other role gets
/// a 403 for that table, as the page shows it no such table.
pub async fn tenant(
    console: &Console,
    opener: Opener<'_>,
    org: &str,
    table: &str,
    q: &ExportQuery,
) -> Result<Export> {
    if table == "access" && !opener.staff.role.allows(Capability::ViewAudit) {
        return Err(Error::Forbidden(format!(
            "who opened a tenant is in the access audit, which your role ({}) may not read",
            opener.staff.role
        )));
    }
    let page =
        shardscope::tenants::opening::open(console, &console.auth().audit, opener, org, |k| {
            q.get(k)
        })
        .await?;
    let t = page.telemetry;
    Ok(match table {
        "pools" => tables::pools().export(&ready(t.pools)?),
        "slow_queries" => tables::slow_queries().export(&ready(t.slow)?),
        "access" => {
            let access = match page.access {
                Visible::Shown(read) => read.map_err(Error::RoutingUnavailable)?,
                Visible::Withheld(_) => Vec::new(),
            };
            tables::access().export(&access)
        }
        _ => tables::routes().export(&ready(t.routes)?),
    })
}
