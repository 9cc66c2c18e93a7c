//! What the console's pages cost the databases, counted where it happens: by `pg_stat_statements`
//! on the routing DB and on a shard's primary. In the fault tier because the counts are deltas of
//! server-wide statistics: no other test may read those statements meanwhile.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common;

use common::{TestApp, fleet};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::{SEED, plan};

/// Calls per statement text on one database, as `pg_stat_statements` counts them (optionally
/// only those run by `role`).
async fn calls(port: u16, database: &str, role: Option<&str>) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.query, sum(s.calls)::int8 FROM pg_stat_statements s
           JOIN pg_roles r ON r.oid = s.userid
           JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = $1 AND ($2::text IS NULL OR r.rolname = $2)
          GROUP BY s.query",
    )
    .bind(database)
    .bind(role)
    .fetch_all(&common::admin_pool(port, database).await)
    .await
    .expect("pg_stat_statements is readable by the fleet's admin");
    rows.into_iter().collect()
}

/// The calls made between two snapshots, per statement (statements not called are left out).
fn delta(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    after
        .iter()
        .map(|(q, n)| (q.clone(), n - before.get(q).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Calls of statements containing every one of `needles`.
fn calls_of(d: &BTreeMap<String, i64>, needles: &[&str]) -> i64 {
    d.iter()
        .filter(|(q, _)| needles.iter().all(|n| q.contains(n)))
        .map(|(_, n)| n)
        .sum()
}

/// A console of this test's own: its own cache namespace (nothing another console cached is
/// reused) and a TTL long enough for two waves of viewers on a slow machine.
fn own_console(tag: &str) -> TestApp {
    let ns = format!("test-reads-{tag}-{}", std::process::id());
    TestApp::with(move |c| {
        c.engine.cache_namespace = ns;
        c.engine.cache_ttl = Duration::from_secs(20);
    })
}

/// Ten viewers at once, then ten more within the TTL: `count` says how many times the statement
/// behind the page was read each time.
async fn two_waves<F, Fut>(app: &TestApp, cookie: &str, path: &str, count: F) -> (i64, i64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let wave = || futures::future::join_all((0..10).map(|_| app.get(path, Some(cookie))));
    let before = count().await;
    for r in wave().await {
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let first = count().await;
    for r in wave().await {
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    (first - before, count().await - first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_directory_is_read_once_per_ttl_however_many_viewers() {
    let f = fleet();
    let app = own_console("directory");
    let cookie = app.session_as(Role::Support).await;
    let count = || async {
        calls_of(
            &calls(f.routing_port, &f.routing_database, None).await,
            &["t.organization_id AS org_id", "organization_summary"],
        )
    };
    let (first, second) = two_waves(&app, &cookie, "/tenants", count).await;
    assert_eq!(first, 1, "ten viewers at once: one read of the directory");
    assert_eq!(second, 0, "ten more within the TTL: no read at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_and_compliance_reports_are_read_once_per_ttl_however_many_viewers() {
    let f = fleet();
    let app = own_console("reports");
    let cookie = app.session_as(Role::Superadmin).await;
    let routing = || async {
        calls_of(
            &calls(f.routing_port, &f.routing_database, None).await,
            &["home_shard_id", "patient_person_registry", "GROUP BY"],
        )
    };
    let (first, second) = two_waves(&app, &cookie, "/routing", routing).await;
    assert_eq!(
        first, 1,
        "ten viewers of /routing: one read of the registry's homes"
    );
    assert_eq!(second, 0, "ten more within the TTL: none");

    // Compliance reads each primary's catalogs; count them on the first shard's.
    let shard = f.shards[0].clone();
    let catalogs = || async {
        calls_of(
            &calls(shard.primary_port, &f.shard_database, None).await,
            &["relrowsecurity", "relname"],
        )
    };
    let (first, second) = two_waves(&app, &cookie, "/compliance", catalogs).await;
    assert_eq!(
        first, 1,
        "ten viewers of /compliance: one catalog read on {}",
        shard.id
    );
    assert_eq!(second, 0, "ten more within the TTL: none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_is_one_read_only_transaction_per_shard_scoped_by_set_config_never_by_where() {
    let f = fleet();
    let shard = f.shards[0].clone();
    let p = plan(&f.shards, SEED);
    // A person homed on the first shard (which has pg_stat_statements).
    let home = p
        .orgs
        .iter()
        .find(|o| o.shard_id == shard.id && o.patients > 1)
        .expect("an org on the first shard")
        .clone();
    let person = home.person_base + 1;
    let form = common::phone_lookup_form(person, &home.region);
    let orgs_here: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenant_shards WHERE shard_id = $1")
            .bind(&shard.id)
            .fetch_one(&common::owner_pool().await)
            .await
            .unwrap();
    let app = own_console("lookup");
    let cookie = app.session_as(Role::Support).await;
    let reader = common::config().tenants.reader_user.clone();

    let before = calls(shard.primary_port, &f.shard_database, Some(&reader)).await;
    let r = app.post("/patients", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("data-org=\"{}\"", home.id)),
        "the lookup found the person's home org {}: {}",
        home.id,
        r.body
    );
    let d = delta(
        &before,
        &calls(shard.primary_port, &f.shard_database, Some(&reader)).await,
    );
    // pg_stat_statements shows constants as $n: `set_config($2, $1, $3)` is one org's context.
    let expected = [
        (vec!["BEGIN"], 1, "one transaction"),
        (vec!["SET TRANSACTION READ ONLY"], 1, "read-only"),
        (
            vec!["set_config($4, $1, $5)", "set_config($8, $3, $9)"],
            1,
            "its first context",
        ),
        (
            vec!["SELECT set_config($2, $1, $3)"],
            orgs_here + 1,
            "each org, then the profile's",
        ),
        (
            vec!["FROM patients", "patient_person_id = ANY"],
            orgs_here,
            "each org's links",
        ),
        (
            vec!["FROM patient_persons WHERE id = $1"],
            1,
            "the name, by key",
        ),
        (vec!["ROLLBACK"], 1, "nothing kept"),
    ];
    for (needles, n, what) in &expected {
        assert_eq!(
            calls_of(&d, needles),
            *n,
            "{what} on {} ({orgs_here} orgs routed there): {d:#?}",
            shard.id
        );
    }
    assert_eq!(
        d.len(),
        expected.len(),
        "nothing else ran as the tenant reader: {d:#?}"
    );
    for q in d.keys() {
        assert!(
            !q.contains("organization_id ="),
            "the policy scopes the rows, never a WHERE organization_id: {q}"
        );
    }
}
