//! A short-lived, shared cache of probe results in Redis, so any number of viewers (on any number
//! of console instances) cause at most one probe per shard per TTL while the shard is being viewed.
//!
//! Probe results hold statistics only (counts, sizes, lag), never PHI. If Redis is down the cache
//! steps aside: lookups miss at once (a breaker skips Redis for a few seconds after a failure) and
//! the console keeps working with coalescing alone.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::redis::KindStr;
use crate::secret::Secret;

const BREAKER: Duration = Duration::from_secs(5);
/// Measured: at 150 ms a saturated console (200 viewers on 2 cores) timed out on a healthy Redis,
/// tripping the breaker and probing more often than once per TTL.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

pub struct ProbeCache {
    client: Option<redis::Client>,
    ttl: Duration,
    prefix: String,
    manager: tokio::sync::Mutex<Option<ConnectionManager>>,
    skip_until: Mutex<Option<Instant>>,
}

impl ProbeCache {
    /// `url`: None disables the cache (coalescing still applies).
    pub fn new(url: Option<&Secret>, ttl: Duration, namespace: &str) -> Self {
        let client = url.and_then(|u| match redis::Client::open(u.expose()) {
            Ok(c) => Some(c),
            Err(_) => {
                tracing::warn!(
                    "SHARDSCOPE_REDIS_URL is not a valid redis URL; probe cache disabled"
                );
                None
            }
        });
        Self {
            client,
            ttl,
            prefix: format!("{namespace}:probe:"),
            manager: tokio::sync::Mutex::new(None),
            skip_until: Mutex::new(None),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Whether the breaker is open: Redis failed or hung recently and is skipped for now.
    pub fn bypassed(&self) -> bool {
        self.tripped()
    }

    fn tripped(&self) -> bool {
        let guard = self.skip_until.lock().unwrap_or_else(|p| p.into_inner());
        guard.is_some_and(|until| Instant::now() < until)
    }

    fn trip(&self) {
        *self.skip_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + BREAKER);
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        let client = self.client.as_ref()?;
        if self.tripped() {
            return None;
        }
        let mut slot = self.manager.lock().await;
        if let Some(m) = slot.as_ref() {
            return Some(m.clone());
        }
        // Waiters queued behind a failed connect must not each try their own: against a Redis
        // that hangs that would cost every shard of a page one timeout, one after another.
        if self.tripped() {
            return None;
        }
        let config = crate::redis::fast_fail(REDIS_TIMEOUT);
        match client.get_connection_manager_with_config(config).await {
            Ok(m) => {
                *slot = Some(m.clone());
                Some(m)
            }
            Err(e) => {
                tracing::warn!(error = %e.kind_str(), "redis unavailable; probe cache bypassed");
                self.trip();
                None
            }
        }
    }

    #[tracing::instrument(skip(self))]
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let mut con = self.connection().await?;
        let raw: Result<Option<String>, _> = con.get(format!("{}{key}", self.prefix)).await;
        match raw {
            Ok(Some(s)) => serde_json::from_str(&s).ok(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e.kind_str(), "redis read failed; bypassing cache");
                self.trip();
                None
            }
        }
    }

    /// How long entries are kept: well past the TTL, so a stale value can be served (with its age)
    /// while it is being refreshed.
    fn retention(&self) -> Duration {
        (self.ttl * 12).max(Duration::from_secs(60))
    }

    /// Take the right to refresh `key` for one TTL, across every console instance. Without Redis
    /// there is nobody to coordinate with: always granted (coalescing still applies in-process).
    #[tracing::instrument(skip(self))]
    pub async fn try_lock(&self, key: &str) -> bool {
        let Some(mut con) = self.connection().await else {
            return true;
        };
        let ms = self.ttl.as_millis().max(1) as u64;
        let r: Result<Option<String>, _> = redis::cmd("SET")
            .arg(format!("{}lock:{key}", self.prefix))
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(ms)
            .query_async(&mut con)
            .await;
        match r {
            Ok(v) => v.is_some(),
            Err(e) => {
                tracing::warn!(error = %e.kind_str(), "redis lock failed; refreshing anyway");
                self.trip();
                true
            }
        }
    }

    #[tracing::instrument(skip(self, value))]
    pub async fn put<T: Serialize>(&self, key: &str, value: &T) {
        let Some(mut con) = self.connection().await else {
            return;
        };
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        let ms = self.retention().as_millis() as u64;
        let r: Result<(), _> = redis::cmd("SET")
            .arg(format!("{}{key}", self.prefix))
            .arg(json)
            .arg("PX")
            .arg(ms)
            .query_async(&mut con)
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e.kind_str(), "redis write failed; bypassing cache");
            self.trip();
        }
    }
}
