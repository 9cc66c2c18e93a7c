//! The demo fleet's heartbeat: telemetry every few seconds, a light write load on every primary
//! (so replication lag is real and changes), and app-like connections holding the pools busy.
//! One session on the second shard sits idle in a transaction, as a forgetful worker would. A tick
//! that fails on one shard is logged and the rest carry on.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::demo::fleet::Fleet;
use crate::demo::seed::{
    self, HttpRequest, PoolCounters, Rng, busy_shard, insert_rows, plan, requests, slow_queries,
};
use crate::error::Result;

const TICK: Duration = Duration::from_secs(2);
const POOL_SAMPLE_EVERY: Duration = Duration::from_secs(15);
const CACHE_REFRESH_EVERY: Duration = Duration::from_secs(60);
/// The simulator's own audit rows are deleted once this old, every [`CACHE_REFRESH_EVERY`]: its
/// writes (about 2 MB a minute on a shared shard) would otherwise grow every shard past its
/// allocation within the hour, and the demo's one shard above 80 % would stop being the only one.
/// Autovacuum makes the space reusable, so sizes level off a few minutes in.
const KEEP_SIMULATED_AUDIT: &str = "5 minutes";
/// What marks an audit row as the simulator's (`user_agent`), so pruning leaves the seed's alone.
const SIMULATOR_AGENT: &str = "shardscope-demo-simulator";

struct ShardLoad {
    id: String,
    admin: PgPool,
    app: PgPool,
}

/// Run until `stop` resolves.
pub async fn run(fleet: &Fleet, stop: impl std::future::Future<Output = ()>) -> Result<()> {
    let plan = plan(&fleet.shards, seed::SEED);
    let busy = busy_shard(&plan);
    let client = seed::telemetry_client(fleet).await?;
    let mut shards = Vec::new();
    for s in &fleet.shards {
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy(&fleet.admin_url(s.primary_port, &fleet.shard_database))?;
        let app_opts: PgConnectOptions = fleet.platform_url(s.primary_port).parse()?;
        let app = PgPoolOptions::new()
            .max_connections(if busy.as_deref() == Some(s.id.as_str()) {
                24
            } else {
                8
            })
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(app_opts.application_name("core-api"));
        shards.push(ShardLoad {
            id: s.id.clone(),
            admin,
            app,
        });
    }
    let idle = fleet
        .shards
        .get(1)
        .map(|s| tokio::spawn(hold_idle_transaction(fleet.platform_url(s.primary_port))));
    let _stop_idle = AbortOnDrop(idle);
    let mut rng = Rng::new(seed::SEED ^ crate::clock::now_ms());
    let mut counters = PoolCounters::default();
    let mut last_pool = Instant::now() - POOL_SAMPLE_EVERY;
    let mut last_cache = Instant::now();
    let mut ticks: u64 = 0;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(TICK) => {}
        }
        ticks += 1;
        let now = (crate::clock::now_ms() / 1000) as u32;
        let reqs: Vec<HttpRequest> = requests(&mut rng, &plan, busy.as_deref(), now - 2, 2);
        if let Err(e) = insert_rows(&client, "http_requests", &reqs).await {
            tracing::warn!(error = %e, "telemetry insert failed");
        }
        let slow = slow_queries(&mut rng, &plan, busy.as_deref(), now - 2, 2);
        if let Err(e) = insert_rows(&client, "slow_queries", &slow).await {
            tracing::warn!(error = %e, "slow query insert failed");
        }
        if last_pool.elapsed() >= POOL_SAMPLE_EVERY {
            last_pool = Instant::now();
            let mut rows = Vec::new();
            for s in &shards {
                rows.extend(counters.sample(
                    &mut rng,
                    &s.id,
                    busy.as_deref() == Some(s.id.as_str()),
                    now,
                ));
            }
            if let Err(e) = insert_rows(&client, "pool_stats", &rows).await {
                tracing::warn!(error = %e, "pool stats insert failed");
            }
        }
        if last_cache.elapsed() >= CACHE_REFRESH_EVERY {
            last_cache = Instant::now();
            if let Err(e) = refresh_routing_cache(fleet, &plan).await {
                tracing::warn!(error = %e, "routing cache refresh failed");
            }
            for s in &shards {
                let (admin, id) = (s.admin.clone(), s.id.clone());
                tokio::spawn(async move {
                    if let Err(e) = prune_simulated_audit(&admin).await {
                        tracing::debug!(shard = %id, error = %e, "audit prune skipped");
                    }
                });
            }
        }
        for s in &shards {
            let is_busy = busy.as_deref() == Some(s.id.as_str());
            // A burst every ~20 s makes byte lag visible; otherwise a trickle of audit rows.
            let rows = if ticks % 10 == (s.id.len() as u64 % 10) {
                3000
            } else {
                rng.range(5, 40) as i64
            };
            let admin = s.admin.clone();
            let id = s.id.clone();
            tokio::spawn(async move {
                if let Err(e) = write_load(&admin, rows).await {
                    tracing::debug!(shard = %id, error = %e, "write load skipped");
                }
            });
            let holders = if is_busy {
                rng.range(4, 16)
            } else {
                rng.range(0, 4)
            };
            for _ in 0..holders {
                let app = s.app.clone();
                let secs = 0.2 + rng.unit() * 2.5;
                tokio::spawn(async move {
                    let _ = sqlx::query("SELECT pg_sleep($1)")
                        .bind(secs)
                        .execute(&app)
                        .await;
                });
            }
        }
    }
}

