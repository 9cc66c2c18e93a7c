//! `/routing`: is the routing true? `tenant_shards` against the platform's Redis routing cache and
//! against the organizations actually present on each shard, plus `shard_capacity` and the patient
//! registry. Gathering is I/O ([`gather`]); judging is a pure function ([`findings`]) so every rule
//! is unit-tested. A shard that did not answer makes everything about it "unknown", never "clean".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod rules;

use super::Sources;
use super::routing_cache::CacheScan;
use crate::coalesce::Key;
use crate::error::{Error, Result};
use crate::federation::fanout::{Failure, FailureKind, Outcome, fan_out, timed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    StaleCacheEntry,
    CacheForUnknownOrg,
    OrgMissingFromShard,
    OrgOnTwoShards,
    OrgNotRouted,
    UnreachableShard,
    CapacityMismatch,
    RegistryUnknownHomeShard,
}

impl FindingKind {
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::StaleCacheEntry => "stale cache entry",
            FindingKind::CacheForUnknownOrg => "cache entry for an unknown org",
            FindingKind::OrgMissingFromShard => "org missing from its shard",
            FindingKind::OrgOnTwoShards => "org present on two shards",
            FindingKind::OrgNotRouted => "org on a shard but not routed",
            FindingKind::UnreachableShard => "shard with no reachable endpoint",
            FindingKind::CapacityMismatch => "shard_capacity disagrees with routing",
            FindingKind::RegistryUnknownHomeShard => "registry names an unknown home shard",
        }
    }
}

/// One thing that is not true, how bad it is, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub org_id: Option<i64>,
    pub shard_id: Option<String>,
    pub detail: String,
    pub action: String,
}

/// What the routing DB says (no URLs: endpoints come from the console's shard list).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoutingFacts {
    /// org id → assigned shard.
    pub assigned: BTreeMap<i64, String>,
    /// shard id → (current_orgs, max_orgs) from shard_capacity.
    pub capacity: BTreeMap<String, (i64, i64)>,
    /// home_shard_id → registry rows naming it.
    pub registry_homes: BTreeMap<String, i64>,
}

/// Everything one check looked at.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Facts {
    pub routing: RoutingFacts,
    /// The cache, or why it could not be read.
    pub cache: std::result::Result<CacheScan, String>,
    /// Per shard in the routing DB: the org ids present (from the endpoint that answered).
    pub presence: Vec<Outcome<Presence>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub org_ids: Vec<i64>,
    /// Which endpoint answered ("primary" or a replica's address).
    pub answered_by: String,
}

/// The verdict: findings, and what could not be checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Shards whose presence is unknown, with why: nothing involving them is "clean".
    pub unknown: Vec<(String, String)>,
    pub shards_checked: usize,
    pub shards_total: usize,
    pub cache_error: Option<String>,
    pub cache_truncated: bool,
    pub measured_at_ms: u64,
}

/// Read everything the check needs: routing DB, cache, and every shard in parallel (each under the
/// shard deadline, primary first, then its replicas).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn gather(console: &impl Sources) -> Result<Facts> {
    let routing = read_routing(console).await?;
    let cache = async {
        console
            .routing_cache()
            .scan()
            .await
            .map_err(|e| e.to_string())
    };
    let (cache, presence) = tokio::join!(cache, presence(console));
    Ok(Facts {
        routing,
        cache,
        presence: presence?.as_ref().clone(),
    })
}

/// The org ids on every shard, shared for the cache TTL and coalesced (the routing page and every
/// tenant page use the same answer).
pub async fn presence(console: &impl Sources) -> Result<std::sync::Arc<Vec<Outcome<Presence>>>> {
    let c = console.clone();
    console
        .memo()
        .shared(Key::one("org-presence"), move || async move {
            let shards = c.shards().await.map_err(|e| e.failure())?;
            let deadline = c.config().engine.shard_deadline;
            let c = &c;
            Ok(fan_out(
                shards.iter().cloned().collect(),
                c.config().engine.concurrency,
                |s| async move {
                    let id = s.id.clone();
                    timed(id, deadline * 2, present_orgs(c, s)).await
                },
            )
            .await)
        })
        .await
        .map_err(Error::RoutingUnavailable)
}

/// The findings about one tenant (its cache entry, where it really is, its shard answering),
/// without the fleet-wide cache scan: the tenant page's part of routing truth.
pub async fn tenant_findings(
    console: &impl Sources,
    org_id: i64,
    shard_id: &str,
    cache: Option<super::routing_cache::CacheEntry>,
) -> Result<Report> {
    let presence = presence(console).await?;
    let facts = Facts {
        routing: RoutingFacts {
            assigned: [(org_id, shard_id.to_string())].into(),
            capacity: [(shard_id.to_string(), (1, 1))].into(),
            registry_homes: Default::default(),
        },
        cache: Ok(CacheScan {
            entries: cache.into_iter().collect(),
            ..Default::default()
        }),
        presence: presence.as_ref().clone(),
    };
    let mut report = findings(&facts, crate::clock::now_ms());
    report.findings.retain(|f| {
        f.org_id == Some(org_id)
            || (f.kind == FindingKind::UnreachableShard && f.shard_id.as_deref() == Some(shard_id))
    });
    report.unknown.retain(|(s, _)| s == shard_id);
    Ok(report)
}

