//! The pages' charts as SVG (`/charts/*.svg`, `/shards/{shard}/chart.svg`), drawn from the same
//! backend functions as the page, so they never disagree with it.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shardscope::telemetry::query::TelemetryQuery;
use shardscope::telemetry::{charts, pages};

use crate::exports::ExportQuery;
use crate::plain_error::error_response;
use crate::state::AppState;

pub const POOLS_SVG: &str = "/charts/pools.svg";
pub const REQUESTS_SVG: &str = "/charts/requests.svg";
/// A shard's history chart: `?metric=connections|lag&range=…`.
pub const SHARD_SVG: &str = "/shards/{shard}/chart.svg";

/// A known shard's history over the range in the query; 404 for a shard the routing DB does not
/// name, 400 for a bad range.
pub async fn shard_history(
    console: &shardscope::Console,
    shard: &str,
    q: &ExportQuery,
) -> shardscope::error::Result<shardscope::history::series::History> {
    let known = shardscope::shards::known_cached(console).await?;
    if !known.iter().any(|s| s.id == shard) {
        return Err(shardscope::Error::NotFound(format!(
            "no shard {shard:?} in the routing database: see /shards for every shard it knows"
        )));
    }
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let range = shardscope::time_range::TimeRange::parse(
        q.get("range").as_deref(),
        q.get("from").as_deref(),
        q.get("to").as_deref(),
        now,
    )?;
    Ok(shardscope::shards::detail::history_of(console, shard, range).await)
}

/// `GET /shards/{shard}/chart.svg?metric=connections|lag&range=…`.
pub async fn shard_svg(
    State(state): State<AppState>,
    axum::extract::Path(shard): axum::extract::Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use shardscope::history::series::{METRICS, chart};
    let metric = q
        .get("metric")
        .cloned()
        .unwrap_or_else(|| "connections".into());
    let metric = metric.as_str();
    if !METRICS.contains(&metric) {
        return error_response(&shardscope::Error::InvalidInput(format!(
            "unknown metric {metric:?}: use one of {}",
            METRICS.join(", ")
        )));
    }
    match shard_history(&state.console, &shard, &ExportQuery::from(q)).await {
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
        Ok(scope) => svg(charts::pools_chart(
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
        Ok(p) => match charts::requests_chart(&p, &metric) {
            Ok(c) => svg(c),
            Err(e) => error_response(&e),
        },
        Err(e) => error_response(&e),
    }
}
