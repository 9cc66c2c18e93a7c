//! The numbers behind each page as CSV (`format=csv`, `table=` picks one of the page's tables)
//! and as line charts (plotters SVG). Both are built from the same page data the HTML shows.

use super::csv;
use super::pages::{PoolsPage, RequestsPage, SlowPage};
use super::requests::{ERROR_RATE_ALERT_PERCENT, P99_ALERT_MS, RequestStats};
use super::slow::ShardStatements;
use super::{Unavailable, range::TimeRange};
use crate::chart::LineChart;
use crate::error::{Error, Result};

fn opt(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.3}")).unwrap_or_default()
}

fn ready<T>(r: &std::result::Result<T, Unavailable>) -> Result<&T> {
    r.as_ref()
        .map_err(|e| Error::TelemetryUnavailable(e.0.clone()))
}

fn unknown_table(table: &str, tables: &[&str]) -> Error {
    Error::InvalidInput(format!(
        "unknown table {table:?}: choose one of {}",
        tables.join(", ")
    ))
}

pub const POOLS_TABLES: [&str; 3] = ["pools", "series", "connections"];

pub fn pools_csv(p: &PoolsPage, table: Option<&str>) -> Result<String> {
    match table.unwrap_or("pools") {
        "pools" => Ok(csv::write(
            &[
                "shard",
                "service",
                "instance",
                "acquired",
                "idle",
                "total",
                "max",
                "waits",
                "waits_per_minute",
                "mean_wait_ms",
                "minutes_waiting_in_a_row",
                "last_sample_unix",
            ],
            ready(&p.pools)?.iter().map(|r| {
                vec![
                    r.shard_id.clone(),
                    r.service.clone(),
                    r.instance.clone(),
                    r.acquired.to_string(),
                    r.idle.to_string(),
                    r.total.to_string(),
                    r.max_conns.to_string(),
                    r.waits.to_string(),
                    format!("{:.3}", r.waits_per_minute),
                    opt(r.mean_wait_ms),
                    r.streak_minutes.to_string(),
                    r.last_seen.to_string(),
                ]
            }),
        )),
        "series" => Ok(csv::write(
            &["shard", "bucket_start_unix", "waits_per_minute"],
            ready(&p.series)?.iter().map(|s| {
                vec![
                    s.key.clone(),
                    s.bucket.to_string(),
                    format!("{:.3}", s.value),
                ]
            }),
        )),
        "connections" => Ok(csv::write(
            &[
                "shard",
                "services",
                "reserve",
                "needed",
                "max_connections",
                "headroom",
                "headroom_percent",
            ],
            ready(&p.connections)?.iter().map(|m| {
                vec![
                    m.shard_id.clone(),
                    m.services
                        .iter()
                        .map(|(s, n, max)| format!("{s}: {n} instances (pool max sum {max})"))
                        .collect::<Vec<_>>()
                        .join("; "),
                    m.reserve.to_string(),
                    m.needed.to_string(),
                    m.max_connections
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    m.headroom().map(|h| h.to_string()).unwrap_or_default(),
                    opt(m.headroom_percent()),
                ]
            }),
        )),
        other => Err(unknown_table(other, &POOLS_TABLES)),
    }
}

pub const REQUESTS_TABLES: [&str; 2] = ["groups", "series"];

fn stats_cells(s: &RequestStats) -> Vec<String> {
    vec![
        s.requests.to_string(),
        format!("{:.3}", s.per_second),
        opt(s.p50_ms),
        opt(s.p95_ms),
        opt(s.p99_ms),
        s.errors.to_string(),
        opt(s.error_percent),
    ]
}

const STATS_HEADER: [&str; 7] = [
    "requests",
    "per_second",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors_5xx",
    "error_percent",
];

pub fn requests_csv(p: &RequestsPage, table: Option<&str>) -> Result<String> {
    let group = p.view.group.param();
    match table.unwrap_or("groups") {
        "groups" => {
            let mut header = vec![group];
            header.extend(STATS_HEADER);
            Ok(csv::write(
                &header,
                ready(&p.groups)?.iter().map(|g| {
                    let mut row = vec![g.key.clone()];
                    row.extend(stats_cells(&g.stats));
                    row
                }),
            ))
        }
        "series" => {
            let mut header = vec![group, "bucket_start_unix"];
            header.extend(STATS_HEADER);
            Ok(csv::write(
                &header,
                ready(&p.series)?.iter().map(|b| {
                    let mut row = vec![b.key.clone(), b.bucket.to_string()];
                    row.extend(stats_cells(&b.stats));
                    row
                }),
            ))
        }
        other => Err(unknown_table(other, &REQUESTS_TABLES)),
    }
}

