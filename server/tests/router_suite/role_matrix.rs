//! Every route and every server function, called without a session and as each role, against
//! the real routing DB and Redis. The expected table is written out by hand; the test fails if a
//! page or server function exists that the table does not cover.

use crate::common;

use std::collections::BTreeSet;

use common::TestApp;
use shardscope::auth::Role;

/// Who calls: index into the status arrays below.
const WHO: [&str; 4] = ["anonymous", "viewer", "support", "superadmin"];

/// GET pages and resources → status for [anonymous, viewer, support, superadmin].
const PAGES: &[(&str, [u16; 4])] = &[
    ("/", [303, 200, 200, 200]),
    ("/charts/balance.svg", [303, 200, 200, 200]),
    ("/audit", [303, 403, 403, 200]),
    ("/audit?action=sign_in", [303, 403, 403, 200]),
    ("/shards", [303, 200, 200, 200]),
    ("/shards?region=us-east-1&type=shared", [303, 200, 200, 200]),
    ("/shards/us-1", [303, 200, 200, 200]),
    ("/pools", [303, 200, 200, 200]),
    ("/pools?format=csv", [303, 200, 200, 200]),
    ("/telemetry", [303, 200, 200, 200]),
    ("/telemetry/slow-queries", [303, 200, 200, 200]),
    ("/charts/pools.svg", [303, 200, 200, 200]),
    ("/charts/requests.svg", [303, 200, 200, 200]),
    (
        "/shards/us-1/chart.svg?metric=lag&range=1h",
        [303, 200, 200, 200],
    ),
    ("/shards/us-1?format=csv&range=15m", [303, 200, 200, 200]),
    ("/tenants", [303, 403, 200, 200]),
    ("/tenants?format=csv", [303, 403, 200, 200]),
    ("/tenants?format=json", [303, 403, 200, 200]),
    ("/tenants/2", [303, 403, 200, 200]),
    ("/routing", [303, 403, 200, 200]),
    ("/compliance", [303, 403, 200, 200]),
    ("/placement", [303, 403, 200, 200]),
    (
        "/placement?region=us-east-1&patients=1000",
        [303, 403, 200, 200],
    ),
    ("/patients", [303, 403, 200, 200]),
    ("/login", [200, 303, 303, 303]),
    ("/no/such/page", [404, 404, 404, 404]),
];

/// Form POSTs that are not pages (sent with a same-site origin) → status for [anonymous, viewer,
/// support, superadmin].
const FORMS: &[(&str, [u16; 4])] = &[
    // An org name: a redirect to the tenants list.
    ("/search?q=northgate", [303, 403, 303, 303]),
    // A phone: on to the patient lookup with the same body (307), for the roles that may look up.
    ("/search?q=%28555%29+000-0001", [303, 403, 307, 307]),
    // A filter form: a redirect to the page (which checks its own role when followed).
    (
        "/filters?_page=%2Ftenants&q=north&shard=",
        [303, 303, 303, 303],
    ),
];

/// Server functions (POST) → status for [anonymous, viewer, support, superadmin].
const SERVER_FNS: &[(&str, [u16; 4])] = &[
    ("/api/overview", [401, 200, 200, 200]),
    ("/api/shards", [401, 200, 200, 200]),
    ("/api/shards-page", [401, 200, 200, 200]),
    ("/api/shard-page?shard=us-1", [401, 200, 200, 200]),
    ("/api/audit", [401, 403, 403, 200]),
    ("/api/pools", [401, 200, 200, 200]),
    ("/api/requests", [401, 200, 200, 200]),
    ("/api/slow-queries", [401, 200, 200, 200]),
    ("/api/tenants", [401, 403, 200, 200]),
    ("/api/tenant?org=2", [401, 403, 200, 200]),
    ("/api/routing", [401, 403, 200, 200]),
    ("/api/compliance", [401, 403, 200, 200]),
    ("/api/placement", [401, 403, 200, 200]),
    ("/api/tenant-choices", [401, 403, 200, 200]),
    ("/api/patients-page", [401, 403, 200, 200]),
    // A phone nobody has: the lookup runs (and is audited), finding no one.
    ("/api/patient-lookup?q=%2B15550000001", [401, 403, 200, 200]),
    // Break-glass: superadmin only.
    (
        "/api/patient-profile?person=1000000&reason=SUP-4821+role+matrix",
        [401, 403, 403, 200],
    ),
    // Who am I: answers everyone (null when signed out); reveals nothing else.
    ("/api/me", [200, 200, 200, 200]),
];

async fn sessions(app: &TestApp) -> [Option<String>; 4] {
    [
        None,
        Some(app.session_as(Role::Viewer).await),
        Some(app.session_as(Role::Support).await),
        Some(app.session_as(Role::Superadmin).await),
    ]
}

