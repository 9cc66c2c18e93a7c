//! The telemetry pages' numbers in other shapes: `format=csv` on a page's own URL answers its table
//! as CSV (same range, filters and view as the page), and `/charts/*.svg` draw its charts. Both go
//! through the same backend functions as the page, so they never disagree with it.

use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shardscope::telemetry::query::TelemetryQuery;
use shardscope::telemetry::{export, pages};

use crate::state::AppState;

pub const POOLS: &str = "/pools";
pub const REQUESTS: &str = "/telemetry";
pub const SLOW: &str = "/telemetry/slow-queries";
pub const TENANTS: &str = "/tenants";
pub const POOLS_SVG: &str = "/charts/pools.svg";
pub const REQUESTS_SVG: &str = "/charts/requests.svg";
/// A shard's history chart: `?metric=connections|lag&range=…`.
pub const SHARD_SVG: &str = "/shards/{shard}/chart.svg";
/// A shard's page; `format=csv` on it answers its history.
const SHARD_PAGES: &str = "/shards/";

fn query_map(q: Option<&str>) -> HashMap<String, String> {
    q.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn error_response(e: &shardscope::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "telemetry export failed");
    }
    let message = match e {
        shardscope::Error::InvalidInput(m) | shardscope::Error::NotFound(m) => m.clone(),
        shardscope::Error::TelemetryUnavailable(m) => format!("telemetry unavailable: {m}"),
        _ if status == StatusCode::SERVICE_UNAVAILABLE => {
            "the routing database did not answer; try again shortly".into()
        }
        _ => "internal error (logged)".into(),
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// On a telemetry page, `format=csv` answers the page's table as CSV; any other format is a 400.
pub async fn csv_or_page(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == TENANTS {
        return tenants_export(&state, request, next).await;
    }
    if let Some(shard) = path.strip_prefix(SHARD_PAGES).filter(|s| !s.contains('/')) {
        let q = query_map(request.uri().query());
        if q.get("format").is_none_or(|f| f.is_empty() || f == "html") {
            return next.run(request).await;
        }
        return shard_history_csv(&state, shard, &q).await;
    }
    if ![POOLS, REQUESTS, SLOW].contains(&path) {
        return next.run(request).await;
    }
    let q = query_map(request.uri().query());
    match q.get("format").map(String::as_str) {
        None | Some("" | "html") => return next.run(request).await,
        Some("csv") => {}
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("unknown format {other:?}: use format=csv, or leave it out for the page"),
            )
                .into_response();
        }
    }
    let query = TelemetryQuery::from_lookup(|k| q.get(k).cloned());
    let table = q.get("table").map(String::as_str).filter(|t| !t.is_empty());
    let console = &state.console;
    let (csv, name) = match path {
        POOLS => (
            match query.scope(console).await {
                Ok(scope) => export::pools_csv(&pages::pools_page(console, scope).await, table),
                Err(e) => Err(e),
            },
            table.unwrap_or("pools"),
        ),
        REQUESTS => (
            match (query.scope(console).await, query.view()) {
                (Ok(scope), Ok(view)) => {
                    export::requests_csv(&pages::requests_page(console, scope, view).await, table)
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            },
            table.unwrap_or("groups"),
        ),
        _ => (
            match (query.scope(console).await, query.slow_top()) {
                (Ok(scope), Ok(top)) => pages::slow_page(console, scope, top)
                    .await
                    .and_then(|p| export::slow_csv(&p, table)),
                (Err(e), _) | (_, Err(e)) => Err(e),
            },
            table.unwrap_or("queries"),
        ),
    };
    match csv {
        Ok(body) => {
            let stem = path.trim_start_matches('/').replace('/', "-");
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"shardscope-{stem}-{name}.csv\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => error_response(&e),
    }
}

/// A known shard's history over the range in the query; 404 for a shard the routing DB does not
/// name, 400 for a bad range.
async fn shard_history(
    state: &AppState,
    shard: &str,
    q: &HashMap<String, String>,
) -> shardscope::error::Result<shardscope::history::series::History> {
    let known = shardscope::shards::known_cached(&state.console).await?;
    if !known.iter().any(|s| s.id == shard) {
        return Err(shardscope::Error::NotFound(format!(
            "no shard {shard:?} in the routing database: see /shards for every shard it knows"
        )));
    }
    let text = |k: &str| {
        q.get(k)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let range = shardscope::telemetry::range::TimeRange::parse(
        text("range"),
        text("from"),
        text("to"),
        now,
    )?;
    Ok(shardscope::shards::detail::history_of(&state.console, shard, range).await)
}

/// `/shards/{shard_id}?format=csv&range=…`: the numbers behind the shard page's charts.
async fn shard_history_csv(state: &AppState, shard: &str, q: &HashMap<String, String>) -> Response {
    if q.get("format").map(String::as_str) != Some("csv") {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "unknown format: use format=csv, or leave it out for the page",
        )
            .into_response();
    }
    let history = match shard_history(state, shard, q).await {
        Ok(h) => h,
        Err(e) => return error_response(&e),
    };
    match shardscope::history::series::csv(&history) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"shardscope-shard-history.csv\"".to_string(),
                ),
            ],
            body,
        )
            .into_response(),
        Err(u) => error_response(&shardscope::Error::TelemetryUnavailable(u.0)),
    }
}

