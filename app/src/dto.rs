//! What crosses the wire between server functions and the browser, one file per area. No backend
//! types here (conversions from them are `ssr`-only): this module compiles to wasm.

mod audit;
mod overview;
mod patients;
mod session;
pub(crate) mod telemetry;
mod tenants;

pub use audit::*;
pub use overview::*;
pub use patients::*;
pub use session::*;
pub use telemetry::*;
pub use tenants::*;
