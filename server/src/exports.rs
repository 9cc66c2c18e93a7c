//! One export handler for every table the console shows: `?format=csv|json&table=ID` on a page's
//! own URL answers that table with the page's filters, from the same table definition and backend
//! functions as the page (so an export cannot disagree with it). The route table
//! (`shardscope_app::routes`) lists each page's table ids; the first is the default. It runs after
//! the identity gate, so an export needs the page's role and answers with the page's status.

mod shards;
mod telemetry;
mod tenants;

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shardscope::auth::Principal;
use shardscope::table::Export;
use shardscope_app::routes::{self, PageRoute};

use crate::plain_error::error_response;
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// The request's query as the exports read it (a repeated key keeps its last value).
pub struct ExportQuery(HashMap<String, String>);

impl ExportQuery {
    fn parse(q: Option<&str>) -> Self {
        ExportQuery(
            q.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .unwrap_or_default()
                .into_iter()
                .collect(),
        )
    }

    /// A value, `None` when absent or blank.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).filter(|v| !v.trim().is_empty()).cloned()
    }
}

impl From<HashMap<String, String>> for ExportQuery {
    fn from(map: HashMap<String, String>) -> Self {
        ExportQuery(map)
    }
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// A page's URL with `format=csv|json` answers one of its tables; without `format` (or with
/// `format=html`) it is the page.
pub async fn export_or_page(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let q = ExportQuery::parse(request.uri().query());
    let format = match q.get("format").as_deref() {
        None | Some("html") => return next.run(request).await,
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some(other) => {
            return bad_request(format!(
                "unknown format {other:?}: use format=csv or format=json, or leave it out for the page"
            ));
        }
    };
    let path = request.uri().path().to_string();
    let Some(route) = routes::find(&path) else {
        return next.run(request).await;
    };
    if route.tables.is_empty() {
        return bad_request(format!(
            "{} has no table to export: leave format out for the page",
            route.title
        ));
    }
    let table = q
        .get("table")
        .unwrap_or_else(|| route.tables[0].to_string());
    let Some(table) = route.tables.iter().copied().find(|t| *t == table) else {
        return error_response(&shardscope::table::unknown_table(&table, route.tables));
    };
    let caller = Caller::of(&request);
    let export = read(&state, route, &path, table, &q, caller).await;
    match export {
        Ok(e) => respond(format, route, &e),
        Err(e) => error_response(&e),
    }
}

/// Who asks, from where, sent by which site: what an export that is recorded needs.
struct Caller {
    principal: Principal,
    client_addr: String,
    cross_site: bool,
}

impl Caller {
    fn of(request: &Request) -> Self {
        let principal = request
            .extensions()
            .get::<Principal>()
            .cloned()
            .unwrap_or(Principal::Anonymous);
        let client_addr = request
            .extensions()
            .get::<shardscope::auth::ClientAddr>()
            .map_or_else(|| "unknown".to_string(), |c| c.0.clone());
        // As the tenant page's server function judges it (`api::guard::cross_site`).
        let cross_site = request
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !matches!(v.trim(), "same-origin" | "none"));
        Caller {
            principal,
            client_addr,
            cross_site,
        }
    }
}

/// The page's data for one of its tables (the table id is one of the route's).
async fn read(
    state: &AppState,
    route: &PageRoute,
    path: &str,
    table: &'static str,
    q: &ExportQuery,
    caller: Caller,
) -> shardscope::error::Result<Export> {
    let console = &state.console;
    match route.path {
        p if p == routes::POOLS.path => telemetry::pools(console, table, q).await,
        p if p == routes::REQUESTS.path => telemetry::requests(console, table, q).await,
        p if p == routes::SLOW_QUERIES.path => telemetry::slow(console, table, q).await,
        p if p == routes::OVERVIEW.path => shards::overview(console, q).await,
        p if p == routes::SHARDS.path => shards::list(console, q).await,
        p if p == routes::SHARD.path => {
            let shard = path.rsplit('/').next().unwrap_or_default();
            shards::shard(console, shard, table, q).await
        }
        p if p == routes::TENANTS.path => tenants::directory(console, q).await,
        p if p == routes::TENANT.path => {
            let Principal::Staff(staff) = &caller.principal else {
                return Err(shardscope::Error::Forbidden("sign in first".into()));
            };
            let opener = shardscope::tenants::opening::Opener {
                staff,
                client_addr: caller.client_addr,
                cross_site: caller.cross_site,
            };
            let org = path.rsplit('/').next().unwrap_or_default();
            tenants::tenant(console, opener, org, table, q).await
        }
        p if p == routes::AUDIT.path => {
            let filter = shardscope::auth::audit::parse_filter(|k| q.get(k))?;
            let records = console.auth().audit.export(&filter).await?;
            Ok(shardscope::auth::audit::table::records().export(&records))
        }
        p if p == routes::ROUTING.path => tenants::routing(console).await,
        p if p == routes::COMPLIANCE.path => tenants::compliance(console).await,
        p if p == routes::PLACEMENT.path => tenants::placement(console, table, q).await,
        _ => Err(shardscope::Error::InvalidInput(format!(
            "{} lists table {table:?} but has no export for it",
            route.title
        ))),
    }
}

/// `shardscope-shards-shard-history.csv`: from the route's path (its parameters by name, never
/// their values: a shard id or org name is fleet text) and the table id.
fn file_name(route: &PageRoute, table: &str, format: Format) -> String {
    let stem: Vec<&str> = route
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches('{').trim_end_matches('}'))
        .collect();
    let stem = if stem.is_empty() {
        "overview".to_string()
    } else {
        stem.join("-")
    };
    format!("shardscope-{stem}-{table}.{}", format.ext())
}

fn respond(format: Format, route: &PageRoute, export: &Export) -> Response {
    let body = match format {
        Format::Csv => export.csv(),
        Format::Json => export.json(),
    };
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    file_name(route, export.table, format)
                ),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_ids_only() {
        assert_eq!(
            file_name(&routes::SHARD, "history", Format::Csv),
            "shardscope-shards-shard-history.csv"
        );
        assert_eq!(
            file_name(&routes::OVERVIEW, "shards", Format::Json),
            "shardscope-overview-shards.json"
        );
    }
}
