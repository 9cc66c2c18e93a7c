//! Telemetry the platform's services would have exported: request logs, pool stats, slow queries.
//! Used for the 24 h back-fill and, a tick at a time, by the simulator.

use super::plan::{OrgPlan, Plan};
use super::rng::Rng;
use crate::clickhouse_db;
use crate::demo::fleet::Fleet;
use crate::error::Result;

pub use crate::telemetry::rows::{HttpRequest, PoolStat, SlowQuery};

const ROUTES: [(&str, &str); 6] = [
    ("GET", "/v1/patients/:id"),
    ("GET", "/v1/appointments"),
    ("POST", "/v1/appointments"),
    ("GET", "/v1/forms/:id"),
    ("PATCH", "/v1/patients/:id"),
    ("GET", "/v1/treatment-plans"),
];
/// Slow statements as the services' tracer logs them: with the values inlined (the page groups
/// them by text with values stripped). `{org}` is the org id; no patient data ever appears.
const SLOW_SQL: [&str; 4] = [
    "SELECT a.* FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.organization_id = {org} ORDER BY a.starts_at LIMIT 50",
    "SELECT count(*) FROM audit_log WHERE organization_id = {org} AND created_at > '2026-11-01'",
    "UPDATE appointments SET status = 'cancelled' WHERE organization_id = {org} AND starts_at < now()",
    "SELECT * FROM forms WHERE organization_id = {org} AND status = 'draft' ORDER BY updated_at DESC LIMIT 100",
];

/// The service instances exporting pool stats for every shard.
pub const INSTANCES: [(&str, &str, u32); 4] = [
    ("core-api", "core-api-1", 20),
    ("core-api", "core-api-2", 20),
    ("core-api", "core-api-3", 20),
    ("telemetry-api", "telemetry-api-1", 15),
];

/// One more instance on the busy shard (the platform scaled core-api out there): its pools no
/// longer fit the shard's max_connections, which the connection math on /pools shows in red.
pub const BUSY_EXTRA_INSTANCE: (&str, &str, u32) = ("core-api", "core-api-4", 20);

/// The shard the simulator makes busy: the most loaded shared shard.
pub fn busy_shard(plan: &Plan) -> Option<String> {
    let mut by_shard: std::collections::BTreeMap<&str, i64> = Default::default();
    for o in plan.orgs.iter().filter(|o| o.shard_type == "shared") {
        *by_shard.entry(o.shard_id.as_str()).or_default() += o.patients;
    }
    by_shard
        .into_iter()
        .max_by_key(|(_, p)| *p)
        .map(|(s, _)| s.to_string())
}

/// The demo's noisy neighbour: the smallest org on the busy shard, which sends far more requests
/// and slow queries than its size explains (so `/placement` has one to show).
pub fn noisy_org(plan: &Plan) -> Option<i64> {
    let busy = busy_shard(plan)?;
    plan.orgs
        .iter()
        .filter(|o| o.shard_id == busy)
        .min_by_key(|o| (o.patients, o.id))
        .map(|o| o.id)
}

/// How many times its size's share of load the noisy neighbour sends.
const NOISY_FACTOR: f64 = 12.0;

/// Request log rows for `seconds` seconds starting at `ts`, across all orgs of the plan.
pub fn requests(
    rng: &mut Rng,
    plan: &Plan,
    busy: Option<&str>,
    ts: u32,
    seconds: u32,
) -> Vec<HttpRequest> {
    let mut out = Vec::new();
    let noisy = noisy_org(plan);
    for org in &plan.orgs {
        // Busier orgs send more requests: ~1 per 2000 patients per second, sampled.
        let mut rate = (org.patients as f64 / 2000.0).max(0.2) * seconds as f64 / 60.0;
        if noisy == Some(org.id) {
            rate *= NOISY_FACTOR;
        }
        let n = rate.floor() as u32 + u32::from(rng.chance(rate.fract()));
        for _ in 0..n {
            let at = ts + rng.range(0, seconds as u64) as u32;
            out.push(request(rng, org, busy == Some(org.shard_id.as_str()), at));
        }
    }
    out
}

