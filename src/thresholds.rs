//! Every threshold the console judges by, in one place, with the platform document's defaults
//! (`platform-scaling.txt`, "Critical Metrics to Track"): pool waits for a minute, connections over
//! 80 %, request p99 over 1 s, 5xx over 1 %, size over 80 % of the allocation, replica lag over
//! 5 s, shard imbalance over 2×, and the pool headroom called "tight".
//!
//! Each can be overridden in configuration (`SHARDSCOPE_THRESHOLD_*`, read once by
//! [`crate::config`] and installed at start-up with [`install`]). The pages, the exports and the
//! charts show the judgement made here; no view compares a number with a limit of its own. No I/O.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The limits, as configured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// A pool that waited in this many minutes in a row is alerting.
    pub pool_wait_minutes: u32,
    /// Connections at or above this share of `max_connections` are a warning.
    pub connections_percent: f64,
    /// Request p99 above this is an alert (ms).
    pub request_p99_ms: f64,
    /// Request p99 above this misses the platform's target: a warning (ms).
    pub request_p99_target_ms: f64,
    /// A 5xx share above this is an alert (percent of requests).
    pub error_rate_percent: f64,
    /// A 5xx share above this misses the target: a warning.
    pub error_rate_target_percent: f64,
    /// A database at or above this share of its allocation is a warning.
    pub allocation_percent: f64,
    /// Replay lag above this is "lagging" (s).
    pub lag_seconds: f64,
    /// Most / least loaded shared shard above this is imbalanced.
    pub imbalance_ratio: f64,
    /// Headroom under this share of `max_connections`, after every pool and the reserve, is
    /// "tight".
    pub tight_headroom_percent: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            pool_wait_minutes: 1,
            connections_percent: 80.0,
            request_p99_ms: 1000.0,
            request_p99_target_ms: 500.0,
            error_rate_percent: 1.0,
            error_rate_target_percent: 0.1,
            allocation_percent: 80.0,
            lag_seconds: 5.0,
            imbalance_ratio: 2.0,
            tight_headroom_percent: 20.0,
        }
    }
}

/// What a reading says against its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Judgement {
    /// Not measured, or not measurable.
    Unknown,
    Ok,
    Warn,
    Alert,
}

impl Judgement {
    pub fn word(self) -> &'static str {
        match self {
            Judgement::Unknown => "unknown",
            Judgement::Ok => "ok",
            Judgement::Warn => "warn",
            Judgement::Alert => "alert",
        }
    }
}

/// How a shard's `max_connections` fits every pool that may connect to it plus the reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fit {
    /// `max_connections` could not be read.
    Unknown,
    DoesNotFit,
    /// Fits with less headroom than [`Thresholds::tight_headroom_percent`].
    Tight,
    Fits,
}

impl Fit {
    pub fn label(self) -> &'static str {
        match self {
            Fit::Unknown => "unknown",
            Fit::DoesNotFit => "does not fit",
            Fit::Tight => "tight",
            Fit::Fits => "fits",
        }
    }

    pub fn judgement(self) -> Judgement {
        match self {
            Fit::Unknown => Judgement::Unknown,
            Fit::DoesNotFit => Judgement::Alert,
            Fit::Tight => Judgement::Warn,
            Fit::Fits => Judgement::Ok,
        }
    }
}

static INSTALLED: OnceLock<Thresholds> = OnceLock::new();

/// Make these the process's thresholds (once, at start-up, from the configuration). A second call
/// with other values is refused: the pages and the alerts must judge by one set.
pub fn install(t: Thresholds) -> Result<(), Thresholds> {
    let now = INSTALLED.get_or_init(|| t.clone());
    if *now == t { Ok(()) } else { Err(now.clone()) }
}

/// The process's thresholds: as installed, or the platform's defaults before (tools and tests that
/// read no configuration).
pub fn current() -> &'static Thresholds {
    static DEFAULTS: OnceLock<Thresholds> = OnceLock::new();
    INSTALLED
        .get()
        .unwrap_or_else(|| DEFAULTS.get_or_init(Thresholds::default))
}

impl Thresholds {
    /// Request p99: an alert above the limit, a warning above the target.
    pub fn request_p99(&self, p99_ms: Option<f64>) -> Judgement {
        over(p99_ms, self.request_p99_target_ms, self.request_p99_ms)
    }

    /// The 5xx share: an alert above the limit, a warning above the target.
    pub fn error_rate(&self, percent: Option<f64>) -> Judgement {
        over(
            percent,
            self.error_rate_target_percent,
            self.error_rate_percent,
        )
    }

    /// Replay lag: behind by more than the limit, or by an unknown time.
    pub fn lagging(&self, seconds: Option<f64>) -> bool {
        seconds.is_none_or(|s| s > self.lag_seconds)
    }

    /// A shard's connections against `max_connections`, in percent (None when the limit is
    /// unknown or zero).
    pub fn connections_share(&self, connections: i64, max_connections: i64) -> Option<f64> {
        (max_connections > 0).then(|| connections as f64 * 100.0 / max_connections as f64)
    }

    /// Connections at or above the limit's share of `max_connections` are a warning.
    pub fn connections(&self, connections: i64, max_connections: i64) -> Judgement {
        match self.connections_share(connections, max_connections) {
            None => Judgement::Unknown,
            Some(p) if p >= self.connections_percent => Judgement::Warn,
            Some(_) => Judgement::Ok,
        }
    }

    /// A database's share of its allocation (percent): at or above the limit is a warning.
    pub fn allocation(&self, percent: Option<f64>) -> Judgement {
        match percent {
            None => Judgement::Unknown,
            Some(p) if p >= self.allocation_percent => Judgement::Warn,
            Some(_) => Judgement::Ok,
        }
    }

