//! The routing DB's `patient_person_registry`: hashes and home shards only ("does this patient
//! exist, and which shard holds their profile?"). Read with the console's routing role.

use sqlx::PgPool;

use super::identifier::Identifier;
use crate::error::Result;

/// At most this many people are listed for one identifier (a phone a whole family shares is a
/// handful; more means the identifier is not a person's).
pub const MAX_PEOPLE: i64 = 20;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RegistryRow {
    pub patient_person_id: i64,
    pub user_id: Option<i64>,
    pub home_shard_id: String,
    /// The registry's hashes (for the break-glass reason check; never shown).
    pub phone_hash: Option<String>,
    pub email_hash: Option<String>,
}

/// The people an identifier names (one more than [`MAX_PEOPLE`] is fetched to say "more").
#[tracing::instrument(skip_all, fields(kind = identifier.kind()), err(level = "debug"))]
pub async fn find(routing: &PgPool, identifier: &Identifier) -> Result<Vec<RegistryRow>> {
    let limit = MAX_PEOPLE + 1;
    let query = match identifier {
        Identifier::Phone(_) => sqlx::query_as(
            "SELECT patient_person_id, user_id, home_shard_id, phone_hash, email_hash
               FROM patient_person_registry
              WHERE phone_hash = $1 ORDER BY patient_person_id LIMIT $2",
        )
        .bind(identifier.hash()),
        Identifier::Email(_) => sqlx::query_as(
            "SELECT patient_person_id, user_id, home_shard_id, phone_hash, email_hash
               FROM patient_person_registry
              WHERE email_hash = $1 ORDER BY patient_person_id LIMIT $2",
        )
        .bind(identifier.hash()),
        Identifier::UserId(id) => sqlx::query_as(
            "SELECT patient_person_id, user_id, home_shard_id, phone_hash, email_hash
               FROM patient_person_registry
              WHERE user_id = $1 ORDER BY patient_person_id LIMIT $2",
        )
        .bind(*id),
    };
    Ok(query.bind(limit).fetch_all(routing).await?)
}

/// One person by id (a profile opening).
#[tracing::instrument(skip(routing), err(level = "debug"))]
pub async fn by_person(routing: &PgPool, person_id: i64) -> Result<Option<RegistryRow>> {
    Ok(sqlx::query_as(
        "SELECT patient_person_id, user_id, home_shard_id, phone_hash, email_hash
               FROM patient_person_registry
          WHERE patient_person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(routing)
    .await?)
}
