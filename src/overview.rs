//! The fleet overview: every shard probed in parallel, with an honest count of who answered.

use serde::{Deserialize, Serialize};

use crate::balance::{Balance, balance};
use crate::chart::{BarDatum, balance_chart_svg};
use crate::console::Console;
use crate::error::Result;
use crate::fanout::{Outcome, fan_out, now_ms};
use crate::probe::{ShardStats, probe_shard};
use crate::routing::ShardInfo;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardRow {
    pub id: String,
    pub shard_type: String,
    pub region: Option<String>,
    pub routed_orgs: i64,
    /// host:port/db of the primary, never with credentials.
    pub primary: String,
    pub outcome: Outcome<ShardStats>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FleetOverview {
    pub generated_at_ms: u64,
    pub shards: Vec<ShardRow>,
    pub answered: usize,
    pub total: usize,
    /// Balance of patients over the shared shards that answered.
    pub balance: Balance,
    /// Server-rendered SVG of the shard balance.
    pub chart_svg: String,
}

impl FleetOverview {
    pub fn failed(&self) -> impl Iterator<Item = &ShardRow> {
        self.shards.iter().filter(|s| s.outcome.result.is_err())
    }
}

/// Probe every shard listed in the routing DB, in parallel, each within the shard deadline.
#[tracing::instrument(skip_all)]
pub async fn fleet_overview(console: &Console) -> Result<FleetOverview> {
    let shards = console.shards().await?;
    let engine = console.pools().engine().clone();
    let pools = console.pools().clone();
    let infos: Vec<ShardInfo> = shards.iter().cloned().collect();
    let outcomes = fan_out(
        infos.clone(),
        engine.concurrency,
        engine.shard_deadline,
        |s| s.id.clone(),
        |s| {
            let pools = pools.clone();
            async move { probe_shard(&pools, &s).await }
        },
    )
    .await;
    Ok(assemble(infos, outcomes))
}

/// Pure assembly of rows, counts, balance and chart from probe outcomes.
pub fn assemble(infos: Vec<ShardInfo>, outcomes: Vec<Outcome<ShardStats>>) -> FleetOverview {
    let rows: Vec<ShardRow> = infos
        .into_iter()
        .zip(outcomes)
        .map(|(info, outcome)| ShardRow {
            primary: match &info.primary {
                Ok(e) => e.to_string(),
                Err(_) => "(invalid endpoint)".into(),
            },
            id: info.id,
            shard_type: info.shard_type,
            region: info.region,
            routed_orgs: info.routed_orgs,
            outcome,
        })
        .collect();
    let answered = rows.iter().filter(|r| r.outcome.result.is_ok()).count();
    let shared: Vec<(String, u64)> = rows
        .iter()
        .filter(|r| r.shard_type == "shared")
        .filter_map(|r| {
            r.outcome
                .result
                .as_ref()
                .ok()
                .map(|s| (r.id.clone(), s.patients.max(0) as u64))
        })
        .collect();
    let bars: Vec<BarDatum> = rows
        .iter()
        .map(|r| BarDatum {
            label: r.id.clone(),
            value: r
                .outcome
                .result
                .as_ref()
                .ok()
                .map(|s| s.patients.max(0) as u64),
            enterprise: r.shard_type == "enterprise",
        })
        .collect();
    let balance = balance(&shared);
    FleetOverview {
        generated_at_ms: now_ms(),
        total: rows.len(),
        answered,
        chart_svg: balance_chart_svg(&bars, &balance),
        balance,
        shards: rows,
    }
}
