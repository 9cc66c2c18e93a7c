//! Sign-in, sessions and the access audit against the real routing DB and Redis.

use crate::common;

use std::time::Duration;

use common::{TestApp, audit_of, enc, new_account, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_returns_to_the_page_asked_for() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Superadmin).await;
    let r = app.get("/audit?action=sign_in", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let next = r
        .location()
        .unwrap()
        .strip_prefix("/login?next=")
        .unwrap()
        .to_string();
    assert_eq!(next, "%2Faudit%3Faction%3Dsign_in");

    let form = format!(
        "email={}&password={}&next={next}",
        enc(&email),
        enc(&password)
    );
    let r = app.post("/login", None, &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/audit?action=sign_in"));
    let set_cookie = r.headers["set-cookie"].to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain http in tests: not Secure"
    );
    let cookie = r.cookie().unwrap();
    let page = app.get("/audit?action=sign_in", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&email), "the audit lists this sign-in");

    let audit = audit_of(&email, "-").await;
    assert_eq!(
        audit.last().unwrap(),
        &("sign_in".into(), "console".into(), app.addr.clone())
    );
}

#[tokio::test]
async fn only_same_site_return_targets_are_followed() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    for (next, want) in [
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/audit", "/audit"),
    ] {
        let form = format!(
            "email={}&password={}&next={}",
            enc(&email),
            enc(&password),
            enc(next)
        );
        let r = app.post("/login", None, &form).await;
        assert_eq!(r.location(), Some(want), "next={next}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_answer_and_are_audited() {
    let app = TestApp::new();
    let (email, _) = new_account(Role::Support).await;
    let wrong = app.sign_in(&email, "not-the-password").await;
    let unknown = app
        .sign_in("nobody@tests.shardscope.test", "whatever-it-is")
        .await;
    for r in [&wrong, &unknown] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Email or password is incorrect."));
        assert!(r.cookie().is_none(), "no session for a failed sign-in");
        assert!(!r.body.contains("not-the-password") && !r.body.contains("whatever-it-is"));
    }
    let audit = audit_of(&email, &app.addr).await;
    let actions: Vec<_> = audit
        .iter()
        .map(|(a, t, _)| (a.as_str(), t.as_str()))
        .collect();
    assert!(
        actions.contains(&("sign_in_failed", "account")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("sign_in_failed", "unknown account")),
        "{actions:?}"
    );
    // What was typed into a failed sign-in is never stored.
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM console.audit_events WHERE target LIKE '%nobody%' OR staff_email LIKE '%nobody%'",
    )
    .fetch_one(&owner_pool().await)
    .await
    .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn bad_form_input_is_a_400_that_says_what_to_fix() {
    let app = TestApp::new();
    let r = app
        .post("/login", None, "email=not-an-email&password=x")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("name@example.org"), "{}", r.body);
    let r = app.post("/login", None, "email=a%40b.test").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Enter your password"));
    let r = app.post("/login", None, "%%%").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn failed_attempts_per_account_are_limited_with_retry_after() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    for _ in 0..5 {
        assert_eq!(
            app.sign_in(&email, "wrong-password-1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked now from the address that failed, even with the right password.
    let r = app.sign_in(&email, &password).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert!(r.body.contains("Too many sign-in attempts"), "{}", r.body);
    // Another console instance sharing the same Redis, reached from other client addresses:
    // a guesser there gets one wrong try per fresh address, then that address is refused too...
    let ns = app.console.config().engine.cache_namespace.clone();
    let guesser = TestApp::with(move |c| c.engine.cache_namespace = ns);
    assert_ne!(guesser.addr, app.addr);
    assert_eq!(
        guesser.sign_in(&email, "wrong-password-2").await.status,
        StatusCode::UNAUTHORIZED,
        "one guess from a clean address is checked (and fails)"
    );
    let r = guesser.sign_in(&email, &password).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "that address has failed now: refused, right password or not: {}",
        r.body
    );
    // ... but the account's owner, on a clean address, signs in with the right password: six
    // wrong passwords from elsewhere do not lock a staff member out.
    let ns = app.console.config().engine.cache_namespace.clone();
    let owner = TestApp::with(move |c| c.engine.cache_namespace = ns);
    assert!(owner.addr != app.addr && owner.addr != guesser.addr);
    let r = owner.sign_in(&email, &password).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the right password from a clean address passes a locked account: {}",
        r.body
    );
    // Audited once per crossing of the limit, not once per refused request.
    let audit = audit_of(&email, &app.addr).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|(a, _, _)| a.as_str())
        .filter(|a| a.starts_with("sign_in"))
        .collect();
    assert_eq!(
        actions,
        [
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_limited",
            "sign_in_failed",
            "sign_in",
        ],
        "{audit:?}"
    );
}

