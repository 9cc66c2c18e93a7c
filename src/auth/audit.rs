//! The access audit: who did what, to which target, when, from where. One record per sign-in,
//! sign-out, failed or refused sign-in, tenant view and account change. Written to the routing DB's
//! `console.audit_events` (the record of truth, append-only for the console's role) and shipped
//! to ClickHouse `audit_events` by [`super::audit_export`]. Targets never hold PHI or what a user
//! typed into a failed sign-in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::accounts::Staff;
use crate::error::{Error, Result};

mod filter;
mod store;
pub mod table;

pub use filter::parse_filter;
pub use store::{AuditLog, PAGE_SIZE, insert};

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
