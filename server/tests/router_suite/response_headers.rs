//! What docs/security.md promises about every response, checked on every kind of response the
//! console gives: `no-store` on everything that is not a static asset (pages, forms, server
//! functions, exports, charts, errors), a fresh CSP nonce per response, and no `style` attribute
//! in any page (the CSP has no `unsafe-inline` for styles).

use crate::common;

use common::{TestApp, enc};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{SEED, phone_for, plan};

/// A phone the demo fleet's registry knows, and the region it is typed in.
fn a_known_phone() -> (String, &'static str) {
    let plan = plan(&common::fleet().shards, SEED);
    let (_, person) = plan.cross_links[0];
    let home = plan.home_of(person).unwrap();
    let region = if home.region.starts_with("eu") {
        "GB"
    } else {
        "US"
    };
    (phone_for(person, &home.region), region)
}

/// Every page a superadmin can open (one of each kind), as a browser asks for it.
const PAGES: [&str; 13] = [
    "/",
    "/shards",
    "/shards/us-1",
    "/pools",
    "/telemetry",
    "/telemetry/slow-queries",
    "/tenants",
    "/tenants/2",
    "/routing",
    "/compliance",
    "/placement",
    "/patients",
    "/audit",
];

#[tokio::test]
async fn every_response_that_is_not_a_static_asset_is_no_store() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let (phone, region) = a_known_phone();
    let mut checked = Vec::new();
    let gets = [
        "/",
        "/login",
        "/shards",
        "/shards/us-1",
        "/shards/us-1?format=csv&range=1h",
        "/shards/us-1/chart.svg?metric=lag&range=1h",
        "/charts/balance.svg",
        "/charts/pools.svg",
        "/charts/requests.svg",
        "/pools",
        "/pools?format=csv",
        "/telemetry?format=csv",
        "/telemetry/slow-queries?format=csv",
        "/tenants?format=csv",
        "/tenants?format=json",
        "/tenants/2",
        "/routing",
        "/compliance",
        "/placement",
        "/patients",
        "/audit",
        // Errors too: a bad format, an unknown shard, a page that does not exist.
        "/tenants?format=xml",
        "/shards/nope/chart.svg?metric=lag",
        "/no-such-page",
    ];
    for path in gets {
        let r = app.get(path, Some(&admin)).await;
        checked.push((format!("GET {path}"), r));
    }
    let posts = [
        (
            "/patients",
            format!("op=lookup&kind=auto&region={region}&q={}", enc(&phone)),
        ),
        ("/patients", "op=lookup&kind=auto&region=US&q=".to_string()),
        ("/api/overview", String::new()),
        ("/api/shards", String::new()),
        ("/api/tenant", "org=2".to_string()),
        ("/api/patient-lookup", format!("q={}", enc(&phone))),
        ("/api/me", String::new()),
        ("/api/tenant", "org=not-a-number".to_string()),
    ];
    for (path, form) in posts {
        let r = app.post(path, Some(&admin), &form).await;
        checked.push((
            format!("POST {path} {}", form.split('&').next().unwrap()),
            r,
        ));
    }
    let anonymous = app.get("/tenants", None).await;
    checked.push(("GET /tenants signed out".into(), anonymous));

    let mut statuses = std::collections::BTreeSet::new();
    for (what, r) in &checked {
        assert_eq!(
            r.headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{what} ({}) must not be stored",
            r.status
        );
        statuses.insert(r.status.as_u16());
    }
    // The walk really met answers, refusals and errors, not only one kind.
    for want in [200, 303, 400, 404] {
        assert!(statuses.contains(&want), "no {want} among {statuses:?}");
    }
}

fn nonce_of(r: &common::Resp) -> String {
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    csp.split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce in {csp}"))
        .to_string()
}

#[tokio::test]
async fn every_response_has_a_nonce_of_its_own() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..12 {
        let path = if i % 2 == 0 { "/" } else { "/login" };
        let r = app.get(path, Some(&cookie)).await;
        let nonce = nonce_of(&r);
        assert!(nonce.len() >= 16, "a nonce worth the name: {nonce:?}");
        if path == "/" {
            assert!(
                r.body.contains(&format!("nonce=\"{nonce}\"")),
                "the page's scripts carry its own response's nonce {nonce}"
            );
        }
        assert!(
            seen.insert(nonce.clone()),
            "response {i} ({path}) reused nonce {nonce}"
        );
    }
}

/// The `style` attributes of every tag in `html` (attribute values skipped, so an escaped org
/// name that reads `style=` in text or in a title is not one).
fn style_attributes(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        if tag.starts_with('!') || tag.starts_with('/') {
            continue;
        }
        // Drop quoted values: what is left is the tag's name and its attribute names.
        let mut names = String::new();
        let mut quote = None;
        for c in tag.chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) => names.push(c),
                _ => {}
            }
        }
        if names.split_whitespace().any(|a| {
            a.eq_ignore_ascii_case("style=") || a.to_ascii_lowercase().starts_with("style=")
        }) {
            found.push(format!("<{}>", tag.chars().take(120).collect::<String>()));
        }
    }
    found
}

#[test]
fn the_style_scan_finds_attributes_and_skips_text_and_values() {
    assert_eq!(
        style_attributes(r#"<p title="a style=x">style=y</p><b  STYLE="c">"#),
        vec![r#"<b  STYLE="c">"#.to_string()]
    );
    assert!(style_attributes("<style nonce=\"n\">p{}</style>").is_empty());
}

#[tokio::test]
async fn no_page_carries_a_style_attribute() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let (phone, region) = a_known_phone();
    let mut pages = Vec::new();
    for path in PAGES.iter().copied().chain(["/no-such-page"]) {
        pages.push((path.to_string(), app.get(path, Some(&admin)).await));
    }
    pages.push(("/login".into(), app.get("/login", None).await));
    let found = app
        .post(
            "/patients",
            Some(&admin),
            &format!("op=lookup&kind=auto&region={region}&q={}", enc(&phone)),
        )
        .await;
    assert!(found.body.contains("data-person="), "{}", found.body);
    pages.push(("POST /patients".into(), found));
    for (path, r) in &pages {
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status
        );
        assert!(r.body.contains("</html>"), "{path}: a whole page");
        let styled = style_attributes(&r.body);
        assert!(styled.is_empty(), "{path}: style attributes {styled:?}");
    }
}

/// `&quot;` and friends back to text (what a browser does to an attribute value).
fn unescape_attribute(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn pages_send_no_hydration_data_and_island_props_are_json_in_an_escaped_attribute() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let mut islands = 0;
    for path in PAGES {
        let r = app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        // Resources resolve on the server: the page carries none of their data for the browser.
        assert_eq!(
            r.body.matches("__RESOLVED_RESOURCES").count(),
            1,
            "{path}: only the empty declaration"
        );
        assert!(r.body.contains("__RESOLVED_RESOURCES=[];"), "{path}");
        assert!(r.body.contains("__SERIALIZED_ERRORS=[];"), "{path}");
        for tag in r.body.split("<leptos-island").skip(1) {
            islands += 1;
            let tag = tag.split('>').next().unwrap();
            if let Some(props) = tag.split(" data-props=\"").nth(1) {
                let raw = props.split('"').next().unwrap();
                assert!(!raw.contains('<'), "{path}: props escaped: {raw}");
                let json: serde_json::Value = serde_json::from_str(&unescape_attribute(raw))
                    .unwrap_or_else(|e| panic!("{path}: props are JSON ({e}): {raw}"));
                assert!(json.is_object(), "{path}: {json}");
            }
        }
    }
    assert!(islands > 0, "the walk met islands");
}