#[tokio::test]
async fn attempts_per_address_are_limited() {
    let app = TestApp::with(|c| c.auth.limits.per_address = 3);
    for i in 0..3 {
        let r = app
            .sign_in(&format!("someone{i}@tests.shardscope.test"), "x-x-x-x")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let (email, password) = new_account(Role::Viewer).await;
    let r = app.sign_in(&email, &password).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
}

/// A support team behind one office or VPN address signing in at the start of a shift: only
/// failures count against the address, so nobody behind it can lock the team out by succeeding.
#[tokio::test]
async fn fifty_successful_sign_ins_from_one_address_pass_and_its_failures_are_still_limited() {
    let app = TestApp::new();
    let limit = app.console.config().auth.limits.per_address;
    assert_eq!(limit, 30, "the default limit");
    let mut team = Vec::new();
    for _ in 0..5 {
        team.push(new_account(Role::Support).await);
    }
    for i in 0..50 {
        let (email, password) = &team[i % team.len()];
        let r = app.sign_in(email, password).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "successful sign-in #{} from one address: {}",
            i + 1,
            r.body
        );
    }
    // Failures from the same address (different accounts, so the per-account limit is not what
    // stops them) are counted: `limit` are checked, the next is refused without a check.
    for i in 0..limit {
        let r = app
            .sign_in(&format!("nobody{i}@tests.shardscope.test"), "x-x-x-x")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure #{}", i + 1);
    }
    let r = app
        .sign_in("nobody-more@tests.shardscope.test", "x-x-x-x")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("from this address"), "{}", r.body);
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_is_dead() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    let first = app.session(&email, &password).await;
    // Signing in again while holding a session (or a planted id) issues a new id.
    let form = format!("email={}&password={}", enc(&email), enc(&password));
    let r = app.post("/login", Some(&first), &form).await;
    let second = r.cookie().unwrap();
    assert_ne!(first, second);
    assert_eq!(app.get("/", Some(&second)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/", Some(&first)).await.status,
        StatusCode::SEE_OTHER,
        "old id no longer works"
    );
}

