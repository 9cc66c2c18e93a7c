//! Peers that accept connections and never answer (a wedged Redis, a wedged routing DB), made
//! by a real TCP proxy in front of the real servers: every request still answers, in bounded
//! time, with a message that says what is wrong — and recovers without a restart.

use crate::common;

use std::time::{Duration, Instant};

use common::TestApp;
use common::proxy::DelayProxy;
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::secret::Secret;

fn port_of(url: &str) -> u16 {
    url::Url::parse(url)
        .unwrap()
        .port()
        .expect("a port in the URL")
}

fn with_port(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_port(Some(port)).unwrap();
    u.to_string()
}

#[tokio::test]
async fn a_hanging_redis_answers_a_clear_503_in_bounded_time_and_recovers() {
    // A session made while Redis answered (same namespace) ...
    let healthy = TestApp::new();
    let namespace = healthy.console.config().engine.cache_namespace.clone();
    let cookie = healthy.session_as(Role::Viewer).await;
    // ... presented to a console whose Redis now hangs.
    let real = common::config().redis_url.expect("the fleet has Redis");
    let proxy = DelayProxy::hanging(port_of(real.expose()));
    let url = with_port(real.expose(), proxy.port);
    let app = TestApp::with(|c| {
        c.redis_url = Some(Secret::new(url.clone()));
        c.engine.cache_namespace = namespace.clone();
    });

    for (what, resp) in [
        ("page", app.get("/", Some(&cookie)).await),
        (
            "sign-in",
            app.sign_in("viewer@shardscope.test", "whatever-it-is")
                .await,
        ),
        (
            "server function",
            app.post("/api/overview", Some(&cookie), "").await,
        ),
    ] {
        assert_eq!(
            resp.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            resp.body
        );
        assert!(
            resp.body.contains("Redis") || resp.body.contains("session store"),
            "{what} says which part is down: {}",
            resp.body
        );
    }
    let started = Instant::now();
    let resp = app.get("/audit", Some(&cookie)).await;
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a hanging Redis costs a request about its 1 s timeout, took {:?}",
        started.elapsed()
    );

    // Redis answers again: sign-in and pages work with no restart.
    proxy.hang(false);
    let mut last = None;
    for _ in 0..50 {
        let r = app
            .sign_in(
                "viewer@shardscope.test",
                &shardscope::demo::seed::demo_password(),
            )
            .await;
        if r.status == StatusCode::SEE_OTHER {
            let cookie = r.cookie().expect("session cookie");
            let page = app.get("/", Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            return;
        }
        last = Some((r.status, r.body));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("sign-in did not recover within 10 s after Redis answered again; last: {last:?}");
}

#[tokio::test]
async fn a_request_stuck_on_a_hanging_routing_db_is_cut_off_by_the_request_deadline() {
    // A session made through a healthy console ...
    let healthy = TestApp::new();
    let namespace = healthy.console.config().engine.cache_namespace.clone();
    let cookie = healthy.session_as(Role::Viewer).await;

    // ... presented to a console whose routing DB (accounts) hangs. Its own waits are long (the
    // routing pool waits up to the shard deadline), so only the request deadline can stop it.
    let routing = common::config().routing_url;
    let proxy = DelayProxy::hanging(port_of(routing.expose()));
    let hung_url = with_port(routing.expose(), proxy.port);
    let stuck = TestApp::with(|c| {
        c.routing_url = Secret::new(hung_url.clone());
        c.engine.cache_namespace = namespace.clone();
        c.engine.shard_deadline = Duration::from_secs(20);
        c.engine.request_timeout = Duration::from_millis(1500);
    });
    for path in ["/", "/audit"] {
        let started = Instant::now();
        let resp = stuck.get(path, Some(&cookie)).await;
        let took = started.elapsed();
        assert_eq!(
            resp.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            resp.body
        );
        assert!(
            resp.body.contains("did not complete within 1.5 s"),
            "{path} says it timed out: {}",
            resp.body
        );
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(6),
            "{path}: answered at the deadline, took {took:?}"
        );
        assert_eq!(
            resp.headers["cache-control"], "no-store",
            "the deadline's answer still carries the security headers"
        );
    }
    let started = Instant::now();
    let resp = stuck.post("/api/overview", Some(&cookie), "").await;
    assert_eq!(
        resp.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        resp.body
    );
    assert!(started.elapsed() < Duration::from_secs(6));
}