async fn read_routing(console: &impl Sources) -> Result<RoutingFacts> {
    let unavailable = |e: sqlx::Error| Error::RoutingUnavailable(Failure::from_sqlx(&e));
    let pool = console.routing();
    let assigned: Vec<(i64, String)> =
        sqlx::query_as("SELECT organization_id, shard_id FROM tenant_shards")
            .fetch_all(pool)
            .await
            .map_err(unavailable)?;
    let capacity: Vec<(String, i32, i32)> =
        sqlx::query_as("SELECT shard_id, current_orgs, max_orgs FROM shard_capacity")
            .fetch_all(pool)
            .await
            .map_err(unavailable)?;
    let homes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT home_shard_id, count(*) FROM patient_person_registry GROUP BY home_shard_id",
    )
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    Ok(RoutingFacts {
        assigned: assigned.into_iter().collect(),
        capacity: capacity
            .into_iter()
            .map(|(s, c, m)| (s, (c as i64, m as i64)))
            .collect(),
        registry_homes: homes.into_iter().collect(),
    })
}

/// The org ids on one shard: from its primary, else from the first replica that answers.
async fn present_orgs(
    console: &impl Sources,
    shard: crate::federation::shard_list::ShardInfo,
) -> std::result::Result<Presence, Failure> {
    let deadline = console.config().engine.shard_deadline;
    let mut endpoints = vec![("primary".to_string(), shard.primary.clone())];
    endpoints.extend(shard.replicas.iter().map(|r| {
        let name = r.as_ref().map_or("replica".into(), |e| e.to_string());
        (name, r.clone())
    }));
    let mut first_failure = None;
    for (name, endpoint) in endpoints {
        let endpoint = match endpoint {
            Ok(e) => e,
            Err(why) => {
                first_failure.get_or_insert(Failure::new(
                    FailureKind::ShardUnknown,
                    format!("unusable endpoint: {why}"),
                ));
                continue;
            }
        };
        let read = crate::federation::pools::with_reconnect(
            console.pools(),
            &endpoint,
            |pool| async move {
                sqlx::query_scalar::<_, Vec<i64>>("SELECT console_org_ids()")
                    .fetch_one(&pool)
                    .await
            },
        );
        match tokio::time::timeout(deadline, read).await {
            Ok(Ok(org_ids)) => {
                return Ok(Presence {
                    org_ids,
                    answered_by: name,
                });
            }
            Ok(Err(f)) => {
                first_failure.get_or_insert(f);
            }
            Err(_) => {
                first_failure.get_or_insert(Failure::new(
                    FailureKind::Timeout,
                    format!("no answer within {} ms", deadline.as_millis()),
                ));
            }
        }
    }
    Err(first_failure.unwrap_or_else(|| Failure::new(FailureKind::ShardUnknown, "no endpoints")))
}

/// Judge the facts: every rule of [`rules::RULES`], findings sorted most severe first. Pure.
pub fn findings(facts: &Facts, measured_at_ms: u64) -> Report {
    let seen = rules::Seen::of(facts);
    let mut out: Vec<Finding> = rules::RULES
        .iter()
        .flat_map(|rule| rule(facts, &seen))
        .collect();
    out.sort_by(|a, b| {
        (a.severity, a.kind, a.org_id, &a.shard_id).cmp(&(
            b.severity,
            b.kind,
            b.org_id,
            &b.shard_id,
        ))
    });
    Report {
        findings: out,
        shards_checked: seen.answered.len(),
        shards_total: facts.presence.len(),
        unknown: seen.unknown,
        cache_error: facts.cache.as_ref().err().cloned(),
        cache_truncated: facts.cache.as_ref().is_ok_and(|c| c.truncated),
        measured_at_ms,
    }
}

/// The routing-truth report, shared for the cache TTL and coalesced (one check in flight).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn report(console: &impl Sources) -> Result<std::sync::Arc<Report>> {
    let c = console.clone();
    console
        .memo()
        .shared(Key::one("routing-truth"), move || async move {
            let facts = gather(&c).await.map_err(|e| e.failure())?;
            Ok(findings(&facts, crate::clock::now_ms()))
        })
        .await
        .map_err(Error::RoutingUnavailable)
}

#[cfg(test)]
mod tests {
    use super::super::routing_cache::CacheEntry;
    use super::*;

    fn ok(shard: &str, ids: &[i64]) -> Outcome<Presence> {
        Outcome {
            target: shard.into(),
            latency_ms: 1,
            measured_at_ms: 0,
            result: Ok(Presence {
                org_ids: ids.to_vec(),
                answered_by: "primary".into(),
            }),
        }
    }

