//! Seeding the routing DB and the shards, as the fleet's administrator.

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor};

use super::plan::{Plan, email_for, phone_for, sha256_hex};
use crate::demo::fleet::Fleet;
use crate::error::{Error, Result};
use crate::migrate;

/// An admin connection pool to one database of the fleet.
pub async fn admin_pool(fleet: &Fleet, port: u16, database: &str) -> Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(2)
        .connect(&fleet.admin_url(port, database))
        .await?)
}

/// Quote a password as an SQL literal for ALTER ROLE (dev passwords only, from fleet.json).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Give the roles the migrations created a login and password. Passwords live in fleet.json, never
/// in a migration.
#[tracing::instrument(skip_all, err)]
pub async fn provision_roles(fleet: &Fleet, pool: &PgPool, routing: bool) -> Result<()> {
    let statements = if routing {
        vec![format!(
            "ALTER ROLE shardscope_console LOGIN PASSWORD {}",
            literal(&fleet.console_password)
        )]
    } else {
        vec![
            format!(
                "ALTER ROLE shardscope_monitor LOGIN PASSWORD {}",
                literal(&fleet.monitor_password)
            ),
            format!(
                "ALTER ROLE shardscope_tenant_reader LOGIN PASSWORD {}",
                literal(&fleet.tenant_reader_password)
            ),
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_app') \
             THEN CREATE ROLE platform_app LOGIN; END IF; END $$"
                .to_string(),
            format!(
                "ALTER ROLE platform_app PASSWORD {}",
                literal(&fleet.app_password)
            ),
        ]
    };
    for s in statements {
        pool.execute(AssertSqlSafe(s)).await?;
    }
    Ok(())
}

/// The demo shard without `pg_stat_statements`: the last shared shard, unless it is the fleet's
/// first shard (the benchmark reads the extension on the first).
pub fn shard_without_pg_stat_statements(fleet: &Fleet) -> Option<&str> {
    let last_shared = fleet
        .shards
        .iter()
        .rev()
        .find(|s| s.shard_type == "shared")?;
    (fleet.shards.first().map(|s| &s.id) != Some(&last_shared.id))
        .then_some(last_shared.id.as_str())
}

