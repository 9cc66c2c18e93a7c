//! Appends probe results to `shard_samples` without ever slowing a probe: rows go into a bounded
//! queue and a background task ([`Writer::run`], started by `tasks::start`) inserts them in
//! batches every couple of seconds. ClickHouse down or slow: the batch is dropped with a warning
//! (samples taken meanwhile need not be kept) and the queue never grows past its bound. The same
//! task drops partitions past the retention hourly, and at stop inserts what is queued.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::retention;
use super::sample::{SampleRow, rows_of};
use crate::clickhouse_db::{Connection, Target};
use crate::config::Config;
use crate::federation::fanout::Outcome;
use crate::federation::shard_list::ShardInfo;
use crate::overview::probe::ShardStats;
use crate::stop::Stop;

/// Rows waiting for the next insert; past this, new rows are dropped (counted, and logged).
pub const QUEUE: usize = 10_000;
const FLUSH_EVERY: Duration = Duration::from_secs(2);
const INSERT_DEADLINE: Duration = Duration::from_secs(10);
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// The last insert, at stop: short enough for the console to exit within its shutdown grace.
const FINAL_FLUSH: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<SampleRow>,
    /// Rows refused because the queue was full, since start.
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// The recorder and its writer when ClickHouse is configured (None otherwise). The writer
    /// is a background task: `tasks::start` runs it (nothing is spawned here).
    pub fn new(config: &Config) -> Option<(Self, Writer)> {
        let target = Target::of(config)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = Writer {
            rx: tokio::sync::Mutex::new(rx),
            target,
        };
        Some((
            Self {
                tx,
                dropped: Arc::default(),
            },
            writer,
        ))
    }

    /// Queue the rows of one probe (never waits).
    pub fn record(&self, shard: &ShardInfo, outcome: &Outcome<ShardStats>) {
        self.record_rows(rows_of(shard, outcome));
    }

    /// Queue rows (never waits): what does not fit is dropped, counted and logged once per call.
    pub fn record_rows(&self, rows: impl IntoIterator<Item = SampleRow>) {
        let mut refused = 0u64;
        for row in rows {
            if self.tx.try_send(row).is_err() {
                refused += 1;
            }
        }
        if refused > 0 {
            let total = self.dropped.fetch_add(refused, Ordering::Relaxed) + refused;
            tracing::warn!(
                dropped = refused,
                dropped_since_start = total,
                "shard_samples queue full (ClickHouse slow or down): samples dropped"
            );
        }
    }

    /// Samples dropped because the queue was full, since the console started.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The background half: takes queued rows and inserts them in batches.
pub struct Writer {
    // Behind a lock so a restarted run (after a panic) takes over the same queue.
    rx: tokio::sync::Mutex<mpsc::Receiver<SampleRow>>,
    target: Target,
}

impl Writer {
    /// Insert every couple of seconds until stop (or until every recorder is gone): then what is
    /// queued is inserted, within [`FINAL_FLUSH`], and the run ends.
    pub async fn run(&self, mut stop: Stop) {
        let mut rx = self.rx.lock().await;
        let mut writer = Connection::new(self.target.clone());
        let mut last_retention: Option<Instant> = None;
        let mut batch = Vec::new();
        loop {
            let deadline = tokio::time::sleep(FLUSH_EVERY);
            tokio::pin!(deadline);
            let last = loop {
                tokio::select! {
                    row = rx.recv() => match row {
                        Some(r) => batch.push(r),
                        // Every sender is gone (the console was dropped).
                        None => break true,
                    },
                    _ = stop.stopped() => {
                        while let Ok(r) = rx.try_recv() {
                            batch.push(r);
                        }
                        break true;
                    }
                    _ = &mut deadline => break false,
                }
            };
            let limit = if last { FINAL_FLUSH } else { INSERT_DEADLINE };
            flush(&mut writer, &mut batch, limit).await;
            if last {
                return;
            }
            if writer.is_connected() && retention_due(last_retention, Instant::now()) {
                last_retention = Some(Instant::now());
                if let Ok(w) = writer.client().await {
                    match retention::run(w, &self.target.database).await {
                        Ok(dropped) if !dropped.is_empty() => {
                            tracing::info!(
                                ?dropped,
                                "shard_samples: expired day partitions dropped"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "shard_samples retention failed"),
                    }
                }
            }
        }
    }
}

/// Retention runs at the writer's first round with ClickHouse, then hourly.
fn retention_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|t| now.duration_since(t) >= RETENTION_EVERY)
}

async fn flush(writer: &mut Connection, batch: &mut Vec<SampleRow>, limit: Duration) {
    if batch.is_empty() {
        return;
    }
    let rows = std::mem::take(batch);
    let result = tokio::time::timeout(limit, async {
        let w = writer.client().await.map_err(|e| e.to_string())?;
        let mut insert = w
            .insert::<SampleRow>("shard_samples")
            .await
            .map_err(|e| e.to_string())?;
        for r in &rows {
            insert.write(r).await.map_err(|e| e.to_string())?;
        }
        insert.end().await.map_err(|e| e.to_string())
    })
    .await;
    let failed = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("no answer within {} ms", limit.as_millis())),
    };
    if let Some(e) = failed {
        // A new connection next time (ClickHouse may have restarted, or another version).
        writer.forget();
        tracing::warn!(error = %e, rows = rows.len(), "shard_samples insert failed; samples dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_runs_at_the_first_round_then_hourly() {
        let t = Instant::now();
        assert!(retention_due(None, t), "at start");
        assert!(!retention_due(
            Some(t),
            t + Duration::from_secs(59 * 60 + 59)
        ));
        assert!(
            retention_due(Some(t), t + Duration::from_secs(3600)),
            "an hour on"
        );
    }
}
