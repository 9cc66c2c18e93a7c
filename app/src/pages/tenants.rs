//! The tenant pages: `/tenants` (directory) and `/tenants/{org_id}` (one tenant).

mod detail;
mod list;

pub use detail::TenantPage;
pub use list::TenantsPage;
