//! The routing-truth rules, one function each. Every rule reads the facts and what the shards that
//! answered hold ([`Seen`]), and returns its findings. Pure: each is unit-tested through
//! [`super::findings`].

use std::collections::{BTreeMap, BTreeSet};

use super::{Facts, Finding, FindingKind, Severity};

/// What the shards that answered hold, read once for every rule.
pub struct Seen<'a> {
    /// org id → the answering shards it is present on.
    pub present: BTreeMap<i64, Vec<&'a str>>,
    /// Shards whose presence is known.
    pub answered: BTreeSet<&'a str>,
    /// Shards whose presence came from a replica (the primary did not answer) → that replica.
    pub via_replica: BTreeMap<&'a str, &'a str>,
    /// Shards the routing DB knows (routed to, or with a capacity row).
    pub known_shards: BTreeSet<&'a str>,
    /// shard → orgs tenant_shards routes to it.
    pub routed: BTreeMap<&'a str, i64>,
    /// Shards whose presence is unknown, and why: nothing involving them is "clean".
    pub unknown: Vec<(String, String)>,
}

impl<'a> Seen<'a> {
    pub fn of(facts: &'a Facts) -> Self {
        let r = &facts.routing;
        let mut seen = Seen {
            present: BTreeMap::new(),
            answered: BTreeSet::new(),
            via_replica: BTreeMap::new(),
            known_shards: r
                .assigned
                .values()
                .map(String::as_str)
                .chain(r.capacity.keys().map(String::as_str))
                .collect(),
            routed: BTreeMap::new(),
            unknown: Vec::new(),
        };
        for s in r.assigned.values() {
            *seen.routed.entry(s.as_str()).or_default() += 1;
        }
        for o in &facts.presence {
            let routed_here = seen.routed.get(o.target.as_str()).copied().unwrap_or(0);
            match &o.result {
                // No organization at all on a shard the routing DB sends orgs to: the ids
                // function may be running without BYPASSRLS (so it sees nothing), or the shard
                // was wiped. Either way its presence cannot be trusted: unknown, not "every org
                // missing".
                Ok(p) if p.org_ids.is_empty() && routed_here > 0 => seen.unknown.push((
                    o.target.clone(),
                    "answered with no organizations at all (console_org_ids() must run as an \
                     owner that bypasses RLS)"
                        .to_string(),
                )),
                Ok(p) => {
                    seen.answered.insert(o.target.as_str());
                    if p.answered_by != "primary" {
                        seen.via_replica
                            .insert(o.target.as_str(), p.answered_by.as_str());
                    }
                    for id in &p.org_ids {
                        seen.present.entry(*id).or_default().push(o.target.as_str());
                    }
                }
                Err(f) => seen.unknown.push((
                    o.target.clone(),
                    format!("{}: {}", f.kind.label(), f.message),
                )),
            }
        }
        seen
    }
}

/// A rule: the facts and what answered, to its findings.
pub type Rule = fn(&Facts, &Seen) -> Vec<Finding>;

/// Every rule, in no particular order (the report sorts findings by severity).
pub const RULES: [Rule; 11] = [
    unreachable_shard,
    org_missing_from_shard,
    org_elsewhere_while_its_shard_is_silent,
    org_on_two_shards,
    org_not_routed,
    stale_cache_entry,
    cache_for_unknown_org,
    capacity_row_missing,
    capacity_count_differs,
    capacity_for_shard_with_no_orgs,
    registry_unknown_home_shard,
];

/// No endpoint of a shard answered: its routed orgs cannot be served.
fn unreachable_shard(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    facts
        .presence
        .iter()
        .filter_map(|o| {
            let f = o.result.as_ref().err()?;
            let routed_here = seen.routed.get(o.target.as_str()).copied().unwrap_or(0);
            let why = format!("{}: {}", f.kind.label(), f.message);
            Some(Finding {
                kind: FindingKind::UnreachableShard,
                severity: Severity::Critical,
                org_id: None,
                shard_id: Some(o.target.clone()),
                detail: format!(
                    "no endpoint of {} answered ({why}); its {routed_here} routed orgs cannot be \
                     served and their presence is unknown",
                    o.target
                ),
                action: "restore the shard or a replica, or correct its URLs in tenant_shards"
                    .into(),
            })
        })
        .collect()
}

