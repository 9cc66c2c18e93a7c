//! The lookup and the opening: registry, then every shard in parallel, then one audit record.

mod gather;
mod guard;

use serde::{Deserialize, Serialize};

use super::registry::{self, RegistryRow};
use super::shard_read::{Profile, ShardRequest, read_shard};
use super::{Identifier, Reason, reason};
use crate::auth::{AuditAction, AuditDetail, Capability, Staff};
use crate::error::{Error, Result};
use crate::federation::fanout::timed;
use crate::tenants::Sources;
use gather::gather;
use guard::{audit, limit, require};

/// One clinic a person is registered at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgLink {
    pub org_id: i64,
    /// From the routing DB's directory (empty when the org has no summary row yet).
    pub org_name: String,
    pub shard_id: String,
    /// The patient consented to share the portable profile with this org.
    pub profile_shared: bool,
}

/// One person found. `Debug` prints ids and counts only (the name and profile are PHI).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub person_id: i64,
    pub has_login: bool,
    pub home_shard_id: String,
    /// The name from the home shard, or why it could not be read.
    pub name: std::result::Result<String, String>,
    pub links: Vec<OrgLink>,
    /// Shards whose links are unknown, and why (never "no links").
    pub unknown: Vec<(String, String)>,
    /// The full portable profile (a superadmin's opening only).
    pub profile: Option<std::result::Result<Profile, String>>,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("person_id", &self.person_id)
            .field("home_shard_id", &self.home_shard_id)
            .field("links", &self.links.len())
            .field("unknown", &self.unknown.len())
            .finish_non_exhaustive()
    }
}

/// A lookup's or an opening's answer, as the page shows it. `Debug` leaves out what was looked up.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LookupResult {
    /// "phone", "email", "user" or "person".
    pub kind: String,
    /// The E.164 phone / normalised email / id that was looked up (shown back to the staff member
    /// who typed it, in the POST's answer only).
    pub looked_up: String,
    pub people: Vec<Person>,
    /// More people than [`registry::MAX_PEOPLE`] share the identifier: only the first are listed.
    pub truncated: bool,
    pub shards_total: usize,
    /// The shards asked (every shard, once anyone was found; none when nobody was).
    pub shards_asked: Vec<String>,
    /// Shards that did not answer, and why.
    pub silent: Vec<(String, String)>,
    pub audit_id: i64,
    pub generated_at_ms: u64,
}

impl std::fmt::Debug for LookupResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupResult")
            .field("kind", &self.kind)
            .field("people", &self.people)
            .field("silent", &self.silent)
            .field("audit_id", &self.audit_id)
            .finish_non_exhaustive()
    }
}

/// Look up an identifier: names and linked orgs. Audited (`lookup_patient`) after the reads and
/// before anything is returned; without the record nothing is shown.
#[tracing::instrument(skip_all, fields(staff_id = staff.id, kind = identifier.kind()), err(level = "debug"))]
pub async fn lookup(
    console: &impl Sources,
    staff: &Staff,
    client_addr: &str,
    identifier: &Identifier,
) -> Result<LookupResult> {
    require(staff, Capability::LookupPatients)?;
    limit(console, staff, client_addr).await?;
    let rows = registry::find(console.routing(), identifier).await?;
    let truncated = rows.len() as i64 > registry::MAX_PEOPLE;
    let rows: Vec<RegistryRow> = rows
        .into_iter()
        .take(registry::MAX_PEOPLE as usize)
        .collect();
    let mut result = gather(console, staff, &rows).await?;
    result.kind = identifier.kind().into();
    result.looked_up = identifier.normalised();
    result.truncated = truncated;
    let detail = AuditDetail {
        reason: String::new(),
        subject: identifier.audit_subject(&console.config().keys),
        result_count: Some(result.people.len() as i32),
        shards: result.shards_asked.clone(),
    };
    result.audit_id = audit(
        console,
        staff,
        client_addr,
        AuditAction::LookupPatient,
        identifier.audit_subject(&console.config().keys),
        detail,
    )
    .await?;
    Ok(result)
}

