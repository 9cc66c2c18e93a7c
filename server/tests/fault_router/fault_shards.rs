//! Real faults on real shards, seen through the real router: a stopped primary, a primary slower
//! than the deadline, a rejected password, a revoked function, a bad URL, shards added and
//! removed — and the first viewer after a quiet spell.
//!
//! These tests change the shared fleet, so scripts/test runs `fault_*` binaries on their own,
//! one test at a time, after every other test; each restores what it changed, even on failure.

use crate::common;

use std::time::{Duration, Instant};

use common::{TestApp, fleet, fleet_cmd};
use http::StatusCode;
use serde_json::Value;
use shardscope::auth::Role;

/// The shard the tests break: us-2 if the fleet has it (as in the issue), else the last one.
fn victim() -> shardscope::demo::fleet::FleetShard {
    let f = fleet();
    f.shards
        .iter()
        .find(|s| s.id == "us-2")
        .or(f.shards.last())
        .cloned()
        .expect("a shard")
}

fn total() -> usize {
    fleet().shards.len()
}

/// Runs its command when dropped (restores the fleet even if an assertion fails).
struct Undo(Vec<String>);

impl Drop for Undo {
    fn drop(&mut self) {
        let args: Vec<&str> = self.0.iter().map(String::as_str).collect();
        fleet_cmd(&args);
    }
}

fn undo(args: &[&str]) -> Undo {
    Undo(args.iter().map(|s| s.to_string()).collect())
}

/// The row of one shard in the overview page (not the stylesheet rule that places it).
fn row_html<'a>(html: &'a str, shard: &str) -> &'a str {
    let start = html
        .find(&format!("role=\"row\" data-shard=\"{shard}\""))
        .unwrap_or_else(|| panic!("no row for {shard} in {html}"));
    let rest = &html[start..];
    let end = rest[1..].find("role=\"row\"").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

fn overview_json(resp: &common::Resp) -> Value {
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    serde_json::from_str(&resp.body).unwrap()
}

fn shard_json<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["shards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {json}"))
}

