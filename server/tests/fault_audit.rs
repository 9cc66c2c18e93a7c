//! The access audit when its stores fail, on the real routing DB and a really stopped ClickHouse.
//! A `fault_*` binary: run alone, one test at a time (it breaks servers other tests use).

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, fleet_cmd, new_account, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;

/// Runs SQL on the routing DB as its owner when dropped (restores a grant even on failure).
struct UndoRouting(&'static str);

impl Drop for UndoRouting {
    fn drop(&mut self) {
        let sql = self.0;
        common::block_on_own_runtime(async move {
            sqlx::raw_sql(sql)
                .execute(&owner_pool().await)
                .await
                .unwrap();
        });
    }
}

#[tokio::test]
async fn a_sign_in_that_cannot_be_audited_is_refused() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    sqlx::raw_sql("REVOKE INSERT ON console.audit_events FROM shardscope_console")
        .execute(&owner_pool().await)
        .await
        .unwrap();
    let restore = UndoRouting("GRANT INSERT ON console.audit_events TO shardscope_console");
    let r = app.sign_in(&email, &password).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(
        r.body.contains("access audit cannot be written"),
        "{}",
        r.body
    );
    // Whatever cookie came back is not a session.
    if let Some(cookie) = r.cookie() {
        assert_eq!(
            app.get("/", Some(&cookie)).await.status,
            StatusCode::SEE_OTHER
        );
    }
    drop(restore);
    assert_eq!(
        app.sign_in(&email, &password).await.status,
        StatusCode::SEE_OTHER,
        "with the audit writable again, the same sign-in succeeds"
    );
}

#[tokio::test]
async fn records_written_while_clickhouse_is_stopped_arrive_after_it_returns_exactly_once() {
    let app = TestApp::new();
    shardscope_server::cli::start_audit_export(&app.console);
    fleet_cmd(&["stop-clickhouse"]);
    struct Start;
    impl Drop for Start {
        fn drop(&mut self) {
            fleet_cmd(&["start-clickhouse"]);
        }
    }
    let start = Start;
    // Sign-ins (and their audit) go on while ClickHouse is down.
    let (email, password) = new_account(Role::Viewer).await;
    for _ in 0..3 {
        assert_eq!(
            app.sign_in(&email, &password).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let _ = app.sign_in(&email, "wrong-password-q").await;
    let written: i64 =
        sqlx::query_scalar("SELECT count(*) FROM console.audit_events WHERE client_addr = $1")
            .bind(&app.addr)
            .fetch_one(&owner_pool().await)
            .await
            .unwrap();
    assert_eq!(written, 4, "three sign-ins and a failure");
    // The exporter keeps trying; nothing is marked shipped while ClickHouse is away.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM console.audit_events WHERE client_addr = $1 AND exported_at IS NULL",
    )
    .bind(&app.addr)
    .fetch_one(&owner_pool().await)
    .await
    .unwrap();
    assert_eq!(waiting, written, "the records wait in the routing DB");

    drop(start);
    let started = Instant::now();
    loop {
        let last = match common::clickhouse_audit_rows(&app.addr).await {
            Ok(n) if n as i64 == written => break,
            other => format!("{other:?}"),
        };
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "records did not reach ClickHouse within 30 s of its return; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // And no more than once, after further export rounds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        common::clickhouse_audit_rows(&app.addr).await.unwrap() as i64,
        written
    );
}
