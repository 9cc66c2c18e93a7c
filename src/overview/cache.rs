//! Each shard's overview statistics as pages get them: this instance's memory, then Redis
//! (shared by all console instances), then the coalescer (one probe in flight per shard, shared by
//! every waiter), then the probe (tiny pool, deadline). The last good result of every shard is
//! kept so a page can show it, with its age, when the shard fails now.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::clock::now_ms;
use crate::coalesce::Coalescer;
use crate::federation::Fleet;
use crate::federation::fanout::{Outcome, timed};
use crate::federation::pools::ShardPools;
use crate::federation::probe_cache::ProbeCache;
use crate::federation::shard_list::ShardInfo;
use crate::overview::probe::{ShardStats, probe_shard};

/// Told of every probe this cache actually sends (not of cache hits or coalesced waits): the
/// history records each one.
pub type ProbeObserver = Arc<dyn Fn(&ShardInfo, &Outcome<ShardStats>) + Send + Sync>;

#[derive(Clone)]
pub struct OverviewCache {
    inner: Arc<Inner>,
}

struct Inner {
    pools: ShardPools,
    cache: ProbeCache,
    coalescer: Coalescer<String, Outcome<ShardStats>>,
    last_good: Mutex<HashMap<String, Outcome<ShardStats>>>,
    latest: Mutex<HashMap<String, Outcome<ShardStats>>>,
    probes: Mutex<HashMap<String, u64>>,
    /// Shards with a background refresh running in this instance.
    refreshing: Arc<Mutex<HashSet<String>>>,
    observer: Option<ProbeObserver>,
}

fn is_fresh(o: &Outcome<ShardStats>, ttl_ms: u64) -> bool {
    now_ms().saturating_sub(o.measured_at_ms) < ttl_ms
}

#[derive(Debug, PartialEq, Eq)]
enum Freshness {
    /// Younger than the TTL: served as is.
    Fresh,
    /// Past the TTL, within the stale bound: served at once, refreshed in the background.
    Stale,
    /// Past the stale bound: probed before anything is shown.
    TooOld,
}

/// How far ahead of this instance's clock another instance's measurement time may be.
pub const CLOCK_SKEW_MS: u64 = 5_000;

/// `hit` if it may be used for `shard_id` at `now`.
fn acceptable<T>(hit: Outcome<T>, shard_id: &str, now: u64) -> Option<Outcome<T>> {
    if hit.target != shard_id {
        tracing::warn!("probe cache entry for another shard ignored");
        return None;
    }
    if hit.measured_at_ms > now + CLOCK_SKEW_MS {
        tracing::warn!("probe cache entry measured in the future ignored");
        return None;
    }
    Some(hit)
}

fn freshness<T>(o: &Outcome<T>, ttl_ms: u64, bound_ms: u64) -> Freshness {
    freshness_at(now_ms().saturating_sub(o.measured_at_ms), ttl_ms, bound_ms)
}

fn freshness_at(age_ms: u64, ttl_ms: u64, bound_ms: u64) -> Freshness {
    if age_ms < ttl_ms {
        Freshness::Fresh
    } else if age_ms < bound_ms {
        Freshness::Stale
    } else {
        Freshness::TooOld
    }
}

