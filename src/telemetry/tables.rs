//! The telemetry pages' tables, one definition each: the page's header and cells, and its CSV and
//! JSON exports, come from these lists.

use super::pools::{ConnectionMath, PoolRow, SeriesRow};
use super::requests::{BucketStats, GroupStats, RequestStats};
use super::slow::{ShardStatements, SlowRow, StatementRow};
use super::sql::GroupBy;
use crate::federation::fanout::Outcome;
use crate::table::{Cell, Column, Kind, Table};

/// `/pools`' tables, in export order (the first is the default).
pub const POOLS: [&str; 3] = ["pools", "series", "connections"];
/// `/telemetry`'s tables.
pub const REQUESTS: [&str; 2] = ["groups", "series"];
/// `/telemetry/slow-queries`' tables.
pub const SLOW: [&str; 2] = ["queries", "statements"];

pub fn pools() -> Table<PoolRow> {
    use Kind::{Integer, Number, Text};
    Table::new(
        "pools",
        vec![
            Column::new("shard", "Shard", Text, |r: &PoolRow| (&r.shard_id).into()),
            Column::new("service", "Service", Text, |r: &PoolRow| {
                (&r.service).into()
            }),
            Column::new("instance", "Instance", Text, |r: &PoolRow| {
                (&r.instance).into()
            }),
            Column::new("acquired", "Acquired", Integer, |r: &PoolRow| {
                r.acquired.into()
            }),
            Column::new("idle", "Idle", Integer, |r: &PoolRow| r.idle.into()),
            Column::new("total", "Total", Integer, |r: &PoolRow| r.total.into()),
            Column::new("max", "Max", Integer, |r: &PoolRow| r.max_conns.into()),
            Column::new("waits", "Waits", Integer, |r: &PoolRow| r.waits.into()),
            Column::new("waits_per_minute", "Waits / min", Number, |r: &PoolRow| {
                r.waits_per_minute.into()
            }),
            Column::new("mean_wait_ms", "Mean wait", Number, |r: &PoolRow| {
                r.mean_wait_ms.into()
            }),
            Column::new("waiting_now", "Waiting now", Text, |r: &PoolRow| {
                r.waiting_now().into()
            }),
        ],
    )
}

pub fn pool_series() -> Table<SeriesRow> {
    Table::new(
        "series",
        vec![
            Column::new("shard", "Shard", Kind::Text, |s: &SeriesRow| {
                (&s.key).into()
            }),
            Column::new(
                "bucket_start",
                "Bucket start (UTC)",
                Kind::Time,
                |s: &SeriesRow| Cell::unix(s.bucket),
            ),
            Column::new(
                "waits_per_minute",
                "Waits per minute",
                Kind::Number,
                |s: &SeriesRow| s.value.into(),
            ),
        ],
    )
}

pub fn connections() -> Table<ConnectionMath> {
    use Kind::{Integer, Number, Text};
    Table::new(
        "connections",
        vec![
            Column::new("shard", "Shard", Text, |m: &ConnectionMath| {
                (&m.shard_id).into()
            }),
            Column::new(
                "services",
                "Services (instances seen, Σ their pool max)",
                Text,
                |m: &ConnectionMath| {
                    m.services
                        .iter()
                        .map(|(s, n, max)| format!("{s}: {n} instances (pool max sum {max})"))
                        .collect::<Vec<_>>()
                        .join("; ")
                        .into()
                },
            ),
            Column::new("reserve", "Reserve", Integer, |m: &ConnectionMath| {
                m.reserve.into()
            }),
            Column::new("needed", "Needed", Integer, |m: &ConnectionMath| {
                m.needed.into()
            }),
            Column::new(
                "max_connections",
                "max_connections",
                Integer,
                |m: &ConnectionMath| m.max_connections.as_ref().ok().copied().into(),
            ),
            Column::new("headroom", "Headroom", Integer, |m: &ConnectionMath| {
                m.headroom().into()
            }),
            Column::new(
                "headroom_percent",
                "Headroom %",
                Number,
                |m: &ConnectionMath| m.headroom_percent().into(),
            ),
            Column::new("status", "Status", Text, |m: &ConnectionMath| {
                m.fit().label().into()
            }),
        ],
    )
}

/// The group column's label on `/telemetry`.
pub fn group_label(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Org => "Organisation",
        GroupBy::Route => "Route",
        GroupBy::Shard => "Shard",
    }
}

fn stats_columns<R: 'static>(
    stats: fn(&R) -> &RequestStats,
    per_second: &'static str,
) -> Vec<Column<R>> {
    use Kind::{Integer, Number};
    vec![
        Column::new("requests", "Requests", Integer, move |r: &R| {
            stats(r).requests.into()
        }),
        Column::new("per_second", per_second, Number, move |r: &R| {
            stats(r).per_second.into()
        }),
        Column::new("p50_ms", "p50", Number, move |r: &R| stats(r).p50_ms.into()),
        Column::new("p95_ms", "p95", Number, move |r: &R| stats(r).p95_ms.into()),
        Column::new("p99_ms", "p99", Number, move |r: &R| stats(r).p99_ms.into()),
        Column::new("errors_5xx", "5xx", Integer, move |r: &R| {
            stats(r).errors.into()
        }),
        Column::new("error_percent", "5xx %", Number, move |r: &R| {
            stats(r).error_percent.into()
        }),
    ]
}

