//! `/shards` and `/shards/{shard_id}` through the router, on the real fleet: every shard listed
//! with its health, an unknown one a 404 that links to the list, both sides of replication, the
//! connections by state, the size against the allocation. Nothing here changes what other tests
//! see (the faults are in `fault_router/fault_shard_pages.rs`).

use crate::common;

use std::time::Duration;

use common::{TestApp, fleet, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use sqlx::Connection;

/// A console that reads the shard now on every request.
fn app() -> TestApp {
    TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO)
}

/// The number in the connections table's row for `state`, in the section that starts at `from`.
fn connections_in(html: &str, from: &str, state: &str) -> i64 {
    let section = &html[html
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {html}"))..];
    let row = &section[section
        .find(&format!("data-state=\"{state}\""))
        .unwrap_or_else(|| panic!("no {state} row in {section}"))..];
    let cell = &row[row.find("<td class=\"num\">").expect("a count cell") + 16..];
    cell[..cell.find('<').unwrap()]
        .replace(',', "")
        .parse()
        .unwrap_or_else(|e| panic!("count in {}: {e}", &cell[..40.min(cell.len())]))
}

#[tokio::test]
async fn an_unknown_shard_is_a_404_that_links_to_the_list() {
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get("/shards/no-such-shard", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(
        page.body
            .contains("no shard \"no-such-shard\" in the routing database"),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/shards\""), "the list's link");
    // A hostile id is text, never markup.
    let hostile = app.get("/shards/%3Cb%3Ex", Some(&cookie)).await;
    assert_eq!(hostile.status, StatusCode::NOT_FOUND);
    assert!(!hostile.body.contains("<b>x"), "{}", hostile.body);
    assert!(hostile.body.contains("&lt;b&gt;x"), "{}", hostile.body);
}

#[tokio::test]
async fn the_list_names_every_shard_and_refuses_an_unknown_filter() {
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let page = app.get("/shards", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for s in &fleet().shards {
        assert!(
            page.body
                .contains(&format!("data-shard=\"{}\" data-endpoint=\"known\"", s.id)),
            "{} listed with its endpoint: {}",
            s.id,
            page.body
        );
        assert!(page.body.contains(&format!("href=\"/shards/{}\"", s.id)));
    }
    let bad = app.get("/shards?region=mars-1", Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        bad.body
            .contains("unknown region \"mars-1\": choose one of"),
        "{}",
        bad.body
    );
    let enterprise = app.get("/shards?type=enterprise", Some(&cookie)).await;
    assert_eq!(enterprise.status, StatusCode::OK, "{}", enterprise.body);
    for s in &fleet().shards {
        let listed = enterprise
            .body
            .contains(&format!("data-shard=\"{}\"", s.id));
        assert_eq!(
            listed,
            s.shard_type == "enterprise",
            "{} with type=enterprise",
            s.id
        );
    }
}

#[tokio::test]
async fn a_shard_page_reads_replication_from_both_sides_and_names_orgs_only_to_tenant_roles() {
    let f = fleet();
    let shard = f
        .shards
        .iter()
        .find(|s| !s.replica_ports.is_empty())
        .expect("a shard with a replica");
    let app = app();
    let support = app.session_as(Role::Support).await;
    let page = app
        .get(&format!("/shards/{}", shard.id), Some(&support))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("data-node=\"primary\""), "{body}");
    assert!(body.contains(&format!(
        "{}:{}/{}",
        f.host, shard.primary_port, f.shard_database
    )));
    for port in &shard.replica_ports {
        let ep = format!("{}:{}/{}", f.host, port, f.shard_database);
        assert!(
            body.contains(&format!("data-node=\"replica\" data-endpoint=\"{ep}\"")),
            "replica {ep}: {body}"
        );
    }
    // The primary's side: one sender and one active slot per replica; no replica is flagged.
    assert_eq!(
        body.matches("data-sender=").count(),
        shard.replica_ports.len(),
        "{body}"
    );
    assert_eq!(
        body.matches("data-active=\"true\"").count(),
        shard.replica_ports.len()
    );
    assert!(!body.contains("data-flag="), "{body}");
    assert!(!body.contains("data-unlisted="), "{body}");
    // Each replica's lag is a number or unknown, shown with its side's positions.
    assert_eq!(body.matches("data-lag=").count(), shard.replica_ports.len());
    assert!(body.contains("Received / replayed"));
    // This month's and next month's audit partitions exist on a seeded shard.
    assert!(!body.contains("data-missing-partition="), "{body}");
    assert!(body.contains("data-partition=\"audit_log_"));
    // Connections by state: counted exactly in
    // `connections_by_state_count_exactly_the_console_apart_and_never_show_a_statement`.
    assert!(
        body.contains("href=\"/tenants/"),
        "support sees the orgs: {body}"
    );
    let viewer = app.session_as(Role::Viewer).await;
    let page = app
        .get(&format!("/shards/{}", shard.id), Some(&viewer))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("their names need the support or superadmin role"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("href=\"/tenants/"), "{}", page.body);
}

/// The "console's own N" of the primary's connections caption.
fn console_own(html: &str) -> i64 {
    let section = common::primary_section(html);
    let at = section
        .find("the console&#x27;s own ")
        .or_else(|| section.find("the console's own "));
    let rest = &section[at.expect("the caption names the console's own")..];
    let rest = &rest[rest.find("own ").unwrap() + 4..];
    rest[..rest.find(' ').unwrap()].parse().expect("a count")
}

/// What the primary's section shows for "Longest running statement".
fn longest_statement(html: &str) -> String {
    let section = common::primary_section(html);
    let rest = &section[section.find("Longest running statement").expect("the fact")..];
    let rest = &rest[rest.find("<dd>").expect("its value") + 4..];
    rest[..rest.find("</dd>").unwrap()].to_string()
}

async fn cancel_marked(opts: &sqlx::postgres::PgConnectOptions) {
    let mut admin = sqlx::PgConnection::connect_with(opts).await.unwrap();
    sqlx::query(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'marked-statement-test'",
    )
    .execute(&mut admin)
    .await
    .unwrap();
}

/// Connections by state count exactly what is there, the console's own apart: one session idle in
/// its transaction (another application's) raises that state by exactly one; one more, under the
/// console's application_name, raises only the console's own; a running statement's age is
/// shown, never its text. Other tests share the primary, so a reading whose other sessions moved
/// meanwhile is taken again (at most 5 times, saying what it saw).
#[tokio::test]
async fn connections_by_state_count_exactly_the_console_apart_and_never_show_a_statement() {
    let f = fleet();
    let shard = &f.shards[0];
    let console_app = format!("shardscope-own-{}", std::process::id());
    let app = {
        let name = console_app.clone();
        TestApp::with(move |c| {
            c.engine.cache_ttl = Duration::ZERO;
            c.engine.application_name = name;
        })
    };
    let cookie = app.session_as(Role::Viewer).await;
    let path = format!("/shards/{}", shard.id);
    let opts: sqlx::postgres::PgConnectOptions = f
        .admin_url(shard.primary_port, &f.shard_database)
        .parse()
        .unwrap();
    let marker = format!("shardscope_marker_{}", std::process::id());
    // A statement that runs for up to 15 s (cancelled when the test is done).
    let mut runner =
        sqlx::PgConnection::connect_with(&opts.clone().application_name("marked-statement-test"))
            .await
            .unwrap();
    let sleeping = format!("SELECT pg_sleep(15), '{marker}'");
    let running = tokio::spawn(async move {
        let _ = sqlx::query(sqlx::AssertSqlSafe(sleeping))
            .execute(&mut runner)
            .await;
    });
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut seen = Vec::new();
    for attempt in 1..=5 {
        let before = app.get(&path, Some(&cookie)).await;
        assert_eq!(before.status, StatusCode::OK, "{}", before.body);
        let mut other =
            sqlx::PgConnection::connect_with(&opts.clone().application_name("idle-in-tx-test"))
                .await
                .unwrap();
        let mut own =
            sqlx::PgConnection::connect_with(&opts.clone().application_name(&console_app))
                .await
                .unwrap();
        for c in [&mut other, &mut own] {
            sqlx::query("BEGIN").execute(&mut *c).await.unwrap();
            sqlx::query("SELECT 1").execute(&mut *c).await.unwrap();
        }
        let during = app.get(&path, Some(&cookie)).await;
        other.close().await.unwrap();
        own.close().await.unwrap();
        let state =
            |html: &str| connections_in(html, "data-node=\"primary\"", "idle-in-transaction");
        let (idle, own_count) = (
            state(&during.body) - state(&before.body),
            console_own(&during.body) - console_own(&before.body),
        );
        for page in [&before, &during] {
            assert!(
                !page.body.contains(&marker),
                "a statement's text is on the page"
            );
            let age = longest_statement(&page.body);
            assert!(
                age != "none" && age.chars().next().is_some_and(|c| c.is_ascii_digit()),
                "the running statement's age is shown: {age:?}"
            );
        }
        if (idle, own_count) == (1, 1) {
            cancel_marked(&opts).await;
            running.await.unwrap();
            return;
        }
        seen.push(format!(
            "attempt {attempt}: idle in transaction +{idle}, console's own +{own_count}"
        ));
    }
    cancel_marked(&opts).await;
    running.await.unwrap();
    panic!("never exactly +1 idle in transaction and +1 console's own: {seen:?}");
}

/// Puts the shard's allocation back as it was when dropped.
struct Allocation(String, Option<i64>);

impl Drop for Allocation {
    fn drop(&mut self) {
        let (id, old) = (self.0.clone(), self.1);
        common::block_on_own_runtime(async move {
            let pool = owner_pool().await;
            let r = match old {
                Some(b) => sqlx::query(
                    "UPDATE console.shard_allocations SET allocated_bytes = $2 WHERE shard_id = $1",
                )
                .bind(&id)
                .bind(b)
                .execute(&pool)
                .await,
                None => {
                    sqlx::query("DELETE FROM console.shard_allocations WHERE shard_id = $1")
                        .bind(&id)
                        .execute(&pool)
                        .await
                }
            };
            if let Err(e) = r {
                eprintln!("RESTORING THE ALLOCATION OF {id} FAILED: {e}");
            }
        });
    }
}

#[tokio::test]
async fn a_size_above_80_percent_of_the_allocation_is_flagged() {
    let f = fleet();
    let shard = f.shards.last().expect("a shard");
    let owner = owner_pool().await;
    let old: Option<i64> = sqlx::query_scalar(
        "SELECT allocated_bytes FROM console.shard_allocations WHERE shard_id = $1",
    )
    .bind(&shard.id)
    .fetch_optional(&owner)
    .await
    .expect("the allocations table");
    let _restore = Allocation(shard.id.clone(), old);
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&common::admin_pool(shard.primary_port, &f.shard_database).await)
        .await
        .unwrap();
    let set = |share: f64| {
        let owner = owner.clone();
        let id = shard.id.clone();
        async move {
            sqlx::query(
                "INSERT INTO console.shard_allocations (shard_id, allocated_bytes) VALUES ($1, $2)
                 ON CONFLICT (shard_id) DO UPDATE SET allocated_bytes = excluded.allocated_bytes",
            )
            .bind(&id)
            .bind((size as f64 / share) as i64)
            .execute(&owner)
            .await
            .unwrap();
        }
    };
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let path = format!("/shards/{}", shard.id);
    set(0.9).await;
    let over = app.get(&path, Some(&cookie)).await;
    assert!(
        over.body.contains("data-allocation=\"over\""),
        "{}",
        over.body
    );
    assert!(over.body.contains("over 80 % of its allocation"));
    set(0.5).await;
    let within = app.get(&path, Some(&cookie)).await;
    assert!(
        within.body.contains("data-allocation=\"within\""),
        "{}",
        within.body
    );
    assert!(!within.body.contains("over 80 % of its allocation"));
}

