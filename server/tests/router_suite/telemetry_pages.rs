//! The telemetry pages through the real router, on the real ClickHouse: what a viewer sees, the
//! CSV and charts of the same view, and every kind of bad input answered 400 with what to type.
//! Rows are written by the test into its own ClickHouse database, so the figures are known.

use crate::common;

use common::TestApp;
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{HttpRequest, PoolStat, SlowQuery, insert_rows};

/// Drops the test's ClickHouse database when the test ends (however it ends).
pub(crate) struct DropDatabase(String, String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let (url, db) = (self.0.clone(), self.1.clone());
        common::block_on_own_runtime(async move {
            let server = shardscope::clickhouse_db::client(&url, "default", "");
            let _ = server
                .query(&format!("DROP DATABASE IF EXISTS {db}"))
                .execute()
                .await;
        });
    }
}

/// A console reading telemetry from a fresh database this test fills.
pub(crate) async fn app_on_fresh_telemetry(
    tag: &str,
) -> (
    TestApp,
    shardscope::clickhouse_db::Client,
    u32,
    DropDatabase,
) {
    let db = format!(
        "test_{tag}_{}_{}",
        std::process::id(),
        shardscope::clock::now_ms() % 1_000_000
    );
    let config = common::config();
    let url = config.clickhouse_url.clone().unwrap();
    let server = shardscope::clickhouse_db::client(&url, "default", "");
    shardscope::migrate::clickhouse(&server, &db).await.unwrap();
    let writer = shardscope::clickhouse_db::connect(&url, "default", "", &db)
        .await
        .unwrap();
    let app = TestApp::with(|c| {
        c.clickhouse_database = db.clone();
        c.engine.cache_ttl = std::time::Duration::ZERO;
        c.engine.stale_max = std::time::Duration::ZERO;
    });
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    (app, writer, now, DropDatabase(url, db))
}

/// The text of every `<text>` element of a plotters SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(_, rest)| rest))
        .filter_map(|rest| {
            rest.split_once("</text>")
                .map(|(text, _)| text.trim().to_string())
        })
        .collect()
}

fn shard_ids() -> Vec<String> {
    common::fleet()
        .shards
        .iter()
        .map(|s| s.id.clone())
        .collect()
}

pub(crate) async fn fill(w: &shardscope::clickhouse_db::Client, now: u32) -> String {
    let shard = shard_ids()[0].clone();
    let mut pools = Vec::new();
    // Last 10 minutes, every 15 s: two core-api instances of 40 each on the first shard (80 of
    // its 100 max_connections + the reserve of 10 = 90: fits), one waiting every sample.
    for i in 0..40u32 {
        let ts = now - 600 + i * 15;
        for (inst, waits) in [("core-api-1", i as u64), ("core-api-2", 0)] {
            pools.push(PoolStat {
                ts,
                service: "core-api".into(),
                instance: inst.into(),
                shard_id: shard.clone(),
                total_conns: 40,
                acquired_conns: 40,
                idle_conns: 0,
                max_conns: 40,
                wait_count: waits,
                wait_duration_ms: waits * 25,
            });
        }
    }
    insert_rows(w, "pool_stats", &pools).await.unwrap();
    let requests: Vec<HttpRequest> = (0..200u32)
        .map(|i| HttpRequest {
            ts: now - 1800 + i * 9,
            org_id: 7,
            shard_id: shard.clone(),
            service: "core-api".into(),
            instance: "core-api-1".into(),
            method: "GET".into(),
            route: "/v1/appointments".into(),
            status: if i % 50 == 0 { 503 } else { 200 },
            duration_ms: 10.0 + i as f64,
            request_id: i.to_string(),
        })
        .collect();
    insert_rows(w, "http_requests", &requests).await.unwrap();
    let slow: Vec<SlowQuery> = [7u64, 8]
        .iter()
        .map(|org| SlowQuery {
            ts: now - 100,
            shard_id: shard.clone(),
            org_id: *org,
            service: "core-api".into(),
            request_id: org.to_string(),
            duration_ms: 900.0,
            query: format!(
                "SELECT * FROM forms WHERE organization_id = {org} AND status = 'draft'"
            ),
        })
        .collect();
    insert_rows(w, "slow_queries", &slow).await.unwrap();
    shard
}

