//! The role check every server function starts with. Server functions are public HTTP endpoints:
//! the check runs on the server, answers 401 / 403 / 503 with a message, and never just redirects.

use leptos::prelude::*;
use shardscope::auth::{Capability, Principal, Staff};

use super::ApiError;

/// Who sent this request (resolved by the server's session middleware).
pub fn principal() -> Principal {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Principal>().cloned())
        .unwrap_or(Principal::Anonymous)
}

/// Whether the signed-in staff member's role allows `capability` (no side effects: for code that
/// only decides what to render; server functions use [`require`]).
pub fn allows(capability: Capability) -> bool {
    principal()
        .staff()
        .is_some_and(|s| s.role.allows(capability))
}

/// The signed-in staff member, if their role allows `capability`; otherwise an error with the
/// right HTTP status set on the response.
pub fn require(capability: Capability) -> Result<Staff, ApiError> {
    let (status, message) = match principal() {
        Principal::Staff(staff) if staff.role.allows(capability) => return Ok(staff),
        Principal::Staff(staff) => (
            http::StatusCode::FORBIDDEN,
            format!("your role ({}) does not allow this", staff.role),
        ),
        Principal::Anonymous => (
            http::StatusCode::UNAUTHORIZED,
            "sign in first (your session may have expired)".to_string(),
        ),
        Principal::Unavailable(why) => (http::StatusCode::SERVICE_UNAVAILABLE, why),
    };
    Err(ApiError::new(status, message))
}

/// The client address the server resolved for this request (for audit records).
pub fn client_addr() -> String {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<shardscope::auth::ClientAddr>().cloned())
        .map_or_else(|| "unknown".to_string(), |c| c.0)
}

/// Whether the browser says this request was started by another site (`Sec-Fetch-Site` other
/// than `same-origin` or `none`): a link or `window.open` from elsewhere. Requests without the
/// header (tools, old browsers) are not cross-site.
pub fn cross_site() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .map(|v| !matches!(v.trim(), "same-origin" | "none"))
        })
        .unwrap_or(false)
}
