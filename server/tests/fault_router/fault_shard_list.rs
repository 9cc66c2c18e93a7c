//! Shards the routing DB names only as a registry row's home shard, on the overview and `/shards`:
//! counted after every row (a slow registry scan never holds a row back), and a new one listed
//! within a minute of the list's last read, never sooner.
//!
//! These write to the shared routing DB (a registry row, a table lock): scripts/test runs `fault_*`
//! binaries alone, one test at a time; each removes what it added, even when an assertion fails.

use crate::common;

use std::time::{Duration, Instant};

use axum::body::Body;
use common::{HOST, TestApp, block_on_own_runtime, fleet, owner_pool};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use shardscope::auth::Role;
use tower::ServiceExt;

/// A registry row homed on a shard no other table names, removed on drop.
struct HomedOn {
    person: i64,
}

impl HomedOn {
    async fn insert(shard: &str) -> Self {
        // An id of this test's own, far above the seed's people; no phone, no email.
        let person = 9_000_000_000 + i64::from(std::process::id());
        sqlx::query(
            "INSERT INTO patient_person_registry (patient_person_id, home_shard_id)
             VALUES ($1, $2)",
        )
        .bind(person)
        .bind(shard)
        .execute(&owner_pool().await)
        .await
        .expect("a registry row homed on a shard of its own");
        Self { person }
    }
}

impl Drop for HomedOn {
    fn drop(&mut self) {
        let person = self.person;
        block_on_own_runtime(async move {
            let r = sqlx::query("DELETE FROM patient_person_registry WHERE patient_person_id = $1")
                .bind(person)
                .execute(&owner_pool().await)
                .await;
            if let Err(e) = r {
                eprintln!("DELETING registry row {person} FAILED: {e}");
            }
        });
    }
}

const NOTE: &str = "data-without-endpoint=";

/// The start of a shard's row on the overview (not the stylesheet that orders rows by id, which
/// names every shard before any row).
fn row_of(id: &str) -> String {
    format!("data-shard=\"{id}\" data-patients=")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_streams_before_the_registry_scan_and_the_registry_only_shard_is_counted_after() {
    let f = fleet();
    let _homed = HomedOn::insert("ap-8").await;
    // A statement timeout longer than the lock is held: the scan waits for the lock, not a timer.
    let app = TestApp::with(|c| {
        c.engine.cache_ttl = Duration::ZERO;
        c.engine.statement_timeout = Duration::from_secs(20);
    });
    let cookie = app.session_as(Role::Viewer).await;

    // The registry locked: the scan that names shards by home cannot finish until it is released.
    let owner = owner_pool().await;
    let mut lock = owner.begin().await.unwrap();
    sqlx::query("LOCK TABLE patient_person_registry IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();

    let req = Request::get("/")
        .header("host", HOST)
        .header("x-forwarded-for", "10.9.8.7")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body();
    let mut html = String::new();
    let rows = |html: &str| {
        f.shards
            .iter()
            .filter(|s| html.contains(&row_of(&s.id)))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while rows(&html) < f.shards.len() {
        let frame = tokio::time::timeout_at(deadline.into(), body.frame())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "with the registry locked, only {} of {} rows arrived in 15 s: {html}",
                    rows(&html),
                    f.shards.len()
                )
            })
            .expect("the page goes on")
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            html.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(
        !html.contains(NOTE),
        "every row arrived while the scan waited, and the line after them has not: {html}"
    );

    lock.rollback().await.unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(15), body.collect())
        .await
        .expect("the page completes once the registry is readable")
        .unwrap()
        .to_bytes();
    html.push_str(&String::from_utf8_lossy(&rest));
    let note_at = html.find(NOTE).expect("the line after the rows");
    assert!(
        html[note_at..]
            .contains("1 more shard named in the routing database with no endpoint known (ap-8)"),
        "the registry-only shard is counted and named: {}",
        &html[note_at..]
    );
    for s in &f.shards {
        assert!(
            html.find(&row_of(&s.id)).unwrap() < note_at,
            "{}'s row is before the line",
            s.id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_new_in_the_registry_is_listed_within_a_minute_of_the_last_read_never_sooner() {
    // The default cache: the list of known shards is shared for a minute.
    let app = TestApp::new();
    let cookie = app.session_as(Role::Viewer).await;
    let listed = |html: &str| html.contains("data-shard=\"ap-9\"");
    let read_at = Instant::now();
    let first = app.get("/shards", Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(!listed(&first.body), "ap-9 is not known yet");

    let _homed = HomedOn::insert("ap-9").await;
    let mut last = app.get("/shards", Some(&cookie)).await;
    assert!(
        !listed(&last.body),
        "within the minute the list is not read again"
    );
    while !listed(&last.body) && read_at.elapsed() < Duration::from_secs(75) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        last = app.get("/shards", Some(&cookie)).await;
        assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    }
    let seen_after = read_at.elapsed();
    assert!(
        listed(&last.body),
        "ap-9 listed within 75 s of the last read (last seen after {seen_after:?}): {}",
        last.body
    );
    assert!(
        seen_after >= Duration::from_secs(60),
        "the list is read at most once a minute: ap-9 appeared after {seen_after:?}"
    );
    assert!(
        last.body
            .contains("data-shard=\"ap-9\" data-endpoint=\"unknown\""),
        "{}",
        last.body
    );
    let overview = app.get("/", Some(&cookie)).await;
    assert!(
        overview
            .body
            .contains("1 more shard named in the routing database with no endpoint known (ap-9)"),
        "the overview counts it too: {}",
        overview.body
    );
    let page = app.get("/shards/ap-9", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("patient_person_registry"),
        "its page says where it is named: {}",
        page.body
    );
}
