//! README guarantees about headers, sessions, sign-in and the audit, asserted through the real
//! router against the real routing DB, Redis and ClickHouse.

mod common;

use std::time::{Duration, Instant};

use common::{TestApp, audit_of, enc, new_account, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;

#[tokio::test]
async fn pages_are_no_store_and_unframeable_static_assets_are_cacheable() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    for path in ["/", "/login", "/charts/balance.svg"] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert!(
            !r.headers.contains_key("strict-transport-security"),
            "{path}: no HSTS over plain http"
        );
    }
    let css = app.get("/pkg/shardscope.css", None).await;
    assert_eq!(css.status, StatusCode::OK, "the stylesheet is served");
    assert_eq!(css.headers["x-frame-options"], "DENY");
    assert_ne!(
        css.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "static assets may be cached"
    );
}

#[tokio::test]
async fn an_https_origin_brings_hsts_and_a_secure_host_only_cookie() {
    let app = TestApp::with(|c| c.auth.public_origin = Some("https://console.test".into()));
    let (email, password) = new_account(Role::Viewer).await;
    let form = format!("email={}&password={}&next=%2F", enc(&email), enc(&password));
    let r = app
        .send(
            http::Request::post("/login")
                .header("origin", "https://console.test")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(form))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("__Host-shardscope="), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Domain="), "host-only: {set_cookie}");
    let hsts = r.headers["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");
    // The request's own Host is no longer enough once a public origin is configured.
    let r = app
        .send(
            http::Request::post("/login")
                .header("origin", "http://console.test")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("email=a%40b.c&password=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn a_cross_site_sign_in_post_is_refused_before_any_password_check() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    let form = format!("email={}&password={}", enc(&email), enc(&password));
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let mut b = http::Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        let r = app
            .send(b.body(axum::body::Body::from(form.clone())).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "origin {origin:?}");
        assert!(r.cookie().is_none(), "no session for a cross-site sign-in");
    }
    assert!(
        audit_of(&email, &app.addr).await.is_empty(),
        "refused before the account was even looked at"
    );
}

#[tokio::test]
async fn an_undecodable_server_function_body_is_a_400_that_names_the_problem() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let r = app
        .send(
            http::Request::post("/api/audit")
                .header("origin", common::ORIGIN)
                .header("cookie", &admin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("query[before]=%ZZ&query=[[["))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(!r.body.is_empty(), "the 400 says what was wrong");
}

#[tokio::test]
async fn a_sign_in_waits_at_most_five_seconds_for_a_hashing_slot_then_answers_503() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    let slots = app.console.auth().hashing.clone();
    let busy = slots.available_permits() as u32;
    let held = slots.clone().acquire_many_owned(busy).await.unwrap();
    let started = Instant::now();
    let r = app.sign_in(&email, &password).await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(
        took >= Duration::from_millis(4900) && took < Duration::from_secs(15),
        "waited for a slot, then gave up: {took:?}"
    );
    assert!(r.cookie().is_none());
    drop(held);
    assert_eq!(
        app.sign_in(&email, &password).await.status,
        StatusCode::SEE_OTHER,
        "with a free slot the same sign-in succeeds"
    );
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_accounts_failure_count() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    for _ in 0..4 {
        assert_eq!(
            app.sign_in(&email, "wrong-password-x").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.sign_in(&email, &password).await.status,
        StatusCode::SEE_OTHER
    );
    // Cleared: five more failures are checked (without the reset the second would be refused).
    for i in 0..5 {
        assert_eq!(
            app.sign_in(&email, "wrong-password-y").await.status,
            StatusCode::UNAUTHORIZED,
            "failure {} after the success",
            i + 1
        );
    }
    assert_eq!(
        app.sign_in(&email, &password).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "and the limit still holds"
    );
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request_after_the_account_cache() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    let cookie = app.session(&email, &password).await;
    assert_eq!(
        app.get("/audit", Some(&cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    shardscope::auth::accounts::admin::set_role(&owner_pool().await, &email, Role::Superadmin)
        .await
        .unwrap();
    // Cached per instance for at most 5 s.
    let started = Instant::now();
    loop {
        let asked = Instant::now();
        let r = app.get("/audit", Some(&cookie)).await;
        if r.status == StatusCode::OK {
            assert!(r.body.contains("data-role=\"superadmin\""));
            break;
        }
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            asked.duration_since(started) < Duration::from_millis(5300),
            "a request made 5 s after the change still had the old role"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn two_consoles_shipping_at_once_send_every_record_exactly_once() {
    let a = TestApp::new();
    let ns = a.console.config().engine.cache_namespace.clone();
    let b = TestApp::with(move |c| c.engine.cache_namespace = ns);
    shardscope_server::cli::start_audit_export(&a.console);
    shardscope_server::cli::start_audit_export(&b.console);
    let addr = format!("audit-once-{}", std::process::id());
    let log = &a.console.auth().audit;
    let n = 120;
    for i in 0..n {
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
    let started = Instant::now();
    loop {
        let shipped: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM console.audit_events WHERE client_addr = $1 AND exported_at IS NOT NULL",
        )
        .bind(&addr)
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
        if shipped == n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{shipped} of {n} shipped after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        common::clickhouse_audit_rows(&addr).await.unwrap(),
        n as u64,
        "each record exactly once"
    );
}

#[tokio::test]
async fn the_audit_page_orders_pages_and_filters_through_the_router() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let addr = format!("10.250.{}.{}", std::process::id() % 250, 7);
    let log = &app.console.auth().audit;
    // 130 records from one address: two pages of 100 and 30, newest first.
    for i in 0..130 {
        log.record(&shardscope::auth::AuditEvent {
            detail: Default::default(),
            staff: None,
            action: if i % 2 == 0 {
                shardscope::auth::AuditAction::SignInFailed
            } else {
                shardscope::auth::AuditAction::SignInLimited
            },
            target: format!("rec-{i:03}"),
            client_addr: addr.clone(),
        })
        .await
        .unwrap();
    }
    let page = |q: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app.post("/api/audit", Some(&admin), &q).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
        }
    };
    let first = page(format!("query[addr]={addr}")).await;
    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert_eq!(rows[0]["target"], "rec-129", "newest first");
    assert_eq!(rows[99]["target"], "rec-030");
    let before = first["next_before"].as_i64().expect("an older page");
    let second = page(format!("query[addr]={addr}&query[before]={before}")).await;
    let rows = second["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[29]["target"], "rec-000");
    assert!(second["next_before"].is_null(), "no page after the last");

    let limited = page(format!("query[addr]={addr}&query[action]=sign_in_limited")).await;
    assert_eq!(limited["rows"].as_array().unwrap().len(), 65);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let today_rows = page(format!("query[addr]={addr}&query[since]={today}")).await;
    assert_eq!(today_rows["rows"].as_array().unwrap().len(), 100);
    let none = page(format!("query[addr]={addr}&query[until]=2020-01-01")).await;
    assert!(none["rows"].as_array().unwrap().is_empty());
    let (email, _) = new_account(Role::Viewer).await;
    let _ = app.sign_in(&email, "wrong-password-z").await;
    let by_staff = page(format!("query[staff]={}", enc(&email))).await;
    let rows = by_staff["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["action"], "sign_in_failed");

    // The page shows the same, from the URL.
    let html = app
        .get(
            &format!("/audit?addr={addr}&action=sign_in_limited"),
            Some(&admin),
        )
        .await
        .body;
    assert!(
        html.contains("rec-129") && !html.contains("rec-128"),
        "filtered by action"
    );
}
