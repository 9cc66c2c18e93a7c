//! What one shard knows about a set of people, read the way the platform reads: the tenant-reader
//! role (no BYPASSRLS) in one read-only transaction, the RLS context set with `SET LOCAL` for one
//! org at a time. Under each org's context the `patients` policy shows that org's links only, so
//! the shard's links are the union over the orgs routed to it; a profile is read by primary key
//! under the context of an org that links it (the `patient_persons` policy).

use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};

use crate::federation::endpoint::Endpoint;
use crate::federation::fanout::Failure;
use crate::federation::pools::ShardPools;
use crate::tenants::reader::begin_scoped;

/// An org-patient link (`patients` row) as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub org_id: i64,
    pub person_id: i64,
    pub profile_shared: bool,
}

/// The portable profile (`patient_persons`). Support sees `name` only: the other fields are read
/// only for a superadmin who gave a reason.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub blood_type: Option<String>,
    pub allergies: Option<Vec<String>>,
    pub chronic_conditions: Option<Vec<String>>,
    pub emergency_contact_name: Option<String>,
    pub insurance_entries: Option<String>,
}

/// Prints the id only: a profile is PHI.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What to read on one shard.
#[derive(Clone, Debug)]
pub struct ShardRequest {
    /// Orgs routed to this shard (their contexts are where links can be seen).
    pub orgs: Vec<i64>,
    /// Every person looked up.
    pub persons: Vec<i64>,
    /// The persons whose home is this shard: their profiles are read here.
    pub homed_here: Vec<i64>,
    pub full_profile: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardAnswer {
    pub links: Vec<Link>,
    /// Profiles of the persons homed here that some org on the shard links (by person id).
    pub profiles: Vec<Profile>,
    /// Under some org's context another org's rows were visible: RLS does not isolate here.
    pub isolation_broken: bool,
}

const NAME_ONLY: &str = "SELECT id, name, NULL::text AS date_of_birth, NULL::text AS sex,
        NULL::text AS blood_type, NULL::text[] AS allergies, NULL::text[] AS chronic_conditions,
        NULL::text AS emergency_contact_name, NULL::text AS insurance_entries
   FROM patient_persons WHERE id = $1";
const FULL: &str = "SELECT id, name, date_of_birth::text AS date_of_birth, sex, blood_type,
        allergies, chronic_conditions, emergency_contact_name,
        insurance_entries::text AS insurance_entries
   FROM patient_persons WHERE id = $1";

async fn set_org(tx: &mut Transaction<'static, Postgres>, org: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('app.current_org_id', $1, true)")
        .bind(org.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Read links (and the profiles homed here) on one shard's primary.
#[tracing::instrument(skip(readers, request), fields(endpoint = %endpoint, orgs = request.orgs.len(), persons = request.persons.len()), err(level = "debug"))]
pub async fn read_shard(
    readers: &ShardPools,
    endpoint: &Endpoint,
    staff_id: i64,
    request: &ShardRequest,
) -> Result<ShardAnswer, Failure> {
    crate::federation::pools::with_reconnect(readers, endpoint, |pool| async move {
        let Some(first) = request.orgs.first() else {
            return Ok(ShardAnswer::default());
        };
        let mut tx = begin_scoped(&pool, *first, staff_id).await?;
        let mut answer = ShardAnswer::default();
        for org in &request.orgs {
            set_org(&mut tx, *org).await?;
            let rows: Vec<(i64, i64, bool)> = sqlx::query_as(
                "SELECT organization_id, patient_person_id, profile_shared FROM patients
                  WHERE patient_person_id = ANY($1) ORDER BY patient_person_id",
            )
            .bind(&request.persons)
            .fetch_all(&mut *tx)
            .await?;
            // Only what this org's context should show. Another org's row here means RLS does
            // not isolate orgs on this shard: the shard's links are withheld (below), never mixed.
            if rows.iter().any(|(o, _, _)| o != org) {
                answer.isolation_broken = true;
            }
            answer
                .links
                .extend(rows.into_iter().filter(|(o, _, _)| o == org).map(
                    |(org_id, person_id, profile_shared)| Link {
                        org_id,
                        person_id,
                        profile_shared,
                    },
                ));
        }
        for person in &request.homed_here {
            let Some(org) = profile_context(&answer.links, *person) else {
                continue;
            };
            set_org(&mut tx, org).await?;
            let sql = if request.full_profile {
                FULL
            } else {
                NAME_ONLY
            };
            if let Some(p) = sqlx::query_as::<_, Profile>(sql)
                .bind(person)
                .fetch_optional(&mut *tx)
                .await?
            {
                answer.profiles.push(p);
            }
        }
        tx.rollback().await?;
        Ok(answer)
    })
    .await
    .and_then(|answer| {
        if answer.isolation_broken {
            Err(Failure::new(
                crate::federation::fanout::FailureKind::Query,
                "row-level security does not isolate orgs on this shard (another org's links are \
                 visible under one org's context): its links are withheld, see /compliance",
            ))
        } else {
            Ok(answer)
        }
    })
}

/// The org whose context reads `person`'s profile: one that links the person here, preferring
/// one they consented to share their profile with (then the lowest id, so it is stable).
fn profile_context(links: &[Link], person: i64) -> Option<i64> {
    links
        .iter()
        .filter(|l| l.person_id == person)
        .min_by_key(|l| (!l.profile_shared, l.org_id))
        .map(|l| l.org_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(org_id: i64, person_id: i64, profile_shared: bool) -> Link {
        Link {
            org_id,
            person_id,
            profile_shared,
        }
    }

    #[test]
    fn a_profile_is_read_under_an_org_the_person_consented_to_share_with() {
        let links = [
            link(3, 7, false),
            link(9, 7, true),
            link(5, 7, true),
            link(1, 8, true),
        ];
        assert_eq!(profile_context(&links, 7), Some(5), "consented, lowest id");
        let unshared = [link(4, 7, false), link(2, 7, false)];
        assert_eq!(
            profile_context(&unshared, 7),
            Some(2),
            "no consent: any link"
        );
        assert_eq!(profile_context(&links, 6), None, "not linked here");
    }
}
