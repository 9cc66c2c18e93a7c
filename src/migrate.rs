//! Schema migrations: sqlx migrators for the routing DB and every shard, and the ClickHouse DDL.

use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::error::Result;

pub static ROUTING: Migrator = sqlx::migrate!("./migrations/routing");
pub static SHARD: Migrator = sqlx::migrate!("./migrations/shard");

const CLICKHOUSE_DDL: &str = concat!(
    include_str!("../migrations/clickhouse/0001_telemetry.sql"),
    "\n",
    include_str!("../migrations/clickhouse/0002_shard_samples.sql"),
);

#[tracing::instrument(skip_all, err)]
pub async fn routing(pool: &PgPool) -> Result<()> {
    ROUTING.run(pool).await?;
    Ok(())
}

#[tracing::instrument(skip_all, err)]
pub async fn shard(pool: &PgPool) -> Result<()> {
    SHARD.run(pool).await?;
    Ok(())
}

/// The ClickHouse statements, comments stripped, one per entry.
pub fn clickhouse_statements() -> Vec<String> {
    let without_comments: String = CLICKHOUSE_DDL
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Create the telemetry database and its tables (every statement is idempotent).
#[tracing::instrument(skip_all, err)]
pub async fn clickhouse(server: &clickhouse::Client, database: &str) -> Result<()> {
    if !database
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(crate::error::Error::Config(format!(
            "bad ClickHouse database name {database:?}"
        )));
    }
    server
        .query(&format!("CREATE DATABASE IF NOT EXISTS {database}"))
        .execute()
        .await?;
    let db = server.clone().with_database(database);
    for statement in clickhouse_statements() {
        db.query(&statement).execute().await?;
    }
    // Tables created before a column existed get it (`ADD COLUMN IF NOT EXISTS` is not in 18.16).
    // Validation off: it needs a format 18.16 lacks (and a plain String column needs none).
    let present: Vec<String> = db
        .clone()
        .with_validation(false)
        .query("SELECT name FROM system.columns WHERE database = ? AND table = 'audit_events'")
        .bind(database)
        .fetch_all::<String>()
        .await?;
    for (name, kind) in CLICKHOUSE_AUDIT_COLUMNS {
        if !present.iter().any(|p| p == name) {
            db.query(&format!(
                "ALTER TABLE audit_events ADD COLUMN {name} {kind}"
            ))
            .execute()
            .await?;
        }
    }
    Ok(())
}

/// Columns `audit_events` gained after its first release (name, type).
pub const CLICKHOUSE_AUDIT_COLUMNS: &[(&str, &str)] = &[
    ("reason", "String"),
    ("subject", "String"),
    ("result_count", "UInt32"),
    ("shards", "Array(String)"),
    // The console's `console.audit_events.id` (0 for the platform's own rows): lets a retried
    // export skip what an attempt of unknown outcome already delivered.
    ("console_record_id", "UInt64"),
];

pub type Pool = PgPool;

/// A small pool for running migrations as the database owner.
pub async fn connect(url: &str) -> Result<PgPool> {
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clickhouse_ddl_splits_into_the_five_tables() {
        let s = super::clickhouse_statements();
        assert_eq!(s.len(), 5);
        for t in [
            "http_requests",
            "pool_stats",
            "slow_queries",
            "audit_events",
            "shard_samples",
        ] {
            assert!(s.iter().any(|q| q.contains(&format!("EXISTS {t} "))), "{t}");
        }
    }
}
