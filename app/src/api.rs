//! Server functions: public HTTP endpoints, each a thin adapter over one backend call, each
//! starting with a role check.

mod audit;
#[cfg(feature = "ssr")]
pub mod guard;
mod overview;
pub mod patients;
mod session;
mod telemetry;
mod tenants;

pub use audit::*;
pub use overview::*;
pub use patients::{get_patients_page, lookup_patient, open_patient_profile};
pub use session::*;
pub use telemetry::*;
pub use tenants::*;

/// A server function's error as a sentence for the page (without Leptos's "error running server
/// function:" prefix).
pub fn message(e: &leptos::prelude::ServerFnError) -> String {
    e.to_string()
        .trim_start_matches("error running server function: ")
        .to_string()
}
