//! `/shards/{shard_id}`: one shard — its primary and every replica, each answering or with its
//! typed failure; connections by state; size against its allocation; replication from both sides;
//! the audit-log partitions; the orgs it holds. Ages only, never a statement's text.

mod history;
mod partitions;
mod replication;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{ApiError, get_shard};
use crate::components::{
    EmptyState, ErrorState, Heading, Level, PageShell, StatusBadge, table_head,
};
use crate::format::{age, bytes, count, opt_seconds_span, query_value, seconds_span};
use history::HistoryPanel;
use partitions::AuditPartitions;
use replication::{Replicas, Senders, Slots};
use shardscope::federation::fanout::Outcome;
use shardscope::history::series::History;
use shardscope::partial::{Partial, Visible};
use shardscope::shards::detail::{PrimaryReport, ShardPage as Page, ShardView};
use shardscope::shards::node::NodeFacts;
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
            body=|v: ShardView| view! { <ShardBody p=v.live history=v.history /> }
            on_error=|e: ApiError| {
                view! {
                    <ErrorState message=e.message />
                    <p>
                        <a href="/shards">"Every shard the routing database knows"</a>
                    </p>
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

#[component]
fn ShardBody(p: Page, history: History) -> impl IntoView {
    let now = p.generated_at_ms;
    let id = p.shard.id.clone();
    let q = query_value(&id);
    view! {
        <p class="back">
            <a href="/shards">"← All shards"</a>
        </p>
        <p class="note">
            "Measured "{age(now, p.primary.measured_at_ms)}". Its pools: "
            <a href=format!("/pools?shard={q}")>"connection pools"</a>" · its requests: "
            <a href=format!("/telemetry?shard={q}")>"requests"</a>"."
        </p>
        <Primary
            o=p.primary.clone()
            endpoint=p.primary_endpoint.clone()
            allocation=p.allocation.clone()
        />
        <Replicas
            list=p.replicas.clone()
            unlisted=p.unlisted_senders.clone()
            primary=p.primary.clone()
            now
        />
        <HistoryPanel h=history id=id.clone() />
        {match &p.primary.result {
            Ok(r) => view! { <AuditPartitions parts=r.partitions.clone() /> }.into_any(),
            Err(_) => ().into_any(),
        }}
        <section aria-labelledby="s-orgs">
            <h2 id="s-orgs">"Orgs on this shard"</h2>
            {match p.orgs.clone() {
                Ok(Visible::Shown(orgs)) if orgs.is_empty() => {
                    view! { <EmptyState>"No org is routed to this shard."</EmptyState> }.into_any()
                }
                Ok(Visible::Shown(orgs)) => {
                    view! {
                        <ul class="org-list">
                            {orgs
                                .into_iter()
                                .map(|(org, name)| {
                                    let text = if name.is_empty() {
                                        format!("Org {org}")
                                    } else {
                                        name
                                    };
                                    view! {
                                        <li>
                                            <a href=format!("/tenants/{org}")>{text}</a>
                                            " "
                                            <span class="note">{format!("(org {org})")}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
                Ok(Visible::Withheld(note)) => {
                    view! {
                        <p class="note" data-withheld="">
                            {note}
                        </p>
                    }
                        .into_any()
                }
                Err(why) => {
                    view! { <p class="note">{format!("The orgs could not be read: {why}")}</p> }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Primary(
    o: Outcome<PrimaryReport>,
    endpoint: Option<String>,
    allocation: Partial<shardscope::shards::detail::Allocation>,
) -> impl IntoView {
    let endpoint = endpoint.unwrap_or_else(|| "no endpoint known".into());
    let node = endpoint.clone();
    view! {
        <section aria-labelledby="s-primary" class="panel" data-node="primary">
            <h2 id="s-primary">"Primary "<span class="mono">{endpoint}</span></h2>
            {match o.result {
                Err(f) => view! { <NodeFailure f /> }.into_any(),
                Ok(r) => {
                    let size = match &allocation {
                        Ok(a) => {
                            match a.share(r.db_bytes) {
                                Some(share) => {
                                    let over = a.judgement(r.db_bytes) == Judgement::Warn;
                                    view! {
                                        <span data-allocation=if over {
                                            "over"
                                        } else {
                                            "within"
                                        }>
                                            {format!(
                                                "{} of {} allocated ({:.0} %)",
                                                bytes(r.db_bytes),
                                                bytes(a.allocated_bytes.unwrap_or_default()),
                                                share * 100.0,
                                            )}
                                        </span>
                                        {over
                                            .then(|| {
                                                view! {
                                                    " "
                                                    <StatusBadge
                                                        level=Level::Warn
                                                        text=thresholds::current().allocation_label()
                                                    />
                                                }
                                            })}
                                    }
                                        .into_any()
                                }
                                None => {
                                    view! {
                                        <span data-allocation="unset">
                                            {format!(
                                                "{} (no allocation set in console.shard_allocations)",
                                                bytes(r.db_bytes),
                                            )}
                                        </span>
                                    }
                                        .into_any()
                                }
                            }
                        }
                        Err(why) => {
                            view! {
                                <span data-allocation="unknown">
                                    {format!("{} ({why})", bytes(r.db_bytes))}
                                </span>
                            }
                                .into_any()
                        }
                    };
                    view! {
                        <p>
                            <StatusBadge level=Level::Ok text="answering" />
                            " in "
                            {o.latency_ms}
                            " ms"
                        </p>
                        <div class="node-grid">
                            <div>
                                <Facts f=r.facts.clone() />
                                <dl class="facts">
                                    <dt>"Database size"</dt>
                                    <dd>{size}</dd>
                                </dl>
                            </div>
                            <Connections node=node.clone() f=r.facts.clone() />
                        </div>
                        <Senders list=r.replication.senders.clone() />
                        <Slots list=r.replication.slots.clone() />
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Facts(f: NodeFacts) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"In recovery"</dt>
            <dd>{if f.in_recovery { "yes" } else { "no" }}</dd>
            <dt>"PostgreSQL"</dt>
            <dd>{f.version.clone()}</dd>
            <dt>"Up for"</dt>
            <dd>{seconds_span(f.uptime_s)}</dd>
            <dt>"Oldest open transaction"</dt>
            <dd data-oldest-transaction="">{opt_seconds_span(f.oldest_transaction_s)}</dd>
            <dt>"Longest running statement"</dt>
            <dd>{opt_seconds_span(f.longest_statement_s)}</dd>
        </dl>
    }
}

#[component]
fn Connections(node: String, f: NodeFacts) -> impl IntoView {
    let c = &f.connections;
    let rows = tables::state_counts(&node, &f);
    view! {
        <div class="table-wrap">
            <table class="data-table connections" data-table="connections">
                <caption>
                    {format!(
                        "Client connections: {} of max_connections {} (the console's own {} not counted)",
                        count(c.total()),
                        count(f.max_connections),
                        f.console_connections,
                    )}
                </caption>
                {table_head(&tables::connections())}
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr data-state=r.state>
                                    <th scope="row">{r.label}</th>
                                    <td class="num">{count(r.connections)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
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
            view! { <StatusBadge level=Level::Unknown text="no endpoint known" /> },
            f.message.clone(),
        ),
        _ => (
            view! { <StatusBadge level=Level::Critical text="not answering" /> },
            f.to_string(),
        ),
    };
    view! { <p data-failure=f.kind.code()>{badge}" "{why}{then}</p> }
}
