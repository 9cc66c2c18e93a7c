//! The access audit when its stores fail, on the real routing DB and a really stopped ClickHouse.
//! A `fault_*` binary: run alone, one test at a time (it breaks servers other tests use).

use crate::common;

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
    let _export_app = shardscope::tasks::start_audit_export(&app.console);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wedged_clickhouse_holds_no_routing_connection_and_records_arrive_exactly_once() {
    use shardscope::auth::audit_export::{ExportTiming, ship_batch};
    let app = TestApp::new();
    let log = app.console.auth().audit.clone();
    let addr = format!("audit-wedged-{}", std::process::id());
    for i in 0..5 {
        log.record(&shardscope::auth::AuditEvent {
            detail: Default::default(),
            staff: None,
            action: shardscope::auth::AuditAction::SignInFailed,
            target: format!("test:{i}"),
            client_addr: addr.clone(),
        })
        .await
        .unwrap();
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM console.audit_events WHERE client_addr = $1 ORDER BY id",
    )
    .bind(&addr)
    .fetch_all(&owner_pool().await)
    .await
    .unwrap();
    let ch = common::clickhouse()
        .await
        .expect("ClickHouse before the fault");
    let resume = common::sigstop(&common::clickhouse_pid_file());

    // The insert is cut at its deadline; meanwhile no routing connection waits in a transaction.
    let wedged = ExportTiming {
        lease: Duration::from_secs(4),
        insert_deadline: Duration::from_secs(1),
    };
    let shipping = tokio::spawn({
        let (log, ch) = (log.clone(), ch.clone());
        async move { ship_batch(&log, &ch, wedged).await }
    });
    let mut idle_seen = Vec::new();
    while !shipping.is_finished() {
        let idle: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(query, '') FROM pg_stat_activity
              WHERE usename = 'shardscope_console' AND state LIKE 'idle in transaction%'",
        )
        .fetch_all(&owner_pool().await)
        .await
        .unwrap();
        idle_seen.extend(idle);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let outcome = tokio::time::timeout(Duration::from_secs(30), shipping)
        .await
        .expect("ship_batch returned (waited 30 s)")
        .unwrap();
    let e = outcome.expect_err("a wedged ClickHouse cannot take the batch");
    assert!(
        e.to_string()
            .contains("did not take the audit batch within 1000 ms"),
        "{e}"
    );
    assert!(
        idle_seen.is_empty(),
        "routing connections idle in transaction while ClickHouse was wedged: {idle_seen:?}"
    );
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM console.audit_events
          WHERE client_addr = $1 AND exported_at IS NULL AND export_lease_until > now()",
    )
    .bind(&addr)
    .fetch_one(&owner_pool().await)
    .await
    .unwrap();
    assert_eq!(
        waiting, 5,
        "the records wait, claimed until the lease runs out"
    );

    // ClickHouse resumes (and may now take the insert it had buffered); once the lease runs out
    // the batch is shipped again, skipping what already arrived.
    drop(resume);
    let started = Instant::now();
    loop {
        let last = match ship_batch(&log, &ch, ExportTiming::default()).await {
            Ok(n) => format!("shipped {n}"),
            Err(e) => e.to_string(),
        };
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM console.audit_events WHERE client_addr = $1 AND exported_at IS NULL",
        )
        .bind(&addr)
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{left} records still unshipped 60 s after ClickHouse resumed; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let counts: Vec<(u64, u64)> = ch
        .query(&format!(
            "SELECT console_record_id, count() FROM audit_events
              WHERE console_record_id IN ({list}) GROUP BY console_record_id ORDER BY console_record_id"
        ))
        .fetch_all()
        .await
        .unwrap();
    let want: Vec<(u64, u64)> = ids.iter().map(|i| (*i as u64, 1)).collect();
    assert_eq!(counts, want, "each record exactly once in ClickHouse");
}

#[tokio::test]
async fn a_lookup_an_opening_or_a_tenant_page_that_cannot_be_audited_is_not_shown() {
    use shardscope::demo::seed::{SEED, plan};
    let app = TestApp::new();
    let plan = plan(&common::fleet().shards, SEED);
    let (person, home) = plan
        .cross_links
        .iter()
        .map(|(_, p)| (*p, plan.home_of(*p).unwrap()))
        .find(|(p, _)| p % 97 != 0 && (p + 1) % 97 != 0)
        .expect("a linked person in the plan");
    let lookup = common::phone_lookup_form(person, &home.region);
    let open = format!(
        "op=open&person={person}&reason={}",
        common::enc("SUP-9917 audit outage")
    );
    // Signed in (and the pages shown) while the audit can still be written.
    let admin = app.session_as(Role::Superadmin).await;
    let found = app.post("/patients", Some(&admin), &lookup).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(
        found.body.contains(&format!("data-person=\"{person}\"")),
        "found while the audit works: {}",
        found.body
    );
    let tenant = format!("/tenants/{}", home.id);
    assert_eq!(app.get(&tenant, Some(&admin)).await.status, StatusCode::OK);

    sqlx::raw_sql("REVOKE INSERT ON console.audit_events FROM shardscope_console")
        .execute(&owner_pool().await)
        .await
        .unwrap();
    let restore = UndoRouting("GRANT INSERT ON console.audit_events TO shardscope_console");
    for (what, r) in [
        (
            "a lookup",
            app.post("/patients", Some(&admin), &lookup).await,
        ),
        (
            "an opening",
            app.post("/patients", Some(&admin), &open).await,
        ),
    ] {
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            r.body
        );
        assert!(
            r.body
                .contains("the access audit could not be written, so the result is not shown"),
            "{what}: {}",
            r.body
        );
        assert!(
            !r.body.contains(&format!("data-person=\"{person}\""))
                && !r.body.contains("Portable profile"),
            "{what}: nothing of the person is shown: {}",
            r.body
        );
        assert_eq!(r.headers["cache-control"], "no-store", "{what}");
    }
    let page = app.get(&tenant, Some(&admin)).await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("the access audit could not be written, so the tenant page is not shown"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-counts=\"rls\""),
        "none of the tenant's data: {}",
        page.body
    );
    drop(restore);
    let again = app.post("/patients", Some(&admin), &lookup).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "writable again: {}",
        again.body
    );
}
