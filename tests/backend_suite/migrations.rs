//! Migrations apply cleanly to empty databases, twice, and leave RLS enabled and forced.

use crate::common;

use sqlx::AssertSqlSafe;

#[tokio::test]
async fn routing_and_shard_migrations_apply_to_empty_databases() {
    let fleet = common::fleet();
    let admin = common::admin_pool(fleet.routing_port, "postgres").await;
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
        let pool = common::admin_pool(fleet.routing_port, &db).await;
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
            "shard_samples",
            "slow_queries"
        ]
    );
    server
        .query(&format!("DROP DATABASE {db}"))
        .execute()
        .await
        .unwrap();
}

/// `audit_events` as its first release created it (before the patient lookup's four columns): a
/// frozen copy on purpose, not derived from today's DDL, which it must never follow.
const FIRST_RELEASE_AUDIT_EVENTS: &str = "CREATE TABLE audit_events (
    ts          DateTime('UTC'),
    actor_id    String,
    actor_role  String,
    action      String,
    target      String,
    org_id      UInt64,
    shard_id    String,
    client_addr String,
    outcome     String
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (ts, actor_id)";

#[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
struct Column {
    name: String,
    kind: String,
}

/// `audit_events`' columns in table order (18.16's `system.columns` has no `position`; it lists
/// a table's columns in their order).
async fn audit_columns(server: &clickhouse::Client, db: &str) -> Vec<Column> {
    server
        .clone()
        .with_validation(false)
        .query("SELECT name, type AS kind FROM system.columns WHERE database = ? AND table = 'audit_events'")
        .bind(db)
        .fetch_all::<Column>()
        .await
        .unwrap()
}

#[derive(Debug, PartialEq, clickhouse::Row, serde::Deserialize)]
struct Kept {
    action: String,
    reason: String,
    subject: String,
    result_count: u32,
    shards: Vec<String>,
}

#[tokio::test]
async fn clickhouse_migration_upgrades_a_first_release_audit_table_in_place() {
    let fleet = common::fleet();
    let server = shardscope::clickhouse_db::client(&fleet.clickhouse_url, "default", "");
    let old = format!("mig_old_audit_{}", std::process::id());
    let fresh = format!("mig_new_audit_{}", std::process::id());
    let drop_both = async || {
        for db in [&old, &fresh] {
            common::clickhouse_exec(&server, &format!("DROP DATABASE IF EXISTS {db}")).await;
        }
    };
    drop_both().await;
    // An older deployment: the first release's table holding a record.
    common::clickhouse_exec(&server, &format!("CREATE DATABASE {old}")).await;
    let old_db = server.clone().with_database(&old);
    common::clickhouse_exec(&old_db, FIRST_RELEASE_AUDIT_EVENTS).await;
    common::clickhouse_exec(
        &old_db,
        "INSERT INTO audit_events VALUES
          ('2026-11-01 10:00:00', '7', 'support', 'view_tenant', '/tenants/101', 101, 'us-1',
           '127.0.0.1', 'ok')",
    )
    .await;

    // Twice: the second run finds every column present and changes nothing.
    for _ in 0..2 {
        shardscope::migrate::clickhouse(&server, &old)
            .await
            .expect("migrating the first release's table");
    }
    shardscope::migrate::clickhouse(&server, &fresh)
        .await
        .expect("a fresh database");

    let upgraded = audit_columns(&server, &old).await;
    assert_eq!(
        upgraded,
        audit_columns(&server, &fresh).await,
        "the upgraded table has exactly the columns, types and order of a new one"
    );
    for (name, kind) in shardscope::migrate::CLICKHOUSE_AUDIT_COLUMNS {
        assert!(
            upgraded.iter().any(|c| c.name == *name && c.kind == *kind),
            "{name} {kind} added: {upgraded:?}"
        );
    }
    for column in shardscope::auth::audit_export::insert_columns() {
        assert!(
            upgraded.iter().any(|c| c.name == *column),
            "the exporter's column {column} exists after the upgrade"
        );
    }
    // The old record is still there, with empty values in the new columns.
    let kept: Vec<Kept> = old_db
        .clone()
        .with_validation(false)
        .query("SELECT action, reason, subject, result_count, shards FROM audit_events")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        kept,
        [Kept {
            action: "view_tenant".into(),
            reason: String::new(),
            subject: String::new(),
            result_count: 0,
            shards: vec![],
        }]
    );
    // And a record with the new columns can be written and read back.
    common::clickhouse_exec(
        &old_db,
        "INSERT INTO audit_events VALUES
          ('2026-12-01 10:00:00', '7', 'support', 'lookup_patient', '/patients', 0, '',
           '127.0.0.1', 'ok', 'TICKET-1', 'phone:ab', 2, ['us-1', 'eu-1'], 42)",
    )
    .await;
    let added: u64 = old_db
        .clone()
        .with_validation(false)
        .query(
            "SELECT count() FROM audit_events
              WHERE subject = 'phone:ab' AND has(shards, 'eu-1') AND console_record_id = 42",
        )
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(added, 1);

    drop_both().await;
}
