use leptos::prelude::*;

use super::ApiError;
use crate::dto::{AuditPageDto, AuditQuery};

/// A page of the access audit, newest first (superadmin only).
#[server(prefix = "/api", endpoint = "audit")]
pub async fn list_audit(#[server(default)] query: AuditQuery) -> Result<AuditPageDto, ApiError> {
    use shardscope::auth::{Capability, audit};
    super::guard::require(Capability::ViewAudit)?;
    let get = |k: &str| -> Option<String> {
        match k {
            "action" => query.action.clone(),
            "staff" => query.staff.clone(),
            "addr" => query.addr.clone(),
            "since" => query.since.clone(),
            "until" => query.until.clone(),
            "before" => query.before.clone(),
            "subject" => query.subject.clone(),
            _ => None,
        }
    };
    let filter = audit::parse_filter(get)?;
    let console = super::console()?;
    let log = &console.auth().audit;
    let records = log.list(&filter).await?;
    let next_before = (records.len() as i64 == audit::PAGE_SIZE)
        .then(|| records.last().map(|r| r.id))
        .flatten();
    let unexported = log.unexported().await.ok();
    let generated_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Ok(AuditPageDto {
        generated_at_ms,
        rows: records,
        next_before,
        unexported,
    })
}
