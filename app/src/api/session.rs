use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::NavLink;
use crate::dto::StaffDto;

/// Pages in the navigation, with what each needs.
#[cfg(feature = "ssr")]
const NAV: [(&str, &str, shardscope::auth::Capability); 10] = [
    (
        "/",
        "Fleet overview",
        shardscope::auth::Capability::ViewFleet,
    ),
    ("/pools", "Pools", shardscope::auth::Capability::ViewFleet),
    (
        "/telemetry",
        "Requests",
        shardscope::auth::Capability::ViewFleet,
    ),
    (
        "/telemetry/slow-queries",
        "Slow queries",
        shardscope::auth::Capability::ViewFleet,
    ),
    (
        "/tenants",
        "Tenants",
        shardscope::auth::Capability::ViewTenants,
    ),
    (
        "/routing",
        "Routing",
        shardscope::auth::Capability::ViewTenants,
    ),
    (
        "/compliance",
        "Compliance",
        shardscope::auth::Capability::ViewTenants,
    ),
    (
        "/placement",
        "Placement",
        shardscope::auth::Capability::ViewTenants,
    ),
    (
        "/patients",
        "Patients",
        shardscope::auth::Capability::LookupPatients,
    ),
    (
        "/audit",
        "Access audit",
        shardscope::auth::Capability::ViewAudit,
    ),
];

/// Who is signed in, and the pages their role may open. `None` when nobody is: this is the one
/// server function that answers without a session (it reveals nothing).
#[server(prefix = "/api", endpoint = "me")]
pub async fn current_staff() -> Result<Option<StaffDto>, ServerFnError> {
    let principal = super::guard::principal();
    Ok(principal.staff().map(|s| StaffDto {
        email: s.email.clone(),
        role: s.role.to_string(),
        links: NAV
            .iter()
            .filter(|(_, _, cap)| s.role.allows(*cap))
            .map(|(href, label, _)| NavLink {
                href: href.to_string(),
                label: label.to_string(),
            })
            .collect(),
    }))
}
