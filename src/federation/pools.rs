//! One tiny, lazily created pool per endpoint, every connection read-only and time-limited.
//!
//! The console must never be the noisy neighbour: each primary or replica gets at most
//! `pool_max` connections (default 2), opened on first use and closed when idle; every connection
//! carries the console's application_name, a statement_timeout, an
//! idle_in_transaction_session_timeout and default_transaction_read_only, and uses TLS as
//! `SHARDSCOPE_SHARD_SSLMODE` says (rustls; `verify-full` checks the shard's certificate against
//! `SHARDSCOPE_SHARD_SSLROOTCERT` and its host name).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};

use crate::config::{EngineConfig, SslMode};
use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::{Failure, FailureKind};
use crate::secret::Secret;

#[derive(Clone)]
pub struct ShardPools {
    inner: Arc<Inner>,
}

struct Inner {
    user: String,
    password: Secret,
    engine: EngineConfig,
    pools: RwLock<HashMap<Endpoint, PgPool>>,
}

impl ShardPools {
    pub fn new(user: String, password: Secret, engine: EngineConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                user,
                password,
                engine,
                pools: RwLock::new(HashMap::new()),
            }),
        }
    }

    pub fn engine(&self) -> &EngineConfig {
        &self.inner.engine
    }

    /// The pool for an endpoint, created (without connecting) on first request.
    pub fn get(&self, endpoint: &Endpoint) -> PgPool {
        if let Some(pool) = self.read_pools().get(endpoint) {
            return pool.clone();
        }
        let mut pools = self.inner.pools.write().unwrap_or_else(|p| p.into_inner());
        pools
            .entry(endpoint.clone())
            .or_insert_with(|| self.build(endpoint))
            .clone()
    }

    /// The pool for an endpoint, after a plain TCP connect when it has no open connection.
    ///
    /// sqlx retries a refused connection until the acquire deadline ("the server may be starting
    /// up") and then reports only "pool timed out": a stopped shard would cost every viewer the
    /// whole deadline and be reported as a timeout. One TCP handshake (no bytes sent, so
    /// PostgreSQL logs nothing) tells "nothing listens there" at once, as what it is. Pools with
    /// an open connection skip it.
    #[tracing::instrument(skip(self), fields(endpoint = %endpoint))]
    pub async fn ready(&self, endpoint: &Endpoint) -> Result<PgPool, Failure> {
        let pool = self.get(endpoint);
        if pool.size() > 0 {
            return Ok(pool);
        }
        let connect = tokio::net::TcpStream::connect((endpoint.host.as_str(), endpoint.port));
        match tokio::time::timeout(self.inner.engine.shard_deadline, connect).await {
            Ok(Ok(_)) => Ok(pool),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(Failure::new(
                FailureKind::Refused,
                "the server is not accepting connections",
            )),
            Ok(Err(e)) => Err(Failure::from_sqlx(&sqlx::Error::Io(e))),
            Err(_) => Err(Failure::new(
                FailureKind::Timeout,
                "no TCP connection within the deadline",
            )),
        }
    }

    /// Forget the endpoint's pool (its connections died): the next [`ShardPools::get`] builds a
    /// new one. The old pool closes its connections once the last user drops it.
    pub fn reset(&self, endpoint: &Endpoint) {
        let old = self
            .inner
            .pools
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(endpoint);
        if let Some(pool) = old {
            // Not awaited: closing waits for checked-out connections to come back.
            drop(tokio::spawn(async move { pool.close().await }));
        }
    }

    /// How many pools exist (one per endpoint ever probed).
    pub fn len(&self) -> usize {
        self.read_pools().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read_pools(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Endpoint, PgPool>> {
        self.inner.pools.read().unwrap_or_else(|p| p.into_inner())
    }

    fn build(&self, endpoint: &Endpoint) -> PgPool {
        let e = &self.inner.engine;
        let statement_ms = e.statement_timeout.as_millis().to_string();
        let idle_tx_ms = (e.shard_deadline.as_millis() * 2).to_string();
        let options = PgConnectOptions::new()
            .host(&endpoint.host)
            .port(endpoint.port)
            .database(&endpoint.database)
            .username(&self.inner.user)
            .password(self.inner.password.expose())
            .application_name(&e.application_name)
            .ssl_mode(match e.shard_tls.mode {
                SslMode::Disable => PgSslMode::Disable,
                SslMode::Prefer => PgSslMode::Prefer,
                SslMode::Require => PgSslMode::Require,
                SslMode::VerifyCa => PgSslMode::VerifyCa,
                SslMode::VerifyFull => PgSslMode::VerifyFull,
            })
            .options([
                ("statement_timeout", statement_ms.as_str()),
                ("idle_in_transaction_session_timeout", idle_tx_ms.as_str()),
                ("default_transaction_read_only", "on"),
                ("lock_timeout", "500"),
            ]);
        let options = match &e.shard_tls.root_cert {
            Some(ca) => options.ssl_root_cert(ca),
            None => options,
        };
        PgPoolOptions::new()
            .max_connections(e.pool_max)
            .min_connections(0)
            .acquire_timeout(e.shard_deadline)
            .idle_timeout(e.pool_idle)
            .test_before_acquire(false)
            .connect_lazy_with(options)
    }
}

/// Run `query` on the endpoint's pool. If the connection it got had died since it was opened
/// (the server restarted or is stopping: PostgreSQL ends idle sessions with 57P01, or the socket is
/// gone), the endpoint's pool is replaced and the query tried once more on a new connection — so a
/// restart shows up as nothing at all, and a stop as "connection refused", never as a dead idle
/// connection's error.
pub async fn with_reconnect<T, F, Fut>(
    pools: &ShardPools,
    endpoint: &Endpoint,
    query: F,
) -> Result<T, Failure>
where
    F: Fn(PgPool) -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    match query(pools.ready(endpoint).await?).await {
        Ok(v) => Ok(v),
        Err(e) if dead_connection(&e) => {
            tracing::debug!("dead pooled connection: reconnecting once");
            pools.reset(endpoint);
            query(pools.ready(endpoint).await?)
                .await
                .map_err(|e| Failure::from_sqlx(&e))
        }
        Err(e) => Err(Failure::from_sqlx(&e)),
    }
}

/// A connection that died under the query (not an answer from a live server).
fn dead_connection(e: &sqlx::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        sqlx::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe
        ),
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03"))
        }
        // Another probe replaced this endpoint's pool meanwhile: the new one is there to use.
        sqlx::Error::PoolClosed => true,
        _ => false,
    }
}