pub const SLOW_TABLES: [&str; 2] = ["queries", "statements"];

pub fn slow_csv(p: &SlowPage, table: Option<&str>) -> Result<String> {
    match table.unwrap_or("queries") {
        "queries" => Ok(csv::write(
            &[
                "query",
                "calls",
                "p99_ms",
                "max_ms",
                "shards",
                "orgs",
                "last_seen_unix",
            ],
            ready(&p.queries)?.iter().map(|q| {
                vec![
                    q.normalized.clone(),
                    q.calls.to_string(),
                    format!("{:.3}", q.p99),
                    format!("{:.3}", q.max_ms),
                    q.shards.join(" "),
                    q.orgs.to_string(),
                    q.last_seen.to_string(),
                ]
            }),
        )),
        "statements" => {
            let mut rows = Vec::new();
            for o in &p.statements {
                match &o.result {
                    Ok(ShardStatements::Installed(stmts)) => {
                        for s in stmts {
                            rows.push(vec![
                                o.target.clone(),
                                "ok".into(),
                                s.query.clone(),
                                s.calls.to_string(),
                                format!("{:.3}", s.total_ms),
                                format!("{:.3}", s.mean_ms),
                                s.rows.to_string(),
                            ]);
                        }
                    }
                    Ok(ShardStatements::Missing) => rows.push(vec![
                        o.target.clone(),
                        "pg_stat_statements not installed".into(),
                    ]),
                    Err(f) => rows.push(vec![
                        o.target.clone(),
                        format!("{}: {}", f.kind.label(), f.message),
                    ]),
                }
            }
            let rows = rows.into_iter().map(|mut r| {
                r.resize(7, String::new());
                r
            });
            Ok(csv::write(
                &[
                    "shard", "status", "query", "calls", "total_ms", "mean_ms", "rows",
                ],
                rows,
            ))
        }
        other => Err(unknown_table(other, &SLOW_TABLES)),
    }
}

fn by_key<T>(points: impl Iterator<Item = (String, u32, T)>) -> Vec<(String, Vec<(u32, T)>)> {
    let mut out: Vec<(String, Vec<(u32, T)>)> = Vec::new();
    for (k, x, y) in points {
        match out.iter_mut().find(|(name, _)| *name == k) {
            Some((_, pts)) => pts.push((x, y)),
            None => out.push((k, vec![(x, y)])),
        }
    }
    out
}

fn frame(title: &str, y_desc: &str, r: &TimeRange) -> LineChart {
    LineChart {
        title: title.into(),
        y_desc: y_desc.into(),
        from: r.from,
        to: r.to,
        series: Vec::new(),
        step: r.step,
        threshold: None,
    }
}

/// Waits per minute per shard. `None` when the series is unavailable.
pub fn pools_chart(p: &PoolsPage) -> Option<LineChart> {
    let series = p.series.as_ref().ok()?;
    let mut c = frame(
        "Pool waits per minute, by shard",
        "Waits per minute (count)",
        &p.scope.range,
    );
    // The seed's alert is any wait for a minute or more: its threshold is the x axis itself, so
    // no line is drawn; the table says which pools are waiting now.
    c.series = by_key(series.iter().map(|s| (s.key.clone(), s.bucket, s.value)));
    Some(c)
}

/// The request charts: `rate`, `p99` or `errors`.
pub const REQUEST_METRICS: [&str; 3] = ["rate", "p99", "errors"];

pub fn requests_chart(p: &RequestsPage, metric: &str) -> Result<Option<LineChart>> {
    let Ok(series) = p.series.as_ref() else {
        return Ok(None);
    };
    let (title, y, threshold): (&str, &str, Option<(f64, String)>) = match metric {
        "rate" => ("Requests per second", "Requests (per second)", None),
        "p99" => (
            "p99 latency",
            "p99 latency (ms)",
            Some((P99_ALERT_MS, "alert: p99 > 1 s".into())),
        ),
        "errors" => (
            "5xx rate",
            "5xx responses (% of requests)",
            Some((ERROR_RATE_ALERT_PERCENT, "alert: 5xx > 1 %".into())),
        ),
        other => {
            return Err(Error::InvalidInput(format!(
                "unknown metric {other:?}: choose one of {}",
                REQUEST_METRICS.join(", ")
            )));
        }
    };
    let mut c = frame(title, y, &p.scope.range);
    c.threshold = threshold;
    c.series = by_key(series.iter().filter_map(|b| {
        let v = match metric {
            "rate" => Some(b.stats.per_second),
            "p99" => b.stats.p99_ms,
            _ => b.stats.error_percent,
        }?;
        Some((b.key.clone(), b.bucket, v))
    }));
    Ok(Some(c))
}