/// Migrate every database and, if the routing DB holds no tenants yet, write the planned data.
#[tracing::instrument(skip_all, err)]
pub async fn seed_postgres(fleet: &Fleet, plan: &Plan) -> Result<()> {
    let routing = admin_pool(fleet, fleet.routing_port, &fleet.routing_database).await?;
    migrate::routing(&routing).await?;
    provision_roles(fleet, &routing, true).await?;
    super::seed_demo_accounts(&routing).await?;
    let mut shard_pools = Vec::new();
    let without_pgss = shard_without_pg_stat_statements(fleet);
    for shard in &fleet.shards {
        let pool = admin_pool(fleet, shard.primary_port, &fleet.shard_database).await?;
        migrate::shard(&pool).await?;
        provision_roles(fleet, &pool, false).await?;
        // Installed on every shard but one, so /telemetry/slow-queries shows both cases.
        let statement = if without_pgss == Some(shard.id.as_str()) {
            "DROP EXTENSION IF EXISTS pg_stat_statements"
        } else {
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
        };
        pool.execute(statement).await?;
        shard_pools.push((shard, pool));
    }
    let seeded: i64 = sqlx::query_scalar("SELECT count(*) FROM tenant_shards")
        .fetch_one(&routing)
        .await?;
    if seeded > 0 {
        refresh_registry_if_stale(&routing, plan).await?;
        tracing::info!(
            tenants = seeded,
            "routing DB already seeded; data left as is"
        );
        return Ok(());
    }
    for (shard, pool) in &shard_pools {
        seed_shard(pool, plan, &shard.id).await?;
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    seed_routing(fleet, &routing, plan).await?;
    Ok(())
}

#[tracing::instrument(skip(pool, plan), err)]
async fn seed_shard(pool: &PgPool, plan: &Plan, shard_id: &str) -> Result<()> {
    let mut tx = pool.begin().await?;
    for org in plan.orgs_on(shard_id) {
        sqlx::query("INSERT INTO organizations (id, name, slug, region) VALUES ($1, $2, $3, $4)")
            .bind(org.id)
            .bind(&org.name)
            .bind(&org.slug)
            .bind(&org.region)
            .execute(&mut *tx)
            .await?;
        // Names and birthdays are derived from the person id: deterministic, fictional.
        sqlx::query(
            "INSERT INTO patient_persons (id, name, date_of_birth, sex, blood_type, created_at)
             SELECT g,
                    (ARRAY['Maria','John','Aisha','Wei','Lucas','Sofia','Omar','Elena','Noah','Priya',
                           'Mateo','Hana','Ivan','Grace','Tariq','Lena'])[1 + (g * 7919) % 16]
                    || ' ' ||
                    (ARRAY['Lopez','Smith','Khan','Chen','Silva','Rossi','Haddad','Novak','Brown',
                           'Patel','Garcia','Sato','Petrov','Okafor','Nguyen','Weber'])[1 + (g * 104729) % 16],
                    DATE '1940-01-01' + ((g * 2654435761) % 29000)::int,
                    (ARRAY['female','male'])[1 + g % 2],
                    (ARRAY['A+','A-','B+','B-','O+','O-','AB+','AB-'])[1 + (g * 31) % 8],
                    now() - ((g % 700) || ' days')::interval
               FROM generate_series($1::int8, $2::int8) g",
        )
        .bind(org.person_base)
        .bind(org.person_base + org.patients - 1)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO patients (organization_id, patient_person_id, profile_shared, created_at)
             SELECT $1, g, (g % 5) <> 0, now() - ((g % 700) || ' days')::interval
               FROM generate_series($2::int8, $3::int8) g",
        )
        .bind(org.id)
        .bind(org.person_base)
        .bind(org.person_base + org.patients - 1)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO appointments (organization_id, patient_id, starts_at, status)
             SELECT organization_id, id,
                    now() + ((id % 120) - 60 || ' days')::interval,
                    (ARRAY['scheduled','completed','cancelled','no_show'])[1 + id % 4]
               FROM patients WHERE organization_id = $1 AND id % 3 = 0",
        )
        .bind(org.id)
        .execute(&mut *tx)
        .await?;
    }
    let links: Vec<(i64, i64)> = plan
        .cross_links
        .iter()
        .filter(|(org, _)| {
            plan.orgs
                .iter()
                .any(|o| o.id == *org && o.shard_id == shard_id)
        })
        .copied()
        .collect();
    let (orgs, persons): (Vec<i64>, Vec<i64>) = links.into_iter().unzip();
    sqlx::query(
        "INSERT INTO patients (organization_id, patient_person_id, profile_shared)
         SELECT o, p, false FROM unnest($1::int8[], $2::int8[]) AS t(o, p)",
    )
    .bind(&orgs)
    .bind(&persons)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_log (organization_id, user_id, action, entity_type, entity_id, status_code,
                                request_path, created_at)
         SELECT o.id, 1 + g % 40, (ARRAY['view','update','create','export'])[1 + g % 4], 'patient',
                g, 200, '/v1/patients/' || g, now() - ((g % 50) || ' days')::interval
           FROM organizations o, generate_series(1, 60) g",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[tracing::instrument(skip_all, err)]
