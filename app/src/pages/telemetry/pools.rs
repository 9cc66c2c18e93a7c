//! `/pools`: every service instance's connection pool on every shard (busiest first), waits per
//! minute over time, and the connection math per shard.

use leptos::prelude::*;

use super::{PageText, RangeFields, ScopeLine, Unavailable, chart_src, telemetry_page};
use crate::api::get_pools;
use crate::components::{
    ChartFrame, EmptyState, ExportLinks, FilterBar, Level, StatusBadge, TextField, table_head,
};
use crate::dto::TelemetryQuery;
use crate::format::{NO_VALUE, count, utc};
use shardscope::table::Table;
use shardscope::telemetry::pages::PoolsPage;
use shardscope::telemetry::pools::PoolRow;
use shardscope::telemetry::pools::{ConnectionMath, SeriesRow};
use shardscope::telemetry::tables;

const PATH: &str = crate::routes::POOLS.path;

#[component]
pub fn PoolsPage() -> impl IntoView {
    telemetry_page(
        PageText {
            route: crate::routes::POOLS,
            class: "telemetry pools",
            lead: "Every service instance's database pool on every shard, busiest first: waits, \
                how full, and whether each shard's max_connections fits them all.",
            loading: "Reading pool statistics…",
        },
        get_pools,
        |page, q| view! { <PoolsBody page q /> },
        |q, shards| view! { <PoolsFilters q shards /> },
    )
}

#[component]
fn PoolsFilters(q: TelemetryQuery, shards: Vec<String>) -> impl IntoView {
    let value = |k: &str| q.get(k).unwrap_or_default();
    let (service, instance) = (value("service"), value("instance"));
    view! {
        <FilterBar action=PATH label="Filter the pools">
            <RangeFields q=q.clone() shards />
            <TextField label="Service" name="service" value=service placeholder="core-api" />
            <TextField label="Instance" name="instance" value=instance placeholder="core-api-1" />
        </FilterBar>
    }
}

#[component]
fn PoolsBody(page: PoolsPage, q: TelemetryQuery) -> impl IntoView {
    let shards = page.scope.shards.clone();
    view! {
        <PoolsFilters q=q.clone() shards />
        <ScopeLine scope=page.scope.clone() />
        <details class="help">
            <summary>"What these numbers are"</summary>
            <p>
                "Each service exports its pgxpool statistics every 15 s. " <strong>"Waits"</strong>
                " are pgxpool's EmptyAcquireCount: acquires that found the pool empty and had to \
                    wait for a connection (the platform document calls it WaitCount, which is not \
                    a pgxpool field). " <strong>"Mean wait"</strong>
                " is EmptyAcquireWaitTime divided by those waits. Both are counters since the \
                    service started, so the page shows their increase; a counter that drops is a \
                    restart and counts from zero. " <strong>"Waiting now"</strong>
                " counts the minutes in a row, up to the pool's last sample, with at least one \
                    wait: the platform alerts on waits above zero for a minute or more."
            </p>
        </details>
        <section aria-labelledby="conn-math">
            <h2 id="conn-math">"Connection math"</h2>
            <p class="note">
                "Per shard, as the platform document computes it: Σ over services of (instances \
                    seen in the last 5 minutes × their pool max) + the reserve for jobs and \
                    monitoring, against the shard's max_connections read live."
            </p>
            {match page.connections {
                Ok(rows) => view! { <ConnectionTable rows /> }.into_any(),
                Err(reason) => view! { <Unavailable what="Connection math" reason /> }.into_any(),
            }}
            <ExportLinks table="connections" />
        </section>
        <section aria-labelledby="waits-chart">
            <h2 id="waits-chart">"Waits per minute"</h2>
            {match page.series {
                Ok(points) => view! { <WaitsChart points q=q.clone() /> }.into_any(),
                Err(reason) => view! { <Unavailable what="The waits chart" reason /> }.into_any(),
            }}
        </section>
        <section aria-labelledby="pool-list">
            <h2 id="pool-list">"Pools"</h2>
            {match page.pools {
                Ok(rows) if rows.is_empty() => {
                    view! {
                        <EmptyState>"No pool samples in this range for these filters."</EmptyState>
                    }
                        .into_any()
                }
                Ok(rows) => view! { <PoolTable rows table=tables::pools() /> }.into_any(),
                Err(reason) => view! { <Unavailable what="Pool statistics" reason /> }.into_any(),
            }}
            <ExportLinks table="pools" />
        </section>
    }
}

