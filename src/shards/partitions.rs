//! The platform's monthly `audit_log` partitions on one primary: this month's and next month's
//! must exist (`create_audit_log_partition()`, run monthly, makes next month's), nothing should
//! land in a default partition, and each partition's size. Read from the catalog and statistics
//! (`n_live_tup`, an estimate): no audit row is read.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Partition {
    pub name: String,
    /// `pg_get_expr(relpartbound)`: `FOR VALUES FROM (…) TO (…)` or `DEFAULT`.
    pub bound: String,
    pub bytes: i64,
    /// Estimated rows (`pg_stat_all_tables.n_live_tup`).
    pub rows_estimate: i64,
}

impl Partition {
    pub fn is_default(&self) -> bool {
        self.bound.trim() == "DEFAULT"
    }

    /// The `YYYY-MM-DD` start and end of a range partition.
    fn range(&self) -> Option<(&str, &str)> {
        let from = self.bound.split("FROM ('").nth(1)?.get(..10)?;
        let to = self.bound.split("TO ('").nth(1)?.get(..10)?;
        Some((from, to))
    }

    /// Whether rows of the month starting on `month_start` (`YYYY-MM-01`) land here.
    pub fn covers(&self, month_start: &str) -> bool {
        self.range()
            .is_some_and(|(from, to)| from <= month_start && month_start < to)
    }
}

/// A month whose partition is missing, with the statement that makes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingMonth {
    /// `YYYY-MM-01`.
    pub month_start: String,
    pub statement: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Partitions {
    /// False when the shard has no partitioned `audit_log` at all.
    pub table_exists: bool,
    pub partitions: Vec<Partition>,
    /// This month's and next month's, when missing.
    pub missing: Vec<MissingMonth>,
    /// Rows estimated in a default partition (they belong in a month's partition).
    pub default_rows: i64,
}

#[derive(sqlx::FromRow)]
struct Months {
    exists: bool,
    this_month: String,
    next_month: String,
    after_next: String,
}

#[tracing::instrument(skip_all)]
pub async fn read(pool: &PgPool) -> Result<Partitions, sqlx::Error> {
    // The months as the platform's function computes them (the database's CURRENT_DATE).
    let m: Months = sqlx::query_as(
        "SELECT to_regclass('public.audit_log') IS NOT NULL AS exists,
                date_trunc('month', CURRENT_DATE)::date::text AS this_month,
                (date_trunc('month', CURRENT_DATE) + interval '1 month')::date::text AS next_month,
                (date_trunc('month', CURRENT_DATE) + interval '2 months')::date::text AS after_next",
    )
    .fetch_one(pool)
    .await?;
    let partitions: Vec<Partition> = sqlx::query_as(
        "SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
                pg_total_relation_size(c.oid) AS bytes,
                coalesce(s.n_live_tup, 0)::int8 AS rows_estimate
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
          WHERE i.inhparent = to_regclass('public.audit_log')
          ORDER BY c.relname",
    )
    .fetch_all(pool)
    .await?;
    Ok(judge(m, partitions))
}

fn judge(m: Months, partitions: Vec<Partition>) -> Partitions {
    let mut missing = Vec::new();
    if m.exists {
        for (month, end) in [
            (&m.this_month, &m.next_month),
            (&m.next_month, &m.after_next),
        ] {
            if !partitions.iter().any(|p| p.covers(month)) {
                let statement = if *month == m.next_month {
                    "SELECT create_audit_log_partition();".to_string()
                } else {
                    let name = format!("audit_log_{}", month[..7].replace('-', "_"));
                    format!(
                        "CREATE TABLE {name} PARTITION OF audit_log FOR VALUES FROM ('{month}') TO ('{end}');"
                    )
                };
                missing.push(MissingMonth {
                    month_start: month.clone(),
                    statement,
                });
            }
        }
    }
    let default_rows = partitions
        .iter()
        .filter(|p| p.is_default())
        .map(|p| p.rows_estimate)
        .sum();
    Partitions {
        table_exists: m.exists,
        partitions,
        missing,
        default_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, from: &str, to: &str) -> Partition {
        Partition {
            name: name.into(),
            bound: format!("FOR VALUES FROM ('{from} 00:00:00+00') TO ('{to} 00:00:00+00')"),
            bytes: 8192,
            rows_estimate: 0,
        }
    }

    fn months() -> Months {
        Months {
            exists: true,
            this_month: "2026-12-01".into(),
            next_month: "2027-01-01".into(),
            after_next: "2027-02-01".into(),
        }
    }

    #[test]
    fn a_missing_month_says_which_statement_makes_it() {
        let both = judge(
            months(),
            vec![
                part("audit_log_2026_12", "2026-12-01", "2027-01-01"),
                part("audit_log_2027_01", "2027-01-01", "2027-02-01"),
            ],
        );
        assert_eq!(both.missing, vec![]);
        let no_next = judge(
            months(),
            vec![part("audit_log_2026_12", "2026-12-01", "2027-01-01")],
        );
        assert_eq!(
            no_next.missing,
            vec![MissingMonth {
                month_start: "2027-01-01".into(),
                statement: "SELECT create_audit_log_partition();".into()
            }]
        );
        let no_this = judge(
            months(),
            vec![part("audit_log_2027_01", "2027-01-01", "2027-02-01")],
        );
        assert_eq!(
            no_this.missing[0].statement,
            "CREATE TABLE audit_log_2026_12 PARTITION OF audit_log FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');"
        );
    }

    #[test]
    fn rows_in_a_default_partition_are_counted_and_a_wide_range_covers_its_months() {
        let mut default = part("audit_log_default", "", "");
        default.bound = "DEFAULT".into();
        default.rows_estimate = 42;
        let r = judge(
            months(),
            vec![default, part("audit_log_wide", "2026-01-01", "2028-01-01")],
        );
        assert_eq!((r.default_rows, r.missing.len()), (42, 0));
    }
}
