//! `/telemetry/slow-queries`: the services' slow-query log grouped by statement (literals
//! stripped), and each shard's own `pg_stat_statements`, read live, where it is installed.

use leptos::prelude::*;

use super::{PageText, RangeFields, ScopeLine, Unavailable, ms, telemetry_page};
use crate::api::get_slow_queries;
use crate::components::{EmptyState, ExportLinks, FilterBar, TextField, table_head};
use crate::dto::TelemetryQuery;
use crate::format::{count, utc};
use shardscope::federation::fanout::Outcome;
use shardscope::table::Table;
use shardscope::telemetry::pages::SlowPage;
use shardscope::telemetry::slow::ShardStatements as Statements;
use shardscope::telemetry::slow::SlowRow;
use shardscope::telemetry::tables;

const PATH: &str = crate::routes::SLOW_QUERIES.path;

#[component]
pub fn SlowQueriesPage() -> impl IntoView {
    telemetry_page(
        PageText {
            route: crate::routes::SLOW_QUERIES,
            class: "telemetry slow",
            lead: "Queries over the services' 500 ms threshold, grouped by statement with values \
                stripped; and each shard's pg_stat_statements, read live.",
            loading: "Reading slow queries…",
        },
        get_slow_queries,
        |page, q| view! { <SlowBody page q /> },
        |q, shards| view! { <SlowFilters q shards /> },
    )
}

#[component]
fn SlowFilters(q: TelemetryQuery, shards: Vec<String>) -> impl IntoView {
    let value = |k: &str| q.get(k).unwrap_or_default();
    let (org, top) = (value("org"), value("top"));
    view! {
        <FilterBar action=PATH label="Filter the slow queries">
            <RangeFields q=q.clone() shards />
            <TextField label="Organisation id" name="org" value=org placeholder="101" />
            <TextField label="How many" name="top" value=top placeholder="20" hint="1 to 100" />
        </FilterBar>
    }
}

#[component]
fn SlowBody(page: SlowPage, q: TelemetryQuery) -> impl IntoView {
    let shards = page.scope.shards.clone();
    view! {
        <SlowFilters q=q.clone() shards />
        <ScopeLine scope=page.scope.clone() />
        <section aria-labelledby="slow-log">
            <h2 id="slow-log">"From the services' slow-query log"</h2>
            {match page.queries {
                Ok(rows) if rows.is_empty() => {
                    view! {
                        <EmptyState>"No slow queries in this range for these filters."</EmptyState>
                    }
                        .into_any()
                }
                Ok(rows) => view! { <SlowTable rows table=tables::slow_queries() /> }.into_any(),
                Err(reason) => view! { <Unavailable what="The slow-query log" reason /> }.into_any(),
            }}
            <ExportLinks table="queries" />
        </section>
        <section aria-labelledby="pgss">
            <h2 id="pgss">
                "pg_stat_statements, per shard (top 10 by total time, since its last reset)"
            </h2>
            {page.statements.into_iter().map(|s| view! { <ShardStatements s /> }).collect_view()}
            <ExportLinks table="statements" />
        </section>
    }
}

#[component]
/// Slow queries by statement (also a tenant's own).
pub(crate) fn SlowTable(rows: Vec<SlowRow>, table: Table<SlowRow>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Slow queries by statement" tabindex="0">
            <table class="data-table" data-table=table.id>
                {table_head(&table)}
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <th scope="row">
                                        <code class="sql">{r.normalized}</code>
                                    </th>
                                    <td class="num">{count(r.calls as i64)}</td>
                                    <td class="num">{ms(Some(r.p99))}</td>
                                    <td class="num">{ms(Some(r.max_ms))}</td>
                                    <td>{r.shards.join(", ")}</td>
                                    <td class="num">{count(r.orgs as i64)}</td>
                                    <td class="num">{utc(i64::from(r.last_seen) * 1000)}</td>
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
fn ShardStatements(s: Outcome<Statements>) -> impl IntoView {
    let shard = s.target;
    let body = match s.result {
        Ok(Statements::Missing) => view! {
            <p class="notice" data-pgss="missing" data-table-row="statements">
                "pg_stat_statements is not installed on this shard: its statements cannot be shown. "
                "To add it: shared_preload_libraries = 'pg_stat_statements' (a restart), then \
                    CREATE EXTENSION pg_stat_statements in its database."
            </p>
        }
        .into_any(),
        Err(why) => {
            view! {
                <p class="error-state" role="alert" data-pgss="failed" data-table-row="statements">
                    {format!("No answer from this shard: {why}")}
                </p>
            }
                .into_any()
        }
        Ok(Statements::Installed(rows)) if rows.is_empty() => {
            view! { <EmptyState>"pg_stat_statements is installed and has recorded nothing yet."</EmptyState> }
                .into_any()
        }
        Ok(Statements::Installed(rows)) => view! {
            <div
                class="table-wrap"
                role="region"
                aria-label=format!("pg_stat_statements on {shard}")
                tabindex="0"
                data-pgss="installed"
            >
                <table class="data-table" data-table="statements">
                    {table_head(&tables::statements())}
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <tr>
                                        <th scope="row">
                                            <code class="sql">{r.query}</code>
                                        </th>
                                        <td class="num">{count(r.calls)}</td>
                                        <td class="num">{ms(Some(r.total_ms))}</td>
                                        <td class="num">{ms(Some(r.mean_ms))}</td>
                                        <td class="num">{count(r.rows)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    };
    let id = format!("pgss-{shard}");
    let (labelled_by, data_shard) = (id.clone(), shard.clone());
    view! {
        <section class="shard-statements" aria-labelledby=labelled_by data-shard=data_shard>
            <h3 id=id>{shard}</h3>
            {body}
        </section>
    }
}
