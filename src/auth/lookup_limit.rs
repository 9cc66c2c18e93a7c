//! Patient lookups per staff member, limited in Redis (shared by every console instance). The key
//! holds the staff id and a count — never what was looked up. Without Redis no lookup runs: the
//! limit cannot be skipped by making Redis unreachable.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::partial::Failure;
use crate::redis::{RedisHandle, store_error};

#[derive(Clone)]
pub struct LookupLimiter {
    redis: Arc<RedisHandle>,
    max: u32,
    window: Duration,
}

/// The limit's verdict for one more lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitVerdict {
    Allowed,
    /// Refused; `first` is true for the first refusal in this window (audited once).
    Limited {
        retry_after: Duration,
        first: bool,
    },
}

/// Pure rule: the `count`-th lookup in a window whose key lives `ttl` more.
pub fn decide(max: u32, count: u32, ttl: Option<Duration>, window: Duration) -> LimitVerdict {
    if count <= max {
        LimitVerdict::Allowed
    } else {
        LimitVerdict::Limited {
            retry_after: ttl.unwrap_or(window),
            first: count == max + 1,
        }
    }
}

/// The message a refused lookup shows.
pub fn refusal(max: u32, window: Duration, retry_after: Duration) -> Error {
    let minutes = retry_after.as_secs().div_ceil(60).max(1);
    Error::TooManyRequests(format!(
        "you have made {max} patient lookups in the last {} minutes, the most allowed; try again in \
         {minutes} minute{}",
        window.as_secs().div_ceil(60),
        if minutes == 1 { "" } else { "s" }
    ))
}

impl LookupLimiter {
    pub fn new(redis: Arc<RedisHandle>, max: u32, window: Duration) -> Self {
        Self { redis, max, window }
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Count one lookup (or profile opening) by `staff_id` and say whether it may run.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn check(&self, staff_id: i64) -> Result<LimitVerdict> {
        let key = self.redis.key("patient-lookups", &staff_id.to_string());
        let window = self.window.as_millis().max(1) as u64;
        let mut con = self.redis.connection().await.map_err(|_| unavailable())?;
        let (n, _, ttl): (u32, i64, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window)
            .arg("NX")
            .pttl(&key)
            .query_async(&mut con)
            .await
            .map_err(|e| {
                tracing::warn!(error = %store_error(e), "lookup limit not readable");
                unavailable()
            })?;
        let ttl = (ttl > 0).then(|| Duration::from_millis(ttl as u64));
        Ok(decide(self.max, n, ttl, self.window))
    }
}

fn unavailable() -> Error {
    Error::RoutingUnavailable(Failure::other(
        "the lookup limit (Redis) is not answering, so no patient lookup can run right now; try \
         again in a minute",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_refuses_once_loudly() {
        let w = Duration::from_secs(300);
        assert_eq!(decide(3, 1, None, w), LimitVerdict::Allowed);
        assert_eq!(decide(3, 3, None, w), LimitVerdict::Allowed);
        assert_eq!(
            decide(3, 4, Some(Duration::from_secs(61)), w),
            LimitVerdict::Limited {
                retry_after: Duration::from_secs(61),
                first: true
            }
        );
        assert_eq!(
            decide(3, 5, None, w),
            LimitVerdict::Limited {
                retry_after: w,
                first: false
            }
        );
        let m = refusal(20, w, Duration::from_secs(61)).to_string();
        assert!(
            m.contains("20 patient lookups") && m.contains("5 minutes") && m.contains("2 minutes"),
            "{m}"
        );
    }
}
