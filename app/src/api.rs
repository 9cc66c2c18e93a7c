//! Server functions: public HTTP endpoints, each a thin adapter over one backend call, each
//! starting with a role check.

mod audit;
mod error;
#[cfg(feature = "ssr")]
pub mod guard;
mod overview;
pub mod patients;
mod session;
mod shards;
mod telemetry;
mod tenants;

pub use audit::*;
pub use error::ApiError;
pub use overview::*;
pub use patients::{get_patients_page, lookup_patient, open_patient_profile};
pub use session::*;
pub use shards::*;
pub use telemetry::*;
pub use tenants::*;
