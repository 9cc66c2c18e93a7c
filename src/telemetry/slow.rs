//! `/telemetry/slow-queries`: the services' slow-query log (ClickHouse) grouped by statement text
//! with literals stripped, and, where a shard has `pg_stat_statements`, its own top statements by
//! total time, read live through the federation engine (one shard's failure is its own row).

use clickhouse::Row;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::filters::Filters;
use super::{Telemetry, sql};
use crate::federation::Engine;
use crate::federation::fanout::{Failure, FailureKind, Outcome, fan_out, timed};
use crate::federation::shard_list::ShardInfo;
use crate::partial::Partial;
use crate::time_range::TimeRange;

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

/// One group as ClickHouse returns it: the text with numbers replaced but quoted literals still in
/// (never shown: [`slow_top`] strips and merges before anything leaves this module).
#[derive(Clone, Debug, PartialEq, Row, Serialize, Deserialize)]
pub struct SlowGroup {
    pub normalized: String,
    pub calls: u64,
    pub p99: f64,
    pub max_ms: f64,
    pub shards: Vec<String>,
    pub org_ids: Vec<u64>,
    pub last_seen: u32,
}

/// The `n` statements with most slow calls, each text with every literal stripped
/// ([`strip_literals`]) and the groups that then read the same merged.
pub async fn slow_top(
    t: &Telemetry,
    range: &TimeRange,
    f: &Filters,
    n: u32,
) -> Partial<Vec<SlowRow>> {
    t.fetch::<SlowGroup>(&sql::slow_top(range, f, sql::SLOW_GROUPS_READ))
        .await
        .map(|groups| merge_stripped(&groups, n as usize))
}

