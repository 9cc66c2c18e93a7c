//! The platform's `assign_shard` rules as a preview: where a new org would go. Pure.

use serde::{Deserialize, Serialize};

use super::CapacityRow;
use crate::error::{Error, Result};

pub const ENTERPRISE_ABOVE: i64 = 50_000;
const MAX_PATIENTS: i64 = 10_000_000;

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
