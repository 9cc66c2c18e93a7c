//! Routing truth and RLS compliance against real drifts and a really silent shard, through the
//! router: the demo's drifts (the same code `scripts/demo` runs) are each found and reverting
//! them leaves nothing; a shard whose every endpoint is stopped is "unknown", never "clean".
//!
//! These change the shared fleet: scripts/test runs `fault_*` binaries alone, one test at a time;
//! each restores what it changed, even when an assertion fails.

use crate::common;

use std::time::Duration;

use common::{Restart, TestApp, block_on_own_runtime, fleet, fleet_cmd, owner_pool};
use http::StatusCode;
use shardscope::auth::Role;
use shardscope::demo::seed::drifts;

/// A console that never reuses a report (every request checks the fleet now).
fn app() -> TestApp {
    TestApp::with(|c| c.engine.cache_ttl = Duration::ZERO)
}

struct Reverted;

impl Drop for Reverted {
    fn drop(&mut self) {
        // Never panic here (a panic while unwinding aborts): say it loudly instead; the next
        // test's clean-fleet assertions then fail naming the leftover.
        block_on_own_runtime(async {
            if let Err(e) = drifts::revert(&fleet(), "shard:").await {
                eprintln!("REVERTING THE DEMO DRIFTS FAILED: {e}");
            }
        });
    }
}

#[tokio::test]
async fn every_demo_drift_is_found_and_reverting_leaves_a_clean_fleet() {
    let n = fleet().shards.len();
    let guard = Reverted;
    drifts::apply(&fleet(), "shard:")
        .await
        .expect("drifts applied");
    let app = app();
    let cookie = app.session_as(Role::Support).await;
    let routing = app.get("/routing", Some(&cookie)).await;
    assert_eq!(routing.status, StatusCode::OK, "{}", routing.body);
    for kind in [
        "StaleCacheEntry",
        "CacheForUnknownOrg",
        "OrgMissingFromShard",
        "OrgOnTwoShards",
        "UnreachableShard",
        "CapacityMismatch",
        "RegistryUnknownHomeShard",
    ] {
        assert!(
            routing.body.contains(&format!("data-finding=\"{kind}\"")),
            "{kind} found: {}",
            routing.body
        );
    }
    assert!(
        routing
            .body
            .contains(&format!("data-answered=\"{n}/{}\"", n + 1))
    );
    assert!(
        routing
            .body
            .contains(&format!("data-unknown=\"{}\"", drifts::UNREACHABLE_SHARD))
    );
    // The findings' export is the page's table: a row per finding, the same kinds, the same order.
    let export = app
        .get("/routing?format=json&table=findings", Some(&cookie))
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    let v: serde_json::Value = serde_json::from_str(&export.body).expect("JSON");
    let exported: Vec<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["finding"].as_str().expect("a finding's label"))
        .collect();
    let shown = routing.body.matches("data-finding=\"").count();
    assert_eq!(exported.len(), shown, "{exported:?}");
    assert!(
        exported.contains(&"org present on two shards"),
        "{exported:?}"
    );
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert_eq!(compliance.status, StatusCode::OK);
    assert!(
        compliance.body.contains("enabled but not forced"),
        "{}",
        compliance.body
    );
    assert!(
        compliance.body.contains("+ tenant_isolation"),
        "a diff against the majority"
    );
    assert!(compliance.body.contains("- tenant_isolation"));
    // The unreachable shard is unknown here too.
    assert!(compliance.body.contains("unknown ("));
    // A tenant's own page shows its part: the missing org cannot be counted, the stale entry is
    // flagged.
    let missing = app
        .get(&format!("/tenants/{}", drifts::MISSING_ORG), Some(&cookie))
        .await;
    assert_eq!(missing.status, StatusCode::OK);
    assert!(
        missing.body.contains("not on its assigned shard"),
        "{}",
        missing.body
    );
    assert!(
        missing
            .body
            .contains("data-finding=\"OrgMissingFromShard\"")
    );
    let stale: i64 = sqlx::query_scalar(
        "SELECT min(organization_id) FROM tenant_shards WHERE shard_id = $1 AND organization_id < 990000",
    )
    .bind(&fleet().shards[0].id)
    .fetch_one(&owner_pool().await)
    .await
    .unwrap();
    let page = app.get(&format!("/tenants/{stale}"), Some(&cookie)).await;
    assert!(
        page.body.contains("data-cache=\"disagrees\""),
        "{}",
        page.body
    );

    drop(guard);
    let app = self::app();
    let cookie = app.session_as(Role::Support).await;
    let routing = app.get("/routing", Some(&cookie)).await;
    assert!(
        routing.body.contains("data-findings=\"0\""),
        "{}",
        routing.body
    );
    assert!(routing.body.contains(&format!("data-answered=\"{n}/{n}\"")));
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert!(
        compliance.body.contains("data-issues=\"0\""),
        "{}",
        compliance.body
    );
}

