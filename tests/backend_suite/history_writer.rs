//! The shard-history writer of a console against the real ClickHouse, in a database of the
//! test's own: expired day partitions go at the writer's first round, younger ones stay.

use std::time::{Duration, Instant};

use crate::common;

use shardscope::{Config, Console};

fn row(ts: u32) -> shardscope::history::sample::SampleRow {
    common::sample_row("retention-test", "e", ts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starting_console_drops_history_past_fourteen_days_and_keeps_the_rest() {
    let db = format!("test_retention_{}", std::process::id());
    let mut config = Config::from_env().expect("fleet env");
    let url = config
        .clickhouse_url
        .clone()
        .expect("ClickHouse configured");
    let server = shardscope::clickhouse_db::client(&url, "default", "").with_validation(false);
    shardscope::migrate::clickhouse(&server, &db).await.unwrap();
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let day = 86_400;
    let writer = shardscope::clickhouse_db::connect(&url, "default", "", &db)
        .await
        .unwrap();
    shardscope::demo::seed::insert_rows(
        &writer,
        "shard_samples",
        &[row(now - 16 * day), row(now - 12 * day)],
    )
    .await
    .unwrap();
    let count = |older: u32| {
        let server = server.clone();
        let db = db.clone();
        async move {
            server
                .query(&format!(
                    "SELECT count() FROM {db}.shard_samples WHERE ts < ? AND ts >= ?"
                ))
                .bind(now - older * day + day)
                .bind(now - older * day - day)
                .fetch_one::<u64>()
                .await
                .unwrap()
        }
    };
    assert_eq!((count(16).await, count(12).await), (1, 1));

    config.clickhouse_database = db.clone();
    let console = Console::new(config).unwrap();
    let _tasks = shardscope::tasks::start_history(&console);
    // Its writer's first round (a sample to insert, then retention) — no test calls retention.
    console
        .history_recorder()
        .expect("ClickHouse configured")
        .record_rows([row(now)]);
    let started = Instant::now();
    while count(16).await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the 16-day-old sample is still there 30 s after the console started"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(count(12).await, 1, "twelve days old: kept");
    let _ = server
        .query(&format!("DROP DATABASE IF EXISTS {db}"))
        .execute()
        .await;
}
