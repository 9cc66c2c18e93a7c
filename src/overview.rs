//! The fleet overview: every shard probed in parallel, with an honest count of who answered.
//!
//! Two shapes: [`fleet_overview`] waits for every shard (JSON API, tests, benchmark), and
//! [`OverviewRace`] hands rows out in the order shards answer, so a streamed page shows fast
//! shards first and slow ones as they arrive.

pub mod balance;
pub mod cache;
pub mod lag;
pub mod probe;
pub mod tables;

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::chart::{BarDatum, balance_chart_svg};
use crate::clock::now_ms;
use crate::error::Result;
use crate::federation::Engine;
use crate::federation::fanout::{Outcome, fan_out};
use crate::federation::shard_list::ShardInfo;
use crate::overview::balance::{Balance, balance};
use crate::overview::cache::OverviewCache;
use crate::overview::probe::ShardStats;

/// What the overview needs besides the engine: the cache its probe results go through.
pub trait Sources: Engine {
    fn overview_cache(&self) -> &OverviewCache;
}

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
    /// Server-rendered SVG of the shard balance (served at `/charts/balance.svg`, not in the JSON).
    #[serde(skip)]
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
pub async fn fleet_overview(console: &impl Sources) -> Result<FleetOverview> {
    let concurrency = console.pools().engine().concurrency;
    fleet_overview_with(console, concurrency).await
}

/// As [`fleet_overview`] with an explicit fan-out width (1 = sequential, the benchmark's baseline).
pub async fn fleet_overview_with(
    console: &impl Sources,
    concurrency: usize,
) -> Result<FleetOverview> {
    let shards = console.shards().await?;
    Ok(overview_of(console, shards.iter().cloned().collect(), concurrency).await)
}

/// The overview of an explicit list of shards.
pub async fn overview_of(
    console: &impl Sources,
    infos: Vec<ShardInfo>,
    concurrency: usize,
) -> FleetOverview {
    let rows = fan_out(infos, concurrency, |info| {
        let console = console.clone();
        async move { shard_row(&console, info).await }
    })
    .await;
    assemble(rows)
}

/// Probe one shard and shape its row (with its last good value if it failed now).
pub async fn shard_row(console: &impl Sources, info: ShardInfo) -> ShardRow {
    let outcome = console.overview_cache().shard_overview(&info).await;
    let last_good = outcome
        .result
        .is_err()
        .then(|| console.overview_cache().last_good(&info.id))
        .flatten();
    ShardRow {
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
    }
}

/// Pure assembly of counts, balance and chart from rows.
pub fn assemble(rows: Vec<ShardRow>) -> FleetOverview {
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
    let mut sorted: Vec<&ShardRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let bars: Vec<BarDatum> = sorted
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
        chart_svg: balance_chart_svg(
            &bars,
            balance
                .ratio
                .map(|_| crate::thresholds::current().imbalance_ratio),
        ),
        balance,
        shards: rows,
    }
}

/// Rows in the order shards answer. Every shard is probed at once (bounded by the engine's
/// concurrency); `nth(0)` is the fastest shard's row, `nth(total - 1)` the slowest's.
pub struct OverviewRace {
    rows: Mutex<Vec<ShardRow>>,
    notify: Notify,
    total: usize,
    /// Set when the feeding task has ended, normally or not: waiters then stop waiting.
    done: std::sync::atomic::AtomicBool,
    /// Safety net on top of the per-shard deadlines: no waiter waits longer than this.
    patience: std::time::Duration,
}

impl OverviewRace {
    pub fn start(console: &impl Sources, infos: Vec<ShardInfo>) -> Arc<Self> {
        let engine = console.pools().engine();
        let race = Arc::new(Self {
            rows: Mutex::new(Vec::with_capacity(infos.len())),
            notify: Notify::new(),
            total: infos.len(),
            done: std::sync::atomic::AtomicBool::new(false),
            patience: engine.shard_deadline * 2 + std::time::Duration::from_secs(1),
        });
        let concurrency = console.pools().engine().concurrency.max(1);
        let console = console.clone();
        let feed = race.clone();
        let feeder = tokio::spawn(async move {
            let mut rows = futures::stream::iter(infos.into_iter().map(|info| {
                let console = console.clone();
                async move { shard_row(&console, info).await }
            }))
            .buffer_unordered(concurrency);
            while let Some(row) = rows.next().await {
                feed.lock().push(row);
                feed.notify.notify_waiters();
            }
        });
        let watch = race.clone();
        tokio::spawn(async move {
            if let Err(e) = feeder.await {
                tracing::error!(error = %e, "overview race ended early");
            }
            watch.done.store(true, std::sync::atomic::Ordering::SeqCst);
            watch.notify.notify_waiters();
        });
        race
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ShardRow>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// The `i`-th row to complete; None if `i` is past the end (or, never expected since every
    /// probe has its own deadline, if the race ended or ran out of patience first).
    pub async fn nth(&self, i: usize) -> Option<ShardRow> {
        if i >= self.total {
            return None;
        }
        let wait = async {
            loop {
                let notified = self.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if let Some(row) = self.lock().get(i) {
                    return Some(row.clone());
                }
                if self.done.load(std::sync::atomic::Ordering::SeqCst) {
                    return None;
                }
                notified.await;
            }
        };
        match tokio::time::timeout(self.patience, wait).await {
            Ok(row) => row,
            Err(_) => {
                tracing::error!(slot = i, "overview race: no row within the safety bound");
                None
            }
        }
    }

    /// Every row, once all shards have answered or failed.
    pub async fn all(&self) -> FleetOverview {
        if self.total > 0 {
            self.nth(self.total - 1).await;
        }
        let rows = self.lock().clone();
        assemble(rows)
    }
}
