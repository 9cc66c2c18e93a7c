//! The router in-process (`build_router` + `oneshot`) against the real fleet from scripts/test.

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use shardscope_server::startup::build_router;
use shardscope_server::state::AppState;
use tower::ServiceExt;

fn app() -> axum::Router {
    let config = shardscope::Config::from_env()
        .expect("SHARDSCOPE_* env: run via scripts/test (or source .fleet/env)");
    let leptos_options = LeptosOptions::builder()
        .output_name("shardscope")
        .site_root(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"))
        .build();
    build_router(AppState {
        leptos_options,
        console: shardscope::Console::new(config).unwrap(),
    })
}

fn shard_ids() -> Vec<String> {
    let path = std::env::var("SHARDSCOPE_FLEET_FILE").expect("SHARDSCOPE_FLEET_FILE");
    shardscope::fleet::Fleet::load(path.as_ref())
        .unwrap()
        .shards
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn body(resp: axum::response::Response) -> String {
    String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

#[tokio::test]
async fn overview_page_is_complete_server_side() {
    let resp = app()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = body(resp).await;
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
    let resp = app()
        .oneshot(
            Request::post("/api/overview")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
    assert_eq!(json["total"].as_u64(), Some(shard_ids().len() as u64));
    assert_eq!(json["answered"], json["total"]);
}

#[tokio::test]
async fn balance_chart_is_a_server_rendered_svg() {
    let resp = app()
        .oneshot(
            Request::get("/charts/balance.svg")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = body(resp).await;
    assert!(svg.starts_with("<svg"));
    for id in shard_ids() {
        assert!(svg.contains(&id), "bar for {id}");
    }
}

#[tokio::test]
async fn unknown_page_is_404() {
    let resp = app()
        .oneshot(Request::get("/no/such/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(body(resp).await.contains("No page lives at this address"));
}
