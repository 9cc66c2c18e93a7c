//! Pages and server functions in-process (`build_router` + `oneshot`) against the real fleet from
//! scripts/test, signed in as the least-privileged role that may see them.

use crate::common;

use common::TestApp;
use http::StatusCode;
use shardscope::auth::Role;

fn shard_ids() -> Vec<String> {
    let path = std::env::var("SHARDSCOPE_FLEET_FILE").expect("SHARDSCOPE_FLEET_FILE");
    shardscope::demo::fleet::Fleet::load(path.as_ref())
        .unwrap()
        .shards
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[tokio::test]
async fn overview_page_is_complete_server_side() {
    let app = TestApp::new();
    let viewer = app.session_as(Role::Viewer).await;
    let resp = app.get("/", Some(&viewer)).await;
    assert_eq!(resp.status, StatusCode::OK);
    let html = resp.body;
    let ids = shard_ids();
    assert!(
        html.contains(&format!("{n} of {n} shards answered", n = ids.len())),
        "{html}"
    );
    for id in &ids {
        assert!(
            html.contains(&format!("data-shard=\"{id}\"")),
            "row for {id}"
        );
    }
    assert!(html.contains("src=\"/charts/balance.svg\""), "chart linked");
    assert!(
        html.contains("/pkg/shardscope.js"),
        "hydration script linked"
    );
}

#[tokio::test]
async fn overview_server_function_returns_json() {
    let app = TestApp::new();
    let viewer = app.session_as(Role::Viewer).await;
    let resp = app.post("/api/overview", Some(&viewer), "").await;
    assert_eq!(resp.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(json["total"].as_u64(), Some(shard_ids().len() as u64));
    assert_eq!(json["answered"], json["total"]);
}

#[tokio::test]
async fn balance_chart_is_a_server_rendered_svg() {
    let app = TestApp::new();
    let viewer = app.session_as(Role::Viewer).await;
    let resp = app.get("/charts/balance.svg", Some(&viewer)).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.headers["content-type"], "image/svg+xml");
    let svg = resp.body;
    assert!(svg.starts_with("<svg"));
    for id in shard_ids() {
        assert!(svg.contains(&id), "bar for {id}");
    }
}

#[tokio::test]
async fn unknown_page_is_404() {
    let app = TestApp::new();
    let resp = app.get("/no/such/page", None).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert!(resp.body.contains("No page lives at this address"));
}

/// The value of attribute `name` in the tag `tag` (its text between `<` and `>`).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    tag.split(&format!(" {name}=\"")).nth(1)?.split('"').next()
}

#[tokio::test]
async fn every_chart_paints_its_own_white_background_first() {
    let app = TestApp::new();
    let viewer = app.session_as(Role::Viewer).await;
    let shard = &shard_ids()[0];
    for path in [
        "/charts/balance.svg".to_string(),
        "/charts/pools.svg".to_string(),
        "/charts/requests.svg?metric=p99".to_string(),
        format!("/shards/{shard}/chart.svg?metric=lag&range=1h"),
    ] {
        let r = app.get(&path, Some(&viewer)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let mut tags = r
            .body
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap());
        let svg = tags.next().unwrap();
        assert!(svg.starts_with("svg"), "{path}: {svg}");
        let first = tags.next().unwrap();
        assert!(first.starts_with("rect"), "{path}: first drawn is {first}");
        assert_eq!(
            (attr(first, "x"), attr(first, "y"), attr(first, "fill")),
            (Some("0"), Some("0"), Some("#FFFFFF")),
            "{path}: {first}"
        );
        assert_eq!(
            (attr(first, "width"), attr(first, "height")),
            (attr(svg, "width"), attr(svg, "height")),
            "{path}: the whole chart, not a part of it"
        );
    }
}