#[tokio::test]
async fn a_silent_shard_is_unknown_never_clean() {
    let f = fleet();
    let n = f.shards.len();
    let victim = f
        .shard("us-2")
        .cloned()
        .unwrap_or_else(|| f.shards[n - 1].clone());
    assert!(!victim.replica_ports.is_empty(), "the victim has a replica");
    let org: i64 =
        sqlx::query_scalar("SELECT min(organization_id) FROM tenant_shards WHERE shard_id = $1")
            .bind(&victim.id)
            .fetch_one(&owner_pool().await)
            .await
            .unwrap();
    let mut restart = Restart(vec![]);

    // Primary stopped, replica up: routing truth reads the orgs from the replica; compliance
    // (primaries only) says the shard is unknown.
    fleet_cmd(&["stop-node", &victim.id]);
    restart.0.push(victim.id.clone());
    let app = app();
    let cookie = app.session_as(Role::Support).await;
    let routing = app.get("/routing", Some(&cookie)).await;
    assert_eq!(routing.status, StatusCode::OK);
    assert!(
        routing.body.contains(&format!("data-answered=\"{n}/{n}\"")),
        "{}",
        routing.body
    );
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert_eq!(compliance.status, StatusCode::OK);
    assert!(
        compliance
            .body
            .contains(&format!("data-answered=\"{}/{n}\"", n - 1))
    );
    assert!(
        compliance.body.contains("unknown (connection refused"),
        "{}",
        compliance.body
    );

    // Every endpoint stopped: its findings are unknown, the page still renders whole.
    let replica = format!("{}-r1", victim.id);
    fleet_cmd(&["stop-node", &replica]);
    restart.0.push(replica);
    let routing = app.get("/routing", Some(&cookie)).await;
    assert_eq!(routing.status, StatusCode::OK);
    assert!(
        routing
            .body
            .contains(&format!("data-answered=\"{}/{n}\"", n - 1)),
        "{}",
        routing.body
    );
    assert!(
        routing
            .body
            .contains(&format!("data-unknown=\"{}\"", victim.id))
    );
    assert!(routing.body.contains("Unknown, not clean"));
    assert!(
        !routing
            .body
            .contains("data-finding=\"OrgMissingFromShard\""),
        "a silent shard's orgs are not reported missing"
    );
    let tenant = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert_eq!(tenant.status, StatusCode::OK, "{}", tenant.body);
    assert!(
        tenant.body.contains("Counts unavailable"),
        "{}",
        tenant.body
    );
    assert!(tenant.body.contains("not answering"));
    assert!(
        tenant.body.contains("data-truth=\"unknown\""),
        "its routing truth is unknown, not clean"
    );
    assert!(!tenant.body.contains("data-truth=\"clean\""));
    drop(restart);
}

/// Redis persists nothing: a restart loses the demo's drifted cache entries. The simulator's cache
/// refresh writes them again (as the platform's router writes on a miss), so `/routing` keeps
/// showing them for as long as the demo runs.
#[tokio::test]
async fn the_demo_cache_drifts_survive_a_redis_restart() {
    let guard = Reverted;
    let f = fleet();
    drifts::apply(&f, "shard:").await.expect("drifts applied");
    fleet_cmd(&["restart-redis"]);
    let app = app();
    let cookie = app.session_as(Role::Support).await;
    let lost = app.get("/routing", Some(&cookie)).await;
    assert_eq!(lost.status, StatusCode::OK, "{}", lost.body);
    assert!(
        !lost.body.contains("data-finding=\"StaleCacheEntry\""),
        "the restart emptied the cache: {}",
        lost.body
    );
    let plan = shardscope::demo::seed::plan(&f.shards, shardscope::demo::seed::SEED);
    shardscope::demo::simulate::refresh_routing_cache(&f, &plan)
        .await
        .expect("the simulator's cache refresh");
    let back = app.get("/routing", Some(&cookie)).await;
    for kind in ["StaleCacheEntry", "CacheForUnknownOrg"] {
        assert!(
            back.body.contains(&format!("data-finding=\"{kind}\"")),
            "{kind} again after the refresh: {}",
            back.body
        );
    }
    drop(guard);
}

/// Runs SQL on a shard's primary as the fleet's administrator when dropped (a test's change is
/// undone however it ends).
struct UndoOnShard {
    port: u16,
    sql: String,
}

impl Drop for UndoOnShard {
    fn drop(&mut self) {
        let (port, sql) = (self.port, self.sql.clone());
        block_on_own_runtime(async move {
            let pool = common::admin_pool(port, &fleet().shard_database).await;
            if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&pool)
                .await
            {
                eprintln!("UNDOING A SHARD CHANGE FAILED ({sql}): {e}");
            }
        });
    }
}

/// The primary port of the shard `org` is assigned to, and the shard's id.
async fn home_of(org: i64) -> (String, u16) {
    let shard: String =
        sqlx::query_scalar("SELECT shard_id FROM tenant_shards WHERE organization_id = $1")
            .bind(org)
            .fetch_one(&owner_pool().await)
            .await
            .unwrap();
    let port = fleet().shard(&shard).unwrap().primary_port;
    (shard, port)
}

