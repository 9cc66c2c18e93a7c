//! The overview fan-out against the real fleet.

use crate::common;

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
    // The default shard deadline (the test helpers' 8 s would make the timeout 16 s).
    let console =
        common::console_with(|c| c.engine.shard_deadline = std::time::Duration::from_millis(2000));
    fleet_overview(&console).await.expect("overview");
    let shard = &fleet.shards[0];
    let endpoint =
        shardscope::federation::endpoint::Endpoint::parse(&fleet.platform_url(shard.primary_port))
            .unwrap();
    let pool = console.pools().get(&endpoint);
    let row: (String, String, String, bool, String, String, String) = sqlx::query_as(
        "SELECT current_user::text, current_setting('application_name'),
                current_setting('default_transaction_read_only'),
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                current_setting('statement_timeout'),
                current_setting('idle_in_transaction_session_timeout'),
                current_setting('lock_timeout')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.0, "shardscope_monitor");
    assert_eq!(row.1, "shardscope");
    assert_eq!(row.2, "on");
    assert!(!row.3, "the monitoring role must not be a superuser");
    assert_eq!(row.4, "1500ms");
    // Twice the shard deadline (2 s by default).
    assert_eq!(row.5, "4s", "idle_in_transaction_session_timeout");
    assert_eq!(row.6, "500ms", "lock_timeout");
    let write = sqlx::query("CREATE TEMP TABLE t (x int)")
        .execute(&pool)
        .await;
    assert_eq!(
        sqlstate(write.map(|_| ())),
        "25006",
        "read_only_sql_transaction: console connections are read-only"
    );
    let rows = sqlx::query("SELECT * FROM patients LIMIT 1")
        .fetch_all(&pool)
        .await;
    assert_eq!(
        sqlstate(rows.map(|_| ())),
        "42501",
        "insufficient_privilege: the monitoring role cannot read tenant rows"
    );
}

/// The SQLSTATE of a failed statement (fails the test if it succeeded or failed otherwise).
fn sqlstate(r: Result<(), sqlx::Error>) -> String {
    match r {
        Ok(()) => panic!("expected the statement to be refused"),
        Err(sqlx::Error::Database(db)) => db.code().map(|c| c.to_string()).unwrap_or_default(),
        Err(other) => panic!("expected a database error, got {other}"),
    }
}

#[tokio::test]
async fn idle_console_connections_are_closed_after_the_idle_time() {
    let fleet = common::fleet();
    let app_name = format!("shardscope-idletest-{}", std::process::id());
    let console = common::console_with(|c| {
        c.engine.application_name = app_name.clone();
        c.engine.pool_idle = std::time::Duration::from_secs(3);
        c.engine.cache_ttl = std::time::Duration::ZERO;
    });
    let shard = &fleet.shards[0];
    let admin = common::admin_pool(shard.primary_port, &fleet.shard_database).await;
    fleet_overview(&console).await.expect("overview");
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&app_name)
        .fetch_one(&admin)
        .await
        .unwrap()
    };
    assert!(count().await >= 1, "the probe left an idle connection");
    let started = std::time::Instant::now();
    let mut n = count().await;
    while n > 0 && started.elapsed() < std::time::Duration::from_secs(15) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        n = count().await;
    }
    assert_eq!(
        n,
        0,
        "idle console connections still open {:?} after a 3 s idle time",
        started.elapsed()
    );
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
    // The tenant reader's pools share each endpoint's budget: read tenants at the same time.
    let shards = console.shards().await.expect("shard list");
    let readers = console
        .tenant_readers()
        .expect("the tenant reader is configured")
        .clone();
    let reads = shards.iter().flat_map(|s| {
        let ep = s.primary.clone().expect("a primary URL");
        let readers = readers.clone();
        (0..5).map(move |i| {
            let (ep, readers) = (ep.clone(), readers.clone());
            async move {
                shardscope::tenants::reader::tenant_counts(&readers, &ep, 1 + i, 1)
                    .await
                    .map(|_| ())
            }
        })
    });
    let runs = (0..20).map(|_| fleet_overview(&console));
    let (overviews, _) = tokio::join!(
        futures::future::join_all(runs),
        futures::future::join_all(reads)
    );
    for o in overviews {
        let o = o.expect("overview");
        let failed: Vec<_> = o.failed().map(|r| (&r.id, &r.outcome.result)).collect();
        assert_eq!(o.answered, fleet.shards.len(), "{failed:?}");
    }
    let max = console.config().engine.pool_max as i64;
    for shard in &fleet.shards {
        let admin = common::admin_pool(shard.primary_port, &fleet.shard_database).await;
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
        assert!(
            n <= max,
            "{}: {n} console connections (monitoring and tenant reader) > the budget of {max}",
            shard.id
        );
    }
}
