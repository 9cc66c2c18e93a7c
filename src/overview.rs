//! The fleet overview: every shard probed in parallel, with an honest count of who answered.

use serde::{Deserialize, Serialize};

use crate::balance::{Balance, balance};
use crate::chart::{BarDatum, balance_chart_svg};
use crate::console::Console;
use crate::error::Result;
use crate::fanout::{Outcome, fan_out, now_ms};
use crate::probe::ShardStats;
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
    /// When the shard failed now: its most recent good result (with its own `measured_at_ms`).
    pub last_good: Option<Outcome<ShardStats>>,
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

/// Probe every shard listed in the routing DB, in parallel, each within the shard deadline
/// (through the console's cache and coalescer).
#[tracing::instrument(skip_all)]
pub async fn fleet_overview(console: &Console) -> Result<FleetOverview> {
    let concurrency = console.pools().engine().concurrency;
    fleet_overview_with(console, concurrency).await
}

/// As [`fleet_overview`] with an explicit fan-out width (1 = sequential, the benchmark's baseline).
pub async fn fleet_overview_with(console: &Console, concurrency: usize) -> Result<FleetOverview> {
    let shards = console.shards().await?;
    Ok(overview_of(console, shards.iter().cloned().collect(), concurrency).await)
}

/// The overview of an explicit list of shards.
pub async fn overview_of(
    console: &Console,
    infos: Vec<ShardInfo>,
    concurrency: usize,
) -> FleetOverview {
    let outcomes: Vec<Outcome<ShardStats>> = fan_out(infos.clone(), concurrency, |s| {
        let console = console.clone();
        async move { console.shard_overview(&s).await }
    })
    .await;
    let last_good: Vec<Option<Outcome<ShardStats>>> = outcomes
        .iter()
        .map(|o| {
            o.result
                .is_err()
                .then(|| console.last_good(&o.target))
                .flatten()
        })
        .collect();
    assemble(infos, outcomes, last_good)
}

/// Pure assembly of rows, counts, balance and chart from probe outcomes.
pub fn assemble(
    infos: Vec<ShardInfo>,
    outcomes: Vec<Outcome<ShardStats>>,
    last_good: Vec<Option<Outcome<ShardStats>>>,
) -> FleetOverview {
    let rows: Vec<ShardRow> = infos
        .into_iter()
        .zip(outcomes)
        .zip(last_good)
        .map(|((info, outcome), last_good)| ShardRow {
            primary: match &info.primary {
                Ok(e) => e.to_string(),
                Err(_) => "(invalid endpoint)".into(),
            },
            id: info.id,
            shard_type: info.shard_type,
            region: info.region,
            routed_orgs: info.routed_orgs,
            outcome,
            last_good,
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