#[tokio::test]
async fn sign_out_deletes_the_session_and_is_audited() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    let cookie = app.session(&email, &password).await;
    let r = app.post("/logout", Some(&cookie), "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login?signed_out=1"));
    // Replaying the old cookie finds nothing in the store.
    assert_eq!(
        app.get("/", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    let audit = audit_of(&email, "-").await;
    let actions: Vec<_> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["sign_in", "sign_out"]);
    let page = app.get("/login?signed_out=1", None).await;
    assert!(page.body.contains("You are signed out."));
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout() {
    // Expiry is kept in whole seconds and pushed forward at most once a
    // second, so the effective idle limit is 4-6 s; one request a second
    // (plus up to a shard deadline on a loaded CI machine) stays inside it.
    let app = TestApp::with(|c| c.auth.session_idle = Duration::from_secs(6));
    let (email, password) = new_account(Role::Viewer).await;
    let cookie = app.session(&email, &password).await;
    // Activity keeps it alive past the idle timeout (`/api/me` touches the session and probes no
    // shard, so each step stays quick on a busy machine)...
    for step in 0..8 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let me = app.post("/api/me", Some(&cookie), "").await.body;
        assert!(me.contains(&email), "still signed in at step {step}: {me}");
    }
    // ...idleness ends it.
    tokio::time::sleep(Duration::from_millis(7100)).await;
    assert_eq!(
        app.get("/", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_end_at_the_absolute_limit_however_active() {
    let limit = Duration::from_secs(6);
    let app = TestApp::with(|c| c.auth.session_absolute = limit);
    let (email, password) = new_account(Role::Viewer).await;
    let before = std::time::Instant::now();
    let cookie = app.session(&email, &password).await;
    // The session's clock started somewhere in between (the server keeps whole seconds).
    let after = std::time::Instant::now();
    // Active all along (`/api/me` touches the session and probes no shard, so this stays quick
    // on a busy machine) ...
    let me = |cookie: String| {
        let app = &app;
        async move { app.post("/api/me", Some(&cookie), "").await.body }
    };
    // (Checked only while surely within the limit: the server counts whole seconds.)
    let mut checked = 0;
    for _ in 0..5 {
        if before.elapsed() < limit - Duration::from_secs(1) {
            let body = me(cookie.clone()).await;
            assert!(body.contains(&email), "signed in: {body}");
            checked += 1;
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert!(
        checked >= 2,
        "the session was used while active ({checked} checks)"
    );
    // ... and still over once the absolute limit (second resolution) has passed.
    tokio::time::sleep((limit + Duration::from_millis(1100)).saturating_sub(after.elapsed())).await;
    let r = app.get("/", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(me(cookie).await, "null", "signed out");
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_and_cannot_sign_in() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    let cookie = app.session(&email, &password).await;
    shardscope::auth::accounts::admin::set_disabled(&owner_pool().await, &email, true)
        .await
        .unwrap();
    // Account state is cached per instance for at most 5 s.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert_eq!(
        app.get("/", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    // The right password and a wrong one get the same answer (no password oracle); the audit
    // records which it was.
    let right = app.sign_in(&email, &password).await;
    let wrong = app.sign_in(&email, "not-the-password-9").await;
    assert_eq!(right.status, StatusCode::UNAUTHORIZED, "{}", right.body);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert_eq!(right.body, wrong.body, "the two answers are the same page");
    assert!(!right.body.contains("disabled"), "{}", right.body);
    let audit = audit_of(&email, "-").await;
    let targets: Vec<_> = audit
        .iter()
        .filter(|(a, _, _)| a == "sign_in_failed")
        .map(|(_, t, _)| t.as_str())
        .collect();
    assert_eq!(targets, ["account disabled", "account"], "{audit:?}");
}

#[tokio::test]
async fn sessions_are_shared_by_console_instances_and_survive_a_restart() {
    let first = TestApp::new();
    let (email, password) = new_account(Role::Viewer).await;
    let cookie = first.session(&email, &password).await;
    // A second console (same Redis namespace) is another instance, or this one restarted.
    let ns = first.console.config().engine.cache_namespace.clone();
    drop(first);
    let second = TestApp::with(move |c| c.engine.cache_namespace = ns);
    assert_eq!(second.get("/", Some(&cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Superadmin).await;
    for origin in [Some("http://evil.example"), None] {
        let mut b = http::Request::post("/api/audit").header("cookie", &cookie);
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        let r = app.send(b.body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "origin {origin:?}");
        assert!(r.body.contains("Cross-site request refused"));
    }
    // A same-site Referer is enough when a client sends no Origin.
    let r = app
        .send(
            http::Request::post("/logout")
                .header("cookie", &cookie)
                .header("referer", "http://console.test/audit")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_page_scripts_carry_the_nonce() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    for (path, c) in [
        ("/", Some(&cookie)),
        ("/login", None),
        ("/pkg/shardscope.css", None),
        ("/nope", None),
    ] {
        let r = app.get(path, c.map(|s| s.as_str())).await;
        let csp = r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["referrer-policy"], "same-origin", "{path}");
        if path == "/" {
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap();
            let scripts = r.body.matches("<script").count();
            assert!(scripts > 0);
            assert_eq!(
                r.body
                    .matches(&format!("<script nonce=\"{nonce}\""))
                    .count()
                    + r.body
                        .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                        .count(),
                scripts,
                "every inline script carries this response's nonce"
            );
            assert_eq!(r.headers["cache-control"], "no-store");
        }
    }
}

#[tokio::test]
async fn audit_filters_work_and_bad_ones_say_what_to_type() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let (email, _) = new_account(Role::Viewer).await;
    let _ = app.sign_in(&email, "wrong-password-2").await;
    let r = app
        .post(
            "/api/audit",
            Some(&admin),
            &format!("query[action]=sign_in_failed&query[staff]={}", enc(&email)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["action"], "sign_in_failed");
    assert_eq!(rows[0]["client_addr"], app.addr.as_str());

    let r = app
        .post("/api/audit", Some(&admin), "query[since]=last-tuesday")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("2026-11-28"), "{}", r.body);
    let r = app.get("/audit?action=drop_table", Some(&admin)).await;
    assert!(
        r.body.contains("unknown action"),
        "the page shows the reason"
    );
    // A plain hash of a phone is the phone (anyone can hash every number): a subject is only what
    // a record shows, the keyed HMAC with its key id.
    let plain = shardscope::patients::identifier::sha256_hex("+14155550123");
    for subject in [
        format!("phone:{plain}"),
        plain.clone(),
        format!("phone:k1:{}", &plain[..63]),
        format!("email:{plain}"),
    ] {
        let r = app
            .get(&format!("/audit?subject={}", enc(&subject)), Some(&admin))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{subject}: {}", r.body);
        assert!(
            r.body
                .contains("\"subject\" must be what a lookup record shows")
                || r.body
                    .contains("&quot;subject&quot; must be what a lookup record shows"),
            "{subject}: {}",
            r.body
        );
    }
    let keyed = format!("phone:k1:{plain}");
    let r = app
        .get(&format!("/audit?subject={}", enc(&keyed)), Some(&admin))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a recorded subject's form: {}",
        r.body
    );
}

#[tokio::test]
async fn audit_records_reach_clickhouse() {
    let app = TestApp::new();
    let _export_app = shardscope::tasks::start_audit_export(&app.console);
    let (email, password) = new_account(Role::Support).await;
    let _ = app.session(&email, &password).await;
    let staff_id: (i64,) = sqlx::query_as("SELECT id FROM console.staff WHERE email = $1")
        .bind(&email)
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
    let ch = common::clickhouse().await.unwrap();
    let actor = format!("staff:{}", staff_id.0);
    let mut found = 0u64;
    for _ in 0..50 {
        found = ch
            .query("SELECT count() FROM audit_events WHERE actor_id = ? AND action = 'sign_in' AND client_addr = ?")
            .bind(&actor)
            .bind(&app.addr)
            .fetch_one()
            .await
            .unwrap();
        if found > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(found, 1, "the sign-in was shipped to ClickHouse once");
}

#[tokio::test]
async fn guesses_sent_in_parallel_are_limited_too() {
    let app = TestApp::new();
    let (email, _) = new_account(Role::Viewer).await;
    let attempts = (0..20).map(|i| {
        let (app, email) = (&app, email.clone());
        async move {
            app.sign_in(&email, &format!("guess-number-{i}"))
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + refused, 20, "{statuses:?}");
    assert!(
        checked <= 5,
        "at most 5 passwords were checked, not {checked}"
    );
}

#[tokio::test]
async fn a_password_reset_ends_the_sessions_signed_in_before_it() {
    let app = TestApp::new();
    let (email, password) = new_account(Role::Support).await;
    let before = app.session(&email, &password).await;
    assert_eq!(app.get("/", Some(&before)).await.status, StatusCode::OK);
    let (_, created) = shardscope::auth::accounts::admin::upsert(
        &owner_pool().await,
        &email,
        Role::Support,
        "a-brand-new-password",
    )
    .await
    .unwrap();
    assert!(!created);
    // Account state is cached per instance for at most 5 s.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert_eq!(
        app.get("/", Some(&before)).await.status,
        StatusCode::SEE_OTHER
    );
    let after = app.session(&email, "a-brand-new-password").await;
    assert_eq!(app.get("/", Some(&after)).await.status, StatusCode::OK);
}

/// The Redis key the console keeps a session id's record under.
fn session_key(ns: &str, id: &tower_sessions::session::Id) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.0.to_le_bytes());
    format!("{ns}:session:{}", hex::encode(&digest[..20]))
}

fn session_id(cookie: &str) -> tower_sessions::session::Id {
    cookie
        .split_once('=')
        .unwrap()
        .1
        .parse()
        .expect("a session id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_records_a_redis_writer_makes_are_no_session_and_are_logged() {
    use redis::AsyncCommands;
    use tower_sessions::session::Id;
    let captured = common::Captured::default();
    let sink = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish(),
    )
    .expect("the only subscriber of this binary");

    let app = TestApp::new();
    let ns = app.console.config().engine.cache_namespace.clone();
    let (email, password) = new_account(Role::Superadmin).await;
    let real = app.session(&email, &password).await;
    let cookie_name = real.split_once('=').unwrap().0.to_string();
    let staff_id: i64 = sqlx::query_scalar("SELECT id FROM console.staff WHERE email = $1")
        .bind(&email)
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
    let redis =
        redis::Client::open(app.console.config().redis_url.as_ref().unwrap().expose()).unwrap();
    let mut con = redis.get_multiplexed_async_connection().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Times a real session would carry: after the account's creation (a database time a little
    // ahead, within the allowed clock skew), so only the missing or wrong MAC can refuse them.
    let auth = serde_json::json!({
        "staff_id": staff_id, "signed_in_at": now, "seen_at": now, "signed_in_db_ms": (now + 30) * 1000
    });
    let body = serde_json::json!({"data": {"auth": auth}, "expires_unix": now + 600}).to_string();
    let real_value: String = con.get(session_key(&ns, &session_id(&real))).await.unwrap();

    let mut ids = Vec::new();
    for (what, value) in [
        // What the store wrote before records were signed.
        ("an unsigned record", body.clone()),
        (
            "a record with a made-up MAC",
            serde_json::json!({"kid": app.console.config().keys.current_id(), "body": body,
                               "mac": hex::encode([7u8; 32])})
            .to_string(),
        ),
        ("a real record copied to another id", real_value.clone()),
    ] {
        let id = Id::default();
        let _: () = con.set_ex(session_key(&ns, &id), value, 600).await.unwrap();
        let cookie = format!("{cookie_name}={id}");
        let me = app.post("/api/me", Some(&cookie), "").await;
        assert_eq!(me.body, "null", "{what}: /api/me must not know anyone");
        let audit = app.get("/audit", Some(&cookie)).await;
        assert_eq!(audit.status, StatusCode::SEE_OTHER, "{what}: /audit");
        assert!(
            audit.location().unwrap_or("").starts_with("/login"),
            "{what}: to sign-in"
        );
        ids.push(id.to_string());
    }
    // A record the console's own key signed, but dated in the future (which would survive a
    // password reset): refused by its times.
    let store = shardscope::auth::RedisSessionStore::new(
        std::sync::Arc::new(
            shardscope::redis::RedisHandle::new(app.console.config().redis_url.as_ref(), &ns)
                .unwrap(),
        ),
        app.console.config().keys.clone(),
    );
    let mut record = tower_sessions::session::Record {
        id: Id::default(),
        data: [(
            "auth".to_string(),
            serde_json::json!({"staff_id": staff_id, "signed_in_at": now, "seen_at": now,
                               "signed_in_db_ms": (now + 86_400 * 365) * 1000}),
        )]
        .into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    tower_sessions::SessionStore::create(&store, &mut record)
        .await
        .unwrap();
    let future = format!("{cookie_name}={}", record.id);
    assert_eq!(app.post("/api/me", Some(&future), "").await.body, "null");
    ids.push(record.id.to_string());
    // The control: the same data as the forged records, signed by the console's key, is a session
    // — so what refused them above was the MAC, not their contents.
    let mut signed = tower_sessions::session::Record {
        id: Id::default(),
        data: [("auth".to_string(), auth.clone())].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    tower_sessions::SessionStore::create(&store, &mut signed)
        .await
        .unwrap();
    let control = format!("{cookie_name}={}", signed.id);
    let me = app.post("/api/me", Some(&control), "").await.body;
    assert!(
        me.contains(&email),
        "a correctly signed record is a session: {me}"
    );
    ids.push(signed.id.to_string());
    // The real session still works: nothing above disturbed it.
    assert!(
        app.post("/api/me", Some(&real), "")
            .await
            .body
            .contains(&email)
    );

    let log = captured.text();
    let refused = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("failed its integrity check"))
        .count();
    assert!(refused >= 3, "each forged record is logged at WARN:\n{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("time in the future")),
        "the future-dated record is logged at WARN:\n{log}"
    );
    for id in ids.iter().chain([&session_id(&real).to_string()]) {
        assert!(
            !log.contains(id.as_str()),
            "the log names a session id:\n{log}"
        );
    }
}