    fn clean() -> Facts {
        Facts {
            routing: RoutingFacts {
                assigned: [(1, "a"), (2, "a"), (3, "b")]
                    .into_iter()
                    .map(|(o, s)| (o, s.to_string()))
                    .collect(),
                capacity: [("a".to_string(), (2, 50)), ("b".to_string(), (1, 50))].into(),
                registry_homes: [("a".to_string(), 10), ("b".to_string(), 5)].into(),
            },
            cache: Ok(CacheScan {
                entries: vec![CacheEntry {
                    org_id: 1,
                    shard_id: "a".into(),
                    ttl_secs: Some(100),
                }],
                ..Default::default()
            }),
            presence: vec![ok("a", &[1, 2]), ok("b", &[3])],
        }
    }

    fn kinds(f: &Facts) -> Vec<FindingKind> {
        findings(f, 0).findings.iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_clean_fleet_has_no_findings() {
        let r = findings(&clean(), 0);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!((r.shards_checked, r.shards_total), (2, 2));
    }

    #[test]
    fn each_drift_is_found() {
        let mut f = clean();
        f.cache.as_mut().unwrap().entries.push(CacheEntry {
            org_id: 3,
            shard_id: "a".into(),
            ttl_secs: Some(200),
        });
        assert_eq!(kinds(&f), [FindingKind::StaleCacheEntry]);
        let mut f = clean();
        f.cache.as_mut().unwrap().entries.push(CacheEntry {
            org_id: 99,
            shard_id: "a".into(),
            ttl_secs: None,
        });
        assert_eq!(kinds(&f), [FindingKind::CacheForUnknownOrg]);
        let mut f = clean();
        f.routing.assigned.insert(4, "b".into());
        f.routing.capacity.insert("b".into(), (2, 50));
        f.presence[1] = ok("b", &[4]);
        assert_eq!(kinds(&f), [FindingKind::OrgMissingFromShard]);
        let mut f = clean();
        f.presence[1] = ok("b", &[1, 3]);
        assert_eq!(kinds(&f), [FindingKind::OrgOnTwoShards]);
        let mut f = clean();
        f.presence[1] = ok("b", &[3, 77]);
        assert_eq!(kinds(&f), [FindingKind::OrgNotRouted]);
        let mut f = clean();
        f.routing.capacity.insert("b".into(), (4, 50));
        assert_eq!(kinds(&f), [FindingKind::CapacityMismatch]);
        let mut f = clean();
        f.routing.registry_homes.insert("zz-9".into(), 3);
        assert_eq!(kinds(&f), [FindingKind::RegistryUnknownHomeShard]);
    }

    #[test]
    fn each_capacity_rule_is_found_alone() {
        let detail = |f: &Facts| {
            let r = findings(f, 0);
            assert_eq!(
                r.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
                [FindingKind::CapacityMismatch],
                "{:?}",
                r.findings
            );
            r.findings[0].detail.clone()
        };
        let mut f = clean();
        f.routing.capacity.remove("b");
        assert_eq!(detail(&f), "b has 1 routed orgs but no shard_capacity row");
        let mut f = clean();
        f.routing.capacity.insert("a".into(), (3, 50));
        assert_eq!(
            detail(&f),
            "shard_capacity says a holds 3 orgs; tenant_shards routes 2"
        );
        let mut f = clean();
        f.routing.capacity.insert("c".into(), (4, 50));
        assert_eq!(
            detail(&f),
            "shard_capacity says c holds 4 orgs; tenant_shards routes none"
        );
    }

    #[test]
    fn an_empty_answer_from_a_routed_shard_is_unknown_not_every_org_missing() {
        let mut f = clean();
        f.presence[1] = ok("b", &[]);
        f.routing.assigned.insert(4, "b".into());
        f.routing.capacity.insert("b".into(), (2, 50));
        let r = findings(&f, 0);
        // One org routed there with nothing present would be "missing"; every org is "unknown".
        assert_eq!(r.unknown.len(), 1, "{:?}", r.findings);
        assert!(
            r.findings
                .iter()
                .all(|f| f.kind != FindingKind::OrgMissingFromShard)
        );
    }

    #[test]
    fn an_org_seen_elsewhere_while_its_shard_is_silent_is_reported() {
        let mut f = clean();
        f.presence[1].result = Err(Failure::new(FailureKind::Timeout, "no answer"));
        f.presence[0] = ok("a", &[1, 2, 3]);
        let kinds: Vec<_> = findings(&f, 0)
            .findings
            .iter()
            .map(|f| (f.kind, f.org_id))
            .collect();
        assert!(
            kinds.contains(&(FindingKind::OrgOnTwoShards, Some(3))),
            "{kinds:?}"
        );
    }

    #[test]
    fn a_silent_shard_is_unknown_not_clean() {
        let mut f = clean();
        // b does not answer, and org 3 is in fact missing there: that must not read as clean
        // nor as "missing" (nobody knows).
        f.presence[1].result = Err(Failure::new(FailureKind::Refused, "connection refused"));
        let r = findings(&f, 0);
        assert_eq!(
            r.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [FindingKind::UnreachableShard]
        );
        assert_eq!(r.unknown.len(), 1);
        assert_eq!(r.unknown[0].0, "b");
        assert_eq!((r.shards_checked, r.shards_total), (1, 2));
    }
}
