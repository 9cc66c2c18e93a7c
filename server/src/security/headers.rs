//! Security headers on every response, and a fresh CSP nonce per request for the only inline
//! scripts there are: the ones hydration and streaming need (Leptos puts the nonce on them).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

use crate::state::AppState;

/// This request's nonce, for the renderer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn content_security_policy(nonce: &str, frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

pub async fn apply(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let path = req.uri().path().to_string();
    let is_asset = path.starts_with("/pkg/") || path == "/favicon.ico";
    let auth = &state.console.config().auth;
    let mut res = next.run(req).await;
    // A 304 revalidation carries the same caching headers (browsers copy them onto the stored copy).
    let ok = res.status().is_success() || res.status() == http::StatusCode::NOT_MODIFIED;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&nonce, &auth.frame_ancestors)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if auth.frame_ancestors.trim() == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if auth.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if is_asset && ok {
        let hashed = state.leptos_options.hash_files;
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(crate::static_files::cache_control(&path, hashed)),
        );
        // The body depends on Accept-Encoding (precompressed twins): tell shared caches.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else if is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else {
        // Pages and answers about the fleet and its staff are not for shared caches or history.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Hand the nonce of this request's CSP header to the renderer (hydration and streaming scripts).
pub fn provide_request_nonce() {
    let nonce = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<CspNonce>().cloned());
    if let Some(n) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_allows_only_nonced_inline_script_and_no_framing() {
        let p = content_security_policy("abc123", "'none'");
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(p.contains("style-src 'self' 'nonce-abc123';"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.ends_with("frame-ancestors 'none'"));
    }
}
