//! The history of every probe, through the router on the real fleet: probes land in ClickHouse's
//! `shard_samples`, the shard page charts them (SVG, a table, CSV) over the range in its URL, and
//! day partitions past two weeks are dropped.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestApp, fleet};
use http::StatusCode;
use shardscope::auth::Role;

/// Rows of `shard_samples` for a shard's primary measured at or after `since` (unix seconds).
async fn samples_since(shard: &str, since: u32) -> u64 {
    common::clickhouse()
        .await
        .expect("ClickHouse")
        .query(
            "SELECT count() FROM shard_samples WHERE shard_id = ? AND role = 'primary' \
             AND reachable = 1 AND ts >= toDateTime(?)",
        )
        .bind(shard)
        .bind(since)
        .fetch_one::<u64>()
        .await
        .expect("count samples")
}

#[tokio::test]
async fn every_probe_lands_in_clickhouse_and_the_shard_page_charts_it() {
    let shard = fleet().shards[0].id.clone();
    let since = (shardscope::clock::now_ms() / 1000) as u32;
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let cookie = app.session_as(Role::Viewer).await;
    // The overview probes every shard; the recorder inserts within a couple of seconds.
    let overview = app.get("/", Some(&cookie)).await;
    assert_eq!(overview.status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while seen == 0 {
        seen = samples_since(&shard, since).await;
        assert!(
            seen > 0 || Instant::now() < deadline,
            "no shard_samples row for {shard} since {since} within 30 s of a probe"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let page = app
        .get(&format!("/shards/{shard}?range=15m"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("data-history=\"available\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("data-sample="), "{}", page.body);
    assert!(
        page.body
            .contains("aria-current=\"page\" class=\"range-link\">15m")
    );
    for metric in ["connections", "lag"] {
        let svg = app
            .get(
                &format!("/shards/{shard}/chart.svg?metric={metric}&range=15m"),
                Some(&cookie),
            )
            .await;
        assert_eq!(svg.status, StatusCode::OK, "{metric}: {}", svg.body);
        assert_eq!(svg.headers["content-type"], "image/svg+xml");
        assert!(svg.body.contains("<svg"), "{metric}");
    }
    let csv = app
        .get(
            &format!("/shards/{shard}?format=csv&range=15m"),
            Some(&cookie),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.body
            .starts_with("bucket_unix,endpoint,role,reachable,conns_total,"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(",primary,1,"), "{}", csv.body);
}

#[tokio::test]
async fn a_bad_range_metric_or_shard_is_refused_with_what_to_type() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    let shard = fleet().shards[0].id.clone();
    let bad_range = app
        .get(&format!("/shards/{shard}?range=2h"), Some(&cookie))
        .await;
    assert_eq!(
        bad_range.status,
        StatusCode::BAD_REQUEST,
        "{}",
        bad_range.body
    );
    assert!(
        bad_range.body.contains("15m, 1h, 6h, 24h, 7d"),
        "{}",
        bad_range.body
    );
    let bad_metric = app
        .get(
            &format!("/shards/{shard}/chart.svg?metric=cpu"),
            Some(&cookie),
        )
        .await;
    assert_eq!(bad_metric.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_metric.body,
        "unknown metric \"cpu\": use one of connections, lag"
    );
    let unknown = app
        .get("/shards/nope/chart.svg?metric=lag", Some(&cookie))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let csv = app.get("/shards/nope?format=csv", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::NOT_FOUND, "{}", csv.body);
    let odd = app
        .get(&format!("/shards/{shard}?format=xml"), Some(&cookie))
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST, "{}", odd.body);
}

#[tokio::test]
async fn day_partitions_older_than_two_weeks_are_dropped_and_newer_ones_kept() {
    let ch = common::clickhouse().await.expect("ClickHouse");
    let db = common::config().clickhouse_database;
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let old = now - 20 * 86_400;
    let kept = now - 10 * 86_400;
    let shard = format!("retention-test-{}", std::process::id());
    for ts in [old, kept] {
        ch.query(
            "INSERT INTO shard_samples (ts, shard_id, endpoint, role, reachable, failure) \
             VALUES (toDateTime(?), ?, 'h:1/d', 'primary', 1, '')",
        )
        .bind(ts)
        .bind(shard.as_str())
        .execute()
        .await
        .expect("sample inserted");
    }
    let dropped = shardscope::history::retention::run(&ch, &db)
        .await
        .expect("retention ran");
    let day = |ts: u32| -> u32 {
        let days = ts / 86_400;
        // civil date of a day number (Howard Hinnant's algorithm), as YYYYMMDD
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y * 10_000 + m * 100 + d) as u32
    };
    assert!(
        dropped.contains(&day(old)),
        "dropped {dropped:?}, expected {}",
        day(old)
    );
    assert!(!dropped.contains(&day(kept)), "dropped {dropped:?}");
    let left: Vec<u32> = ch
        .query("SELECT toUInt32(ts) FROM shard_samples WHERE shard_id = ? ORDER BY ts")
        .bind(shard.as_str())
        .fetch_all::<u32>()
        .await
        .unwrap();
    assert_eq!(
        left,
        vec![kept],
        "the 20-day-old sample is gone, the 10-day-old one kept"
    );
}
