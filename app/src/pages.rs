//! One module per page.

mod audit;
mod not_found;
pub mod overview;
#[cfg(feature = "ssr")]
pub mod plain;
mod telemetry;

pub use audit::AuditPage;
pub use not_found::NotFound;
pub use overview::OverviewPage;
pub use telemetry::{PoolsPage, RequestsPage, SlowQueriesPage};