fn fit_badge(m: &ConnectionMath) -> (Level, &'static str) {
    let fit = m.fit();
    (Level::of(fit.judgement()), fit.label())
}

#[component]
fn ConnectionTable(rows: Vec<ConnectionMath>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Connection math per shard" tabindex="0">
            <table class="data-table" data-table="connections">
                {table_head(&tables::connections())}
                <tbody>
                    {rows
                        .into_iter()
                        .map(|m| {
                            let (level, word) = fit_badge(&m);
                            let services = if m.services.is_empty() {
                                // One service per line: the column stays narrow however many
                                // services a shard serves.
                                view! { "no pools reported in the last 5 min" }
                                    .into_any()
                            } else {
                                view! {
                                    <ul class="plain-list">
                                        {m
                                            .services
                                            .iter()
                                            .map(|(service, instances, pool_max)| {
                                                view! {
                                                    <li>
                                                        {format!(
                                                            "{service}: {instances} instances, pool max Σ {pool_max}",
                                                        )}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            };
                            let max = match &m.max_connections {
                                Ok(v) => count(*v),
                                Err(why) => format!("unknown ({why})"),
                            };
                            let headroom = m.headroom().map_or(NO_VALUE.into(), count);
                            let share = m
                                .headroom_percent()
                                .map_or(NO_VALUE.into(), |p| format!("{p:.0} %"));
                            let shard = m.shard_id.clone();
                            view! {
                                <tr data-shard=shard data-fits=word>
                                    <th scope="row">{m.shard_id}</th>
                                    <td>{services}</td>
                                    <td class="num">{m.reserve}</td>
                                    <td class="num">{count(m.needed as i64)}</td>
                                    <td class="num">{max}</td>
                                    <td class="num">{headroom}</td>
                                    <td class="num">{share}</td>
                                    <td>
                                        <StatusBadge level text=word />
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

#[component]
fn WaitsChart(points: Vec<SeriesRow>, q: TelemetryQuery) -> impl IntoView {
    if points.is_empty() {
        return view! { <EmptyState>"No pool samples in this range: nothing to draw."</EmptyState> }
            .into_any();
    }
    let src = chart_src("/charts/pools.svg", &q, "");
    view! {
        <ChartFrame
            src
            alt="Line chart of pool waits per minute over the range, one line per shard; the \
            table below has the same numbers."
            width=720
            height=300
        />
        <details class="numbers">
            <summary>"The numbers behind the chart"</summary>
            <div
                class="table-wrap"
                role="region"
                aria-label="Waits per minute by shard and time"
                tabindex="0"
            >
                <table class="data-table" data-table="series">
                    {table_head(&tables::pool_series())}
                    <tbody>
                        {points
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <tr>
                                        <td>{p.key}</td>
                                        <td class="num">{utc(p.bucket as i64 * 1000)}</td>
                                        <td class="num">{format!("{:.2}", p.value)}</td>
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
    .into_any()
}

#[component]
/// Pools, busiest first (also a tenant's shard's pools).
pub(crate) fn PoolTable(rows: Vec<PoolRow>, table: Table<PoolRow>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Pools, busiest first" tabindex="0">
            <table class="data-table" data-table=table.id>
                {table_head(&table)}
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let level = Level::of(r.judgement());
                            let word = r.waiting_now();
                            let full = r.acquired >= r.max_conns && r.max_conns > 0;
                            let instance = r.instance.clone();
                            view! {
                                <tr data-instance=instance data-streak=r.streak_minutes>
                                    <td>{r.shard_id}</td>
                                    <td>{r.service}</td>
                                    <th scope="row">{r.instance}</th>
                                    <td class="num" class:full=full>
                                        {r.acquired}
                                    </td>
                                    <td class="num">{r.idle}</td>
                                    <td class="num">{r.total}</td>
                                    <td class="num">{r.max_conns}</td>
                                    <td class="num">{count(r.waits as i64)}</td>
                                    <td class="num">{format!("{:.2}", r.waits_per_minute)}</td>
                                    <td class="num">{super::ms(r.mean_wait_ms)}</td>
                                    <td>
                                        <StatusBadge level text=word />
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
