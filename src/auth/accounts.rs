//! Staff accounts in the routing DB's `console` schema.
//!
//! The console reads accounts (and stamps the last sign-in); creating, disabling and changing
//! roles is done by the `user` CLI as the database owner.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::password;
use super::role::Role;
use crate::error::{Error, Result};
use crate::partial::{Failure, Partial};

/// A staff account as the console sees it (no password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    /// Unix milliseconds (database clock) of the last password (re)set: sessions signed in
    /// before it are over.
    #[serde(default)]
    pub credentials_changed_ms: i64,
}

/// Account changes made while signed in take effect within this long on every instance.
const CACHE_TTL: Duration = Duration::from_secs(5);

pub struct Accounts {
    pool: PgPool,
    cache: Mutex<HashMap<i64, (Instant, Option<Staff>)>>,
    /// One lookup in flight per account: when the cache expires under load, hundreds of requests
    /// of one user would otherwise each take a routing-DB connection (measured: pool timeouts).
    inflight: crate::coalesce::Coalescer<i64, Partial<Option<Staff>>>,
}

/// Lower-cased, trimmed, and plausibly an address (the CLI and the sign-in form both use this).
pub fn normalise_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Error::InvalidInput(
            "enter an email address such as name@example.org".into(),
        ))
    }
}

/// id, email, role, disabled, credentials_changed_at (unix ms).
type StaffRow = (i64, String, String, bool, i64);

fn staff_from((id, email, role, disabled, credentials_changed_ms): StaffRow) -> Result<Staff> {
    let role = role
        .parse::<Role>()
        .map_err(|e| Error::Config(format!("account {id}: {e}")))?;
    Ok(Staff {
        id,
        email,
        role,
        disabled,
        credentials_changed_ms,
    })
}

impl Accounts {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cache: Mutex::new(HashMap::new()),
            inflight: Default::default(),
        }
    }

    /// The account and its password hash, for a sign-in attempt.
    #[tracing::instrument(skip_all, err)]
    pub async fn for_sign_in(&self, email: &str) -> Result<Option<(Staff, String)>> {
        let row: Option<(i64, String, String, bool, i64, String)> = sqlx::query_as(
            "SELECT id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8,
                    password_hash
               FROM console.staff WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, email, role, disabled, changed, hash)| {
            Ok((staff_from((id, email, role, disabled, changed))?, hash))
        })
        .transpose()
    }

    /// The account behind a session (cached for a few seconds per instance).
    #[tracing::instrument(skip(self), err)]
    pub async fn by_id(&self, id: i64) -> Result<Option<Staff>> {
        if let Some((at, staff)) = self.lock().get(&id)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(staff.clone());
        }
        let pool = self.pool.clone();
        let looked_up = self
            .inflight
            .run(id, move || async move {
                let row: Option<StaffRow> = sqlx::query_as(
                    "SELECT id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8
                       FROM console.staff WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&pool)
                .await
                .map_err(|e| Failure::from_sqlx(&e))?;
                row.map(staff_from).transpose().map_err(|e| e.failure())
            })
            .await;
        let staff = looked_up.map_err(Error::RoutingUnavailable)?;
        self.lock().insert(id, (Instant::now(), staff.clone()));
        Ok(staff)
    }

    #[tracing::instrument(skip(self), err)]
    /// Record a sign-in; returns its time by the database clock (unix ms), the same clock as
    /// `credentials_changed_ms`, so console clock skew cannot keep a session alive past a reset.
    pub async fn stamp_sign_in(&self, id: i64) -> Result<i64> {
        let (at,): (i64,) = sqlx::query_as(
            "UPDATE console.staff SET last_sign_in_at = now() WHERE id = $1
             RETURNING (EXTRACT(EPOCH FROM now()) * 1000)::int8",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(at)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, Option<Staff>)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Account administration, run by the CLI as the routing DB's owner.
pub mod admin {
    use super::*;

    /// Create an account, or (if the email exists) set its role and password, enable it, and end
    /// its sessions. Returns the account and whether it was created.
    #[tracing::instrument(skip(pool, password), err)]
    pub async fn upsert(
        pool: &PgPool,
        email: &str,
        role: Role,
        password: &str,
    ) -> Result<(Staff, bool)> {
        let email = normalise_email(email)?;
        password::validate_new(password)?;
        let owned = password.to_string();
        let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
            .await
            .map_err(|e| Error::Config(format!("hashing task failed: {e}")))??;
        let (id, email, role_s, disabled, changed, created): (i64, String, String, bool, i64, bool) =
            sqlx::query_as(
                "INSERT INTO console.staff (email, role, password_hash) VALUES ($1, $2, $3)
                 ON CONFLICT (email) DO UPDATE
                    SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash,
                        disabled_at = NULL, updated_at = now(), credentials_changed_at = now()
                 RETURNING id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8,
                           (xmax = 0)",
            )
            .bind(&email)
            .bind(role.as_str())
            .bind(&hash)
            .fetch_one(pool)
            .await?;
        Ok((staff_from((id, email, role_s, disabled, changed))?, created))
    }

    /// Disable (or re-enable) an account. Its sessions stop working within seconds.
    #[tracing::instrument(skip(pool), err)]
    pub async fn set_disabled(pool: &PgPool, email: &str, disabled: bool) -> Result<Staff> {
        let email = normalise_email(email)?;
        let row: Option<StaffRow> = sqlx::query_as(
            "UPDATE console.staff
                SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
                    updated_at = now()
              WHERE email = $1
              RETURNING id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8",
        )
        .bind(&email)
        .bind(disabled)
        .fetch_optional(pool)
        .await?;
        staff_from(row.ok_or_else(|| no_account(&email))?)
    }

    #[tracing::instrument(skip(pool), err)]
    pub async fn set_role(pool: &PgPool, email: &str, role: Role) -> Result<Staff> {
        let email = normalise_email(email)?;
        let row: Option<StaffRow> = sqlx::query_as(
            "UPDATE console.staff SET role = $2, updated_at = now() WHERE email = $1
             RETURNING id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8",
        )
        .bind(&email)
        .bind(role.as_str())
        .fetch_optional(pool)
        .await?;
        staff_from(row.ok_or_else(|| no_account(&email))?)
    }

    #[tracing::instrument(skip(pool), err)]
    pub async fn list(pool: &PgPool) -> Result<Vec<Staff>> {
        let rows: Vec<StaffRow> = sqlx::query_as(
            "SELECT id, email, role, disabled_at IS NOT NULL, (EXTRACT(EPOCH FROM credentials_changed_at) * 1000)::int8
               FROM console.staff ORDER BY email",
        )
        .fetch_all(pool)
        .await?;
        rows.into_iter().map(staff_from).collect()
    }

    fn no_account(email: &str) -> Error {
        Error::InvalidInput(format!(
            "no account {email}; create it with `user add --email {email} --role ROLE`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused_with_an_example() {
        assert_eq!(
            normalise_email("  Support@ShardScope.test ").unwrap(),
            "support@shardscope.test"
        );
        for bad in ["", "support", "@x.test", "a@b", "a b@c.test", "a@.test"] {
            let e = normalise_email(bad).unwrap_err().to_string();
            assert!(e.contains("name@example.org"), "{bad:?}: {e}");
        }
    }
}