async fn seed_routing(fleet: &Fleet, routing: &PgPool, plan: &Plan) -> Result<()> {
    let mut tx = routing.begin().await?;
    for org in &plan.orgs {
        let shard = fleet
            .shard(&org.shard_id)
            .ok_or_else(|| Error::Config(format!("plan names unknown shard {}", org.shard_id)))?;
        let replicas: Vec<String> = shard
            .replica_ports
            .iter()
            .map(|p| fleet.platform_url(*p))
            .collect();
        let enterprise = org.shard_type == "enterprise";
        sqlx::query(
            "INSERT INTO tenant_shards (organization_id, shard_type, shard_id, database_primary_url,
                 database_replica_urls, max_patients, sla_tier, billing_tier, region, shard_load_score)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.id)
        .bind(&org.shard_type)
        .bind(&org.shard_id)
        .bind(fleet.platform_url(shard.primary_port))
        .bind(&replicas)
        .bind(if enterprise { 200_000 } else { 50_000 })
        .bind(if enterprise { "enterprise" } else { "standard" })
        .bind(if enterprise { "enterprise-999" } else { "shared-99" })
        .bind(&org.region)
        .bind((org.patients / 100) as i32)
        .execute(&mut *tx)
        .await?;
        let appointments = (org.patients + 2) / 3;
        sqlx::query(
            "INSERT INTO organization_summary (organization_id, shard_id, name, patients, appointments)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.id)
        .bind(&org.shard_id)
        .bind(&org.name)
        .bind(org.patients)
        .bind(appointments)
        .execute(&mut *tx)
        .await?;
    }
    for shard in &fleet.shards {
        let orgs: Vec<_> = plan.orgs_on(&shard.id).collect();
        let enterprise = shard.shard_type == "enterprise";
        sqlx::query(
            "INSERT INTO shard_capacity (shard_id, region, shard_type, current_orgs, max_orgs,
                                         current_patients, max_patients)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&shard.id)
        .bind(&shard.region)
        .bind(&shard.shard_type)
        .bind(orgs.len() as i32)
        .bind(if enterprise { 1 } else { 50 })
        .bind(orgs.iter().map(|o| o.patients).sum::<i64>())
        .bind(if enterprise { 200_000i64 } else { 500_000 })
        .execute(&mut *tx)
        .await?;
    }
    insert_registry(&mut tx, plan).await?;
    tx.commit().await?;
    Ok(())
}

/// The registry rows of the plan's people: hashes only, one row per person, keyed by the SHA-256
/// of their E.164 phone (the benchmark writes the same rows into its own routing database).
pub async fn insert_registry(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    plan: &Plan,
) -> Result<()> {
    // Registry: hashes only. One row per person, keyed by the SHA-256 of their E.164 phone.
    for org in &plan.orgs {
        let ids: Vec<i64> = (org.person_base..org.person_base + org.patients).collect();
        let phones: Vec<String> = ids
            .iter()
            .map(|id| sha256_hex(&phone_for(*id, &org.region)))
            .collect();
        let emails: Vec<Option<String>> = ids
            .iter()
            .map(|id| email_for(*id).map(|e| sha256_hex(&e)))
            .collect();
        // Half the people have a platform login (registry `user_id`).
        sqlx::query(
            "INSERT INTO patient_person_registry (patient_person_id, user_id, phone_hash, email_hash,
                                                  home_shard_id)
             SELECT id, CASE WHEN id % 2 = 0 THEN id + 6000000 END, ph, em, $4
               FROM unnest($1::int8[], $2::text[], $3::text[]) AS t(id, ph, em)",
        )
        .bind(&ids)
        .bind(&phones)
        .bind(&emails)
        .bind(&org.shard_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A fleet seeded before the demo's phones became libphonenumber-possible numbers (and before
/// families and logins) gets its registry rows rewritten, so `/patients` finds what docs/demo-fleet.md says.
async fn refresh_registry_if_stale(routing: &PgPool, plan: &Plan) -> Result<()> {
    let Some(first) = plan.orgs.first() else {
        return Ok(());
    };
    let expected = sha256_hex(&phone_for(first.person_base, &first.region));
    let current: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM patient_person_registry
                         WHERE patient_person_id = $1 AND phone_hash = $2)",
    )
    .bind(first.person_base)
    .bind(&expected)
    .fetch_one(routing)
    .await?;
    if current {
        return Ok(());
    }
    tracing::info!("registry seeded with an older phone scheme: rewriting the plan's rows");
    let ids: Vec<i64> = plan
        .orgs
        .iter()
        .flat_map(|o| o.person_base..o.person_base + o.patients)
        .collect();
    let mut tx = routing.begin().await?;
    sqlx::query("DELETE FROM patient_person_registry WHERE patient_person_id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    insert_registry(&mut tx, plan).await?;
    tx.commit().await?;
    Ok(())
}
