//! The patient lookup. What is posted (the form: in a request body, never a URL) and what the
//! page shows. Never cached, never stored by the browser (`no-store` like every page).

use serde::{Deserialize, Serialize};

use super::SummaryDto;

/// The `/patients` form as posted: `op` = `lookup` (q, kind, region) or `open` (person, reason).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatientsForm {
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub reason: String,
}

/// Never prints what was typed.
impl std::fmt::Debug for PatientsForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientsForm")
            .field("op", &self.op)
            .field("kind", &self.kind)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgLinkDto {
    pub org_id: i64,
    pub org_name: String,
    pub shard_id: String,
    pub profile_shared: bool,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileDto {
    pub date_of_birth: String,
    pub sex: String,
    pub blood_type: String,
    pub allergies: Vec<String>,
    pub chronic_conditions: Vec<String>,
    pub emergency_contact_name: String,
    pub insurance_entries: String,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDto {
    pub person_id: i64,
    pub has_login: bool,
    pub home_shard_id: String,
    pub name: Result<String, String>,
    pub links: Vec<OrgLinkDto>,
    pub unknown: Vec<(String, String)>,
    pub profile: Option<Result<ProfileDto, String>>,
}

/// PHI: `Debug` of these prints ids and counts only.
impl std::fmt::Debug for ProfileDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfileDto(..)")
    }
}

impl std::fmt::Debug for PersonDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonDto")
            .field("person_id", &self.person_id)
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientsResultDto {
    /// "phone", "email", "user" (a lookup) or "person" (a profile opening).
    pub kind: String,
    pub looked_up: String,
    pub people: Vec<PersonDto>,
    pub truncated: bool,
    pub summary: SummaryDto,
    pub shards_asked: Vec<String>,
    pub audit_id: i64,
    pub generated_at_ms: u64,
}

impl std::fmt::Debug for PatientsResultDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientsResultDto")
            .field("kind", &self.kind)
            .field("people", &self.people)
            .field("audit_id", &self.audit_id)
            .finish_non_exhaustive()
    }
}

/// The page: the form's choices, who may open profiles, and the answer to what was posted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatientsPageDto {
    pub default_region: String,
    pub regions: Vec<String>,
    pub can_open: bool,
    /// What was posted, echoed into the form (the answer to a POST only).
    pub form: PatientsForm,
    /// None for the empty form; Err: the message (the response's status says which kind).
    pub result: Option<Result<PatientsResultDto, String>>,
}

#[cfg(feature = "ssr")]
mod from_backend {
    use super::*;
    use shardscope::patients::{LookupResult, OrgLink, Person, Profile};

    impl From<OrgLink> for OrgLinkDto {
        fn from(l: OrgLink) -> Self {
            Self {
                org_id: l.org_id,
                org_name: l.org_name,
                shard_id: l.shard_id,
                profile_shared: l.profile_shared,
            }
        }
    }

    impl From<Profile> for ProfileDto {
        fn from(p: Profile) -> Self {
            Self {
                date_of_birth: p.date_of_birth.unwrap_or_default(),
                sex: p.sex.unwrap_or_default(),
                blood_type: p.blood_type.unwrap_or_default(),
                allergies: p.allergies.unwrap_or_default(),
                chronic_conditions: p.chronic_conditions.unwrap_or_default(),
                emergency_contact_name: p.emergency_contact_name.unwrap_or_default(),
                insurance_entries: p.insurance_entries.unwrap_or_default(),
            }
        }
    }

    impl From<Person> for PersonDto {
        fn from(p: Person) -> Self {
            Self {
                person_id: p.person_id,
                has_login: p.has_login,
                home_shard_id: p.home_shard_id,
                name: p.name,
                links: p.links.into_iter().map(Into::into).collect(),
                unknown: p.unknown,
                profile: p.profile.map(|r| r.map(Into::into)),
            }
        }
    }

    impl From<LookupResult> for PatientsResultDto {
        fn from(r: LookupResult) -> Self {
            Self {
                summary: SummaryDto {
                    answered: r.shards_asked.len().saturating_sub(r.silent.len()),
                    total: r.shards_asked.len(),
                    failed: r.silent.clone(),
                    ..Default::default()
                },
                kind: r.kind,
                looked_up: r.looked_up,
                people: r.people.into_iter().map(Into::into).collect(),
                truncated: r.truncated,
                shards_asked: r.shards_asked,
                audit_id: r.audit_id,
                generated_at_ms: r.generated_at_ms,
            }
        }
    }
}
