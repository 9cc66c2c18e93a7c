//! Request coalescing: concurrent callers asking for the same key share one in-flight computation.
//!
//! A hundred viewers opening the overview at once cause one probe per shard, not a hundred.
//! [`Memo`] adds a short-lived cache on top: a value is computed once per TTL, however many ask.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::partial::{Failure, FailureKind, Partial};

pub struct Coalescer<K, V: Clone> {
    in_flight: Arc<Mutex<HashMap<K, Shared<BoxFuture<'static, V>>>>>,
}

impl<K, V: Clone> Clone for Coalescer<K, V> {
    fn clone(&self) -> Self {
        Self {
            in_flight: self.in_flight.clone(),
        }
    }
}

impl<K, V: Clone> Default for Coalescer<K, V> {
    fn default() -> Self {
        Self {
            in_flight: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K, V> Coalescer<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Run `make()` for `key` unless a run for the same key is already in flight, in which case
    /// wait for that one. The work runs on its own task, so it completes (and later callers can
    /// use its result via the cache) even if the first caller goes away.
    pub async fn run<F, Fut>(&self, key: K, make: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let shared = {
            let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(existing) = map.get(&key) {
                existing.clone()
            } else {
                let task = tokio::spawn(make());
                let map_ref = self.in_flight.clone();
                let k = key.clone();
                let fut: BoxFuture<'static, V> = async move {
                    let out = task.await;
                    map_ref.lock().unwrap_or_else(|p| p.into_inner()).remove(&k);
                    match out {
                        Ok(v) => v,
                        Err(e) => std::panic::resume_unwind(e.into_panic()),
                    }
                }
                .boxed();
                let shared = fut.shared();
                map.insert(key, shared.clone());
                shared
            }
        };
        shared.await
    }

    /// Keys currently in flight (for tests and metrics).
    pub fn in_flight(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

type Stored = Arc<dyn Any + Send + Sync>;

/// What a [`Memo`] caches: the kind of value (`what`, e.g. `"shard-page"`) and the parameters that
/// pick one (`of`, e.g. the shard id). The memo also keys by the value's type, so a hit is always
/// of the type asked for and two kinds of value never share an entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    what: &'static str,
    of: String,
}

impl Key {
    pub fn new(what: &'static str, of: impl Into<String>) -> Self {
        Self {
            what,
            of: of.into(),
        }
    }

    /// A value there is one of (the fleet-wide report, the directory).
    pub fn one(what: &'static str) -> Self {
        Self::new(what, "")
    }
}

/// A key with its value's type.
type Typed = (TypeId, Key);

/// Values shared for a TTL, and one computation in flight per key. Values of different types live
/// side by side, each under its own typed key; failures are not cached (the next caller tries
/// again).
#[derive(Clone)]
pub struct Memo {
    inner: Arc<MemoInner>,
}

struct MemoInner {
    ttl: Duration,
    cache: Mutex<HashMap<Typed, (Instant, Stored)>>,
    coalescer: Coalescer<Typed, Partial<Stored>>,
}

impl Memo {
    /// A zero TTL caches nothing (concurrent callers still share one computation).
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(MemoInner {
                ttl,
                cache: Mutex::new(HashMap::new()),
                coalescer: Coalescer::default(),
            }),
        }
    }

    /// `make()`'s value for `key`: from the cache while younger than the TTL, else computed once
    /// however many callers ask at the same time.
    pub async fn shared<V, F, Fut>(&self, key: Key, make: F) -> Partial<Arc<V>>
    where
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Partial<V>> + Send + 'static,
    {
        let key: Typed = (TypeId::of::<V>(), key);
        let hit = match self.cached(&key) {
            Some(hit) => hit,
            None => {
                let this = self.clone();
                let stored_key = key.clone();
                // Boxed: a caller's future holds only a pointer to it, not the computation itself
                // (nested inline, large computations overflowed a 2 MiB test thread's stack).
                let fut = make().boxed();
                self.inner
                    .coalescer
                    .run(key, move || async move {
                        let value: Stored = Arc::new(fut.await?);
                        this.store(stored_key, value.clone());
                        Ok(value)
                    })
                    .await?
            }
        };
        // Keyed by the value's type, so this holds; a failure rather than a panic all the same.
        hit.downcast::<V>()
            .map_err(|_| Failure::new(FailureKind::Other, "cache type mismatch"))
    }

    fn cached(&self, key: &Typed) -> Option<Stored> {
        if self.inner.ttl.is_zero() {
            return None;
        }
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (at, _)| at.elapsed() < self.inner.ttl);
        cache.get(key).map(|(_, v)| v.clone())
    }

    fn store(&self, key: Typed, value: Stored) {
        if self.inner.ttl.is_zero() {
            return;
        }
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_share_one_run() {
        let c: Coalescer<&'static str, u32> = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let calls = (0..100).map(|_| {
            let runs = runs.clone();
            let c = c.clone();
            async move {
                c.run("shard-a", move || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    7
                })
                .await
            }
        });
        let out = futures::future::join_all(calls).await;
        assert!(out.iter().all(|v| *v == 7));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(c.in_flight(), 0, "finished runs are forgotten");
    }

    #[tokio::test]
    async fn different_keys_and_later_calls_run_again() {
        let c: Coalescer<u8, u8> = Coalescer::default();
        let runs = Arc::new(AtomicUsize::new(0));
        for key in [1u8, 2, 1] {
            let runs = runs.clone();
            c.run(key, move || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                key
            })
            .await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    fn refused() -> Failure {
        Failure::new(FailureKind::Refused, "the shard refused")
    }

    /// Counts its runs; fails while `fail` is set.
    async fn counted(memo: &Memo, runs: &Arc<AtomicUsize>, fail: bool) -> Partial<Arc<u32>> {
        let runs = runs.clone();
        memo.shared(Key::one("k"), move || async move {
            runs.fetch_add(1, Ordering::SeqCst);
            if fail { Err(refused()) } else { Ok(7u32) }
        })
        .await
    }

    #[tokio::test]
    async fn a_memo_keeps_values_for_its_ttl_and_never_keeps_errors() {
        let memo = Memo::new(Duration::from_secs(3600));
        let runs = Arc::new(AtomicUsize::new(0));
        assert_eq!(counted(&memo, &runs, true).await, Err(refused()));
        assert_eq!(counted(&memo, &runs, false).await, Ok(Arc::new(7)));
        assert_eq!(counted(&memo, &runs, false).await, Ok(Arc::new(7)));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "the error was retried, the value reused"
        );
        // The same key for a value of another type is another entry, never the u32's.
        let other: Partial<Arc<String>> = memo
            .shared(Key::one("k"), || async { Ok("text".to_string()) })
            .await;
        assert_eq!(other, Ok(Arc::new("text".to_string())));
        assert_eq!(counted(&memo, &runs, false).await, Ok(Arc::new(7)));
        assert_eq!(runs.load(Ordering::SeqCst), 2, "the u32 is still cached");
    }

    #[tokio::test]
    async fn a_memo_with_no_ttl_keeps_nothing() {
        let memo = Memo::new(Duration::ZERO);
        let runs = Arc::new(AtomicUsize::new(0));
        counted(&memo, &runs, false).await.unwrap();
        counted(&memo, &runs, false).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