/// `GET /shards/{shard}/chart.svg?metric=connections|lag&range=…`.
pub async fn shard_svg(
    State(state): State<AppState>,
    axum::extract::Path(shard): axum::extract::Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use shardscope::history::series::{METRICS, chart};
    let metric = q.get("metric").map_or("connections", String::as_str);
    if !METRICS.contains(&metric) {
        return error_response(&shardscope::Error::InvalidInput(format!(
            "unknown metric {metric:?}: use one of {}",
            METRICS.join(", ")
        )));
    }
    match shard_history(&state, &shard, &q).await {
        Ok(h) => svg(chart(&h, metric)),
        Err(e) => error_response(&e),
    }
}

fn svg(chart: Option<shardscope::chart::LineChart>) -> Response {
    match chart {
        Some(c) => {
            let body = shardscope::chart::line_chart_svg(&c);
            if body.is_empty() {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "chart failed to render (logged)",
                )
                    .into_response();
            }
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml"),
                    (header::CACHE_CONTROL, "private, max-age=5"),
                ],
                body,
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "telemetry unavailable",
        )
            .into_response(),
    }
}

/// `GET /charts/pools.svg?<the page's query>`: waits per minute per shard.
pub async fn pools_svg(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let query = TelemetryQuery::from_lookup(|k| q.get(k).cloned());
    match query.scope(&state.console).await {
        Ok(scope) => svg(export::pools_chart(
            &pages::pools_page(&state.console, scope).await,
        )),
        Err(e) => error_response(&e),
    }
}

/// `GET /charts/requests.svg?metric=rate|p99|errors&<the page's query>`.
pub async fn requests_svg(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let metric = q.get("metric").cloned().unwrap_or_else(|| "p99".into());
    let query = TelemetryQuery::from_lookup(|k| q.get(k).cloned());
    let page = match (query.scope(&state.console).await, query.view()) {
        (Ok(scope), Ok(view)) => Ok(pages::requests_page(&state.console, scope, view).await),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match page {
        Ok(p) => match export::requests_chart(&p, &metric) {
            Ok(c) => svg(c),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}

/// `/tenants?format=csv|json`: every tenant of the view (all pages, same search, filters and
/// sort). Endpoints and URLs are not part of the directory, so no credential can be in it.
async fn tenants_export(state: &AppState, request: Request, next: Next) -> Response {
    let q = query_map(request.uri().query());
    let format = match q.get("format").map(String::as_str) {
        None | Some("" | "html") => return next.run(request).await,
        Some(f @ ("csv" | "json")) => f.to_string(),
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("unknown format {other:?}: use format=csv or format=json, or leave it out for the page"),
            )
                .into_response();
        }
    };
    let rows =
        match shardscope::tenants::directory_export(&state.console, |k| q.get(k).cloned()).await {
            Ok(rows) => rows,
            Err(e) => return error_response(&e),
        };
    if format == "json" {
        return (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"shardscope-tenants.json\"".to_string(),
                ),
            ],
            html_safe_json(&rows),
        )
            .into_response();
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = shardscope::telemetry::csv::write(
        &[
            "org_id",
            "name",
            "shard_id",
            "shard_type",
            "region",
            "sla_tier",
            "billing_tier",
            "patients",
            "created_at",
        ],
        rows.iter().map(|t| {
            vec![
                t.org_id.to_string(),
                t.name.clone(),
                t.shard_id.clone(),
                t.shard_type.clone(),
                opt(&t.region),
                opt(&t.sla_tier),
                opt(&t.billing_tier),
                t.patients.map(|p| p.to_string()).unwrap_or_default(),
                t.created_at_ms
                    .map(shardscope_app::format::iso_utc)
                    .unwrap_or_default(),
            ]
        }),
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"shardscope-tenants.csv\"".to_string(),
            ),
        ],
        body,
    )
        .into_response()
}

/// JSON whose `<`, `>` and `&` (which can only occur inside strings) are written as `\u003c`,
/// `\u003e`, `\u0026`: the same values to any JSON reader, and no markup if a tool pastes the
/// document into a page or a browser sniffs it.
pub fn html_safe_json<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_carries_no_markup_and_decodes_to_the_same_text() {
        let name = "A</title><script>x</script>&b";
        let text = super::html_safe_json(&vec![name]);
        assert!(!text.contains('<') && !text.contains('&'), "{text}");
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, [name]);
    }
}
