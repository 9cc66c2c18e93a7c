//! `/telemetry`: request rate, p50 / p95 / p99 latency and the 5xx rate over time, per shard, org or
//! route (the top N by volume or by p99), with the platform's alert lines (p99 1 s, 5xx 1 %).

use leptos::prelude::*;

use super::{
    PageText, RangeFields, ScopeLine, Unavailable, chart_src, ms, percent, telemetry_page,
};
use crate::api::get_requests;
use crate::components::{
    ChartFrame, EmptyState, ExportLinks, FilterBar, Level, SelectField, StatusBadge, TextField,
    table_head,
};
use crate::dto::{RequestStats, TelemetryQuery};
use crate::format::{count, utc};
use shardscope::table::Table;
use shardscope::telemetry::pages::RequestsPage;
use shardscope::telemetry::requests::{BucketStats, GroupStats};
use shardscope::telemetry::sql::{GroupBy, TopBy};
use shardscope::telemetry::tables;

const PATH: &str = crate::routes::REQUESTS.path;

#[component]
pub fn RequestsPage() -> impl IntoView {
    telemetry_page(
        PageText {
            route: crate::routes::REQUESTS,
            class: "telemetry requests",
            lead: "Request rate, latency and 5xx errors from the services' request logs, per \
                shard, organisation or route.",
            loading: "Reading request telemetry…",
        },
        get_requests,
        |page, q| view! { <RequestsBody page q /> },
        |q, shards| view! { <RequestFilters q shards /> },
    )
}

#[component]
fn RequestFilters(q: TelemetryQuery, shards: Vec<String>) -> impl IntoView {
    let value = |k: &str| q.get(k).unwrap_or_default();
    let (org, route, group, top_by, top) = (
        value("org"),
        value("route"),
        value("group"),
        value("by"),
        value("top"),
    );
    let groups = vec![
        ("org".to_string(), "Organisation".to_string()),
        ("route".into(), "Route".into()),
    ];
    let by = vec![("p99".to_string(), "Slowest (p99)".to_string())];
    view! {
        <FilterBar action=PATH label="Filter the request telemetry">
            <RangeFields q=q.clone() shards />
            <TextField label="Organisation id" name="org" value=org placeholder="101" />
            <TextField label="Route" name="route" value=route placeholder="/v1/appointments" />
            <SelectField label="Group by" name="group" options=groups selected=group any="Shard" />
            <SelectField
                label="Top groups by"
                name="by"
                options=by
                selected=top_by
                any="Busiest (volume)"
            />
            <TextField
                label="How many groups"
                name="top"
                value=top
                placeholder="5"
                hint="1 to 20"
            />
        </FilterBar>
    }
}

#[component]
fn RequestsBody(page: RequestsPage, q: TelemetryQuery) -> impl IntoView {
    let shards = page.scope.shards.clone();
    let group = page.view.group;
    let group_name = tables::group_label(group);
    view! {
        <RequestFilters q=q.clone() shards />
        <ScopeLine scope=page.scope.clone() />
        {match page.totals {
            Ok(t) => view! { <Totals t /> }.into_any(),
            Err(reason) => view! { <Unavailable what="Request telemetry" reason /> }.into_any(),
        }}
        <section aria-labelledby="req-charts">
            <h2 id="req-charts">
                {format!(
                    "Top {} by {} over time",
                    page.view.top,
                    if page.view.by == TopBy::P99 { "p99" } else { "volume" },
                )}
            </h2>
            {match page.series {
                Ok(points) if points.is_empty() => {
                    view! {
                        <EmptyState>
                            "No requests in this range for these filters: no data to draw."
                        </EmptyState>
                    }
                        .into_any()
                }
                Ok(points) => view! { <Charts points q=q.clone() group /> }.into_any(),
                Err(reason) => view! { <Unavailable what="The request charts" reason /> }.into_any(),
            }}
        </section>
        <section aria-labelledby="req-groups">
            <h2 id="req-groups">{format!("By {}", group_name.to_lowercase())}</h2>
            {match page.groups {
                Ok(rows) if rows.is_empty() => {
                    view! {
                        <EmptyState>"No requests in this range for these filters."</EmptyState>
                    }
                        .into_any()
                }
                Ok(rows) => view! { <GroupTable rows table=tables::groups(group) /> }.into_any(),
                Err(reason) => view! { <Unavailable what="The group table" reason /> }.into_any(),
            }}
            <ExportLinks table="groups" />
        </section>
    }
}

