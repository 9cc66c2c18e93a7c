//! Every ClickHouse statement the telemetry pages send, built in one place so a test can render
//! each with sample parameters and run it on modern ClickHouse (chdb) as well as on the 18.16
//! server (`shardscope-server clickhouse-statements`, checked by `scripts/check_clickhouse_sql.py`).
//!
//! Written in the subset both accept: `?` binds (no server-side parameters), `intDiv` buckets (no
//! `toStartOfInterval`), arrays instead of window functions, explicit casts on every output column
//! (18.16 has no row validation, so types must match the Rust rows exactly). Aggregation happens in
//! ClickHouse: quantiles, buckets and counter deltas; Rust receives one row per series point.

use super::filters::Filters;
use crate::time_range::TimeRange;

/// A bound value (the crate escapes it).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    U32(u32),
    U64(u64),
    Str(String),
}

/// A statement and its arguments, in `?` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub name: &'static str,
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Statement {
    /// A query on `client` with the arguments bound.
    pub fn query(&self, client: &clickhouse::Client) -> clickhouse::query::Query {
        let mut q = client.query(&self.sql);
        for a in &self.args {
            q = match a {
                Arg::U32(v) => q.bind(*v),
                Arg::U64(v) => q.bind(*v),
                Arg::Str(v) => q.bind(v.as_str()),
            };
        }
        q
    }

    /// The SQL as sent, with arguments inlined (for the cross-version check and cache keys).
    pub fn rendered(&self) -> String {
        self.query(&clickhouse::Client::default())
            .sql_display()
            .to_string()
    }
}

/// How far before the range pool samples are read, so the first sample inside the range has a
/// predecessor to take its difference from (samples come every 15 s).
pub const POOL_LOOKBACK_SECS: u32 = 120;

/// `WHERE` conditions for the filters a table has, appended to `sql`.
fn filter_sql(sql: &mut String, args: &mut Vec<Arg>, f: &Filters, cols: &[&str]) {
    for col in cols {
        let value = match *col {
            "shard_id" => f.shard.clone().map(Arg::Str),
            "service" => f.service.clone().map(Arg::Str),
            "instance" => f.instance.clone().map(Arg::Str),
            "route" => f.route.clone().map(Arg::Str),
            "org_id" => f.org.map(Arg::U64),
            _ => None,
        };
        if let Some(v) = value {
            sql.push_str(&format!(" AND {col} = ?"));
            args.push(v);
        }
    }
}

const POOL_FILTERS: [&str; 3] = ["shard_id", "service", "instance"];

/// Per pool (shard, service, instance), every sample's increase of the cumulative wait counters.
/// A counter lower than the sample before it means the service restarted: the increase since the
/// restart is the counter itself, never a negative rate. Each sample is paired with the one before
/// it by shifting the sorted array (`pc`, `pd`): a lambda over several arrays stays linear, while
/// one that indexes a captured array (`c[i - 1]`) is copied per element, quadratic in memory
/// (16 GiB for a week of one pool's samples, as the telemetry benchmark found).
fn pool_deltas(r: &TimeRange, f: &Filters, args: &mut Vec<Arg>) -> String {
    let mut sql = String::from(
        "SELECT shard_id, service, instance, t, dw, dd FROM (\
         SELECT shard_id, service, instance, \
         arraySort(x -> x.1, groupArray((toUInt32(ts), wait_count, wait_duration_ms))) AS s, \
         arrayMap(x -> x.1, s) AS ts_a, arrayMap(x -> x.2, s) AS c, arrayMap(x -> x.3, s) AS d, \
         arrayPushFront(arrayPopBack(c), c[1]) AS pc, arrayPushFront(arrayPopBack(d), d[1]) AS pd, \
         arrayMap((x, p, y, q) -> if(x >= p AND y >= q, toUInt64(x - p), x), c, pc, d, pd) AS dc, \
         arrayMap((x, p, y, q) -> if(x >= p AND y >= q, toUInt64(y - q), y), c, pc, d, pd) AS ddur \
         FROM pool_stats WHERE ts >= toDateTime(?) AND ts < toDateTime(?)",
    );
    args.push(Arg::U32(r.from.saturating_sub(POOL_LOOKBACK_SECS)));
    args.push(Arg::U32(r.to));
    filter_sql(&mut sql, args, f, &POOL_FILTERS);
    sql.push_str(
        " GROUP BY shard_id, service, instance) \
         ARRAY JOIN ts_a AS t, dc AS dw, ddur AS dd WHERE t >= ?",
    );
    args.push(Arg::U32(r.from));
    sql
}

