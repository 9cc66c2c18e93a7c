//! Every statement the console and its demo tools send to ClickHouse, rendered with sample
//! parameters: the migrations, each panel's query (with and without filters), the seeder's check
//! and the columns each insert names. `shardscope-server clickhouse-statements` prints it as JSON
//! and `scripts/check_clickhouse_sql.py` runs it on modern ClickHouse (chdb) and on the server
//! here (18.16), failing on any error, so a statement only one version accepts cannot slip in.

use serde::Serialize;

use crate::telemetry::rows::{HttpRequest, PoolStat, SlowQuery};

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub name: String,
    /// `ddl` entries are run first, in order, to build the schema; `query` entries after.
    pub kind: &'static str,
    pub sql: String,
    /// For a panel query: the column names of the Rust row it is read into, in order (modern
    /// servers check them; the checker compares the result's names with these).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub columns: &'static [&'static str],
}

/// The row type each panel statement is read into.
fn row_columns(name: &str) -> &'static [&'static str] {
    use crate::telemetry::pools::{DemandRow, GaugeRow, SeriesRow, WaitRow};
    use crate::telemetry::requests::{RequestBucketRow, RequestRow};
    use crate::telemetry::slow::SlowGroup;
    match name.split('/').next().unwrap_or("") {
        "pool_gauges" => columns::<GaugeRow>(),
        "pool_waits" => columns::<WaitRow>(),
        "pool_wait_series" => columns::<SeriesRow>(),
        "pool_demand" => columns::<DemandRow>(),
        "request_top" | "request_totals" => columns::<RequestRow>(),
        "request_series" => columns::<RequestBucketRow>(),
        "slow_top" => columns::<SlowGroup>(),
        "org_requests" | "org_slow_queries" => columns::<crate::telemetry::sql::OrgLoadRow>(),
        _ => &[],
    }
}

fn columns<R: clickhouse::Row>() -> &'static [&'static str] {
    R::COLUMN_NAMES
}

pub fn entries(now: u32) -> Vec<Entry> {
    let mut out: Vec<Entry> = crate::migrate::clickhouse_statements()
        .into_iter()
        .enumerate()
        .map(|(i, sql)| Entry {
            name: format!("migration/{i}"),
            kind: "ddl",
            sql,
            columns: &[],
        })
        .collect();
    out.extend(
        crate::telemetry::sql::catalog(now)
            .into_iter()
            .map(|(name, sql)| Entry {
                columns: row_columns(&name),
                name,
                kind: "query",
                sql,
            }),
    );
    let hour =
        crate::time_range::TimeRange::parse(Some("1h"), None, None, now).expect("the 1h preset");
    out.push(Entry {
        name: "shard_history/all".into(),
        kind: "query",
        sql: crate::history::series::statement("us-1", &hour).rendered(),
        columns: columns::<crate::history::series::SeriesRow>(),
    });
    out.push(Entry {
        name: "history/expired_partitions".into(),
        kind: "query",
        sql: crate::telemetry::sql::Statement {
            name: "expired_partitions",
            sql: crate::history::retention::EXPIRED_SQL.into(),
            args: vec![
                crate::telemetry::sql::Arg::Str("telemetry".into()),
                crate::telemetry::sql::Arg::U32(crate::history::retention::KEEP_DAYS),
            ],
        }
        .rendered(),
        columns: &[],
    });
    out.push(Entry {
        name: "history/drop_partition".into(),
        kind: "query",
        sql: crate::history::retention::drop_sql(20_000_101),
        columns: &[],
    });
    out.push(Entry {
        name: "seed/backfilled".into(),
        kind: "query",
        sql: "SELECT count() FROM http_requests".into(),
        columns: &[],
    });
    out.push(Entry {
        name: "audit/already_delivered".into(),
        kind: "query",
        sql: crate::auth::audit_export::already_delivered_sql(&[1, 2, 3]),
        columns: &[],
    });
    out.push(Entry {
        name: "audit/delete_plain_subjects".into(),
        kind: "query",
        sql: crate::auth::audit_rekey::CLICKHOUSE_DELETE_PLAIN.into(),
        columns: &[],
    });
    let inserts: [(&str, &[&str]); 5] = [
        ("http_requests", columns::<HttpRequest>()),
        ("pool_stats", columns::<PoolStat>()),
        ("slow_queries", columns::<SlowQuery>()),
        ("audit_events", crate::auth::audit_export::insert_columns()),
        (
            "shard_samples",
            columns::<crate::history::sample::SampleRow>(),
        ),
    ];
    for (table, cols) in inserts {
        out.push(Entry {
            name: format!("insert/{table}"),
            kind: "query",
            sql: format!("SELECT {} FROM {table} WHERE 0", cols.join(", ")),
            columns: cols,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalog_has_schema_first_then_every_panel() {
        let e = super::entries(1_790_000_000);
        let first_query = e.iter().position(|e| e.kind == "query").unwrap();
        assert!(e[..first_query].iter().all(|e| e.kind == "ddl"));
        assert!(e[first_query..].iter().all(|e| e.kind == "query"));
        for name in [
            "pool_waits/filtered",
            "request_series/all",
            "slow_top/all",
            "insert/audit_events",
        ] {
            assert!(e.iter().any(|x| x.name == name), "{name}");
        }
    }
}
