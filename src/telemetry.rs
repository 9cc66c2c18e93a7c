//! Telemetry the platform's services export to ClickHouse: connection-pool stats, requests and
//! slow queries, as the `/pools`, `/telemetry` and `/telemetry/slow-queries` pages show them.
//!
//! [`Telemetry`] is the ClickHouse side of the console: one client, read-only (`readonly=2`),
//! every query under its own deadline (also sent as `max_execution_time`), at most four at once,
//! results shared for the engine's cache TTL and concurrent identical queries coalesced, so a page and its charts cost one
//! query each. ClickHouse down or slow makes a panel a [`Failure`], never the page: the next
//! request tries again (no restart needed).

pub mod charts;
pub mod filters;
pub mod pages;
pub mod pools;
pub mod query;
pub mod requests;
pub mod rows;
pub mod slow;
pub mod sql;
pub mod tables;

use std::sync::Arc;
use std::time::Duration;

use crate::coalesce::{Key, Memo};
use crate::config::Config;
use crate::partial::{Failure, FailureKind, Partial};

pub use filters::Filters;
pub use sql::{GroupBy, Statement, TopBy};

/// Telemetry's own source over the engine: ClickHouse. The pools page, which sets each shard's
/// connections against its `max_connections`, asks for the overview's `Sources` beside it.
pub trait Sources: crate::federation::Engine {
    fn telemetry(&self) -> &Telemetry;
}

#[derive(Clone)]
pub struct Telemetry {
    inner: Option<Arc<Inner>>,
    memo: Memo,
}

struct Inner {
    base: clickhouse::Client,
    /// The client with row validation chosen from the server's version, learned on first use
    /// (and again after a failure: ClickHouse may be down when the console starts).
    client: tokio::sync::Mutex<Option<clickhouse::Client>>,
    deadline: Duration,
    /// At most this many queries of this console run in ClickHouse at once (distinct views are
    /// not coalesced; this keeps a burst of them from taking the server's cores).
    permits: tokio::sync::Semaphore,
}

/// Concurrent ClickHouse queries per console instance.
const MAX_CONCURRENT_QUERIES: usize = 4;

impl Telemetry {
    pub fn new(config: &Config) -> Self {
        let memo = Memo::new(config.engine.cache_ttl);
        let Some(target) = crate::clickhouse_db::Target::of(config) else {
            return Self { inner: None, memo };
        };
        let deadline = config.telemetry.deadline;
        let base = target
            .base()
            .with_database(&target.database)
            .with_setting("readonly", "2")
            .with_setting("max_execution_time", deadline.as_secs().max(1).to_string());
        Self {
            inner: Some(Arc::new(Inner {
                base,
                client: tokio::sync::Mutex::new(None),
                deadline,
                permits: tokio::sync::Semaphore::new(MAX_CONCURRENT_QUERIES),
            })),
            memo,
        }
    }

    pub fn deadline(&self) -> Option<Duration> {
        self.inner.as_ref().map(|i| i.deadline)
    }

    /// Run one statement and read every row (rows are aggregates: one per series point).
    #[tracing::instrument(skip_all, fields(statement = stmt.name))]
    pub async fn fetch<T>(&self, stmt: &Statement) -> Partial<Arc<Vec<T>>>
    where
        T: clickhouse::RowOwned + clickhouse::RowRead + Send + Sync + 'static,
    {
        let Some(inner) = &self.inner else {
            return Err(Failure::new(
                FailureKind::Unconfigured,
                "telemetry has no ClickHouse (SHARDSCOPE_CLICKHOUSE_URL is unset)",
            ));
        };
        let key = Key::new("clickhouse", stmt.rendered());
        let (inner, stmt) = (inner.clone(), stmt.clone());
        self.memo
            .shared::<Vec<T>, _, _>(key, move || async move { inner.run::<T>(&stmt).await })
            .await
    }
}

impl Inner {
    async fn client(&self) -> Result<clickhouse::Client, clickhouse::error::Error> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let major = crate::clickhouse_db::server_major_version(&self.base)
            .await
            .map_err(|e| match e {
                crate::error::Error::ClickHouse(e) => e,
                other => clickhouse::error::Error::Custom(other.to_string()),
            })?;
        let c = self.base.clone().with_validation(major >= 24);
        *slot = Some(c.clone());
        Ok(c)
    }

    async fn run<T>(&self, stmt: &Statement) -> Partial<Vec<T>>
    where
        T: clickhouse::RowOwned + clickhouse::RowRead,
    {
        // Waiting for a permit counts against the deadline too.
        let work = async {
            let _permit = self.permits.acquire().await.map_err(|_| {
                clickhouse::error::Error::Custom("telemetry is shutting down".into())
            })?;
            let client = self.client().await?;
            stmt.query(&client).fetch_all::<T>().await
        };
        match tokio::time::timeout(self.deadline, work).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => {
                tracing::warn!(statement = stmt.name, error = %e, "telemetry query failed");
                // A failure may mean a different server now: learn its version again.
                *self.client.lock().await = None;
                Err(Failure::from_clickhouse(&e))
            }
            Err(_) => {
                tracing::warn!(statement = stmt.name, "telemetry query timed out");
                Err(Failure::new(
                    FailureKind::Timeout,
                    format!(
                        "ClickHouse did not answer within {} ms",
                        self.deadline.as_millis()
                    ),
                ))
            }
        }
    }
}