fn request(rng: &mut Rng, org: &OrgPlan, busy: bool, ts: u32) -> HttpRequest {
    let (method, route) = ROUTES[rng.range(0, ROUTES.len() as u64) as usize];
    let base = if busy { 60.0 } else { 25.0 };
    // Long tail: most requests fast, a few slow (pool waits on the busy shard).
    let mut duration = base * rng.log_uniform(0.3, 8.0);
    if busy && rng.chance(0.02) {
        duration += rng.range(400, 1500) as f64;
    }
    let error_rate = if busy { 0.012 } else { 0.002 };
    let status = if rng.chance(error_rate) {
        [500u16, 502, 503][rng.range(0, 3) as usize]
    } else if rng.chance(0.03) {
        404
    } else if method == "POST" {
        201
    } else {
        200
    };
    let instance = INSTANCES[rng.range(0, 3) as usize].1;
    HttpRequest {
        ts,
        org_id: org.id as u64,
        shard_id: org.shard_id.clone(),
        service: "core-api".into(),
        instance: instance.into(),
        method: method.into(),
        route: route.into(),
        status,
        duration_ms: (duration * 100.0).round() / 100.0,
        request_id: format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
    }
}

/// Cumulative pool counters per (shard, instance), advanced one sample at a time.
#[derive(Clone, Debug, Default)]
pub struct PoolCounters {
    pub state: std::collections::BTreeMap<(String, String), (u64, u64)>,
}

impl PoolCounters {
    pub fn sample(&mut self, rng: &mut Rng, shard: &str, busy: bool, ts: u32) -> Vec<PoolStat> {
        let extra = busy.then_some(&BUSY_EXTRA_INSTANCE);
        INSTANCES
            .iter()
            .chain(extra)
            .map(|(service, instance, max)| {
                let entry = self
                    .state
                    .entry((shard.to_string(), instance.to_string()))
                    .or_default();
                let acquired = if busy {
                    rng.range(12, *max as u64 + 1)
                } else {
                    rng.range(1, 8)
                } as u32;
                let total = (acquired + rng.range(0, 4) as u32).min(*max);
                // The busy shard's pools saturate now and then: waits happen.
                if busy && acquired >= max - 2 && rng.chance(0.6) {
                    let waits = rng.range(1, 6);
                    entry.0 += waits;
                    entry.1 += waits * rng.range(20, 300);
                }
                PoolStat {
                    ts,
                    service: service.to_string(),
                    instance: instance.to_string(),
                    shard_id: shard.to_string(),
                    total_conns: total,
                    acquired_conns: acquired.min(total),
                    idle_conns: total - acquired.min(total),
                    max_conns: *max,
                    wait_count: entry.0,
                    wait_duration_ms: entry.1,
                }
            })
            .collect()
    }
}

pub fn slow_queries(
    rng: &mut Rng,
    plan: &Plan,
    busy: Option<&str>,
    ts: u32,
    seconds: u32,
) -> Vec<SlowQuery> {
    let mut out = Vec::new();
    let noisy = noisy_org(plan);
    for org in plan
        .orgs
        .iter()
        .filter(|o| busy == Some(o.shard_id.as_str()))
    {
        let factor = if noisy == Some(org.id) {
            NOISY_FACTOR
        } else {
            1.0
        };
        if rng.chance((seconds as f64 / 3600.0 * 2.0 * factor).min(1.0)) {
            out.push(SlowQuery {
                ts: ts + rng.range(0, seconds as u64) as u32,
                shard_id: org.shard_id.clone(),
                org_id: org.id as u64,
                service: "core-api".into(),
                request_id: format!("{:016x}", rng.next_u64()),
                duration_ms: rng.range(500, 4000) as f64,
                query: SLOW_SQL[rng.range(0, SLOW_SQL.len() as u64) as usize]
                    .replace("{org}", &org.id.to_string())
                    .chars()
                    .take(200)
                    .collect(),
            });
        }
    }
    out
}

