//! Rows of a streamed page in the order shards answer.
//!
//! On the server, one [`shardscope::overview::OverviewRace`] per page render probes every shard at
//! once and hands out rows as they complete, so in-order streaming sends the fastest shard's row
//! first and the slowest last, and the page still arrives complete without JavaScript. In the
//! browser the rows come from the serialized resources; if a slot is ever fetched again it is
//! answered from the JSON overview.

use leptos::prelude::*;

use crate::dto::{ShardRowDto, SummaryDto};

#[derive(Clone)]
pub struct PageRace {
    #[cfg(feature = "ssr")]
    race: Option<std::sync::Arc<shardscope::overview::OverviewRace>>,
}

impl PageRace {
    /// Start probing (server) or prepare to read serialized rows (browser).
    pub async fn start() -> Self {
        #[cfg(feature = "ssr")]
        {
            let allowed = crate::api::guard::allows(shardscope::auth::Capability::ViewFleet);
            let race = match use_context::<shardscope::Console>().filter(|_| allowed) {
                Some(console) => match console.shards().await {
                    Ok(list) => Some(shardscope::overview::OverviewRace::start(
                        &console,
                        list.iter().cloned().collect(),
                    )),
                    Err(_) => None,
                },
                None => None,
            };
            Self { race }
        }
        #[cfg(not(feature = "ssr"))]
        {
            Self {}
        }
    }

    /// The `i`-th shard to answer.
    pub async fn slot(self, i: usize) -> Result<ShardRowDto, ServerFnError> {
        #[cfg(feature = "ssr")]
        {
            let race = self
                .race
                .ok_or_else(|| ServerFnError::new("routing database unavailable"))?;
            race.nth(i)
                .await
                .map(|row| ShardRowDto::from(&row))
                .ok_or_else(|| ServerFnError::new("no such shard"))
        }
        #[cfg(not(feature = "ssr"))]
        {
            let o = crate::api::get_overview().await?;
            o.shards
                .get(i)
                .cloned()
                .ok_or_else(|| ServerFnError::new("no such shard"))
        }
    }

    /// Counts, failures, balance and chart, once every shard has answered or failed.
    pub async fn summary(self) -> Result<SummaryDto, ServerFnError> {
        #[cfg(feature = "ssr")]
        {
            let race = self
                .race
                .ok_or_else(|| ServerFnError::new("routing database unavailable"))?;
            Ok(crate::dto::OverviewDto::from(race.all().await).summary())
        }
        #[cfg(not(feature = "ssr"))]
        {
            Ok(crate::api::get_overview().await?.summary())
        }
    }
}
