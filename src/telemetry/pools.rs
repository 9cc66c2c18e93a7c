//! `/pools`: every service instance's connection pool on every shard, the waits its cumulative
//! counters add up to, and the connection math per shard.
//!
//! `wait_count` is what pgxpool v5 calls `EmptyAcquireCount` (acquires that found the pool empty
//! and had to wait) and `wait_duration_ms` its `EmptyAcquireWaitTime`; the seed's "WaitCount" is
//! not a pgxpool field. Both are cumulative since the service started: waits are differences, and
//! a counter lower than the sample before it is a restart (counted from zero), not a negative rate.

use std::collections::BTreeMap;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use super::filters::Filters;
use super::{Telemetry, sql};
use crate::partial::Partial;
use crate::thresholds::{self, Judgement};
use crate::time_range::TimeRange;

/// Latest gauges of one pool.
#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct GaugeRow {
    pub shard_id: String,
    pub service: String,
    pub instance: String,
    pub acquired: u32,
    pub idle: u32,
    pub total: u32,
    pub max_conns: u32,
    pub last_seen: u32,
}

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct WaitRow {
    pub shard_id: String,
    pub service: String,
    pub instance: String,
    pub waits: u64,
    pub wait_ms: u64,
    pub last_minute: u32,
    pub streak: u32,
    pub streak_before: u32,
}

/// One point of a series: a key (shard), the bucket's start (unix s) and a value.
#[derive(Clone, Debug, PartialEq, Row, Serialize, Deserialize)]
pub struct SeriesRow {
    pub key: String,
    pub bucket: u32,
    pub value: f64,
}

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct DemandRow {
    pub shard_id: String,
    pub service: String,
    pub instances: u32,
    pub pool_max: u64,
}

/// One pool as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolRow {
    pub shard_id: String,
    pub service: String,
    pub instance: String,
    pub acquired: u32,
    pub idle: u32,
    pub total: u32,
    pub max_conns: u32,
    pub last_seen: u32,
    pub waits: u64,
    pub waits_per_minute: f64,
    /// Mean time one wait took; `None` without waits.
    pub mean_wait_ms: Option<f64>,
    /// Minutes in a row, up to the pool's last sample, with at least one wait.
    pub streak_minutes: u32,
}

impl PoolRow {
    /// The seed's alert (waits above zero for a minute or more, `crate::thresholds`): alert while
    /// it holds, warn for waits in the range but not now, ok without waits.
    pub fn judgement(&self) -> Judgement {
        thresholds::current().pool_waits(self.streak_minutes, self.waits)
    }

    pub fn alerting(&self) -> bool {
        self.judgement() == Judgement::Alert
    }

    /// The "Waiting now" judgement: how long it has waited in a row, "not now" (waits in the
    /// range, none in its last minutes) or "no waits".
    pub fn waiting_now(&self) -> String {
        if self.alerting() {
            format!("{} min in a row", self.streak_minutes)
        } else if self.waits > 0 {
            "not now".into()
        } else {
            "no waits".into()
        }
    }
}

/// Whether a shard's `max_connections` fits every pool that may connect to it, plus the reserve.
pub use crate::thresholds::Fit;

/// A pool that has not reported for this long is not "waiting now", whatever its last minutes were.
const STALE_AFTER_SECS: u32 = 180;

/// Minutes in a row with waits, as of `now` (unix s): the last sampled minute counts only once it
/// is over or already has a wait (a minute in progress without a wait yet does not end the run),
/// and a pool that stopped reporting is not waiting.
fn streak_now(w: &WaitRow, last_seen: u32, range: &TimeRange, now: u32) -> u32 {
    if last_seen.saturating_add(STALE_AFTER_SECS) < range.to.min(now) {
        return 0;
    }
    if w.streak > 0 {
        w.streak
    } else if w.last_minute + 60 > now {
        w.streak_before
    } else {
        0
    }
}

