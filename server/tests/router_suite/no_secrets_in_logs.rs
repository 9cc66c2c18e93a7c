//! Everything the console logs at TRACE level during sign-in, a page, a server function and
//! sign-out: no password, no session id, no database credential (the console's own, and those in
//! `tenant_shards` URLs). One test in its own binary: the subscriber is global, so it captures
//! every thread, including tasks the console spawns onto the runtime's workers.

use crate::common;

use common::{Captured, TestApp, new_account};
use http::StatusCode;
use shardscope::auth::Role;

/// The password in a postgres URL (`scheme://user:password@host`).
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    userinfo.split_once(':').map(|(_, p)| p.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_session_ids_and_credentials_never_reach_the_log() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber of this binary");

    let app = TestApp::new();
    let (email, password) = new_account(Role::Superadmin).await;
    let wrong = "canary-Wrong-Password-77";
    assert_eq!(
        app.sign_in(&email, wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let cookie = app.session(&email, &password).await;
    assert_eq!(
        app.get("/audit", Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/overview", Some(&cookie), "").await.status,
        StatusCode::OK
    );
    // The tenant pages read tenant_shards URLs and connect as the tenant reader.
    for path in [
        "/tenants/2",
        "/tenants?format=csv",
        "/routing",
        "/compliance",
    ] {
        assert_eq!(
            app.get(path, Some(&cookie)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        app.post("/logout", Some(&cookie), "").await.status,
        StatusCode::SEE_OTHER
    );

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("sign_in"),
        "the capture works: sign-in spans are in it"
    );
    assert!(
        log.len() > 1000,
        "a TRACE log of real work: {} bytes",
        log.len()
    );
    let config = common::config();
    let session_id = cookie.split_once('=').unwrap().1.to_string();
    let mut secrets = vec![
        ("password", password.clone()),
        ("wrong password", wrong.to_string()),
        ("session id", session_id),
        (
            "monitor password",
            config.monitor_password.expose().to_string(),
        ),
    ];
    if let Some(p) = &config.tenants.reader_password {
        secrets.push(("tenant reader password", p.expose().to_string()));
    }
    if let Some(p) = url_password(config.routing_url.expose()) {
        secrets.push(("routing DB password", p));
    }
    // The platform's own credentials, as stored in tenant_shards (the console reads the URLs).
    let urls: Vec<String> = sqlx::query_scalar("SELECT database_primary_url FROM tenant_shards")
        .fetch_all(&common::owner_pool().await)
        .await
        .unwrap();
    let tenant_pw = urls
        .iter()
        .find_map(|u| url_password(u))
        .expect("tenant_shards URLs carry the platform's password (a canary)");
    secrets.push(("tenant_shards URL password", tenant_pw));
    for (what, secret) in secrets {
        assert!(secret.len() >= 8, "{what} is a meaningful canary");
        assert!(!log.contains(&secret), "{what} appears in the log");
    }
}
