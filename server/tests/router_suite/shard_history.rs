//! The history of every probe, through the router on the real fleet: probes land in ClickHouse's
//! `shard_samples`, the shard page charts them (SVG, a table, CSV) over the range in its URL, and
//! day partitions past two weeks are dropped.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestApp, fleet};
use http::StatusCode;
use shardscope::auth::Role;

/// The primary's row of one probe, as `shard_samples` holds it.
#[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
struct PrimaryRow {
    conns_total: u32,
    conns_active: u32,
    conns_idle: u32,
    conns_idle_in_transaction: u32,
    conns_waiting_on_lock: u32,
    max_connections: u32,
    db_bytes: u64,
    wal_retained_bytes: Option<u64>,
}

#[tokio::test]
async fn every_probe_lands_in_clickhouse_and_the_shard_page_charts_it() {
    let shard = fleet().shards[0].id.clone();
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let cookie = app.session_as(Role::Viewer).await;
    // One probe of this console's (what the overview page runs), with its values...
    let overview = shardscope::overview::fleet_overview(&app.console)
        .await
        .unwrap();
    let probed = overview.shards.iter().find(|r| r.id == shard).unwrap();
    let stats = probed.outcome.result.as_ref().expect("the shard answered");
    let ts = (probed.outcome.measured_at_ms / 1000) as u32;
    let n = |v: i64| v as u32;
    let want = PrimaryRow {
        conns_total: n(stats.conns_total),
        conns_active: n(stats.conns_active),
        conns_idle: n(stats.conns_idle),
        conns_idle_in_transaction: n(stats.conns_idle_in_transaction),
        conns_waiting_on_lock: n(stats.conns_waiting_on_lock),
        max_connections: n(stats.max_connections),
        db_bytes: stats.db_bytes as u64,
        wal_retained_bytes: stats.wal_retained_bytes.map(|b| b as u64),
    };
    // ... is a row of exactly those values, at its measurement second, within a bound (the
    // recorder inserts in batches every 2 s).
    let ch = common::clickhouse().await.expect("ClickHouse");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows: Vec<PrimaryRow> = ch
            .query(
                "SELECT conns_total, conns_active, conns_idle, conns_idle_in_transaction, \
                        conns_waiting_on_lock, max_connections, db_bytes, wal_retained_bytes \
                   FROM shard_samples WHERE shard_id = ? AND role = 'primary' AND reachable = 1 \
                    AND ts = toDateTime(?)",
            )
            .bind(shard.as_str())
            .bind(ts)
            .fetch_all()
            .await
            .expect("samples read");
        if rows.contains(&want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no shard_samples row equal to the probe of {shard} at {ts} within 30 s: want {want:?}, rows then {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Each replica's lag in bytes too.
    for r in &stats.replicas {
        let Ok(lag) = &r.result else { continue };
        let bytes: Vec<Option<u64>> = ch
            .query(
                "SELECT lag_bytes FROM shard_samples WHERE shard_id = ? AND role = 'replica' \
                  AND endpoint = ? AND ts = toDateTime(?)",
            )
            .bind(shard.as_str())
            .bind(r.endpoint.as_str())
            .bind(ts)
            .fetch_all()
            .await
            .expect("replica samples read");
        assert!(
            bytes.contains(&Some(lag.bytes)),
            "{}: lag {} B probed, rows {bytes:?}",
            r.endpoint,
            lag.bytes
        );
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
        // A chart with a drawn series, not an empty frame.
        assert!(
            svg.body.contains("<svg") && svg.body.contains("<polyline"),
            "{metric}: a line is drawn: {}",
            &svg.body[..svg.body.len().min(600)]
        );
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
            .starts_with("bucket,endpoint,role,reachable,conns_total,"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(",primary,true,"), "{}", csv.body);
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
async fn day_partitions_older_than_fourteen_days_are_dropped_and_the_fourteenth_kept() {
    let ch = common::clickhouse().await.expect("ClickHouse");
    let db = common::config().clickhouse_database;
    // Pinned at the boundary: samples are kept for 14 whole days before today. The first
    // second of the day 14 days ago stays; the last second of the day before it goes.
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let today = now - now % 86_400;
    let kept = today - 14 * 86_400;
    let old = kept - 1;
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
        "the sample of the day 15 days ago is gone, the one of 14 days ago kept"
    );
}
