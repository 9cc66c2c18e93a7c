//! `SHARDSCOPE_THRESHOLD_*`: the platform's limits, each overridable (see `crate::thresholds`).

use super::vars::Vars;
use crate::error::{Error, Result};
use crate::thresholds::Thresholds;

pub(super) fn read(v: &Vars) -> Result<Thresholds> {
    let d = Thresholds::default();
    let percent = |k: &str, default: f64| -> Result<f64> {
        let p = v.positive(k, default)?;
        if p > 100.0 {
            return Err(Error::Config(format!(
                "{k} is a share of a limit in percent: at most 100, got {p}"
            )));
        }
        Ok(p)
    };
    let t = Thresholds {
        pool_wait_minutes: v.number(
            "SHARDSCOPE_THRESHOLD_POOL_WAIT_MINUTES",
            u64::from(d.pool_wait_minutes),
        )? as u32,
        connections_percent: percent(
            "SHARDSCOPE_THRESHOLD_CONNECTIONS_PERCENT",
            d.connections_percent,
        )?,
        request_p99_ms: v.positive("SHARDSCOPE_THRESHOLD_P99_MS", d.request_p99_ms)?,
        request_p99_target_ms: v.positive(
            "SHARDSCOPE_THRESHOLD_P99_TARGET_MS",
            d.request_p99_target_ms,
        )?,
        error_rate_percent: percent("SHARDSCOPE_THRESHOLD_5XX_PERCENT", d.error_rate_percent)?,
        error_rate_target_percent: percent(
            "SHARDSCOPE_THRESHOLD_5XX_TARGET_PERCENT",
            d.error_rate_target_percent,
        )?,
        allocation_percent: percent(
            "SHARDSCOPE_THRESHOLD_ALLOCATION_PERCENT",
            d.allocation_percent,
        )?,
        lag_seconds: v.positive("SHARDSCOPE_THRESHOLD_LAG_SECONDS", d.lag_seconds)?,
        imbalance_ratio: v.positive("SHARDSCOPE_THRESHOLD_IMBALANCE_RATIO", d.imbalance_ratio)?,
        tight_headroom_percent: percent(
            "SHARDSCOPE_THRESHOLD_HEADROOM_PERCENT",
            d.tight_headroom_percent,
        )?,
    };
    for (what, target, limit) in [
        ("P99", t.request_p99_target_ms, t.request_p99_ms),
        ("5XX", t.error_rate_target_percent, t.error_rate_percent),
    ] {
        if target > limit {
            return Err(Error::Config(format!(
                "SHARDSCOPE_THRESHOLD_{what}_TARGET ({target}) is above its alert line \
                 SHARDSCOPE_THRESHOLD_{what} ({limit}): the target must be the lower one"
            )));
        }
    }
    if t.imbalance_ratio <= 1.0 {
        return Err(Error::Config(format!(
            "SHARDSCOPE_THRESHOLD_IMBALANCE_RATIO is most / least loaded shard: above 1, got {}",
            t.imbalance_ratio
        )));
    }
    Ok(t)
}
