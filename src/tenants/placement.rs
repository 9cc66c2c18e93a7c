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

mod noisy;
mod rules;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use noisy::{NOISY_MIN_SHARE, NOISY_RATIO, Neighbour, noisy};
pub use rules::{Candidate, Decision, ENTERPRISE_ABOVE, NewOrg, parse_new_org, place};

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

/// Whether each shard of `shard_capacity` answers now: `Err` says why not (it does not answer, or
/// it has no `tenant_shards` endpoint, so nothing says whether it would).
pub type Reachability = BTreeMap<String, std::result::Result<(), String>>;

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
    pub noisy: crate::partial::Partial<Vec<Neighbour>>,
}

/// Whether each capacity shard answers now, from the overview's cache (no probe beyond it).
async fn reachability(
    console: &impl crate::overview::Sources,
    capacity: &[CapacityRow],
) -> Reachability {
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
    console: &(impl super::Sources + crate::overview::Sources + crate::telemetry::Sources),
    get: impl Fn(&str) -> Option<String>,
) -> Result<PlacementPage> {
    use crate::telemetry::sql::{OrgLoadRow, OrgLoadTable, org_load};
    let capacity = load_capacity(console.routing())
        .await
        .map_err(|e| Error::RoutingUnavailable(e.failure()))?;
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
    let range = crate::time_range::TimeRange::custom(to - 24 * 3600, to);
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
        (Err(e), _) | (_, Err(e)) => Err(e),
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
    use crate::tenants::directory::Tenant;

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
