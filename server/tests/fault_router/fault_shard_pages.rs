//! The shard page against conditions made on real servers: replay paused while the primary
//! writes, an idle primary, a stopped replica, replica URLs that are not this shard's standbys,
//! next month's audit partition dropped, a shard only in `shard_capacity`.
//!
//! These change the shared fleet: scripts/test runs `fault_*` binaries alone, one test at a time;
//! each restores what it changed, even when an assertion fails.

use crate::common;

use std::time::{Duration, Instant};

use common::{Restart, TestApp, admin_pool, block_on_own_runtime, fleet, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::fleet::FleetShard;

fn app() -> TestApp {
    TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO)
}

/// The shard these tests use: one with a replica (us-2 on the default fleet).
fn shard() -> FleetShard {
    let f = fleet();
    f.shards
        .iter()
        .find(|s| s.id == "us-2")
        .or_else(|| f.shards.iter().find(|s| !s.replica_ports.is_empty()))
        .cloned()
        .expect("a shard with a replica")
}

fn endpoint(port: u16) -> String {
    let f = fleet();
    format!("{}:{}/{}", f.host, port, f.shard_database)
}

/// The replica's panel on the shard page.
fn replica_panel(html: &str, port: u16) -> &str {
    let start = html
        .find(&format!(
            "data-node=\"replica\" data-endpoint=\"{}\"",
            endpoint(port)
        ))
        .unwrap_or_else(|| panic!("no panel for replica :{port} in {html}"));
    let rest = &html[start..];
    let end = rest[1..].find("data-node=").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

/// The lag the page shows for a replica: Some(seconds), None for "unknown".
fn lag_of(panel: &str) -> Option<Option<f64>> {
    let at = panel.find("data-lag=\"")? + 10;
    let v = &panel[at..at + panel[at..].find('"')?];
    Some(v.parse().ok())
}

/// Runs SQL on a server as its administrator when dropped.
struct UndoSql(u16, &'static str);

impl Drop for UndoSql {
    fn drop(&mut self) {
        let (port, sql) = (self.0, self.1);
        block_on_own_runtime(async move {
            let pool = admin_pool(port, &fleet().shard_database).await;
            if let Err(e) = sqlx::query(sql).execute(&pool).await {
                eprintln!("UNDO FAILED on :{port} ({sql}): {e}");
            }
        });
    }
}

async fn write_on(port: u16, rows: i32) {
    let pool = admin_pool(port, &fleet().shard_database).await;
    sqlx::query(
        "INSERT INTO audit_log (organization_id, user_id, action, entity_type, entity_id, status_code, request_path)
         SELECT (SELECT min(id) FROM organizations), 1, 'view', 'patient', g, 200, '/v1/patients/' || g
           FROM generate_series(1, $1) g",
    )
    .bind(rows)
    .execute(&pool)
    .await
    .expect("writes on the primary");
}

/// Waits (at most 60 s) until the primary on `primary_port` streams to its standby `node` (its
/// cluster_name is its walreceiver's application_name): an earlier test may have restarted it.
async fn wait_streaming(primary_port: u16, node: &str) {
    let pool = admin_pool(primary_port, &fleet().shard_database).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let last: Option<String> =
            sqlx::query_scalar("SELECT state FROM pg_stat_replication WHERE application_name = $1")
                .bind(node)
                .fetch_optional(&pool)
                .await
                .unwrap_or_else(|e| Some(format!("query failed: {e}")));
        if last.as_deref() == Some("streaming") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{node} not streaming from :{primary_port} within 60 s; last state: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_paused_replica_says_so_and_its_lag_keeps_growing() {
    let s = shard();
    let replica = s.replica_ports[0];
    let admin = admin_pool(replica, &fleet().shard_database).await;
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&admin)
        .await
        .expect("replay paused");
    let _resume = UndoSql(replica, "SELECT pg_wal_replay_resume()");
    write_on(s.primary_port, 200).await;
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let path = format!("/shards/{}", s.id);
    let first = app.get(&path, Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let panel = replica_panel(&first.body, replica);
    assert!(panel.contains("data-paused=\"true\""), "{panel}");
    assert!(panel.contains("replay paused"), "{panel}");
    let l1 = lag_of(panel)
        .flatten()
        .unwrap_or_else(|| panic!("a lag in seconds: {panel}"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    write_on(s.primary_port, 200).await;
    let second = app.get(&path, Some(&cookie)).await;
    let panel = replica_panel(&second.body, replica);
    let l2 = lag_of(panel)
        .flatten()
        .unwrap_or_else(|| panic!("a lag in seconds: {panel}"));
    assert!(panel.contains("data-paused=\"true\""), "{panel}");
    assert!(
        l2 >= l1 + 1.5,
        "paused lag grows: {l1} s, then {l2} s 2 s later"
    );
}

#[tokio::test]
async fn an_idle_primary_means_lag_zero() {
    let s = shard();
    let replica = s.replica_ports[0];
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let path = format!("/shards/{}", s.id);
    // Stands alone: the standby streams (another test may have restarted it), and it has
    // replayed a commit of this test's (a restarted standby has no replay timestamp until it
    // does: "unknown"). Then nothing writes: within a bound the replica has replayed everything,
    // and the page says 0 (not a growing age since the last commit).
    wait_streaming(s.primary_port, &format!("{}-r1", s.id)).await;
    write_on(s.primary_port, 1).await;
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut last = String::new();
    loop {
        let page = app.get(&path, Some(&cookie)).await;
        let panel = replica_panel(&page.body, replica).to_string();
        if lag_of(&panel) == Some(Some(0.0)) {
            assert!(panel.contains("data-paused=\"false\""), "{panel}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica of an idle primary never showed lag 0 in 45 s; last: {last}"
        );
        last = panel;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn a_stopped_replica_is_down_and_its_lag_unknown_never_zero() {
    let s = shard();
    let replica = s.replica_ports[0];
    let node = format!("{}-r1", s.id);
    common::fleet_cmd(&["stop-node", &node]);
    let _restart = Restart(vec![node.clone()]);
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get(&format!("/shards/{}", s.id), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let panel = replica_panel(&page.body, replica);
    assert!(panel.contains("data-failure=\"refused\""), "{panel}");
    assert!(panel.contains("lag unknown"), "{panel}");
    // The failure's kind is said once ("refused: connection refused"), never "refused: refused".
    assert_eq!(
        panel.matches("refused:").count(),
        1,
        "the kind once, then why: {panel}"
    );
    assert!(!panel.contains("refused: refused"), "{panel}");
    assert_eq!(
        lag_of(panel),
        None,
        "no lag number for a stopped replica: {panel}"
    );
    // The primary still answers, and no longer has a sender for it.
    assert!(page.body.contains("data-node=\"primary\""));
    assert!(!page.body.contains("data-sender="), "{}", page.body);
}

/// Puts a shard's replica URLs in tenant_shards back when dropped.
struct ReplicaUrls(String, Vec<String>);

impl Drop for ReplicaUrls {
    fn drop(&mut self) {
        let (id, urls) = (self.0.clone(), self.1.clone());
        block_on_own_runtime(async move {
            let r = sqlx::query(
                "UPDATE tenant_shards SET database_replica_urls = $2 WHERE shard_id = $1",
            )
            .bind(&id)
            .bind(&urls)
            .execute(&owner_pool().await)
            .await;
            if let Err(e) = r {
                eprintln!("RESTORING THE REPLICA URLS OF {id} FAILED: {e}");
            }
        });
    }
}

#[tokio::test]
async fn replica_urls_that_are_not_this_shards_standbys_are_flagged() {
    let f = fleet();
    let s = shard();
    let other = f
        .shards
        .iter()
        .find(|o| o.id != s.id && !o.replica_ports.is_empty())
        .expect("another shard with a replica")
        .clone();
    // This shard's own standby must be streaming for its slot to show as unlisted below.
    wait_streaming(s.primary_port, &format!("{}-r1", s.id)).await;
    let owner = owner_pool().await;
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(database_replica_urls, '{}') FROM tenant_shards WHERE shard_id = $1 LIMIT 1",
    )
    .bind(&s.id)
    .fetch_one(&owner)
    .await
    .unwrap();
    let _restore = ReplicaUrls(s.id.clone(), old);
    // A primary's URL and another shard's standby, in place of this shard's own standby.
    let urls = vec![
        f.platform_url(other.primary_port),
        f.platform_url(other.replica_ports[0]),
    ];
    sqlx::query("UPDATE tenant_shards SET database_replica_urls = $2 WHERE shard_id = $1")
        .bind(&s.id)
        .bind(&urls)
        .execute(&owner)
        .await
        .unwrap();
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get(&format!("/shards/{}", s.id), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let primary = replica_panel(&page.body, other.primary_port);
    assert!(
        primary.contains("data-flag=\"not-in-recovery\""),
        "{primary}"
    );
    assert_eq!(lag_of(primary), None, "no lag for a primary: {primary}");
    let foreign = replica_panel(&page.body, other.replica_ports[0]);
    assert!(foreign.contains("data-flag=\"other-cluster\""), "{foreign}");
    // This shard's real standby still streams, but is no longer listed.
    let slot = format!("{}_r1", s.id.replace('-', "_"));
    assert!(
        page.body.contains(&format!("data-unlisted=\"{slot}\"")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_missing_next_month_partition_names_the_call_that_makes_it() {
    let s = shard();
    let pool = admin_pool(s.primary_port, &fleet().shard_database).await;
    let next: String = sqlx::query_scalar(
        "SELECT (date_trunc('month', CURRENT_DATE) + interval '1 month')::date::text",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "DO $$ BEGIN EXECUTE format('DROP TABLE IF EXISTS %I', 'audit_log_' || \
         to_char(date_trunc('month', CURRENT_DATE + interval '1 month'), 'YYYY_MM')); END $$",
    )
    .execute(&pool)
    .await
    .expect("next month's partition dropped");
    let _recreate = UndoSql(s.primary_port, "SELECT create_audit_log_partition()");
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get(&format!("/shards/{}", s.id), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("data-missing-partition=\"{next}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("SELECT create_audit_log_partition();"));
}

#[tokio::test]
async fn a_shard_only_in_shard_capacity_is_listed_as_provisioned() {
    let owner = owner_pool().await;
    sqlx::query(
        "INSERT INTO shard_capacity (shard_id, region, shard_type, current_orgs, max_orgs,
                                     current_patients, max_patients)
         VALUES ('eu-9', 'eu-west-1', 'shared', 0, 50, 0, 500000) ON CONFLICT DO NOTHING",
    )
    .execute(&owner)
    .await
    .unwrap();
    struct Delete;
    impl Drop for Delete {
        fn drop(&mut self) {
            block_on_own_runtime(async {
                let r = sqlx::query("DELETE FROM shard_capacity WHERE shard_id = 'eu-9'")
                    .execute(&owner_pool().await)
                    .await;
                if let Err(e) = r {
                    eprintln!("DELETING eu-9 FAILED: {e}");
                }
            });
        }
    }
    let _delete = Delete;
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let list = app.get("/shards", Some(&cookie)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains("data-shard=\"eu-9\" data-endpoint=\"unknown\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("provisioned, no endpoint known"));
    assert!(list.body.contains("1 provisioned with no endpoint known"));
    // The overview probes what has an endpoint and, after the rows, counts what it cannot probe,
    // linking here.
    let overview = app.get("/", Some(&cookie)).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(
        overview.body.contains("data-without-endpoint=\"1\""),
        "the overview does not count eu-9: {}",
        overview.body
    );
    assert!(
        overview
            .body
            .contains("1 more shard named in the routing database with no endpoint known (eu-9)"),
        "{}",
        overview.body
    );
    let page = app.get("/shards/eu-9", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("provisioned, no endpoint known"),
        "{}",
        page.body
    );
    assert!(page.body.contains("named in shard_capacity"));
    // Nothing to answer: it says so once, not as a node that is down.
    let primary = common::primary_section(&page.body);
    assert!(
        primary.contains("data-failure=\"shard_unknown\"") && primary.contains("no endpoint known"),
        "{primary}"
    );
    assert!(!primary.contains("not answering"), "{primary}");
    assert!(!primary.contains("shard unknown: provisioned"), "{primary}");
}

/// Calls of the shard page's node-facts statement on a node, as its `pg_stat_statements` counts.
async fn node_fact_reads(port: u16) -> i64 {
    let f = common::fleet();
    sqlx::query_scalar(
        "SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
          WHERE query LIKE '%pg_is_in_recovery() AS in_recovery%pg_control_system()%'",
    )
    .fetch_one(&common::admin_pool(port, &f.shard_database).await)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_number_of_viewers_cost_a_shard_one_read_per_ttl() {
    let f = common::fleet();
    // The shard whose primary has pg_stat_statements (the seed installs it on the first).
    let shard = f.shards[0].clone();
    let app = TestApp::with(|c| c.engine.cache_ttl = Duration::from_secs(6));
    let cookie = app.session_as(Role::Viewer).await;
    let path = format!("/shards/{}", shard.id);
    let wave = || futures::future::join_all((0..10).map(|_| app.get(&path, Some(&cookie))));
    let before = node_fact_reads(shard.primary_port).await;
    for r in wave().await {
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("data-node=\"primary\""));
    }
    let first = node_fact_reads(shard.primary_port).await;
    assert_eq!(
        first - before,
        1,
        "ten viewers at once: one read of the primary"
    );
    for r in wave().await {
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(
        node_fact_reads(shard.primary_port).await,
        first,
        "ten more within the TTL: no read"
    );
    tokio::time::sleep(Duration::from_millis(6500)).await;
    assert_eq!(app.get(&path, Some(&cookie)).await.status, StatusCode::OK);
    assert_eq!(
        node_fact_reads(shard.primary_port).await,
        first + 1,
        "after the TTL: read again, once"
    );
}

#[tokio::test]
async fn a_replica_that_accepts_and_never_answers_is_a_timeout_at_the_deadline_and_the_page_answers()
 {
    let f = fleet();
    let shard = f
        .shards
        .iter()
        .find(|s| !s.replica_ports.is_empty())
        .unwrap()
        .clone();
    let replica = format!("{}-r1", shard.id);
    let deadline = Duration::from_secs(2);
    // A fresh console (no pooled connection to the replica): its connect meets a postmaster
    // that the kernel lets accept but that never answers.
    let app = TestApp::with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.shard_deadline = deadline;
    });
    let cookie = app.session_as(Role::Viewer).await;
    let resume = common::sigstop(&common::postgres_pid_file(&replica));
    let started = Instant::now();
    let page = app
        .get(&format!("/shards/{}", shard.id), Some(&cookie))
        .await;
    let took = started.elapsed();
    drop(resume);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        took < deadline + Duration::from_secs(4),
        "the page waited {took:?} for a silent replica (deadline {deadline:?})"
    );
    let primary = common::primary_section(&page.body);
    assert!(
        primary.contains("answering") && !primary.contains("data-failure"),
        "the primary still answers: {primary}"
    );
    let replica_part = page.body.split("data-node=\"replica\"").nth(1).unwrap();
    assert!(
        replica_part.contains("data-failure=\"timeout\""),
        "the silent replica is a timeout: {replica_part}"
    );
}