/// Latest gauges of every pool seen in the range.
pub fn pool_gauges(r: &TimeRange, f: &Filters) -> Statement {
    let mut args = vec![Arg::U32(r.from), Arg::U32(r.to)];
    let mut sql = String::from(
        "SELECT shard_id, service, instance, \
         toUInt32(argMax(acquired_conns, ts)) AS acquired, toUInt32(argMax(idle_conns, ts)) AS idle, \
         toUInt32(argMax(total_conns, ts)) AS total, toUInt32(argMax(max_conns, ts)) AS max_conns, \
         toUInt32(max(ts)) AS last_seen \
         FROM pool_stats WHERE ts >= toDateTime(?) AND ts < toDateTime(?)",
    );
    filter_sql(&mut sql, &mut args, f, &POOL_FILTERS);
    sql.push_str(" GROUP BY shard_id, service, instance");
    Statement {
        name: "pool_gauges",
        sql,
        args,
    }
}

/// Waits and wait time per pool over the range, and how many minutes in a row, up to the pool's
/// last sampled minute (`streak`) or up to the minute before it (`streak_before`, for when the last
/// minute is still in progress), saw at least one wait (the seed's alert: "> 0 for 1+ min").
pub fn pool_waits(r: &TimeRange, f: &Filters) -> Statement {
    let mut args = Vec::new();
    let deltas = pool_deltas(r, f, &mut args);
    let sql = format!(
        "SELECT shard_id, service, instance, waits, wait_ms, last_minute, \
         toUInt32(if(length(wm) = 0 OR wm[1] != last_minute, 0, if(idx = 0, length(wm), toUInt64(idx - 1)))) AS streak, \
         toUInt32(if(length(wm) = 0 OR wm[1] != prev_minute, 0, if(idx_prev = 0, length(wm), toUInt64(idx_prev - 1)))) AS streak_before \
         FROM (SELECT shard_id, service, instance, \
         toUInt64(sum(w)) AS waits, toUInt64(sum(wd)) AS wait_ms, toUInt32(max(m)) AS last_minute, \
         toUInt32(max(m) - 60) AS prev_minute, \
         arrayReverse(arraySort(groupArrayIf(m, w > 0))) AS wm, \
         arrayFirstIndex((x, i) -> x != last_minute - 60 * (i - 1), wm, arrayEnumerate(wm)) AS idx, \
         arrayFirstIndex((x, i) -> x != prev_minute - 60 * (i - 1), wm, arrayEnumerate(wm)) AS idx_prev \
         FROM (SELECT shard_id, service, instance, toUInt32(intDiv(t, 60) * 60) AS m, \
         sum(dw) AS w, sum(dd) AS wd FROM ({deltas}) GROUP BY shard_id, service, instance, m) \
         GROUP BY shard_id, service, instance)"
    );
    Statement {
        name: "pool_waits",
        sql,
        args,
    }
}

/// Waits per minute per shard (all its pools), one point per bucket.
pub fn pool_wait_series(r: &TimeRange, f: &Filters) -> Statement {
    let mut args = vec![Arg::U32(r.step), Arg::U32(r.step), Arg::U32(r.step)];
    let deltas = pool_deltas(r, f, &mut args);
    let sql = format!(
        "SELECT shard_id AS key, toUInt32(intDiv(t, ?) * ?) AS bucket, \
         toFloat64(sum(dw)) * 60 / ? AS value FROM ({deltas}) \
         GROUP BY key, bucket ORDER BY key, bucket"
    );
    Statement {
        name: "pool_wait_series",
        sql,
        args,
    }
}

/// Pools seen in the five minutes up to `now`, per shard and service: how many instances and the
/// sum of their pool maxima (the connection math's demand).
pub fn pool_demand(now: u32, f: &Filters) -> Statement {
    let mut args = vec![Arg::U32(now.saturating_sub(300)), Arg::U32(now)];
    let mut sql = String::from(
        "SELECT shard_id, service, toUInt32(count()) AS instances, toUInt64(sum(mx)) AS pool_max \
         FROM (SELECT shard_id, service, instance, argMax(max_conns, ts) AS mx FROM pool_stats \
         WHERE ts >= toDateTime(?) AND ts <= toDateTime(?)",
    );
    filter_sql(&mut sql, &mut args, f, &["shard_id"]);
    sql.push_str(
        " GROUP BY shard_id, service, instance) GROUP BY shard_id, service ORDER BY shard_id, service",
    );
    Statement {
        name: "pool_demand",
        sql,
        args,
    }
}

