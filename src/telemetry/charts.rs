//! The telemetry pages' line charts (plotters SVG), built from the same page data the HTML shows.

use super::pages::{PoolsPage, RequestsPage};
use crate::chart::LineChart;
use crate::error::{Error, Result};
use crate::time_range::TimeRange;

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
    let limits = crate::thresholds::current();
    let (title, y, threshold): (&str, &str, Option<(f64, String)>) = match metric {
        "rate" => ("Requests per second", "Requests (per second)", None),
        "p99" => (
            "p99 latency",
            "p99 latency (ms)",
            Some((limits.request_p99_ms, limits.p99_label())),
        ),
        "errors" => (
            "5xx rate",
            "5xx responses (% of requests)",
            Some((limits.error_rate_percent, limits.error_rate_label())),
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
