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
    let opener = shardscope::tenants::opening::Opener {
        staff: &staff,
        client_addr: super::guard::client_addr(),
        cross_site: super::guard::cross_site(),
    };
    let get = |k: &str| match k {
        "range" => range.clone(),
        "from" => from.clone(),
        "to" => to.clone(),
        _ => None,
    };
    shardscope::tenants::opening::open(&console, &console.auth().audit, opener, &org, get)
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
