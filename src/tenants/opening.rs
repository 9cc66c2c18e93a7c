//! Opening a tenant: the one way its page, or any of its tables as an export, is read. The org
//! must exist (a 400 otherwise, recording nothing); a link from another site opens nothing (409,
//! since opening one is recorded in the staff member's name); the view is recorded
//! (`view_tenant`) before any of its data is read, and without a record nothing is read.

use crate::auth::audit::AuditLog;
use crate::auth::{AuditAction, AuditEvent, Capability, Staff};
use crate::error::{Error, Result};
use crate::partial::Failure;
use crate::time_range::TimeRange;

use super::detail::{self, TenantPage};

/// Who opens the tenant, from where, and whether the browser said another site sent them.
pub struct Opener<'a> {
    pub staff: &'a Staff,
    pub client_addr: String,
    pub cross_site: bool,
}

/// Check, record (in `audit`), then read the tenant `org` over the range `range`/`from`/`to`
/// (from `get`).
#[tracing::instrument(skip_all, fields(staff = opener.staff.id), err(level = "debug"))]
pub async fn open(
    console: &(impl super::Sources + crate::overview::Sources + crate::telemetry::Sources),
    audit: &AuditLog,
    opener: Opener<'_>,
    org: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Result<TenantPage> {
    let org_id = detail::parse_org_id(org)?;
    let tenant = detail::find_tenant(console, org_id).await?;
    let now = (crate::clock::now_ms() / 1000) as u32;
    let range = TimeRange::parse(
        get("range").as_deref(),
        get("from").as_deref(),
        get("to").as_deref(),
        now,
    )?;
    if opener.cross_site {
        return Err(Error::Conflict(format!(
            "This link to tenant {org_id} came from another site, so the tenant was not opened \
             (opening one is recorded in your name). Open it from here if you meant to."
        )));
    }
    let staff = opener.staff;
    let event = AuditEvent {
        detail: Default::default(),
        staff: Some(staff.clone()),
        action: AuditAction::ViewTenant,
        target: format!("org:{org_id}"),
        client_addr: opener.client_addr,
    };
    if let Err(e) = audit.record(&event).await {
        tracing::warn!(error = %e, "view_tenant audit record not written; page withheld");
        return Err(Error::RoutingUnavailable(Failure::other(
            "the access audit could not be written, so the tenant page is not shown; try again",
        )));
    }
    let with_access_audit = staff.role.allows(Capability::ViewAudit);
    // Boxed: the page's fan-out is a deep future, too deep to nest in another unboxed.
    Box::pin(detail::tenant_page(
        console,
        tenant,
        range,
        staff.id,
        with_access_audit,
    ))
    .await
}
