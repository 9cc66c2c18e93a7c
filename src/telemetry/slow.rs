//! `/telemetry/slow-queries`: the services' slow-query log (ClickHouse) grouped by statement text
//! with literals stripped, and, where a shard has `pg_stat_statements`, its own top statements by
//! total time, read live through the federation engine (one shard's failure is its own row).

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::filters::Filters;
use super::range::TimeRange;
use super::{Telemetry, Unavailable, sql};
use crate::federation::Console;
use crate::federation::fanout::{Failure, FailureKind, Outcome, fan_out, timed};
use crate::routing::ShardInfo;

#[derive(Clone, Debug, PartialEq, Row, Serialize, Deserialize)]
pub struct SlowRow {
    pub normalized: String,
    pub calls: u64,
    pub p99: f64,
    pub max_ms: f64,
    pub shards: Vec<String>,
    pub orgs: u64,
    pub last_seen: u32,
}

pub async fn slow_top(
    t: &Telemetry,
    range: &TimeRange,
    f: &Filters,
    n: u32,
) -> Result<Vec<SlowRow>, Unavailable> {
    t.fetch::<SlowRow>(&sql::slow_top(range, f, n))
        .await
        .map(|r| r.as_ref().clone())
}

/// One statement from a shard's `pg_stat_statements` (text normalised by PostgreSQL: constants
/// are `$n`; we also strip any literal left in utility statements and cut it to 300 characters).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StatementRow {
    pub query: String,
    pub calls: i64,
    pub total_ms: f64,
    pub mean_ms: f64,
    pub rows: i64,
}

/// A shard's answer: its top statements, or that the extension is not installed there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShardStatements {
    Installed(Vec<StatementRow>),
    Missing,
}

/// Every shard's (or the filtered shard's) `pg_stat_statements` top `n` by total time, each under
/// the shard deadline; shared for the cache TTL and coalesced, so viewers of the page cost each
/// primary at most two small queries per TTL.
pub async fn statements(
    console: &Console,
    shards: Vec<ShardInfo>,
    n: i64,
) -> Vec<Outcome<ShardStatements>> {
    let deadline = console.config().engine.shard_deadline;
    let concurrency = console.config().engine.concurrency;
    fan_out(shards, concurrency, |s| {
        let console = console.clone();
        async move {
            let id = s.id.clone();
            let target = id.clone();
            let key = format!("pg_stat_statements\u{0}{id}\u{0}{n}");
            let t = console.telemetry().clone();
            let read =
                async move { Ok(timed(id, deadline, shard_statements(console, s, n)).await) };
            match t.shared(key, move || read).await {
                Ok(o) => o.as_ref().clone(),
                Err(e) => Outcome {
                    target,
                    latency_ms: 0,
                    measured_at_ms: crate::federation::fanout::now_ms(),
                    result: Err(Failure::new(FailureKind::Query, e.0)),
                },
            }
        }
    })
    .await
}

#[tracing::instrument(skip_all, fields(shard = %shard.id))]
async fn shard_statements(
    console: Console,
    shard: ShardInfo,
    n: i64,
) -> Result<ShardStatements, Failure> {
    let primary = shard.primary.as_ref().map_err(|e| {
        Failure::new(
            FailureKind::ShardUnknown,
            format!("bad primary endpoint: {e}"),
        )
    })?;
    crate::overview::probe::with_reconnect(console.pools(), primary, |pool| async move {
        read_statements(&pool, n).await
    })
    .await
}

async fn read_statements(pool: &PgPool, n: i64) -> Result<ShardStatements, sqlx::Error> {
    let installed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements')",
    )
    .fetch_one(pool)
    .await?;
    if !installed {
        return Ok(ShardStatements::Missing);
    }
    let mut rows: Vec<StatementRow> = sqlx::query_as(
        "SELECT left(query, 300) AS query, calls, total_exec_time AS total_ms,
                mean_exec_time AS mean_ms, rows
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY total_exec_time DESC LIMIT $1",
    )
    .bind(n)
    .fetch_all(pool)
    .await?;
    for r in &mut rows {
        r.query = strip_literals(&r.query);
    }
    Ok(ShardStatements::Installed(rows))
}

/// Quoted strings and free-standing numbers become `?` (PostgreSQL already replaced the constants
/// of planned statements with `$n`; this covers utility statements it keeps verbatim).
pub fn strip_literals(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut prev_word = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Skip to the closing quote ('' is an escaped quote inside).
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    Some('\'') | None => break,
                    Some(_) => {}
                }
            }
            out.push('?');
            prev_word = false;
        } else if c.is_ascii_digit() && !prev_word {
            while chars
                .peek()
                .is_some_and(|d| d.is_ascii_digit() || *d == '.')
            {
                chars.next();
            }
            out.push('?');
            prev_word = false;
        } else {
            prev_word = c.is_alphanumeric() || c == '_' || c == '$';
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_stripped_identifiers_kept() {
        assert_eq!(
            strip_literals("SELECT * FROM t2 WHERE a = 42 AND b = 'it''s' AND c = $1 AND d > 1.5"),
            "SELECT * FROM t2 WHERE a = ? AND b = ? AND c = $1 AND d > ?"
        );
    }
}