    /// Most / least loaded above the limit is imbalanced (exactly the limit is still balanced).
    pub fn imbalanced(&self, ratio: f64) -> bool {
        ratio > self.imbalance_ratio
    }

    /// Headroom left after every pool and the reserve, in percent of `max_connections`.
    pub fn fit(&self, headroom_percent: Option<f64>) -> Fit {
        match headroom_percent {
            None => Fit::Unknown,
            Some(h) if h < 0.0 => Fit::DoesNotFit,
            Some(h) if h < self.tight_headroom_percent => Fit::Tight,
            Some(_) => Fit::Fits,
        }
    }

    /// A pool's waits: alerting after the limit's minutes in a row, a warning for waits in the
    /// range but not now, ok without waits.
    pub fn pool_waits(&self, streak_minutes: u32, waits: u64) -> Judgement {
        if streak_minutes >= self.pool_wait_minutes.max(1) {
            Judgement::Alert
        } else if waits > 0 {
            Judgement::Warn
        } else {
            Judgement::Ok
        }
    }

    /// The limits as the pages name them (a chart's alert line, a caption).
    pub fn p99_label(&self) -> String {
        format!("alert: p99 > {}", duration_ms(self.request_p99_ms))
    }

    /// "p99 (target < 500 ms, alert > 1 s)".
    pub fn p99_caption(&self) -> String {
        format!(
            "p99 (target < {}, alert > {})",
            duration_ms(self.request_p99_target_ms),
            duration_ms(self.request_p99_ms)
        )
    }

    /// "5xx (target < 0.1 %, alert > 1 %)".
    pub fn error_rate_caption(&self) -> String {
        format!(
            "5xx (target < {} %, alert > {} %)",
            trim(self.error_rate_target_percent),
            trim(self.error_rate_percent)
        )
    }

    /// The allocation warning's words ("over 80 % of its allocation").
    pub fn allocation_label(&self) -> String {
        format!("over {} % of its allocation", trim(self.allocation_percent))
    }

    pub fn error_rate_label(&self) -> String {
        format!("alert: 5xx > {} %", trim(self.error_rate_percent))
    }
}

fn over(value: Option<f64>, target: f64, limit: f64) -> Judgement {
    match value {
        None => Judgement::Unknown,
        Some(v) if v > limit => Judgement::Alert,
        Some(v) if v > target => Judgement::Warn,
        Some(_) => Judgement::Ok,
    }
}

/// 1000 → "1 s", 750 → "750 ms".
pub fn duration_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", trim(ms / 1000.0))
    } else {
        format!("{} ms", trim(ms))
    }
}

/// A limit without a needless ".0" (1 → "1", 0.5 → "0.5").
pub fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_defaults_judge_at_their_lines() {
        let t = Thresholds::default();
        assert_eq!(t.request_p99(Some(500.0)), Judgement::Ok);
        assert_eq!(t.request_p99(Some(1000.0)), Judgement::Warn);
        assert_eq!(t.request_p99(Some(1000.1)), Judgement::Alert);
        assert_eq!(t.request_p99(None), Judgement::Unknown);
        assert_eq!(t.error_rate(Some(0.1)), Judgement::Ok);
        assert_eq!(t.error_rate(Some(1.0)), Judgement::Warn);
        assert_eq!(t.error_rate(Some(1.01)), Judgement::Alert);
        assert!(!t.lagging(Some(5.0)));
        assert!(t.lagging(Some(5.1)));
        assert!(t.lagging(None), "an unknown lag is not a small one");
        assert_eq!(t.connections(79, 100), Judgement::Ok);
        assert_eq!(t.connections(80, 100), Judgement::Warn);
        assert_eq!(t.connections(5, 0), Judgement::Unknown);
        assert_eq!(t.allocation(Some(80.0)), Judgement::Warn);
        assert_eq!(t.allocation(Some(79.9)), Judgement::Ok);
        assert!(!t.imbalanced(2.0));
        assert!(t.imbalanced(2.01));
        assert_eq!(t.fit(Some(-1.0)), Fit::DoesNotFit);
        assert_eq!(t.fit(Some(19.9)), Fit::Tight);
        assert_eq!(t.fit(Some(20.0)), Fit::Fits);
        assert_eq!(t.fit(None), Fit::Unknown);
        assert_eq!(t.pool_waits(1, 3), Judgement::Alert);
        assert_eq!(t.pool_waits(0, 3), Judgement::Warn);
        assert_eq!(t.pool_waits(0, 0), Judgement::Ok);
        assert_eq!(t.p99_label(), "alert: p99 > 1 s");
        assert_eq!(t.error_rate_label(), "alert: 5xx > 1 %");
        assert_eq!(t.p99_caption(), "p99 (target < 500 ms, alert > 1 s)");
        assert_eq!(t.error_rate_caption(), "5xx (target < 0.1 %, alert > 1 %)");
    }

    #[test]
    fn overridden_limits_move_the_lines() {
        let t = Thresholds {
            pool_wait_minutes: 3,
            request_p99_ms: 750.0,
            error_rate_percent: 0.5,
            connections_percent: 90.0,
            ..Thresholds::default()
        };
        assert_eq!(t.pool_waits(2, 10), Judgement::Warn);
        assert_eq!(t.pool_waits(3, 10), Judgement::Alert);
        assert_eq!(t.request_p99(Some(800.0)), Judgement::Alert);
        assert_eq!(t.connections(85, 100), Judgement::Ok);
        assert_eq!(t.p99_label(), "alert: p99 > 750 ms");
        assert_eq!(t.error_rate_label(), "alert: 5xx > 0.5 %");
    }
}
