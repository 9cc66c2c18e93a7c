//! The one place a console's background work starts, and stops.
//!
//! A task is `async fn run(deps, stop: Stop)` in its own capability (the history writer in
//! `history::recorder`, the audit export in `auth::audit_export`); [`start`] starts every task a
//! serving console runs, each under a supervisor: a task that panics is logged, counted and
//! restarted after a back-off (1 s, doubling to 60 s; reset once a run has lasted 5 minutes).
//! [`Tasks::shutdown`] signals stop, and each task finishes the batch it holds (the history writer
//! flushes its queue) within the grace given. `Console::new` spawns nothing.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::console::Console;
pub use crate::stop::Stop;

/// The back-off after a task's first failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A run this long before failing counts as healthy: the next back-off starts from the first.
const HEALTHY_RUN: Duration = Duration::from_secs(300);

/// Background tasks under one stop signal. Dropping it signals stop and leaves the tasks to
/// finish their batch on their own; [`Tasks::shutdown`] also waits for them.
pub struct Tasks {
    stop: watch::Sender<bool>,
    set: JoinSet<()>,
    restarts: Arc<AtomicU64>,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new()
    }
}

impl Tasks {
    pub fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            set: JoinSet::new(),
            restarts: Arc::default(),
        }
    }

    /// Run `task` under the supervisor until it returns (after stop, or when it has nothing left
    /// to do); a panic is logged and counted, and the task restarted after a back-off.
    pub fn supervise<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: Fn(Stop) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut stop = Stop::from(self.stop.subscribe());
        let restarts = self.restarts.clone();
        self.set.spawn(async move {
            let mut failures = 0u32;
            loop {
                let started = tokio::time::Instant::now();
                let run = tokio::spawn(task(stop.clone()));
                // Aborted with the supervisor (a shutdown past its grace), never left running.
                let _abort = AbortOnDrop(run.abort_handle());
                match run.await {
                    Ok(()) => return,
                    Err(e) if e.is_panic() => {
                        if started.elapsed() >= HEALTHY_RUN {
                            failures = 0;
                        }
                        failures += 1;
                        let total = restarts.fetch_add(1, Ordering::Relaxed) + 1;
                        let wait = backoff(failures);
                        tracing::error!(
                            task = name,
                            restarts = total,
                            backoff_ms = wait.as_millis() as u64,
                            "background task panicked; restarting after a back-off"
                        );
                        tokio::select! {
                            _ = stop.stopped() => return,
                            _ = tokio::time::sleep(wait) => {}
                        }
                    }
                    Err(_) => return,
                }
                if stop.is_stopped() {
                    return;
                }
            }
        });
    }

    /// Restarts after a panic, since start, over every task.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Signal stop and wait for every task to finish, at most `grace`. False: some did not
    /// finish in time (they are aborted).
    pub async fn shutdown(mut self, grace: Duration) -> bool {
        let _ = self.stop.send(true);
        let mut set = std::mem::take(&mut self.set);
        let all = async { while set.join_next().await.is_some() {} };
        let finished = tokio::time::timeout(grace, all).await.is_ok();
        if !finished {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "background tasks still running at the end of the grace period; aborted"
            );
            set.abort_all();
        }
        finished
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.set.detach_all();
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The wait before restarting a task after its `failures`-th consecutive failure.
fn backoff(failures: u32) -> Duration {
    let doubled = FIRST_BACKOFF.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled.min(MAX_BACKOFF)
}

/// Every task a serving console runs: the shard-history writer and the audit export (each only
/// when ClickHouse is configured).
pub fn start(console: &Console) -> Tasks {
    let mut tasks = Tasks::new();
    add_history(&mut tasks, console);
    add_audit_export(&mut tasks, console);
    tasks
}

/// Only the shard-history writer (a console that must not ship the audit, e.g. in tests).
pub fn start_history(console: &Console) -> Tasks {
    let mut tasks = Tasks::new();
    add_history(&mut tasks, console);
    tasks
}

/// Only the audit export (tests that watch records reach ClickHouse).
pub fn start_audit_export(console: &Console) -> Tasks {
    let mut tasks = Tasks::new();
    add_audit_export(&mut tasks, console);
    tasks
}

fn add_history(tasks: &mut Tasks, console: &Console) {
    if let Some(writer) = console.take_history_writer() {
        let writer = Arc::new(writer);
        tasks.supervise("shard-history writer", move |stop| {
            let writer = writer.clone();
            async move { writer.run(stop).await }
        });
    }
}

fn add_audit_export(tasks: &mut Tasks, console: &Console) {
    let Some(export) =
        crate::auth::audit_export::Exporter::new(console.auth().audit.clone(), console.config())
    else {
        tracing::warn!("SHARDSCOPE_CLICKHOUSE_URL not set: the audit stays in the routing DB only");
        return;
    };
    let export = Arc::new(export);
    tasks.supervise("audit export", move |stop| {
        let export = export.clone();
        async move { export.run(stop).await }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_to_a_minute() {
        let secs: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_restarted_counted_and_stopped_with_the_rest() {
        let runs = Arc::new(AtomicU64::new(0));
        let mut tasks = Tasks::new();
        let counter = runs.clone();
        tasks.supervise("flaky", move |mut stop| {
            let counter = counter.clone();
            async move {
                // The first two runs fail; the third runs until stop.
                if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("boom");
                }
                stop.stopped().await;
            }
        });
        // Back-offs of 1 s and 2 s (paused time: advanced as the runtime idles).
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "two restarts, then running");
        assert_eq!(tasks.restarts(), 2);
        assert!(
            tasks.shutdown(Duration::from_secs(1)).await,
            "it ends on stop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ignores_stop_is_aborted_at_the_end_of_the_grace() {
        let mut tasks = Tasks::new();
        tasks.supervise("stubborn", |_stop| std::future::pending::<()>());
        assert!(!tasks.shutdown(Duration::from_secs(2)).await);
    }
}
