//! Rows of a streamed page in the order shards answer.
//!
//! One [`shardscope::overview::OverviewRace`] per page render probes every shard at once and hands
//! out rows as they complete, so in-order streaming sends the fastest shard's row first and the
//! slowest last, and the page still arrives complete without JavaScript.

use std::sync::Arc;

use http::StatusCode;
use leptos::prelude::*;

use crate::api::ApiError;
use shardscope::overview::ShardRow;

use super::summary::{Summary, Unprobed};

#[derive(Clone)]
pub struct PageRace {
    race: Option<Arc<shardscope::overview::OverviewRace>>,
    console: Option<shardscope::Console>,
}

impl PageRace {
    /// Start probing every shard (nothing when the reader may not see the fleet, or the shard
    /// list cannot be read: each slot then says so).
    pub async fn start() -> Self {
        let allowed = crate::api::guard::allows(shardscope::auth::Capability::ViewFleet);
        let console = use_context::<shardscope::Console>().filter(|_| allowed);
        let race = match &console {
            Some(console) => match console.shards().await {
                Ok(list) => Some(shardscope::overview::OverviewRace::start(
                    console,
                    list.iter().cloned().collect(),
                )),
                Err(_) => None,
            },
            None => None,
        };
        Self { race, console }
    }

    fn race(self) -> Result<Arc<shardscope::overview::OverviewRace>, ApiError> {
        self.race.ok_or_else(|| {
            ApiError::part(
                StatusCode::SERVICE_UNAVAILABLE,
                "routing database unavailable",
            )
        })
    }

    /// The `i`-th shard to answer.
    pub async fn slot(self, i: usize) -> Result<ShardRow, ApiError> {
        self.race()?
            .nth(i)
            .await
            .ok_or_else(|| ApiError::part(StatusCode::NOT_FOUND, "no such shard"))
    }

    /// Counts, failures, balance and chart, once every shard has answered or failed; then the
    /// shards the routing DB names with no endpoint (read after the rows, so it never delays one).
    pub async fn summary(self) -> Result<Summary, ApiError> {
        let console = self.console.clone();
        let overview = self.race()?.all().await;
        let unprobed = match console {
            Some(console) => without_endpoint(&console).await,
            None => Unprobed::default(),
        };
        Ok(Summary::of(&overview, unprobed))
    }
}

/// The shards named in the routing DB that the overview cannot probe; best effort: when the list
/// cannot be read the summary says so instead of a count.
async fn without_endpoint(console: &shardscope::Console) -> Unprobed {
    match shardscope::shards::known_cached(console).await {
        Ok(known) => Unprobed {
            ids: known
                .iter()
                .filter(|k| !k.has_endpoint())
                .map(|k| k.id.clone())
                .collect(),
            unknown: None,
        },
        Err(e) => Unprobed {
            ids: Vec::new(),
            unknown: Some(e.to_string()),
        },
    }
}
