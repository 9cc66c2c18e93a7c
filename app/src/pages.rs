//! One module per page.

mod audit;
mod integrity;
mod not_found;
pub mod overview;
mod patients;
mod placement;
#[cfg(feature = "ssr")]
pub mod plain;
mod shards;
pub(crate) mod telemetry;
mod tenants;

pub use audit::AuditPage;
pub use integrity::{CompliancePage, RoutingPage};
pub use not_found::NotFound;
pub use overview::OverviewPage;
pub use patients::PatientsPage;
pub use placement::PlacementPage;
pub use shards::{ShardPage, ShardsPage};
pub use telemetry::{PoolsPage, RequestsPage, SlowQueriesPage};
pub use tenants::{TenantPage, TenantsPage};