#[tokio::test]
async fn every_page_and_server_function_answers_each_role_as_the_table_says() {
    let app = TestApp::new();
    let sessions = sessions(&app).await;
    let mut wrong = Vec::new();
    for (path, expected) in PAGES {
        for (i, cookie) in sessions.iter().enumerate() {
            let r = app.get(path, cookie.as_deref()).await;
            if r.status.as_u16() != expected[i] {
                wrong.push(format!(
                    "GET {path} as {}: {} (want {})",
                    WHO[i], r.status, expected[i]
                ));
            }
            if r.status == 303 && i == 0 && *path != "/login" {
                let to = r.location().unwrap_or("");
                assert!(to.starts_with("/login?next=%2F"), "{path} → {to}");
            }
        }
    }
    for (path, expected) in SERVER_FNS.iter().chain(FORMS) {
        for (i, cookie) in sessions.iter().enumerate() {
            // Arguments after `?` are sent as the form body.
            let (url, form) = path.split_once('?').unwrap_or((path, ""));
            let r = app.post(url, cookie.as_deref(), form).await;
            if r.status.as_u16() != expected[i] {
                wrong.push(format!(
                    "POST {path} as {}: {} (want {}) {}",
                    WHO[i], r.status, expected[i], r.body
                ));
            }
            // A refusal says why, in words the caller can act on.
            let why = match expected[i] {
                401 => Some("sign in"),
                403 => Some("role"),
                _ => None,
            };
            if let Some(why) = why {
                assert!(
                    r.body.contains(why),
                    "{path} as {}: a {} refusal says why ({why:?}): {}",
                    WHO[i],
                    expected[i],
                    r.body
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "role matrix differs:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn anonymous_server_function_calls_are_401_before_their_body_is_read() {
    let app = TestApp::new();
    let mut checked = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        if path == "/api/me" {
            continue;
        }
        // No body at all: identity comes first, so no "missing field" 400.
        let r = app.post(path, None, "").await;
        assert_eq!(r.status, 401, "POST {path} anonymously: {}", r.body);
        assert_eq!(
            r.body, r#"{"status":401,"message":"sign in first (your session may have expired)"}"#,
            "POST {path}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "{checked} server functions checked");
}

/// The router serves exactly the pages of the route table, each in the table's render mode.
#[tokio::test]
async fn the_router_serves_the_route_table() {
    use shardscope_app::routes::PAGES;
    let router: BTreeSet<(String, String)> = shardscope_server::startup::route_list()
        .iter()
        .map(|r| {
            let path = r
                .path()
                .replace(":org", "{org}")
                .replace(":shard", "{shard}");
            (path, format!("{:?}", r.mode()))
        })
        .collect();
    let table: BTreeSet<(String, String)> = PAGES
        .iter()
        .map(|p| (p.path.to_string(), format!("{:?}", p.ssr_mode())))
        .collect();
    assert_eq!(
        router, table,
        "router (left) and route table (right) differ"
    );
}

#[tokio::test]
async fn the_table_covers_every_route_and_server_function_that_exists() {
    // A page with a path parameter is called with a real value: /tenants/{org} as /tenants/2.
    let concrete = |p: &str| {
        p.replace("{org}", "2")
            .replace(":org", "2")
            .replace("{shard}", "us-1")
            .replace(":shard", "us-1")
    };
    let pages: BTreeSet<String> = PAGES
        .iter()
        .chain(FORMS)
        .map(|(p, _)| p.split('?').next().unwrap().to_string())
        .collect();
    for route in shardscope_server::startup::route_list() {
        assert!(
            pages.contains(&concrete(route.path())),
            "page {} is missing from the role matrix",
            route.path()
        );
    }
    for (path, _) in shardscope_server::auth::policy::protected() {
        assert!(
            pages.contains(&concrete(path)),
            "policy lists {path}, the matrix does not"
        );
    }
    for (path, methods) in shardscope_server::startup::AXUM_ROUTES {
        if methods.contains(&"GET") {
            assert!(
                pages.contains(&concrete(path)),
                "route {path} is missing from the role matrix"
            );
        }
    }
    let fns: BTreeSet<&str> = SERVER_FNS
        .iter()
        .map(|(p, _)| p.split('?').next().unwrap())
        .collect();
    let registered: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        registered.len() >= 4,
        "server functions are registered: {registered:?}"
    );
    for (path, _) in registered {
        assert!(
            fns.contains(path),
            "server function {path} is missing from the role matrix"
        );
    }
}

/// The link texts inside the `<nav>` labelled `label`, in order.
fn nav_links(body: &str, label: &str) -> Vec<String> {
    let Some(start) = body.find(&format!("aria-label=\"{label}\"")) else {
        return vec![];
    };
    let nav = &body[start..start + body[start..].find("</nav>").unwrap_or(0)];
    nav.split("<a ")
        .skip(1)
        .map(|a| {
            let text = &a[a.find('>').map_or(0, |i| i + 1)..a.find("</a>").unwrap_or(a.len())];
            text.replace("<!>", "")
        })
        .collect()
}

#[tokio::test]
async fn the_navigation_lists_what_the_role_may_open() {
    let app = TestApp::new();
    let sessions = sessions(&app).await;
    let fleet = [
        "Fleet overview",
        "Shards",
        "Pools",
        "Requests",
        "Slow queries",
    ];
    let sections: [&[&str]; 4] = [
        &[],
        &["Fleet"],
        &["Fleet", "Tenants", "Patients"],
        &["Fleet", "Tenants", "Patients", "Audit"],
    ];
    for i in 1..4 {
        let r = app.get("/", sessions[i].as_deref()).await;
        assert_eq!(r.status, 200);
        assert!(
            r.body.contains(&format!("data-role=\"{}\"", WHO[i])),
            "{}",
            WHO[i]
        );
        assert_eq!(nav_links(&r.body, "Sections"), sections[i], "{}", WHO[i]);
        // The row under the sections lists the current section's pages.
        assert_eq!(nav_links(&r.body, "Pages"), fleet, "{}", WHO[i]);
        assert_eq!(r.body.contains("href=\"/audit\""), i == 3, "{}", WHO[i]);
        assert!(
            r.body.contains("action=\"/logout\""),
            "sign-out for {}",
            WHO[i]
        );
    }
    // In another section, that section's pages.
    let r = app.get("/routing", sessions[2].as_deref()).await;
    assert_eq!(
        nav_links(&r.body, "Pages"),
        ["Tenants", "Routing", "Compliance", "Placement"]
    );
}

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Every route the router serves (axum routes, Leptos pages, server functions) with the methods
/// it answers; every other method must be refused with 405, whoever asks.
fn every_route() -> Vec<(String, Vec<&'static str>)> {
    let mut routes: Vec<(String, Vec<&'static str>)> = shardscope_server::startup::AXUM_ROUTES
        .iter()
        .map(|(p, m)| (p.replace("{shard}", "us-1"), m.to_vec()))
        .collect();
    // A path parameter gets a real value: /tenants/{org} is swept as /tenants/2 (its literal
    // braces would be a 400 for a bad org id, not a test of the methods).
    for r in shardscope_server::startup::route_list() {
        let path = r
            .path()
            .replace("{org}", "2")
            .replace(":org", "2")
            .replace("{shard}", "us-1")
            .replace(":shard", "us-1");
        routes.push((path, vec!["GET"]));
    }
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        routes.push((path.to_string(), vec!["POST"]));
    }
    // A path served by both (GET /patients is the page, POST its forms) is one route.
    let mut merged: Vec<(String, Vec<&'static str>)> = Vec::new();
    for (path, methods) in routes {
        match merged.iter_mut().find(|(p, _)| *p == path) {
            Some((_, m)) => m.extend(methods),
            None => merged.push((path, methods)),
        }
    }
    merged
}

#[tokio::test]
async fn every_route_answers_only_its_methods() {
    let app = TestApp::new();
    let mut admin = app.session_as(Role::Superadmin).await;
    let mut wrong = Vec::new();
    let routes = every_route();
    assert!(routes.len() >= 8, "{routes:?}");
    for (path, allowed) in &routes {
        for method in METHODS {
            let r = app
                .send(
                    http::Request::builder()
                        .method(method)
                        .uri(path.as_str())
                        .header("origin", common::ORIGIN)
                        .header("cookie", &admin)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            // HEAD is answered wherever GET is.
            let served =
                allowed.contains(&method) || (method == "HEAD" && allowed.contains(&"GET"));
            let status = r.status.as_u16();
            // Served: answered (a page, a redirect), or for a POST without its form a 400 that
            // says what is missing. Never a 404 or a 5xx on a route that exists.
            let ok = if served {
                matches!(status, 200 | 204 | 303)
                    || (status == 400 && method == "POST" && r.body.len() > 10)
            } else {
                status == 405
            };
            if !ok {
                wrong.push(format!("{method} {path}: {status} (served: {served})"));
            }
            if path == "/logout" && method == "POST" {
                // That signed the session out: the sweep goes on with a new one.
                admin = app.session_as(Role::Superadmin).await;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "methods answered wrongly:\n{}",
        wrong.join("\n")
    );
}
