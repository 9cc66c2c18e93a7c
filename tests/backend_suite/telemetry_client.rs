//! The console's ClickHouse client as docs/architecture.md describes it, watched from ClickHouse
//! itself: every query carries `readonly=2` and the telemetry deadline as `max_execution_time`
//! (read back from `system.settings` inside the console's own query), a write is refused, at
//! most four queries of one console run at once and identical ones in flight run once (counted
//! in `system.processes` by a second client while they sleep).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shardscope::telemetry::Statement;
use shardscope::{Config, Console};

fn console(deadline: Duration, cache_ttl: Duration) -> Console {
    let mut config = Config::from_env().expect("fleet env");
    config.telemetry.deadline = deadline;
    config.engine.cache_ttl = cache_ttl;
    Console::new(config).unwrap()
}

/// The test's own client (the fleet's administrator, not read-only).
fn server() -> clickhouse::Client {
    let url = Config::from_env()
        .unwrap()
        .clickhouse_url
        .expect("ClickHouse configured");
    // Row validation needs RowBinaryWithNamesAndTypes, which ClickHouse 18.16 lacks.
    shardscope::clickhouse_db::client(&url, "default", "").with_validation(false)
}

fn statement(sql: String) -> Statement {
    Statement {
        name: "test",
        sql,
        args: vec![],
    }
}

#[derive(clickhouse::Row, serde::Deserialize, Debug, PartialEq)]
struct Setting {
    name: String,
    value: String,
}

#[tokio::test]
async fn every_query_is_read_only_under_the_deadline_and_a_write_is_refused() {
    let c = console(Duration::from_secs(7), Duration::ZERO);
    let settings = c
        .telemetry()
        .fetch::<Setting>(&statement(
            "SELECT name, value FROM system.settings
              WHERE name IN ('readonly', 'max_execution_time') ORDER BY name"
                .into(),
        ))
        .await
        .expect("the settings of the console's own query");
    assert_eq!(
        *settings,
        vec![
            Setting {
                name: "max_execution_time".into(),
                value: "7".into()
            },
            Setting {
                name: "readonly".into(),
                value: "2".into()
            },
        ],
        "what ClickHouse applied to the console's query"
    );

    let table = format!("console_write_probe_{}", std::process::id());
    server()
        .query(&format!(
            "CREATE TABLE IF NOT EXISTS default.{table} (a UInt8) ENGINE = Memory"
        ))
        .execute()
        .await
        .unwrap();
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Nothing {
        _a: u8,
    }
    for sql in [
        format!("INSERT INTO default.{table} VALUES (1)"),
        format!("CREATE TABLE default.{table}_2 (a UInt8) ENGINE = Memory"),
        format!("DROP TABLE default.{table}"),
    ] {
        let refused = c
            .telemetry()
            .fetch::<Nothing>(&statement(sql.clone()))
            .await;
        assert_eq!(
            refused.map(|_| ()).unwrap_err(),
            shardscope::partial::Failure::new(
                shardscope::partial::FailureKind::Query,
                "ClickHouse refused the query"
            ),
            "{sql}"
        );
    }
    let rows: u64 = server()
        .query(&format!("SELECT count() FROM default.{table}"))
        .fetch_one()
        .await
        .expect("the table is still there");
    let _ = server()
        .query(&format!("DROP TABLE IF EXISTS default.{table}"))
        .execute()
        .await;
    assert_eq!(rows, 0, "nothing was written");
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Slept {
    s: u8,
    m: String,
}

/// Samples `system.processes` every 50 ms while `work` runs: the query ids seen running whose
/// text holds `marker`, and the most seen at once.
async fn watch<F: std::future::Future<Output = ()>>(
    marker: &str,
    work: F,
) -> (BTreeSet<String>, usize) {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (done, marker) = (done.clone(), marker.to_string());
        tokio::spawn(async move {
            let (mut ids, mut most) = (BTreeSet::new(), 0);
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let now: Vec<String> = server()
                    .query(
                        "SELECT query_id FROM system.processes
                          WHERE position(query, ?) > 0 AND position(query, 'system.processes') = 0",
                    )
                    .bind(marker.as_str())
                    .fetch_all()
                    .await
                    .unwrap();
                most = most.max(now.len());
                ids.extend(now);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (ids, most)
        })
    };
    work.await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    sampler.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_four_telemetry_queries_of_a_console_run_at_once() {
    let c = console(Duration::from_secs(30), Duration::ZERO);
    let marker = format!("four-at-once-{}", std::process::id());
    let started = Instant::now();
    let (ids, most) = watch(&marker, async {
        let queries = (0..8).map(|i| {
            let stmt = statement(format!("SELECT sleep(1.5) AS s, '{marker}-{i}' AS m"));
            let t = c.telemetry().clone();
            async move { t.fetch::<Slept>(&stmt).await }
        });
        for (i, r) in futures::future::join_all(queries)
            .await
            .into_iter()
            .enumerate()
        {
            let rows = r.unwrap_or_else(|e| panic!("query {i}: {e}"));
            assert_eq!(
                (rows[0].s, rows[0].m.as_str()),
                (0, format!("{marker}-{i}").as_str())
            );
        }
    })
    .await;
    assert_eq!(ids.len(), 8, "every distinct query ran once: {ids:?}");
    assert_eq!(
        most,
        4,
        "at most four at once (and the burst did reach four); 8 × 1.5 s took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_telemetry_queries_in_flight_run_once_and_are_shared_for_the_ttl() {
    let c = console(Duration::from_secs(30), Duration::from_secs(60));
    let marker = format!("coalesced-{}", std::process::id());
    let stmt = statement(format!("SELECT sleep(1.5) AS s, '{marker}' AS m"));
    let (ids, most) = watch(&marker, async {
        let viewers = (0..8).map(|_| {
            let (t, stmt) = (c.telemetry().clone(), stmt.clone());
            async move { t.fetch::<Slept>(&stmt).await }
        });
        let answers = futures::future::join_all(viewers).await;
        let first = answers[0].as_ref().expect("the shared answer").clone();
        for a in &answers {
            assert!(
                Arc::ptr_eq(a.as_ref().unwrap(), &first),
                "one result, shared"
            );
        }
        // Asked again within the TTL: the same result, no query.
        let again = c.telemetry().fetch::<Slept>(&stmt).await.unwrap();
        assert!(Arc::ptr_eq(&again, &first), "the cached result");
    })
    .await;
    assert_eq!(
        (ids.len(), most),
        (1, 1),
        "eight viewers and a ninth within the TTL cost one query: {ids:?}"
    );
}
