//! `/placement`: the platform's assign_shard rules as a preview for a hypothetical new org, and
//! the orgs whose load is far above their size on their shard.

use leptos::prelude::*;

use crate::api::ApiError;
use leptos_router::hooks::use_query_map;

use crate::api::{get_placement, get_tenant_choices};
use crate::components::{
    EmptyState, ErrorState, ExportLinks, FilterBar, Level, PageShell, SelectField, StatusBadge,
    TextField, table_head,
};
use crate::dto::PlacementQuery;
use crate::format::{NO_VALUE, count};
use shardscope::tenants::placement::PlacementPage;
use shardscope::tenants::tables;

const PATH: &str = crate::routes::PLACEMENT.path;

#[component]
pub fn PlacementPage() -> impl IntoView {
    // Read once: a new question is a new page load.
    let q = {
        let m = use_query_map().get_untracked();
        PlacementQuery {
            region: m.get("region"),
            patients: m.get("patients"),
            tier: m.get("tier"),
        }
    };
    let on_error = {
        let q = q.clone();
        move |e: ApiError| {
            let q = q.clone();
            view! {
                // The form again, with every region, so the value can be corrected.
                <Suspense fallback=|| ()>
                    {move || {
                        let q = q.clone();
                        Suspend::new(async move {
                            let regions = get_tenant_choices()
                                .await
                                .map(|c| c.capacity_regions)
                                .unwrap_or_default();
                            view! { <PlacementForm q regions /> }
                        })
                    }}
                </Suspense>
                <ErrorState message=e.message />
            }
            .into_any()
        }
    };
    let data = {
        let q = q.clone();
        Resource::new(move || q.clone(), get_placement)
    };
    view! {
        <PageShell
            route=crate::routes::PLACEMENT
            class="placement"
            lead="Where a new organization would be placed by the platform's assign_shard rules, \
            and which orgs load their shard far beyond their size."
            loading="Reading shard capacity…"
            data
            body=move |p| view! { <PlacementBody p q=q.clone() /> }
            on_error
        />
    }
}

#[component]
fn PlacementForm(q: PlacementQuery, regions: Vec<String>) -> impl IntoView {
    let mut regions: Vec<(String, String)> = regions.into_iter().map(|r| (r.clone(), r)).collect();
    if let Some(r) = q
        .region
        .clone()
        .filter(|r| !r.is_empty() && !regions.iter().any(|(v, _)| v == r))
    {
        regions.push((r.clone(), r));
    }
    let tiers = vec![("enterprise".to_string(), "Enterprise".to_string())];
    view! {
        <FilterBar action=PATH label="A hypothetical new organization">
            <SelectField
                label="Region"
                name="region"
                options=regions
                selected=q.region.clone().unwrap_or_default()
                any="Choose a region"
            />
            <TextField
                label="Expected patients"
                name="patients"
                value=q.patients.clone().unwrap_or_default()
                placeholder="12000"
            />
            <SelectField
                label="Tier"
                name="tier"
                options=tiers
                selected=q.tier.clone().unwrap_or_default()
                any="Standard"
            />
        </FilterBar>
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

#[component]
fn PlacementBody(p: PlacementPage, q: PlacementQuery) -> impl IntoView {
    view! {
        <PlacementForm q regions=p.regions.clone() />
        <section aria-labelledby="p-preview">
            <h2 id="p-preview">"Preview"</h2>
            {match p.decision.as_ref().map(|d| &d.0) {
                None => {
                    view! {
                        <p class="note">
                            "Choose a region and the expected number of patients to see where the org would go."
                        </p>
                    }
                        .into_any()
                }
                Some(d) => {
                    view! {
                        <p class="ok-state" role="status" data-decision=d.code()>
                            <strong>{d.headline()}</strong>
                            ": "
                            {d.why().to_string()}
                        </p>
                    }
                        .into_any()
                }
            }}
            {p
                .chosen_unreachable
                .clone()
                .map(|why| {
                    view! {
                        <p class="error-state" role="alert" data-chosen="unreachable">
                            {format!(
                                "Warning: {why}. assign_shard does not look at health: the \
                                    platform would place the org there anyway.",
                            )}
                        </p>
                    }
                })}
            {p
                .decision
                .map(|d| d.1)
                .filter(|c| !c.is_empty())
                .map(|candidates| {
                    view! {
                        <ExportLinks table="candidates" />
                        <div
                            class="table-wrap"
                            role="region"
                            aria-label="Shared shards of the region"
                            tabindex="0"
                        >
                            <table class="data-table" data-table="candidates">
                                {table_head(&tables::candidates())}
                                <tbody>
                                    {candidates
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <tr>
                                                    <th scope="row">{c.shard.shard_id}</th>
                                                    <td class="num">{c.shard.current_orgs}</td>
                                                    <td class="num">{c.shard.max_orgs}</td>
                                                    <td class="num">{count(c.shard.current_patients)}</td>
                                                    <td class="num">{count(c.shard.max_patients)}</td>
                                                    <td>{if c.fits.is_ok() { "yes" } else { "no" }}</td>
                                                    <td>
                                                        {c.fits.err().unwrap_or_else(|| NO_VALUE.to_string())}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })}
        </section>
        <section aria-labelledby="p-noisy">
            <h2 id="p-noisy">{format!("Noisy neighbours (last {} h)", p.window_hours)}</h2>
            <p class="note">
                "An org whose share of its shard's requests or slow queries is at least 3× its \
                    share of the shard's patients (and at least 5 % of the shard's load)."
            </p>
            {match p.noisy {
                Ok(n) if n.is_empty() => {
                    view! {
                        <EmptyState>
                            "None: every org's load is in proportion to its size."
                        </EmptyState>
                    }
                        .into_any()
                }
                Ok(n) => {
                    let len = n.len().to_string();
                    view! {
                        <ExportLinks table="noisy" />
                        <div
                            class="table-wrap"
                            role="region"
                            aria-label="Noisy neighbours"
                            tabindex="0"
                        >
                            <table class="data-table" data-table="noisy" data-noisy=len>
                                {table_head(&tables::noisy())}
                                <tbody>
                                    {n
                                        .into_iter()
                                        .map(|n| {
                                            view! {
                                                <tr>
                                                    <th scope="row" class="num">
                                                        <a href=format!("/tenants/{}", n.org_id)>{n.org_id}</a>
                                                    </th>
                                                    <td dir="auto">{n.name}</td>
                                                    <td>{n.shard_id}</td>
                                                    <td class="num">{pct(n.patients_share)}</td>
                                                    <td class="num">{pct(n.requests_share)}</td>
                                                    <td class="num">{pct(n.slow_share)}</td>
                                                    <td>
                                                        <StatusBadge level=Level::Warn text=n.why />
                                                    </td>
                                                    <td>{n.suggestion}</td>
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
                Err(why) => {
                    view! { <ErrorState message=format!("Telemetry unavailable: {why}") /> }
                        .into_any()
                }
            }}
        </section>
    }
}