#[tokio::test]
async fn rls_disabled_on_a_shard_withholds_a_tenants_counts_and_compliance_names_the_table() {
    let org = 2;
    let (shard, port) = home_of(org).await;
    let app = app();
    let cookie = app.session_as(Role::Support).await;
    let before = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert!(
        before.body.contains("data-counts=\"rls\""),
        "counted while RLS holds: {}",
        before.body
    );

    sqlx::raw_sql("ALTER TABLE patients DISABLE ROW LEVEL SECURITY")
        .execute(&common::admin_pool(port, &fleet().shard_database).await)
        .await
        .unwrap();
    let undo = UndoOnShard {
        port,
        sql: "ALTER TABLE patients ENABLE ROW LEVEL SECURITY".into(),
    };
    let page = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("data-counts=\"rls\""),
        "no counts shown with RLS off on {shard}: {}",
        page.body
    );
    assert!(
        page.body.contains("Counts unavailable: query error: row-level security does not isolate this tenant on its shard")
            && page.body.contains("counts withheld, see /compliance"),
        "the page says why: {}",
        page.body
    );
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert_eq!(compliance.status, StatusCode::OK);
    assert!(
        compliance.body.contains(
            "row-level security is disabled on patients: every role with SELECT sees every org"
        ),
        "{}",
        compliance.body
    );

    // A patient lookup reaching that shard withholds the shard's links and says why (never
    // another org's rows as this person's links).
    let plan = shardscope::demo::seed::plan(&fleet().shards, shardscope::demo::seed::SEED);
    let home = plan
        .orgs
        .iter()
        .find(|o| o.shard_id == shard && o.patients > 10)
        .expect("an org with patients on the shard");
    let person = (home.person_base + 1..)
        .find(|p| p % 97 != 0 && (p + 1) % 97 != 0)
        .unwrap();
    let phone = shardscope::demo::seed::phone_for(person, &home.region);
    let region = common::phone_region(&home.region);
    let looked = app
        .post(
            "/api/patient-lookup",
            Some(&cookie),
            &format!("q={}&region={region}", common::enc(&phone)),
        )
        .await;
    assert_eq!(looked.status, StatusCode::OK, "{}", looked.body);
    assert!(
        looked
            .body
            .contains("its links are withheld, see /compliance"),
        "the lookup names the broken shard: {}",
        looked.body
    );
    let v: serde_json::Value = serde_json::from_str(&looked.body).unwrap();
    let links_here = v["people"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["links"].as_array().unwrap().iter())
        .filter(|l| l["shard_id"] == shard.as_str())
        .count();
    assert_eq!(links_here, 0, "no link read from {shard} while RLS is off");

    drop(undo);
    let after = app.get(&format!("/tenants/{org}"), Some(&cookie)).await;
    assert!(
        after.body.contains("data-counts=\"rls\""),
        "counted again once RLS is back: {}",
        after.body
    );
}

#[tokio::test]
async fn role_attributes_ownership_and_definer_grants_beyond_the_documented_are_critical() {
    let f = fleet();
    let shard = f.shards[0].clone();
    let reader = std::env::var("SHARDSCOPE_TENANT_READER_USER")
        .unwrap_or_else(|_| "shardscope_tenant_reader".into());
    let monitor = "shardscope_monitor";
    let admin = common::admin_pool(shard.primary_port, &f.shard_database).await;
    let undo = UndoOnShard {
        port: shard.primary_port,
        sql: format!(
            "ALTER ROLE {reader} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION;
             DROP TABLE IF EXISTS public.console_drift_owned;
             DROP FUNCTION IF EXISTS public.console_drift_definer();"
        ),
    };
    // Role names from the fleet's own env, never from outside.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER ROLE {reader} SUPERUSER CREATEROLE CREATEDB REPLICATION;
         CREATE TABLE public.console_drift_owned (id int);
         ALTER TABLE public.console_drift_owned OWNER TO {monitor};
         CREATE FUNCTION public.console_drift_definer() RETURNS int
             LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
         REVOKE EXECUTE ON FUNCTION public.console_drift_definer() FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION public.console_drift_definer() TO {monitor};"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let app = app();
    let cookie = app.session_as(Role::Support).await;
    let compliance = app.get("/compliance", Some(&cookie)).await;
    assert_eq!(compliance.status, StatusCode::OK, "{}", compliance.body);
    for detail in [
        format!("{reader} has SUPERUSER"),
        format!("{reader} has CREATEROLE"),
        format!("{reader} has CREATEDB"),
        format!("{reader} has REPLICATION"),
        format!("{monitor} owns console_drift_owned"),
        format!("{monitor} has EXECUTE on function console_drift_definer()"),
    ] {
        assert!(
            compliance.body.contains(&detail),
            "{detail:?} on {}: {}",
            shard.id,
            compliance.body
        );
    }
    drop(undo);
    let clean = app.get("/compliance", Some(&cookie)).await;
    assert!(
        clean.body.contains("data-issues=\"0\""),
        "nothing left once undone: {}",
        clean.body
    );
}
