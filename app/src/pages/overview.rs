//! `/`: one row per shard, the balance chart, and how many shards answered.
//!
//! Streams in order with one Suspense per row: rows are handed out in the order shards answer, so
//! the fastest shard's row arrives first and a slow shard only delays itself. The answered count and
//! the chart come last in the HTML and are shown first by CSS. Without JavaScript the page arrives
//! complete; with it, the sort headers (links to `?sort=`) reorder rows in place.
//!
//! Sorting without JavaScript: rows are placed by CSS `order`. The shard-id order is known before
//! any shard answers ([`GridOrder`]); the order by a metric is known once every shard has answered
//! or failed, so the summary (last in the stream) carries one more nonced stylesheet that places
//! every row for the `?sort=` in the URL. In the browser each row's `order` follows the query.

use leptos::prelude::*;

use crate::api::ApiError;
use leptos_router::hooks::use_query_map;

use crate::api::get_fleet_shards;
mod race;
mod shard_table;
mod summary;

pub use shard_table::{
    GridOrder, ShardGridHeader, ShardRowView, SortKey, header_cells, order_css, sort_rows,
};

use crate::components::{AnsweredBanner, ChartFrame, ErrorState, ExportLinks, PageShell};
use crate::dto::ShardHeaderDto;
use race::PageRace;
use shardscope::overview::ShardRow;
use summary::{Summary, Unprobed};

type Made = (
    Resource<Result<Summary, ApiError>>,
    Vec<Resource<Result<ShardRow, ApiError>>>,
);

/// Start the race (server) and create the summary and one slot resource per shard, in a fixed order
/// so the browser's resources line up with the server's.
/// They belong to the page's owner, not the Suspense's, so a re-run does not dispose of them.
async fn make_resources(owner: Owner, n: usize) -> Made {
    let race = PageRace::start().await;
    owner.with(|| {
        let summary = {
            let race = race.clone();
            Resource::new(|| (), move |_| race.clone().summary())
        };
        let slots = (0..n)
            .map(|i| {
                let race = race.clone();
                Resource::new(|| (), move |_| race.clone().slot(i))
            })
            .collect();
        (summary, slots)
    })
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let shards = Resource::new(|| (), |_| get_fleet_shards());
    let query = use_query_map();
    let sort = SortKey::from_param(query.read_untracked().get("sort").as_deref());
    // Resources must not be created anew when Suspense re-runs its children (the server renders
    // them more than once): the race and its resources are made once per page and kept here.
    let made: StoredValue<Option<Made>> = StoredValue::new(None);
    let owner = StoredValue::new(Owner::current().expect("a component always has an owner"));
    view! {
        <PageShell
            route=crate::routes::OVERVIEW
            class="overview"
            lead="Every shard's load, connections and replicas, probed live under a per-shard deadline."
            loading="Reading the routing database…"
            data=shards
            // A full page load: every shard is read again.
            actions=move || {
                view! {
                    <a class="btn" href=sort.href() data-refresh="">
                        "Refresh"
                    </a>
                }
            }
            on_error=|e: ApiError| {
                view! {
                    <ErrorState message=format!(
                        "The shard list could not be read: {}",
                        e.message,
                    ) />
                }
                    .into_any()
            }
            body=move |headers| Suspend::new(overview_body(headers, sort, made, owner))
        />
    }
}

/// The grid (one streamed row per shard, in the order they answer) and, once all have answered
/// or failed, the answered count, the server's placement of the rows and the balance chart.
async fn overview_body(
    headers: Vec<ShardHeaderDto>,
    sort: SortKey,
    made: StoredValue<Option<Made>>,
    owner: StoredValue<Owner>,
) -> impl IntoView {
    let ids: Vec<String> = headers.iter().map(|h| h.id.clone()).collect();
    let (summary, slots) = match made.get_value() {
        Some(m) => m,
        None => {
            let m = make_resources(owner.get_value(), headers.len()).await;
            made.set_value(Some(m.clone()));
            m
        }
    };
    view! {
        <div class="overview-body">
            <div class="shard-grid" role="table" aria-label="Shards" data-table="shards">
                <ShardGridHeader sort columns=header_cells() />
                <GridOrder ids />
                {slots
                    .into_iter()
                    .map(|slot| {
                        view! {
                            <Suspense fallback=|| ()>
                                {move || {
                                    Suspend::new(async move {
                                        match slot.await {
                                            Ok(row) => view! { <ShardRowView row /> }.into_any(),
                                            Err(e) => {
                                                view! {
                                                    <div class="grid-row failed" role="row">
                                                        <span class="failure wide" role="cell">
                                                            {e.message.clone()}
                                                        </span>
                                                    </div>
                                                }
                                                    .into_any()
                                            }
                                        }
                                    })
                                }}
                            </Suspense>
                        }
                    })
                    .collect_view()}
            </div>
            <ExportLinks table="shards" />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match summary.await {
                        Ok(s) => {
                            let ratio = s
                                .balance_ratio
                                .map(|r| format!("{r:.2}×"))
                                .unwrap_or_else(|| "n/a".into());
                            let imbalanced = s.imbalanced;
                            let ratio_limit = shardscope::thresholds::trim(
                                shardscope::thresholds::current().imbalance_ratio,
                            );
                            let key = sort;
                            let placed = (key != SortKey::Shard).then(|| order_css(s.order(key)));
                            // Placed once: later sorts set each row's
                            // `order` in the browser.
                            view! {
                                {placed
                                    .map(|css| {
                                        view! {
                                            <style nonce=leptos::nonce::use_nonce()>{css}</style>
                                        }
                                    })}
                                <AnsweredBanner summary=s.answered />
                                <UnprobedNote unprobed=s.unprobed />
                                <section class="balance-panel">
                                    <h2>"Shard balance"</h2>
                                    <p class="balance" class:warn=imbalanced>
                                        "Most / least loaded shared shard: "
                                        {ratio}
                                        {imbalanced
                                            .then(|| {
                                                format!(" — over the {ratio_limit}× alert threshold")
                                            })}
                                    </p>
                                    <ChartFrame
                                        src="/charts/balance.svg"
                                        alt=format!(
                                            "Patients per shard, with the {ratio_limit}× imbalance threshold",
                                        )
                                        width=720
                                        height=300
                                        caption=format!(
                                            "Bars: patients per shard (shared blue, enterprise \
                                                purple). Red line: {ratio_limit}× the \
                                                least-loaded shared shard.",
                                        )
                                    />
                                </section>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorState message=e.message.clone() /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The shards the routing DB names with no endpoint known, which the overview cannot probe: counted
/// and named, with a link to `/shards` (nothing when there are none).
#[component]
fn UnprobedNote(unprobed: Unprobed) -> impl IntoView {
    if let Some(why) = unprobed.unknown {
        return view! {
            <p class="note" data-without-endpoint="unknown">
                {format!(
                    "Shards named elsewhere in the routing database could not be counted ({why}): ",
                )}
                <a href="/shards">"every shard"</a>
            </p>
        }
        .into_any();
    }
    let n = unprobed.ids.len();
    if n == 0 {
        return ().into_any();
    }
    view! {
        <p class="note" data-without-endpoint=n.to_string()>
            {format!(
                "{n} more shard{} named in the routing database with no endpoint known ({}), so not probed: ",
                if n == 1 { "" } else { "s" },
                unprobed.ids.join(", "),
            )}
            <a href="/shards">"every shard"</a>
        </p>
    }
    .into_any()
}