#[component]
fn Totals(t: RequestStats) -> impl IntoView {
    let limits = shardscope::thresholds::current();
    let p99_level = Level::of(t.p99_judgement());
    let err_level = Level::of(t.error_judgement());
    view! {
        <dl class="totals">
            <div>
                <dt>"Requests"</dt>
                <dd>{count(t.requests as i64)}</dd>
            </div>
            <div>
                <dt>"Per second"</dt>
                <dd>{format!("{:.2}", t.per_second)}</dd>
            </div>
            <div>
                <dt>"p50 / p95"</dt>
                <dd>{format!("{} / {}", ms(t.p50_ms), ms(t.p95_ms))}</dd>
            </div>
            <div>
                <dt>{limits.p99_caption()}</dt>
                <dd>
                    {ms(t.p99_ms)} " "
                    <StatusBadge level=p99_level text=format!("{p99_level:?}").to_lowercase() />
                </dd>
            </div>
            <div>
                <dt>{limits.error_rate_caption()}</dt>
                <dd>
                    {format!("{} ({})", percent(t.error_percent), count(t.errors as i64))} " "
                    <StatusBadge level=err_level text=format!("{err_level:?}").to_lowercase() />
                </dd>
            </div>
        </dl>
    }
}

#[component]
fn Charts(points: Vec<BucketStats>, q: TelemetryQuery, group: GroupBy) -> impl IntoView {
    let limits = shardscope::thresholds::current();
    let p99_alt = format!(
        "Line chart of p99 latency in milliseconds over the range, one line per group, with the {} \
         alert line; the table below has the same numbers.",
        shardscope::thresholds::duration_ms(limits.request_p99_ms)
    );
    let errors_alt = format!(
        "Line chart of the 5xx rate in percent over the range, one line per group, with the {} % \
         alert line; the table below has the same numbers.",
        shardscope::thresholds::trim(limits.error_rate_percent)
    );
    view! {
        <div class="chart-grid">
            <ChartFrame
                src=chart_src("/charts/requests.svg", &q, "metric=rate")
                alt="Line chart of requests per second over the range, one line per group; the \
                table below has the same numbers."
                width=720
                height=300
            />
            <ChartFrame
                src=chart_src("/charts/requests.svg", &q, "metric=p99")
                alt=p99_alt
                width=720
                height=300
            />
            <ChartFrame
                src=chart_src("/charts/requests.svg", &q, "metric=errors")
                alt=errors_alt
                width=720
                height=300
            />
        </div>
        <details class="numbers">
            <summary>"The numbers behind the charts"</summary>
            <div
                class="table-wrap"
                role="region"
                aria-label="Requests by group and time"
                tabindex="0"
            >
                <table class="data-table" data-table="series">
                    {table_head(&tables::request_series(group))}
                    <tbody>
                        {points
                            .into_iter()
                            .map(|b| {
                                view! {
                                    <tr>
                                        <td>{b.key}</td>
                                        <td class="num">{utc(b.bucket as i64 * 1000)}</td>
                                        <td class="num">{count(b.stats.requests as i64)}</td>
                                        <td class="num">{format!("{:.2}", b.stats.per_second)}</td>
                                        <td class="num">{ms(b.stats.p50_ms)}</td>
                                        <td class="num">{ms(b.stats.p95_ms)}</td>
                                        <td class="num">{ms(b.stats.p99_ms)}</td>
                                        <td class="num">{count(b.stats.errors as i64)}</td>
                                        <td class="num">{percent(b.stats.error_percent)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <ExportLinks table="series" />
        </details>
    }
}

#[component]
/// Request statistics by group (also a tenant's routes, under its own table id).
pub(crate) fn GroupTable(rows: Vec<GroupStats>, table: Table<GroupStats>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Request statistics by group" tabindex="0">
            <table class="data-table" data-table=table.id>
                {table_head(&table)}
                <tbody>
                    {rows
                        .into_iter()
                        .map(|g| {
                            let s = g.stats;
                            let (slow, failing) = (s.p99_alert(), s.error_alert());
                            let key = g.key.clone();
                            view! {
                                <tr data-key=key>
                                    <th scope="row">{g.key}</th>
                                    <td class="num">{count(s.requests as i64)}</td>
                                    <td class="num">{format!("{:.2}", s.per_second)}</td>
                                    <td class="num">{ms(s.p50_ms)}</td>
                                    <td class="num">{ms(s.p95_ms)}</td>
                                    <td class="num" class:alert=slow>
                                        {ms(s.p99_ms)}
                                    </td>
                                    <td class="num">{count(s.errors as i64)}</td>
                                    <td class="num" class:alert=failing>
                                        {percent(s.error_percent)}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
