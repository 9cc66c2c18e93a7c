//! Telemetry panels against the real ClickHouse server, on rows each test writes into its own
//! database: counter deltas with a restart, the "minutes in a row" boundary, quantiles and error
//! rates checked against values computed here, empty ranges, and every statement the console sends.

use shardscope::demo::seed::{HttpRequest, PoolStat, insert_rows};
use shardscope::telemetry::pools::{demand, pools_panel};
use shardscope::telemetry::requests::{View, requests_panel};
use shardscope::telemetry::{Filters, GroupBy, TopBy, sql};
use shardscope::time_range::TimeRange;
use shardscope::{Config, Console};

/// Drops the test's ClickHouse database when the test ends (however it ends).
struct DropDatabase(String, String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, db) = (self.0.clone(), self.1.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let server = shardscope::clickhouse_db::client(&url, "default", "");
                let _ = server
                    .query(&format!("DROP DATABASE IF EXISTS {db}"))
                    .execute()
                    .await;
            });
        })
        .join()
        .ok();
    }
}

/// A console reading telemetry from a fresh database (migrated), no result cache.
async fn console_on_fresh_db(tag: &str) -> (Console, clickhouse::Client, DropDatabase) {
    let db = format!(
        "test_{tag}_{}_{}",
        std::process::id(),
        shardscope::clock::now_ms() % 1_000_000
    );
    let mut config = Config::from_env().expect("fleet env");
    let url = config
        .clickhouse_url
        .clone()
        .expect("ClickHouse configured");
    let server = shardscope::clickhouse_db::client(&url, "default", "");
    shardscope::migrate::clickhouse(&server, &db).await.unwrap();
    config.clickhouse_database = db.clone();
    config.engine.cache_ttl = std::time::Duration::ZERO;
    let writer = shardscope::clickhouse_db::connect(&url, "default", "", &db)
        .await
        .unwrap();
    let guard = DropDatabase(url, db);
    (Console::new(config).unwrap(), writer, guard)
}

fn pool(ts: u32, instance: &str, count: u64, dur: u64) -> PoolStat {
    PoolStat {
        ts,
        service: "core-api".into(),
        instance: instance.into(),
        shard_id: "s1".into(),
        total_conns: 20,
        acquired_conns: 18,
        idle_conns: 2,
        max_conns: 20,
        wait_count: count,
        wait_duration_ms: dur,
    }
}

const T0: u32 = 1_790_000_040; // a minute boundary + 40 s is fine: buckets are absolute
/// "Now" for the panels: well after every range the tests write (no minute is in progress).
const NOW: u32 = 1_800_000_000;

#[tokio::test]
async fn waits_are_counter_differences_and_a_restart_is_not_negative() {
    let (console, w, _db) = console_on_fresh_db("waits").await;
    let t0 = T0 - T0 % 60;
    // Every 15 s for 10 minutes: +3 waits (+30 ms) per sample; at minute 5 the service restarts
    // and its counter starts again from 0 (first sample after: 2 waits, 40 ms).
    let mut rows = Vec::new();
    let (mut c, mut d) = (100u64, 5000u64);
    let mut expected = 0u64;
    let mut expected_ms = 0u64;
    for i in 0..40u32 {
        let ts = t0 + i * 15;
        if i == 20 {
            (c, d) = (2, 40);
            expected += 2;
            expected_ms += 40;
        } else if i > 0 {
            c += 3;
            d += 30;
            expected += 3;
            expected_ms += 30;
        }
        rows.push(pool(ts, "a", c, d));
    }
    insert_rows(&w, "pool_stats", &rows).await.unwrap();
    let range = TimeRange::custom(t0, t0 + 600);
    let panel = pools_panel(console.telemetry(), &range, &Filters::default(), NOW).await;
    let pools = panel.pools.expect("pools answer");
    assert_eq!(pools.len(), 1);
    let p = &pools[0];
    assert_eq!(
        p.waits, expected,
        "sum of differences with the restart counted from zero"
    );
    assert_eq!(p.mean_wait_ms, Some(expected_ms as f64 / expected as f64));
    assert_eq!(p.waits_per_minute, expected as f64 / 10.0);
    let series = panel.series.expect("series answer");
    assert!(series.iter().all(|s| s.value >= 0.0), "{series:?}");
    let total_per_minute: f64 = series
        .iter()
        .map(|s| s.value * range.step as f64 / 60.0)
        .sum();
    assert!(
        (total_per_minute - expected as f64).abs() < 1e-9,
        "{total_per_minute}"
    );
    // Per-minute rates: 12 waits per minute (4 samples × 3) outside the restart's minute.
    assert_eq!(range.step, 15);
    assert!(
        series.iter().any(|s| (s.value - 12.0).abs() < 1e-9),
        "{series:?}"
    );
}

