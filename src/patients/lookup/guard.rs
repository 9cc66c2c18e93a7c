//! What every lookup and opening passes first: the role, the per-staff limit, and the audit
//! record written before any answer is shown.

use crate::auth::lookup_limit::LimitVerdict;
use crate::auth::{AuditAction, AuditDetail, AuditEvent, Capability, Staff};
use crate::error::{Error, Result};
use crate::partial::Failure;
use crate::tenants::Sources;

pub(super) fn require(staff: &Staff, capability: Capability) -> Result<()> {
    if staff.role.allows(capability) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "your role ({}) does not allow this",
            staff.role
        )))
    }
}

pub(super) async fn limit(console: &impl Sources, staff: &Staff, client_addr: &str) -> Result<()> {
    let limiter = &console.auth().lookups;
    match limiter.check(staff.id).await? {
        LimitVerdict::Allowed => Ok(()),
        LimitVerdict::Limited { retry_after, first } => {
            if first {
                // Once per window: a flood of refusals must not become a flood of records.
                let _ = audit(
                    console,
                    staff,
                    client_addr,
                    AuditAction::LookupLimited,
                    format!("staff:{}", staff.id),
                    AuditDetail::default(),
                )
                .await;
            }
            Err(crate::auth::lookup_limit::refusal(
                limiter.max(),
                limiter.window(),
                retry_after,
            ))
        }
    }
}

pub(super) async fn audit(
    console: &impl Sources,
    staff: &Staff,
    client_addr: &str,
    action: AuditAction,
    target: String,
    detail: AuditDetail,
) -> Result<i64> {
    let event = AuditEvent {
        staff: Some(staff.clone()),
        action,
        target,
        client_addr: client_addr.to_string(),
        detail,
    };
    console.auth().audit.record(&event).await.map_err(|e| {
        tracing::warn!(error = %e, action = %action, "patient audit record not written; result withheld");
        Error::RoutingUnavailable(Failure::other(
            "the access audit could not be written, so the result is not shown; try again",
        ))
    })
}
