//! "N of M shards answered", and which did not and why. Every federated panel shows it.

use leptos::prelude::*;

use crate::dto::SummaryDto;

#[component]
pub fn AnsweredBanner(summary: SummaryDto) -> impl IntoView {
    let all = summary.answered == summary.total;
    view! {
        <div
            class="answered"
            class:partial=!all
            data-answered=summary.answered
            data-total=summary.total
        >
            <strong>{format!("{} of {} shards answered", summary.answered, summary.total)}</strong>
            {(!summary.failed.is_empty())
                .then(|| {
                    view! {
                        <ul class="failed">
                            {summary
                                .failed
                                .into_iter()
                                .map(|(id, why)| view! { <li><code>{id}</code> " — " {why}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}