/// What `/telemetry` groups requests by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Shard,
    Org,
    Route,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Shard, GroupBy::Org, GroupBy::Route];

    pub fn param(self) -> &'static str {
        match self {
            GroupBy::Shard => "shard",
            GroupBy::Org => "org",
            GroupBy::Route => "route",
        }
    }

    fn expr(self) -> &'static str {
        match self {
            GroupBy::Shard => "shard_id",
            GroupBy::Org => "toString(org_id)",
            GroupBy::Route => "concat(method, ' ', route)",
        }
    }
}

/// Which groups `/telemetry` keeps: the busiest or the slowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopBy {
    Volume,
    P99,
}

impl TopBy {
    pub fn param(self) -> &'static str {
        match self {
            TopBy::Volume => "volume",
            TopBy::P99 => "p99",
        }
    }
}

const REQUEST_FILTERS: [&str; 4] = ["shard_id", "org_id", "route", "service"];

fn request_where(r: &TimeRange, f: &Filters, args: &mut Vec<Arg>) -> String {
    let mut sql =
        String::from(" FROM http_requests WHERE ts >= toDateTime(?) AND ts < toDateTime(?)");
    args.push(Arg::U32(r.from));
    args.push(Arg::U32(r.to));
    filter_sql(&mut sql, args, f, &REQUEST_FILTERS);
    sql
}

const REQUEST_AGGREGATES: &str = "toUInt64(count()) AS requests, \
     quantiles(0.5, 0.95, 0.99)(duration_ms) AS q, toUInt64(countIf(status >= 500)) AS errors";

/// The top `n` groups by volume or by p99, with their totals over the range.
pub fn request_top(r: &TimeRange, f: &Filters, group: GroupBy, by: TopBy, n: u32) -> Statement {
    let mut args = Vec::new();
    let from = request_where(r, f, &mut args);
    let order = match by {
        TopBy::Volume => "requests",
        TopBy::P99 => "arrayElement(q, 3)",
    };
    args.push(Arg::U32(n));
    Statement {
        name: "request_top",
        sql: format!(
            "SELECT {} AS key, {REQUEST_AGGREGATES}{from} GROUP BY key ORDER BY {order} DESC, key LIMIT ?",
            group.expr()
        ),
        args,
    }
}

/// The named groups per bucket.
pub fn request_series(r: &TimeRange, f: &Filters, group: GroupBy, keys: &[String]) -> Statement {
    let mut args = vec![Arg::U32(r.step), Arg::U32(r.step)];
    let from = request_where(r, f, &mut args);
    // `key IN (?, ?, …)`: three times cheaper than `has([…], key)` on 10 M rows (the telemetry benchmark).
    let placeholders = vec!["?"; keys.len().max(1)].join(", ");
    if keys.is_empty() {
        args.push(Arg::Str(String::new()));
    }
    args.extend(keys.iter().cloned().map(Arg::Str));
    let key = group.expr();
    Statement {
        name: "request_series",
        sql: format!(
            "SELECT {key} AS key, toUInt32(intDiv(toUInt32(ts), ?) * ?) AS bucket, {REQUEST_AGGREGATES}\
             {from} AND {key} IN ({placeholders}) GROUP BY key, bucket ORDER BY key, bucket"
        ),
        args,
    }
}

/// Every request in the range (and filters) as one row.
pub fn request_totals(r: &TimeRange, f: &Filters) -> Statement {
    let mut args = Vec::new();
    let from = request_where(r, f, &mut args);
    Statement {
        name: "request_totals",
        sql: format!("SELECT '' AS key, {REQUEST_AGGREGATES}{from}"),
        args,
    }
}

/// How many groups `slow_top` reads before the console strips their literals and merges them
/// (statements that differ only in a quoted value arrive as one group per value).
pub const SLOW_GROUPS_READ: u32 = 2000;

/// Slow queries grouped by their text with free-standing numbers replaced (so one statement with
/// different ids is one group), the `n` groups with most calls. Quoted literals are **not**
/// stripped here: ClickHouse's regular expressions cannot follow PostgreSQL's quoting (`E'…\'…'`,
/// `$tag$…$tag$`), so the console strips every text with [`super::slow::strip_literals`] and merges
/// the groups that then read the same (`slow::slow_top`). Org ids come as a list so merged groups
/// count distinct orgs exactly.
pub fn slow_top(r: &TimeRange, f: &Filters, n: u32) -> Statement {
    let mut args = vec![Arg::U32(r.from), Arg::U32(r.to)];
    let mut sql = String::from(
        "SELECT replaceRegexpAll(query, '\\\\b[0-9]+(\\\\.[0-9]+)??\\\\b', '??') AS normalized, \
         toUInt64(count()) AS calls, toFloat64(quantile(0.99)(duration_ms)) AS p99, \
         toFloat64(max(duration_ms)) AS max_ms, arraySort(groupUniqArray(shard_id)) AS shards, \
         arraySort(groupUniqArray(org_id)) AS org_ids, toUInt32(max(ts)) AS last_seen \
         FROM slow_queries WHERE ts >= toDateTime(?) AND ts < toDateTime(?)",
    );
    filter_sql(&mut sql, &mut args, f, &["shard_id", "org_id", "service"]);
    sql.push_str(" GROUP BY normalized ORDER BY calls DESC, normalized LIMIT ?");
    args.push(Arg::U32(n));
    Statement {
        name: "slow_top",
        sql,
        args,
    }
}

