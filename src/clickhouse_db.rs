//! The console's one way to ClickHouse: where it is and who the console is there ([`Target`],
//! read once from the configuration), and a connection made on first use, kept, and made again
//! after a failure ([`Connection`]). The telemetry reader (`telemetry::Telemetry`: its deadline,
//! concurrency limit and memo on top), the history writer and the audit export all go through
//! them.
//!
//! The crate validates row types with `RowBinaryWithNamesAndTypes` by default, which ClickHouse
//! 18.16 (the only server available on the dev machines) lacks. Validation is switched on or off
//! from the server's version, read on connecting.

use crate::config::Config;
use crate::error::Result;
use crate::secret::Secret;

/// Where the console's ClickHouse is, and as whom it connects.
#[derive(Clone)]
pub struct Target {
    pub url: String,
    pub user: String,
    password: Secret,
    pub database: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// None when ClickHouse is not configured (`SHARDSCOPE_CLICKHOUSE_URL` unset).
    pub fn of(config: &Config) -> Option<Self> {
        Some(Self {
            url: config.clickhouse_url.clone()?,
            user: config.clickhouse_user.clone(),
            password: config.clickhouse_password.clone(),
            database: config.clickhouse_database.clone(),
        })
    }

    /// A client for this target, its database not yet chosen and its server's version not
    /// yet known (for statements that pick their own, and for [`server_major_version`]).
    pub fn base(&self) -> Client {
        client(&self.url, &self.user, self.password.expose())
    }

    /// A client for this server and database, validation chosen from the server's version.
    #[tracing::instrument(skip_all, fields(url = %self.url), err)]
    pub async fn connect(&self) -> Result<Client> {
        connect(
            &self.url,
            &self.user,
            self.password.expose(),
            &self.database,
        )
        .await
    }
}

/// A connection to a [`Target`] for a writer: made on first use, kept, and made again after
/// [`Connection::forget`] (ClickHouse may be down when the console starts, or restart, or be
/// another version afterwards).
pub struct Connection {
    target: Target,
    client: Option<Client>,
}

impl Connection {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            client: None,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The kept client, or a new one.
    pub async fn client(&mut self) -> Result<&Client> {
        let c = match self.client.take() {
            Some(c) => c,
            None => self.target.connect().await?,
        };
        Ok(self.client.insert(c))
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_some()
    }

    /// Drop the client after a failure: the next use connects again.
    pub fn forget(&mut self) {
        self.client = None;
    }
}

pub fn client(url: &str, user: &str, password: &str) -> clickhouse::Client {
    clickhouse::Client::default()
        .with_url(url)
        .with_user(user)
        .with_password(password)
}

/// The server's major version, e.g. 18 or 24.
#[tracing::instrument(skip_all, err)]
pub async fn server_major_version(client: &clickhouse::Client) -> Result<u32> {
    let version: String = client
        .clone()
        .with_validation(false)
        .query("SELECT version()")
        .fetch_one()
        .await?;
    Ok(version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0))
}

/// A client configured for this server: validation only where the server supports it (>= 24).
/// The client [`connect`] returns (named so callers need not depend on the `clickhouse` crate).
pub type Client = clickhouse::Client;

pub async fn connect(
    url: &str,
    user: &str,
    password: &str,
    database: &str,
) -> Result<clickhouse::Client> {
    let base = client(url, user, password);
    let major = server_major_version(&base).await?;
    Ok(base.with_validation(major >= 24).with_database(database))
}
