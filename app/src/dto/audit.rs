//! The access audit page.

use serde::{Deserialize, Serialize};

/// The `/audit` filters as typed (parsed and checked on the server).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub staff: Option<String>,
    pub addr: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before: Option<String>,
    /// A patient lookup's subject (`phone:<sha256>`, `person:<id>`, …): every lookup of it.
    pub subject: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRowDto {
    pub id: i64,
    pub at_ms: i64,
    pub staff_email: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub client_addr: String,
    pub exported: bool,
    /// Patient lookups: the break-glass reason, the subject (a hash), people found, shards asked.
    pub reason: String,
    pub subject: String,
    pub result_count: Option<i32>,
    pub shards: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPageDto {
    /// When the page was read (Unix ms): "now" for the rows' relative ages.
    pub generated_at_ms: u64,
    pub rows: Vec<AuditRowDto>,
    /// Cursor of the next (older) page, when there may be one.
    pub next_before: Option<i64>,
    /// Records not yet shipped to ClickHouse.
    pub unexported: Option<i64>,
}

/// Every audit action name, for the filter's choices (a known list, so a select). The server's
/// `AuditAction::ALL` is the source; a test checks the two agree.
pub const AUDIT_ACTIONS: &[&str] = &[
    "sign_in",
    "sign_out",
    "sign_in_failed",
    "sign_in_limited",
    "view_tenant",
    "account_added",
    "password_reset",
    "account_disabled",
    "account_enabled",
    "role_changed",
    "lookup_patient",
    "open_patient_profile",
    "lookup_limited",
    "open_patient_profile_refused",
];

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_audit_filter_offers_every_action_the_server_records() {
        let server: Vec<String> = shardscope::auth::AuditAction::ALL
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(server, super::AUDIT_ACTIONS);
    }
}

#[cfg(feature = "ssr")]
impl From<shardscope::auth::AuditRecord> for AuditRowDto {
    fn from(r: shardscope::auth::AuditRecord) -> Self {
        Self {
            id: r.id,
            at_ms: r.at_ms,
            staff_email: r.staff_email,
            role: r.role,
            action: r.action,
            target: r.target,
            client_addr: r.client_addr,
            exported: r.exported,
            reason: r.detail.reason,
            subject: r.detail.subject,
            result_count: r.detail.result_count,
            shards: r.detail.shards,
        }
    }
}