/// Wait (bounded) until the victim's primary accepts connections again.
async fn until_up(port: u16) {
    let fleet = fleet();
    let url = fleet.admin_url(port, &fleet.shard_database);
    let mut last = String::new();
    for _ in 0..100 {
        match shardscope::migrate::connect(&url).await {
            Ok(_) => return,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("primary on {port} not back within 10 s: {last}");
}

#[tokio::test]
async fn a_stopped_primary_fails_alone_with_its_reason_and_last_good_values() {
    let v = victim();
    let n = total();
    // No cache: the failure is seen on the next request; the last good values come from this
    // console's memory of the first request.
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let viewer = app.session_as(Role::Viewer).await;
    let page = app.get("/", Some(&viewer)).await;
    assert!(
        page.body.contains(&format!("{n} of {n} shards answered")),
        "{}",
        page.body
    );

    fleet_cmd(&["stop-node", &v.id]);
    let _restart = undo(&["start-node", &v.id]);
    let started = Instant::now();
    let page = app.get("/", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    let deadline = app.console.config().engine.shard_deadline;
    assert!(
        started.elapsed() < deadline + Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        page.body
            .contains(&format!("{} of {n} shards answered", n - 1)),
        "{}",
        page.body
    );
    let row = row_html(&page.body, &v.id);
    assert!(row.contains("data-kind=\"refused\""), "typed reason: {row}");
    assert!(row.contains("not answering now"), "{row}");
    assert!(
        row.contains("showing values from"),
        "last good values with their age: {row}"
    );
    for other in fleet().shards.iter().filter(|s| s.id != v.id) {
        assert!(
            !row_html(&page.body, &other.id).contains("data-kind="),
            "{} still answers",
            other.id
        );
    }

    let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
    assert_eq!(json["answered"].as_u64(), Some(n as u64 - 1));
    assert_eq!(json["total"].as_u64(), Some(n as u64));
    let s = shard_json(&json, &v.id);
    assert_eq!(s["outcome"]["result"]["Err"]["kind"], "refused", "{s}");
    let last_good = &s["last_good"];
    assert!(
        last_good["result"]["Ok"]["patients"].as_i64().unwrap() > 0,
        "{s}"
    );
    let (then, now) = (
        last_good["measured_at_ms"].as_u64().unwrap(),
        s["outcome"]["measured_at_ms"].as_u64().unwrap(),
    );
    assert!(then < now, "the last good values predate the failure: {s}");
}

/// The sequence from the issue: nobody looks for longer than the stale bound, a primary stops,
/// and the first viewer must see it failed — not "N of N" from old cached values. Within the
/// bound the cached value is served at once (that is the bound's purpose); and a shard that
/// recovered does not keep its old failure past the bound either.
#[tokio::test]
async fn after_a_quiet_spell_the_first_viewer_sees_the_truth() {
    let v = victim();
    let n = total();
    let ttl = Duration::from_millis(300);
    let short = TestApp::with(|c| {
        c.engine.cache_ttl = ttl;
        c.engine.stale_max = Duration::from_millis(1500);
    });
    let long = TestApp::with(|c| {
        c.engine.cache_ttl = ttl;
        c.engine.stale_max = Duration::from_secs(120);
    });
    let viewer_s = short.session_as(Role::Viewer).await;
    let viewer_l = long.session_as(Role::Viewer).await;
    for (app, cookie) in [(&short, &viewer_s), (&long, &viewer_l)] {
        let page = app.get("/", Some(cookie)).await;
        assert!(
            page.body.contains(&format!("{n} of {n} shards answered")),
            "{}",
            page.body
        );
    }
    // Idle past the short bound (and well past the TTL).
    tokio::time::sleep(Duration::from_millis(1700)).await;
    fleet_cmd(&["stop-node", &v.id]);
    let restart = undo(&["start-node", &v.id]);

    // Within its bound: the value cached before the stop is served at once, with its age.
    let started = Instant::now();
    let page = long.get("/", Some(&viewer_l)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "served without waiting: {:?}",
        started.elapsed()
    );
    assert!(
        page.body.contains(&format!("{n} of {n} shards answered")),
        "{}",
        page.body
    );
    assert!(
        row_html(&page.body, &v.id).contains("cached"),
        "its age is shown"
    );

    // Past its bound: the first viewer waits for a probe and sees the failure.
    let page = short.get("/", Some(&viewer_s)).await;
    assert!(
        page.body
            .contains(&format!("{} of {n} shards answered", n - 1)),
        "the first viewer after a quiet spell sees the stopped primary: {}",
        page.body
    );
    let row = row_html(&page.body, &v.id);
    assert!(row.contains("not answering now"), "{row}");
    assert!(row.contains("showing values from"), "{row}");
    let json = overview_json(&short.post("/api/overview", Some(&viewer_s), "").await);
    assert_eq!(json["answered"].as_u64(), Some(n as u64 - 1), "{json}");

    // The shard comes back; once its failure is older than the bound it is not served either.
    drop(restart);
    until_up(v.primary_port).await;
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let page = short.get("/", Some(&viewer_s)).await;
    assert!(
        page.body.contains(&format!("{n} of {n} shards answered")),
        "a recovered shard is seen as recovered: {}",
        page.body
    );
}

#[tokio::test]
async fn a_primary_slower_than_the_deadline_is_a_timeout_in_its_own_row() {
    let v = victim();
    let n = total();
    fleet_cmd(&["delay-shard", &v.id, "3000"]);
    let _undelay = undo(&["undelay-shard", &v.id]);
    let app = TestApp::with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.shard_deadline = Duration::from_millis(800);
    });
    let viewer = app.session_as(Role::Viewer).await;
    let started = Instant::now();
    let page = app.get("/", Some(&viewer)).await;
    assert!(
        started.elapsed() < Duration::from_millis(800) + Duration::from_secs(2),
        "the slow shard costs the page its deadline, no more: {:?}",
        started.elapsed()
    );
    assert!(
        page.body
            .contains(&format!("{} of {n} shards answered", n - 1)),
        "{}",
        page.body
    );
    assert!(row_html(&page.body, &v.id).contains("data-kind=\"timeout\""));
    let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
    assert_eq!(
        shard_json(&json, &v.id)["outcome"]["result"]["Err"]["kind"],
        "timeout"
    );
    assert_eq!(json["answered"].as_u64(), Some(n as u64 - 1));
}

/// Runs SQL on the victim's primary as its administrator when dropped.
struct UndoSql(u16, &'static str);

impl Drop for UndoSql {
    fn drop(&mut self) {
        let fleet = fleet();
        let url = fleet.admin_url(self.0, &fleet.shard_database);
        let sql = self
            .1
            .replace("{monitor_password}", &fleet.monitor_password);
        common::block_on_own_runtime(async move {
            let pool = shardscope::migrate::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        });
    }
}

async fn on_victim(sql: &str) {
    let v = victim();
    let pool = common::admin_pool(v.primary_port, &fleet().shard_database).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rejected_monitoring_password_is_an_auth_failure() {
    let v = victim();
    on_victim("ALTER ROLE shardscope_monitor PASSWORD 'not-the-configured-one'").await;
    let _restore = UndoSql(
        v.primary_port,
        "ALTER ROLE shardscope_monitor PASSWORD '{monitor_password}'",
    );
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let viewer = app.session_as(Role::Viewer).await;
    let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
    let s = shard_json(&json, &v.id);
    assert_eq!(s["outcome"]["result"]["Err"]["kind"], "auth", "{s}");
    assert!(
        !json.to_string().contains(&fleet().monitor_password),
        "no password in the answer"
    );
    let page = app.get("/", Some(&viewer)).await;
    assert!(row_html(&page.body, &v.id).contains("data-kind=\"auth\""));
}

#[tokio::test]
async fn a_revoked_counts_function_is_a_query_error() {
    let v = victim();
    on_victim("REVOKE EXECUTE ON FUNCTION console_shard_counts() FROM shardscope_monitor").await;
    let _restore = UndoSql(
        v.primary_port,
        "GRANT EXECUTE ON FUNCTION console_shard_counts() TO shardscope_monitor",
    );
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let viewer = app.session_as(Role::Viewer).await;
    let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
    let s = shard_json(&json, &v.id);
    assert_eq!(s["outcome"]["result"]["Err"]["kind"], "query", "{s}");
    assert!(
        s["outcome"]["result"]["Err"]["message"]
            .as_str()
            .unwrap()
            .contains("42501"),
        "permission denied, by its SQLSTATE: {s}"
    );
    assert_eq!(json["answered"].as_u64(), Some(total() as u64 - 1));
}

/// Removes test rows from the routing DB when dropped.
struct UndoRouting(&'static str);

impl Drop for UndoRouting {
    fn drop(&mut self) {
        let shard = self.0;
        common::block_on_own_runtime(async move {
            sqlx::query("DELETE FROM tenant_shards WHERE shard_id = $1")
                .bind(shard)
                .execute(&common::owner_pool().await)
                .await
                .unwrap();
        });
    }
}

/// Poll the overview (bounded) until `pred` holds; fails with the last answer seen.
async fn until(app: &TestApp, cookie: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    let mut last = Value::Null;
    // The shard list is re-read every 15 s.
    while started.elapsed() < Duration::from_secs(25) {
        last = overview_json(&app.post("/api/overview", Some(cookie), "").await);
        if pred(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{what}: not within 25 s; last overview: {last}");
}

#[tokio::test]
async fn shards_added_to_and_removed_from_the_routing_db_come_and_go_without_a_restart() {
    let v = victim();
    let n = total();
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let viewer = app.session_as(Role::Viewer).await;
    let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
    assert_eq!(json["total"].as_u64(), Some(n as u64));

    // A new shard (served by the victim's database, so it answers) and one whose URL is not a
    // URL at all, added while the console runs.
    let owner = common::owner_pool().await;
    let _cleanup = (UndoRouting("zz-added"), UndoRouting("zz-bad-url"));
    let good_url = fleet().platform_url(v.primary_port);
    for (org, shard, url) in [
        (990_001_i64, "zz-added", good_url.as_str()),
        (990_002, "zz-bad-url", "this is not a URL"),
    ] {
        sqlx::query(
            "INSERT INTO tenant_shards (organization_id, shard_type, shard_id, database_primary_url, region)
             VALUES ($1, 'shared', $2, $3, 'test')",
        )
        .bind(org)
        .bind(shard)
        .bind(url)
        .execute(&owner)
        .await
        .unwrap();
    }
    let json = until(&app, &viewer, "the added shards appear", |j| {
        j["total"].as_u64() == Some(n as u64 + 2)
    })
    .await;
    assert_eq!(json["answered"].as_u64(), Some(n as u64 + 1), "{json}");
    assert!(
        shard_json(&json, "zz-added")["outcome"]["result"]["Ok"].is_object(),
        "{json}"
    );
    let bad = shard_json(&json, "zz-bad-url");
    assert_eq!(
        bad["outcome"]["result"]["Err"]["kind"], "shard_unknown",
        "{bad}"
    );
    let page = app.get("/", Some(&viewer)).await;
    assert!(row_html(&page.body, "zz-bad-url").contains("data-kind=\"shard_unknown\""));
    assert!(
        !page.body.contains("this is not a URL"),
        "a bad URL is never echoed"
    );

    sqlx::query("DELETE FROM tenant_shards WHERE shard_id IN ('zz-added', 'zz-bad-url')")
        .execute(&owner)
        .await
        .unwrap();
    let json = until(&app, &viewer, "the removed shards disappear", |j| {
        j["total"].as_u64() == Some(n as u64)
    })
    .await;
    assert_eq!(json["answered"].as_u64(), Some(n as u64));
}

#[tokio::test]
async fn overview_connections_leave_out_the_consoles_own_and_count_everyone_elses() {
    use sqlx::ConnectOptions;
    let f = fleet();
    let shard = f.shards[0].clone();
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO);
    let viewer = app.session_as(Role::Viewer).await;
    let console_name = common::config().engine.application_name;
    let conns = || async {
        let json = overview_json(&app.post("/api/overview", Some(&viewer), "").await);
        shard_json(&json, &shard.id)["outcome"]["result"]["Ok"]["conns_total"]
            .as_i64()
            .unwrap_or_else(|| panic!("{shard:?} answered: {json}"))
    };
    let base: sqlx::postgres::PgConnectOptions = f
        .admin_url(shard.primary_port, &f.shard_database)
        .parse()
        .unwrap();
    let open = |name: String| {
        let opts = base.clone().application_name(&name);
        async move {
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(opts.connect().await.unwrap());
            }
            held
        }
    };
    let before = conns().await;
    let as_console = open(console_name.clone()).await;
    assert_eq!(
        conns().await,
        before,
        "three connections named {console_name:?} are the console's: not counted"
    );
    let as_platform = open("core-api".into()).await;
    assert_eq!(
        conns().await,
        before + 3,
        "three of the platform's are counted"
    );
    drop((as_console, as_platform));
}

/// Calls of the overview's probe statement on a node, as its `pg_stat_statements` counts.
async fn probe_reads(port: u16) -> i64 {
    let f = fleet();
    sqlx::query_scalar(
        "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
          WHERE query LIKE '%application_name <> $1) AS conns_total%'",
    )
    .fetch_one(&common::admin_pool(port, &f.shard_database).await)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_shard_list_reuses_the_overviews_measurement_and_probes_nothing_more() {
    let f = fleet();
    // The shard whose primary has pg_stat_statements (the seed installs it on the first).
    let shard = f.shards[0].clone();
    // Its own probe-cache namespace (no other console's shared result).
    let ns = format!("test-shards-list-{}", std::process::id());
    let app = TestApp::with(|c| {
        c.engine.cache_ttl = Duration::from_secs(60);
        c.engine.cache_namespace = ns.clone();
    });
    let viewer = app.session_as(Role::Viewer).await;
    let before = probe_reads(shard.primary_port).await;
    assert_eq!(app.get("/", Some(&viewer)).await.status, StatusCode::OK);
    let probed = probe_reads(shard.primary_port).await;
    assert_eq!(probed - before, 1, "the overview probed the primary once");
    // Within the TTL the list shows that measurement and asks the shard nothing.
    for _ in 0..3 {
        let list = app.get("/shards", Some(&viewer)).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains(&format!("data-shard=\"{}\"", shard.id)));
    }
    assert_eq!(
        probe_reads(shard.primary_port).await,
        probed,
        "/shards probed nothing"
    );
}
