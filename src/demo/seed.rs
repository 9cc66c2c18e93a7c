//! The demo fleet's deterministic seeder: schemas, roles, tenants, patients, registry, telemetry.
//!
//! Same fleet layout + same seed = same data, so a screenshot today matches one tomorrow.

mod accounts;
pub mod allocations;
pub mod drifts;
mod plan;
mod postgres;
mod rng;
mod telemetry;

pub use accounts::{DEFAULT_DEMO_PASSWORD, DEMO_ACCOUNTS, demo_password, seed_demo_accounts};
pub use plan::{
    HOSTILE_NAME, OrgPlan, PatientExample, Plan, UNICODE_NAMES, email_for, patient_examples,
    phone_for, plan, sha256_hex, spoken_phone, user_id_for,
};
pub use postgres::{
    insert_registry, provision_roles, seed_postgres, shard_without_pg_stat_statements,
};
pub use rng::Rng;
pub use telemetry::{
    HttpRequest, PoolCounters, PoolStat, SlowQuery, backfill_telemetry, busy_shard, insert_rows,
    noisy_org, requests, slow_queries, telemetry_client, warm_routing_cache,
};

/// The fixed RNG seed of the demo fleet.
pub const SEED: u64 = 0x5EED_2026;

use crate::demo::fleet::Fleet;
use crate::error::Result;

/// Migrate, provision roles and seed every database of the fleet. Idempotent: data is written only
/// into an empty routing DB / telemetry database.
#[tracing::instrument(skip_all, err)]
pub async fn seed_fleet(fleet: &Fleet) -> Result<()> {
    let plan = plan(&fleet.shards, SEED);
    seed_postgres(fleet, &plan).await?;
    allocations::seed_allocations(fleet).await?;
    warm_routing_cache(fleet, &plan).await?;
    backfill_telemetry(fleet, &plan, SEED).await?;
    rekey_audit(fleet).await?;
    Ok(())
}

/// A fleet whose audit was written before subjects were keyed gets them rewritten (with the
/// console's keys, `SHARDSCOPE_SECRET_KEYS`, which `scripts/fleet` passes in).
async fn rekey_audit(fleet: &Fleet) -> Result<()> {
    let Ok(text) = std::env::var("SHARDSCOPE_SECRET_KEYS") else {
        return Ok(());
    };
    let keys = crate::secret::keyring::Keyring::parse(&text)?;
    let owner =
        crate::migrate::connect(&fleet.admin_url(fleet.routing_port, &fleet.routing_database))
            .await?;
    crate::auth::audit_rekey::rekey_routing(&owner, &keys).await?;
    crate::auth::audit_rekey::purge_clickhouse(&telemetry::telemetry_client(fleet).await?).await
}
