//! The access audit: who did what, to which target, when, from where. One record per sign-in,
//! sign-out, failed or refused sign-in, tenant view and account change. Written to the routing DB's
//! `console.audit_events` (the record of truth, append-only for the console's role) and shipped
//! to ClickHouse `audit_events` by [`super::audit_export`]. Targets never hold PHI or what a user
//! typed into a failed sign-in.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::Notify;

use super::accounts::Staff;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignOut,
    SignInFailed,
    /// Refused by the rate limit before the password was checked.
    SignInLimited,
    ViewTenant,
    AccountAdded,
    /// `user add` on an existing account: role and password set, enabled, sessions ended.
    PasswordReset,
    AccountDisabled,
    AccountEnabled,
    RoleChanged,
    /// A cross-shard patient lookup (target: the identifier's kind and hash, never its value).
    LookupPatient,
    /// A superadmin opened a patient's full profile, with a reason (break-glass).
    OpenPatientProfile,
    /// Refused by the per-staff lookup limit (recorded once per window).
    LookupLimited,
    /// A break-glass opening refused for its reason (the rule is recorded, never the text).
    OpenPatientProfileRefused,
}

impl AuditAction {
    pub const ALL: [AuditAction; 14] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::SignInFailed,
        AuditAction::SignInLimited,
        AuditAction::ViewTenant,
        AuditAction::AccountAdded,
        AuditAction::PasswordReset,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::RoleChanged,
        AuditAction::LookupPatient,
        AuditAction::OpenPatientProfile,
        AuditAction::LookupLimited,
        AuditAction::OpenPatientProfileRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignInLimited => "sign_in_limited",
            AuditAction::ViewTenant => "view_tenant",
            AuditAction::AccountAdded => "account_added",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountEnabled => "account_enabled",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::LookupPatient => "lookup_patient",
            AuditAction::OpenPatientProfile => "open_patient_profile",
            AuditAction::LookupLimited => "lookup_limited",
            AuditAction::OpenPatientProfileRefused => "open_patient_profile_refused",
        }
    }

    /// The `outcome` column of ClickHouse `audit_events`.
    pub fn outcome(self) -> &'static str {
        match self {
            AuditAction::SignInFailed => "failed",
            AuditAction::SignInLimited
            | AuditAction::LookupLimited
            | AuditAction::OpenPatientProfileRefused => "refused",
            _ => "ok",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        AuditAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                Error::InvalidInput(format!(
                    "unknown action {s:?}; use one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// One event to record.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub staff: Option<Staff>,
    pub action: AuditAction,
    /// What was acted on: "org:101", "account:7", "unknown account". Never PHI.
    pub target: String,
    pub client_addr: String,
    /// What patient lookups add; empty for every other action.
    pub detail: AuditDetail,
}

/// The patient lookup's part of a record: why, about what (a hash), how many found, where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDetail {
    /// The break-glass reason a superadmin gave (empty otherwise).
    pub reason: String,
    /// `phone:{sha256}`, `email:{sha256}`, `user:{id}` or `person:{id}`.
    pub subject: String,
    pub result_count: Option<i32>,
    /// Shards the lookup asked.
    pub shards: Vec<String>,
}

/// One stored record, as listed on `/audit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    pub staff_email: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub client_addr: String,
    pub exported: bool,
    pub detail: AuditDetail,
}

/// Filters of the `/audit` page (all optional; newest first, paged by id).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    pub staff_email: Option<String>,
    pub client_addr: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub before_id: Option<i64>,
    /// Exact target, e.g. "org:101" (a tenant page's access history).
    pub target: Option<String>,
    /// Exact subject of a patient lookup, e.g. "phone:{sha256}" (every lookup of one identifier).
    pub subject: Option<String>,
}

pub const PAGE_SIZE: i64 = 100;

#[derive(Clone)]
pub struct AuditLog {
    pool: PgPool,
    shipped: Arc<Notify>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    at_ms: i64,
    staff_email: String,
    role: String,
    action: String,
    target: String,
    client_addr: String,
    exported: bool,
    reason: String,
    subject: String,
    result_count: Option<i32>,
    shards: Vec<String>,
}

