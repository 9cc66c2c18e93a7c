//! `/tenants/{org_id}`: one tenant — routing row, routing-cache entry, its shard's health, its own
//! counts (read under its RLS context), its telemetry, routing findings and who opened it.
//! Opening it writes a `view_tenant` audit record.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::ApiError;
use crate::api::get_tenant;
use crate::components::{
    EmptyState, ErrorState, ExportLinks, Heading, Level, PageShell, StatusBadge, table_head,
};
use crate::format::{age, count, lag_seconds, utc};
use crate::pages::telemetry::pools::PoolTable;
use crate::pages::telemetry::requests::GroupTable;
use crate::pages::telemetry::slow::SlowTable;
use shardscope::federation::fanout::Outcome;
use shardscope::overview::probe::ShardStats;
use shardscope::partial::{Failure, Partial};
use shardscope::tenants::detail::{CacheVerdict, TenantPage as Tenant};
use shardscope::tenants::tables;
use shardscope::tenants::truth::Finding;

#[component]
pub fn TenantPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let q = query.read();
        (
            params.read().get("org").unwrap_or_default(),
            q.get("range"),
            q.get("from"),
            q.get("to"),
        )
    });
    let page = Resource::new(
        move || key.get(),
        |(org, range, from, to)| get_tenant(org, range, from, to),
    );
    view! {
        <PageShell
            route=crate::routes::TENANT
            class="tenant"
            lead="One organization: where it lives and how it is doing."
            loading="Reading the tenant…"
            data=page
            heading=|t: Tenant| heading(&t.tenant)
            body=|t| view! { <TenantBody t /> }
            on_error=move |e: ApiError| {
                let confirm = (e.status == 409)
                    .then(|| {
                        let org = params.read_untracked().get("org").unwrap_or_default();
                        // 409: opened from another site's link; the same page, opened from here, confirms.
                        view! {
                            <p>
                                <a
                                    class="btn primary"
                                    href=format!("/tenants/{}", crate::format::query_value(&org))
                                >
                                    {format!("Open tenant {org}")}
                                </a>
                            </p>
                        }
                    });
                view! {
                    <ErrorState message=e.message />
                    {confirm}
                    <p>
                        <a href="/tenants">"Back to the tenant search"</a>
                    </p>
                }
                    .into_any()
            }
        />
    }
}

/// The org's name (as its admin typed it: text, never markup) and where it lives.
fn heading(r: &shardscope::tenants::directory::Tenant) -> Heading {
    Heading {
        title: if r.name.is_empty() {
            format!("Org {}", r.org_id)
        } else {
            r.name.clone()
        },
        lead: format!(
            "Org {} · {} shard {} · {}",
            r.org_id,
            r.shard_type,
            r.shard_id,
            r.region.as_deref().unwrap_or_default()
        ),
    }
}