/// Where an org is, and the shards other than its assigned one it is on.
fn placement<'s>(seen: &Seen<'s>, org: i64, shard: &str) -> (Vec<&'s str>, Vec<&'s str>) {
    let at = seen.present.get(&org).cloned().unwrap_or_default();
    let others = at.iter().copied().filter(|s| *s != shard).collect();
    (at, others)
}

/// The assigned shard answered and does not hold the org: its requests fail now.
fn org_missing_from_shard(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    let mut out = Vec::new();
    for (org, shard) in &facts.routing.assigned {
        let (at, _) = placement(seen, *org, shard);
        if !seen.answered.contains(shard.as_str()) || at.contains(&shard.as_str()) {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::OrgMissingFromShard,
            severity: Severity::Critical,
            org_id: Some(*org),
            shard_id: Some(shard.clone()),
            detail: format!(
                "tenant_shards routes org {org} to {shard}, which has no such organization{}{}",
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" (it is on {})", at.join(", "))
                },
                seen.via_replica
                    .get(shard.as_str())
                    .map(|r| format!(
                        "; read from replica {r} (the primary did not answer): a very new org may \
                         not have reached it yet"
                    ))
                    .unwrap_or_default()
            ),
            action: format!(
                "its requests fail now: point tenant_shards at the shard that holds it, or \
                 restore it on {shard}"
            ),
        });
    }
    out
}

/// The org is on another shard and its assigned shard did not answer: maybe on two.
fn org_elsewhere_while_its_shard_is_silent(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    let mut out = Vec::new();
    for (org, shard) in &facts.routing.assigned {
        let (_, others) = placement(seen, *org, shard);
        if others.is_empty() || seen.answered.contains(shard.as_str()) {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::OrgOnTwoShards,
            severity: Severity::Warning,
            org_id: Some(*org),
            shard_id: Some(others.join(", ")),
            detail: format!(
                "org {org} is present on {}; its assigned shard {shard} did not answer, so whether \
                 it is there too is unknown",
                others.join(", ")
            ),
            action: format!(
                "once {shard} answers, check this again; if it is not there, point tenant_shards \
                 at {}",
                others.join(", ")
            ),
        });
    }
    out
}

/// The org is on its assigned shard and on another: a second copy of patient data.
fn org_on_two_shards(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    let mut out = Vec::new();
    for (org, shard) in &facts.routing.assigned {
        let (at, others) = placement(seen, *org, shard);
        if others.is_empty() || !at.contains(&shard.as_str()) {
            continue;
        }
        out.push(Finding {
            kind: FindingKind::OrgOnTwoShards,
            severity: Severity::Critical,
            org_id: Some(*org),
            shard_id: Some(others.join(", ")),
            detail: format!(
                "org {org} is routed to {shard} and also present on {}",
                others.join(", ")
            ),
            action: format!(
                "a move that did not clean up? Confirm {shard} is complete, then remove the copy \
                 on {} (a second copy of patient data)",
                others.join(", ")
            ),
        });
    }
    out
}

/// An org present on a shard that tenant_shards does not route.
fn org_not_routed(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    seen.present
        .iter()
        .filter(|(org, _)| !facts.routing.assigned.contains_key(org))
        .map(|(org, shards)| Finding {
            kind: FindingKind::OrgNotRouted,
            severity: Severity::Warning,
            org_id: Some(*org),
            shard_id: Some(shards.join(", ")),
            detail: format!(
                "org {org} exists on {} but tenant_shards has no row for it",
                shards.join(", ")
            ),
            action: "add its routing row, or remove the org's rows if it was offboarded".into(),
        })
        .collect()
}

/// The cache sends an org somewhere the routing DB does not.
fn stale_cache_entry(facts: &Facts, _: &Seen) -> Vec<Finding> {
    let Ok(cache) = &facts.cache else {
        return vec![];
    };
    cache
        .entries
        .iter()
        .filter_map(|e| {
            let s = facts.routing.assigned.get(&e.org_id)?;
            (*s != e.shard_id).then(|| Finding {
                kind: FindingKind::StaleCacheEntry,
                severity: Severity::Warning,
                org_id: Some(e.org_id),
                shard_id: Some(e.shard_id.clone()),
                detail: format!(
                    "the cache sends org {} to {}, the routing DB to {s} ({})",
                    e.org_id,
                    e.shard_id,
                    ttl_text(e.ttl_secs)
                ),
                action: format!(
                    "DEL the key so the next request reads the routing DB; until then requests \
                     for org {} go to {}",
                    e.org_id, e.shard_id
                ),
            })
        })
        .collect()
}

