//! The platform's routing cache in Redis: `shard:{org_id}` → shard id, set by its tenant router
//! with a 5-minute TTL. The console only reads it (GET, TTL, SCAN): values are shard ids, never PHI.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::redis::RedisHandle;
use crate::secret::Secret;

/// At most this many cache keys are read for one routing-truth check (a bound, not a sample:
/// the page says when it was reached).
pub const MAX_KEYS: usize = 100_000;

/// One cache entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub org_id: i64,
    pub shard_id: String,
    /// Seconds until it expires; None when it never expires.
    pub ttl_secs: Option<i64>,
}

pub struct RoutingCache {
    redis: Option<RedisHandle>,
    prefix: String,
}

/// Every key read, and whether [`MAX_KEYS`] cut the scan short. Keys after the prefix that are not
/// an org id are counted, not interpreted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheScan {
    pub entries: Vec<CacheEntry>,
    pub malformed_keys: usize,
    pub truncated: bool,
}

impl RoutingCache {
    pub fn new(url: Option<&Secret>, prefix: &str) -> Result<Self> {
        Ok(Self {
            redis: url.map(|u| RedisHandle::new(Some(u), "")).transpose()?,
            prefix: prefix.to_string(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn handle(&self) -> Result<&RedisHandle> {
        self.redis
            .as_ref()
            .ok_or_else(|| Error::SessionStore("no Redis configured (SHARDSCOPE_REDIS_URL)".into()))
    }

    /// `shard:{org_id}` and its TTL; None when there is no entry.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn entry(&self, org_id: i64) -> Result<Option<CacheEntry>> {
        let mut conn = self.handle()?.connection().await?;
        let key = format!("{}{org_id}", self.prefix);
        let (value, ttl): (Option<String>, i64) = redis::pipe()
            .cmd("GET")
            .arg(&key)
            .cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .map_err(crate::redis::store_error)?;
        Ok(value.map(|shard_id| CacheEntry {
            org_id,
            shard_id,
            ttl_secs: (ttl >= 0).then_some(ttl),
        }))
    }

    /// Every entry under the prefix (SCAN, never KEYS: the platform's Redis keeps serving).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn scan(&self) -> Result<CacheScan> {
        let mut conn = self.handle()?.connection().await?;
        let pattern = format!("{}*", glob_escape(&self.prefix));
        // Distinct keys (SCAN may return one twice), never more than the bound plus one batch.
        let mut keys = std::collections::BTreeSet::new();
        let mut cursor: u64 = 0;
        let mut truncated = false;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(crate::redis::store_error)?;
            keys.extend(batch);
            cursor = next;
            // Past the bound: stop, and say so (even when this batch was the scan's last).
            if keys.len() > MAX_KEYS {
                truncated = true;
                break;
            }
            if cursor == 0 {
                break;
            }
        }
        let keys: Vec<String> = keys.into_iter().take(MAX_KEYS).collect();
        let mut scan = CacheScan {
            truncated,
            ..Default::default()
        };
        let mut ids = Vec::new();
        for k in &keys {
            match k[self.prefix.len()..].parse::<i64>() {
                Ok(id) => ids.push((id, k)),
                Err(_) => scan.malformed_keys += 1,
            }
        }
        for chunk in ids.chunks(500) {
            let mut pipe = redis::pipe();
            for (_, k) in chunk {
                pipe.cmd("GET").arg(*k).cmd("TTL").arg(*k);
            }
            let replies: Vec<redis::Value> = pipe
                .query_async(&mut conn)
                .await
                .map_err(crate::redis::store_error)?;
            for ((id, _), pair) in chunk.iter().zip(replies.chunks(2)) {
                let value: Option<String> = redis::from_redis_value_ref(&pair[0]).unwrap_or(None);
                let ttl: i64 = redis::from_redis_value_ref(&pair[1]).unwrap_or(-2);
                // Expired between SCAN and GET: gone, not an entry.
                if let Some(shard_id) = value {
                    scan.entries.push(CacheEntry {
                        org_id: *id,
                        shard_id,
                        ttl_secs: (ttl >= 0).then_some(ttl),
                    });
                }
            }
        }
        Ok(scan)
    }
}

/// Escape Redis glob metacharacters in a literal prefix.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefixes_are_matched_literally() {
        assert_eq!(super::glob_escape("shard:"), "shard:");
        assert_eq!(super::glob_escape("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }
}