/// Marks a shard as being refreshed; unmarks it when dropped (also if the task panics).
struct RefreshGuard {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl RefreshGuard {
    fn take(set: &Arc<Mutex<HashSet<String>>>, id: &str) -> Option<Self> {
        let fresh_claim = set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string());
        fresh_claim.then(|| Self {
            set: set.clone(),
            id: id.to_string(),
        })
    }
}

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl OverviewCache {
    /// Probes through the fleet's monitoring pools; shares results in Redis when it is configured
    /// and the cache TTL is not zero.
    pub fn new(fleet: &Fleet, observer: Option<ProbeObserver>) -> Self {
        let config = fleet.config();
        let e = &config.engine;
        let cache_url = config.redis_url.as_ref().filter(|_| !e.cache_ttl.is_zero());
        Self {
            inner: Arc::new(Inner {
                pools: fleet.pools().clone(),
                cache: ProbeCache::new(
                    cache_url,
                    e.cache_ttl,
                    &e.cache_namespace,
                    config.keys.clone(),
                ),
                coalescer: Coalescer::default(),
                last_good: Mutex::new(HashMap::new()),
                latest: Mutex::new(HashMap::new()),
                probes: Mutex::new(HashMap::new()),
                refreshing: Default::default(),
                observer,
            }),
        }
    }

    /// The shared probe cache (Redis), e.g. to see whether its breaker is open.
    pub fn probe_cache(&self) -> &ProbeCache {
        &self.inner.cache
    }

    /// One shard's overview statistics, stale-while-revalidate over two cache levels, within a
    /// bound:
    /// - a result younger than the TTL (this instance's, else Redis's) is returned as is;
    /// - one older than the TTL but younger than `stale_max` is returned at once (it carries its
    ///   measurement time, so the page shows its age) while one background task per shard
    ///   refreshes it — from Redis if another instance already did, else by one probe per shard
    ///   across all instances (a Redis lock) and within this one (the coalescer);
    /// - one older than `stale_max` is not trusted: after a quiet spell the shard may have
    ///   stopped (or recovered), so the caller waits for a probe under the shard deadline. If it
    ///   fails, the failure is the answer and the old values are shown as the last good ones;
    /// - with nothing cached anywhere (or the cache off), the caller waits for the coalesced probe.
    #[tracing::instrument(skip_all, fields(shard = %shard.id))]
    pub async fn shard_overview(&self, shard: &ShardInfo) -> Outcome<ShardStats> {
        let ttl = self.inner.cache.ttl().as_millis() as u64;
        if ttl == 0 {
            return self.probe_now(shard).await;
        }
        let bound = self.stale_bound_ms();
        // What this instance holds is answered without I/O while it is within the bound: a
        // viewer never waits on Redis or a shard for a shard seen recently (under load a Redis
        // round trip can take hundreds of ms).
        if let Some(local) = self.latest(&shard.id)
            && let Some(served) = self.serve_cached(local, shard, ttl, bound)
        {
            return served;
        }
        // Nothing usable here: another instance may have a newer result.
        if let Some(hit) = self.shared_entry(shard).await {
            self.remember(&hit);
            if let Some(served) = self.serve_cached(hit, shard, ttl, bound) {
                return served;
            }
        }
        self.probe_now(shard).await
    }

    /// A cached result as it may be served: fresh as is, stale with a background refresh, too
    /// old not at all (None: the caller probes).
    fn serve_cached(
        &self,
        cached: Outcome<ShardStats>,
        shard: &ShardInfo,
        ttl: u64,
        bound: u64,
    ) -> Option<Outcome<ShardStats>> {
        match freshness(&cached, ttl, bound) {
            Freshness::Fresh => Some(cached),
            Freshness::Stale => {
                self.refresh_in_background(shard, ttl);
                Some(cached)
            }
            Freshness::TooOld => None,
        }
    }

    /// Age past which a cached result is not served without probing first.
    pub fn stale_bound_ms(&self) -> u64 {
        let engine = self.inner.pools.engine();
        engine.stale_max.max(engine.cache_ttl).as_millis() as u64
    }

    /// Bring a stale shard up to date without anyone waiting: take a newer result another instance
    /// stored, or probe under the Redis lock (one probe per shard per TTL across instances). At
    /// most one such task per shard runs in this instance.
    fn refresh_in_background(&self, shard: &ShardInfo, ttl: u64) {
        let Some(guard) = RefreshGuard::take(&self.inner.refreshing, &shard.id) else {
            return;
        };
        let this = self.clone();
        let info = shard.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let key = format!("overview:{}", info.id);
            if let Some(shared) = this.shared_entry(&info).await {
                this.remember(&shared);
            }
            let refreshed = |this: &Self| this.latest(&info.id).is_some_and(|l| is_fresh(&l, ttl));
            // Re-checked after the lock: it can take long enough for another refresh to land.
            if !refreshed(&this) && this.inner.cache.try_lock(&key).await && !refreshed(&this) {
                this.probe_now(&info).await;
            }
        });
    }

    /// The result another instance shared in Redis for `shard`, if it is signed (see
    /// [`ProbeCache`]), about this shard, and not measured in the future (beyond
    /// [`CLOCK_SKEW_MS`]): a future time would count as fresh forever and never be replaced.
    async fn shared_entry(&self, shard: &ShardInfo) -> Option<Outcome<ShardStats>> {
        let key = format!("overview:{}", shard.id);
        let hit = self.inner.cache.get::<Outcome<ShardStats>>(&key).await?;
        acceptable(hit, &shard.id, now_ms())
    }

    /// Probe a shard now (sharing a probe already in flight) and cache the result.
    async fn probe_now(&self, shard: &ShardInfo) -> Outcome<ShardStats> {
        let key = format!("overview:{}", shard.id);
        let this = self.clone();
        let info = shard.clone();
        let outcome = self
            .inner
            .coalescer
            .run(key.clone(), move || async move {
                this.count_probe(&info.id);
                let deadline = this.inner.pools.engine().shard_deadline;
                let pools = this.inner.pools.clone();
                let outcome = timed(info.id.clone(), deadline, probe_shard(&pools, &info)).await;
                if let Some(observe) = &this.inner.observer {
                    observe(&info, &outcome);
                }
                this.inner.cache.put(&key, &outcome).await;
                outcome
            })
            .await;
        self.remember(&outcome);
        outcome
    }

    fn remember(&self, outcome: &Outcome<ShardStats>) {
        {
            let mut map = self.inner.latest.lock().unwrap_or_else(|p| p.into_inner());
            let newer = map
                .get(&outcome.target)
                .is_none_or(|old| old.measured_at_ms <= outcome.measured_at_ms);
            if newer {
                map.insert(outcome.target.clone(), outcome.clone());
            }
        }
        if outcome.result.is_ok() {
            let mut map = self
                .inner
                .last_good
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let newer = map
                .get(&outcome.target)
                .is_none_or(|old| old.measured_at_ms <= outcome.measured_at_ms);
            if newer {
                map.insert(outcome.target.clone(), outcome.clone());
            }
        }
    }

    /// The most recent result (success or failure) this instance has seen for a shard.
    fn latest(&self, shard_id: &str) -> Option<Outcome<ShardStats>> {
        let map = self.inner.latest.lock().unwrap_or_else(|p| p.into_inner());
        map.get(shard_id).cloned()
    }

    /// The most recent successful result for a shard, if any.
    pub fn last_good(&self, shard_id: &str) -> Option<Outcome<ShardStats>> {
        let map = self
            .inner
            .last_good
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.get(shard_id).cloned()
    }

    fn count_probe(&self, shard_id: &str) {
        let mut map = self.inner.probes.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(shard_id.to_string()).or_default() += 1;
    }

    /// Probes actually sent to a shard by this console (cache hits and coalesced waits excluded).
    pub fn probe_count(&self, shard_id: &str) -> u64 {
        let map = self.inner.probes.lock().unwrap_or_else(|p| p.into_inner());
        map.get(shard_id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::{CLOCK_SKEW_MS, Freshness, acceptable, freshness_at};
    use crate::federation::fanout::Outcome;

    fn outcome(target: &str, measured_at_ms: u64) -> Outcome<()> {
        Outcome {
            target: target.into(),
            latency_ms: 1,
            measured_at_ms,
            result: Ok(()),
        }
    }

    #[test]
    fn a_shared_entry_about_another_shard_or_from_the_future_is_refused() {
        let now = 1_000_000;
        assert!(acceptable(outcome("us-1", now), "us-1", now).is_some());
        assert!(acceptable(outcome("us-1", now + CLOCK_SKEW_MS), "us-1", now).is_some());
        assert!(acceptable(outcome("us-1", now + CLOCK_SKEW_MS + 1), "us-1", now).is_none());
        assert!(acceptable(outcome("us-1", 4_102_444_800_000), "us-1", now).is_none());
        assert!(acceptable(outcome("us-2", now), "us-1", now).is_none());
    }

    #[test]
    fn a_value_past_the_bound_is_never_served_without_a_probe() {
        assert_eq!(freshness_at(0, 5_000, 15_000), Freshness::Fresh);
        assert_eq!(freshness_at(4_999, 5_000, 15_000), Freshness::Fresh);
        assert_eq!(freshness_at(5_000, 5_000, 15_000), Freshness::Stale);
        assert_eq!(freshness_at(14_999, 5_000, 15_000), Freshness::Stale);
        assert_eq!(freshness_at(15_000, 5_000, 15_000), Freshness::TooOld);
        assert_eq!(freshness_at(333_000, 5_000, 15_000), Freshness::TooOld);
    }
}