#[tokio::test]
async fn a_viewer_sees_pools_waits_and_the_connection_math() {
    let (app, w, now, _db) = app_on_fresh_telemetry("pools").await;
    let shard = fill(&w, now).await;
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get("/pools?range=15m", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    // Busiest first: the waiting instance leads, with its streak.
    let first = html
        .find(r#"data-instance="core-api-1""#)
        .expect("core-api-1 row");
    let second = html
        .find(r#"data-instance="core-api-2""#)
        .expect("core-api-2 row");
    assert!(first < second, "the pool with waits comes first");
    assert!(
        html.contains("min in a row"),
        "the waiting pool says for how long"
    );
    // Connection math: 2 × 40 + reserve 10 = 90 against the shard's live max_connections (100).
    assert!(
        html.contains("core-api: 2 instances, pool max Σ 80"),
        "demand per service"
    );
    let row_of = |html: &str, shard: &str| -> String {
        let start = html
            .find(&format!(r#"data-shard="{shard}""#))
            .unwrap_or_else(|| panic!("no row for {shard}"));
        html[start..].chars().take(600).collect()
    };
    let row = row_of(html, &shard);
    // 10 % headroom (90 of 100) is "tight" (under 20 %), not "fits".
    assert!(row.contains(r#"data-fits="tight""#), "{row}");
    assert!(row.contains(">90<"), "needed = 90: {row}");
    // A shard with no pools reported still has its row.
    let other = &shard_ids()[1];
    assert!(html.contains(&format!(r#"data-shard="{other}""#)));
    // Three instances of 40 on the other shard: 120 + the reserve of 10 = 130 > 100, "does not
    // fit", in red.
    let pools: Vec<PoolStat> = (0..3)
        .map(|i| PoolStat {
            ts: now - 60,
            service: "billing".into(),
            instance: format!("billing-{i}"),
            shard_id: other.clone(),
            total_conns: 10,
            acquired_conns: 5,
            idle_conns: 5,
            max_conns: 40,
            wait_count: 0,
            wait_duration_ms: 0,
        })
        .collect();
    insert_rows(&w, "pool_stats", &pools).await.unwrap();
    let again = app.get("/pools?range=15m", Some(&cookie)).await;
    let row = row_of(&again.body, other);
    assert!(row.contains(r#"data-fits="does not fit""#), "{row}");
    assert!(row.contains(">130<"), "needed = 130: {row}");
    assert!(
        row.contains(r#"data-level="critical""#),
        "shown as critical: {row}"
    );
    // The chart and its CSV follow the same query.
    assert!(html.contains(r#"src="/charts/pools.svg?range=15m""#));
    let svg = app.get("/charts/pools.svg?range=15m", Some(&cookie)).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.body.starts_with("<svg") && svg.body.contains(&shard));
    let csv = app.get("/pools?range=15m&format=csv", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv.body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("shard,service,instance,acquired")
    );
    let first_row = lines.next().unwrap();
    assert!(
        first_row.contains("core-api-1"),
        "busiest first in the CSV too: {first_row}"
    );
    let conn = app
        .get(
            "/pools?range=15m&format=csv&table=connections",
            Some(&cookie),
        )
        .await;
    assert!(
        conn.body.contains(&format!(
            "{shard},core-api: 2 instances (pool max sum 80),10,90,100"
        )),
        "{}",
        conn.body
    );
}

#[tokio::test]
async fn requests_and_slow_queries_show_the_written_figures() {
    let (app, w, now, _db) = app_on_fresh_telemetry("requests").await;
    let shard = fill(&w, now).await;
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get("/telemetry?group=org&top=3", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"data-key="7""#), "org 7's row");
    // 4 of 200 requests were 503s: 2.00 %.
    assert!(page.body.contains("2.00 %"), "5xx rate");
    for metric in ["rate", "p99", "errors"] {
        let svg = app
            .get(
                &format!("/charts/requests.svg?group=org&top=3&metric={metric}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(svg.status, StatusCode::OK, "{metric}");
        assert!(
            svg_texts(&svg.body).iter().any(|t| t == "7"),
            "{metric}: org 7 in the legend"
        );
    }
    let p99 = app
        .get("/charts/requests.svg?metric=p99", Some(&cookie))
        .await;
    assert!(
        p99.body.contains("alert: p99 &gt; 1 s"),
        "the threshold line is labelled"
    );
    let csv = app
        .get("/telemetry?format=csv&table=series", Some(&cookie))
        .await;
    assert!(
        csv.body.starts_with("shard,bucket_start,requests"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(&shard));

    let slow = app.get("/telemetry/slow-queries", Some(&cookie)).await;
    assert_eq!(slow.status, StatusCode::OK);
    // Two orgs' statements differ only in their values: one row, count 2, 2 orgs.
    assert!(
        slow.body
            .contains("SELECT * FROM forms WHERE organization_id = ? AND status = ?"),
        "normalised text"
    );
    // pg_stat_statements: installed on the first shard, missing where the seeder left it out.
    let fleet = common::fleet();
    let missing = shardscope::demo::seed::shard_without_pg_stat_statements(&fleet).unwrap();
    let section = |id: &str| {
        let start = slow.body.find(&format!(r#"data-shard="{id}""#)).unwrap();
        slow.body[start..].chars().take(400).collect::<String>()
    };
    assert!(
        section(missing).contains(r#"data-pgss="missing""#),
        "{}",
        section(missing)
    );
    assert!(
        section(&shard).contains(r#"data-pgss="installed""#),
        "{}",
        section(&shard)
    );
}

#[tokio::test]
async fn an_empty_range_says_so() {
    let (app, _w, _now, _db) = app_on_fresh_telemetry("empty").await;
    let cookie = app.session_as(Role::Viewer).await;
    for path in [
        "/pools?from=2020-01-01&to=2020-01-02",
        "/telemetry?from=2020-01-01&to=2020-01-02",
        "/telemetry/slow-queries?from=2020-01-01&to=2020-01-02",
    ] {
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("in this range"),
            "{path}: an empty state"
        );
        assert!(!page.body.contains("unavailable"), "{path}: not an error");
    }
}

#[tokio::test]
async fn bad_input_is_a_400_that_says_what_to_type() {
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    let cases = [
        ("/pools?shard=mars-9", "unknown shard"),
        (
            "/pools?from=2026-11-28T10:00&to=2026-11-28T09:00",
            "earlier than",
        ),
        ("/pools?range=2w", "unknown range"),
        ("/pools?from=yesterday&to=today", "must be a date"),
        ("/telemetry?top=99", "from 1 to 20"),
        ("/telemetry?group=planet", "unknown group"),
        ("/telemetry?org=acme", "organization id"),
        ("/telemetry?org=987654321", "unknown organization 987654321"),
        ("/telemetry/slow-queries?top=0", "from 1 to 100"),
        ("/pools?format=xml", "unknown format"),
        ("/pools?format=csv&table=nope", "unknown table"),
        ("/telemetry?format=csv&shard=mars-9", "unknown shard"),
        ("/charts/requests.svg?metric=median", "unknown metric"),
        ("/charts/pools.svg?range=2w", "unknown range"),
    ];
    for (path, says) in cases {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert!(
            r.body.contains(says),
            "{path} should say {says:?}: {}",
            r.body.chars().take(400).collect::<String>()
        );
    }
    // The form keeps what was typed, so it can be corrected.
    let r = app
        .get(
            "/pools?from=2026-11-28T10:00&to=2026-11-28T09:00",
            Some(&cookie),
        )
        .await;
    assert!(r.body.contains(r#"value="2026-11-28T10:00""#));
}

#[tokio::test]
async fn anonymous_users_are_sent_to_sign_in_and_exports_need_a_session() {
    let app = TestApp::new();
    for path in ["/pools", "/telemetry?format=csv", "/charts/pools.svg"] {
        let r = app.get(path, None).await;
        assert!(
            r.status == StatusCode::SEE_OTHER || r.status == StatusCode::UNAUTHORIZED,
            "{path}: {}",
            r.status
        );
        assert!(
            !r.body.contains("shard,"),
            "{path}: no data without a session"
        );
    }
}

/// Patient text inside a slow query's literals never reaches a viewer (security review M2): the
/// services log statements with dollar-quoted, escape-string and backslash-quoted literals and
/// comments; the page and its CSV show each statement once with every literal as `?`.
#[tokio::test]
async fn slow_query_literals_of_every_quoting_form_are_stripped_on_the_page_and_csv() {
    let (app, w, now, _db) = app_on_fresh_telemetry("literals").await;
    let shard = shard_ids()[0].clone();
    let texts = [
        "UPDATE patients SET note = $$Maria Lopez called 555-0100$$ WHERE id = 42",
        "UPDATE patients SET note = $n$Ana O'Brien$n$ WHERE id = 43",
        r"UPDATE patients SET note = E'O\'Brien Maria' WHERE id = 44",
        r"UPDATE patients SET note = 'Lopez\' , ''Maria' WHERE id = 45",
        "UPDATE patients SET note = 'Maria''s chart' WHERE id = 46 /* caller Lopez */",
    ];
    let slow: Vec<SlowQuery> = texts
        .iter()
        .enumerate()
        .map(|(i, q)| SlowQuery {
            ts: now - 100 + i as u32,
            shard_id: shard.clone(),
            org_id: 7 + i as u64,
            service: "core-api".into(),
            request_id: format!("lit-{i}"),
            duration_ms: 700.0 + i as f64,
            query: (*q).into(),
        })
        .collect();
    insert_rows(&w, "slow_queries", &slow).await.unwrap();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get("/telemetry/slow-queries", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csv = app
        .get(
            "/telemetry/slow-queries?format=csv&table=queries",
            Some(&cookie),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    for secret in ["Maria", "Lopez", "Brien", "0100", "chart", "caller"] {
        assert!(!page.body.contains(secret), "page shows {secret:?}");
        assert!(
            !csv.body.contains(secret),
            "CSV shows {secret:?}: {}",
            csv.body
        );
    }
    // Three read the same once stripped: one row of 3 calls from 3 orgs. The backslash one
    // reads as a literal to the end under one of PostgreSQL's two readings, so all of it after
    // `note =` is hidden; the one with a comment reads differently (the comment is hidden too).
    let merged = "UPDATE patients SET note = ? WHERE id = ?";
    let line = csv
        .body
        .lines()
        .find(|l| l.starts_with(merged) || l.starts_with(&format!("\"{merged}\"")))
        .unwrap_or_else(|| panic!("a merged row in the CSV: {}", csv.body));
    let cells: Vec<&str> = line.rsplitn(7, ',').collect();
    assert_eq!(
        (cells[5], cells[1]),
        ("3", "3"),
        "calls and orgs of the merged row: {line}"
    );
    assert!(
        csv.body
            .lines()
            .any(|l| l.starts_with("UPDATE patients SET note = ?,")),
        "the backslash-quoted one, hidden to its end: {}",
        csv.body
    );
    assert!(
        csv.body
            .contains("UPDATE patients SET note = ? WHERE id = ? ?"),
        "the commented one, comment hidden: {}",
        csv.body
    );
    assert!(
        page.body.contains(merged),
        "the page shows the stripped text"
    );
}

/// The text of each cell (`<th>` and `<td>`) of the row `data-key="{key}"` of the group table.
fn group_row(html: &str, key: &str) -> Vec<String> {
    let row = html
        .split(&format!("<tr data-key=\"{key}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no row {key}"))
        .split("</tr>")
        .next()
        .unwrap();
    row.replace("<!>", "")
        .split("</t")
        .filter_map(|c| c.rsplit_once('>').map(|(_, text)| text.to_string()))
        .filter(|t| !t.is_empty())
        .collect()
}

#[tokio::test]
async fn the_numbers_table_shows_p95_the_top_is_by_volume_or_p99_and_the_5xx_chart_has_its_line() {
    let (app, w, now, _db) = app_on_fresh_telemetry("topby").await;
    let shard = shard_ids()[0].clone();
    let request = |i: u32, org: u64, duration_ms: f64, status: u16| HttpRequest {
        ts: now - 1200 + i,
        org_id: org,
        shard_id: shard.clone(),
        service: "core-api".into(),
        instance: "core-api-1".into(),
        method: "GET".into(),
        route: "/v1/forms".into(),
        status,
        duration_ms,
        request_id: format!("{org}-{i}"),
    };
    // Org 21: the most requests, 90 fast and 10 slow (p50 10 ms, p95 = p99 = 500 ms).
    // Org 22: five requests, all slow (p99 2000 ms). Org 23: in between on both.
    let mut rows: Vec<HttpRequest> = (0..100)
        .map(|i| request(i, 21, if i < 90 { 10.0 } else { 500.0 }, 200))
        .collect();
    rows.extend((0..5).map(|i| request(i, 22, 2000.0, 500)));
    rows.extend((0..40).map(|i| request(i, 23, 100.0, 200)));
    insert_rows(&w, "http_requests", &rows).await.unwrap();
    let cookie = app.session_as(Role::Viewer).await;

    let by_volume = app.get("/telemetry?group=org&top=1", Some(&cookie)).await;
    assert_eq!(by_volume.status, StatusCode::OK, "{}", by_volume.body);
    assert_eq!(
        group_row(&by_volume.body, "21"),
        [
            "21", "100", "0.03", "10.0 ms", "500 ms", "500 ms", "0", "0.00 %"
        ],
        "org, requests, per second (100 in the default hour), p50, p95, p99, 5xx, 5xx %"
    );
    assert!(
        !by_volume.body.contains("<tr data-key=\"22\""),
        "top 1 by volume"
    );
    let by_p99 = app
        .get("/telemetry?group=org&top=1&by=p99", Some(&cookie))
        .await;
    assert_eq!(by_p99.status, StatusCode::OK, "{}", by_p99.body);
    assert_eq!(group_row(&by_p99.body, "22")[5], "2000 ms");
    assert!(!by_p99.body.contains("<tr data-key=\"21\""), "top 1 by p99");

    let errors = app
        .get(
            "/charts/requests.svg?group=org&metric=errors",
            Some(&cookie),
        )
        .await;
    assert_eq!(errors.status, StatusCode::OK);
    assert!(
        svg_texts(&errors.body)
            .iter()
            .any(|t| t == "alert: 5xx &gt; 1 %"),
        "the 1 % line is labelled: {:?}",
        svg_texts(&errors.body)
    );
}

#[tokio::test]
async fn a_tenant_page_shows_its_own_requests_p99_5xx_routes_pools_and_slow_queries() {
    let (app, w, now, _db) = app_on_fresh_telemetry("tenant").await;
    let org: i64 = 2;
    let shard: String =
        sqlx::query_scalar("SELECT shard_id FROM tenant_shards WHERE organization_id = $1")
            .bind(org)
            .fetch_one(&common::owner_pool().await)
            .await
            .unwrap();
    let request = |i: u32, org: u64, route: &str, duration_ms: f64, status: u16| HttpRequest {
        ts: now - 1200 + i,
        org_id: org,
        shard_id: shard.clone(),
        service: "core-api".into(),
        instance: "core-api-1".into(),
        method: "GET".into(),
        route: route.into(),
        status,
        duration_ms,
        request_id: format!("{org}-{route}-{i}"),
    };
    // Org 2: 100 form requests at 300 ms (10 of them 503s) and 20 patient reads at 40 ms.
    // Org 7 on the same shard: its own route, never shown here.
    let mut rows: Vec<HttpRequest> = (0..100)
        .map(|i| {
            request(
                i,
                2,
                "/v1/forms",
                300.0,
                if i % 10 == 0 { 503 } else { 200 },
            )
        })
        .collect();
    rows.extend((0..20).map(|i| request(i, 2, "/v1/patients/{id}", 40.0, 200)));
    rows.extend((0..30).map(|i| request(i, 7, "/v1/other-orgs-route", 5000.0, 500)));
    insert_rows(&w, "http_requests", &rows).await.unwrap();
    let pools: Vec<PoolStat> = (0..8u32)
        .map(|i| PoolStat {
            ts: now - 600 + i * 15,
            service: "core-api".into(),
            instance: "core-api-9".into(),
            shard_id: shard.clone(),
            total_conns: 20,
            acquired_conns: 20,
            idle_conns: 0,
            max_conns: 20,
            wait_count: i as u64,
            wait_duration_ms: 0,
        })
        .collect();
    insert_rows(&w, "pool_stats", &pools).await.unwrap();
    let slow: Vec<SlowQuery> = [
        (2u64, "SELECT * FROM forms WHERE id = 41"),
        (7, "SELECT * FROM invoices WHERE id = 9"),
    ]
    .iter()
    .map(|(org, q)| SlowQuery {
        ts: now - 100,
        shard_id: shard.clone(),
        org_id: *org,
        service: "core-api".into(),
        request_id: format!("slow-{org}"),
        duration_ms: 900.0,
        query: q.to_string(),
    })
    .collect();
    insert_rows(&w, "slow_queries", &slow).await.unwrap();

    let cookie = app.session_as(Role::Support).await;
    let page = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = page.body.replace("<!>", "");
    let totals = body
        .split("data-telemetry=\"totals\"")
        .nth(1)
        .expect("its totals")
        .split("</dl>")
        .next()
        .unwrap();
    for want in ["<dd>120 (", "<dd>300 ms</dd>", "<dd>8.33 %</dd>"] {
        assert!(totals.contains(want), "{want} in {totals}");
    }
    // The routes table is the requests page's (one definition): its row as shown and as exported.
    assert!(
        body.contains(
            "<tr data-key=\"GET /v1/forms\"><th scope=\"row\">GET /v1/forms</th><td class=\"num\">100</td>"
        ),
        "the forms route's row: {body}"
    );
    let export = app
        .get(
            &format!("/tenants/{org}?format=json&table=routes"),
            Some(&cookie),
        )
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    let v: serde_json::Value = serde_json::from_str(&export.body).expect("JSON");
    let rows = v["rows"].as_array().expect("rows");
    let forms = rows
        .iter()
        .find(|r| r["route"] == "GET /v1/forms")
        .unwrap_or_else(|| panic!("the forms route exported: {rows:?}"));
    assert_eq!(forms["requests"], 100, "{forms}");
    assert_eq!(forms["p99_ms"], 300.0, "{forms}");
    assert_eq!(forms["errors_5xx"], 10, "{forms}");
    assert_eq!(forms["error_percent"], 10.0, "{forms}");
    let patients = rows
        .iter()
        .find(|r| r["route"] == "GET /v1/patients/{id}")
        .unwrap_or_else(|| panic!("the patients route exported: {rows:?}"));
    assert_eq!(patients["requests"], 20, "{patients}");
    assert_eq!(patients["p99_ms"], 40.0, "{patients}");
    assert!(
        !body.contains("/v1/other-orgs-route"),
        "another org's route is not this tenant's"
    );
    assert!(
        body.contains(&format!("Pool waits on {shard}"))
            && body.contains(
                "<th scope=\"row\">core-api-9</th><td class=\"num full\">20</td><td class=\"num\">0</td><td class=\"num\">20</td><td class=\"num\">20</td>"
            ),
        "its shard's pools: {body}"
    );
    assert!(
        body.contains("<code class=\"sql\">SELECT * FROM forms WHERE id = ?</code>"),
        "its slow query, stripped: {body}"
    );
    assert!(
        !body.contains("FROM invoices"),
        "another org's slow query is not shown"
    );
}

#[tokio::test]
async fn a_hostile_route_or_service_name_is_text_in_the_chart_svg() {
    let (app, w, now, _db) = app_on_fresh_telemetry("hostile_chart").await;
    let shard = shard_ids()[0].clone();
    let hostile = r#"/x"/></text><script>alert(1)</script><text a='&amp;"#;
    let rows: Vec<HttpRequest> = (0..20u32)
        .map(|i| HttpRequest {
            ts: now - 600 + i,
            org_id: 7,
            shard_id: shard.clone(),
            service: "svc<b onmouseover=alert(2)>".into(),
            instance: "i-1".into(),
            method: "GET".into(),
            route: hostile.into(),
            status: 200,
            duration_ms: 20.0,
            request_id: i.to_string(),
        })
        .collect();
    insert_rows(&w, "http_requests", &rows).await.unwrap();
    let cookie = app.session_as(Role::Viewer).await;
    for metric in ["rate", "p99", "errors"] {
        let svg = app
            .get(
                &format!("/charts/requests.svg?group=route&metric={metric}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(svg.status, StatusCode::OK, "{metric}");
        assert_eq!(
            svg.headers["content-type"].to_str().unwrap(),
            "image/svg+xml",
            "{metric}"
        );
        assert!(!svg.body.contains("<script"), "{metric}: {}", svg.body);
        assert!(!svg.body.contains("onmouseover=alert"), "{metric}");
        let legend = svg_texts(&svg.body);
        assert!(
            legend
                .iter()
                .any(|t| t.contains("&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;")),
            "{metric}: the route is in the legend as text: {legend:?}"
        );
        assert_eq!(
            svg.body.matches("<text").count(),
            svg.body.matches("</text>").count(),
            "{metric}: no text element was closed or opened by the name"
        );
    }
}
