//! `/`: one row per shard, the balance chart, and how many shards answered.

use leptos::prelude::*;

use crate::api::get_overview;
use crate::components::{AnsweredBanner, ShardTable, SortKey};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let sort = RwSignal::new(SortKey::Shard);
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
                    <button type="button" class="refresh" on:click=move |_| overview.refetch()>
                        "Refresh"
                    </button>
                </div>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Probing shards…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) => {
                            let svg = o.chart_svg.clone();
                            let ratio = o
                                .balance_ratio
                                .map(|r| format!("{r:.2}×"))
                                .unwrap_or_else(|| "n/a".into());
                            let imbalanced = o.imbalanced;
                            let shards = o.shards.clone();
                            let generated_at_ms = o.generated_at_ms;
                            view! {
                                <AnsweredBanner overview=o/>
                                <ShardTable shards sort=sort.read_only() generated_at_ms/>
                                <h2>"Shard balance"</h2>
                                <p class="balance" class:warn=imbalanced>
                                    "Most / least loaded shared shard: " {ratio}
                                    {imbalanced.then_some(" — over the 2× alert threshold")}
                                </p>
                                <div class="chart" inner_html=svg></div>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="error" role="alert">
                                    "The overview could not be built: " {e.to_string()}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
