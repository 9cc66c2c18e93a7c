//! `/shards`: every shard the routing DB knows, filterable by region and type (in the URL), each
//! with its health summary from the overview's probe cache (no extra probe within its TTL) and its allocation.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::known::KnownShard;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::federation::fanout::{Outcome, fan_out};
use crate::overview::probe::ShardStats;
use crate::tenants::Sources;

/// The list's filters, checked against what the routing DB holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardsQuery {
    pub region: Option<String>,
    pub shard_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardListRow {
    pub shard: KnownShard,
    /// None: no endpoint known, so nothing to probe.
    pub health: Option<Outcome<ShardStats>>,
    pub allocated_bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardsPage {
    pub query: ShardsQuery,
    pub regions: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<ShardListRow>,
    /// Shards the routing DB knows, before the filters.
    pub known: usize,
    pub generated_at_ms: u64,
}

/// `region` and `type` from the URL; an unknown value is a 400 that lists the known ones.
pub fn parse(
    get: impl Fn(&str) -> Option<String>,
    regions: &[String],
    types: &[String],
) -> Result<ShardsQuery> {
    let pick = |key: &str, label: &str, known: &[String]| -> Result<Option<String>> {
        match get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(v) if known.contains(&v) => Ok(Some(v)),
            Some(v) => Err(Error::InvalidInput(format!(
                "unknown {label} \"{v}\": choose one of {}",
                known.join(", ")
            ))),
        }
    };
    Ok(ShardsQuery {
        region: pick("region", "region", regions)?,
        shard_type: pick("type", "shard type", types)?,
    })
}

#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn shards_page(
    console: &(impl Sources + crate::overview::Sources),
    get: impl Fn(&str) -> Option<String>,
) -> Result<ShardsPage> {
    let known = super::known_cached(console).await?;
    let regions: Vec<String> = known
        .iter()
        .filter_map(|s| s.region.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let types: Vec<String> = known
        .iter()
        .filter_map(|s| s.shard_type.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let query = parse(get, &regions, &types)?;
    let chosen: Vec<KnownShard> = known
        .iter()
        .filter(|s| query.region.is_none() || s.region == query.region)
        .filter(|s| query.shard_type.is_none() || s.shard_type == query.shard_type)
        .cloned()
        .collect();
    let endpoints = console.shards().await.ok();
    let allocations: Vec<(String, i64)> =
        sqlx::query_as("SELECT shard_id, allocated_bytes FROM console.shard_allocations")
            .fetch_all(console.routing())
            .await
            .unwrap_or_default();
    let concurrency = console.config().engine.concurrency;
    let rows = fan_out(chosen, concurrency, |shard| {
        let info = endpoints
            .as_ref()
            .and_then(|l| l.iter().find(|i| i.id == shard.id).cloned());
        let allocated_bytes = allocations
            .iter()
            .find(|(id, _)| *id == shard.id)
            .map(|(_, b)| *b);
        async move {
            let health = match &info {
                Some(info) => Some(console.overview_cache().shard_overview(info).await),
                None => None,
            };
            ShardListRow {
                shard,
                health,
                allocated_bytes,
            }
        }
    })
    .await;
    let mut rows = rows;
    rows.sort_by(|a, b| a.shard.id.cmp(&b.shard.id));
    Ok(ShardsPage {
        query,
        regions,
        types,
        rows,
        known: known.len(),
        generated_at_ms: now_ms(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_region_or_type_is_refused_with_the_known_ones() {
        let regions = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        let types = vec!["enterprise".to_string(), "shared".to_string()];
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            parse(
                |k| {
                    pairs
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.to_string())
                },
                &regions,
                &types,
            )
        };
        assert_eq!(q(&[]).unwrap(), ShardsQuery::default());
        assert_eq!(
            q(&[("region", "eu-west-1"), ("type", " shared ")]).unwrap(),
            ShardsQuery {
                region: Some("eu-west-1".into()),
                shard_type: Some("shared".into())
            }
        );
        let e = q(&[("region", "mars-1")]).unwrap_err();
        assert_eq!(
            e.public_message(),
            "unknown region \"mars-1\": choose one of eu-west-1, us-east-1"
        );
        let e = q(&[("type", "<b>")]).unwrap_err();
        assert_eq!(
            e.public_message(),
            "unknown shard type \"<b>\": choose one of enterprise, shared"
        );
    }
}