#[tokio::test]
async fn minutes_in_a_row_count_back_from_the_last_sample() {
    let (console, w, _db) = console_on_fresh_db("streak").await;
    let t0 = T0 - T0 % 60;
    // Instance "a": waits in minutes 0, 2, 3, 4 (not 1): streak 3 at minute 4.
    // Instance "b": waits in minutes 0..=3, none in minute 4 (its last): streak 0.
    // Instance "c": a wait only in minute 4: streak 1 (the boundary: one minute is enough).
    let plan: [(&str, [bool; 5]); 3] = [
        ("a", [true, false, true, true, true]),
        ("b", [true, true, true, true, false]),
        ("c", [false, false, false, false, true]),
    ];
    let mut rows = Vec::new();
    for (inst, minutes) in plan {
        let mut c = 0u64;
        // A sample just before the range gives the first minute its baseline.
        rows.push(pool(t0 - 15, inst, 0, 0));
        for (m, waits) in minutes.iter().enumerate() {
            for s in 0..4u32 {
                if *waits && s == 1 {
                    c += 1;
                }
                rows.push(pool(t0 + m as u32 * 60 + s * 15, inst, c, c * 10));
            }
        }
    }
    insert_rows(&w, "pool_stats", &rows).await.unwrap();
    let range = TimeRange::custom(t0, t0 + 300);
    let pools = pools_panel(console.telemetry(), &range, &Filters::default(), NOW)
        .await
        .pools
        .expect("answer");
    let streak = |i: &str| {
        pools
            .iter()
            .find(|p| p.instance == i)
            .unwrap()
            .streak_minutes
    };
    assert_eq!((streak("a"), streak("b"), streak("c")), (3, 0, 1));
    assert!(pools.iter().find(|p| p.instance == "c").unwrap().alerting());
    assert!(!pools.iter().find(|p| p.instance == "b").unwrap().alerting());
}

fn request(ts: u32, shard: &str, org: u64, duration_ms: f64, status: u16) -> HttpRequest {
    HttpRequest {
        ts,
        org_id: org,
        shard_id: shard.into(),
        service: "core-api".into(),
        instance: "core-api-1".into(),
        method: "GET".into(),
        route: "/v1/appointments".into(),
        status,
        duration_ms,
        request_id: format!("{ts}-{duration_ms}"),
    }
}

