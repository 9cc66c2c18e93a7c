//! `/placement`: the platform's `assign_shard` rules as a preview, and noisy neighbours.
//!
//! Placement (pure, [`place`]): above 50 000 expected patients — or asking for the enterprise tier —
//! an org gets a dedicated shard; otherwise the least-loaded shared shard in its region (fewest
//! orgs, then id) that has both org and patient headroom in `shard_capacity`; if none fits, a new
//! shared shard would be provisioned. The seed's function names that shard
//! `{region}-{count of tenant_shards rows}` + 1 (it counts orgs, not shards); the preview counts the
//! region's shared shards instead and says so.
//!
//! Noisy neighbours ([`noisy`]): an org whose share of its shard's requests or slow queries over
//! the last 24 hours is at least [`NOISY_RATIO`]× its share of the shard's patients (and at least
//! [`NOISY_MIN_SHARE`] of the shard's load), with a move that respects region and tier.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::directory::Tenant;
use crate::error::{Error, Result};

pub const ENTERPRISE_ABOVE: i64 = 50_000;
pub const NOISY_RATIO: f64 = 3.0;
pub const NOISY_MIN_SHARE: f64 = 0.05;
const MAX_PATIENTS: i64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CapacityRow {
    pub shard_id: String,
    pub region: String,
    pub shard_type: String,
    pub current_orgs: i32,
    pub max_orgs: i32,
    pub current_patients: i64,
    pub max_patients: i64,
}

#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn load_capacity(routing: &sqlx::PgPool) -> Result<Vec<CapacityRow>> {
    Ok(sqlx::query_as(
        "SELECT shard_id, region, shard_type, current_orgs, max_orgs, current_patients, max_patients
           FROM shard_capacity ORDER BY shard_id",
    )
    .fetch_all(routing)
    .await?)
}

/// A hypothetical new org.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrg {
    pub region: String,
    pub patients: i64,
    pub enterprise: bool,
}

/// Read `region`, `patients`, `tier` from the form. None when the form is empty (nothing asked).
pub fn parse_new_org(
    get: impl Fn(&str) -> Option<String>,
    regions: &[String],
) -> Result<Option<NewOrg>> {
    let text = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (region, patients, tier) = (text("region"), text("patients"), text("tier"));
    if region.is_none() && patients.is_none() && tier.is_none() {
        return Ok(None);
    }
    let region = region.ok_or_else(|| {
        Error::InvalidInput(format!("choose a region: one of {}", regions.join(", ")))
    })?;
    if !regions.contains(&region) {
        return Err(Error::InvalidInput(format!(
            "unknown region {region:?}: use one of {}",
            regions.join(", ")
        )));
    }
    let raw = patients.ok_or_else(|| {
        Error::InvalidInput("type the expected number of patients, e.g. 12000".into())
    })?;
    let patients = raw
        .replace([',', '_', ' '], "")
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=MAX_PATIENTS).contains(p))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "expected patients must be a whole number from 1 to {MAX_PATIENTS}, got {raw:?}"
            ))
        })?;
    let enterprise = match tier.as_deref() {
        None | Some("standard") => false,
        Some("enterprise") => true,
        Some(other) => {
            return Err(Error::InvalidInput(format!(
                "unknown tier {other:?}: use standard or enterprise"
            )));
        }
    };
    Ok(Some(NewOrg {
        region,
        patients,
        enterprise,
    }))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// A dedicated enterprise shard would be provisioned.
    Dedicated(String),
    /// This shared shard, and why.
    Shared { shard_id: String, why: String },
    /// No shared shard in the region fits: a new one would be provisioned under this id.
    NewShared { shard_id: String, why: String },
}

impl Decision {
    /// Stable machine-readable kind: `dedicated`, `shared`, `new_shared`.
    pub fn code(&self) -> &'static str {
        match self {
            Decision::Dedicated(_) => "dedicated",
            Decision::Shared { .. } => "shared",
            Decision::NewShared { .. } => "new_shared",
        }
    }

    /// "Shared shard us-2", "A new shared shard, us-4", "A dedicated enterprise shard".
    pub fn headline(&self) -> String {
        match self {
            Decision::Dedicated(_) => "A dedicated enterprise shard".into(),
            Decision::Shared { shard_id, .. } => format!("Shared shard {shard_id}"),
            Decision::NewShared { shard_id, .. } => format!("A new shared shard, {shard_id}"),
        }
    }

    pub fn why(&self) -> &str {
        match self {
            Decision::Dedicated(why)
            | Decision::Shared { why, .. }
            | Decision::NewShared { why, .. } => why,
        }
    }
}

