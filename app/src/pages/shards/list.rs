//! `/shards`: every shard the routing DB names, from any of its tables, with its health as the
//! overview last measured it and its size against its allocation. Filters live in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::get_shards;
use crate::components::{
    EmptyState, ExportLinks, FilterBar, Level, PageShell, SelectField, StatusBadge, table_head,
};
use crate::format::{NO_VALUE, age, bytes, count, query_value};
use shardscope::shards::list::{ShardListRow, ShardsPage as Page};
use shardscope::shards::tables;
use shardscope::thresholds::{self, Judgement};

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
            lead="Every shard the routing database names — in tenant_shards, shard_capacity or as \
            a patient's home shard — with its health as last measured."
            loading="Reading the routing database…"
            data
            body=|p: Page| view! { <ShardsBody p /> }
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
            <SelectField
                label="Region"
                name="region"
                options=regions
                selected=selected_region
                any="All regions"
            />
            <SelectField
                label="Type"
                name="type"
                options=types
                selected=selected_type
                any="All types"
            />
        </FilterBar>
        <p class="note" data-shards-summary="">
            {summary}
        </p>
        {if p.rows.is_empty() {
            view! { <EmptyState>"No shard matches these filters."</EmptyState> }.into_any()
        } else {
            view! {
                <ExportLinks table="shards" />
                <div class="table-wrap">
                    <table class="data-table shards-table" data-table="shards">
                        {table_head(&tables::shards_list())}
                        <tbody>
                            {p.rows.into_iter().map(|r| view! { <Row r now /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
    }
}

#[component]
fn Row(r: ShardListRow, now: u64) -> impl IntoView {
    let s = &r.shard;
    let href = format!("/shards/{}", query_value(&s.id));
    let dash = || NO_VALUE.to_string();
    let level = match &r.health {
        None => Level::Unknown,
        Some(o) if o.result.is_ok() => Level::Ok,
        Some(_) => Level::Critical,
    };
    let measured = r
        .health
        .as_ref()
        .map_or_else(dash, |o| age(now, o.measured_at_ms));
    let failure = r
        .health
        .as_ref()
        .and_then(|o| o.result.as_ref().err())
        .map_or_else(dash, |f| format!("{}: {f}", f.kind.code()));
    let stats = r.health.as_ref().and_then(|o| o.result.as_ref().ok());
    let share = tables::allocation_percent(&r);
    let over = tables::allocation_judgement(&r) == Judgement::Warn;
    view! {
        <tr
            data-shard=s.id.clone()
            data-endpoint=if r.health.is_some() { "known" } else { "unknown" }
        >
            <th scope="row">
                <a href=href>{s.id.clone()}</a>
            </th>
            <td>{s.shard_type.clone().unwrap_or_else(dash)}</td>
            <td>{s.region.clone().unwrap_or_else(dash)}</td>
            <td class="note">{s.named_in().join(", ")}</td>
            <td class="num">{count(s.routed_orgs)}</td>
            <td>
                <StatusBadge level text=tables::list_health(&r) />
            </td>
            <td class="note">{measured}</td>
            <td class="note">{failure}</td>
            <td class="num">{stats.map_or_else(dash, |st| count(st.conns_total))}</td>
            <td class="num">{stats.map_or_else(dash, |st| count(st.max_connections))}</td>
            <td class="num">{stats.map_or_else(dash, |st| bytes(st.db_bytes))}</td>
            <td class="num">{r.allocated_bytes.map_or_else(dash, bytes)}</td>
            <td class="num">
                {share.map_or_else(dash, |p| format!("{p:.0} %"))}
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
            </td>
        </tr>
    }
}
