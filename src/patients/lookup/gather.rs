//! The fan-out of a lookup: every shard in parallel for the links of the registry's rows (and, on
//! their home shards, the names).

use std::collections::{BTreeMap, BTreeSet};

use super::{LookupResult, OrgLink, Person};
use crate::auth::Staff;
use crate::clock::now_ms;
use crate::error::Result;
use crate::federation::fanout::{fan_out, timed};
use crate::patients::registry::RegistryRow;
use crate::patients::shard_read;
use crate::patients::shard_read::{Profile, ShardRequest, read_shard};
use crate::tenants::Sources;

/// Fan out to every shard for the links of `rows` (and, on their home shards, their names).
pub(super) async fn gather(
    console: &impl Sources,
    staff: &Staff,
    rows: &[RegistryRow],
) -> Result<LookupResult> {
    let shards = console.shards().await?;
    let mut result = LookupResult {
        kind: String::new(),
        looked_up: String::new(),
        people: Vec::new(),
        truncated: false,
        shards_total: shards.len(),
        shards_asked: Vec::new(),
        silent: Vec::new(),
        audit_id: 0,
        generated_at_ms: now_ms(),
    };
    if rows.is_empty() {
        return Ok(result);
    }
    result.shards_asked = shards.iter().map(|s| s.id.clone()).collect();
    let directory = crate::tenants::directory_cached(console).await?;
    let names: BTreeMap<i64, String> = directory
        .iter()
        .map(|t| (t.org_id, t.name.clone()))
        .collect();
    let persons: Vec<i64> = rows.iter().map(|r| r.patient_person_id).collect();
    let readers = console.tenant_readers();
    let deadline = console.config().engine.shard_deadline;
    let concurrency = console.config().engine.concurrency;
    let outcomes = fan_out(shards.iter().cloned().collect(), concurrency, |shard| {
        let orgs: Vec<i64> = directory
            .iter()
            .filter(|t| t.shard_id == shard.id)
            .map(|t| t.org_id)
            .collect();
        let request = ShardRequest {
            orgs,
            persons: persons.clone(),
            homed_here: rows
                .iter()
                .filter(|r| r.home_shard_id == shard.id)
                .map(|r| r.patient_person_id)
                .collect(),
            // Names only: a full profile is read by `full_profile`, after its audit record.
            full_profile: false,
        };
        async move {
            let id = shard.id.clone();
            let read = async {
                let readers = readers.ok_or_else(|| {
                    crate::federation::fanout::Failure::new(
                        crate::federation::fanout::FailureKind::Other,
                        "the tenant reader is not configured (SHARDSCOPE_TENANT_READER_PASSWORD)",
                    )
                })?;
                let endpoint = shard.primary.clone().map_err(|_| {
                    crate::federation::fanout::Failure::new(
                        crate::federation::fanout::FailureKind::Other,
                        "its routing row has an unusable primary URL",
                    )
                })?;
                read_shard(readers, &endpoint, staff.id, &request).await
            };
            timed(id, deadline, read).await
        }
    })
    .await;
    let mut links: Vec<(String, shard_read::Link)> = Vec::new();
    let mut profiles: BTreeMap<i64, Profile> = BTreeMap::new();
    for o in outcomes {
        match o.result {
            Ok(answer) => {
                links.extend(answer.links.into_iter().map(|l| (o.target.clone(), l)));
                profiles.extend(answer.profiles.into_iter().map(|p| (p.id, p)));
            }
            Err(f) => result.silent.push((
                o.target.clone(),
                format!("{}: {}", f.kind.label(), f.message),
            )),
        }
    }
    let known: BTreeSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
    for row in rows {
        let home_silent = result
            .silent
            .iter()
            .find(|(s, _)| *s == row.home_shard_id)
            .map(|(_, why)| why.clone());
        let profile = profiles.remove(&row.patient_person_id);
        let unreadable = |what: &str| -> String {
            if !known.contains(row.home_shard_id.as_str()) {
                format!(
                    "its home shard {} is not in the routing database (see /routing)",
                    row.home_shard_id
                )
            } else if let Some(why) = &home_silent {
                format!(
                    "its home shard {} did not answer ({why})",
                    row.home_shard_id
                )
            } else {
                format!(
                    "no org on its home shard {} links this person, so no tenant's row-level \
                     security lets the {what} be read",
                    row.home_shard_id
                )
            }
        };
        let name = profile
            .as_ref()
            .map(|p| p.name.clone())
            .ok_or_else(|| unreadable("name"));
        let mut person_links: Vec<OrgLink> = links
            .iter()
            .filter(|(_, l)| l.person_id == row.patient_person_id)
            .map(|(shard, l)| OrgLink {
                org_id: l.org_id,
                org_name: names.get(&l.org_id).cloned().unwrap_or_default(),
                shard_id: shard.clone(),
                profile_shared: l.profile_shared,
            })
            .collect();
        person_links.sort_by(|a, b| (&a.shard_id, a.org_id).cmp(&(&b.shard_id, b.org_id)));
        result.people.push(Person {
            person_id: row.patient_person_id,
            has_login: row.user_id.is_some(),
            home_shard_id: row.home_shard_id.clone(),
            name,
            links: person_links,
            unknown: result.silent.clone(),
            profile: None,
        });
    }
    Ok(result)
}