fn record(r: RecordRow) -> AuditRecord {
    AuditRecord {
        id: r.id,
        at_ms: r.at_ms,
        staff_email: r.staff_email,
        role: r.role,
        action: r.action,
        target: r.target,
        client_addr: r.client_addr,
        exported: r.exported,
        detail: AuditDetail {
            reason: r.reason,
            subject: r.subject,
            result_count: r.result_count,
            shards: r.shards,
        },
    }
}

const COLUMNS: &str = "id, (EXTRACT(EPOCH FROM at) * 1000)::int8 AS at_ms, staff_email, role, \
     action, target, client_addr, exported_at IS NOT NULL AS exported, reason, subject, \
     result_count, shards";

impl AuditLog {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            shipped: Arc::new(Notify::new()),
        }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Woken after each record so the exporter ships it at once.
    pub(crate) fn notifier(&self) -> Arc<Notify> {
        self.shipped.clone()
    }

    /// Record one event. Returns its id.
    pub async fn record(&self, event: &AuditEvent) -> Result<i64> {
        let id = insert(&self.pool, event).await?;
        self.shipped.notify_one();
        Ok(id)
    }

    /// A page of records, newest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn list(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        if let Some(target) = &filter.target
            && *filter
                == (AuditFilter {
                    target: Some(target.clone()),
                    ..Default::default()
                })
        {
            return self.for_target(target).await;
        }
        let sql = format!(
            "SELECT {COLUMNS}
               FROM console.audit_events
              WHERE ($1::text IS NULL OR action = $1)
                AND ($2::text IS NULL OR staff_email = $2)
                AND ($3::text IS NULL OR client_addr = $3)
                AND ($4::int8 IS NULL OR at >= to_timestamp($4::float8 / 1000))
                AND ($5::int8 IS NULL OR at < to_timestamp($5::float8 / 1000))
                AND ($6::int8 IS NULL OR id < $6)
                AND ($8::text IS NULL OR target = $8)
                AND ($9::text IS NULL OR subject = $9)
              ORDER BY id DESC
              LIMIT $7"
        );
        // Assembled from constants only (the column list), never from input.
        let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(filter.action.map(|a| a.as_str()))
            .bind(filter.staff_email.as_deref())
            .bind(filter.client_addr.as_deref())
            .bind(filter.since_ms)
            .bind(filter.until_ms)
            .bind(filter.before_id)
            .bind(PAGE_SIZE)
            .bind(filter.target.as_deref())
            .bind(filter.subject.as_deref())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// The newest records about one target (a tenant page's access history), by its own index:
    /// a separate statement, because a generic plan of the filtered one cannot use it.
    async fn for_target(&self, target: &str) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM console.audit_events WHERE target = $1
              ORDER BY target, id DESC LIMIT $2"
        );
        let rows: Vec<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(target)
            .bind(PAGE_SIZE)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Records not yet in ClickHouse.
    #[tracing::instrument(skip_all, err)]
    pub async fn unexported(&self) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM console.audit_events WHERE exported_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }
}

/// Insert with any pool (the console's, or the CLI's owner pool).
#[tracing::instrument(skip_all, fields(action = %event.action), err)]
pub async fn insert(pool: &PgPool, event: &AuditEvent) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO console.audit_events (staff_id, staff_email, role, action, target, client_addr,
                                           reason, subject, result_count, shards)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(event.staff.as_ref().map(|s| s.id))
    .bind(event.staff.as_ref().map(|s| s.email.as_str()).unwrap_or(""))
    .bind(event.staff.as_ref().map(|s| s.role.as_str()).unwrap_or(""))
    .bind(event.action.as_str())
    .bind(&event.target)
    .bind(&event.client_addr)
    .bind(&event.detail.reason)
    .bind(&event.detail.subject)
    .bind(event.detail.result_count)
    .bind(&event.detail.shards)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Parse the `/audit` page's query parameters (as typed in its form) into a filter.
