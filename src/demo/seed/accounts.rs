//! The demo fleet's staff accounts, one per role, all with the same demo password.

use sqlx::PgPool;

use crate::auth::Role;
use crate::auth::accounts::admin;
use crate::error::Result;

/// Used when `SHARDSCOPE_DEMO_PASSWORD` is not set (scripts/demo prints it).
pub const DEFAULT_DEMO_PASSWORD: &str = "shardscope-demo";

pub const DEMO_ACCOUNTS: [(&str, Role); 3] = [
    ("superadmin@shardscope.test", Role::Superadmin),
    ("support@shardscope.test", Role::Support),
    ("viewer@shardscope.test", Role::Viewer),
];

pub fn demo_password() -> String {
    std::env::var("SHARDSCOPE_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_DEMO_PASSWORD.to_string())
}

/// Create (or reset to the demo password and role) the three demo accounts. A reset ends their
/// sessions, like any password reset.
#[tracing::instrument(skip_all, err)]
pub async fn seed_demo_accounts(routing: &PgPool) -> Result<()> {
    let password = demo_password();
    for (email, role) in DEMO_ACCOUNTS {
        admin::upsert(routing, email, role, &password).await?;
    }
    tracing::info!("demo accounts ready (one per role)");
    Ok(())
}
