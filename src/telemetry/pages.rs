//! What each telemetry page shows, read from its URL: the range and filters are parsed (bad input
//! is [`Error::InvalidInput`], a 400 with what to type), then every panel is read under its own
//! deadline. A panel ClickHouse could not answer is [`Unavailable`]; the rest of the page renders.

use super::filters::Filters;
use super::pools::{ConnectionMath, PoolRow, SeriesRow, connection_math};
use super::range::TimeRange;
use super::requests::{BucketStats, DEFAULT_TOP, GroupStats, MAX_TOP, RequestStats, View};
use super::slow::{ShardStatements, SlowRow};
use super::sql::{GroupBy, TopBy};
use super::{Unavailable, pools, requests, slow};
use crate::error::{Error, Result};
use crate::federation::Console;
use crate::federation::fanout::{Outcome, now_ms};

/// The range, filters and known shards every telemetry page starts from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub range: TimeRange,
    pub filters: Filters,
    pub shards: Vec<String>,
    pub generated_at_ms: u64,
}

async fn scope(console: &Console, get: &impl Fn(&str) -> Option<String>) -> Result<Scope> {
    let now_ms = now_ms();
    let range = TimeRange::parse(
        get("range").as_deref(),
        get("from").as_deref(),
        get("to").as_deref(),
        (now_ms / 1000) as u32,
    )?;
    let shards: Vec<String> = console
        .shards()
        .await?
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let filters = Filters::parse(get, &shards)?;
    if let Some(org) = filters.org {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM tenant_shards WHERE organization_id = $1)",
        )
        .bind(org as i64)
        .fetch_one(console.routing())
        .await
        .map_err(|e| Error::RoutingUnavailable(e.to_string()))?;
        if !known {
            return Err(Error::InvalidInput(format!(
                "unknown organization {org}: no such id in the routing database"
            )));
        }
    }
    Ok(Scope {
        range,
        filters,
        shards,
        generated_at_ms: now_ms,
    })
}

fn number(get: &impl Fn(&str) -> Option<String>, key: &str, default: u32, max: u32) -> Result<u32> {
    match get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "\"{key}\" must be a number from 1 to {max}, got {v:?}"
                ))
            }),
    }
}

fn choice<T: Copy>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    options: &[(&str, T)],
    default: T,
) -> Result<T> {
    match get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        None => Ok(default),
        Some(v) => options
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown {key} {v:?}: choose one of {}",
                    options.iter().map(|o| o.0).collect::<Vec<_>>().join(", ")
                ))
            }),
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PoolsPage {
    pub scope: Scope,
    pub pools: Result<Vec<PoolRow>, Unavailable>,
    pub series: Result<Vec<SeriesRow>, Unavailable>,
    pub connections: Result<Vec<ConnectionMath>, Unavailable>,
}

/// `/pools`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn pools_page(
    console: &Console,
    get: impl Fn(&str) -> Option<String>,
) -> Result<PoolsPage> {
    let scope = scope(console, &get).await?;
    let t = console.telemetry();
    let now = (scope.generated_at_ms / 1000) as u32;
    let (panel, demand, overview) = tokio::join!(
        pools::pools_panel(t, &scope.range, &scope.filters, now),
        pools::demand(t, now, &scope.filters),
        crate::overview::fleet_overview(console),
    );
    let connections = demand.map(|demand| {
        let shards: Vec<(String, std::result::Result<i64, String>)> = match &overview {
            Ok(o) => o
                .shards
                .iter()
                .filter(|s| scope.filters.shard.as_ref().is_none_or(|f| f == &s.id))
                .map(|s| {
                    let max = match &s.outcome.result {
                        Ok(stats) => Ok(stats.max_connections),
                        Err(f) => Err(format!("{}: {}", f.kind.label(), f.message)),
                    };
                    (s.id.clone(), max)
                })
                .collect(),
            Err(e) => scope
                .shards
                .iter()
                .filter(|s| scope.filters.shard.as_ref().is_none_or(|f| &f == s))
                .map(|s| (s.clone(), Err(format!("routing database: {e}"))))
                .collect(),
        };
        connection_math(
            &shards,
            &demand,
            console.config().telemetry.connection_reserve,
        )
    });
    Ok(PoolsPage {
        scope,
        pools: panel.pools,
        series: panel.series,
        connections,
    })
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RequestsPage {
    pub scope: Scope,
    pub view: View,
    pub totals: Result<RequestStats, Unavailable>,
    pub groups: Result<Vec<GroupStats>, Unavailable>,
    pub series: Result<Vec<BucketStats>, Unavailable>,
}

pub const GROUPS: [(&str, GroupBy); 3] = [
    ("shard", GroupBy::Shard),
    ("org", GroupBy::Org),
    ("route", GroupBy::Route),
];
pub const TOP_BY: [(&str, TopBy); 2] = [("volume", TopBy::Volume), ("p99", TopBy::P99)];

/// `/telemetry`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn requests_page(
    console: &Console,
    get: impl Fn(&str) -> Option<String>,
) -> Result<RequestsPage> {
    let scope = scope(console, &get).await?;
    let view = View {
        group: choice(&get, "group", &GROUPS, GroupBy::Shard)?,
        by: choice(&get, "by", &TOP_BY, TopBy::Volume)?,
        top: number(&get, "top", DEFAULT_TOP, MAX_TOP)?,
    };
    let now = (scope.generated_at_ms / 1000) as u32;
    let panel =
        requests::requests_panel(console.telemetry(), &scope.range, &scope.filters, view, now)
            .await;
    Ok(RequestsPage {
        scope,
        view,
        totals: panel.totals,
        groups: panel.groups,
        series: panel.series,
    })
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlowPage {
    pub scope: Scope,
    pub top: u32,
    pub queries: Result<Vec<SlowRow>, Unavailable>,
    pub statements: Vec<Outcome<ShardStatements>>,
}

pub const SLOW_DEFAULT_TOP: u32 = 20;
pub const SLOW_MAX_TOP: u32 = 100;

/// `/telemetry/slow-queries`.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn slow_page(
    console: &Console,
    get: impl Fn(&str) -> Option<String>,
) -> Result<SlowPage> {
    let scope = scope(console, &get).await?;
    let top = number(&get, "top", SLOW_DEFAULT_TOP, SLOW_MAX_TOP)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn view_choices_and_numbers_are_checked() {
        assert_eq!(
            choice(&q(&[]), "group", &GROUPS, GroupBy::Shard).unwrap(),
            GroupBy::Shard
        );
        assert_eq!(
            choice(&q(&[("group", "org")]), "group", &GROUPS, GroupBy::Shard).unwrap(),
            GroupBy::Org
        );
        let e = choice(&q(&[("group", "planet")]), "group", &GROUPS, GroupBy::Shard).unwrap_err();
        assert!(e.to_string().contains("shard, org, route"), "{e}");
        assert_eq!(number(&q(&[("top", "7")]), "top", 5, 20).unwrap(), 7);
        for bad in ["0", "21", "x", "-1"] {
            let e = number(&q(&[("top", bad)]), "top", 5, 20).unwrap_err();
            assert_eq!(e.status(), 400);
        }
    }
}