#[component]
fn TenantBody(t: Tenant) -> impl IntoView {
    let r = t.tenant.clone();
    let now = t.generated_at_ms;
    view! {
        <p class="back">
            <a href="/tenants">"← All tenants"</a>
        </p>
        <div class="tenant-grid">
            <section aria-labelledby="t-routing" class="panel">
                <h2 id="t-routing">"Routing"</h2>
                <dl class="facts">
                    <dt>"Shard"</dt>
                    <dd>{r.shard_id.clone()}" ("{r.shard_type.clone()}")"</dd>
                    <dt>"Primary"</dt>
                    <dd class="mono">{t.routing.primary.clone().unwrap_or_else(|e| e)}</dd>
                    <dt>"Replicas"</dt>
                    <dd class="mono">
                        {if t.routing.replicas.is_empty() {
                            "none".to_string()
                        } else {
                            t.routing
                                .replicas
                                .iter()
                                .map(|r| r.clone().unwrap_or_else(|e| e))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }}
                    </dd>
                    <dt>"SLA / billing"</dt>
                    <dd>{r.sla_tier.clone()}" / "{r.billing_tier.clone()}</dd>
                    <dt>"Max patients"</dt>
                    <dd>
                        {t
                            .routing
                            .max_patients
                            .map_or(crate::format::NO_VALUE.into(), |m| count(m as i64))}
                    </dd>
                    <dt>"Load score"</dt>
                    <dd>
                        {t
                            .routing
                            .shard_load_score
                            .map_or(crate::format::NO_VALUE.into(), |m| m.to_string())}
                    </dd>
                    <dt>"Row updated"</dt>
                    <dd>{t.routing.updated_at_ms.map_or(crate::format::NO_VALUE.into(), utc)}</dd>
                </dl>
                <Cache c=t.cache.clone() routed=r.shard_id.clone() />
            </section>
            <section aria-labelledby="t-health" class="panel">
                <h2 id="t-health">"Its shard's health"</h2>
                <Health h=t.health.clone() now />
            </section>
            <section aria-labelledby="t-counts" class="panel">
                <h2 id="t-counts">"Its data (read under its row-level security)"</h2>
                {match t.counts.clone() {
                    Ok(c) => {
                        view! {
                            <dl class="facts" data-counts="rls">
                                <dt>"Patients"</dt>
                                <dd>{count(c.patients)}</dd>
                                <dt>"Appointments upcoming"</dt>
                                <dd>{count(c.appointments_upcoming)}</dd>
                                <dt>"Appointments, last 30 days"</dt>
                                <dd>{count(c.appointments_last_30d)}</dd>
                                <dt>"Audit log rows, last 24 h"</dt>
                                <dd>{count(c.audit_rows_24h)}</dd>
                            </dl>
                        }
                            .into_any()
                    }
                    Err(why) => {
                        view! { <ErrorState message=format!("Counts unavailable: {why}") /> }
                            .into_any()
                    }
                }}
            </section>
        </div>
        {
            let (f, unknown) = match t.findings.clone() {
                Ok((f, unknown)) => (Ok(f), unknown),
                Err(why) => (Err(why), None),
            };
            view! { <Findings f unknown /> }
        }
        <Telemetry t=t.clone() />
        {t
            .access
            .shown()
            .cloned()
            .map(|access| {
                view! {
                    <section aria-labelledby="t-access">
                        <h2 id="t-access">
                            "Who opened this tenant before (console access audit)"
                        </h2>
                        {match access {
                            Ok(rows) if rows.is_empty() => {
                                view! { <EmptyState>"No records yet."</EmptyState> }.into_any()
                            }
                            Ok(rows) => {
                                view! {
                                    <div
                                        class="table-wrap"
                                        role="region"
                                        aria-label="Access audit of this tenant"
                                        tabindex="0"
                                    >
                                        <table class="data-table" data-table="access">
                                            {table_head(&tables::access())}
                                            <tbody>
                                                {rows
                                                    .into_iter()
                                                    .map(|a| {
                                                        view! {
                                                            <tr>
                                                                <td>{utc(a.at_ms)}</td>
                                                                <th scope="row">{a.staff_email}</th>
                                                                <td>{a.role}</td>
                                                                <td>{a.action}</td>
                                                                <td class="mono">{a.client_addr}</td>
                                                            </tr>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <ExportLinks table="access" />
                                }
                                    .into_any()
                            }
                            Err(why) => view! { <ErrorState message=why.to_string() /> }.into_any(),
                        }}
                    </section>
                }
            })}
    }
}

#[component]
fn Cache(c: CacheVerdict, routed: String) -> impl IntoView {
    let ttl = |s: Option<i64>| s.map_or("no expiry".to_string(), |s| format!("expires in {s} s"));
    let (lvl, text) = match &c {
        CacheVerdict::Agrees(e) => (
            Level::Ok,
            format!(
                "shard:{{org}} → {} ({}): agrees",
                e.shard_id,
                ttl(e.ttl_secs)
            ),
        ),
        CacheVerdict::Disagrees(e) => (
            Level::Critical,
            format!(
                "shard:{{org}} → {} ({}) but the routing DB says {routed}: stale; requests go to \
                    the wrong shard until it expires or is deleted",
                e.shard_id,
                ttl(e.ttl_secs)
            ),
        ),
        CacheVerdict::Missing => (
            Level::Warn,
            "no entry: the platform reads the routing DB on this tenant's next request".to_string(),
        ),
        CacheVerdict::Unknown(why) => (Level::Unknown, format!("could not be read: {why}")),
    };
    view! {
        <p class="cache-entry" data-cache=c.code()>
            <span class="label">"Routing cache: "</span>
            <StatusBadge level=lvl text=c.code() />
            " "
            {text}
        </p>
    }
}

#[component]
fn Health(h: Option<Outcome<ShardStats>>, now: u64) -> impl IntoView {
    let Some(h) = h else {
        return view! { <ErrorState message="This shard is not in the console's shard list.".to_string() /> }.into_any();
    };
    match h.result {
        Ok(s) => view! {
            <p>
                <StatusBadge level=Level::Ok text="answering" />
                " measured "
                {age(now, h.measured_at_ms)}
            </p>
            <dl class="facts">
                <dt>"Connections"</dt>
                <dd>
                    {format!(
                        "{} of {} max_connections ({} active)",
                        s.conns_total,
                        s.max_connections,
                        s.conns_active,
                    )}
                </dd>
                <dt>"Orgs / patients on the shard"</dt>
                <dd>{format!("{} / {}", count(s.orgs), count(s.patients))}</dd>
                {s
                    .replicas
                    .into_iter()
                    .map(|r| {
                        let lag = match r.result {
                            Ok(l) => {
                                format!(
                                    "{} behind{}",
                                    lag_seconds(l.seconds.seconds()),
                                    if l.replay_paused { " (replay paused)" } else { "" },
                                )
                            }
                            Err(f) => format!("not answering: {f}"),
                        };
                        view! {
                            <dt>"Replica "<span class="mono">{r.endpoint}</span></dt>
                            <dd>{lag}</dd>
                        }
                    })
                    .collect_view()}
                <dt>"Alerts"</dt>
                <dd>"none defined yet (see pool waits below)"</dd>
            </dl>
        }
        .into_any(),
        Err(f) => view! {
            <p>
                <StatusBadge level=Level::Critical text="not answering" />
                " "
                {format!("{}: {f}", f.kind.code())}
            </p>
        }
        .into_any(),
    }
}

#[component]
fn Findings(f: Partial<Vec<Finding>>, unknown: Option<String>) -> impl IntoView {
    view! {
        <section aria-labelledby="t-findings">
            <h2 id="t-findings">"Routing findings for this tenant"</h2>
            {unknown
                .clone()
                .map(|why| {
                    view! {
                        <p class="notice" role="alert" data-truth="unknown">
                            <strong>"Unknown, not clean: "</strong>
                            {why}
                        </p>
                    }
                })}
            {match f {
                Ok(list) if list.is_empty() && unknown.is_some() => {
                    view! { <p class="note">"Nothing found in what could be checked."</p> }
                        .into_any()
                }
                Ok(list) if list.is_empty() => {
                    view! {
                        <p class="ok-state" role="status" data-truth="clean">
                            "None: the routing DB, the cache and every shard agree about this tenant."
                        </p>
                    }
                        .into_any()
                }
                Ok(list) => {
                    view! {
                        <ul class="findings">
                            {list
                                .into_iter()
                                .map(|f| {
                                    view! {
                                        <li data-finding=format!("{:?}", f.kind)>
                                            <StatusBadge
                                                level=Level::of_severity(f.severity.as_str())
                                                text=f.severity.as_str()
                                            />
                                            " "
                                            <strong>{f.kind.label()}</strong>
                                            ": "
                                            {f.detail}
                                            <br />
                                            <span class="action">"Action: "{f.action}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
                Err(why) => {
                    view! { <ErrorState message=format!("Routing truth unavailable: {why}") /> }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Telemetry(t: Tenant) -> impl IntoView {
    let org = t.tenant.org_id;
    let tel = t.telemetry.clone();
    let preset = tel.range.preset;
    let range = preset.unwrap_or("custom");
    let unavailable = |what: &str, why: Failure| {
        view! { <ErrorState message=format!("{what} unavailable: {why}") /> }.into_any()
    };
    view! {
        <section aria-labelledby="t-telemetry">
            <h2 id="t-telemetry">
                {format!(
                    "Its requests ({range}, {} – {})",
                    utc(tel.range.from as i64 * 1000),
                    utc(tel.range.to as i64 * 1000),
                )}
            </h2>
            <form class="filter-bar" method="get" role="search" aria-label="Telemetry range">
                <div class="field">
                    <label class="field-label" for="f-range">
                        "Range"
                    </label>
                    <select id="f-range" name="range">
                        {[
                            ("15m", "Last 15 minutes"),
                            ("1h", "Last hour"),
                            ("6h", "Last 6 hours"),
                            ("24h", "Last 24 hours"),
                            ("7d", "Last 7 days"),
                        ]
                            .into_iter()
                            .map(|(v, l)| {
                                view! {
                                    <option value=v selected=preset == Some(v)>
                                        {l}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="btn primary">
                        "Show"
                    </button>
                </div>
            </form>
            {match tel.totals {
                Ok(s) => {
                    view! {
                        <dl class="facts" data-telemetry="totals">
                            <dt>"Requests"</dt>
                            <dd>
                                {format!("{} ({:.2}/s)", count(s.requests as i64), s.per_second)}
                            </dd>
                            <dt>"p99"</dt>
                            <dd>
                                {s
                                    .p99_ms
                                    .map_or(
                                        crate::format::NO_VALUE.into(),
                                        |v| format!("{v:.0} ms"),
                                    )}
                            </dd>
                            <dt>"5xx rate"</dt>
                            <dd>
                                {s
                                    .error_percent
                                    .map_or(
                                        crate::format::NO_VALUE.into(),
                                        |v| format!("{v:.2} %"),
                                    )}
                            </dd>
                        </dl>
                    }
                        .into_any()
                }
                Err(why) => unavailable("Telemetry", why),
            }}
            <h3>"Top routes"</h3>
            {match tel.routes {
                Ok(r) if r.is_empty() => {
                    view! { <EmptyState>"No requests in this range."</EmptyState> }.into_any()
                }
                Ok(rows) => {
                    view! {
                        <GroupTable rows table=tables::routes() />
                        <ExportLinks table="routes" />
                    }
                        .into_any()
                }
                Err(why) => unavailable("Routes", why),
            }}
            <h3>{format!("Pool waits on {}", t.tenant.shard_id)}</h3>
            {match tel.pools {
                Ok(p) if p.is_empty() => {
                    view! { <EmptyState>"No pools reported in this range."</EmptyState> }.into_any()
                }
                Ok(rows) => {
                    view! {
                        <PoolTable rows table=tables::pools() />
                        <ExportLinks table="pools" />
                        <p>
                            <a href=format!(
                                "/pools?shard={}",
                                crate::format::query_value(&t.tenant.shard_id),
                            )>"All pools of this shard"</a>
                        </p>
                    }
                        .into_any()
                }
                Err(why) => unavailable("Pools", why),
            }}
            <h3>"Its recent slow queries"</h3>
            {match tel.slow {
                Ok(s) if s.is_empty() => {
                    view! { <EmptyState>"No slow queries of this org in this range."</EmptyState> }
                        .into_any()
                }
                Ok(rows) => {
                    view! {
                        <SlowTable rows table=tables::slow_queries() />
                        <ExportLinks table="slow_queries" />
                        <p>
                            <a href=format!(
                                "/telemetry/slow-queries?org={org}",
                            )>"On the slow-queries page"</a>
                        </p>
                    }
                        .into_any()
                }
                Err(why) => unavailable("Slow queries", why),
            }}
        </section>
    }
}
