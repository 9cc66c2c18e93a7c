//! `/tenants`: search by id or name, filter, sort by any column, pages of 50; CSV and JSON of the
//! view. Everything is in the URL (a GET form and links), so it works without JavaScript.

use leptos::prelude::*;

use crate::api::ApiError;
use leptos_router::hooks::use_query_map;

use crate::api::{get_tenant_choices, get_tenants};
use crate::components::{
    EmptyState, ErrorState, ExportLinks, FilterBar, PageShell, Pager, SelectField, SortHeader,
    TextField,
};
use crate::dto::TenantsQuery;
use crate::format::{count, utc};
use shardscope::tenants::DirectoryPage;
use shardscope::tenants::directory::Choices;
use shardscope::tenants::directory::Tenant;
use shardscope::tenants::tables;

const PATH: &str = crate::routes::TENANTS.path;

/// The `sort=` key of each column of `shardscope::tenants::tables::tenants()`, in its order.
const SORT_KEYS: [&str; 9] = [
    "id", "name", "shard", "type", "region", "sla", "billing", "patients", "created",
];

#[component]
pub fn TenantsPage() -> impl IntoView {
    // Read once: a new search is a new page load.
    let q = {
        let m = use_query_map().get_untracked();
        TenantsQuery::from_lookup(|k| m.get(k))
    };
    let on_error = {
        let q = q.clone();
        move |e: ApiError| {
            let q = q.clone();
            view! {
                // The form again, with every choice, so the value can be corrected.
                <Suspense fallback=|| ()>
                    {move || {
                        let q = q.clone();
                        Suspend::new(async move {
                            let choices = get_tenant_choices().await.ok().map(|c| c.directory);
                            view! { <Filters q choices /> }
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
        Resource::new(move || q.clone(), get_tenants)
    };
    view! {
        <PageShell
            route=crate::routes::TENANTS
            class="tenants"
            lead="Every organization in the routing database: where it lives, its tiers and size. \
            Search by id or name (any word's beginning; accents and case ignored)."
            loading="Reading the routing database…"
            data
            body=move |p| view! { <TenantsBody page=p q=q.clone() /> }
            on_error
        />
    }
}

#[component]
fn Filters(q: TenantsQuery, choices: Option<Choices>) -> impl IntoView {
    let value = |k: &str| q.get(k).unwrap_or_default();
    let opts = |v: Option<&Vec<String>>, k: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = v
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.clone(), s))
            .collect();
        // Keep a typed value selectable (so a 400 can be corrected in the form).
        if let Some(cur) = q.get(k)
            && !v.iter().any(|(s, _)| *s == cur)
        {
            v.push((cur.clone(), cur));
        }
        v
    };
    let p = choices.as_ref();
    let (shards, regions, tiers, billing) = (
        opts(p.map(|p| &p.shards), "shard"),
        opts(p.map(|p| &p.regions), "region"),
        opts(p.map(|p| &p.tiers), "tier"),
        opts(p.map(|p| &p.billing), "billing"),
    );
    let (vq, vshard, vregion, vtier, vbilling, vsort, vdir) = (
        value("q"),
        value("shard"),
        value("region"),
        value("tier"),
        value("billing"),
        value("sort"),
        value("dir"),
    );
    view! {
        <FilterBar action=PATH label="Search and filter tenants">
            <TextField label="Org id or name" name="q" value=vq placeholder="101 or Clínica" />
            <SelectField
                label="Shard"
                name="shard"
                options=shards
                selected=vshard
                any="All shards"
            />
            <SelectField
                label="Region"
                name="region"
                options=regions
                selected=vregion
                any="All regions"
            />
            <SelectField
                label="SLA tier"
                name="tier"
                options=tiers
                selected=vtier
                any="All SLA tiers"
            />
            <SelectField
                label="Billing tier"
                name="billing"
                options=billing
                selected=vbilling
                any="All billing tiers"
            />
            <input type="hidden" name="sort" value=vsort />
            <input type="hidden" name="dir" value=vdir />
        </FilterBar>
    }
}

#[component]
fn TenantsBody(page: DirectoryPage, q: TenantsQuery) -> impl IntoView {
    let DirectoryPage {
        query,
        choices,
        view: page,
    } = page;
    let here = format!(
        "{} of {} organizations · page {} of {}",
        page.rows.len(),
        count(page.total as i64),
        page.page,
        page.pages
    );
    let first =
        (page.page > 1).then(|| q.href_with(PATH, &[("page", Some((page.page - 1).to_string()))]));
    let next = (page.page < page.pages)
        .then(|| q.href_with(PATH, &[("page", Some((page.page + 1).to_string()))]));
    let table = tables::tenants();
    let rows = page.rows.clone();
    let (sort, desc) = (query.sort.as_str(), query.descending);
    view! {
        <Filters q=q.clone() choices=Some(choices) />
        {if rows.is_empty() {
            view! {
                <EmptyState>
                    "No organization matches. Try fewer letters, or clear the filters."
                </EmptyState>
            }
                .into_any()
        } else {
            view! {
                <div class="table-wrap" role="region" aria-label="Tenants" tabindex="0">
                    <table class="data-table" id="tenants-table" data-table="tenants">
                        <thead>
                            <tr>
                                {SORT_KEYS
                                    .iter()
                                    .zip(&table.columns)
                                    .map(|(key, column)| {
                                        let (label, numeric) = (
                                            column.label.clone(),
                                            column.kind.numeric(),
                                        );
                                        let current = sort == *key;
                                        let dir = if current && !desc { "desc" } else { "asc" };
                                        let href = q
                                            .href_with(
                                                PATH,
                                                &[
                                                    ("sort", Some(key.to_string())),
                                                    ("dir", Some(dir.into())),
                                                    ("page", None),
                                                ],
                                            );
                                        let sorted = current
                                            .then_some(if desc { "descending" } else { "ascending" });
                                        view! {
                                            <SortHeader
                                                label
                                                href
                                                sorted=Signal::stored(sorted)
                                                numeric
                                                direction="ascending"
                                            />
                                        }
                                    })
                                    .collect_view()}
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|t| view! { <TenantRow t /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        <Pager here first next first_label="← Previous" next_label="Next →" />
        <ExportLinks table="tenants" />
    }
}

#[component]
fn TenantRow(t: Tenant) -> impl IntoView {
    let href = format!("/tenants/{}", t.org_id);
    let name = if t.name.is_empty() {
        "(no summary yet)".to_string()
    } else {
        t.name.clone()
    };
    view! {
        <tr>
            <td class="num">
                <a href=href.clone()>{t.org_id}</a>
            </td>
            <th scope="row" dir="auto">
                <a href=href>{name}</a>
            </th>
            <td>{t.shard_id}</td>
            <td>{t.shard_type}</td>
            <td>{t.region}</td>
            <td>{t.sla_tier}</td>
            <td>{t.billing_tier}</td>
            <td class="num">{t.patients.map_or(crate::format::NO_VALUE.to_string(), count)}</td>
            <td>{t.created_at_ms.map_or(crate::format::NO_VALUE.to_string(), utc)}</td>
        </tr>
    }
}
