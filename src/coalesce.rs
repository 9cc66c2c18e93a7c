//! Request coalescing: concurrent callers asking for the same key share one in-flight computation.
//!
//! A hundred viewers opening the overview at once cause one probe per shard, not a hundred.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

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
}
