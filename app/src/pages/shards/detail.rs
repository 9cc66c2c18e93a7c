//! `/shards/{shard_id}`: one shard — its primary and every replica, each answering or with its
//! typed failure; connections by state; size against its allocation; replication from both sides;
//! the audit-log partitions; the orgs it holds. Ages only, never a statement's text.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{ApiError, get_shard};
use crate::components::{
    EmptyState, ErrorState, ExportLinks, Heading, Level, PageShell, StatusBadge, table_head,
};
use crate::format::{NO_VALUE, age, bytes, count, lag_seconds, query_value, utc};
use shardscope::federation::fanout::Outcome;
use shardscope::history::series::History;
use shardscope::shards::detail::{PrimaryReport, ReplicaReport, ShardPage as Page, ShardView};
use shardscope::shards::node::NodeFacts;
use shardscope::shards::partitions::Partitions;
use shardscope::shards::replication::{Sender, Slot};
use shardscope::shards::tables;
use shardscope::thresholds::{self, Judgement};

#[component]
pub fn ShardPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let q = query.read();
        (
            params.read().get("shard").unwrap_or_default(),
            q.get("range"),
            q.get("from"),
            q.get("to"),
        )
    });
    let page = Resource::new(
        move || key.get(),
        |(shard, range, from, to)| get_shard(shard, range, from, to),
    );
    view! {
        <PageShell
            route=crate::routes::SHARD
            class="shard"
            lead="One shard: its primary and every replica."
            loading="Reading the shard…"
            data=page
            heading=|v: ShardView| heading(&v.live)
            body=|v: ShardView| view! { <ShardBody p=v.live history=v.history/> }
            on_error=|e: ApiError| {
                view! {
                    <ErrorState message=e.message/>
                    <p><a href="/shards">"Every shard the routing database knows"</a></p>
                }
                    .into_any()
            }
        />
    }
}

fn heading(p: &Page) -> Heading {
    let s = &p.shard;
    Heading {
        title: format!("Shard {}", s.id),
        lead: format!(
            "{} · {} · named in {}",
            s.shard_type.as_deref().unwrap_or("type unknown"),
            s.region.as_deref().unwrap_or("region unknown"),
            s.named_in().join(", ")
        ),
    }
}

