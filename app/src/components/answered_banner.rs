//! "N of M shards answered", and which did not and why. Every federated panel shows it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many shards a federated read asked, how many answered, and each silent shard's reason.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub answered: usize,
    pub total: usize,
    /// (shard id, reason) of every shard that did not answer.
    pub failed: Vec<(String, String)>,
}

impl Answered {
    /// The overview's count: a shard that fails now but answered before says how old the values
    /// shown for it are.
    pub fn of_overview(o: &shardscope::overview::FleetOverview) -> Self {
        let now = shardscope::clock::now_ms();
        Self {
            answered: o.answered,
            total: o.total,
            failed: o
                .failed()
                .filter_map(|s| {
                    let f = s.outcome.result.as_ref().err()?;
                    let why = match &s.last_good {
                        Some(lg) => format!(
                            "not answering now ({f}); showing values from {} s ago",
                            now.saturating_sub(lg.measured_at_ms) / 1000
                        ),
                        None => f.to_string(),
                    };
                    Some((s.id.clone(), why))
                })
                .collect(),
        }
    }

    /// A lookup's count: the shards asked and the (shard, reason) of those that stayed silent.
    pub fn of_asked(asked: usize, silent: Vec<(String, String)>) -> Self {
        Self {
            answered: asked.saturating_sub(silent.len()),
            total: asked,
            failed: silent,
        }
    }
}

#[component]
pub fn AnsweredBanner(summary: Answered) -> impl IntoView {
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
                                .map(|(id, why)| {
                                    view! {
                                        <li>
                                            <code>{id}</code>
                                            " — "
                                            {why}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
        </div>
    }
}
