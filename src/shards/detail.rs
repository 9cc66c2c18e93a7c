//! `/shards/{shard_id}`: one shard's primary and every replica, each under its own deadline —
//! connections by state, size against its allocation, replication from both sides, audit-log
//! partitions and the orgs it holds. One read per shard per cache TTL however many view it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::known::KnownShard;
use super::node::{self, NodeFacts};
use super::partitions::{self, Partitions};
use super::replication::{self, Lag, PrimarySide, ReplicaFlag, ReplicaSide, Sender};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::{Failure, FailureKind, Outcome, timed};
use crate::federation::pools::{ShardPools, with_reconnect};
use crate::federation::shard_list::ShardInfo;
use crate::history::series::History;
use crate::partial::{Partial, Visible};
use crate::tenants::Sources;
use crate::time_range::TimeRange;

/// What the primary answered: itself, its replication side, its size and its partitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrimaryReport {
    pub facts: NodeFacts,
    pub replication: PrimarySide,
    pub db_bytes: i64,
    pub partitions: Partitions,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaAnswer {
    pub facts: NodeFacts,
    pub side: ReplicaSide,
    /// None for a server not in recovery (no lag is shown for a primary).
    pub lag: Option<Lag>,
    /// Set when it does not stream from this shard's primary (or the primary could not say).
    pub flag: Option<ReplicaFlag>,
    /// The primary's sender serving it, as the primary reports it.
    pub sender: Option<Sender>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaReport {
    /// host:port/db, never with credentials.
    pub endpoint: String,
    pub outcome: Outcome<ReplicaAnswer>,
}

/// The database's size against what the operator allocated (`console.shard_allocations`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    pub allocated_bytes: Option<i64>,
}

impl Allocation {
    pub fn share(&self, db_bytes: i64) -> Option<f64> {
        self.allocated_bytes
            .filter(|a| *a > 0)
            .map(|a| db_bytes as f64 / a as f64)
    }

