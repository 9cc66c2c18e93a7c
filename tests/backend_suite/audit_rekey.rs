//! `migrate audit-subjects` on the real routing DB and ClickHouse: plain-hash subjects become
//! keyed ones, marked for export again, and ClickHouse's plain copies are deleted.

use std::time::Duration;

use shardscope::auth::audit_rekey;
use shardscope::secret::keyring::Keyring;

use crate::common;

#[tokio::test]
async fn rekey_rewrites_plain_subjects_marks_them_for_export_and_deletes_clickhouses_copies() {
    let fleet = common::fleet();
    let keys = Keyring::parse("rk1:0123456789abcdef0123456789abcdef").unwrap();
    // A hash of this test's own, so no other record is confused with it.
    let hash = format!("{:064x}", u128::from(std::process::id()) << 64 | 0xfeed);
    let plain = format!("phone:{hash}");

    // The routing DB: an exported record with a plain-hash subject, and one already keyed.
    let owner = common::admin_pool(fleet.routing_port, &fleet.routing_database).await;
    let insert = |subject: String| {
        let owner = owner.clone();
        async move {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO console.audit_events (staff_email, role, action, target, client_addr,
                                                   reason, subject, result_count, shards,
                                                   exported_at, export_attempts)
                 VALUES ('rekey@tests.shardscope.test', 'support', 'lookup_patient', '/patients',
                         '127.0.0.1', 'TEST-REKEY', $1, 1, '{}', now(), 3)
                 RETURNING id",
            )
            .bind(subject)
            .fetch_one(&owner)
            .await
            .expect("inserting an audit record as the owner");
            id
        }
    };
    let old_id = insert(plain.clone()).await;
    let keyed = keys.audit_subject("phone", &hash);
    let kept_id = insert(keyed.clone()).await;

    let n = audit_rekey::rekey_routing(&owner, &keys).await.unwrap();
    assert!(n >= 1, "at least this test's record was rewritten, got {n}");
    let row = |id: i64| {
        let owner = owner.clone();
        async move {
            sqlx::query_as::<_, (String, bool, i32)>(
                "SELECT subject, exported_at IS NULL, export_attempts
                   FROM console.audit_events WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&owner)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        row(old_id).await,
        (keyed.clone(), true, 0),
        "the plain subject is keyed, and the record is due for export again"
    );
    assert_eq!(
        row(kept_id).await,
        (keyed.clone(), false, 3),
        "an already keyed record is left alone (not shipped twice)"
    );
    assert_eq!(
        audit_rekey::rekey_routing(&owner, &keys).await.unwrap(),
        0,
        "a second run finds nothing to rewrite"
    );

    // ClickHouse: a database of this test's own holding the plain copy and a keyed one.
    let server = shardscope::clickhouse_db::client(&fleet.clickhouse_url, "default", "");
    let db = format!("rekey_audit_{}", std::process::id());
    common::clickhouse_exec(&server, &format!("DROP DATABASE IF EXISTS {db}")).await;
    shardscope::migrate::clickhouse(&server, &db).await.unwrap();
    let client = server.clone().with_database(&db).with_validation(false);
    common::clickhouse_exec(
        &client,
        &format!(
            "INSERT INTO audit_events VALUES ('2026-11-01 10:00:00', '7', 'support', 'lookup_patient', '/patients', 0, '',
                     '127.0.0.1', 'ok', 'TEST-REKEY', '{plain}', 1, [], {old_id}),
                    ('2026-11-01 10:00:01', '7', 'support', 'lookup_patient', '/patients', 0, '',
                     '127.0.0.1', 'ok', 'TEST-REKEY', '{keyed}', 1, [], {kept_id})"
        ),
    )
    .await;
    audit_rekey::purge_clickhouse(&client).await.unwrap();
    // ALTER … DELETE is a mutation: applied in the background, so poll (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let left = loop {
        let left: Vec<String> = client
            .query("SELECT subject FROM audit_events ORDER BY ts")
            .fetch_all()
            .await
            .unwrap();
        if left.len() == 1 || std::time::Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        left,
        [keyed],
        "within 30 s the plain copy is deleted and the keyed one kept (last seen: {left:?})"
    );
    common::clickhouse_exec(&server, &format!("DROP DATABASE IF EXISTS {db}")).await;
}
