//! One lazily built Redis connection for sessions and sign-in limits. Unlike the probe cache
//! (which steps aside when Redis is down) these cannot work without Redis, so every call tries
//! again: the console recovers by itself the moment Redis is back.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A refused connection fails at once; this bounds a hung Redis. Generous, because a saturated
/// console (measured: 200 connections on 2 cores) can take a few hundred ms to read a reply.
const TIMEOUT: Duration = Duration::from_millis(1000);

pub struct RedisHandle {
    client: Option<redis::Client>,
    manager: tokio::sync::Mutex<Option<ConnectionManager>>,
    namespace: String,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandle")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl RedisHandle {
    /// `url`: None means no session store is configured; every call fails with a clear error.
    pub fn new(url: Option<&Secret>, namespace: &str) -> Result<Self> {
        let client = match url {
            Some(u) => Some(redis::Client::open(u.expose()).map_err(|_| {
                Error::Config("SHARDSCOPE_REDIS_URL is not a valid redis URL".into())
            })?),
            None => None,
        };
        Ok(Self {
            client,
            manager: tokio::sync::Mutex::new(None),
            namespace: namespace.to_string(),
        })
    }

    /// Key for `kind` and `id` under this console's namespace.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}:{kind}:{id}", self.namespace)
    }

    pub async fn connection(&self) -> Result<ConnectionManager> {
        let client = self.client.as_ref().ok_or_else(|| {
            Error::SessionStore("no session store configured (SHARDSCOPE_REDIS_URL)".into())
        })?;
        let mut slot = self.manager.lock().await;
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let m = client
            .get_connection_manager_with_config(fast_fail(TIMEOUT))
            .await
            .map_err(store_error)?;
        *slot = Some(m.clone());
        Ok(m)
    }
}

/// A connection that gives up after `timeout` instead of retrying: a dead Redis must fail fast.
pub(crate) fn fast_fail(timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(0)
}

/// Redis errors as the session-store error (kind only: messages can echo arguments).
pub fn store_error(e: redis::RedisError) -> Error {
    Error::SessionStore(format!("redis: {}", e.kind_str()))
}

/// A Redis error as it may be logged or shown.
pub(crate) trait KindStr {
    fn kind_str(&self) -> String;
}

impl KindStr for redis::RedisError {
    /// The error category only: a redis error's text can echo the URL it was given.
    fn kind_str(&self) -> String {
        format!("{:?}", self.kind())
    }
}