/// A shared shard of the region, and whether it could take the org (or why not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub shard: CapacityRow,
    pub fits: std::result::Result<(), String>,
}

/// Where the org would go. Pure.
pub fn place(
    capacity: &[CapacityRow],
    org: &NewOrg,
    exclude: Option<&str>,
) -> (Decision, Vec<Candidate>) {
    let mut candidates: Vec<Candidate> = capacity
        .iter()
        .filter(|c| c.region == org.region && c.shard_type == "shared")
        .filter(|c| Some(c.shard_id.as_str()) != exclude)
        .map(|c| {
            let fits = if c.current_orgs >= c.max_orgs {
                Err(format!("full: {} of {} orgs", c.current_orgs, c.max_orgs))
            } else if c.current_patients.saturating_add(org.patients) > c.max_patients {
                Err(format!(
                    "{} + {} patients would exceed {}",
                    c.current_patients, org.patients, c.max_patients
                ))
            } else {
                Ok(())
            };
            Candidate {
                shard: c.clone(),
                fits,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        (a.shard.current_orgs, &a.shard.shard_id).cmp(&(b.shard.current_orgs, &b.shard.shard_id))
    });
    if org.patients > ENTERPRISE_ABOVE || org.enterprise {
        let why = if org.patients > ENTERPRISE_ABOVE {
            format!(
                "{} expected patients is above {ENTERPRISE_ABOVE}: a dedicated enterprise shard \
                 (org-<id>) would be provisioned",
                org.patients
            )
        } else {
            "the enterprise tier gets a dedicated shard (org-<id>)".to_string()
        };
        return (Decision::Dedicated(why), candidates);
    }
    if let Some(best) = candidates.iter().find(|c| c.fits.is_ok()) {
        let s = &best.shard;
        let why = format!(
            "the least-loaded shared shard in {} with headroom: {} of {} orgs, {} + {} of {} patients",
            org.region,
            s.current_orgs,
            s.max_orgs,
            s.current_patients,
            org.patients,
            s.max_patients
        );
        return (
            Decision::Shared {
                shard_id: s.shard_id.clone(),
                why,
            },
            candidates,
        );
    }
    let n = capacity
        .iter()
        .filter(|c| c.region == org.region && c.shard_type == "shared")
        .count();
    let why = if candidates.is_empty() {
        format!("{} has no shared shard yet", org.region)
    } else {
        format!(
            "none of {}'s {} shared shards has headroom",
            org.region,
            candidates.len()
        )
    };
    (
        Decision::NewShared {
            shard_id: format!("{}-{}", org.region, n + 1),
            why,
        },
        candidates,
    )
}

/// One org's load on its shard over the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    pub org_id: i64,
    pub name: String,
    pub shard_id: String,
    pub patients_share: f64,
    pub requests_share: f64,
    pub slow_share: f64,
    /// Which load is out of proportion: "requests", "slow queries" or both.
    pub why: String,
    pub suggestion: String,
}

/// Whether each shard of `shard_capacity` answers now: `Err` says why not (it does not answer, or
/// it has no `tenant_shards` endpoint, so nothing says whether it would).
pub type Reachability = BTreeMap<String, std::result::Result<(), String>>;

/// Where to move a noisy org: the rules' choice among shards that answer; a shard that does not
/// answer (or whose endpoint is unknown) is suggested only when no other fits, and says so.
fn move_suggestion(
    capacity: &[CapacityRow],
    reach: &Reachability,
    org: &NewOrg,
    from: &str,
) -> String {
    let answering: Vec<CapacityRow> = capacity
        .iter()
        .filter(|c| matches!(reach.get(&c.shard_id), Some(Ok(()))))
        .cloned()
        .collect();
    match place(&answering, org, Some(from)).0 {
        Decision::Dedicated(why) => format!("a dedicated shard: {why}"),
        Decision::Shared { shard_id, .. } => format!(
            "move to {shard_id} (same region, least-loaded shared shard with headroom that \
             answers), or rate-limit it"
        ),
        Decision::NewShared { shard_id, why } => match place(capacity, org, Some(from)).0 {
            Decision::Shared {
                shard_id: silent, ..
            } => {
                let why_not = match reach.get(&silent) {
                    Some(Err(why)) => why.clone(),
                    _ => "its health is unknown".to_string(),
                };
                format!(
                    "rate-limit it; {silent} has headroom but {why_not}, so moving there is not \
                     advised until it answers"
                )
            }
            _ => format!("{why}: a new shared shard {shard_id}, or rate-limit it"),
        },
    }
}

