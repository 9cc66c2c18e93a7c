//! The shard page's replication panels: the primary's senders and slots, each replica.

use leptos::prelude::*;

use super::{Connections, Facts, NodeFailure};

use crate::components::{EmptyState, Level, StatusBadge, table_head};
use crate::format::{NO_VALUE, age, bytes, lag_seconds, utc};
use shardscope::federation::fanout::Outcome;
use shardscope::shards::detail::{PrimaryReport, ReplicaReport};
use shardscope::shards::replication::{Sender, Slot};
use shardscope::shards::tables;

#[component]
pub(super) fn Senders(list: Vec<Sender>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="note">
                "No replica streams from this primary (pg_stat_replication \
                is empty)."
            </p>
        }
        .into_any();
    }
    let lag = |s: Option<f64>| s.map_or(NO_VALUE.to_string(), |v| lag_seconds(Some(v)));
    view! {
        <div class="table-wrap">
            <table class="data-table senders" data-table="senders">
                <caption>"WAL senders (pg_stat_replication)"</caption>
                {table_head(&tables::senders())}
                <tbody>
                    {list
                        .into_iter()
                        .map(|s| {
                            let lsn = |v: &Option<String>| {
                                v.clone().unwrap_or_else(|| NO_VALUE.into())
                            };
                            view! {
                                <tr data-sender=s.slot_name.clone().unwrap_or_default()>
                                    <td>{s.application_name.clone()}</td>
                                    <td class="mono">
                                        {s
                                            .slot_name
                                            .clone()
                                            .unwrap_or_else(|| crate::format::NO_VALUE.into())}
                                    </td>
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
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub(super) fn Slots(list: Vec<Slot>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="note">"No replication slots."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data-table slots" data-table="slots">
                <caption>"Replication slots (pg_replication_slots)"</caption>
                {table_head(&tables::slots())}
                <tbody>
                    {list
                        .into_iter()
                        .map(|s| {
                            view! {
                                <tr data-slot=s.slot_name.clone() data-active=s.active.to_string()>
                                    <td class="mono">{s.slot_name.clone()}</td>
                                    <td>{s.slot_type.clone()}</td>
                                    <td>{if s.active { "yes" } else { "no" }}</td>
                                    <td class="num">
                                        {s
                                            .retained_bytes
                                            .map_or(crate::format::NO_VALUE.into(), bytes)}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub(super) fn Replicas(
    list: Vec<ReplicaReport>,
    unlisted: Vec<Sender>,
    primary: Outcome<PrimaryReport>,
    now: u64,
) -> impl IntoView {
    let primary_ok = primary.result.is_ok();
    view! {
        <section aria-labelledby="s-replicas">
            <h2 id="s-replicas">"Replicas"</h2>
            {list
                .is_empty()
                .then(|| {
                    view! {
                        <EmptyState>
                            "No replica is listed for this shard in tenant_shards."
                        </EmptyState>
                    }
                })}
            {unlisted
                .into_iter()
                .map(|s| {
                    view! {
                        <p
                            class="notice"
                            role="alert"
                            data-unlisted=s.slot_name.clone().unwrap_or_default()
                        >
                            <StatusBadge level=Level::Warn text="not listed" />
                            " "
                            {format!(
                                "A standby streams from this primary ({}, slot {}) but no replica \
                                    URL of this shard in tenant_shards is it.",
                                s.application_name,
                                s.slot_name.clone().unwrap_or_else(|| "none".into()),
                            )}
                        </p>
                    }
                })
                .collect_view()}
            {list.into_iter().map(|r| view! { <Replica r primary_ok now /> }).collect_view()}
        </section>
    }
}

#[component]
pub(super) fn Replica(r: ReplicaReport, primary_ok: bool, now: u64) -> impl IntoView {
    let o = r.outcome;
    view! {
        <div class="panel" data-node="replica" data-endpoint=r.endpoint.clone()>
            <h3>"Replica "<span class="mono">{r.endpoint.clone()}</span></h3>
            {match o.result {
                Err(f) => view! { <NodeFailure f then=" · lag unknown" /> }.into_any(),
                Ok(a) => {
                    let flag = a
                        .flag
                        .clone()
                        .map(|fl| {
                            view! {
                                <p class="notice" role="alert" data-flag=fl.code()>
                                    <StatusBadge level=Level::Critical text="flagged" />
                                    " "
                                    {fl.sentence()}
                                </p>
                            }
                        });
                    let lag = a
                        .lag
                        .clone()
                        .map(|l| {
                            let paused = l.replay_paused;
                            view! {
                                <dt>"Lag"</dt>
                                <dd
                                    data-lag=l
                                        .seconds
                                        .seconds()
                                        .map_or("unknown".to_string(), |s| format!("{s:.3}"))
                                    data-paused=paused.to_string()
                                >
                                    {lag_seconds(l.seconds.seconds())}
                                    {l
                                        .bytes
                                        .map(|b| format!(" · {} of WAL behind", bytes(b as i64)))}
                                    {paused
                                        .then(|| {
                                            view! {
                                                " "
                                                <StatusBadge level=Level::Warn text="replay paused" />
                                            }
                                        })}
                                    {(!primary_ok)
                                        .then_some(
                                            " (the primary did not answer: bytes behind unknown)",
                                        )}
                                </dd>
                            }
                        });
                    let side = a.side.clone();
                    view! {
                        <p>
                            <StatusBadge level=Level::Ok text="answering" />
                            " "
                            {age(now, o.measured_at_ms)}
                        </p>
                        {flag}
                        <div class="node-grid">
                            <div>
                                <dl class="facts">
                                    {lag} <dt>"Received / replayed"</dt>
                                    <dd class="mono">
                                        {format!(
                                            "{} / {}",
                                            side
                                                .receive_lsn
                                                .clone()
                                                .unwrap_or_else(|| crate::format::NO_VALUE.into()),
                                            side
                                                .replay_lsn
                                                .clone()
                                                .unwrap_or_else(|| crate::format::NO_VALUE.into()),
                                        )}
                                    </dd> <dt>"Last replayed commit"</dt>
                                    <dd>{side.replay_ts_ms.map_or("never".to_string(), utc)}</dd>
                                    <dt>"Receiver"</dt>
                                    <dd>
                                        {format!(
                                            "{} (slot {})",
                                            side
                                                .receiver_status
                                                .clone()
                                                .unwrap_or_else(|| "not running".into()),
                                            side.receiver_slot.clone().unwrap_or_else(|| "none".into()),
                                        )}
                                    </dd>
                                </dl>
                                <Facts f=a.facts.clone() />
                            </div>
                            <Connections node=r.endpoint.clone() f=a.facts.clone() />
                        </div>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}
