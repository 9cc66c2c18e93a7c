//! Two weeks of `shard_samples`, kept by dropping day partitions older than that (ClickHouse
//! 18.16 has no table TTL; both versions drop partitions the same way).

use crate::error::Result;

/// Days of samples kept (plus today's partition).
pub const KEEP_DAYS: u32 = 14;

/// The partitions of `shard_samples` older than [`KEEP_DAYS`], as ClickHouse names them
/// (`YYYYMMDD`, compared as text: same width, so text order is date order).
pub const EXPIRED_SQL: &str = "SELECT DISTINCT partition FROM system.parts \
     WHERE database = ? AND table = 'shard_samples' AND active \
       AND partition < toString(toYYYYMMDD(today() - ?)) ORDER BY partition";

/// A partition id as `DROP PARTITION` takes it: eight digits and nothing else (it is spliced, so
/// nothing else may pass).
pub fn droppable(partition: &str) -> Option<u32> {
    let p = partition.trim_matches('\'');
    (p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()))
        .then(|| p.parse().ok())
        .flatten()
}

/// The statement that drops one day's partition.
pub fn drop_sql(partition: u32) -> String {
    format!("ALTER TABLE shard_samples DROP PARTITION {partition}")
}

/// Drop every expired partition; returns the ones dropped.
#[tracing::instrument(skip_all, err)]
pub async fn run(writer: &clickhouse::Client, database: &str) -> Result<Vec<u32>> {
    let expired: Vec<String> = writer
        .clone()
        .with_validation(false)
        .query(EXPIRED_SQL)
        .bind(database)
        .bind(KEEP_DAYS)
        .fetch_all::<String>()
        .await?;
    let mut dropped = Vec::new();
    for p in expired.iter().filter_map(|p| droppable(p)) {
        writer.query(&drop_sql(p)).execute().await?;
        dropped.push(p);
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::droppable;

    #[test]
    fn only_a_day_partition_id_is_ever_spliced() {
        assert_eq!(droppable("20261120"), Some(20261120));
        assert_eq!(droppable("'20261120'"), Some(20261120));
        assert_eq!(droppable("2026112"), None);
        assert_eq!(droppable("20261120; DROP TABLE x"), None);
        assert_eq!(droppable("202611"), None);
    }
}
