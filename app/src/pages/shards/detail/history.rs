//! The shard page's 14-day history panel: its charts and table over the page's range.

use leptos::prelude::*;

use crate::components::{EmptyState, ErrorState, ExportLinks, table_head};
use crate::format::{NO_VALUE, bytes, lag_seconds, query_value, utc};
use shardscope::history::series::History;
use shardscope::shards::tables;

/// Connections and lag over the page's range (from `shard_samples`): two server-drawn charts,
/// the numbers as a table and CSV; ClickHouse down says so and the rest of the page stands.
#[component]
pub(super) fn HistoryPanel(h: History, id: String) -> impl IntoView {
    let q = query_value(&id);
    let range_q = match h.range.preset {
        Some(p) => format!("range={p}"),
        None => format!("from={}&to={}", h.range.from, h.range.to),
    };
    let presets = shardscope::time_range::PRESETS.map(|(name, _)| {
        let current = h.range.preset == Some(name);
        view! {
            <a
                href=format!("/shards/{q}?range={name}")
                aria-current=current.then_some("page")
                class="range-link"
            >
                {name}
            </a>
        }
    });
    view! {
        <section
            aria-labelledby="s-history"
            data-history=if h.points.is_ok() { "available" } else { "unavailable" }
        >
            <h2 id="s-history">"History"</h2>
            <nav class="ranges" aria-label="Time range">
                {presets.into_iter().collect_view()}
            </nav>
            {match h.points.clone() {
                Err(why) => {
                    view! {
                        <ErrorState message=format!(
                            "History unavailable: {why}. The live values above are read now.",
                        ) />
                    }
                        .into_any()
                }
                Ok(points) if points.is_empty() => {
                    view! {
                        <EmptyState>
                            "No samples in this range yet: the console records one per probe."
                        </EmptyState>
                    }
                        .into_any()
                }
                Ok(points) => {
                    view! {
                        <div class="charts">
                            {shardscope::history::series::METRICS
                                .map(|m| {
                                    view! {
                                        <figure class="chart-frame">
                                            <img
                                                src=format!("/shards/{q}/chart.svg?metric={m}&{range_q}")
                                                alt=format!(
                                                    "{m} of shard {id} over the range; the \
                                                        numbers are in the table below",
                                                )
                                                width="720"
                                                height="300"
                                            />
                                        </figure>
                                    }
                                })
                                .into_iter()
                                .collect_view()}
                        </div>
                        <details class="numbers">
                            <summary>"The numbers behind the charts"</summary>
                            <div
                                class="table-wrap"
                                role="region"
                                aria-label="Samples by endpoint and time"
                                tabindex="0"
                            >
                                <table class="data-table history" data-table="history">
                                    {table_head(&tables::history())}
                                    <tbody>
                                        {points
                                            .into_iter()
                                            .map(|p| {
                                                view! {
                                                    <tr data-sample=p.endpoint.clone()>
                                                        <td>{utc(i64::from(p.bucket) * 1000)}</td>
                                                        <td class="mono">{p.endpoint.clone()}</td>
                                                        <td>{p.role.clone()}</td>
                                                        <td>{if p.reachable == 1 { "yes" } else { "no" }}</td>
                                                        <td class="num">
                                                            {if p.role == "primary" {
                                                                p.conns_total.to_string()
                                                            } else {
                                                                NO_VALUE.into()
                                                            }}
                                                        </td>
                                                        <td class="num">
                                                            {if p.role == "primary" {
                                                                p.max_connections.to_string()
                                                            } else {
                                                                NO_VALUE.into()
                                                            }}
                                                        </td>
                                                        <td class="num">
                                                            {if p.role == "primary" {
                                                                p.conns_idle_in_transaction.to_string()
                                                            } else {
                                                                crate::format::NO_VALUE.into()
                                                            }}
                                                        </td>
                                                        <td class="num">
                                                            {if p.role == "replica" {
                                                                lag_seconds(p.lag_seconds)
                                                            } else {
                                                                crate::format::NO_VALUE.into()
                                                            }}
                                                        </td>
                                                        <td class="num">
                                                            {p
                                                                .lag_bytes
                                                                .map_or(
                                                                    crate::format::NO_VALUE.into(),
                                                                    |b| bytes(b as i64),
                                                                )}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <ExportLinks table="history" />
                        </details>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
