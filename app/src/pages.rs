//! One module per page.

mod audit;
mod not_found;
pub mod overview;
#[cfg(feature = "ssr")]
pub mod plain;

pub use audit::AuditPage;
pub use not_found::NotFound;
pub use overview::OverviewPage;
