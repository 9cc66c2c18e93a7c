//! `/shards`: every shard the routing DB names, from any of its tables, with its health as the
//! overview last measured it and its size against its allocation. Filters live in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::get_shards;
use crate::components::{EmptyState, FilterBar, Level, PageShell, SelectField, StatusBadge};
use crate::format::{age, bytes, count, query_value};
use shardscope::shards::detail::ALLOCATION_ALERT;
use shardscope::shards::list::{ShardListRow, ShardsPage as Page};

const PATH: &str = crate::routes::SHARDS.path;

#[component]
pub fn ShardsPage() -> impl IntoView {
    let (region, shard_type) = {
        let m = use_query_map().get_untracked();
        (m.get("region"), m.get("type"))
    };
    let data = Resource::new(
        move || (region.clone(), shard_type.clone()),
        |(r, t)| get_shards(r, t),
    );
    view! {
        <PageShell
            route=crate::routes::SHARDS
            class="shards"
            lead="Every shard the routing database names — in tenant_shards, shard_capacity or as a patient's home shard — with its health as last measured."
            loading="Reading the routing database…"
            data
            body=|p: Page| view! { <ShardsBody p/> }
        />
    }
}

#[component]
fn ShardsBody(p: Page) -> impl IntoView {
    let opts = |v: &[String]| v.iter().map(|s| (s.clone(), s.clone())).collect::<Vec<_>>();
    let (regions, types) = (opts(&p.regions), opts(&p.types));
    let selected_region = p.query.region.clone().unwrap_or_default();
    let selected_type = p.query.shard_type.clone().unwrap_or_default();
    let now = p.generated_at_ms;
    let without_endpoint = p.rows.iter().filter(|r| r.health.is_none()).count();
    let summary = format!(
        "{} of {} shards known to the routing database{}",
        p.rows.len(),
        p.known,
        if without_endpoint > 0 {
            format!(" · {without_endpoint} provisioned with no endpoint known")
        } else {
            String::new()
        }
    );
    view! {
        <FilterBar action=PATH label="Filter shards">
            <SelectField label="Region" name="region" options=regions selected=selected_region any="All regions"/>
            <SelectField label="Type" name="type" options=types selected=selected_type any="All types"/>
        </FilterBar>
        <p class="note" data-shards-summary="">{summary}</p>
        {if p.rows.is_empty() {
            view! { <EmptyState>"No shard matches these filters."</EmptyState> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="data-table shards-table">
                    <thead>
                        <tr>
                            <th scope="col">"Shard"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Region"</th>
                            <th scope="col">"Named in"</th>
                            <th scope="col" class="num">"Orgs routed"</th>
                            <th scope="col">"Health"</th>
                            <th scope="col" class="num">"Connections"</th>
                            <th scope="col" class="num">"Size / allocation"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {p.rows.into_iter().map(|r| view! { <Row r now/> }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
    }
}

#[component]
fn Row(r: ShardListRow, now: u64) -> impl IntoView {
    let s = r.shard;
    let href = format!("/shards/{}", query_value(&s.id));
    let (health, conns, size) = match &r.health {
        None => (
            view! { <StatusBadge level=Level::Unknown text="provisioned, no endpoint known"/> }
                .into_any(),
            crate::format::NO_VALUE.to_string(),
            r.allocated_bytes
                .map_or(crate::format::NO_VALUE.into(), |a| {
                    format!("– of {}", bytes(a))
                }),
        ),
        Some(o) => match &o.result {
            Ok(st) => {
                let size = match r.allocated_bytes {
                    Some(a) if a > 0 => {
                        let share = st.db_bytes as f64 / a as f64;
                        format!(
                            "{} of {} ({:.0} %)",
                            bytes(st.db_bytes),
                            bytes(a),
                            share * 100.0
                        )
                    }
                    _ => format!("{} (no allocation set)", bytes(st.db_bytes)),
                };
                let over = r
                    .allocated_bytes
                    .is_some_and(|a| a > 0 && st.db_bytes as f64 / a as f64 >= ALLOCATION_ALERT);
                (
                    view! {
                        <StatusBadge level=Level::Ok text="answering"/>
                        " "<span class="note">{age(now, o.measured_at_ms)}</span>
                        {over.then(|| view! { " "<StatusBadge level=Level::Warn text="over 80 % of allocation"/> })}
                    }.into_any(),
                    format!("{} of {}", count(st.conns_total), count(st.max_connections)),
                    size,
                )
            }
            Err(f) => (
                view! {
                    <StatusBadge level=Level::Critical text="not answering"/>
                    " "<span class="note">{format!("{}: {f}", f.kind.code())}</span>
                }
                .into_any(),
                crate::format::NO_VALUE.to_string(),
                crate::format::NO_VALUE.to_string(),
            ),
        },
    };
    view! {
        <tr data-shard=s.id.clone() data-endpoint=if r.health.is_some() { "known" } else { "unknown" }>
            <th scope="row"><a href=href>{s.id.clone()}</a></th>
            <td>{s.shard_type.clone().unwrap_or_else(|| crate::format::NO_VALUE.into())}</td>
            <td>{s.region.clone().unwrap_or_else(|| crate::format::NO_VALUE.into())}</td>
            <td class="note">{s.named_in().join(", ")}</td>
            <td class="num">{count(s.routed_orgs)}</td>
            <td>{health}</td>
            <td class="num">{conns}</td>
            <td class="num">{size}</td>
        </tr>
    }
}
