//! "N of M shards answered", and which did not and why. Every federated panel shows it.

use leptos::prelude::*;

use crate::dto::OverviewDto;

#[component]
pub fn AnsweredBanner(overview: OverviewDto) -> impl IntoView {
    let all = overview.answered == overview.total;
    let failed: Vec<_> = overview
        .shards
        .iter()
        .filter_map(|s| {
            s.status
                .as_ref()
                .err()
                .map(|f| (s.id.clone(), f.message.clone()))
        })
        .collect();
    view! {
        <div class="answered" class:partial=!all data-answered=overview.answered data-total=overview.total>
            <strong>{format!("{} of {} shards answered", overview.answered, overview.total)}</strong>
            {(!failed.is_empty())
                .then(|| {
                    view! {
                        <ul class="failed">
                            {failed
                                .into_iter()
                                .map(|(id, why)| view! { <li><code>{id}</code> " — " {why}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}