    /// The size against the configured share of the allocation (`crate::thresholds`).
    pub fn judgement(&self, db_bytes: i64) -> crate::thresholds::Judgement {
        crate::thresholds::current().allocation(self.share(db_bytes).map(|s| s * 100.0))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardPage {
    pub shard: KnownShard,
    pub primary_endpoint: Option<String>,
    pub primary: Outcome<PrimaryReport>,
    pub replicas: Vec<ReplicaReport>,
    /// Senders on the primary that no listed replica claims (a standby streams but is not listed).
    pub unlisted_senders: Vec<Sender>,
    pub allocation: Partial<Allocation>,
    /// The orgs routed here: (org id, name), or how many and which role may see their names.
    pub orgs: Partial<Visible<Vec<(i64, String)>>>,
    pub generated_at_ms: u64,
}

/// What `/shards/{shard_id}` shows: the live read and the history over the page's range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardView {
    pub live: ShardPage,
    pub history: History,
}

/// The live page and the history over `range`, read at the same time. ClickHouse down makes the
/// history unavailable, never the page.
pub async fn shard_view(
    console: &(impl Sources + crate::telemetry::Sources),
    shard_id: &str,
    range: TimeRange,
) -> Result<ShardView> {
    let (live, history) = tokio::join!(
        shard_page(console, shard_id),
        history_of(console, shard_id, range)
    );
    Ok(ShardView {
        live: (*live?).clone(),
        history,
    })
}

/// The shard's recorded history over `range` (the charts, table and CSV read this).
pub async fn history_of(
    console: &impl crate::telemetry::Sources,
    shard_id: &str,
    range: TimeRange,
) -> History {
    crate::history::series::read(console.telemetry(), shard_id, range).await
}

/// The page of one shard the routing DB knows; `NotFound` for any other id.
#[tracing::instrument(skip_all, fields(shard = %shard_id))]
pub async fn shard_page(console: &impl Sources, shard_id: &str) -> Result<Arc<ShardPage>> {
    let known = super::known_cached(console).await?;
    let Some(shard) = known.iter().find(|s| s.id == shard_id).cloned() else {
        return Err(Error::NotFound(format!(
            "no shard \"{shard_id}\" in the routing database: see /shards for every shard it knows"
        )));
    };
    let c = console.clone();
    console
        .memo()
        .shared(
            crate::coalesce::Key::new("shard-page", shard_id),
            move || async move { Ok(read_page(&c, shard).await) },
        )
        .await
        .map_err(Error::RoutingUnavailable)
}

async fn read_page(console: &impl Sources, shard: KnownShard) -> ShardPage {
    let info: Option<ShardInfo> = match console.shards().await {
        Ok(list) => list.iter().find(|s| s.id == shard.id).cloned(),
        Err(_) => None,
    };
    let pools = console.pools().clone();
    let deadline = console.config().engine.shard_deadline;
    let app = console.config().engine.application_name.clone();
    let primary_ep = info.as_ref().map(|i| i.primary.clone());
    let primary = {
        let (pools, app) = (pools.clone(), app.clone());
        let target = shard.id.clone();
        async move {
            match primary_ep {
                None => Outcome {
                    target,
                    latency_ms: 0,
                    measured_at_ms: now_ms(),
                    result: Err(Failure::new(
                        FailureKind::ShardUnknown,
                        "provisioned, no endpoint known: no org is routed to it in tenant_shards yet",
                    )),
                },
                Some(Err(why)) => Outcome {
                    target,
                    latency_ms: 0,
                    measured_at_ms: now_ms(),
                    result: Err(Failure::new(
                        FailureKind::ShardUnknown,
                        format!("unusable primary URL: {why}"),
                    )),
                },
                Some(Ok(ep)) => timed(target, deadline, read_primary(&pools, &ep, &app)).await,
            }
        }
    };
    let replicas_eps: Vec<Result<Endpoint, String>> = info
        .as_ref()
        .map(|i| i.replicas.clone())
        .unwrap_or_default();
    let replica_reads = futures::future::join_all(replicas_eps.iter().map(|ep| {
        let (pools, app) = (pools.clone(), app.clone());
        async move {
            let label = match ep {
                Ok(e) => e.to_string(),
                Err(_) => "(invalid URL)".to_string(),
            };
            let read = async {
                let ep = ep.as_ref().map_err(|why| {
                    Failure::new(
                        FailureKind::ShardUnknown,
                        format!("unusable replica URL: {why}"),
                    )
                })?;
                read_replica(&pools, ep, &app).await
            };
            (label.clone(), timed(label, deadline, read).await)
        }
    }));
    let allocation = allocation(console, &shard.id);
    let orgs = orgs(console, &shard.id);
    let (primary, replica_reads, allocation, orgs) =
        tokio::join!(primary, replica_reads, allocation, orgs);
    let (replicas, unlisted_senders) = judge_replicas(&primary, replica_reads);
    ShardPage {
        primary_endpoint: info
            .as_ref()
            .and_then(|i| i.primary.as_ref().ok())
            .map(|e| e.to_string()),
        shard,
        primary,
        replicas,
        unlisted_senders,
        allocation,
        orgs,
        generated_at_ms: now_ms(),
    }
}

/// Each replica's lag and flag from both sides, and the primary's senders no listed replica claims.
fn judge_replicas(
    primary: &Outcome<PrimaryReport>,
    reads: Vec<(String, Outcome<(NodeFacts, ReplicaSide)>)>,
) -> (Vec<ReplicaReport>, Vec<Sender>) {
    let p = primary.result.as_ref().ok();
    let mut claimed: Vec<Sender> = Vec::new();
    let replicas = reads
        .into_iter()
        .map(|(endpoint, o)| {
            let result = o.result.map(|(facts, side)| {
                let (flag, sender) = match p {
                    Some(p) => {
                        let flag = replication::flag(
                            &p.facts.system_id,
                            &p.replication,
                            &facts.system_id,
                            facts.in_recovery,
                            &side,
                        );
                        let sender = (flag.is_none())
                            .then(|| replication::sender_for(&p.replication, &side).cloned())
                            .flatten();
                        (flag, sender)
                    }
                    None => (None, None),
                };
                if let Some(s) = &sender {
                    claimed.push(s.clone());
                }
                let lag = facts.in_recovery.then(|| {
                    replication::lag(&side, p.map(|p| p.replication.current_lsn.as_str()))
                });
                ReplicaAnswer {
                    facts,
                    side,
                    lag,
                    flag,
                    sender,
                }
            });
            ReplicaReport {
                endpoint,
                outcome: Outcome {
                    target: o.target,
                    latency_ms: o.latency_ms,
                    measured_at_ms: o.measured_at_ms,
                    result,
                },
            }
        })
        .collect();
    let unlisted = p
        .map(|p| {
            p.replication
                .senders
                .iter()
                .filter(|s| !claimed.contains(s))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    (replicas, unlisted)
}

async fn read_primary(
    pools: &ShardPools,
    ep: &Endpoint,
    app: &str,
) -> std::result::Result<PrimaryReport, Failure> {
    let report = with_reconnect(pools, ep, |pool| {
        let app = app.to_string();
        async move {
            let facts = node::read(&pool, &app).await?;
            if facts.in_recovery {
                // A primary URL that answers in recovery: its replication side is a replica's.
                return Ok(None);
            }
            let replication = replication::read_primary(&pool).await?;
            let db_bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(&pool)
                .await?;
            let partitions = partitions::read(&pool).await?;
            Ok(Some(PrimaryReport {
                facts,
                replication,
                db_bytes,
                partitions,
            }))
        }
    })
    .await?;
    report.ok_or_else(|| {
        Failure::new(
            FailureKind::Query,
            "the primary URL answers in recovery: a replica (or a primary not yet promoted)",
        )
    })
}

async fn read_replica(
    pools: &ShardPools,
    ep: &Endpoint,
    app: &str,
) -> std::result::Result<(NodeFacts, ReplicaSide), Failure> {
    with_reconnect(pools, ep, |pool| {
        let app = app.to_string();
        async move {
            let facts = node::read(&pool, &app).await?;
            let side = replication::read_replica(&pool).await?;
            Ok((facts, side))
        }
    })
    .await
}

async fn allocation(console: &impl Sources, shard_id: &str) -> Partial<Allocation> {
    sqlx::query_scalar("SELECT allocated_bytes FROM console.shard_allocations WHERE shard_id = $1")
        .bind(shard_id)
        .fetch_optional(console.routing())
        .await
        .map(|allocated_bytes| Allocation { allocated_bytes })
        .map_err(|e| {
            let f = Failure::from_sqlx(&e);
            Failure::new(
                f.kind,
                format!("the allocation could not be read ({})", f.message),
            )
        })
}

async fn orgs(console: &impl Sources, shard_id: &str) -> Partial<Visible<Vec<(i64, String)>>> {
    let all = crate::tenants::directory_cached(console)
        .await
        .map_err(|e| e.failure())?;
    Ok(Visible::Shown(
        all.iter()
            .filter(|t| t.shard_id == shard_id)
            .map(|t| (t.org_id, t.name.clone()))
            .collect(),
    ))
}
