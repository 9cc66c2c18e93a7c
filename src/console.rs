//! The console's backend handle: the engine and every capability built on it, assembled once at
//! start-up. It sits above them all: each capability declares what it needs as a trait
//! ([`overview::Sources`], [`telemetry::Sources`], [`tenants::Sources`], which the patient lookup
//! uses too)
//! and takes `&impl` that trait, so no capability knows this type exists.

use std::sync::Arc;

use sqlx::PgPool;

use crate::auth::AuthServices;
use crate::config::Config;
use crate::error::Result;
use crate::federation::fanout::Outcome;
use crate::federation::pools::ShardPools;
use crate::federation::probe_cache::ProbeCache;
use crate::federation::shard_list::ShardInfo;
use crate::federation::{Engine, Fleet};
use crate::overview::cache::{OverviewCache, ProbeObserver};
use crate::overview::probe::ShardStats;
use crate::telemetry::Telemetry;
use crate::tenants::routing_cache::RoutingCache;
use crate::{overview, telemetry, tenants};

#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    fleet: Fleet,
    overviews: OverviewCache,
    telemetry: Telemetry,
    routing_cache: RoutingCache,
    auth: AuthServices,
    recorder: Option<crate::history::Recorder>,
    /// The recorder's background half, until `tasks::start` takes it.
    history_writer: std::sync::Mutex<Option<crate::history::recorder::Writer>>,
}

impl Console {
    /// Build the handle. Connects lazily: a fleet that is down at start-up does not stop the console.
    pub fn new(config: Config) -> Result<Self> {
        let fleet = Fleet::new(config)?;
        let config = fleet.config();
        let routing_cache = RoutingCache::new(
            config.redis_url.as_ref(),
            &config.tenants.routing_cache_prefix,
        )?;
        let auth = AuthServices::new(config, fleet.routing().clone())?;
        let telemetry = Telemetry::new(config);
        let (recorder, writer) = crate::history::Recorder::new(config).unzip();
        let observer: Option<ProbeObserver> = recorder.clone().map(|r| {
            Arc::new(move |shard: &ShardInfo, outcome: &Outcome<ShardStats>| {
                r.record(shard, outcome)
            }) as ProbeObserver
        });
        let overviews = OverviewCache::new(&fleet, observer);
        Ok(Self {
            inner: Arc::new(Inner {
                fleet,
                overviews,
                telemetry,
                routing_cache,
                auth,
                recorder,
                history_writer: std::sync::Mutex::new(writer),
            }),
        })
    }

    pub fn fleet(&self) -> &Fleet {
        &self.inner.fleet
    }

    pub fn config(&self) -> &Config {
        self.inner.fleet.config()
    }

    pub fn routing(&self) -> &PgPool {
        self.inner.fleet.routing()
    }

    pub fn pools(&self) -> &ShardPools {
        self.inner.fleet.pools()
    }

    /// The tenant-reader role's pools: RLS applies to every row read through them.
    pub fn tenant_readers(&self) -> Option<&ShardPools> {
        self.inner.fleet.tenant_readers()
    }

    /// The shard list (see [`Fleet::shards`]).
    pub async fn shards(&self) -> Result<Arc<Vec<ShardInfo>>> {
        self.inner.fleet.shards().await
    }

    /// Forget the cached shard list (tests, and after a routing change made by the console itself).
    pub async fn invalidate_shards(&self) {
        self.inner.fleet.invalidate_shards().await
    }

    /// Accounts, sessions, sign-in limits and the access audit.
    pub fn auth(&self) -> &AuthServices {
        &self.inner.auth
    }

    /// The shard-history writer's task, for `tasks::start` (None once taken, or without
    /// ClickHouse). Until it runs, probes queue their samples (up to the queue's bound).
    pub fn take_history_writer(&self) -> Option<crate::history::recorder::Writer> {
        self.inner
            .history_writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// The shard-history recorder (None without ClickHouse).
    pub fn history_recorder(&self) -> Option<&crate::history::Recorder> {
        self.inner.recorder.as_ref()
    }

    /// ClickHouse telemetry (pools, requests, slow queries).
    pub fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    /// The platform's routing cache (`shard:{org_id}` in Redis), read-only.
    pub fn routing_cache(&self) -> &RoutingCache {
        &self.inner.routing_cache
    }

    /// Each shard's overview statistics, cached and coalesced.
    pub fn overview_cache(&self) -> &OverviewCache {
        &self.inner.overviews
    }

    /// The shared probe cache (Redis), e.g. to see whether its breaker is open.
    pub fn probe_cache(&self) -> &ProbeCache {
        self.inner.overviews.probe_cache()
    }

    /// One shard's overview statistics (see [`OverviewCache::shard_overview`]).
    pub async fn shard_overview(&self, shard: &ShardInfo) -> Outcome<ShardStats> {
        self.inner.overviews.shard_overview(shard).await
    }

    /// The most recent successful result for a shard, if any.
    pub fn last_good(&self, shard_id: &str) -> Option<Outcome<ShardStats>> {
        self.inner.overviews.last_good(shard_id)
    }

    /// Age past which a cached result is not served without probing first.
    pub fn stale_bound_ms(&self) -> u64 {
        self.inner.overviews.stale_bound_ms()
    }

    /// Probes actually sent to a shard by this console (cache hits and coalesced waits excluded).
    pub fn probe_count(&self, shard_id: &str) -> u64 {
        self.inner.overviews.probe_count(shard_id)
    }
}

impl Engine for Console {
    fn fleet(&self) -> &Fleet {
        &self.inner.fleet
    }
}

impl overview::Sources for Console {
    fn overview_cache(&self) -> &OverviewCache {
        &self.inner.overviews
    }
}

impl telemetry::Sources for Console {
    fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }
}

impl tenants::Sources for Console {
    fn routing_cache(&self) -> &RoutingCache {
        &self.inner.routing_cache
    }

    fn auth(&self) -> &AuthServices {
        &self.inner.auth
    }
}
