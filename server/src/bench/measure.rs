//! What every benchmark shares: its units, percentiles, and signing in through the real router.

use std::time::Duration;

use axum::body::Body;
use http::Request;
use tower::ServiceExt;

/// The Host (and Origin) the benchmarks' requests carry.
pub const BENCH_HOST: &str = "bench.local";

/// Milliseconds of a duration (the benchmarks' unit).
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`-th percentile of `v` (sorted in place; nearest rank).
pub fn pct(v: &mut [f64], p: usize) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() * p / 100).min(v.len() - 1)]
}

/// Sign in as a demo account through the router; the session cookie (`name=value`).
pub async fn sign_in_as(
    router: axum::Router,
    email: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let password = shardscope::demo::seed::demo_password();
    let form = serde_urlencoded::to_string([
        ("email", email),
        ("password", password.as_str()),
        ("next", "/"),
    ])?;
    let resp = router
        .oneshot(
            Request::post("/login")
                .header("host", BENCH_HOST)
                .header("origin", format!("http://{BENCH_HOST}"))
                .header("x-forwarded-for", "127.0.0.1")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form))?,
        )
        .await?;
    let cookie = resp
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("shardscope"))
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    match (resp.status(), cookie) {
        (http::StatusCode::SEE_OTHER, Some(c)) => Ok(c),
        (status, _) => Err(format!(
            "sign-in as {email} answered {status} (is SHARDSCOPE_DEMO_PASSWORD the fleet's demo \
             password?): no figure can be measured"
        )
        .into()),
    }
}

/// Run a benchmark on a scratch database of the routing server (dropped before and after, also
/// when the benchmark fails), on the fleet `scripts/bench` started. `what` names the figure in
/// the error when the fleet is not there.
pub async fn on_scratch_db<F, Fut>(
    db: &str,
    what: &str,
    bench: F,
) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnOnce(shardscope::demo::fleet::Fleet) -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    let path = std::env::var("SHARDSCOPE_FLEET_FILE")
        .map_err(|_| format!("SHARDSCOPE_FLEET_FILE is not set: {what} cannot be measured"))?;
    let fleet = shardscope::demo::fleet::Fleet::load(path.as_ref())?;
    let admin =
        shardscope::migrate::connect(&fleet.admin_url(fleet.routing_port, "postgres")).await?;
    let drop_db = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop_db.clone()))
        .execute(&admin)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await?;
    let result = bench(fleet).await;
    sqlx::query(sqlx::AssertSqlSafe(drop_db))
        .execute(&admin)
        .await?;
    result
}
