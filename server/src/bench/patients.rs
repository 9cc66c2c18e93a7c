//! `shardscope-server bench-patients [--rows N] [--lookups K]`: the cross-shard patient lookup
//! with N registry rows (default 1 000 000), printed. Target: a lookup answers in under 100 ms.
//!
//! In a routing database of its own (`bench_patients` on the fleet's routing cluster, dropped
//! first and at the end): the routing migrations, the demo accounts, the fleet's tenants (routed
//! straight to each shard's primary, past any delay proxy: this measures the lookup, not an
//! artificial slow shard), the registry rows of every person the seeder put on the shards, and
//! synthetic rows up to N (hashes of phones and emails nobody else has, home shards spread).
//! Then, for K different people who have links on two shards:
//! - the registry query alone (by phone hash, index scan),
//! - `POST /patients` through the real router as the demo support account: registry → every
//!   shard's links under each org's RLS context → the name from the home shard → audit record,
//! - the superadmin's break-glass opening (full profile) the same way,
//!
//! median and 95th percentile of the whole response.

use std::time::Instant;

use axum::body::Body;
use http::Request;
use leptos::prelude::LeptosOptions;
use shardscope::demo::fleet::Fleet;
use shardscope::demo::seed::{self, phone_for};
use shardscope::patients::{Identifier, Kind};
use tower::ServiceExt;

use super::measure::{BENCH_HOST, ms, on_scratch_db, pct, sign_in_as};
use crate::command_result::CliResult;
use crate::startup::build_router;
use crate::state::AppState;

const DB: &str = "bench_patients";
const TARGET_MS: f64 = 100.0;

pub async fn run(rows: i64, lookups: usize) -> CliResult {
    on_scratch_db(DB, "the patient lookup", |fleet| async move {
        bench(&fleet, rows, lookups).await
    })
    .await
}

