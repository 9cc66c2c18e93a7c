//! The telemetry pages (ClickHouse): `/pools`, `/telemetry`, `/telemetry/slow-queries`.
//!
//! Every filter, the range and the view live in the URL (a GET form), so a view can be shared and
//! works without JavaScript; with it, the router changes the query and the page re-reads in place.
//! Each chart is an SVG at its own URL with the page's query, and the numbers behind it are a table
//! on the page; every table is also CSV and JSON at the page's URL plus `format=csv|json&table=…`.

pub(crate) mod pools;
pub(crate) mod requests;
pub(crate) mod slow;

pub use pools::PoolsPage;
pub use requests::RequestsPage;
pub use slow::SlowQueriesPage;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{SelectField, TextField};
use crate::dto::TelemetryQuery;
use crate::format::utc;
use shardscope::telemetry::pages::Scope;

/// The page's query as typed, following the URL.
fn use_telemetry_query() -> Memo<TelemetryQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        TelemetryQuery::from_lookup(|k| q.get(k))
    })
}

const RANGES: [(&str, &str); 5] = [
    ("15m", "Last 15 minutes"),
    ("1h", "Last hour"),
    ("6h", "Last 6 hours"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
];

/// Range (a preset, or from/to) and shard: the fields every telemetry page's filter form starts with.
#[component]
fn RangeFields(q: TelemetryQuery, shards: Vec<String>) -> impl IntoView {
    let value = |k: &str| q.get(k).unwrap_or_default();
    let ranges = RANGES
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect::<Vec<_>>();
    let shards = shards
        .into_iter()
        .map(|s| (s.clone(), s))
        .collect::<Vec<_>>();
    view! {
        <SelectField
            label="Range"
            name="range"
            options=ranges
            selected=value("range")
            any="From / to, else last hour"
        />
        <TextField
            label="From (UTC)"
            name="from"
            value=value("from")
            placeholder="2026-11-28T09:00"
            hint="used when Range is \"From / to\""
        />
        <TextField label="To (UTC)" name="to" value=value("to") placeholder="2026-11-28T10:00" />
        <SelectField
            label="Shard"
            name="shard"
            options=shards
            selected=value("shard")
            any="All shards"
        />
    }
}

/// "14:05 – 15:05 UTC, one point per 30 s".
#[component]
fn ScopeLine(scope: Scope) -> impl IntoView {
    let range = scope.range;
    let name = range
        .preset
        .and_then(|p| RANGES.iter().find(|r| r.0 == p))
        .map_or("Custom range", |r| r.1);
    view! {
        <p class="scope-line">
            {format!(
                "{name}: {} – {}, one point per {}.",
                utc(range.from as i64 * 1000),
                utc(range.to as i64 * 1000),
                step(range.step),
            )}
        </p>
    }
}

fn step(s: u32) -> String {
    match s {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// ClickHouse did not answer for this panel: say so, and that the rest of the page is live.
#[component]
fn Unavailable(what: &'static str, reason: shardscope::partial::Failure) -> impl IntoView {
    view! {
        <p class="error-state" role="alert" data-unavailable=what>
            {format!(
                "{what} unavailable: {reason}. The rest of this page is current; reload to try again.",
            )}
        </p>
    }
}

/// The query's set parameters as a query string (no leading `?`).
fn query_string(q: &TelemetryQuery) -> String {
    q.pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}={}", crate::format::query_value(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A chart's URL: the chart endpoint with the page's query.
fn chart_src(endpoint: &str, q: &TelemetryQuery, extra: &str) -> String {
    let qs = query_string(q);
    match (qs.is_empty(), extra.is_empty()) {
        (true, true) => endpoint.to_string(),
        (true, false) => format!("{endpoint}?{extra}"),
        (false, true) => format!("{endpoint}?{qs}"),
        (false, false) => format!("{endpoint}?{qs}&{extra}"),
    }
}

fn ms(v: Option<f64>) -> String {
    match v {
        None => crate::format::NO_VALUE.into(),
        Some(v) if v >= 100.0 => format!("{v:.0} ms"),
        Some(v) => format!("{v:.1} ms"),
    }
}

fn percent(v: Option<f64>) -> String {
    v.map_or(crate::format::NO_VALUE.into(), |v| format!("{v:.2} %"))
}

/// What a telemetry page says about itself.
pub(super) struct PageText {
    pub route: crate::routes::PageRoute,
    pub class: &'static str,
    pub lead: &'static str,
    pub loading: &'static str,
}

/// A telemetry page: its filters read once from the URL (a new filter is a new page load), its
/// data, and on a bad filter the form again (with what was typed) above the message.
pub(super) fn telemetry_page<T, Fut, F, B, V, FI, FV>(
    text: PageText,
    fetch: F,
    body: B,
    filters: FI,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = Result<T, crate::api::ApiError>> + Send + 'static,
    F: Fn(TelemetryQuery) -> Fut + Send + Sync + 'static,
    B: Fn(T, TelemetryQuery) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    FI: Fn(TelemetryQuery, Vec<String>) -> FV + Send + Sync + 'static,
    FV: IntoView + 'static,
{
    let q = use_telemetry_query().get_untracked();
    let on_error = {
        let q = q.clone();
        move |e: crate::api::ApiError| {
            let shards = q.shard.clone().into_iter().collect();
            view! {
                {filters(q.clone(), shards)}
                <crate::components::ErrorState message=e.message />
            }
            .into_any()
        }
    };
    let data = {
        let q = q.clone();
        Resource::new(move || q.clone(), fetch)
    };
    view! {
        <crate::components::PageShell
            route=text.route
            class=text.class
            lead=text.lead
            loading=text.loading
            data
            body=move |p| body(p, q.clone())
            on_error
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_view() {
        let q = TelemetryQuery {
            range: Some("24h".into()),
            shard: Some("us-1".into()),
            ..Default::default()
        };
        assert_eq!(
            chart_src("/charts/requests.svg", &q, "metric=p99"),
            "/charts/requests.svg?range=24h&shard=us-1&metric=p99"
        );
        assert_eq!(step(30), "30 s");
        assert_eq!(step(600), "10 min");
        assert_eq!(step(3600), "1 h");
    }
}
