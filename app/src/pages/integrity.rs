//! `/routing` (routing truth) and `/compliance` (RLS and the console roles' privileges): findings
//! with severity and a suggested action; what could not be checked says so, never "clean".

use leptos::prelude::*;

use crate::api::{get_compliance, get_routing};
use crate::components::{ErrorState, ExportLinks, Level, PageShell, StatusBadge, table_head};
use crate::format::utc;
use shardscope::tenants::compliance::ComplianceReport;
use shardscope::tenants::tables;
use shardscope::tenants::truth::Report;

#[component]
pub fn RoutingPage() -> impl IntoView {
    view! {
        <PageShell
            route=crate::routes::ROUTING
            class="routing"
            lead="tenant_shards against the platform's Redis routing cache and the organizations \
            actually on each shard; shard_capacity and the patient registry too."
            loading="Checking every shard…"
            data=Resource::new(|| (), |_| get_routing())
            body=|r| view! { <RoutingBody r /> }
        />
    }
}

#[component]
fn RoutingBody(r: Report) -> impl IntoView {
    let all = r.shards_checked == r.shards_total;
    view! {
        <p
            class="answered"
            role="status"
            data-answered=format!("{}/{}", r.shards_checked, r.shards_total)
        >
            <StatusBadge
                level=if all { Level::Ok } else { Level::Critical }
                text=format!("{} of {} shards answered", r.shards_checked, r.shards_total)
            />
            " checked at "
            {utc(r.measured_at_ms as i64)}
        </p>
        {(!r.unknown.is_empty())
            .then(|| {
                view! {
                    <div class="notice" role="alert">
                        <p>
                            <strong>"Unknown, not clean: "</strong>
                            "what involves these shards could not be checked."
                        </p>
                        <ul>
                            {r
                                .unknown
                                .iter()
                                .map(|(s, why)| {
                                    view! {
                                        <li data-unknown=s.clone()>{format!("{s}: {why}")}</li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                }
            })}
        {r
            .cache_error
            .clone()
            .map(|e| {
                view! {
                    <ErrorState message=format!(
                        "The routing cache could not be read ({e}): cache findings are unknown.",
                    ) />
                }
            })}
        {r
            .cache_truncated
            .then(|| {
                view! {
                    <p class="notice">
                        "The routing cache holds more keys than one check reads (100 000): cache \
                            findings cover the first ones only."
                    </p>
                }
            })}
        {
            let n = r.findings.len();
            if n == 0 {
                view! {
                    <p class="ok-state" role="status" data-findings="0">
                        "No findings: everything that answered agrees."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ExportLinks table="findings" />
                    <div
                        class="table-wrap"
                        role="region"
                        aria-label="Routing findings"
                        tabindex="0"
                    >
                        <table class="data-table" data-table="findings" data-findings=n.to_string()>
                            {table_head(&tables::findings())}
                            <tbody>
                                {r
                                    .findings
                                    .into_iter()
                                    .map(|f| {
                                        view! {
                                            <tr data-finding=format!("{:?}", f.kind)>
                                                <td>
                                                    <StatusBadge
                                                        level=Level::of_severity(f.severity.as_str())
                                                        text=f.severity.as_str()
                                                    />
                                                </td>
                                                <th scope="row">{f.kind.label()}</th>
                                                <td class="num">
                                                    {f
                                                        .org_id
                                                        .map(|o| view! { <a href=format!("/tenants/{o}")>{o}</a> })}
                                                </td>
                                                <td>{f.shard_id.unwrap_or_default()}</td>
                                                <td>{f.detail}</td>
                                                <td>{f.action}</td>
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
        }
    }
}

#[component]
pub fn CompliancePage() -> impl IntoView {
    view! {
        <PageShell
            route=crate::routes::COMPLIANCE
            class="compliance"
            lead="On every shard's primary: each table with an organization_id (and \
            organizations, patient_persons) has row-level security enabled and forced, \
            policies present and identical across shards; the console's roles hold nothing \
            beyond what docs/security.md grants."
            loading="Reading every shard's catalog…"
            data=Resource::new(|| (), |_| get_compliance())
            body=|r| view! { <ComplianceBody r /> }
        />
    }
}

#[component]
fn ComplianceBody(r: ComplianceReport) -> impl IntoView {
    let answered = r.shards.iter().filter(|s| s.result.is_ok()).count();
    let total = r.shards.len();
    let (matrix, rows) = tables::rls(&r);
    view! {
        <p class="answered" role="status" data-answered=format!("{answered}/{total}")>
            <StatusBadge
                level=if answered == total { Level::Ok } else { Level::Critical }
                text=format!("{answered} of {total} shards answered")
            />
            " checked at "
            {utc(r.measured_at_ms as i64)}
        </p>
        <section aria-labelledby="c-issues">
            <h2 id="c-issues">"Issues"</h2>
            {
                let n = r.issues.len();
                if n == 0 {
                    view! {
                        <p class="ok-state" role="status" data-issues="0">
                            "None on the shards that answered."
                        </p>
                    }
                        .into_any()
                } else {
                    view! {
                        <ul class="findings" data-issues=n.to_string()>
                            {r
                                .issues
                                .into_iter()
                                .map(|i| {
                                    view! {
                                        <li>
                                            <StatusBadge
                                                level=Level::of_severity(i.severity.as_str())
                                                text=i.severity.as_str()
                                            />
                                            " "
                                            <strong>
                                                {i.shard_id.clone()}
                                                {i.table.clone().map(|t| format!(" · {t}"))}
                                            </strong>
                                            ": "
                                            {i.detail}
                                            {(!i.diff.is_empty())
                                                .then(|| {
                                                    view! {
                                                        <pre
                                                            class="diff"
                                                            aria-label="Difference against the majority of shards"
                                                        >
                                                            {i.diff.join("\n")}
                                                        </pre>
                                                    }
                                                })}
                                            <br />
                                            <span class="action">"Action: "{i.action}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }
        </section>
        <section aria-labelledby="c-matrix">
            <h2 id="c-matrix">"Tables × shards"</h2>
            <ExportLinks table="rls" />
            <div class="table-wrap" role="region" aria-label="RLS per table and shard" tabindex="0">
                <table class="data-table" data-table="rls">
                    {table_head(&matrix)}
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                view! {
                                    <tr>
                                        <th scope="row" class="mono">
                                            {row.table}
                                        </th>
                                        {row
                                            .states
                                            .into_iter()
                                            .map(|text| view! { <td>{text}</td> })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
