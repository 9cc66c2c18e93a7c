//! The telemetry pages with ClickHouse really stopped: every page still answers 200, says the
//! telemetry is unavailable and shows what does not need ClickHouse (each shard's
//! pg_stat_statements, the shard list); exports answer 503; and the pages recover, without a
//! restart, once ClickHouse is back. A `fault_*` binary: run alone, one test at a time.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestApp, fleet_cmd};
use http::StatusCode;
use shardscope::auth::Role;

/// Starts ClickHouse again when dropped, however the test ends.
struct RestartClickHouse;

impl Drop for RestartClickHouse {
    fn drop(&mut self) {
        fleet_cmd(&["start-clickhouse"]);
    }
}

#[tokio::test]
async fn pages_answer_without_clickhouse_and_recover_when_it_returns() {
    let app = TestApp::with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.telemetry.deadline = Duration::from_secs(2);
    });
    let cookie = app.session_as(Role::Viewer).await;
    let before = app.get("/pools", Some(&cookie)).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(
        !before.body.contains("unavailable:"),
        "ClickHouse answers before the fault"
    );

    let restart = RestartClickHouse;
    fleet_cmd(&["stop-clickhouse"]);
    let started = Instant::now();
    for path in ["/pools", "/telemetry", "/telemetry/slow-queries"] {
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{path} with ClickHouse stopped"
        );
        // The failure's kind, then its message (`partial::Failure`).
        assert!(
            page.body
                .contains("unavailable: connection refused: ClickHouse is unreachable."),
            "{path} says why: {}",
            page.body
        );
        assert!(
            page.body.contains("The rest of this page is current"),
            "{path}"
        );
    }
    // What does not need ClickHouse is still there: pg_stat_statements, read from the shards.
    let slow = app.get("/telemetry/slow-queries", Some(&cookie)).await;
    assert!(
        slow.body.contains(r#"data-pgss="installed""#),
        "shards still read live"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "each page within its deadline"
    );
    // A shard's page: its live values, and its history said to be unavailable.
    let shard = common::fleet().shards[0].id.clone();
    let page = app.get(&format!("/shards/{shard}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("data-history=\"unavailable\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("History unavailable: connection refused: ClickHouse is unreachable."),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-node=\"primary\""));
    assert!(
        !page.body.contains("data-failure="),
        "every node answers: {}",
        page.body
    );
    let svg = app
        .get(
            &format!("/shards/{shard}/chart.svg?metric=lag"),
            Some(&cookie),
        )
        .await;
    assert_eq!(svg.status, StatusCode::SERVICE_UNAVAILABLE);
    let csv = app.get("/pools?format=csv", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(csv.body.contains("telemetry unavailable"), "{}", csv.body);
    let svg = app.get("/charts/pools.svg", Some(&cookie)).await;
    assert_eq!(svg.status, StatusCode::SERVICE_UNAVAILABLE);

    drop(restart);
    // The same console (no restart) shows telemetry again once ClickHouse answers.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    loop {
        let page = app.get("/pools", Some(&cookie)).await;
        if page.status == StatusCode::OK && !page.body.contains("unavailable:") {
            break;
        }
        last = match page.body.find("unavailable:") {
            Some(i) => page.body[i..].chars().take(200).collect(),
            None => format!("status {}", page.status),
        };
        assert!(
            Instant::now() < deadline,
            "telemetry did not come back within 60 s: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = last;
}
