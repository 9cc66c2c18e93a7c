//! Parallel fan-out with a per-target deadline and typed, honest per-target results.
//!
//! Every target gets its own deadline; a slow or dead shard yields a typed failure for that shard
//! and never fails the whole fan-out. Concurrency is bounded so a fleet of hundreds of shards does
//! not open hundreds of connections at once.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;

pub use crate::partial::{Failure, FailureKind};

/// One target's outcome: value or failure, how long it took, and when it was measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome<T> {
    pub target: String,
    pub latency_ms: u64,
    /// Unix milliseconds at which the result was obtained.
    pub measured_at_ms: u64,
    pub result: Result<T, Failure>,
}

/// Run one probe under a deadline and wrap its result as an [`Outcome`].
pub async fn timed<T>(
    target: String,
    deadline: Duration,
    probe: impl Future<Output = Result<T, Failure>>,
) -> Outcome<T> {
    let started = Instant::now();
    let result = match tokio::time::timeout(deadline, probe).await {
        Ok(r) => r,
        Err(_) => Err(Failure::new(
            FailureKind::Timeout,
            format!("no answer within {} ms", deadline.as_millis()),
        )),
    };
    Outcome {
        target,
        latency_ms: started.elapsed().as_millis() as u64,
        measured_at_ms: now_ms(),
        result,
    }
}

/// Run `probe` for every target, at most `concurrency` at once; results come back in the order of
/// `targets`. Each probe carries its own deadline (see [`timed`]), so one slow target delays only
/// its own result.
pub async fn fan_out<K, T, F, Fut>(targets: Vec<K>, concurrency: usize, probe: F) -> Vec<T>
where
    F: Fn(K) -> Fut,
    Fut: Future<Output = T>,
{
    futures::stream::iter(targets.into_iter().map(probe))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slow_target_times_out_and_others_answer() {
        let out = fan_out(vec![10u64, 5_000, 20], 8, |ms| {
            timed(format!("s{ms}"), Duration::from_millis(2000), async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, Failure>(ms)
            })
        })
        .await;
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].result, Ok(10));
        assert_eq!(
            out[1].result.as_ref().unwrap_err().kind,
            FailureKind::Timeout
        );
        assert_eq!(out[2].result, Ok(20));
        assert_eq!(out[1].target, "s5000");
    }

    #[tokio::test(start_paused = true)]
    async fn runs_in_parallel_not_in_sequence() {
        let started = tokio::time::Instant::now();
        let out = fan_out((0..8).collect::<Vec<u32>>(), 8, |i| {
            timed(i.to_string(), Duration::from_secs(5), async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok::<_, Failure>(())
            })
        })
        .await;
        assert!(out.iter().all(|o| o.result.is_ok()));
        // Eight 300 ms probes in parallel take 300 ms of (virtual) time, not 2.4 s.
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_bounded() {
        let started = tokio::time::Instant::now();
        fan_out((0..4).collect::<Vec<u32>>(), 2, |_| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
        })
        .await;
        // Two waves of two.
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
}
