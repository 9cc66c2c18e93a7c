//! Sign-in, sign-out and the per-request identity gate.

pub mod client_addr;
pub mod identity;
pub mod login;
pub mod policy;
pub mod refused;
