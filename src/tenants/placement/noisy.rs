//! Noisy neighbours: orgs whose share of their shard's load is far above their share of its
//! patients, with a move that respects region and tier. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::{Decision, NewOrg, place};
use super::{CapacityRow, Reachability};
use crate::tenants::directory::Tenant;

pub const NOISY_RATIO: f64 = 3.0;
pub const NOISY_MIN_SHARE: f64 = 0.05;

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
