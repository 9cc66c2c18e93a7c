//! Server functions: public HTTP endpoints, each a thin adapter over one backend call.

mod overview;

pub use overview::*;
