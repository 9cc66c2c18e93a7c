//! ClickHouse client construction.
//!
//! The crate validates row types with `RowBinaryWithNamesAndTypes` by default, which ClickHouse
//! 18.16 (the only server available on the dev machines) lacks. Validation is switched on or off
//! from the server's version, read once.

use crate::error::Result;

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