/// Seconds for people: "42 s", "12 min", "5 h", "3 days".
fn span(s: f64) -> String {
    let s = s.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

fn opt_span(s: Option<f64>) -> String {
    s.map_or_else(|| "none".to_string(), span)
}

#[component]
fn ShardBody(p: Page, history: History) -> impl IntoView {
    let now = p.generated_at_ms;
    let id = p.shard.id.clone();
    let q = query_value(&id);
    view! {
        <p class="back"><a href="/shards">"← All shards"</a></p>
        <p class="note">
            "Measured "{age(now, p.primary.measured_at_ms)}". Its pools: "
            <a href=format!("/pools?shard={q}")>"connection pools"</a>" · its requests: "
            <a href=format!("/telemetry?shard={q}")>"requests"</a>"."
        </p>
        <Primary o=p.primary.clone() endpoint=p.primary_endpoint.clone() allocation=p.allocation.clone()/>
        <Replicas list=p.replicas.clone() unlisted=p.unlisted_senders.clone() primary=p.primary.clone() now/>
        <HistoryPanel h=history id=id.clone()/>
        {match &p.primary.result {
            Ok(r) => view! { <AuditPartitions parts=r.partitions.clone()/> }.into_any(),
            Err(_) => ().into_any(),
        }}
        <section aria-labelledby="s-orgs">
            <h2 id="s-orgs">"Orgs on this shard"</h2>
            {match p.orgs.clone() {
                Ok(orgs) if orgs.is_empty() => view! { <EmptyState>"No org is routed to this shard."</EmptyState> }.into_any(),
                Ok(orgs) => view! {
                    <ul class="org-list">
                        {orgs.into_iter().map(|(org, name)| {
                            let text = if name.is_empty() { format!("Org {org}") } else { name };
                            view! { <li><a href=format!("/tenants/{org}")>{text}</a>" "<span class="note">{format!("(org {org})")}</span></li> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(why) => view! { <p class="note">{why}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Primary(
    o: Outcome<PrimaryReport>,
    endpoint: Option<String>,
    allocation: Result<shardscope::shards::detail::Allocation, String>,
) -> impl IntoView {
    let endpoint = endpoint.unwrap_or_else(|| "no endpoint known".into());
    let node = endpoint.clone();
    view! {
        <section aria-labelledby="s-primary" class="panel" data-node="primary">
            <h2 id="s-primary">"Primary "<span class="mono">{endpoint}</span></h2>
            {match o.result {
                Err(f) => view! { <NodeFailure f/> }.into_any(),
                Ok(r) => {
                    let size = match &allocation {
                        Ok(a) => match a.share(r.db_bytes) {
                            Some(share) => {
                                let over = a.judgement(r.db_bytes) == Judgement::Warn;
                                view! {
                                    <span data-allocation=if over { "over" } else { "within" }>
                                        {format!("{} of {} allocated ({:.0} %)", bytes(r.db_bytes), bytes(a.allocated_bytes.unwrap_or_default()), share * 100.0)}
                                    </span>
                                    {over.then(|| view! { " "<StatusBadge level=Level::Warn text=thresholds::current().allocation_label()/> })}
                                }.into_any()
                            }
                            None => view! { <span data-allocation="unset">{format!("{} (no allocation set in console.shard_allocations)", bytes(r.db_bytes))}</span> }.into_any(),
                        },
                        Err(why) => view! { <span data-allocation="unknown">{format!("{} ({why})", bytes(r.db_bytes))}</span> }.into_any(),
                    };
                    view! {
                        <p><StatusBadge level=Level::Ok text="answering"/>" in "{o.latency_ms}" ms"</p>
                        <div class="node-grid">
                            <div>
                                <Facts f=r.facts.clone()/>
                                <dl class="facts"><dt>"Database size"</dt><dd>{size}</dd></dl>
                            </div>
                            <Connections node=node.clone() f=r.facts.clone()/>
                        </div>
                        <Senders list=r.replication.senders.clone()/>
                        <Slots list=r.replication.slots.clone()/>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Facts(f: NodeFacts) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"In recovery"</dt><dd>{if f.in_recovery { "yes" } else { "no" }}</dd>
            <dt>"PostgreSQL"</dt><dd>{f.version.clone()}</dd>
            <dt>"Up for"</dt><dd>{span(f.uptime_s)}</dd>
            <dt>"Oldest open transaction"</dt><dd data-oldest-transaction="">{opt_span(f.oldest_transaction_s)}</dd>
            <dt>"Longest running statement"</dt><dd>{opt_span(f.longest_statement_s)}</dd>
        </dl>
    }
}

#[component]
fn Connections(node: String, f: NodeFacts) -> impl IntoView {
    let c = &f.connections;
    let rows = tables::state_counts(&node, &f);
    view! {
        <div class="table-wrap"><table class="data-table connections" data-table="connections">
            <caption>{format!(
                "Client connections: {} of max_connections {} (the console's own {} not counted)",
                count(c.total()), count(f.max_connections), f.console_connections
            )}</caption>
            {table_head(&tables::connections())}
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-state=r.state><th scope="row">{r.label}</th><td class="num">{count(r.connections)}</td></tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn Senders(list: Vec<Sender>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="note">"No replica streams from this primary (pg_stat_replication is empty)."</p> }.into_any();
    }
    let lag = |s: Option<f64>| s.map_or(NO_VALUE.to_string(), |v| lag_seconds(Some(v)));
    view! {
        <div class="table-wrap"><table class="data-table senders" data-table="senders">
            <caption>"WAL senders (pg_stat_replication)"</caption>
            {table_head(&tables::senders())}
            <tbody>
                {list.into_iter().map(|s| {
                    let lsn = |v: &Option<String>| v.clone().unwrap_or_else(|| NO_VALUE.into());
                    view! {
                        <tr data-sender=s.slot_name.clone().unwrap_or_default()>
                            <td>{s.application_name.clone()}</td>
                            <td class="mono">{s.slot_name.clone().unwrap_or_else(|| crate::format::NO_VALUE.into())}</td>
                            <td>{s.state.clone().unwrap_or_default()}</td>
                            <td class="mono">{lsn(&s.sent_lsn)}</td>
                            <td class="mono">{lsn(&s.write_lsn)}</td>
                            <td class="mono">{lsn(&s.flush_lsn)}</td>
                            <td class="mono">{lsn(&s.replay_lsn)}</td>
                            <td class="num">{lag(s.write_lag_s)}</td>
                            <td class="num">{lag(s.flush_lag_s)}</td>
                            <td class="num">{lag(s.replay_lag_s)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }.into_any()
}

#[component]
fn Slots(list: Vec<Slot>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="note">"No replication slots."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table slots" data-table="slots">
            <caption>"Replication slots (pg_replication_slots)"</caption>
            {table_head(&tables::slots())}
            <tbody>
                {list.into_iter().map(|s| view! {
                    <tr data-slot=s.slot_name.clone() data-active=s.active.to_string()>
                        <td class="mono">{s.slot_name.clone()}</td>
                        <td>{s.slot_type.clone()}</td>
                        <td>{if s.active { "yes" } else { "no" }}</td>
                        <td class="num">{s.retained_bytes.map_or(crate::format::NO_VALUE.into(), bytes)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }.into_any()
}

#[component]
fn Replicas(
    list: Vec<ReplicaReport>,
    unlisted: Vec<Sender>,
    primary: Outcome<PrimaryReport>,
    now: u64,
) -> impl IntoView {
    let primary_ok = primary.result.is_ok();
    view! {
        <section aria-labelledby="s-replicas">
            <h2 id="s-replicas">"Replicas"</h2>
            {list.is_empty().then(|| view! { <EmptyState>"No replica is listed for this shard in tenant_shards."</EmptyState> })}
            {unlisted.into_iter().map(|s| view! {
                <p class="notice" role="alert" data-unlisted=s.slot_name.clone().unwrap_or_default()>
                    <StatusBadge level=Level::Warn text="not listed"/>" "
                    {format!(
                        "A standby streams from this primary ({}, slot {}) but no replica URL of this shard in tenant_shards is it.",
                        s.application_name, s.slot_name.clone().unwrap_or_else(|| "none".into())
                    )}
                </p>
            }).collect_view()}
            {list.into_iter().map(|r| view! { <Replica r primary_ok now/> }).collect_view()}
        </section>
    }
}

#[component]
fn Replica(r: ReplicaReport, primary_ok: bool, now: u64) -> impl IntoView {
    let o = r.outcome;
    view! {
        <div class="panel" data-node="replica" data-endpoint=r.endpoint.clone()>
            <h3>"Replica "<span class="mono">{r.endpoint.clone()}</span></h3>
            {match o.result {
                Err(f) => view! { <NodeFailure f then=" · lag unknown"/> }.into_any(),
                Ok(a) => {
                    let flag = a.flag.clone().map(|fl| view! {
                        <p class="notice" role="alert" data-flag=fl.code()>
                            <StatusBadge level=Level::Critical text="flagged"/>" "{fl.sentence()}
                        </p>
                    });
                    let lag = a.lag.clone().map(|l| {
                        let paused = l.replay_paused;
                        view! {
                            <dt>"Lag"</dt>
                            <dd data-lag=l.seconds.seconds().map_or("unknown".to_string(), |s| format!("{s:.3}")) data-paused=paused.to_string()>
                                {lag_seconds(l.seconds.seconds())}
                                {l.bytes.map(|b| format!(" · {} of WAL behind", bytes(b as i64)))}
                                {paused.then(|| view! { " "<StatusBadge level=Level::Warn text="replay paused"/> })}
                                {(!primary_ok).then_some(" (the primary did not answer: bytes behind unknown)")}
                            </dd>
                        }
                    });
                    let side = a.side.clone();
                    view! {
                        <p><StatusBadge level=Level::Ok text="answering"/>" "{age(now, o.measured_at_ms)}</p>
                        {flag}
                        <div class="node-grid">
                        <div>
                        <dl class="facts">
                            {lag}
                            <dt>"Received / replayed"</dt>
                            <dd class="mono">{format!("{} / {}", side.receive_lsn.clone().unwrap_or_else(|| crate::format::NO_VALUE.into()), side.replay_lsn.clone().unwrap_or_else(|| crate::format::NO_VALUE.into()))}</dd>
                            <dt>"Last replayed commit"</dt>
                            <dd>{side.replay_ts_ms.map_or("never".to_string(), utc)}</dd>
                            <dt>"Receiver"</dt>
                            <dd>{format!("{} (slot {})", side.receiver_status.clone().unwrap_or_else(|| "not running".into()), side.receiver_slot.clone().unwrap_or_else(|| "none".into()))}</dd>
                        </dl>
                        <Facts f=a.facts.clone()/>
                        </div>
                        <Connections node=r.endpoint.clone() f=a.facts.clone()/>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// Connections and lag over the page's range (from `shard_samples`): two server-drawn charts,
/// the numbers as a table and CSV; ClickHouse down says so and the rest of the page stands.
#[component]
fn HistoryPanel(h: History, id: String) -> impl IntoView {
    let q = query_value(&id);
    let range_q = match h.range.preset {
        Some(p) => format!("range={p}"),
        None => format!("from={}&to={}", h.range.from, h.range.to),
    };
    let presets = shardscope::telemetry::range::PRESETS.map(|(name, _)| {
        let current = h.range.preset == Some(name);
        view! {
            <a href=format!("/shards/{q}?range={name}") aria-current=current.then_some("page") class="range-link">{name}</a>
        }
    });
    view! {
        <section aria-labelledby="s-history" data-history=if h.points.is_ok() { "available" } else { "unavailable" }>
            <h2 id="s-history">"History"</h2>
            <nav class="ranges" aria-label="Time range">{presets.into_iter().collect_view()}</nav>
            {match h.points.clone() {
                Err(why) => view! { <ErrorState message=format!("History unavailable: {why}. The live values above are read now.")/> }.into_any(),
                Ok(points) if points.is_empty() => view! { <EmptyState>"No samples in this range yet: the console records one per probe."</EmptyState> }.into_any(),
                Ok(points) => view! {
                    <div class="charts">
                        {shardscope::history::series::METRICS.map(|m| view! {
                            <figure class="chart-frame">
                                <img src=format!("/shards/{q}/chart.svg?metric={m}&{range_q}") alt=format!("{m} of shard {id} over the range; the numbers are in the table below") width="720" height="300"/>
                            </figure>
                        }).into_iter().collect_view()}
                    </div>
                    <details class="numbers">
                        <summary>"The numbers behind the charts"</summary>
                        <div class="table-wrap" role="region" aria-label="Samples by endpoint and time" tabindex="0">
                            <table class="data-table history" data-table="history">
                                {table_head(&tables::history())}
                                <tbody>
                                    {points.into_iter().map(|p| view! {
                                        <tr data-sample=p.endpoint.clone()>
                                            <td>{utc(i64::from(p.bucket) * 1000)}</td>
                                            <td class="mono">{p.endpoint.clone()}</td>
                                            <td>{p.role.clone()}</td>
                                            <td>{if p.reachable == 1 { "yes" } else { "no" }}</td>
                                            <td class="num">{if p.role == "primary" { p.conns_total.to_string() } else { NO_VALUE.into() }}</td>
                                            <td class="num">{if p.role == "primary" { p.max_connections.to_string() } else { NO_VALUE.into() }}</td>
                                            <td class="num">{if p.role == "primary" { p.conns_idle_in_transaction.to_string() } else { crate::format::NO_VALUE.into() }}</td>
                                            <td class="num">{if p.role == "replica" { lag_seconds(p.lag_seconds) } else { crate::format::NO_VALUE.into() }}</td>
                                            <td class="num">{p.lag_bytes.map_or(crate::format::NO_VALUE.into(), |b| bytes(b as i64))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <ExportLinks table="history"/>
                    </details>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AuditPartitions(parts: Partitions) -> impl IntoView {
    view! {
        <section aria-labelledby="s-partitions">
            <h2 id="s-partitions">"Audit-log partitions"</h2>
            {(!parts.table_exists).then(|| view! { <ErrorState message="This shard has no audit_log table.".to_string()/> })}
            {parts.missing.iter().map(|m| view! {
                <p class="notice" role="alert" data-missing-partition=m.month_start.clone()>
                    <StatusBadge level=Level::Critical text="missing"/>" "
                    {format!("No partition holds {}. Run: ", &m.month_start[..7])}
                    <code>{m.statement.clone()}</code>
                </p>
            }).collect_view()}
            {(parts.default_rows > 0).then(|| view! {
                <p class="notice" role="alert" data-default-rows=parts.default_rows.to_string()>
                    <StatusBadge level=Level::Warn text="rows in default"/>" "
                    {format!("About {} rows are in a default partition: they belong in a month's partition.", count(parts.default_rows))}
                </p>
            })}
            <div class="table-wrap"><table class="data-table partitions" data-table="partitions">
                {table_head(&tables::partitions())}
                <tbody>
                    {parts.partitions.into_iter().map(|p| view! {
                        <tr data-partition=p.name.clone()>
                            <td class="mono">{p.name.clone()}</td>
                            <td class="mono">{p.bound.clone()}</td>
                            <td class="num">{bytes(p.bytes)}</td>
                            <td class="num">{count(p.rows_estimate)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    }
}

/// Why a node was not read: "not answering" and the typed failure (its kind once, then what it
/// said), or, for a shard no org is routed to, that no endpoint is known (nothing to answer).
#[component]
fn NodeFailure(
    f: shardscope::federation::fanout::Failure,
    /// What follows on the same line (a replica's " · lag unknown").
    #[prop(optional)]
    then: &'static str,
) -> impl IntoView {
    let (badge, why) = match f.kind {
        shardscope::federation::fanout::FailureKind::ShardUnknown => (
            view! { <StatusBadge level=Level::Unknown text="no endpoint known"/> },
            f.message.clone(),
        ),
        _ => (
            view! { <StatusBadge level=Level::Critical text="not answering"/> },
            f.to_string(),
        ),
    };
    view! { <p data-failure=f.kind.code()>{badge}" "{why}{then}</p> }
}