/// What the platform's router keeps in Redis, kept there: the demo's drifted entries first (when
/// the drifts are applied and Redis lost them), then every org's entry where it is missing.
pub async fn refresh_routing_cache(fleet: &Fleet, plan: &seed::Plan) -> Result<()> {
    seed::drifts::reassert_cache_drifts(fleet, "shard:").await?;
    seed::warm_routing_cache(fleet, plan).await
}

/// Aborts the task it holds when the simulator returns.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}

/// A session that opens a transaction and then does nothing (reconnecting if it is ended), so the
/// shard page has a connection idle in transaction to count.
async fn hold_idle_transaction(url: String) {
    use sqlx::Connection;
    loop {
        let opts: std::result::Result<PgConnectOptions, _> = url.parse();
        let session = async {
            let opts = opts.map_err(|e: sqlx::Error| e)?;
            let mut conn =
                sqlx::PgConnection::connect_with(&opts.application_name("billing-worker")).await?;
            sqlx::query("BEGIN").execute(&mut conn).await?;
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            // Idle in transaction until the server ends it; a cheap check every minute.
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                conn.ping().await?;
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        if let Err(e) = session.await {
            tracing::debug!(error = %e, "idle-in-transaction session ended; opening another");
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Delete the simulator's audit rows older than [`KEEP_SIMULATED_AUDIT`].
#[tracing::instrument(skip_all, err)]
async fn prune_simulated_audit(admin: &PgPool) -> Result<()> {
    sqlx::query(
        "DELETE FROM audit_log WHERE user_agent = $1 AND created_at < now() - $2::interval",
    )
    .bind(SIMULATOR_AGENT)
    .bind(KEEP_SIMULATED_AUDIT)
    .execute(admin)
    .await?;
    Ok(())
}

/// Audit rows and appointment status changes, as the platform's writes would produce.
async fn write_load(admin: &PgPool, rows: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (organization_id, user_id, action, entity_type, entity_id, status_code, request_path,
                                user_agent)
         SELECT (SELECT id FROM organizations ORDER BY random() LIMIT 1), 1 + g % 40, 'view', 'patient', g, 200,
                '/v1/patients/' || g, $2
           FROM generate_series(1, $1::int) g",
    )
    .bind(rows as i32)
    .bind(SIMULATOR_AGENT)
    .execute(admin)
    .await?;
    sqlx::query(
        "UPDATE appointments SET status = (ARRAY['scheduled','completed','cancelled'])[1 + (random() * 2)::int]
          WHERE id IN (SELECT id FROM appointments ORDER BY random() LIMIT 5)",
    )
    .execute(admin)
    .await?;
    Ok(())
}
