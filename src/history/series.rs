//! A shard's history as the shard page charts it: per endpoint and time bucket, the most
//! connections and the largest lag seen, from `shard_samples` (read-only, through the telemetry
//! client: its deadline, memo and concurrency limit apply). As a chart, a table and CSV.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chart::LineChart;
use crate::partial::Partial;
use crate::telemetry::Telemetry;
use crate::telemetry::sql::{Arg, Statement};
use crate::time_range::TimeRange;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, clickhouse::Row)]
pub struct SeriesRow {
    pub bucket: u32,
    pub endpoint: String,
    pub role: String,
    /// 0 when any probe in the bucket could not reach the endpoint.
    pub reachable: u8,
    pub conns_total: u32,
    pub max_connections: u32,
    pub conns_idle_in_transaction: u32,
    pub lag_seconds: Option<f64>,
    pub lag_bytes: Option<u64>,
}

/// The statement for one shard over a range.
pub fn statement(shard_id: &str, r: &TimeRange) -> Statement {
    Statement {
        name: "shard_history",
        sql:
            "SELECT toUInt32(intDiv(toUInt32(ts), ?) * ?) AS bucket, endpoint, any(role) AS role, \
              min(reachable) AS reachable, max(conns_total) AS conns_total, \
              max(max_connections) AS max_connections, \
              max(conns_idle_in_transaction) AS conns_idle_in_transaction, \
              max(lag_seconds) AS lag_seconds, max(lag_bytes) AS lag_bytes \
              FROM shard_samples \
              WHERE shard_id = ? AND ts >= toDateTime(?) AND ts < toDateTime(?) \
              GROUP BY bucket, endpoint ORDER BY endpoint, bucket"
                .into(),
        args: vec![
            Arg::U32(r.step),
            Arg::U32(r.step),
            Arg::Str(shard_id.to_string()),
            Arg::U32(r.from),
            Arg::U32(r.to),
        ],
    }
}

/// The history the shard page shows: the range, and the points or why there are none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub range: TimeRange,
    pub points: Partial<Vec<SeriesRow>>,
}

#[tracing::instrument(skip_all, fields(shard = %shard_id))]
pub async fn read(t: &Telemetry, shard_id: &str, range: TimeRange) -> History {
    let points = t
        .fetch::<SeriesRow>(&statement(shard_id, &range))
        .await
        .map(|rows: Arc<Vec<SeriesRow>>| rows.as_ref().clone());
    History { range, points }
}

/// The two charts: `connections` (each primary, with its max_connections as the line) and `lag`
/// (each replica, in seconds; an unknown lag is a gap, never 0).
pub const METRICS: [&str; 2] = ["connections", "lag"];

pub fn chart(h: &History, metric: &str) -> Option<LineChart> {
    let points = h.points.as_ref().ok()?;
    let mut series: Vec<(String, Vec<(u32, f64)>)> = Vec::new();
    let mut push = |name: &str, bucket: u32, v: f64| match series.iter_mut().find(|s| s.0 == name) {
        Some(s) => s.1.push((bucket, v)),
        None => series.push((name.to_string(), vec![(bucket, v)])),
    };
    let (title, y, threshold) = match metric {
        "lag" => {
            for p in points.iter().filter(|p| p.role == "replica") {
                if let Some(s) = p.lag_seconds {
                    push(&p.endpoint, p.bucket, s);
                }
            }
            ("Replication lag, by replica", "Lag (seconds)", None)
        }
        _ => {
            for p in points
                .iter()
                .filter(|p| p.role == "primary" && p.reachable == 1)
            {
                push(&p.endpoint, p.bucket, f64::from(p.conns_total));
            }
            let max = points
                .iter()
                .filter(|p| p.role == "primary")
                .map(|p| p.max_connections)
                .max()
                .filter(|m| *m > 0)
                .map(|m| (f64::from(m), format!("max_connections {m}")));
            (
                "Client connections (the console's own excluded)",
                "Connections (count)",
                max,
            )
        }
    };
    Some(LineChart {
        title: title.into(),
        y_desc: y.into(),
        from: h.range.from,
        to: h.range.to,
        series,
        step: h.range.step,
        threshold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bucket: u32, endpoint: &str, role: &str, conns: u32, lag: Option<f64>) -> SeriesRow {
        SeriesRow {
            bucket,
            endpoint: endpoint.into(),
            role: role.into(),
            reachable: 1,
            conns_total: conns,
            max_connections: 100,
            conns_idle_in_transaction: 0,
            lag_seconds: lag,
            lag_bytes: lag.map(|_| 10),
        }
    }

    #[test]
    fn an_unknown_lag_is_a_gap_in_the_chart_and_empty_in_the_csv() {
        let h = History {
            range: TimeRange::custom(0, 60),
            points: Ok(vec![
                row(0, "h:1/d", "primary", 5, None),
                row(0, "h:2/d", "replica", 0, Some(1.5)),
                row(15, "h:2/d", "replica", 0, None),
                row(30, "h:2/d", "replica", 0, Some(2.0)),
            ]),
        };
        let lag = chart(&h, "lag").unwrap();
        assert_eq!(
            lag.series,
            vec![("h:2/d".to_string(), vec![(0, 1.5), (30, 2.0)])]
        );
        let conns = chart(&h, "connections").unwrap();
        assert_eq!(conns.series, vec![("h:1/d".to_string(), vec![(0, 5.0)])]);
        assert_eq!(conns.threshold.map(|t| t.0), Some(100.0));
        let down = History {
            range: TimeRange::custom(0, 60),
            points: Err(crate::partial::Failure::new(
                crate::partial::FailureKind::Query,
                "ClickHouse refused",
            )),
        };
        assert!(chart(&down, "lag").is_none());
    }
}
