//! Tenants: the directory (`/tenants`), one tenant's page (`/tenants/{org_id}`), routing truth
//! (`/routing`), RLS compliance (`/compliance`) and the placement preview (`/placement`).
//!
//! Tenant rows are read only through [`reader`]: the tenant-reader role inside a read-only,
//! RLS-scoped transaction. Everything else reads the routing DB, the platform's Redis routing cache
//! ([`routing_cache`]), catalogs and aggregate functions through the monitoring role.

pub mod compliance;
pub mod detail;
pub mod directory;
pub mod opening;
pub mod placement;
pub mod reader;
pub mod routing_cache;
pub mod tables;
pub mod truth;

use std::sync::Arc;

use crate::error::{Error, Result};
use routing_cache::RoutingCache;

/// The tenants' own sources over the engine: the platform's routing cache and the staff accounts
/// with the access audit. A page that also needs the overview's probes or ClickHouse (a tenant's
/// page, placement) asks for those capabilities' `Sources` beside this one.
pub trait Sources: crate::federation::Engine {
    fn routing_cache(&self) -> &RoutingCache;
    fn auth(&self) -> &crate::auth::AuthServices;
}

/// The directory, shared for the cache TTL and coalesced (one routing-DB read in flight).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn directory_cached(console: &impl Sources) -> Result<Arc<Vec<directory::Tenant>>> {
    let routing = console.routing().clone();
    console
        .memo()
        .shared(
            crate::coalesce::Key::one("tenant-directory"),
            move || async move { directory::load(&routing).await.map_err(|e| e.failure()) },
        )
        .await
        .map_err(Error::RoutingUnavailable)
}

/// `/tenants`: the requested page of the directory and the filters' choices.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DirectoryPage {
    pub query: directory::Query,
    pub choices: directory::Choices,
    pub view: directory::View,
}

#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn directory_page(
    console: &impl Sources,
    get: impl Fn(&str) -> Option<String>,
) -> Result<DirectoryPage> {
    let all = directory_cached(console).await?;
    let choices = directory::Choices::of(&all);
    let query = directory::parse(get, &choices)?;
    let view = directory::page(&all, &query)?;
    Ok(DirectoryPage {
        query,
        choices,
        view,
    })
}

/// Every tenant of the view (all pages), for `format=csv|json`.
pub async fn directory_export(
    console: &impl Sources,
    get: impl Fn(&str) -> Option<String>,
) -> Result<Vec<directory::Tenant>> {
    let all = directory_cached(console).await?;
    let query = directory::parse(get, &directory::Choices::of(&all))?;
    Ok(directory::select(&all, &query))
}

/// What the filter forms offer (for a form shown with a 400, so it can be corrected): the
/// directory's shards, regions and tiers, and the regions `shard_capacity` knows.
pub async fn choices(console: &impl Sources) -> Result<(directory::Choices, Vec<String>)> {
    let all = directory_cached(console).await?;
    let mut regions: Vec<String> = placement::load_capacity(console.routing())
        .await
        .map_err(|e| Error::RoutingUnavailable(e.failure()))?
        .into_iter()
        .map(|c| c.region)
        .collect();
    regions.sort();
    regions.dedup();
    Ok((directory::Choices::of(&all), regions))
}