/// The cache routes an org the routing DB does not know.
fn cache_for_unknown_org(facts: &Facts, _: &Seen) -> Vec<Finding> {
    let Ok(cache) = &facts.cache else {
        return vec![];
    };
    cache
        .entries
        .iter()
        .filter(|e| !facts.routing.assigned.contains_key(&e.org_id))
        .map(|e| Finding {
            kind: FindingKind::CacheForUnknownOrg,
            severity: Severity::Warning,
            org_id: Some(e.org_id),
            shard_id: Some(e.shard_id.clone()),
            detail: format!(
                "the cache routes org {} to {}, but the routing DB has no such org ({})",
                e.org_id,
                e.shard_id,
                ttl_text(e.ttl_secs)
            ),
            action: "DEL the key, and find what wrote it (an offboarded org?)".into(),
        })
        .collect()
}

/// A shard with routed orgs has no shard_capacity row: assign_shard cannot see it.
fn capacity_row_missing(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    seen.routed
        .iter()
        .filter(|(shard, _)| !facts.routing.capacity.contains_key(**shard))
        .map(|(shard, n)| Finding {
            kind: FindingKind::CapacityMismatch,
            severity: Severity::Warning,
            org_id: None,
            shard_id: Some(shard.to_string()),
            detail: format!("{shard} has {n} routed orgs but no shard_capacity row"),
            action: "add its shard_capacity row: assign_shard cannot see it".into(),
        })
        .collect()
}

/// shard_capacity's org count differs from what tenant_shards routes there.
fn capacity_count_differs(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    seen.routed
        .iter()
        .filter_map(|(shard, n)| {
            let (current, _) = facts.routing.capacity.get(*shard)?;
            (current != n).then(|| Finding {
                kind: FindingKind::CapacityMismatch,
                severity: Severity::Warning,
                org_id: None,
                shard_id: Some(shard.to_string()),
                detail: format!(
                    "shard_capacity says {shard} holds {current} orgs; tenant_shards routes {n}"
                ),
                action: "recount current_orgs from tenant_shards: assign_shard places new orgs by \
                         this number"
                    .into(),
            })
        })
        .collect()
}

/// shard_capacity counts orgs on a shard tenant_shards routes none to.
fn capacity_for_shard_with_no_orgs(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    facts
        .routing
        .capacity
        .iter()
        .filter(|(shard, (current, _))| !seen.routed.contains_key(shard.as_str()) && *current != 0)
        .map(|(shard, (current, _))| Finding {
            kind: FindingKind::CapacityMismatch,
            severity: Severity::Warning,
            org_id: None,
            shard_id: Some(shard.clone()),
            detail: format!(
                "shard_capacity says {shard} holds {current} orgs; tenant_shards routes none"
            ),
            action: "recount current_orgs from tenant_shards".into(),
        })
        .collect()
}

/// Registry rows name a home shard neither tenant_shards nor shard_capacity knows.
fn registry_unknown_home_shard(facts: &Facts, seen: &Seen) -> Vec<Finding> {
    facts
        .routing
        .registry_homes
        .iter()
        .filter(|(home, _)| !seen.known_shards.contains(home.as_str()))
        .map(|(home, n)| Finding {
            kind: FindingKind::RegistryUnknownHomeShard,
            severity: Severity::Critical,
            org_id: None,
            shard_id: Some(home.clone()),
            detail: format!(
                "{n} patient_person_registry rows name home shard {home:?}, which neither \
                 tenant_shards nor shard_capacity knows"
            ),
            action: "these people's portable profiles cannot be fetched: correct home_shard_id \
                     to the shard that holds their patient_persons row"
                .into(),
        })
        .collect()
}

fn ttl_text(ttl: Option<i64>) -> String {
    match ttl {
        Some(s) => format!("expires in {s} s"),
        None => "never expires".into(),
    }
}