/// Join gauges and waits per pool; busiest first (most waits, then fullest).
pub fn assemble(
    gauges: &[GaugeRow],
    waits: &[WaitRow],
    range: &TimeRange,
    now: u32,
) -> Vec<PoolRow> {
    let elapsed = range.to.min(now).saturating_sub(range.from).max(1);
    let minutes = elapsed as f64 / 60.0;
    let by_key: BTreeMap<(&str, &str, &str), &WaitRow> = waits
        .iter()
        .map(|w| {
            (
                (w.shard_id.as_str(), w.service.as_str(), w.instance.as_str()),
                w,
            )
        })
        .collect();
    let mut rows: Vec<PoolRow> = gauges
        .iter()
        .map(|g| {
            let w = by_key.get(&(g.shard_id.as_str(), g.service.as_str(), g.instance.as_str()));
            let waits = w.map_or(0, |w| w.waits);
            let wait_ms = w.map_or(0, |w| w.wait_ms);
            PoolRow {
                shard_id: g.shard_id.clone(),
                service: g.service.clone(),
                instance: g.instance.clone(),
                acquired: g.acquired,
                idle: g.idle,
                total: g.total,
                max_conns: g.max_conns,
                last_seen: g.last_seen,
                waits,
                waits_per_minute: waits as f64 / minutes,
                mean_wait_ms: (waits > 0).then(|| wait_ms as f64 / waits as f64),
                streak_minutes: w.map_or(0, |w| streak_now(w, g.last_seen, range, now)),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.waits
            .cmp(&a.waits)
            .then(fill(b).total_cmp(&fill(a)))
            .then_with(|| {
                (&a.shard_id, &a.service, &a.instance).cmp(&(&b.shard_id, &b.service, &b.instance))
            })
    });
    rows
}

fn fill(r: &PoolRow) -> f64 {
    r.acquired as f64 / r.max_conns.max(1) as f64
}

/// The connection math of one shard, as the seed computes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionMath {
    pub shard_id: String,
    /// Per service: instances seen in the last 5 minutes and the sum of their pool maxima.
    pub services: Vec<(String, u32, u64)>,
    pub reserve: u32,
    /// Σ pools + reserve.
    pub needed: u64,
    /// The shard's `max_connections` read live, or why it could not be.
    pub max_connections: Partial<i64>,
}

impl ConnectionMath {
    pub fn headroom(&self) -> Option<i64> {
        self.max_connections
            .as_ref()
            .ok()
            .map(|m| m - self.needed as i64)
    }

    pub fn headroom_percent(&self) -> Option<f64> {
        match self.max_connections {
            Ok(m) if m > 0 => self.headroom().map(|h| h as f64 * 100.0 / m as f64),
            _ => None,
        }
    }

    pub fn fit(&self) -> Fit {
        thresholds::current().fit(self.headroom_percent())
    }

    pub fn fits(&self) -> Option<bool> {
        self.headroom().map(|h| h >= 0)
    }
}

/// Σ over services (instances × pool max) + reserve per shard, for every shard of the routing DB
/// (a shard no service reported still gets its row: zero pools).
pub fn connection_math(
    shards: &[(String, Partial<i64>)],
    demand: &[DemandRow],
    reserve: u32,
) -> Vec<ConnectionMath> {
    shards
        .iter()
        .map(|(id, max)| {
            let services: Vec<(String, u32, u64)> = demand
                .iter()
                .filter(|d| &d.shard_id == id)
                .map(|d| (d.service.clone(), d.instances, d.pool_max))
                .collect();
            let needed = services.iter().map(|s| s.2).sum::<u64>() + reserve as u64;
            ConnectionMath {
                shard_id: id.clone(),
                services,
                reserve,
                needed,
                max_connections: max.clone(),
            }
        })
        .collect()
}

/// What `/pools` shows.
#[derive(Clone, Debug)]
pub struct PoolsPanel {
    pub pools: Partial<Vec<PoolRow>>,
    pub series: Partial<Vec<SeriesRow>>,
}

