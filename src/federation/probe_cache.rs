//! A short-lived, shared cache of probe results in Redis, so any number of viewers (on any number
//! of console instances) cause at most one probe per shard per TTL while the shard is being viewed.
//!
//! Probe results hold statistics only (counts, sizes, lag), never PHI. Every entry is signed with
//! the console's keyring (HMAC-SHA256 under a key derived for this purpose, over the entry's Redis
//! key and its JSON), so a Redis writer without the key cannot pin a forged "healthy" (or "down")
//! shard on every console: an unsigned, re-signed-elsewhere or moved entry is a miss, and the
//! console probes for itself. If Redis is down the cache
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
use crate::secret::keyring::{Keyring, Purpose};

/// The entry format: `v1.{key id}.{hex MAC}.{json}`.
const FORMAT: &str = "v1";

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
    keys: Keyring,
}

impl ProbeCache {
    /// `url`: None disables the cache (coalescing still applies).
    pub fn new(url: Option<&Secret>, ttl: Duration, namespace: &str, keys: Keyring) -> Self {
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
            keys,
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
        let full_key = format!("{}{key}", self.prefix);
        let raw: Result<Option<String>, _> = con.get(&full_key).await;
        match raw {
            Ok(Some(s)) => {
                let json = open(&self.keys, &full_key, &s);
                if json.is_none() {
                    tracing::warn!("probe cache entry with no valid signature ignored");
                }
                serde_json::from_str(json?).ok()
            }
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
        let full_key = format!("{}{key}", self.prefix);
        let Some(entry) = seal(&self.keys, &full_key, &json) else {
            return;
        };
        let ms = self.retention().as_millis() as u64;
        let r: Result<(), _> = redis::cmd("SET")
            .arg(&full_key)
            .arg(entry)
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

/// `json` as stored under `redis_key`: signed by the current key (what every instance writes).
pub fn seal(keys: &Keyring, redis_key: &str, json: &str) -> Option<String> {
    let kid = keys.current_id();
    let mac = keys.mac(
        kid,
        Purpose::ProbeCache,
        &[redis_key.as_bytes(), json.as_bytes()],
    )?;
    Some(format!("{FORMAT}.{kid}.{}.{json}", hex::encode(mac)))
}

/// The JSON of an entry read from `redis_key`, if it carries a valid signature for that key under
/// any configured key (rotation); None for anything else.
fn open<'a>(keys: &Keyring, redis_key: &str, entry: &'a str) -> Option<&'a str> {
    let mut parts = entry.splitn(4, '.');
    let (format, kid, mac, json) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if format != FORMAT {
        return None;
    }
    let tag = hex::decode(mac).ok()?;
    keys.verify(
        kid,
        Purpose::ProbeCache,
        &[redis_key.as_bytes(), json.as_bytes()],
        &tag,
    )
    .then_some(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "a1:0123456789abcdef0123456789abcdef";
    const B: &str = "b2:fedcba9876543210fedcba9876543210";

    #[test]
    fn only_an_entry_signed_for_its_own_key_opens() {
        let keys = Keyring::parse(A).unwrap();
        let json = r#"{"target":"us-1","measured_at_ms":1}"#;
        let entry = seal(&keys, "ns:probe:overview:us-1", json).unwrap();
        assert!(entry.starts_with("v1.a1."), "{entry}");
        assert_eq!(open(&keys, "ns:probe:overview:us-1", &entry), Some(json));
        // Copied to another shard's key, tampered with, unsigned, or signed by another secret.
        assert_eq!(open(&keys, "ns:probe:overview:us-2", &entry), None);
        let tampered = entry.replace(r#""measured_at_ms":1"#, r#""measured_at_ms":9"#);
        assert_eq!(open(&keys, "ns:probe:overview:us-1", &tampered), None);
        assert_eq!(open(&keys, "ns:probe:overview:us-1", json), None);
        let other = Keyring::parse("a1:ffffffffffffffffffffffffffffffffffff").unwrap();
        assert_eq!(open(&other, "ns:probe:overview:us-1", &entry), None);
        // After a rotation the old key still verifies.
        let rotated = Keyring::parse(&format!("{B},{A}")).unwrap();
        assert_eq!(open(&rotated, "ns:probe:overview:us-1", &entry), Some(json));
    }
}