pub fn groups(g: GroupBy) -> Table<GroupStats> {
    let mut columns = vec![Column::new(
        g.param(),
        group_label(g),
        Kind::Text,
        |r: &GroupStats| (&r.key).into(),
    )];
    columns.extend(stats_columns(|r: &GroupStats| &r.stats, "Per second"));
    Table::new("groups", columns)
}

pub fn request_series(g: GroupBy) -> Table<BucketStats> {
    let mut columns = vec![
        Column::new(g.param(), group_label(g), Kind::Text, |r: &BucketStats| {
            (&r.key).into()
        }),
        Column::new(
            "bucket_start",
            "Bucket start (UTC)",
            Kind::Time,
            |r: &BucketStats| Cell::unix(r.bucket),
        ),
    ];
    columns.extend(stats_columns(|r: &BucketStats| &r.stats, "Requests / s"));
    Table::new("series", columns)
}

pub fn slow_queries() -> Table<SlowRow> {
    use Kind::{Integer, Number, Text, Time};
    Table::new(
        "queries",
        vec![
            Column::new(
                "query",
                "Statement (values stripped)",
                Text,
                |q: &SlowRow| (&q.normalized).into(),
            ),
            Column::new("calls", "Count", Integer, |q: &SlowRow| q.calls.into()),
            Column::new("p99_ms", "p99", Number, |q: &SlowRow| q.p99.into()),
            Column::new("max_ms", "Max", Number, |q: &SlowRow| q.max_ms.into()),
            Column::new("shards", "Shards", Text, |q: &SlowRow| {
                q.shards.join(", ").into()
            }),
            Column::new("orgs", "Orgs", Integer, |q: &SlowRow| q.orgs.into()),
            Column::new("last_seen", "Last seen (UTC)", Time, |q: &SlowRow| {
                Cell::unix(q.last_seen)
            }),
        ],
    )
}

/// One line of the statements export: a statement of a shard, or a shard that has none to show
/// (not installed, or no answer) with why.
pub struct StatementLine {
    pub shard: String,
    pub status: String,
    pub statement: Option<StatementRow>,
}

/// The page shows one table per shard under the shard's heading: `shard` and `status` are that
/// heading and its notice, not columns of the per-shard tables.
pub const STATEMENTS_GROUPED_BY: [&str; 2] = ["shard", "status"];

pub fn statement_lines(outcomes: &[Outcome<ShardStatements>]) -> Vec<StatementLine> {
    let mut lines = Vec::new();
    for o in outcomes {
        match &o.result {
            Ok(ShardStatements::Installed(rows)) => {
                lines.extend(rows.iter().map(|s| StatementLine {
                    shard: o.target.clone(),
                    status: "ok".into(),
                    statement: Some(s.clone()),
                }))
            }
            Ok(ShardStatements::Missing) => lines.push(StatementLine {
                shard: o.target.clone(),
                status: "pg_stat_statements not installed".into(),
                statement: None,
            }),
            Err(f) => lines.push(StatementLine {
                shard: o.target.clone(),
                status: format!("{}: {}", f.kind.label(), f.message),
                statement: None,
            }),
        }
    }
    lines
}

pub fn statements() -> Table<StatementLine> {
    use Kind::{Integer, Number, Text};
    fn stmt<T: Into<Cell>>(l: &StatementLine, f: impl Fn(&StatementRow) -> T) -> Cell {
        l.statement.as_ref().map(f).into()
    }
    Table::new(
        "statements",
        vec![
            Column::new("shard", "Shard", Text, |l: &StatementLine| {
                (&l.shard).into()
            }),
            Column::new("status", "Status", Text, |l: &StatementLine| {
                (&l.status).into()
            }),
            Column::new("query", "Statement", Text, |l: &StatementLine| {
                stmt(l, |s| s.query.clone())
            }),
            Column::new("calls", "Calls", Integer, |l: &StatementLine| {
                stmt(l, |s| s.calls)
            }),
            Column::new("total_ms", "Total", Number, |l: &StatementLine| {
                stmt(l, |s| s.total_ms)
            }),
            Column::new("mean_ms", "Mean", Number, |l: &StatementLine| {
                stmt(l, |s| s.mean_ms)
            }),
            Column::new("rows", "Rows", Integer, |l: &StatementLine| {
                stmt(l, |s| s.rows)
            }),
        ],
    )
    .grouped_by(&STATEMENTS_GROUPED_BY)
}