/// Orgs whose load share is far above their patient share. `requests` and `slow` are per
/// (shard, org) counts from ClickHouse; `reach` says which shards answer. Pure.
pub fn noisy(
    tenants: &[Tenant],
    capacity: &[CapacityRow],
    reach: &Reachability,
    requests: &BTreeMap<(String, i64), u64>,
    slow: &BTreeMap<(String, i64), u64>,
) -> Vec<Neighbour> {
    let mut by_shard: BTreeMap<&str, Vec<&Tenant>> = BTreeMap::new();
    for t in tenants {
        by_shard.entry(t.shard_id.as_str()).or_default().push(t);
    }
    let total = |m: &BTreeMap<(String, i64), u64>, shard: &str| -> u64 {
        m.iter()
            .filter(|((s, _), _)| s == shard)
            .map(|(_, n)| n)
            .sum()
    };
    let mut out = Vec::new();
    for (shard, orgs) in by_shard {
        if orgs.len() < 2 {
            continue; // alone on its shard: no neighbour to be noisy to
        }
        let patients: i64 = orgs.iter().map(|t| t.patients.unwrap_or(0)).sum();
        let (req_total, slow_total) = (total(requests, shard), total(slow, shard));
        if patients == 0 {
            continue;
        }
        for t in orgs {
            let p_share = t.patients.unwrap_or(0) as f64 / patients as f64;
            let share = |m: &BTreeMap<(String, i64), u64>, total: u64| {
                if total == 0 {
                    0.0
                } else {
                    *m.get(&(shard.to_string(), t.org_id)).unwrap_or(&0) as f64 / total as f64
                }
            };
            let (r_share, s_share) = (share(requests, req_total), share(slow, slow_total));
            let loud = |s: f64| s >= NOISY_MIN_SHARE && s >= NOISY_RATIO * p_share;
            let mut why = Vec::new();
            if loud(r_share) {
                why.push("requests");
            }
            if loud(s_share) {
                why.push("slow queries");
            }
            if why.is_empty() {
                continue;
            }
            let org = NewOrg {
                region: t.region.clone().unwrap_or_default(),
                patients: t.patients.unwrap_or(0),
                enterprise: t.shard_type == "enterprise"
                    || t.sla_tier.as_deref() == Some("enterprise"),
            };
            let suggestion = move_suggestion(capacity, reach, &org, shard);
            out.push(Neighbour {
                org_id: t.org_id,
                name: t.name.clone(),
                shard_id: shard.to_string(),
                patients_share: p_share,
                requests_share: r_share,
                slow_share: s_share,
                why: why.join(" and "),
                suggestion,
            });
        }
    }
    out.sort_by(|a, b| {
        let ka = a.requests_share.max(a.slow_share) / a.patients_share.max(1e-9);
        let kb = b.requests_share.max(b.slow_share) / b.patients_share.max(1e-9);
        kb.total_cmp(&ka).then(a.org_id.cmp(&b.org_id))
    });
    out
}

/// What `/placement` shows: the preview (when asked) and the noisy neighbours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlacementPage {
    pub regions: Vec<String>,
    pub asked: Option<NewOrg>,
    pub decision: Option<(Decision, Vec<Candidate>)>,
    /// When the shard the rules pick does not answer now: why (the platform would place the org
    /// there anyway; assign_shard does not look at health).
    pub chosen_unreachable: Option<String>,
    pub capacity: Vec<CapacityRow>,
    pub window_hours: u32,
    pub noisy: std::result::Result<Vec<Neighbour>, String>,
}

/// Whether each capacity shard answers now, from the overview's cache (no probe beyond it).
async fn reachability(console: &impl super::Sources, capacity: &[CapacityRow]) -> Reachability {
    let shards = console.shards().await.ok();
    let mut reach = Reachability::new();
    for c in capacity {
        let info = shards
            .as_ref()
            .and_then(|l| l.iter().find(|s| s.id == c.shard_id).cloned());
        let verdict = match info {
            None => Err(
                "has no tenant_shards endpoint (the console cannot tell whether it answers)"
                    .to_string(),
            ),
            Some(info) => match console.overview_cache().shard_overview(&info).await.result {
                Ok(_) => Ok(()),
                Err(f) => Err(format!(
                    "does not answer now ({}: {})",
                    f.kind.label(),
                    f.message
                )),
            },
        };
        reach.insert(c.shard_id.clone(), verdict);
    }
    reach
}