/// One (shard, org) count from ClickHouse.
#[derive(Clone, Debug, PartialEq, Eq, clickhouse::Row, serde::Serialize, serde::Deserialize)]
pub struct OrgLoadRow {
    pub shard_id: String,
    pub org_id: u64,
    pub n: u64,
}

/// Per (shard, org): how many rows of `table` (`http_requests` or `slow_queries`) in the range.
/// The placement page's noisy-neighbour list compares these shares with patient shares.
pub fn org_load(r: &TimeRange, table: OrgLoadTable) -> Statement {
    let (name, table) = match table {
        OrgLoadTable::Requests => ("org_requests", "http_requests"),
        OrgLoadTable::SlowQueries => ("org_slow_queries", "slow_queries"),
    };
    Statement {
        name,
        sql: format!(
            "SELECT toString(shard_id) AS shard_id, toUInt64(org_id) AS org_id, \
             toUInt64(count()) AS n FROM {table} WHERE ts >= toDateTime(?) AND ts < toDateTime(?) \
             GROUP BY shard_id, org_id ORDER BY shard_id, org_id"
        ),
        args: vec![Arg::U32(r.from), Arg::U32(r.to)],
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgLoadTable {
    Requests,
    SlowQueries,
}

/// Every statement, rendered with sample parameters: once with no filter and once with every
/// filter set, for each range preset's bucket size that changes the text.
pub fn catalog(now: u32) -> Vec<(String, String)> {
    let r = TimeRange::custom(now - 3600, now);
    let none = Filters::default();
    let all = Filters {
        shard: Some("us-1".into()),
        service: Some("core-api".into()),
        instance: Some("core-api-1".into()),
        org: Some(101),
        route: Some("/v1/appointments".into()),
    };
    let mut out = Vec::new();
    for (label, f) in [("all", &none), ("filtered", &all)] {
        let mut stmts = vec![
            pool_gauges(&r, f),
            pool_waits(&r, f),
            pool_wait_series(&r, f),
            pool_demand(now, f),
            request_totals(&r, f),
            slow_top(&r, f, 20),
        ];
        for g in GroupBy::ALL {
            for by in [TopBy::Volume, TopBy::P99] {
                stmts.push(request_top(&r, f, g, by, 10));
            }
            let keys: Vec<String> = match g {
                GroupBy::Shard => vec!["us-1".into(), "eu-1".into()],
                GroupBy::Org => vec!["101".into()],
                GroupBy::Route => vec!["GET /v1/appointments".into()],
            };
            stmts.push(request_series(&r, f, g, &keys));
        }
        if label == "all" {
            stmts.push(org_load(&r, OrgLoadTable::Requests));
            stmts.push(org_load(&r, OrgLoadTable::SlowQueries));
        }
        for s in stmts {
            out.push((format!("{}/{label}", s.name), s.rendered()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_bound() {
        for (name, sql) in catalog(1_790_000_000) {
            // A `?` left over would be an unbound argument; the literal `??` renders as `?`
            // inside the slow-query normaliser's quoted replacement only.
            let mut outside_strings = String::new();
            let (mut quoted, mut escaped) = (false, false);
            for c in sql.chars() {
                match (quoted, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (true, false, '\'') => quoted = false,
                    (true, false, _) => {}
                    (false, _, '\'') => quoted = true,
                    (false, _, c) => outside_strings.push(c),
                }
            }
            assert!(!outside_strings.contains('?'), "{name}: {sql}");
        }
    }

    #[test]
    fn filters_are_bound_not_spliced() {
        let f = Filters {
            shard: Some("us-1' OR 1=1 --".into()),
            ..Default::default()
        };
        let s = pool_gauges(&TimeRange::custom(0, 3600), &f);
        assert!(!s.sql.contains("OR 1=1"));
        assert!(
            s.rendered().contains("'us-1\\' OR 1=1 --'"),
            "{}",
            s.rendered()
        );
    }
}