/// Read the pools table and the waits-per-minute series (in parallel, each under the deadline).
pub async fn pools_panel(t: &Telemetry, range: &TimeRange, f: &Filters, now: u32) -> PoolsPanel {
    let (g, w, s) = (
        sql::pool_gauges(range, f),
        sql::pool_waits(range, f),
        sql::pool_wait_series(range, f),
    );
    let (gauges, waits, series) = tokio::join!(
        t.fetch::<GaugeRow>(&g),
        t.fetch::<WaitRow>(&w),
        t.fetch::<SeriesRow>(&s),
    );
    let pools = match (gauges, waits) {
        (Ok(g), Ok(w)) => Ok(assemble(&g, &w, range, now)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    // The SQL divides each bucket by its full width; the first and last may be partial.
    let step = range.step as f64;
    let series = series.map(|s| {
        s.iter()
            .map(|p| SeriesRow {
                value: p.value * step / range.covered(p.bucket, now) as f64,
                ..p.clone()
            })
            .collect()
    });
    PoolsPanel { pools, series }
}

/// Demand per shard and service from the last five minutes of pool samples.
pub async fn demand(t: &Telemetry, now: u32, f: &Filters) -> Partial<Vec<DemandRow>> {
    t.fetch::<DemandRow>(&sql::pool_demand(now, f))
        .await
        .map(|d| d.as_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(shard: &str, inst: &str, acquired: u32) -> GaugeRow {
        GaugeRow {
            shard_id: shard.into(),
            service: "core-api".into(),
            instance: inst.into(),
            acquired,
            idle: 0,
            total: acquired,
            max_conns: 20,
            last_seen: 590,
        }
    }

    #[test]
    fn busiest_first_and_mean_wait_per_wait() {
        let r = TimeRange::custom(0, 600);
        let waits = vec![WaitRow {
            shard_id: "us-1".into(),
            service: "core-api".into(),
            instance: "b".into(),
            waits: 20,
            wait_ms: 1000,
            last_minute: 540,
            streak: 2,
            streak_before: 1,
        }];
        let rows = assemble(
            &[
                gauge("us-1", "a", 19),
                gauge("us-1", "b", 5),
                gauge("eu-1", "c", 10),
            ],
            &waits,
            &r,
            10_000,
        );
        let order: Vec<&str> = rows.iter().map(|r| r.instance.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
        assert_eq!(rows[0].waits_per_minute, 2.0);
        assert_eq!(rows[0].mean_wait_ms, Some(50.0));
        assert!(rows[0].alerting());
        assert_eq!(rows[1].mean_wait_ms, None);
        assert!(!rows[1].alerting());
    }

    #[test]
    fn a_minute_in_progress_does_not_end_the_run_and_a_silent_pool_is_not_waiting() {
        let r = TimeRange::custom(0, 600);
        let w = |streak, streak_before| WaitRow {
            shard_id: "s".into(),
            service: "core-api".into(),
            instance: "a".into(),
            waits: 5,
            wait_ms: 50,
            last_minute: 540,
            streak,
            streak_before,
        };
        // The last minute (540..600) is still running at 570 and has no wait yet: the run before it counts.
        assert_eq!(streak_now(&w(0, 3), 585, &r, 570), 3);
        // Once that minute is over without a wait, the run has ended.
        assert_eq!(streak_now(&w(0, 3), 585, &r, 700), 0);
        assert_eq!(streak_now(&w(2, 1), 585, &r, 700), 2);
        // Nothing reported for more than 3 minutes before the end of the range: not waiting now.
        let long = TimeRange::custom(0, 1200);
        assert_eq!(streak_now(&w(2, 1), 585, &long, 2000), 0);
    }

    #[test]
    fn connection_math_as_the_seed_computes_it() {
        // The seed: 3 × 20 + 2 × 15 + 5 jobs + 5 monitoring = 100 of 200 → 100 headroom (50 %).
        let demand = vec![
            DemandRow {
                shard_id: "s".into(),
                service: "core-api".into(),
                instances: 3,
                pool_max: 60,
            },
            DemandRow {
                shard_id: "s".into(),
                service: "telemetry-api".into(),
                instances: 2,
                pool_max: 30,
            },
        ];
        let m = connection_math(
            &[
                ("s".into(), Ok(200)),
                (
                    "t".into(),
                    Err(crate::partial::Failure::new(
                        crate::partial::FailureKind::Timeout,
                        "timed out",
                    )),
                ),
            ],
            &demand,
            10,
        );
        assert_eq!(m[0].needed, 100);
        assert_eq!(m[0].headroom(), Some(100));
        assert_eq!(m[0].headroom_percent(), Some(50.0));
        assert_eq!(m[0].fits(), Some(true));
        assert_eq!(m[1].needed, 10);
        assert_eq!(m[1].fits(), None);
        let tight = connection_math(&[("s".into(), Ok(90))], &demand, 10);
        assert_eq!(
            (tight[0].headroom(), tight[0].fits()),
            (Some(-10), Some(false))
        );
    }
}