/// Read the page: capacity and directory from the routing DB, 24 h of per-org load from ClickHouse.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn placement_page(
    console: &impl super::Sources,
    get: impl Fn(&str) -> Option<String>,
) -> Result<PlacementPage> {
    use crate::telemetry::sql::{OrgLoadRow, OrgLoadTable, org_load};
    let capacity = load_capacity(console.routing())
        .await
        .map_err(|e| Error::RoutingUnavailable(e.to_string()))?;
    let mut regions: Vec<String> = capacity.iter().map(|c| c.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let asked = parse_new_org(get, &regions)?;
    let decision = asked.as_ref().map(|o| place(&capacity, o, None));
    let chosen_unreachable = match &decision {
        Some((Decision::Shared { shard_id, .. }, _)) => {
            let shards = console.shards().await?;
            match shards.iter().find(|s| &s.id == shard_id) {
                None => Some(format!(
                    "{shard_id} has a shard_capacity row but no tenant_shards endpoint: the \
                     console cannot tell whether it answers"
                )),
                Some(info) => console
                    .overview_cache()
                    .shard_overview(info)
                    .await
                    .result
                    .err()
                    .map(|f| {
                        format!(
                            "{shard_id} does not answer now ({}: {})",
                            f.kind.label(),
                            f.message
                        )
                    }),
            }
        }
        _ => None,
    };
    let tenants = super::directory_cached(console).await?;
    let reach = reachability(console, &capacity).await;
    let now = (crate::clock::now_ms() / 1000) as u32;
    // Aligned to the minute so every viewer in that minute shares one answer.
    let to = now - now % 60;
    let range = crate::telemetry::range::TimeRange::custom(to - 24 * 3600, to);
    let t = console.telemetry();
    let (rq, sq) = (
        org_load(&range, OrgLoadTable::Requests),
        org_load(&range, OrgLoadTable::SlowQueries),
    );
    let (req, slow) = tokio::join!(t.fetch::<OrgLoadRow>(&rq), t.fetch::<OrgLoadRow>(&sq));
    let map = |rows: &[OrgLoadRow]| -> BTreeMap<(String, i64), u64> {
        rows.iter()
            .map(|r| ((r.shard_id.clone(), r.org_id as i64), r.n))
            .collect()
    };
    let noisy = match (req, slow) {
        (Ok(r), Ok(s)) => Ok(noisy(&tenants, &capacity, &reach, &map(&r), &map(&s))),
        (Err(e), _) | (_, Err(e)) => Err(e.0),
    };
    Ok(PlacementPage {
        regions,
        asked,
        decision,
        chosen_unreachable,
        capacity,
        window_hours: 24,
        noisy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(id: &str, region: &str, orgs: i32, patients: i64) -> CapacityRow {
        CapacityRow {
            shard_id: id.into(),
            region: region.into(),
            shard_type: "shared".into(),
            current_orgs: orgs,
            max_orgs: 50,
            current_patients: patients,
            max_patients: 500_000,
        }
    }

    fn org(region: &str, patients: i64) -> NewOrg {
        NewOrg {
            region: region.into(),
            patients,
            enterprise: false,
        }
    }

    #[test]
    fn the_seed_rules() {
        let c = vec![
            cap("us-1", "us-east-1", 31, 300_000),
            cap("us-2", "us-east-1", 11, 100_000),
            cap("eu-1", "eu-west-1", 50, 200_000),
        ];
        // Above 50 k: dedicated. Exactly 50 k is still shared (the seed's "> 50000").
        assert!(matches!(
            place(&c, &org("us-east-1", 50_001), None).0,
            Decision::Dedicated(_)
        ));
        let (d, cands) = place(&c, &org("us-east-1", 50_000), None);
        assert_eq!(
            d,
            Decision::Shared {
                shard_id: "us-2".into(),
                why: "the least-loaded shared shard in us-east-1 with headroom: 11 of 50 orgs, \
                      100000 + 50000 of 500000 patients"
                    .into()
            }
        );
        assert_eq!(cands.len(), 2);
        // Least loaded by orgs, but no patient headroom: the next one.
        let c2 = vec![
            cap("us-1", "us-east-1", 31, 300_000),
            cap("us-2", "us-east-1", 11, 480_000),
        ];
        match place(&c2, &org("us-east-1", 30_000), None).0 {
            Decision::Shared { shard_id, .. } => assert_eq!(shard_id, "us-1"),
            d => panic!("{d:?}"),
        }
        // The only EU shard is full: a new one.
        match place(&c, &org("eu-west-1", 100), None).0 {
            Decision::NewShared { shard_id, .. } => assert_eq!(shard_id, "eu-west-1-2"),
            d => panic!("{d:?}"),
        }
        let mut e = org("us-east-1", 10);
        e.enterprise = true;
        assert!(matches!(place(&c, &e, None).0, Decision::Dedicated(_)));
    }

    #[test]
    fn the_form_is_checked() {
        let regions = vec!["us-east-1".to_string()];
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            parse_new_org(
                move |k| {
                    pairs
                        .iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.to_string())
                },
                &regions,
            )
        };
        assert_eq!(q(&[]).unwrap(), None);
        assert_eq!(
            q(&[("region", "us-east-1"), ("patients", "12,000")]).unwrap(),
            Some(org("us-east-1", 12_000))
        );
        assert!(
            q(&[("region", "mars"), ("patients", "1")])
                .unwrap_err()
                .to_string()
                .contains("us-east-1")
        );
        assert!(
            q(&[("region", "us-east-1"), ("patients", "many")])
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        assert!(
            q(&[("region", "us-east-1"), ("patients", "5"), ("tier", "gold")])
                .unwrap_err()
                .to_string()
                .contains("standard or enterprise")
        );
    }

    #[test]
    fn a_small_org_with_a_big_load_is_noisy() {
        let t = |id: i64, patients: i64| Tenant {
            org_id: id,
            name: format!("Org {id}"),
            shard_id: "us-1".into(),
            shard_type: "shared".into(),
            region: Some("us-east-1".into()),
            sla_tier: Some("standard".into()),
            billing_tier: None,
            patients: Some(patients),
            created_at_ms: None,
            folded: String::new(),
        };
        let tenants = vec![t(1, 9_000), t(2, 9_000), t(3, 2_000)];
        let req: BTreeMap<(String, i64), u64> = [
            (("us-1".into(), 1), 450),
            (("us-1".into(), 2), 450),
            (("us-1".into(), 3), 100),
        ]
        .into();
        let slow: BTreeMap<(String, i64), u64> =
            [(("us-1".into(), 1), 1), (("us-1".into(), 3), 9)].into();
        let c = vec![
            cap("us-1", "us-east-1", 3, 20_000),
            cap("us-2", "us-east-1", 1, 1_000),
        ];
        let all_answer: Reachability =
            [("us-1".to_string(), Ok(())), ("us-2".to_string(), Ok(()))].into();
        let n = noisy(&tenants, &c, &all_answer, &req, &slow);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].org_id, 3);
        assert_eq!(n[0].why, "slow queries");
        assert!(
            n[0].suggestion.starts_with("move to us-2"),
            "{}",
            n[0].suggestion
        );
        // us-3 is the least loaded but refuses connections: us-2 is suggested, not us-3.
        let c3 = vec![
            cap("us-1", "us-east-1", 3, 20_000),
            cap("us-2", "us-east-1", 1, 1_000),
            cap("us-3", "us-east-1", 0, 0),
        ];
        let mut reach = all_answer.clone();
        reach.insert(
            "us-3".into(),
            Err("does not answer now (refused: connection refused)".into()),
        );
        let n = noisy(&tenants, &c3, &reach, &req, &slow);
        assert!(
            n[0].suggestion.starts_with("move to us-2"),
            "{}",
            n[0].suggestion
        );
        // Only the silent shard fits: it is named with why it is not advised.
        let c_only = vec![
            cap("us-1", "us-east-1", 3, 20_000),
            cap("us-3", "us-east-1", 0, 0),
        ];
        let n = noisy(&tenants, &c_only, &reach, &req, &slow);
        assert_eq!(
            n[0].suggestion,
            "rate-limit it; us-3 has headroom but does not answer now (refused: connection \
             refused), so moving there is not advised until it answers"
        );
    }
}