/// Strips each group's text and merges groups with the same stripped text: calls add up, the
/// slowest call and the last seen are the largest, shards and orgs are the union. A merged p99 is
/// the largest of its groups' p99s (an upper bound: the groups' durations are not at hand).
/// Ordered by calls, most first, then text; the first `n`.
pub fn merge_stripped(groups: &[SlowGroup], n: usize) -> Vec<SlowRow> {
    let mut merged: Vec<(SlowRow, std::collections::BTreeSet<u64>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for g in groups {
        let text = strip_literals(&g.normalized);
        match index.get(&text) {
            Some(&i) => {
                let (row, orgs) = &mut merged[i];
                row.calls += g.calls;
                row.p99 = row.p99.max(g.p99);
                row.max_ms = row.max_ms.max(g.max_ms);
                row.last_seen = row.last_seen.max(g.last_seen);
                for s in &g.shards {
                    if !row.shards.contains(s) {
                        row.shards.push(s.clone());
                    }
                }
                row.shards.sort();
                orgs.extend(g.org_ids.iter().copied());
            }
            None => {
                index.insert(text.clone(), merged.len());
                merged.push((
                    SlowRow {
                        normalized: text,
                        calls: g.calls,
                        p99: g.p99,
                        max_ms: g.max_ms,
                        shards: g.shards.clone(),
                        orgs: 0,
                        last_seen: g.last_seen,
                    },
                    g.org_ids.iter().copied().collect(),
                ));
            }
        }
    }
    let mut rows: Vec<SlowRow> = merged
        .into_iter()
        .map(|(mut row, orgs)| {
            row.orgs = orgs.len() as u64;
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        b.calls
            .cmp(&a.calls)
            .then_with(|| a.normalized.cmp(&b.normalized))
    });
    rows.truncate(n);
    rows
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
            let key = crate::coalesce::Key::new("pg_stat_statements", format!("{id}\u{0}{n}"));
            let memo = console.memo().clone();
            let read =
                async move { Ok(timed(id, deadline, shard_statements(console, s, n)).await) };
            match memo.shared(key, move || read).await {
                Ok(o) => o.as_ref().clone(),
                Err(e) => Outcome {
                    target,
                    latency_ms: 0,
                    measured_at_ms: crate::clock::now_ms(),
                    result: Err(e),
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
/// of planned statements with `$n`; this covers utility statements it keeps verbatim, and every
/// text the services log). Whatever a literal holds may be PHI, so the text is read twice — as
/// PostgreSQL reads it with `standard_conforming_strings` on (a backslash is an ordinary character
/// in `'…'`) and off (it escapes the next one) — and whatever either reading calls a literal is
/// hidden; each run of hidden characters becomes one `?`. An unterminated literal hides the rest of
/// the text.
pub fn strip_literals(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let standard = literal_mask(&chars, false);
    let legacy = literal_mask(&chars, true);
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    for (i, &c) in chars.iter().enumerate() {
        if standard[i] || legacy[i] {
            if !in_literal {
                out.push('?');
            }
            in_literal = true;
        } else {
            in_literal = false;
            out.push(c);
        }
    }
    out
}

/// Which characters of `chars` belong to a literal (a quoted string, a dollar-quoted string or a
/// free-standing number); `backslash_in_plain`: whether `\` escapes inside a standard `'…'`.
fn literal_mask(chars: &[char], backslash_in_plain: bool) -> Vec<bool> {
    let mut mask = vec![false; chars.len()];
    let mut prev_word = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let escape_string = matches!(c, 'E' | 'e') && !prev_word && chars.get(i + 1) == Some(&'\'');
        let start = i;
        let end = if c == '-' && chars.get(i + 1) == Some(&'-') {
            // A line comment: hidden too (a service may write anything there).
            Some(
                (i..chars.len())
                    .find(|&k| chars[k] == '\n')
                    .unwrap_or(chars.len()),
            )
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            Some(skip_block_comment(chars, i + 2))
        } else if c == '"' {
            // A quoted identifier is kept as written; a quote inside it starts nothing.
            let mut j = i + 1;
            while j < chars.len() {
                if chars[j] == '"' && chars.get(j + 1) != Some(&'"') {
                    break;
                }
                j += if chars[j] == '"' { 2 } else { 1 };
            }
            prev_word = true;
            i = (j + 1).min(chars.len());
            continue;
        } else if c == '\'' || escape_string {
            let body = if escape_string { i + 2 } else { i + 1 };
            Some(skip_quoted(
                chars,
                body,
                escape_string || backslash_in_plain,
            ))
        } else if c == '$' && !prev_word {
            dollar_tag_end(chars, i).map(|tag_end| {
                let tag: Vec<char> = chars[i..=tag_end].to_vec();
                skip_dollar_quoted(chars, tag_end + 1, &tag)
            })
        } else if !prev_word
            && (c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            // A number in any form (42, 3.5, .5, 4e-10, 1_000, 0x1F): everything up to the
            // next character that cannot continue one (a letter run after it is hidden too).
            let mut j = i + 1;
            while let Some(&d) = chars.get(j) {
                let exponent_sign = matches!(d, '+' | '-') && matches!(chars[j - 1], 'e' | 'E');
                if !(d.is_alphanumeric() || d == '_' || d == '.' || exponent_sign) {
                    break;
                }
                j += 1;
            }
            Some(j)
        } else {
            None
        };
        match end {
            Some(end) => {
                mask[start..end].iter_mut().for_each(|m| *m = true);
                prev_word = false;
                i = end;
            }
            None => {
                prev_word = c.is_alphanumeric() || c == '_' || c == '$';
                i += 1;
            }
        }
    }
    mask
}

/// From just inside `/*`, the index after its closing `*/` (block comments nest in PostgreSQL).
fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 1;
    while i < chars.len() {
        if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    chars.len()
}

/// From just inside an opening quote, the index after its closing quote (`''` is a quote inside;
/// with `backslash_escapes` so is `\'`, and `\` escapes any character).
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

    /// Every way PostgreSQL writes a literal (sql-syntax-lexical.html): standard strings, with the
    /// backslash read both ways (standard_conforming_strings on and off), escape strings, Unicode,
    /// bit and hex strings, national strings, dollar quotes with and without a tag, adjacent
    /// string continuation, numbers of every form; comments are hidden too, quoted identifiers kept.
    #[test]
    fn every_quoting_form_postgresql_has_is_stripped() {
        for (sql, want) in [
            (
                "UPDATE patients SET note = $$Maria Lopez 555-0100$$ WHERE id = $1",
                "UPDATE patients SET note = ? WHERE id = $1",
            ),
            (
                "SELECT 1 WHERE email = $a$maria@example.org$a$",
                "SELECT ? WHERE email = ?",
            ),
            ("SELECT $q1$ Maria $$ Lopez $q1$", "SELECT ?"),
            (
                r"SELECT * FROM p WHERE n = E'O\'Brien 555-0100'",
                "SELECT * FROM p WHERE n = ?",
            ),
            (
                r"SELECT * FROM p WHERE n = e'Maria\\' AND x = 'Lopez'",
                "SELECT * FROM p WHERE n = ? AND x = ?",
            ),
            // standard_conforming_strings = off: '\'' is a quote inside the string.
            (
                r"SELECT * FROM p WHERE n = 'O\'Brien Maria'",
                "SELECT * FROM p WHERE n = ?",
            ),
            // ... and on: 'C:\' ends at the second quote; either way no name survives.
            (r"SELECT 'C:\' , 'Maria'", "SELECT ?"),
            ("SELECT 'it''s Maria'", "SELECT ?"),
            ("SELECT 'Maria'\n 'Lopez'", "SELECT ?\n ?"),
            ("SELECT U&'M\\0061ria' UESCAPE '!'", "SELECT U&? UESCAPE ?"),
            ("SELECT B'1010', X'1F', N'Maria'", "SELECT B?, X?, N?"),
            (
                "SELECT 42, 3.5, .001, 4e10, 4E-10, 1_000, 0x1F",
                "SELECT ?, ?, ?, ?, ?, ?, ?",
            ),
            ("SELECT t2.a FROM t2", "SELECT t2.a FROM t2"),
            (
                "SELECT 1 -- Maria Lopez called\nFROM t",
                "SELECT ? ?\nFROM t",
            ),
            ("SELECT /* Maria /* nested */ Lopez */ 1", "SELECT ? ?"),
            (
                r#"SELECT "it's" FROM "Maria's table""#,
                r#"SELECT "it's" FROM "Maria's table""#,
            ),
            ("SELECT 'unterminated Maria", "SELECT ?"),
            ("SELECT $$unterminated Maria", "SELECT ?"),
            ("SELECT E'unterminated \\' Maria", "SELECT ?"),
        ] {
            let got = strip_literals(sql);
            assert_eq!(got, want, "{sql}");
            for secret in ["Brien", "0100", "Lopez", "maria@"] {
                assert!(!got.contains(secret), "{sql} -> {got}");
            }
        }
    }

    fn group(text: &str, calls: u64, p99: f64, shard: &str, orgs: &[u64]) -> SlowGroup {
        SlowGroup {
            normalized: text.into(),
            calls,
            p99,
            max_ms: p99 + 1.0,
            shards: vec![shard.into()],
            org_ids: orgs.to_vec(),
            last_seen: calls as u32,
        }
    }

    #[test]
    fn groups_that_differ_only_in_a_literal_merge_into_one_row() {
        let rows = merge_stripped(
            &[
                group(
                    "SELECT 1 FROM p WHERE n = $$Maria$$",
                    3,
                    600.0,
                    "us-2",
                    &[7, 8],
                ),
                group("SELECT * FROM t WHERE a = ?", 4, 900.0, "us-1", &[7]),
                group(
                    "SELECT 1 FROM p WHERE n = E'Lopez'",
                    2,
                    800.0,
                    "us-1",
                    &[8, 9],
                ),
            ],
            10,
        );
        assert_eq!(rows.len(), 2, "{rows:?}");
        let merged = &rows[0];
        assert_eq!(merged.normalized, "SELECT ? FROM p WHERE n = ?");
        assert_eq!(merged.calls, 5);
        assert_eq!(merged.p99, 800.0);
        assert_eq!(merged.max_ms, 801.0);
        assert_eq!(merged.shards, vec!["us-1".to_string(), "us-2".to_string()]);
        assert_eq!(merged.orgs, 3, "orgs 7, 8, 9: 8 counted once");
        assert_eq!(merged.last_seen, 3);
        assert_eq!(rows[1].calls, 4);
        assert_eq!(
            merge_stripped(&[group("SELECT 1", 1, 1.0, "a", &[])], 0),
            vec![]
        );
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