pub fn parse_filter(get: impl Fn(&str) -> Option<String>) -> Result<AuditFilter> {
    let text = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let action = text("action").map(|a| a.parse()).transpose()?;
    let staff_email = text("staff").map(|s| s.to_lowercase());
    let client_addr = text("addr");
    let since_ms = text("since").map(|s| parse_time("since", &s)).transpose()?;
    let until_ms = text("until").map(|s| parse_time("until", &s)).transpose()?;
    if let (Some(a), Some(b)) = (since_ms, until_ms)
        && a >= b
    {
        return Err(Error::InvalidInput(
            "\"since\" must be earlier than \"until\"".into(),
        ));
    }
    let before_id = text("before")
        .map(|b| {
            b.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::InvalidInput(format!("\"before\" must be a record id, got {b:?}"))
            })
        })
        .transpose()?;
    Ok(AuditFilter {
        action,
        staff_email,
        client_addr,
        since_ms,
        until_ms,
        before_id,
        target: text("target").filter(|t| t.chars().count() <= 200),
        subject: text("subject")
            .map(|s| {
                parse_subject(&s).ok_or_else(|| {
                    Error::InvalidInput(
                        "\"subject\" must be what a lookup record shows, e.g. phone:k1:<64 hex \
                         characters>, email:k1:<64 hex characters>, user:48213 or person:1000042 \
                         (never a raw phone or email)"
                            .into(),
                    )
                })
            })
            .transpose()?,
    })
}

/// A lookup subject as recorded: `phone:`/`email:` + key id + an HMAC hex, or `user:`/`person:`
/// + id.
fn parse_subject(s: &str) -> Option<String> {
    let (kind, rest) = s.split_once(':')?;
    match kind {
        "phone" | "email" => {
            let (key, mac) = rest.split_once(':')?;
            (crate::secret::keyring::is_key_id(key)
                && mac.len() == 64
                && mac.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| format!("{kind}:{key}:{}", mac.to_ascii_lowercase()))
        }
        "user" | "person" => rest
            .parse::<i64>()
            .is_ok_and(|n| n > 0)
            .then(|| format!("{kind}:{rest}")),
        _ => None,
    }
}

/// `2026-11-28` or `2026-11-28T09:30` (what a date / datetime-local input sends), in UTC.
pub(crate) fn parse_time(name: &str, s: &str) -> Result<i64> {
    use time::macros::format_description;
    let bad = || {
        Error::InvalidInput(format!(
            "\"{name}\" must be a date like 2026-11-28 or 2026-11-28T09:30 (UTC), got {s:?}"
        ))
    };
    let dt = if s.len() == 10 {
        time::Date::parse(s, format_description!("[year]-[month]-[day]"))
            .map_err(|_| bad())?
            .midnight()
    } else {
        time::PrimitiveDateTime::parse(
            s,
            format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        )
        .map_err(|_| bad())?
    };
    if !(1970..=9999).contains(&dt.year()) {
        return Err(bad());
    }
    Ok((dt.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn q(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn filters_parse_from_the_form() {
        let f = parse_filter(q(&[
            ("action", "sign_in_failed"),
            ("staff", " Support@Shardscope.test "),
            ("since", "2026-11-28"),
            ("until", "2026-11-28T09:30"),
            ("addr", ""),
            ("before", "42"),
        ]))
        .unwrap();
        assert_eq!(f.action, Some(AuditAction::SignInFailed));
        assert_eq!(f.staff_email.as_deref(), Some("support@shardscope.test"));
        assert_eq!(f.client_addr, None);
        assert_eq!(f.since_ms, Some(1_795_824_000_000));
        assert_eq!(f.until_ms, Some(1_795_824_000_000 + (9 * 60 + 30) * 60_000));
        assert_eq!(f.before_id, Some(42));
        assert_eq!(parse_filter(q(&[])).unwrap(), AuditFilter::default());
    }

    #[test]
    fn bad_filters_say_what_to_type() {
        let e = parse_filter(q(&[("action", "delete")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sign_in_failed"), "{e}");
        let e = parse_filter(q(&[("since", "yesterday")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("2026-11-28T09:30"), "{e}");
        let e = parse_filter(q(&[("since", "2026-11-29"), ("until", "2026-11-28")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("earlier"), "{e}");
        let e = parse_filter(q(&[("before", "-1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("record id"), "{e}");
    }

    #[test]
    fn every_action_round_trips() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().unwrap(), a);
        }
        assert_eq!(AuditAction::SignInLimited.outcome(), "refused");
    }
}
