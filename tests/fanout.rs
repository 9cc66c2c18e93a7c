//! The overview fan-out against the real fleet.

mod common;

use shardscope::overview::fleet_overview;

#[tokio::test]
async fn every_shard_answers_with_its_replicas() {
    let fleet = common::fleet();
    let console = common::console();
    let o = fleet_overview(&console).await.expect("overview");
    assert_eq!(o.total, fleet.shards.len());
    assert_eq!(
        o.answered,
        fleet.shards.len(),
        "failed: {:?}",
        o.failed()
            .map(|r| (&r.id, &r.outcome.result))
            .collect::<Vec<_>>()
    );
    for shard in &fleet.shards {
        let row = o
            .shards
            .iter()
            .find(|r| r.id == shard.id)
            .expect("row per shard");
        let stats = row.outcome.result.as_ref().expect("answered");
        assert!(
            stats.orgs > 0 && stats.patients > 0,
            "{}: seeded data visible through the counts function",
            shard.id
        );
        assert_eq!(
            stats.orgs, row.routed_orgs,
            "{}: orgs on shard match the routing DB",
            shard.id
        );
        assert!(stats.db_bytes > 1_000_000);
        assert!(stats.max_connections >= 100);
        assert_eq!(stats.replicas.len(), shard.replica_ports.len());
        for (rep, port) in stats.replicas.iter().zip(&shard.replica_ports) {
            assert!(rep.endpoint.contains(&port.to_string()));
            assert!(rep.result.is_ok(), "{}: {:?}", rep.endpoint, rep.result);
        }
        assert!(
            !row.primary.contains(&fleet.app_password),
            "credentials from tenant_shards never shown"
        );
    }
    assert!(o.chart_svg.contains("<svg"));
}

#[tokio::test]
async fn console_connections_are_tagged_read_only_and_not_superuser() {
    let fleet = common::fleet();
    let console = common::console();
    fleet_overview(&console).await.expect("overview");
    let shard = &fleet.shards[0];
    let endpoint =
        shardscope::endpoint::Endpoint::parse(&fleet.platform_url(shard.primary_port)).unwrap();
    let pool = console.pools().get(&endpoint);
    let row: (String, String, String, bool, String) = sqlx::query_as(
        "SELECT current_user::text, current_setting('application_name'),
                current_setting('default_transaction_read_only'),
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                current_setting('statement_timeout')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.0, "shardscope_monitor");
    assert_eq!(row.1, "shardscope");
    assert_eq!(row.2, "on");
    assert!(!row.3, "the monitoring role must not be a superuser");
    assert_eq!(row.4, "1500ms");
    let write = sqlx::query("CREATE TEMP TABLE t (x int)")
        .execute(&pool)
        .await;
    assert!(write.is_err(), "console connections are read-only");
    let rows = sqlx::query("SELECT * FROM patients LIMIT 1")
        .fetch_all(&pool)
        .await;
    assert!(rows.is_err(), "the monitoring role cannot read tenant rows");
}

#[tokio::test]
async fn concurrent_overviews_stay_within_the_pool_limit() {
    let fleet = common::fleet();
    // Its own application_name, so other consoles (other tests, a running demo) are not counted.
    let app_name = format!("shardscope-pooltest-{}", std::process::id());
    let mut config = shardscope::Config::from_env().unwrap();
    config.engine.application_name = app_name.clone();
    // No cache: every one of the 20 overviews must reach the shards through the pools.
    config.engine.cache_ttl = std::time::Duration::ZERO;
    let console = shardscope::Console::new(config).unwrap();
    let runs = (0..20).map(|_| fleet_overview(&console));
    for o in futures::future::join_all(runs).await {
        let o = o.expect("overview");
        let failed: Vec<_> = o.failed().map(|r| (&r.id, &r.outcome.result)).collect();
        assert_eq!(o.answered, fleet.shards.len(), "{failed:?}");
    }
    let max = console.config().engine.pool_max as i64;
    for shard in &fleet.shards {
        let admin = common::admin(&fleet, shard.primary_port, &fleet.shard_database).await;
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(&app_name)
                .fetch_one(&admin)
                .await
                .unwrap();
        assert!(
            n >= 1,
            "{}: the console's connections are visible by application_name",
            shard.id
        );
        assert!(n <= max, "{}: {n} console connections > {max}", shard.id);
    }
}
