//! The engine's handle: the configuration, the routing database, the per-endpoint pools and the
//! shard list. Built once at start-up; cheap to clone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::RwLock;

use crate::coalesce::Memo;
use crate::config::{Config, EngineConfig};
use crate::error::{Error, Result};
use crate::federation::pools::ShardPools;
use crate::federation::shard_list::{ShardInfo, load_shards};

/// How long the shard list from the routing DB is reused before it is read again, so a new
/// shard appears without a restart.
const SHARD_LIST_TTL: Duration = Duration::from_secs(15);

/// How long answers that scan a large routing-DB table (the registry's home shards) are shared:
/// a minute, so a page viewed constantly costs the routing DB one scan a minute.
const SLOW_MEMO_TTL: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    routing: PgPool,
    pools: ShardPools,
    /// The tenant-reader role's pools (None when it is not configured).
    readers: Option<ShardPools>,
    shards: RwLock<Option<(Instant, Arc<Vec<ShardInfo>>)>>,
    memo: Memo,
    slow_memo: Memo,
}

impl Fleet {
    /// Build the handle. Connects lazily: a fleet that is down at start-up does not stop the console.
    pub fn new(config: Config) -> Result<Self> {
        let options: PgConnectOptions = config.routing_url.expose().parse().map_err(|_| {
            Error::Config("SHARDSCOPE_ROUTING_URL is not a valid postgres URL".into())
        })?;
        let e = &config.engine;
        let statement_ms = e.statement_timeout.as_millis().to_string();
        let options = options
            .application_name(&e.application_name)
            .options([("statement_timeout", statement_ms.as_str())]);
        let routing = PgPoolOptions::new()
            // Shard list, accounts and audit records share it.
            .max_connections(e.pool_max.max(4))
            .min_connections(0)
            .acquire_timeout(e.shard_deadline)
            .idle_timeout(e.pool_idle)
            .connect_lazy_with(options);
        // One budget per endpoint for all pools together: the reader's share, the rest monitoring.
        let pools = ShardPools::new(
            config.monitor_user.clone(),
            config.monitor_password.clone(),
            EngineConfig {
                pool_max: config.monitor_pool_max()?,
                ..e.clone()
            },
        );
        let readers = config.tenants.reader_password.as_ref().map(|password| {
            ShardPools::new(
                config.tenants.reader_user.clone(),
                password.clone(),
                EngineConfig {
                    pool_max: config.tenants.reader_pool_max,
                    ..e.clone()
                },
            )
        });
        Ok(Self {
            inner: Arc::new(Inner {
                memo: Memo::new(config.engine.cache_ttl),
                // No cache at all (tests) means none here either.
                slow_memo: Memo::new(if config.engine.cache_ttl.is_zero() {
                    Duration::ZERO
                } else {
                    SLOW_MEMO_TTL.max(config.engine.cache_ttl)
                }),
                config,
                routing,
                pools,
                readers,
                shards: RwLock::new(None),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The routing database (shard list, accounts, audit records).
    pub fn routing(&self) -> &PgPool {
        &self.inner.routing
    }

    /// The monitoring role's pools: statistics views only, never tenant rows.
    pub fn pools(&self) -> &ShardPools {
        &self.inner.pools
    }

    /// The tenant-reader role's pools: RLS applies to every row read through them.
    pub fn tenant_readers(&self) -> Option<&ShardPools> {
        self.inner.readers.as_ref()
    }

    /// Results shared for the cache TTL, one computation in flight per key.
    pub fn memo(&self) -> &Memo {
        &self.inner.memo
    }

    /// As [`Fleet::memo`], for answers that scan a large routing-DB table: kept a minute.
    pub fn slow_memo(&self) -> &Memo {
        &self.inner.slow_memo
    }

    /// The shard list, re-read from the routing DB at most every [`SHARD_LIST_TTL`]. If the routing
    /// DB is unreachable, the last list read is used; with none, the error is returned.
    #[tracing::instrument(skip_all)]
    pub async fn shards(&self) -> Result<Arc<Vec<ShardInfo>>> {
        if let Some((at, list)) = self.inner.shards.read().await.as_ref()
            && at.elapsed() < SHARD_LIST_TTL
        {
            return Ok(list.clone());
        }
        let mut slot = self.inner.shards.write().await;
        if let Some((at, list)) = slot.as_ref()
            && at.elapsed() < SHARD_LIST_TTL
        {
            return Ok(list.clone());
        }
        match load_shards(&self.inner.routing).await {
            Ok(list) => {
                let list = Arc::new(list);
                *slot = Some((Instant::now(), list.clone()));
                Ok(list)
            }
            Err(e) => match slot.as_ref() {
                Some((_, stale)) => {
                    tracing::warn!(error = %e, "routing DB unreachable; using the last shard list");
                    Ok(stale.clone())
                }
                None => Err(Error::RoutingUnavailable(e.failure())),
            },
        }
    }

    /// Forget the cached shard list (tests, and after a routing change made by the console itself).
    pub async fn invalidate_shards(&self) {
        *self.inner.shards.write().await = None;
    }
}
