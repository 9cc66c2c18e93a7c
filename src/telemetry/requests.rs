//! `/telemetry`: request rate, p50 / p95 / p99 latency and the 5xx rate, over time, per shard, org
//! or route (the top N by volume or by p99). The seed's alert lines: p99 above 1 s, 5xx above 1 %.

use std::sync::Arc;

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use super::Telemetry;
use super::filters::Filters;
use super::sql::{self, GroupBy, TopBy};
use crate::partial::Partial;
use crate::thresholds::{self, Judgement};
use crate::time_range::TimeRange;

/// Most groups a page may ask for.
pub const MAX_TOP: u32 = 20;
pub const DEFAULT_TOP: u32 = 5;

/// Aggregates of one group (or one group's bucket).
#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct RequestRow {
    pub key: String,
    pub requests: u64,
    /// p50, p95, p99 in ms.
    pub q: Vec<f64>,
    pub errors: u64,
}

#[derive(Clone, Debug, Row, Serialize, Deserialize)]
pub struct RequestBucketRow {
    pub key: String,
    pub bucket: u32,
    pub requests: u64,
    pub q: Vec<f64>,
    pub errors: u64,
}

/// One group's (or bucket's) figures as the page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestStats {
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    pub error_percent: Option<f64>,
}

impl RequestStats {
    pub fn from_parts(requests: u64, q: &[f64], errors: u64, seconds: u32) -> Self {
        let has = requests > 0;
        let at = |i: usize| q.get(i).copied().filter(|v| has && v.is_finite());
        Self {
            requests,
            per_second: requests as f64 / seconds.max(1) as f64,
            p50_ms: at(0),
            p95_ms: at(1),
            p99_ms: at(2),
            errors,
            error_percent: has.then(|| errors as f64 * 100.0 / requests as f64),
        }
    }

    /// p99 against the configured limit (`crate::thresholds`).
    pub fn p99_judgement(&self) -> Judgement {
        thresholds::current().request_p99(self.p99_ms)
    }

    /// The 5xx share against the configured limit.
    pub fn error_judgement(&self) -> Judgement {
        thresholds::current().error_rate(self.error_percent)
    }

    pub fn p99_alert(&self) -> bool {
        self.p99_judgement() == Judgement::Alert
    }

    pub fn error_alert(&self) -> bool {
        self.error_judgement() == Judgement::Alert
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    pub key: String,
    pub stats: RequestStats,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketStats {
    pub key: String,
    pub bucket: u32,
    pub stats: RequestStats,
}

#[derive(Clone, Debug)]
pub struct RequestsPanel {
    pub totals: Partial<RequestStats>,
    pub groups: Partial<Vec<GroupStats>>,
    pub series: Partial<Vec<BucketStats>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct View {
    pub group: GroupBy,
    pub by: TopBy,
    pub top: u32,
}

/// Totals, the top groups, and the top groups per bucket.
pub async fn requests_panel(
    t: &Telemetry,
    range: &TimeRange,
    f: &Filters,
    view: View,
    now: u32,
) -> RequestsPanel {
    let (all, top) = (
        sql::request_totals(range, f),
        sql::request_top(range, f, view.group, view.by, view.top),
    );
    let (totals, top) = tokio::join!(t.fetch::<RequestRow>(&all), t.fetch::<RequestRow>(&top),);
    // Rates over the seconds that have passed (a preset range ends at the next bucket boundary).
    let span = range.to.min(now).saturating_sub(range.from).max(1);
    let totals = totals.map(|rows| match rows.first() {
        Some(r) => RequestStats::from_parts(r.requests, &r.q, r.errors, span),
        None => RequestStats::from_parts(0, &[], 0, span),
    });
    let series = match &top {
        Ok(top) if !top.is_empty() => {
            let keys: Vec<String> = top.iter().map(|r| r.key.clone()).collect();
            t.fetch::<RequestBucketRow>(&sql::request_series(range, f, view.group, &keys))
                .await
                .map(|rows| buckets(&rows, range, now))
        }
        Ok(_) => Ok(Vec::new()),
        Err(e) => Err(e.clone()),
    };
    let groups = top.map(|rows: Arc<Vec<RequestRow>>| {
        rows.iter()
            .map(|r| GroupStats {
                key: r.key.clone(),
                stats: RequestStats::from_parts(r.requests, &r.q, r.errors, span),
            })
            .collect()
    });
    RequestsPanel {
        totals,
        groups,
        series,
    }
}

fn buckets(rows: &[RequestBucketRow], range: &TimeRange, now: u32) -> Vec<BucketStats> {
    rows.iter()
        .map(|r| BucketStats {
            key: r.key.clone(),
            bucket: r.bucket,
            stats: RequestStats::from_parts(
                r.requests,
                &r.q,
                r.errors,
                range.covered(r.bucket, now),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_alerts() {
        let s = RequestStats::from_parts(200, &[10.0, 900.0, 1200.0], 3, 100);
        assert_eq!(s.per_second, 2.0);
        assert_eq!(s.error_percent, Some(1.5));
        assert!(s.p99_alert() && s.error_alert());
        let empty = RequestStats::from_parts(0, &[f64::NAN, f64::NAN, f64::NAN], 0, 100);
        assert_eq!((empty.p99_ms, empty.error_percent), (None, None));
        assert!(!empty.p99_alert() && !empty.error_alert());
    }
}
