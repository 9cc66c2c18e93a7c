//! The console schema's privileges: the console's own role reads accounts and appends audit
//! records, and nothing more (accounts and roles are the owner's, the audit is append-only).

use crate::common;

use shardscope::auth::accounts::admin;
use shardscope::auth::{AuditAction, AuditEvent, Role};
use sqlx::postgres::PgPoolOptions;

async fn as_console() -> sqlx::PgPool {
    let config = shardscope::Config::from_env().unwrap();
    PgPoolOptions::new()
        .max_connections(1)
        .connect(config.routing_url.expose())
        .await
        .expect("console role connects")
}

#[tokio::test]
async fn the_console_role_reads_accounts_and_appends_audit_but_changes_nothing_else() {
    let fleet = common::fleet();
    let owner = common::admin_pool(fleet.routing_port, &fleet.routing_database).await;
    let email = format!("priv-{}@tests.shardscope.test", std::process::id());
    let (staff, created) = admin::upsert(&owner, &email, Role::Viewer, "a-long-enough-password")
        .await
        .unwrap();
    assert!(created);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM console.staff WHERE id = $1")
        .bind(staff.id)
        .fetch_one(&owner)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("a-long-enough-password"));

    let console = as_console().await;
    let accounts = shardscope::auth::Accounts::new(console.clone());
    let (read, _) = accounts.for_sign_in(&email).await.unwrap().unwrap();
    assert_eq!(read.role, Role::Viewer);
    let log = shardscope::auth::AuditLog::new(console.clone());
    log.record(&AuditEvent {
        detail: Default::default(),
        staff: Some(read),
        action: AuditAction::ViewTenant,
        target: "org:101".into(),
        client_addr: "127.0.0.1".into(),
    })
    .await
    .expect("the console appends audit records");

    for (what, sql) in [
        (
            "create an account",
            "INSERT INTO console.staff (email, role, password_hash) VALUES ('x@y.test', 'superadmin', '$argon2id$x')",
        ),
        (
            "change a role",
            "UPDATE console.staff SET role = 'superadmin'",
        ),
        (
            "change a password",
            "UPDATE console.staff SET password_hash = '$argon2id$x'",
        ),
        (
            "rewrite the audit",
            "UPDATE console.audit_events SET action = 'sign_in'",
        ),
        ("delete the audit", "DELETE FROM console.audit_events"),
    ] {
        let e = sqlx::query(sql).execute(&console).await.expect_err(what);
        assert!(e.to_string().contains("permission denied"), "{what}: {e}");
    }
}

#[tokio::test]
async fn account_administration_refuses_bad_input_with_a_reason() {
    let fleet = common::fleet();
    let owner = common::admin_pool(fleet.routing_port, &fleet.routing_database).await;
    let e = admin::upsert(&owner, "x@tests.shardscope.test", Role::Viewer, "short")
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("12 characters"));
    let e = admin::set_disabled(&owner, "nobody-here@tests.shardscope.test", true)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("user add --email"), "{e}");
}
