//! Appends probe results to `shard_samples` without ever slowing a probe: rows go into a bounded
//! queue and a background task inserts them in batches every couple of seconds. ClickHouse down
//! or slow: the batch is dropped with a warning (samples taken meanwhile need not be kept) and the
//! queue never grows past its bound. The same task drops partitions past the retention hourly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::retention;
use super::sample::{SampleRow, rows_of};
use crate::config::Config;
use crate::federation::fanout::Outcome;
use crate::federation::shard_list::ShardInfo;
use crate::overview::probe::ShardStats;

/// Rows waiting for the next insert; past this, new rows are dropped (counted, and logged).
pub const QUEUE: usize = 10_000;
const FLUSH_EVERY: Duration = Duration::from_secs(2);
const INSERT_DEADLINE: Duration = Duration::from_secs(10);
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<SampleRow>,
    /// Rows refused because the queue was full, since start.
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// Starts the writer when ClickHouse is configured and a runtime is running; None otherwise.
    pub fn start(config: &Config) -> Option<Self> {
        let url = config.clickhouse_url.clone()?;
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let (user, password, database) = (
            config.clickhouse_user.clone(),
            config.clickhouse_password.clone(),
            config.clickhouse_database.clone(),
        );
        runtime.spawn(async move {
            write_loop(rx, url, user, password, database).await;
        });
        Some(Self {
            tx,
            dropped: Arc::default(),
        })
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

async fn write_loop(
    mut rx: mpsc::Receiver<SampleRow>,
    url: String,
    user: String,
    password: crate::secret::Secret,
    database: String,
) {
    let mut writer: Option<clickhouse::Client> = None;
    let mut last_retention: Option<Instant> = None;
    let mut batch = Vec::new();
    loop {
        let deadline = tokio::time::sleep(FLUSH_EVERY);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                row = rx.recv() => match row {
                    Some(r) => batch.push(r),
                    // Every sender is gone (the console was dropped): flush and end.
                    None => {
                        flush(&mut writer, &url, &user, &password, &database, &mut batch).await;
                        return;
                    }
                },
                _ = &mut deadline => break,
            }
        }
        flush(&mut writer, &url, &user, &password, &database, &mut batch).await;
        if writer.is_some() && retention_due(last_retention, Instant::now()) {
            last_retention = Some(Instant::now());
            if let Some(w) = &writer {
                match retention::run(w, &database).await {
                    Ok(dropped) if !dropped.is_empty() => {
                        tracing::info!(?dropped, "shard_samples: expired day partitions dropped")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "shard_samples retention failed"),
                }
            }
        }
    }
}

/// Retention runs at the writer's first round with ClickHouse, then hourly.
fn retention_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|t| now.duration_since(t) >= RETENTION_EVERY)
}

async fn flush(
    writer: &mut Option<clickhouse::Client>,
    url: &str,
    user: &str,
    password: &crate::secret::Secret,
    database: &str,
    batch: &mut Vec<SampleRow>,
) {
    if batch.is_empty() {
        return;
    }
    let rows = std::mem::take(batch);
    let result = tokio::time::timeout(INSERT_DEADLINE, async {
        if writer.is_none() {
            *writer = Some(
                crate::clickhouse_db::connect(url, user, password.expose(), database)
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        let w = writer.as_ref().ok_or("no writer")?;
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
        Err(_) => Some(format!("no answer within {} s", INSERT_DEADLINE.as_secs())),
    };
    if let Some(e) = failed {
        // A new connection next time (ClickHouse may have restarted, or another version).
        *writer = None;
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
