//! `/telemetry/slow-queries`: the services' slow-query log (ClickHouse) grouped by statement text
//! with literals stripped, and, where a shard has `pg_stat_statements`, its own top statements by
//! total time, read live through the federation engine (one shard's failure is its own row).

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::filters::Filters;
use super::range::TimeRange;
use super::{Telemetry, Unavailable, sql};
use crate::federation::Engine;
use crate::federation::fanout::{Failure, FailureKind, Outcome, fan_out, timed};
use crate::federation::shard_list::ShardInfo;

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
    console: &impl super::Sources,
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
            let memo = console.memo().clone();
            let read =
                async move { Ok(timed(id, deadline, shard_statements(console, s, n)).await) };
            match memo.shared(key, move || read).await {
                Ok(o) => o.as_ref().clone(),
                Err(e) => Outcome {
                    target,
                    latency_ms: 0,
                    measured_at_ms: crate::clock::now_ms(),
                    result: Err(Failure::new(FailureKind::Query, e)),
                },
            }
        }
    })
    .await
}

#[tracing::instrument(skip_all, fields(shard = %shard.id))]
async fn shard_statements(
    console: impl Engine,
    shard: ShardInfo,
    n: i64,
) -> Result<ShardStatements, Failure> {
    let primary = shard.primary.as_ref().map_err(|e| {
        Failure::new(
            FailureKind::ShardUnknown,
            format!("bad primary endpoint: {e}"),
        )
    })?;
    crate::federation::pools::with_reconnect(console.pools(), primary, |pool| async move {
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

/// Quoted strings (standard `'…'`, escape strings `E'…\'…'`, dollar-quoted `$$…$$` and
/// `$tag$…$tag$`) and free-standing numbers become `?` (PostgreSQL already replaced the constants
/// of planned statements with `$n`; this covers utility statements it keeps verbatim). Whatever
/// a literal holds may be PHI; an unterminated one hides the rest of the text.
pub fn strip_literals(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut prev_word = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let escape_string = matches!(c, 'E' | 'e') && !prev_word && chars.get(i + 1) == Some(&'\'');
        if c == '\'' || escape_string {
            i = skip_quoted(
                &chars,
                if escape_string { i + 2 } else { i + 1 },
                escape_string,
            );
            out.push('?');
            prev_word = false;
            continue;
        }
        if c == '$'
            && !prev_word
            && let Some(tag_end) = dollar_tag_end(&chars, i)
        {
            let tag: Vec<char> = chars[i..=tag_end].to_vec();
            i = skip_dollar_quoted(&chars, tag_end + 1, &tag);
            out.push('?');
            prev_word = false;
            continue;
        }
        if c.is_ascii_digit() && !prev_word {
            while chars
                .get(i + 1)
                .is_some_and(|d| d.is_ascii_digit() || *d == '.')
            {
                i += 1;
            }
            out.push('?');
            prev_word = false;
        } else {
            prev_word = c.is_alphanumeric() || c == '_' || c == '$';
            out.push(c);
        }
        i += 1;
    }
    out
}

/// From just inside an opening quote, the index after its closing quote (`''` is a quote inside;
/// in an escape string so is `\'`, and `\` escapes any character).
fn skip_quoted(chars: &[char], mut i: usize, backslash_escapes: bool) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' if backslash_escapes => i += 2,
            '\'' if chars.get(i + 1) == Some(&'\'') => i += 2,
            '\'' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// If a dollar-quote tag (`$$` or `$name$`; not a parameter such as `$1`) starts at `i`, the
/// index of its closing `$`.
fn dollar_tag_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if chars.get(j).is_some_and(char::is_ascii_digit) {
        return None;
    }
    while let Some(&c) = chars.get(j) {
        if c == '$' {
            return Some(j);
        }
        if !(c.is_alphanumeric() || c == '_') {
            return None;
        }
        j += 1;
    }
    None
}

/// The index after the closing `tag`, searching from `i`.
fn skip_dollar_quoted(chars: &[char], i: usize, tag: &[char]) -> usize {
    (i..chars.len())
        .find(|&k| chars[k..].starts_with(tag))
        .map_or(chars.len(), |k| k + tag.len())
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

    #[test]
    fn escape_strings_and_dollar_quotes_are_literals_too() {
        for (sql, want) in [
            (
                r"SELECT 1 WHERE n = E'O\'Brien 555-0100'",
                "SELECT ? WHERE n = ?",
            ),
            (r"SELECT e'a\\' , 'b'", "SELECT ? , ?"),
            ("DO $$ BEGIN PERFORM 'Maria Lopez'; END $$", "DO ?"),
            ("SELECT $tag$ it's $$ Maria $tag$ FROM t", "SELECT ? FROM t"),
            (
                "SELECT $1, $2 FROM t WHERE x = $a$Lopez$a$",
                "SELECT $1, $2 FROM t WHERE x = ?",
            ),
            ("SELECT 'unterminated Maria", "SELECT ?"),
            ("SELECT $$unterminated Maria", "SELECT ?"),
            (
                "SELECT name FROM patients WHERE 'E' = kind",
                "SELECT name FROM patients WHERE ? = kind",
            ),
        ] {
            let got = strip_literals(sql);
            assert_eq!(got, want, "{sql}");
            for secret in ["Brien", "0100", "Maria", "Lopez"] {
                assert!(!got.contains(secret), "{sql} -> {got}");
            }
        }
    }

    proptest::proptest! {
        /// Whatever the text, nothing between quotes survives and nothing panics.
        #[test]
        fn no_quoted_text_survives(before in "[a-z =]{0,10}", secret in "[A-Za-z0-9 ]{1,20}") {
            for q in [format!("'{secret}'"), format!("E'{secret}'"), format!("$$ {secret}$$")] {
                let got = strip_literals(&format!("{before} {q} ;;"));
                proptest::prop_assert!(got.ends_with("? ;;"), "{got}");
                proptest::prop_assert!(!got.contains(&secret) || secret.trim().is_empty() || before.contains(&secret), "{got}");
            }
        }
    }
}
