//! Migrations apply cleanly to empty databases, twice, and leave RLS enabled and forced.

mod common;

use sqlx::AssertSqlSafe;

#[tokio::test]
async fn routing_and_shard_migrations_apply_to_empty_databases() {
    let fleet = common::fleet();
    let admin = common::admin(&fleet, fleet.routing_port, "postgres").await;
    let suffix = std::process::id();
    for (kind, db) in [
        ("routing", format!("mig_routing_{suffix}")),
        ("shard", format!("mig_shard_{suffix}")),
    ] {
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
            .execute(&admin)
            .await
            .unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&admin)
            .await
            .unwrap();
        let pool = common::admin(&fleet, fleet.routing_port, &db).await;
        for _ in 0..2 {
            let r = if kind == "routing" {
                shardscope::migrate::routing(&pool).await
            } else {
                shardscope::migrate::shard(&pool).await
            };
            r.unwrap_or_else(|e| panic!("{kind} migrations: {e}"));
        }
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_class WHERE relkind IN ('r','p') AND relnamespace = 'public'::regnamespace
               AND relname NOT LIKE '\\_sqlx%' AND relname NOT LIKE 'audit_log\\_2%' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        if kind == "routing" {
            assert_eq!(
                tables,
                [
                    "organization_summary",
                    "patient_person_registry",
                    "shard_capacity",
                    "tenant_shards"
                ]
            );
        } else {
            assert_eq!(
                tables,
                [
                    "appointments",
                    "audit_log",
                    "organizations",
                    "patient_persons",
                    "patients"
                ]
            );
            let unforced: Vec<String> = sqlx::query_scalar(
                "SELECT relname::text FROM pg_class WHERE relname = ANY($1)
                   AND NOT (relrowsecurity AND relforcerowsecurity)",
            )
            .bind(&tables)
            .fetch_all(&pool)
            .await
            .unwrap();
            assert!(
                unforced.is_empty(),
                "RLS not enabled+forced on {unforced:?}"
            );
            let partitions: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(partitions, 4, "two past months, this month and next");
        }
        pool.close().await;
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE {db} WITH (FORCE)")))
            .execute(&admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn clickhouse_migrations_create_the_telemetry_tables() {
    let fleet = common::fleet();
    let server = shardscope::clickhouse_db::client(&fleet.clickhouse_url, "default", "");
    let db = format!("mig_test_{}", std::process::id());
    for _ in 0..2 {
        shardscope::migrate::clickhouse(&server, &db)
            .await
            .expect("clickhouse migrations");
    }
    let tables: Vec<String> = server
        .clone()
        .with_validation(false)
        .query("SELECT name FROM system.tables WHERE database = ? ORDER BY name")
        .bind(db.as_str())
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        tables,
        [
            "audit_events",
            "http_requests",
            "pool_stats",
            "slow_queries"
        ]
    );
    server
        .query(&format!("DROP DATABASE {db}"))
        .execute()
        .await
        .unwrap();
}
