//! Server functions: public HTTP endpoints, each a thin adapter over one backend call, each
//! starting with a role check.

mod audit;
#[cfg(feature = "ssr")]
pub mod guard;
mod overview;
mod session;

pub use audit::*;
pub use overview::*;
pub use session::*;