/// Write rows to a table, in one insert.
pub async fn insert_rows<T>(client: &clickhouse::Client, table: &str, rows: &[T]) -> Result<()>
where
    T: clickhouse::RowOwned + clickhouse::RowWrite,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client.insert::<T>(table).await?;
    for row in rows {
        insert.write(row).await?;
    }
    insert.end().await?;
    Ok(())
}

pub async fn telemetry_client(fleet: &Fleet) -> Result<clickhouse::Client> {
    let server = clickhouse_db::client(&fleet.clickhouse_url, "default", "");
    crate::migrate::clickhouse(&server, &fleet.clickhouse_database).await?;
    clickhouse_db::connect(
        &fleet.clickhouse_url,
        "default",
        "",
        &fleet.clickhouse_database,
    )
    .await
}

/// 24 hours of history, written only into an empty `http_requests`.
#[tracing::instrument(skip_all, err)]
pub async fn backfill_telemetry(fleet: &Fleet, plan: &Plan, seed: u64) -> Result<()> {
    let client = telemetry_client(fleet).await?;
    let existing: u64 = client
        .query("SELECT count() FROM http_requests")
        .fetch_one()
        .await?;
    if existing > 0 {
        tracing::info!(rows = existing, "telemetry already back-filled");
        return Ok(());
    }
    let mut rng = Rng::new(seed ^ 0x7E1E);
    let busy = busy_shard(plan);
    let now = (crate::clock::now_ms() / 1000) as u32;
    let start = now - 24 * 3600;
    let mut counters = PoolCounters::default();
    for hour in 0..24u32 {
        let t0 = start + hour * 3600;
        if hour == 12
            && let Some(b) = &busy
        {
            // A deploy restarted core-api-2 on the busy shard: its counters start again from 0
            // (the page counts from the restart instead of showing a negative rate).
            counters
                .state
                .insert((b.clone(), "core-api-2".to_string()), (0, 0));
        }
        let mut reqs = Vec::new();
        let mut slow = Vec::new();
        let mut pool = Vec::new();
        for minute in 0..60u32 {
            let ts = t0 + minute * 60;
            reqs.extend(requests(&mut rng, plan, busy.as_deref(), ts, 60));
            slow.extend(slow_queries(&mut rng, plan, busy.as_deref(), ts, 60));
            for quarter in 0..4 {
                for shard in &fleet.shards {
                    let b = busy.as_deref() == Some(shard.id.as_str());
                    pool.extend(counters.sample(&mut rng, &shard.id, b, ts + quarter * 15));
                }
            }
        }
        insert_rows(&client, "http_requests", &reqs).await?;
        insert_rows(&client, "slow_queries", &slow).await?;
        insert_rows(&client, "pool_stats", &pool).await?;
    }
    Ok(())
}

/// The platform's routing cache: `shard:{org_id}` -> shard id, TTL 5 minutes.
#[tracing::instrument(skip_all, err)]
pub async fn warm_routing_cache(fleet: &Fleet, plan: &Plan) -> Result<()> {
    let client = redis::Client::open(fleet.redis_url.as_str())?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let mut pipe = redis::pipe();
    for org in &plan.orgs {
        // NX: like the platform's router, which writes an entry on a miss only (an entry the
        // demo's drifts made stale stays until it expires).
        pipe.cmd("SET")
            .arg(format!("shard:{}", org.id))
            .arg(&org.shard_id)
            .arg("EX")
            .arg(300)
            .arg("NX")
            .ignore();
    }
    let _: () = pipe.query_async(&mut con).await?;
    Ok(())
}
