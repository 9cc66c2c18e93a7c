//! `shardscope-server bench-fanout`: the federation engine's P1 figure, printed.
//!
//! Against the fleet in the environment (scripts/bench starts one with 8 shards, one behind a
//! 300 ms delay proxy), with the cache off so every run probes every shard:
//! - the overview page rendered in-process through the real router (complete HTML, every shard),
//! - the slowest shard's own probe time in the same fan-out,
//! - the same fan-out run sequentially on the same warm pools,
//! - a naive sequential baseline: a new connection per shard per view (what the console replaces).

use std::time::{Duration, Instant};

use axum::body::Body;
use http::Request;
use leptos::prelude::LeptosOptions;
use shardscope::overview::{fleet_overview, fleet_overview_with};
use sqlx::Connection;
use tower::ServiceExt;

use super::measure::{BENCH_HOST, ms, sign_in_as};
use crate::command_result::CliResult;
use crate::startup::build_router;
use crate::state::AppState;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn p90(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

/// Sign in as the demo viewer through the router; the session cookie (`name=value`).
async fn sign_in(router: axum::Router) -> Result<String, Box<dyn std::error::Error>> {
    sign_in_as(router, "viewer@shardscope.test").await
}

pub async fn fanout(iterations: usize) -> CliResult {
    let mut config = shardscope::Config::from_env()?;
    config.engine.cache_ttl = Duration::ZERO;
    // The bench's requests name their client address, as a proxy would.
    config.auth.trust_forwarded_for = true;
    let monitor_user = config.monitor_user.clone();
    let monitor_password = config.monitor_password.clone();
    let console = shardscope::Console::new(config)?;
    // Its history writer, as a serving console runs it.
    let _tasks = shardscope::tasks::start_history(&console);
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let router = build_router(AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("shardscope")
            .site_root(site_root)
            .build(),
        console: console.clone(),
    });
    // Pages are behind sign-in: render as the demo viewer, as a browser would.
    let cookie = sign_in(router.clone()).await?;
    let render = |router: axum::Router| {
        let cookie = cookie.clone();
        async move {
            let started = Instant::now();
            let resp = router
                .oneshot(
                    Request::get("/")
                        .header("host", BENCH_HOST)
                        .header("x-forwarded-for", "127.0.0.1")
                        .header("cookie", cookie)
                        .body(Body::empty())?,
                )
                .await?;
            if resp.status() != http::StatusCode::OK {
                return Err(format!("/ answered {} to the signed-in viewer", resp.status()).into());
            }
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await?
                .to_bytes();
            Ok::<_, Box<dyn std::error::Error>>((
                started.elapsed(),
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
    };
    // Warm the pools (connection set-up is not what P1 measures).
    for _ in 0..2 {
        fleet_overview(&console).await?;
        render(router.clone()).await?;
    }
    let shards = console.shards().await?;
    let (mut page, mut slowest, mut parallel, mut sequential, mut naive) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut slowest_id = String::new();
    for _ in 0..iterations {
        let (took, html) = render(router.clone()).await?;
        let answered = format!("{n} of {n} shards answered", n = shards.len());
        if !html.contains(&answered) {
            return Err(format!("page did not show '{answered}'").into());
        }
        page.push(ms(took));

        let started = Instant::now();
        let o = fleet_overview(&console).await?;
        parallel.push(ms(started.elapsed()));
        let slow = o
            .shards
            .iter()
            .max_by_key(|r| r.outcome.latency_ms)
            .ok_or("no shards")?;
        slowest_id = slow.id.clone();
        slowest.push(slow.outcome.latency_ms as f64);

        let started = Instant::now();
        fleet_overview_with(&console, 1).await?;
        sequential.push(ms(started.elapsed()));

        let started = Instant::now();
        for s in shards.iter() {
            let Ok(e) = &s.primary else { continue };
            let url = format!(
                "postgres://{}:{}@{}:{}/{}",
                monitor_user,
                monitor_password.expose(),
                e.host,
                e.port,
                e.database
            );
            let mut c = sqlx::PgConnection::connect(&url).await?;
            let _: (i64, i64) = sqlx::query_as("SELECT orgs, patients FROM console_shard_counts()")
                .fetch_one(&mut c)
                .await?;
            for r in s.replicas.iter().flatten() {
                let url = format!(
                    "postgres://{}:{}@{}:{}/{}",
                    monitor_user,
                    monitor_password.expose(),
                    r.host,
                    r.port,
                    r.database
                );
                let mut c = sqlx::PgConnection::connect(&url).await?;
                let _: (bool,) = sqlx::query_as("SELECT pg_is_in_recovery()")
                    .fetch_one(&mut c)
                    .await?;
            }
        }
        naive.push(ms(started.elapsed()));
    }
    let (page_m, slow_m) = (median(&mut page), median(&mut slowest));
    let (seq_m, naive_m, par_m) = (
        median(&mut sequential),
        median(&mut naive),
        median(&mut parallel),
    );
    let budget = 1.2 * slow_m + 25.0;
    println!(
        "P1 fan-out: {} shards, {iterations} runs, cache off, warm pools",
        shards.len()
    );
    println!(
        "  overview page render (complete HTML)  median {page_m:7.1} ms   p90 {:7.1} ms",
        p90(&mut page)
    );
    println!("  slowest shard's own probe ({slowest_id:>8})  median {slow_m:7.1} ms");
    println!("  parallel fan-out (engine only)        median {par_m:7.1} ms");
    println!("  sequential fan-out, same pools        median {seq_m:7.1} ms");
    println!("  naive sequential, new conn per shard  median {naive_m:7.1} ms");
    println!(
        "  target page <= 1.2 x slowest + 25 ms = {budget:.1} ms: {}",
        if page_m <= budget { "MET" } else { "NOT MET" }
    );
    println!(
        "  speed-up vs sequential: {:.1}x (same pools), {:.1}x (naive); target >= 5x: {}",
        seq_m / page_m,
        naive_m / page_m,
        if seq_m / page_m >= 5.0 {
            "MET"
        } else {
            "NOT MET vs same pools"
        }
    );
    Ok(())
}
