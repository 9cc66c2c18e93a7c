//! Server functions of the tenant pages: role check (support and superadmin), one backend call, a
//! DTO. Bad input answers 400 with what to type. Opening a tenant writes its audit record before
//! any of its data is read; if the record cannot be written the page is not shown.

use leptos::prelude::*;

use super::ApiError;

use crate::dto::{TenantChoicesDto, TenantsQuery};
use shardscope::tenants::DirectoryPage;

#[cfg(feature = "ssr")]

/// `/tenants`: a page of the directory.
#[server(prefix = "/api", endpoint = "tenants")]
pub async fn get_tenants(
    #[server(default)] query: TenantsQuery,
) -> Result<DirectoryPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    shardscope::tenants::directory_page(&console, |k| query.get(k))
        .await
        .map_err(ApiError::from)
}

/// `/tenants/{org_id}`: one tenant, audited (`view_tenant`).
#[server(prefix = "/api", endpoint = "tenant")]
pub async fn get_tenant(
    org: String,
    #[server(default)] range: Option<String>,
    #[server(default)] from: Option<String>,
    #[server(default)] to: Option<String>,
) -> Result<shardscope::tenants::detail::TenantPage, ApiError> {
    let staff = super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    let org_id = shardscope::tenants::detail::parse_org_id(&org).map_err(ApiError::from)?;
    let get = |k: &str| {
        match k {
            "range" => range.clone(),
            "from" => from.clone(),
            "to" => to.clone(),
            _ => None,
        }
        .filter(|v| !v.trim().is_empty())
    };
    // The org must exist (a 400 otherwise, recording nothing); the view is recorded before any
    // of its data is read, and without a record nothing is read.
    // Both are parsed and checked once, here, and handed down typed.
    let tenant = shardscope::tenants::detail::find_tenant(&console, org_id).await?;
    let now = (shardscope::clock::now_ms() / 1000) as u32;
    let range = shardscope::telemetry::range::TimeRange::parse(
        get("range").as_deref(),
        get("from").as_deref(),
        get("to").as_deref(),
        now,
    )?;
    // Opening a tenant is recorded in the staff member's name: another site's link must not do
    // that for them. They confirm by opening it from the console (409, a link to the same page).
    if super::guard::cross_site() {
        return Err(ApiError::new(
            http::StatusCode::CONFLICT,
            format!(
                "This link to tenant {org_id} came from another site, so the tenant was not opened \
                 (opening one is recorded in your name). Open it from here if you meant to."
            ),
        ));
    }
    let event = shardscope::auth::AuditEvent {
        detail: Default::default(),
        staff: Some(staff.clone()),
        action: shardscope::auth::AuditAction::ViewTenant,
        target: format!("org:{org_id}"),
        client_addr: super::guard::client_addr(),
    };
    if let Err(e) = console.auth().audit.record(&event).await {
        tracing::warn!(error = %e, "view_tenant audit record not written; page withheld");
        return Err(ApiError::from(shardscope::Error::RoutingUnavailable(
            "the access audit could not be written, so the tenant page is not shown; try again"
                .into(),
        )));
    }
    let with_access_audit = staff.role.allows(shardscope::auth::Capability::ViewAudit);
    shardscope::tenants::detail::tenant_page(&console, tenant, range, staff.id, with_access_audit)
        .await
        .map_err(ApiError::from)
}

/// `/routing`: routing truth, fleet-wide.
#[server(prefix = "/api", endpoint = "routing")]
pub async fn get_routing() -> Result<shardscope::tenants::truth::Report, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    shardscope::tenants::truth::report(&console)
        .await
        .map(|r| r.as_ref().clone())
        .map_err(ApiError::from)
}

/// `/compliance`: RLS and the console roles' privileges on every shard.
#[server(prefix = "/api", endpoint = "compliance")]
pub async fn get_compliance() -> Result<shardscope::tenants::compliance::ComplianceReport, ApiError>
{
    super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    shardscope::tenants::compliance::report(&console)
        .await
        .map(|r| r.as_ref().clone())
        .map_err(ApiError::from)
}

/// `/placement`: where a new org would go, and the noisy neighbours.
#[server(prefix = "/api", endpoint = "placement")]
pub async fn get_placement(
    #[server(default)] query: crate::dto::PlacementQuery,
) -> Result<shardscope::tenants::placement::PlacementPage, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    let get = |k: &str| match k {
        "region" => query.region.clone(),
        "patients" => query.patients.clone(),
        "tier" => query.tier.clone(),
        _ => None,
    };
    shardscope::tenants::placement::placement_page(&console, get)
        .await
        .map_err(ApiError::from)
}

/// The filter forms' choices (shown with a 400 so the form can be corrected).
#[server(prefix = "/api", endpoint = "tenant-choices")]
pub async fn get_tenant_choices() -> Result<TenantChoicesDto, ApiError> {
    super::guard::require(shardscope::auth::Capability::ViewTenants)?;
    let console = super::console()?;
    let (c, capacity_regions) = shardscope::tenants::choices(&console)
        .await
        .map_err(ApiError::from)?;
    Ok(TenantChoicesDto {
        directory: c,
        capacity_regions,
    })
}
