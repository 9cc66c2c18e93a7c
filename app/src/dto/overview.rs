//! The overview: shard headers, rows, the fleet summary.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewDto {
    pub generated_at_ms: u64,
    pub answered: usize,
    pub total: usize,
    pub shards: Vec<ShardRowDto>,
    pub balance_ratio: Option<f64>,
    pub imbalanced: bool,
}

/// What the routing DB says about a shard: known before any shard is probed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardHeaderDto {
    pub id: String,
    pub shard_type: String,
    pub region: Option<String>,
}

/// The fleet-wide part of the overview: answered count, who failed and why, balance and chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryDto {
    pub generated_at_ms: u64,
    pub answered: usize,
    pub total: usize,
    /// (shard id, reason) of every shard that did not answer.
    pub failed: Vec<(String, String)>,
    pub balance_ratio: Option<f64>,
    pub imbalanced: bool,
    /// Shard ids in display order for each `?sort=` key, so the server can place every row once
    /// all have arrived (the page needs no JavaScript to be sorted).
    pub orders: Vec<(String, Vec<String>)>,
}

impl SummaryDto {
    /// Shard ids in display order for a sort key (empty when unknown).
    pub fn order(&self, key: &str) -> &[String] {
        self.orders
            .iter()
            .find(|(k, _)| k == key)
            .map_or(&[], |(_, ids)| ids.as_slice())
    }
}

impl OverviewDto {
    pub fn summary(&self) -> SummaryDto {
        SummaryDto {
            generated_at_ms: self.generated_at_ms,
            answered: self.answered,
            total: self.total,
            failed: self
                .shards
                .iter()
                .filter_map(|s| {
                    s.status.as_ref().err().map(|f| {
                        let why = match &s.last_good {
                            Some(lg) => format!(
                                "not answering now ({}); showing values from {} s ago",
                                f.message,
                                lg.age_ms / 1000
                            ),
                            None => f.message.clone(),
                        };
                        (s.id.clone(), why)
                    })
                })
                .collect(),
            balance_ratio: self.balance_ratio,
            imbalanced: self.imbalanced,
            orders: crate::pages::overview::SortKey::ALL
                .into_iter()
                .map(|key| {
                    let mut rows = self.shards.clone();
                    crate::pages::overview::sort_rows(&mut rows, key);
                    (
                        key.param().to_string(),
                        rows.into_iter().map(|r| r.id).collect(),
                    )
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRowDto {
    pub id: String,
    pub shard_type: String,
    pub region: Option<String>,
    pub routed_orgs: i64,
    pub primary: String,
    pub latency_ms: u64,
    /// Unix ms at which `status` was measured.
    pub measured_at_ms: u64,
    /// How old that measurement was when the page was built (non-zero when served from the cache).
    pub age_ms: u64,
    pub status: Result<ShardStatsDto, FailureDto>,
    /// When the shard failed now but answered before: that answer and when it was measured.
    pub last_good: Option<LastGoodDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastGoodDto {
    pub measured_at_ms: u64,
    /// Its age when the page was built.
    pub age_ms: u64,
    pub stats: ShardStatsDto,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardStatsDto {
    pub orgs: i64,
    pub patients: i64,
    pub db_bytes: i64,
    pub conns_active: i64,
    pub conns_total: i64,
    pub max_connections: i64,
    pub streaming_replicas: i64,
    pub replicas: Vec<ReplicaDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaDto {
    pub endpoint: String,
    pub status: Result<ReplicaLagDto, FailureDto>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaLagDto {
    /// None: behind, but the replica never replayed a transaction, so the age is unknown (not 0).
    pub seconds: Option<f64>,
    pub bytes: u64,
    pub paused: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureDto {
    /// Machine-readable kind: timeout, refused, auth, query, shard_unknown, other.
    pub kind: String,
    /// Human-readable, safe to show.
    pub message: String,
}

impl ShardRowDto {
    pub fn stats(&self) -> Option<&ShardStatsDto> {
        self.status.as_ref().ok()
    }
}

#[cfg(feature = "ssr")]
mod from_backend {
    use super::*;
    use shardscope::federation::fanout::Failure;
    use shardscope::overview::probe::{ReplicaStatus, ShardStats};
    use shardscope::overview::{FleetOverview, ShardRow};
    use shardscope::routing::ShardInfo;

    impl From<&ShardInfo> for ShardHeaderDto {
        fn from(s: &ShardInfo) -> Self {
            ShardHeaderDto {
                id: s.id.clone(),
                shard_type: s.shard_type.clone(),
                region: s.region.clone(),
            }
        }
    }

    impl From<&Failure> for FailureDto {
        fn from(f: &Failure) -> Self {
            FailureDto {
                kind: f.kind.code().to_string(),
                message: f.to_string(),
            }
        }
    }

    impl From<&ReplicaStatus> for ReplicaDto {
        fn from(r: &ReplicaStatus) -> Self {
            ReplicaDto {
                endpoint: r.endpoint.clone(),
                status: match &r.result {
                    Ok(l) => Ok(ReplicaLagDto {
                        seconds: l.seconds.seconds(),
                        bytes: l.bytes,
                        paused: l.replay_paused,
                    }),
                    Err(f) => Err(f.into()),
                },
            }
        }
    }

    impl From<&ShardStats> for ShardStatsDto {
        fn from(s: &ShardStats) -> Self {
            ShardStatsDto {
                orgs: s.orgs,
                patients: s.patients,
                db_bytes: s.db_bytes,
                conns_active: s.conns_active,
                conns_total: s.conns_total,
                max_connections: s.max_connections,
                streaming_replicas: s.streaming_replicas,
                replicas: s.replicas.iter().map(Into::into).collect(),
            }
        }
    }

    impl From<&ShardRow> for ShardRowDto {
        fn from(r: &ShardRow) -> Self {
            let now = shardscope::federation::fanout::now_ms();
            ShardRowDto {
                id: r.id.clone(),
                shard_type: r.shard_type.clone(),
                region: r.region.clone(),
                routed_orgs: r.routed_orgs,
                primary: r.primary.clone(),
                latency_ms: r.outcome.latency_ms,
                measured_at_ms: r.outcome.measured_at_ms,
                age_ms: now.saturating_sub(r.outcome.measured_at_ms),
                status: match &r.outcome.result {
                    Ok(s) => Ok(s.into()),
                    Err(f) => Err(f.into()),
                },
                last_good: r.last_good.as_ref().and_then(|o| {
                    o.result.as_ref().ok().map(|s| LastGoodDto {
                        measured_at_ms: o.measured_at_ms,
                        age_ms: now.saturating_sub(o.measured_at_ms),
                        stats: s.into(),
                    })
                }),
            }
        }
    }

    impl From<FleetOverview> for OverviewDto {
        fn from(o: FleetOverview) -> Self {
            OverviewDto {
                generated_at_ms: o.generated_at_ms,
                answered: o.answered,
                total: o.total,
                shards: o.shards.iter().map(Into::into).collect(),
                balance_ratio: o.balance.ratio,
                imbalanced: o.balance.imbalanced,
            }
        }
    }
}