async fn bench(fleet: &Fleet, rows: i64, lookups: usize) -> CliResult {
    let plan = seed::plan(&fleet.shards, seed::SEED);
    let db = shardscope::migrate::connect(&fleet.admin_url(fleet.routing_port, DB)).await?;
    shardscope::migrate::routing(&db).await?;
    seed::seed_demo_accounts(&db).await?;
    let loading = Instant::now();
    for org in &plan.orgs {
        let shard = fleet
            .shard(&org.shard_id)
            .ok_or_else(|| format!("the plan names shard {} the fleet lacks", org.shard_id))?;
        sqlx::query(
            "INSERT INTO tenant_shards (organization_id, shard_type, shard_id, database_primary_url,
                 sla_tier, billing_tier, region)
             VALUES ($1, $2, $3, $4, 'standard', 'shared-99', $5)",
        )
        .bind(org.id)
        .bind(&org.shard_type)
        .bind(&org.shard_id)
        .bind(fleet.platform_url(shard.primary_port))
        .bind(&org.region)
        .execute(&db)
        .await?;
        sqlx::query(
            "INSERT INTO organization_summary (organization_id, shard_id, name, patients)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(org.id)
        .bind(&org.shard_id)
        .bind(&org.name)
        .bind(org.patients)
        .execute(&db)
        .await?;
    }
    let mut tx = db.begin().await?;
    seed::insert_registry(&mut tx, &plan).await?;
    tx.commit().await?;
    let real: i64 = sqlx::query_scalar("SELECT count(*) FROM patient_person_registry")
        .fetch_one(&db)
        .await?;
    let shards: Vec<String> = fleet.shards.iter().map(|s| s.id.clone()).collect();
    // Synthetic people (+1 666 … phones, which no demo person has) up to `rows`.
    sqlx::query(
        "INSERT INTO patient_person_registry (patient_person_id, user_id, phone_hash, email_hash,
                                              home_shard_id)
         SELECT 100000000 + g, CASE WHEN g % 2 = 0 THEN 200000000 + g END,
                encode(sha256(convert_to('+1666' || lpad(g::text, 7, '0'), 'UTF8')), 'hex'),
                CASE WHEN g % 3 = 0
                     THEN encode(sha256(convert_to('bench' || g || '@example.test', 'UTF8')), 'hex')
                END,
                ($2::text[])[1 + g % array_length($2::text[], 1)]
           FROM generate_series(1, $1::int8) g",
    )
    .bind((rows - real).max(0))
    .bind(&shards)
    .execute(&db)
    .await?;
    sqlx::query("ANALYZE").execute(&db).await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM patient_person_registry")
        .fetch_one(&db)
        .await?;
    println!(
        "patient lookup with {total} registry rows ({real} people on the shards, the rest synthetic; loaded in {:.1} s; target: a lookup answers in < {TARGET_MS} ms)",
        loading.elapsed().as_secs_f64()
    );

    // K different people linked on two shards, typed as a person would say their phone.
    let people: Vec<(i64, String, &'static str)> = plan
        .cross_links
        .iter()
        .filter(|(_, p)| p % 97 != 0 && (p + 1) % 97 != 0)
        .filter_map(|(_, p)| {
            let home = plan.home_of(*p)?;
            let region = if home.region.starts_with("eu") {
                "GB"
            } else {
                "US"
            };
            Some((*p, seed::spoken_phone(&phone_for(*p, &home.region)), region))
        })
        .take(lookups)
        .collect();
    if people.len() < 2 {
        return Err("the plan has too few cross-shard people to measure".into());
    }

    let mut config = shardscope::Config::from_env()?;
    let mut url = url::Url::parse(config.routing_url.expose())?;
    url.set_path(DB);
    config.routing_url = shardscope::secret::Secret::new(url.to_string());
    config.auth.trust_forwarded_for = true;
    config.engine.cache_namespace = format!("bench-patients-{}", std::process::id());
    config.patients.lookups_max = 100_000;
    let console = shardscope::Console::new(config.clone())?;
    // Its history writer, as a serving console runs it.
    let _tasks = shardscope::tasks::start_history(&console);

    let mut registry = Vec::new();
    for (_, typed, region) in &people {
        let id = Identifier::parse(typed, Kind::PhoneOrEmail, region)?;
        let t = Instant::now();
        let found = shardscope::patients::registry::find(console.routing(), &id).await?;
        registry.push(ms(t.elapsed()));
        if found.is_empty() {
            return Err(format!("{} lookup is not in the registry: no figure", id.kind()).into());
        }
    }
    println!(
        "  registry query by phone hash              median {:6.2} ms  p95 {:6.2} ms",
        pct(&mut registry, 50),
        pct(&mut registry, 95)
    );

    let router = build_router(AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("shardscope")
            .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
            .build(),
        console,
    });
    let mut worst: f64 = 0.0;
    for (label, account, open) in [
        (
            "POST /patients lookup (support)         ",
            "support@shardscope.test",
            false,
        ),
        (
            "POST /patients full profile (superadmin)",
            "superadmin@shardscope.test",
            true,
        ),
    ] {
        let cookie = sign_in_as(router.clone(), account).await?;
        let mut times = Vec::new();
        for (i, (person, typed, region)) in people.iter().enumerate() {
            let form = if open {
                format!("op=open&person={person}&reason=BENCH-0001+lookup+benchmark")
            } else {
                format!(
                    "op=lookup&region={region}&q={}",
                    shardscope_app::format::query_value(typed)
                )
            };
            let t = Instant::now();
            let resp = router
                .clone()
                .oneshot(
                    Request::post("/patients")
                        .header("host", BENCH_HOST)
                        .header("origin", format!("http://{BENCH_HOST}"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("x-forwarded-for", "127.0.0.1")
                        .header("cookie", cookie.as_str())
                        .body(Body::from(form))?,
                )
                .await?;
            let status = resp.status();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await?
                .to_bytes();
            let html = String::from_utf8_lossy(&body);
            let listed = html.contains(&format!("data-person=\"{person}\""));
            if status != http::StatusCode::OK || !listed || html.contains("data-unknown-shard") {
                return Err(format!(
                    "{label}: person {person} answered {status} (listed: {listed}, every shard answered: {}): no figure",
                    !html.contains("data-unknown-shard")
                )
                .into());
            }
            if i > 0 {
                times.push(ms(t.elapsed()));
            }
        }
        let p95 = pct(&mut times, 95);
        worst = worst.max(p95);
        println!(
            "  {label}  median {:6.2} ms  p95 {:6.2} ms  ({} people, {} shards each)",
            pct(&mut times, 50),
            p95,
            times.len(),
            shards.len()
        );
    }
    println!(
        "  target {}: p95 {worst:.2} ms vs {TARGET_MS} ms",
        if worst < TARGET_MS { "met" } else { "NOT met" }
    );
    Ok(())
}