/// A superadmin opens one person's full portable profile, giving a reason (break-glass).
/// Audited (`open_patient_profile`, with the reason) before the result is returned.
#[tracing::instrument(skip(console, staff, client_addr, reason), fields(staff_id = staff.id), err(level = "debug"))]
pub async fn open_profile(
    console: &impl Sources,
    staff: &Staff,
    client_addr: &str,
    person_id: i64,
    reason: &str,
) -> Result<LookupResult> {
    require(staff, Capability::OpenPatientProfile)?;
    // Every refused reason is recorded (its rule, never its text): trying reasons to confirm a
    // patient's name or phone leaves a trace.
    let refuse = |refusal: reason::Refusal| async move {
        let detail = AuditDetail {
            reason: format!("refused: {}", refusal.rule()),
            subject: format!("person:{person_id}"),
            result_count: None,
            shards: Vec::new(),
        };
        let target = format!("person:{person_id}");
        match audit(
            console,
            staff,
            client_addr,
            AuditAction::OpenPatientProfileRefused,
            target,
            detail,
        )
        .await
        {
            Ok(_) => reason::refusal_error(refusal),
            Err(e) => e,
        }
    };
    // The attempt is counted first (refused attempts too: they would otherwise be an
    // unlimited supply of audit rows), then refused before anything is read if its reason is.
    limit(console, staff, client_addr).await?;
    let reason = match Reason::check(reason, &[]) {
        Ok(r) => r,
        Err(refusal) => return Err(refuse(refusal).await),
    };
    let Some(row) = registry::by_person(console.routing(), person_id).await? else {
        return Err(Error::InvalidInput(format!(
            "no person {person_id} in the patient registry: look the patient up by phone or email first"
        )));
    };
    // The reason must not carry the patient's phone or email (known here as registry hashes):
    // checked before any shard is read.
    let hashes: Vec<String> = [row.phone_hash.clone(), row.email_hash.clone()]
        .into_iter()
        .flatten()
        .collect();
    if reason.mentions(&hashes, &console.config().patients.default_region) {
        return Err(refuse(reason::Refusal::NamesThePatient).await);
    }
    // Names and links first (what a lookup shows), so the reason can be checked against the name.
    let mut result = gather(console, staff, std::slice::from_ref(&row)).await?;
    let names: Vec<String> = result
        .people
        .iter()
        .filter_map(|p| p.name.clone().ok())
        .collect();
    if let Err(refusal) = Reason::check(reason.as_str(), &names) {
        return Err(refuse(refusal).await);
    }
    result.kind = "person".into();
    result.looked_up = person_id.to_string();
    // Recorded before the full profile is read: no profile is read without its record.
    let detail = AuditDetail {
        reason: reason.as_str().to_string(),
        subject: format!("person:{person_id}"),
        result_count: Some(result.people.len() as i32),
        shards: result.shards_asked.clone(),
    };
    result.audit_id = audit(
        console,
        staff,
        client_addr,
        AuditAction::OpenPatientProfile,
        format!("person:{person_id}"),
        detail,
    )
    .await?;
    let profile = full_profile(console, staff, &row, &result).await;
    if let Some(p) = result.people.first_mut() {
        p.profile = Some(profile);
    }
    Ok(result)
}

/// The full portable profile from the home shard, under the context of an org there that links
/// the person (break-glass: shown whatever the consent; the links say which clinics have it).
async fn full_profile(
    console: &impl Sources,
    staff: &Staff,
    row: &RegistryRow,
    result: &LookupResult,
) -> std::result::Result<Profile, String> {
    let person = result.people.first().ok_or("nobody to open")?;
    if let Err(why) = &person.name {
        return Err(why.clone());
    }
    let shards = console.shards().await.map_err(|e| e.to_string())?;
    let home = shards
        .iter()
        .find(|s| s.id == row.home_shard_id)
        .ok_or_else(|| {
            format!(
                "its home shard {} is not in the routing database",
                row.home_shard_id
            )
        })?;
    let endpoint = home
        .primary
        .clone()
        .map_err(|_| "its home shard's routing row has an unusable primary URL".to_string())?;
    let readers = console
        .tenant_readers()
        .ok_or("the tenant reader is not configured (SHARDSCOPE_TENANT_READER_PASSWORD)")?;
    let request = ShardRequest {
        orgs: person
            .links
            .iter()
            .filter(|l| l.shard_id == row.home_shard_id)
            .map(|l| l.org_id)
            .collect(),
        persons: vec![row.patient_person_id],
        homed_here: vec![row.patient_person_id],
        full_profile: true,
    };
    let out = timed(
        home.id.clone(),
        console.config().engine.shard_deadline,
        read_shard(readers, &endpoint, staff.id, &request),
    )
    .await;
    match out.result {
        Ok(answer) => answer
            .profiles
            .into_iter()
            .find(|p| p.id == row.patient_person_id)
            .ok_or_else(|| "no org on its home shard links this person any more".to_string()),
        Err(f) => Err(format!(
            "its home shard {} did not answer ({}: {})",
            home.id,
            f.kind.label(),
            f.message
        )),
    }
}
