//! The backend service handle: everything a page or server function needs, built once at start-up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use tokio::sync::RwLock;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::pools::ShardPools;
use crate::routing::{ShardInfo, load_shards};

/// How long the shard list from the routing DB is reused before it is read again, so a new
/// shard appears without a restart.
const SHARD_LIST_TTL: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    routing: PgPool,
    pools: ShardPools,
    shards: RwLock<Option<(Instant, Arc<Vec<ShardInfo>>)>>,
}

impl Console {
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
            .max_connections(e.pool_max.max(2))
            .min_connections(0)
            .acquire_timeout(e.shard_deadline)
            .idle_timeout(e.pool_idle)
            .connect_lazy_with(options);
        let pools = ShardPools::new(
            config.monitor_user.clone(),
            config.monitor_password.clone(),
            e.clone(),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                routing,
                pools,
                shards: RwLock::new(None),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn pools(&self) -> &ShardPools {
        &self.inner.pools
    }

    pub fn routing(&self) -> &PgPool {
        &self.inner.routing
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
                None => Err(Error::RoutingUnavailable(match e {
                    Error::Database(ref db) => crate::fanout::Failure::from_sqlx(db).to_string(),
                    _ => "unexpected error".into(),
                })),
            },
        }
    }

    /// Forget the cached shard list (tests, and after a routing change made by the console itself).
    pub async fn invalidate_shards(&self) {
        *self.inner.shards.write().await = None;
    }
}
