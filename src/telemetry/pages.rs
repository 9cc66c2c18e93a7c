//! What each telemetry page shows, from its checked query (see [`super::query`]): every panel is
//! read under its own deadline. A panel ClickHouse could not answer is a [`Failure`](crate::partial::Failure); the rest of
//! the page renders.

use super::Sources;
use super::filters::Filters;
use super::pools::{ConnectionMath, PoolRow, SeriesRow, connection_math};
use super::requests::{BucketStats, GroupStats, RequestStats, View};
use super::slow::{ShardStatements, SlowRow};
use super::{pools, requests, slow};
use crate::error::Result;
use crate::federation::fanout::Outcome;
use crate::partial::{Failure, Partial};
use crate::time_range::TimeRange;

/// The range, filters and known shards every telemetry page starts from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub range: TimeRange,
    pub filters: Filters,
    pub shards: Vec<String>,
    pub generated_at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PoolsPage {
    pub scope: Scope,
    pub pools: Partial<Vec<PoolRow>>,
    pub series: Partial<Vec<SeriesRow>>,
    pub connections: Partial<Vec<ConnectionMath>>,
}

/// `/pools`.
#[tracing::instrument(skip_all)]
pub async fn pools_page(
    console: &(impl Sources + crate::overview::Sources),
    scope: Scope,
) -> PoolsPage {
    let t = console.telemetry();
    let now = (scope.generated_at_ms / 1000) as u32;
    let (panel, demand, overview) = tokio::join!(
        pools::pools_panel(t, &scope.range, &scope.filters, now),
        pools::demand(t, now, &scope.filters),
        crate::overview::fleet_overview(console),
    );
    let connections = demand.map(|demand| {
        let shards: Vec<(String, Partial<i64>)> = match &overview {
            Ok(o) => o
                .shards
                .iter()
                .filter(|s| scope.filters.shard.as_ref().is_none_or(|f| f == &s.id))
                .map(|s| {
                    let max = s.outcome.result.as_ref().map(|stats| stats.max_connections);
                    let max = max.map_err(Clone::clone);
                    (s.id.clone(), max)
                })
                .collect(),
            Err(e) => scope
                .shards
                .iter()
                .filter(|s| scope.filters.shard.as_ref().is_none_or(|f| &f == s))
                .map(|s| {
                    let f = e.failure();
                    (
                        s.clone(),
                        Err(Failure::new(
                            f.kind,
                            format!("routing database: {}", f.message),
                        )),
                    )
                })
                .collect(),
        };
        connection_math(
            &shards,
            &demand,
            console.config().telemetry.connection_reserve,
        )
    });
    PoolsPage {
        scope,
        pools: panel.pools,
        series: panel.series,
        connections,
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RequestsPage {
    pub scope: Scope,
    pub view: View,
    pub totals: Partial<RequestStats>,
    pub groups: Partial<Vec<GroupStats>>,
    pub series: Partial<Vec<BucketStats>>,
}

/// `/telemetry`.
#[tracing::instrument(skip_all)]
pub async fn requests_page(console: &impl Sources, scope: Scope, view: View) -> RequestsPage {
    let now = (scope.generated_at_ms / 1000) as u32;
    let panel =
        requests::requests_panel(console.telemetry(), &scope.range, &scope.filters, view, now)
            .await;
    RequestsPage {
        scope,
        view,
        totals: panel.totals,
        groups: panel.groups,
        series: panel.series,
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlowPage {
    pub scope: Scope,
    pub top: u32,
    pub queries: Partial<Vec<SlowRow>>,
    pub statements: Vec<Outcome<ShardStatements>>,
}

/// `/telemetry/slow-queries`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn slow_page(console: &impl Sources, scope: Scope, top: u32) -> Result<SlowPage> {
    let shards: Vec<_> = console
        .shards()
        .await?
        .iter()
        .filter(|s| scope.filters.shard.as_ref().is_none_or(|f| f == &s.id))
        .cloned()
        .collect();
    let (queries, statements) = tokio::join!(
        slow::slow_top(console.telemetry(), &scope.range, &scope.filters, top),
        slow::statements(console, shards, 10),
    );
    Ok(SlowPage {
        scope,
        top,
        queries,
        statements,
    })
}
