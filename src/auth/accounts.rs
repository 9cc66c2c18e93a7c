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

/// A staff account as the console sees it (no password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
}

/// Account changes made while signed in take effect within this long on every instance.
const CACHE_TTL: Duration = Duration::from_secs(5);

pub struct Accounts {
    pool: PgPool,
    cache: Mutex<HashMap<i64, (Instant, Option<Staff>)>>,
    /// One lookup in flight per account: when the cache expires under load, hundreds of requests
    /// of one user would otherwise each take a routing-DB connection (measured: pool timeouts).
    inflight: crate::coalesce::Coalescer<i64, Result<Option<Staff>, String>>,
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

fn staff_from(id: i64, email: String, role: String, disabled: bool) -> Result<Staff> {
    let role = role
        .parse::<Role>()
        .map_err(|e| Error::Config(format!("account {id}: {e}")))?;
    Ok(Staff {
        id,
        email,
        role,
        disabled,
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
        let row: Option<(i64, String, String, bool, String)> = sqlx::query_as(
            "SELECT id, email, role, disabled_at IS NOT NULL, password_hash
               FROM console.staff WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, email, role, disabled, hash)| {
            Ok((staff_from(id, email, role, disabled)?, hash))
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
                let row: Option<(i64, String, String, bool)> = sqlx::query_as(
                    "SELECT id, email, role, disabled_at IS NOT NULL FROM console.staff WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&pool)
                .await
                .map_err(|e| e.to_string())?;
                row.map(|(id, email, role, disabled)| staff_from(id, email, role, disabled))
                    .transpose()
                    .map_err(|e| e.to_string())
            })
            .await;
        let staff = looked_up.map_err(Error::RoutingUnavailable)?;
        self.lock().insert(id, (Instant::now(), staff.clone()));
        Ok(staff)
    }

    #[tracing::instrument(skip(self), err)]
    pub async fn stamp_sign_in(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE console.staff SET last_sign_in_at = now() WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Instant, Option<Staff>)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Account administration, run by the CLI as the routing DB's owner.
pub mod admin {
    use super::*;

    /// Create an account, or (if the email exists) set its role and password and enable it.
    #[tracing::instrument(skip(pool, password), err)]
    pub async fn upsert(pool: &PgPool, email: &str, role: Role, password: &str) -> Result<Staff> {
        let email = normalise_email(email)?;
        password::validate_new(password)?;
        let owned = password.to_string();
        let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
            .await
            .map_err(|e| Error::Config(format!("hashing task failed: {e}")))??;
        let (id, email, role_s): (i64, String, String) = sqlx::query_as(
            "INSERT INTO console.staff (email, role, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT (email) DO UPDATE
                SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash,
                    disabled_at = NULL, updated_at = now()
             RETURNING id, email, role",
        )
        .bind(&email)
        .bind(role.as_str())
        .bind(&hash)
        .fetch_one(pool)
        .await?;
        staff_from(id, email, role_s, false)
    }

    /// Disable (or re-enable) an account. Its sessions stop working within seconds.
    #[tracing::instrument(skip(pool), err)]
    pub async fn set_disabled(pool: &PgPool, email: &str, disabled: bool) -> Result<Staff> {
        let email = normalise_email(email)?;
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "UPDATE console.staff
                SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
                    updated_at = now()
              WHERE email = $1 RETURNING id, email, role",
        )
        .bind(&email)
        .bind(disabled)
        .fetch_optional(pool)
        .await?;
        let (id, email, role) = row.ok_or_else(|| no_account(&email))?;
        staff_from(id, email, role, disabled)
    }

    #[tracing::instrument(skip(pool), err)]
    pub async fn set_role(pool: &PgPool, email: &str, role: Role) -> Result<Staff> {
        let email = normalise_email(email)?;
        let row: Option<(i64, String, String, bool)> = sqlx::query_as(
            "UPDATE console.staff SET role = $2, updated_at = now() WHERE email = $1
             RETURNING id, email, role, disabled_at IS NOT NULL",
        )
        .bind(&email)
        .bind(role.as_str())
        .fetch_optional(pool)
        .await?;
        let (id, email, role, disabled) = row.ok_or_else(|| no_account(&email))?;
        staff_from(id, email, role, disabled)
    }

    #[tracing::instrument(skip(pool), err)]
    pub async fn list(pool: &PgPool) -> Result<Vec<Staff>> {
        let rows: Vec<(i64, String, String, bool)> = sqlx::query_as(
            "SELECT id, email, role, disabled_at IS NOT NULL FROM console.staff ORDER BY email",
        )
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|(id, email, role, disabled)| staff_from(id, email, role, disabled))
            .collect()
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
