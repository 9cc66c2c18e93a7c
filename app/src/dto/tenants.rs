//! The tenant pages: directory, one tenant, routing truth, compliance.

use serde::{Deserialize, Serialize};

use super::RequestStats;
use shardscope::federation::fanout::Outcome;
use shardscope::overview::probe::ShardStats;

pub const TENANTS_KEYS: [&str; 8] = [
    "q", "shard", "region", "tier", "billing", "sort", "dir", "page",
];

/// The `/tenants` query as typed (checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantsQuery {
    pub q: Option<String>,
    pub shard: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub billing: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

impl TenantsQuery {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            q: get("q"),
            shard: get("shard"),
            region: get("region"),
            tier: get("tier"),
            billing: get("billing"),
            sort: get("sort"),
            dir: get("dir"),
            page: get("page"),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "q" => self.q.clone(),
            "shard" => self.shard.clone(),
            "region" => self.region.clone(),
            "tier" => self.tier.clone(),
            "billing" => self.billing.clone(),
            "sort" => self.sort.clone(),
            "dir" => self.dir.clone(),
            "page" => self.page.clone(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    }

    /// This query with some keys replaced (None removes), as `?…` (empty when nothing is set).
    pub fn href_with(&self, path: &str, changes: &[(&str, Option<String>)]) -> String {
        let qs = TENANTS_KEYS
            .iter()
            .filter_map(|k| {
                let v = match changes.iter().find(|(c, _)| c == k) {
                    Some((_, v)) => v.clone(),
                    None => self.get(k),
                };
                v.map(|v| format!("{k}={}", crate::format::query_value(&v)))
            })
            .collect::<Vec<_>>()
            .join("&");
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantsPageDto {
    /// The backend's rows as they are.
    pub rows: Vec<shardscope::tenants::directory::Tenant>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub sort: String,
    pub descending: bool,
    pub shards: Vec<String>,
    pub regions: Vec<String>,
    pub tiers: Vec<String>,
    pub billing: Vec<String>,
}

/// The choices of the tenant pages' filter forms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantChoicesDto {
    pub shards: Vec<String>,
    pub regions: Vec<String>,
    pub tiers: Vec<String>,
    pub billing: Vec<String>,
    /// Regions in `shard_capacity` (the placement form).
    pub capacity_regions: Vec<String>,
}

/// The routing cache entry against the routing DB: "agrees", "disagrees", "missing", "unknown".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheDto {
    pub state: String,
    pub shard_id: Option<String>,
    pub ttl_secs: Option<i64>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountsDto {
    pub patients: i64,
    pub appointments_upcoming: i64,
    pub appointments_last_30d: i64,
    pub audit_rows_24h: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantDto {
    pub generated_at_ms: u64,
    pub tenant: shardscope::tenants::directory::Tenant,
    pub primary: Result<String, String>,
    pub replicas: Vec<Result<String, String>>,
    pub max_patients: Option<i32>,
    pub shard_load_score: Option<i32>,
    pub updated_at_ms: Option<i64>,
    pub cache: CacheDto,
    pub health: Option<Outcome<ShardStats>>,
    pub counts: Result<CountsDto, String>,
    pub preset: Option<String>,
    pub from_s: u32,
    pub to_s: u32,
    pub totals: Result<RequestStats, String>,
    pub routes: Result<Vec<(String, RequestStats)>, String>,
    pub pools: Result<Vec<shardscope::telemetry::pools::PoolRow>, String>,
    pub slow: Result<Vec<shardscope::telemetry::slow::SlowRow>, String>,
    pub findings: Result<Vec<shardscope::tenants::truth::Finding>, String>,
    /// Why part of this tenant's routing truth is unknown (its shard or the cache did not answer).
    pub findings_unknown: Option<String>,
    pub access: Result<Vec<shardscope::auth::AuditRecord>, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutingDto {
    pub measured_at_ms: u64,
    pub findings: Vec<shardscope::tenants::truth::Finding>,
    pub unknown: Vec<(String, String)>,
    pub shards_checked: usize,
    pub shards_total: usize,
    pub cache_error: Option<String>,
    pub cache_truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableStateDto {
    pub table: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub policies: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueDto {
    pub severity: String,
    pub shard_id: String,
    pub table: Option<String>,
    pub detail: String,
    pub diff: Vec<String>,
    pub action: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceDto {
    pub measured_at_ms: u64,
    /// Per shard: its tables, or why it did not answer.
    pub shards: Vec<(String, Result<Vec<TableStateDto>, String>)>,
    pub issues: Vec<IssueDto>,
}

#[cfg(feature = "ssr")]
mod from_backend {
    use super::*;
    use shardscope::tenants::compliance::ComplianceReport;
    use shardscope::tenants::detail::{CacheVerdict, TenantPage};
    use shardscope::tenants::truth::Report;

    impl From<shardscope::tenants::DirectoryPage> for TenantsPageDto {
        fn from(p: shardscope::tenants::DirectoryPage) -> Self {
            Self {
                rows: p.view.rows.clone(),
                total: p.view.total,
                page: p.view.page,
                pages: p.view.pages,
                sort: p.query.sort.as_str().into(),
                descending: p.query.descending,
                shards: p.choices.shards,
                regions: p.choices.regions,
                tiers: p.choices.tiers,
                billing: p.choices.billing,
            }
        }
    }

    impl From<&Report> for RoutingDto {
        fn from(r: &Report) -> Self {
            Self {
                measured_at_ms: r.measured_at_ms,
                findings: r.findings.clone(),
                unknown: r.unknown.clone(),
                shards_checked: r.shards_checked,
                shards_total: r.shards_total,
                cache_error: r.cache_error.clone(),
                cache_truncated: r.cache_truncated,
            }
        }
    }

    impl From<&ComplianceReport> for ComplianceDto {
        fn from(r: &ComplianceReport) -> Self {
            Self {
                measured_at_ms: r.measured_at_ms,
                shards: r
                    .shards
                    .iter()
                    .map(|o| {
                        let v = match &o.result {
                            Ok(c) => Ok(c
                                .tables
                                .iter()
                                .map(|t| TableStateDto {
                                    table: t.table.clone(),
                                    rls_enabled: t.rls_enabled,
                                    rls_forced: t.rls_forced,
                                    policies: t.policies.len(),
                                })
                                .collect()),
                            Err(f) => Err(format!("{}: {}", f.kind.label(), f.message)),
                        };
                        (o.target.clone(), v)
                    })
                    .collect(),
                issues: r
                    .issues
                    .iter()
                    .map(|i| IssueDto {
                        severity: i.severity.as_str().into(),
                        shard_id: i.shard_id.clone(),
                        table: i.table.clone(),
                        detail: i.detail.clone(),
                        diff: i.diff.clone(),
                        action: i.action.clone(),
                    })
                    .collect(),
            }
        }
    }

    impl From<TenantPage> for TenantDto {
        fn from(p: TenantPage) -> Self {
            let cache = match p.cache {
                CacheVerdict::Agrees(e) => ("agrees", Some(e), None),
                CacheVerdict::Disagrees(e) => ("disagrees", Some(e), None),
                CacheVerdict::Missing => ("missing", None, None),
                CacheVerdict::Unknown(why) => ("unknown", None, Some(why)),
            };
            let t = p.telemetry;
            Self {
                generated_at_ms: p.generated_at_ms,
                tenant: p.tenant.clone(),
                primary: p.routing.primary,
                replicas: p.routing.replicas,
                max_patients: p.routing.max_patients,
                shard_load_score: p.routing.shard_load_score,
                updated_at_ms: p.routing.updated_at_ms,
                cache: CacheDto {
                    state: cache.0.into(),
                    shard_id: cache.1.as_ref().map(|e| e.shard_id.clone()),
                    ttl_secs: cache.1.and_then(|e| e.ttl_secs),
                    reason: cache.2,
                },
                health: p.health,
                counts: p.counts.map(|c| CountsDto {
                    patients: c.patients,
                    appointments_upcoming: c.appointments_upcoming,
                    appointments_last_30d: c.appointments_last_30d,
                    audit_rows_24h: c.audit_rows_24h,
                }),
                preset: t.range.preset.map(str::to_string),
                from_s: t.range.from,
                to_s: t.range.to,
                totals: t.totals.clone(),
                routes: t
                    .routes
                    .map(|g| g.iter().map(|g| (g.key.clone(), g.stats.clone())).collect()),
                pools: t.pools,
                slow: t.slow,
                findings_unknown: p.findings.as_ref().ok().and_then(|f| f.1.clone()),
                findings: p.findings.map(|f| f.0.clone()),
                access: p.access,
            }
        }
    }
}

/// The `/placement` form as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlacementQuery {
    pub region: Option<String>,
    pub patients: Option<String>,
    pub tier: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateDto {
    pub shard_id: String,
    pub current_orgs: i32,
    pub max_orgs: i32,
    pub current_patients: i64,
    pub max_patients: i64,
    pub fits: Result<(), String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeighbourDto {
    pub org_id: i64,
    pub name: String,
    pub shard_id: String,
    pub patients_share: f64,
    pub requests_share: f64,
    pub slow_share: f64,
    pub why: String,
    pub suggestion: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlacementDto {
    pub regions: Vec<String>,
    /// "dedicated", "shared" or "new_shared", the shard (when one is named) and why.
    pub decision: Option<(String, Option<String>, String)>,
    pub candidates: Vec<CandidateDto>,
    pub chosen_unreachable: Option<String>,
    pub window_hours: u32,
    pub noisy: Result<Vec<NeighbourDto>, String>,
}

#[cfg(feature = "ssr")]
impl From<shardscope::tenants::placement::PlacementPage> for PlacementDto {
    fn from(p: shardscope::tenants::placement::PlacementPage) -> Self {
        use shardscope::tenants::placement::Decision;
        let (decision, candidates) = match p.decision {
            None => (None, vec![]),
            Some((d, c)) => (
                Some(match d {
                    Decision::Dedicated(why) => ("dedicated".to_string(), None, why),
                    Decision::Shared { shard_id, why } => ("shared".into(), Some(shard_id), why),
                    Decision::NewShared { shard_id, why } => {
                        ("new_shared".into(), Some(shard_id), why)
                    }
                }),
                c.into_iter()
                    .map(|c| CandidateDto {
                        shard_id: c.shard.shard_id,
                        current_orgs: c.shard.current_orgs,
                        max_orgs: c.shard.max_orgs,
                        current_patients: c.shard.current_patients,
                        max_patients: c.shard.max_patients,
                        fits: c.fits,
                    })
                    .collect(),
            ),
        };
        Self {
            regions: p.regions,
            decision,
            candidates,
            chosen_unreachable: p.chosen_unreachable,
            window_hours: p.window_hours,
            noisy: p.noisy.map(|n| {
                n.into_iter()
                    .map(|n| NeighbourDto {
                        org_id: n.org_id,
                        name: n.name,
                        shard_id: n.shard_id,
                        patients_share: n.patients_share,
                        requests_share: n.requests_share,
                        slow_share: n.slow_share,
                        why: n.why,
                        suggestion: n.suggestion,
                    })
                    .collect()
            }),
        }
    }
}