/// The interpolated quantile (what ClickHouse's `quantile` computes exactly below 8192 values).
fn quantile(sorted: &[f64], level: f64) -> f64 {
    let pos = level * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[tokio::test]
async fn p99_and_error_rate_match_values_computed_here() {
    let (console, w, _db) = console_on_fresh_db("requests").await;
    let t0 = T0 - T0 % 3600;
    let mut rows = Vec::new();
    let mut durations: Vec<f64> = Vec::new();
    let mut rng = 12345u64;
    for i in 0..3000u32 {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let d = ((rng >> 33) % 20_000) as f64 / 10.0;
        let status = if i % 40 == 0 { 503 } else { 200 };
        let shard = if i % 3 == 0 { "s2" } else { "s1" };
        rows.push(request(t0 + i % 3600, shard, 7 + (i % 2) as u64, d, status));
        if shard == "s1" {
            durations.push(d);
        }
    }
    insert_rows(&w, "http_requests", &rows).await.unwrap();
    let range = TimeRange::custom(t0, t0 + 3600);
    let view = View {
        group: GroupBy::Shard,
        by: TopBy::Volume,
        top: 5,
    };
    let panel = requests_panel(console.telemetry(), &range, &Filters::default(), view, NOW).await;
    let groups = panel.groups.expect("groups");
    assert_eq!(
        groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
        ["s1", "s2"]
    );
    let s1 = &groups[0].stats;
    durations.sort_by(f64::total_cmp);
    assert_eq!(s1.requests, durations.len() as u64);
    let expected_p99 = quantile(&durations, 0.99);
    let got = s1.p99_ms.unwrap();
    assert!(
        (got - expected_p99).abs() < 1e-6 * expected_p99.max(1.0),
        "p99 {got} vs {expected_p99}"
    );
    let expected_p50 = quantile(&durations, 0.5);
    assert!((s1.p50_ms.unwrap() - expected_p50).abs() < 1e-6 * expected_p50.max(1.0));
    let errors = rows
        .iter()
        .filter(|r| r.shard_id == "s1" && r.status >= 500)
        .count() as u64;
    assert_eq!(s1.errors, errors);
    assert_eq!(
        s1.error_percent,
        Some(errors as f64 * 100.0 / durations.len() as f64)
    );
    let totals = panel.totals.expect("totals");
    assert_eq!(totals.requests, 3000);
    assert_eq!(totals.errors, 75);
    // The series adds up to the totals, bucket by bucket.
    let series = panel.series.expect("series");
    let sum: u64 = series
        .iter()
        .filter(|b| b.key == "s1")
        .map(|b| b.stats.requests)
        .sum();
    assert_eq!(sum, s1.requests);
    // Filtered by org and grouped by org: one group.
    let f = Filters {
        org: Some(7),
        ..Default::default()
    };
    let by_org = View {
        group: GroupBy::Org,
        ..view
    };
    let groups = requests_panel(console.telemetry(), &range, &f, by_org, NOW)
        .await
        .groups
        .unwrap();
    assert_eq!(
        groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
        ["7"]
    );
}

#[tokio::test]
async fn an_empty_range_is_no_data_not_an_error() {
    let (console, _w, _db) = console_on_fresh_db("empty").await;
    let range = TimeRange::custom(T0, T0 + 3600);
    let view = View {
        group: GroupBy::Route,
        by: TopBy::P99,
        top: 5,
    };
    let panel = requests_panel(console.telemetry(), &range, &Filters::default(), view, NOW).await;
    assert_eq!(panel.totals.unwrap().requests, 0);
    assert!(panel.groups.unwrap().is_empty());
    assert!(panel.series.unwrap().is_empty());
    let pools = pools_panel(console.telemetry(), &range, &Filters::default(), NOW).await;
    assert!(pools.pools.unwrap().is_empty());
    assert!(pools.series.unwrap().is_empty());
    assert!(
        demand(console.telemetry(), T0, &Filters::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn every_statement_runs_on_this_server() {
    let (_console, w, _db) = console_on_fresh_db("catalog").await;
    for (name, sql) in sql::catalog(T0) {
        let mut cursor = w
            .query(&sql.replace('?', "??"))
            .fetch_bytes("TabSeparated")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        cursor
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{name} failed on ClickHouse 18.16: {e}\n{sql}"));
    }
}

#[tokio::test]
async fn unreachable_clickhouse_makes_the_panel_unavailable_within_the_deadline() {
    let mut config = Config::from_env().expect("fleet env");
    // A port nothing listens on: one the kernel just gave this test and took back (not a fixed
    // port some machine may serve).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config.clickhouse_url = Some(format!("http://127.0.0.1:{port}"));
    config.telemetry.deadline = std::time::Duration::from_millis(800);
    let console = Console::new(config).unwrap();
    let started = std::time::Instant::now();
    let range = TimeRange::custom(T0, T0 + 3600);
    let panel = pools_panel(console.telemetry(), &range, &Filters::default(), NOW).await;
    let err = panel.pools.unwrap_err();
    assert_eq!(
        err,
        shardscope::partial::Failure::new(
            shardscope::partial::FailureKind::Refused,
            "ClickHouse is unreachable"
        )
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_clickhouse_that_accepts_and_never_answers_is_cut_off_at_the_deadline() {
    // A socket that accepts connections and reads requests but never writes a byte: the query
    // must end at the telemetry deadline (not hang the page), and say so.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = Config::from_env().expect("fleet env");
    config.clickhouse_url = Some(format!("http://{addr}"));
    config.telemetry.deadline = std::time::Duration::from_millis(700);
    let console = Console::new(config).unwrap();
    let range = TimeRange::custom(T0, T0 + 3600);
    let started = std::time::Instant::now();
    let view = View {
        group: GroupBy::Shard,
        by: TopBy::Volume,
        top: 5,
    };
    let panel = requests_panel(console.telemetry(), &range, &Filters::default(), view, NOW).await;
    let elapsed = started.elapsed();
    let err = panel.totals.unwrap_err();
    assert_eq!(
        err,
        shardscope::partial::Failure::new(
            shardscope::partial::FailureKind::Timeout,
            "ClickHouse did not answer within 700 ms"
        )
    );
    // Totals and top run in parallel, each under the deadline; the series is not attempted.
    assert!(elapsed < std::time::Duration::from_secs(3), "{elapsed:?}");
    sink.abort();
}