/// The text of the `<dd>` after `<dt>{label}</dt>` in `section` (the first one), without the
/// renderer's `<!>` markers.
fn fact(section: &str, label: &str) -> String {
    let after = section
        .split(&format!("<dt>{label}</dt>"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {label:?} fact in {section}"));
    let dd = after.split("</dd>").next().unwrap();
    dd[dd.find('>').unwrap() + 1..].replace("<!>", "")
}

#[tokio::test]
async fn each_node_shows_recovery_version_and_uptime_as_the_server_reports_them() {
    let f = fleet();
    let shard = f
        .shards
        .iter()
        .find(|s| !s.replica_ports.is_empty())
        .expect("a shard with a replica")
        .clone();
    let app = app();
    let cookie = app.session_as(Role::Viewer).await;
    let primary_admin = common::admin_pool(shard.primary_port, &f.shard_database).await;
    let uptime = || async {
        sqlx::query_as::<_, (String, f64)>(
            "SELECT current_setting('server_version'),
                    extract(epoch FROM now() - pg_postmaster_start_time())::float8",
        )
        .fetch_one(&primary_admin)
        .await
        .unwrap()
    };
    let (version, up_before) = uptime().await;
    let page = app
        .get(&format!("/shards/{}", shard.id), Some(&cookie))
        .await;
    let (_, up_after) = uptime().await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let primary = common::primary_section(&page.body);
    assert_eq!(fact(primary, "In recovery"), "no");
    assert_eq!(fact(primary, "PostgreSQL"), version);
    // In words, one unit ("42 s", "12 min", "5 h", "3 days"), as the server's own uptime read
    // just before and just after the page (a unit may tick over in between).
    let words = |s: f64| {
        let s = s as u64;
        match s {
            0..=119 => format!("{s} s"),
            120..=7199 => format!("{} min", s / 60),
            7200..=172_799 => format!("{} h", s / 3600),
            _ => format!("{} days", s / 86_400),
        }
    };
    let shown = fact(primary, "Up for");
    assert!(
        shown == words(up_before) || shown == words(up_after),
        "uptime {up_before}..{up_after} s shown as {shown:?}"
    );
    let replica = page
        .body
        .split("data-node=\"replica\"")
        .nth(1)
        .expect("a replica section")
        .split("</section>")
        .next()
        .unwrap();
    assert_eq!(fact(replica, "In recovery"), "yes");
    assert_eq!(fact(replica, "PostgreSQL"), version);
}

#[tokio::test]
async fn a_viewer_sees_how_many_orgs_and_the_page_links_to_its_pools_and_requests() {
    let app = app();
    let viewer = app.session_as(Role::Viewer).await;
    let shard = fleet().shards[0].id.clone();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tenant_shards WHERE shard_id = $1")
        .bind(&shard)
        .fetch_one(&owner_pool().await)
        .await
        .unwrap();
    assert!(n > 0, "{shard} holds orgs");
    let page = app.get(&format!("/shards/{shard}"), Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(
            "{n} orgs are routed here; their names need the support or superadmin role"
        )),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("href=\"/tenants/"),
        "no tenant link for a viewer"
    );
    for link in [
        format!("href=\"/pools?shard={shard}\""),
        format!("href=\"/telemetry?shard={shard}\""),
    ] {
        assert!(page.body.contains(&link), "{link}: {}", page.body);
        let target = link.trim_start_matches("href=\"").trim_end_matches('"');
        let r = app.get(target, Some(&viewer)).await;
        assert_eq!(r.status, StatusCode::OK, "{target}");
    }
}
