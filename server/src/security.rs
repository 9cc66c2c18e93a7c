//! The security baseline every response gets: CSRF origin checks and security headers.

pub mod csrf;
pub mod headers;
