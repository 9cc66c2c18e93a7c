//! The telemetry pages: `/pools`, `/telemetry`, `/telemetry/slow-queries`.

use serde::{Deserialize, Serialize};
pub use shardscope::telemetry::requests::RequestStats;

/// Every URL parameter the telemetry pages read (as typed; parsed and checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TelemetryQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub shard: Option<String>,
    pub service: Option<String>,
    pub instance: Option<String>,
    pub org: Option<String>,
    pub route: Option<String>,
    pub group: Option<String>,
    pub by: Option<String>,
    pub top: Option<String>,
}

pub const TELEMETRY_KEYS: [&str; 11] = [
    "range", "from", "to", "shard", "service", "instance", "org", "route", "group", "by", "top",
];

impl TelemetryQuery {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            range: get("range"),
            from: get("from"),
            to: get("to"),
            shard: get("shard"),
            service: get("service"),
            instance: get("instance"),
            org: get("org"),
            route: get("route"),
            group: get("group"),
            by: get("by"),
            top: get("top"),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "range" => self.range.clone(),
            "from" => self.from.clone(),
            "to" => self.to.clone(),
            "shard" => self.shard.clone(),
            "service" => self.service.clone(),
            "instance" => self.instance.clone(),
            "org" => self.org.clone(),
            "route" => self.route.clone(),
            "group" => self.group.clone(),
            "by" => self.by.clone(),
            "top" => self.top.clone(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// The non-empty parameters as a query string (no leading `?`), e.g. for CSV and chart links.
    pub fn query_string(&self) -> String {
        TELEMETRY_KEYS
            .iter()
            .filter_map(|k| {
                self.get(k)
                    .map(|v| format!("{k}={}", crate::format::query_value(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeDto {
    pub generated_at_ms: u64,
    /// `15m` … `7d`, or `None` for a custom range.
    pub preset: Option<String>,
    pub from_s: u32,
    pub to_s: u32,
    pub step_s: u32,
    /// Every shard of the routing DB (the shard filter's choices).
    pub shards: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointDto {
    pub key: String,
    pub bucket_s: u32,
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceDemandDto {
    pub service: String,
    pub instances: u32,
    pub pool_max: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionMathDto {
    pub shard_id: String,
    pub services: Vec<ServiceDemandDto>,
    pub reserve: u32,
    pub needed: u64,
    /// The shard's `max_connections`, or why it could not be read now.
    pub max_connections: Result<i64, String>,
    pub headroom: Option<i64>,
    pub headroom_percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolsPageDto {
    pub scope: ScopeDto,
    /// The backend's rows as they are.
    pub pools: Result<Vec<shardscope::telemetry::pools::PoolRow>, String>,
    pub series: Result<Vec<PointDto>, String>,
    pub connections: Result<Vec<ConnectionMathDto>, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupDto {
    pub key: String,
    pub stats: RequestStats,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketDto {
    pub key: String,
    pub bucket_s: u32,
    pub stats: RequestStats,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestsPageDto {
    pub scope: ScopeDto,
    pub group: String,
    pub by: String,
    pub top: u32,
    pub totals: Result<RequestStats, String>,
    pub groups: Result<Vec<GroupDto>, String>,
    pub series: Result<Vec<BucketDto>, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementDto {
    pub query: String,
    pub calls: i64,
    pub total_ms: f64,
    pub mean_ms: f64,
    pub rows: i64,
}

/// One shard's `pg_stat_statements`: its top statements, not installed, or no answer (why).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShardStatementsDto {
    Installed(Vec<StatementDto>),
    Missing,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlowPageDto {
    pub scope: ScopeDto,
    pub top: u32,
    /// The backend's rows as they are (statements normalized: no values).
    pub queries: Result<Vec<shardscope::telemetry::slow::SlowRow>, String>,
    pub statements: Vec<(String, ShardStatementsDto)>,
}

#[cfg(feature = "ssr")]
pub(crate) mod from_backend {
    use super::*;
    use shardscope::telemetry::pages::{PoolsPage, RequestsPage, Scope, SlowPage};
    use shardscope::telemetry::slow::ShardStatements;

    fn scope(s: &Scope) -> ScopeDto {
        ScopeDto {
            generated_at_ms: s.generated_at_ms,
            preset: s.range.preset.map(str::to_string),
            from_s: s.range.from,
            to_s: s.range.to,
            step_s: s.range.step,
            shards: s.shards.clone(),
        }
    }

    impl From<PoolsPage> for PoolsPageDto {
        fn from(p: PoolsPage) -> Self {
            Self {
                scope: scope(&p.scope),
                pools: p.pools.map_err(|e| e.0),
                series: p
                    .series
                    .map(|s| {
                        s.into_iter()
                            .map(|p| PointDto {
                                key: p.key,
                                bucket_s: p.bucket,
                                value: p.value,
                            })
                            .collect()
                    })
                    .map_err(|e| e.0),
                connections: p
                    .connections
                    .map(|c| {
                        c.into_iter()
                            .map(|m| ConnectionMathDto {
                                headroom: m.headroom(),
                                headroom_percent: m.headroom_percent(),
                                shard_id: m.shard_id,
                                services: m
                                    .services
                                    .into_iter()
                                    .map(|(service, instances, pool_max)| ServiceDemandDto {
                                        service,
                                        instances,
                                        pool_max,
                                    })
                                    .collect(),
                                reserve: m.reserve,
                                needed: m.needed,
                                max_connections: m.max_connections,
                            })
                            .collect()
                    })
                    .map_err(|e| e.0),
            }
        }
    }

    impl From<RequestsPage> for RequestsPageDto {
        fn from(p: RequestsPage) -> Self {
            Self {
                scope: scope(&p.scope),
                group: p.view.group.param().into(),
                by: p.view.by.param().into(),
                top: p.view.top,
                totals: p.totals.as_ref().cloned().map_err(|e| e.0.clone()),
                groups: p
                    .groups
                    .map(|g| {
                        g.iter()
                            .map(|g| GroupDto {
                                key: g.key.clone(),
                                stats: g.stats.clone(),
                            })
                            .collect()
                    })
                    .map_err(|e| e.0),
                series: p
                    .series
                    .map(|s| {
                        s.iter()
                            .map(|b| BucketDto {
                                key: b.key.clone(),
                                bucket_s: b.bucket,
                                stats: b.stats.clone(),
                            })
                            .collect()
                    })
                    .map_err(|e| e.0),
            }
        }
    }

    impl From<SlowPage> for SlowPageDto {
        fn from(p: SlowPage) -> Self {
            Self {
                scope: scope(&p.scope),
                top: p.top,
                queries: p.queries.map_err(|e| e.0),
                statements: p
                    .statements
                    .into_iter()
                    .map(|o| {
                        let s = match o.result {
                            Ok(ShardStatements::Installed(rows)) => ShardStatementsDto::Installed(
                                rows.into_iter()
                                    .map(|r| StatementDto {
                                        query: r.query,
                                        calls: r.calls,
                                        total_ms: r.total_ms,
                                        mean_ms: r.mean_ms,
                                        rows: r.rows,
                                    })
                                    .collect(),
                            ),
                            Ok(ShardStatements::Missing) => ShardStatementsDto::Missing,
                            Err(f) => ShardStatementsDto::Failed(format!(
                                "{}: {}",
                                f.kind.label(),
                                f.message
                            )),
                        };
                        (o.target, s)
                    })
                    .collect(),
            }
        }
    }
}
