//! `/`: one row per shard, the balance chart, and how many shards answered.
//!
//! Streams in order with one Suspense per row: rows are handed out in the order shards answer, so
//! the fastest shard's row arrives first and a slow shard only delays itself. The answered count and
//! the chart come last in the HTML and are shown first by CSS. Without JavaScript the page arrives
//! complete; with it, the sort buttons reorder rows in place.

use leptos::prelude::*;

use crate::api::get_fleet_shards;
use crate::components::{AnsweredBanner, GridOrder, ShardGridHeader, ShardRowView, SortKey};
use crate::dto::{ShardRowDto, SummaryDto};
use crate::race::PageRace;

type Made = (
    Resource<Result<SummaryDto, ServerFnError>>,
    Vec<Resource<Result<ShardRowDto, ServerFnError>>>,
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
    let sort = RwSignal::new(SortKey::Shard);
    let arrived = RwSignal::new(Vec::<ShardRowDto>::new());
    // Resources must not be created anew when Suspense re-runs its children (the server renders
    // them more than once): the race and its resources are made once per page and kept here.
    let made: StoredValue<Option<Made>> = StoredValue::new(None);
    let owner = StoredValue::new(Owner::current().expect("a component always has an owner"));
    view! {
        <section class="page overview">
            <div class="page-head">
                <h1>"Fleet overview"</h1>
                <div class="controls" role="group" aria-label="Sort shards">
                    <span>"Sort by"</span>
                    {SortKey::ALL
                        .into_iter()
                        .map(|key| {
                            view! {
                                <button
                                    type="button"
                                    class:active=move || sort.get() == key
                                    aria-pressed=move || (sort.get() == key).to_string()
                                    on:click=move |_| sort.set(key)
                                >
                                    {key.label()}
                                </button>
                            }
                        })
                        .collect_view()}
                    <a class="refresh" href="/">"Refresh"</a>
                </div>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Reading the routing database…"</p> }>
                {move || Suspend::new(async move {
                    match shards.await {
                        Err(e) => {
                            view! {
                                <p class="error" role="alert">
                                    "The shard list could not be read: " {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(headers) => {
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
                                    <div class="shard-grid" role="table" aria-label="Shards">
                                        <ShardGridHeader/>
                                        <GridOrder ids=ids.clone()/>
                                        {slots
                                            .into_iter()
                                            .map(|slot| {
                                                let ids = ids.clone();
                                                view! {
                                                    <Suspense fallback=|| ()>
                                                        {move || {
                                                            let ids = ids.clone();
                                                            Suspend::new(async move {
                                                                match slot.await {
                                                                    Ok(row) => {
                                                                        // Only the browser sorts; the server never
                                                                        // writes page signals while streaming.
                                                                        #[cfg(not(feature = "ssr"))]
                                                                        arrived
                                                                            .try_update(|v| {
                                                                                if !v.iter().any(|r| r.id == row.id) {
                                                                                    v.push(row.clone())
                                                                                }
                                                                            });
                                                                        view! {
                                                                            <ShardRowView
                                                                                row
                                                                                sort=sort.read_only()
                                                                                all_ids=ids
                                                                                arrived=arrived.read_only()
                                                                            />
                                                                        }
                                                                            .into_any()
                                                                    }
                                                                    Err(e) => {
                                                                        view! {
                                                                            <p class="error">{e.to_string()}</p>
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
                                    <Suspense fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            match summary.await {
                                                Ok(s) => {
                                                    let ratio = s
                                                        .balance_ratio
                                                        .map(|r| format!("{r:.2}×"))
                                                        .unwrap_or_else(|| "n/a".into());
                                                    let imbalanced = s.imbalanced;
                                                    view! {
                                                        <AnsweredBanner summary=s/>
                                                        <section class="balance-panel">
                                                            <h2>"Shard balance"</h2>
                                                            <p class="balance" class:warn=imbalanced>
                                                                "Most / least loaded shared shard: "
                                                                {ratio}
                                                                {imbalanced
                                                                    .then_some(" — over the 2× alert threshold")}
                                                            </p>
                                                            <div class="chart">
                                                                // Server-rendered SVG, its own URL: cached
                                                                // by the browser, embeddable, no JS needed.
                                                                <img
                                                                    src="/charts/balance.svg"
                                                                    alt="Patients per shard, with the 2× imbalance threshold"
                                                                    width="720"
                                                                    height="300"
                                                                />
                                                            </div>
                                                        </section>
                                                    }
                                                        .into_any()
                                                }
                                                Err(e) => {
                                                    view! { <p class="error">{e.to_string()}</p> }.into_any()
                                                }
                                            }
                                        })}
                                    </Suspense>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
