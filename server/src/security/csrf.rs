//! CSRF defence on top of SameSite=Lax cookies: a request that changes state (anything but GET,
//! HEAD, OPTIONS) must say it comes from this site, by Origin or, failing that, Referer.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};

use crate::state::AppState;

/// `Ok` if the request may change state.
pub fn check(
    method: &Method,
    headers: &HeaderMap,
    public_origin: Option<&str>,
) -> Result<(), String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    let claimed = match (header_str(header::ORIGIN), header_str(header::REFERER)) {
        (Some(origin), _) if origin != "null" => origin.to_string(),
        (_, Some(referer)) => origin_of(referer).ok_or("the Referer is not a URL")?,
        _ => {
            return Err(
                "the request does not say which site sent it (no Origin or Referer)".into(),
            );
        }
    };
    let allowed = match public_origin {
        Some(o) => claimed == o,
        None => {
            let host = header_str(header::HOST).unwrap_or("");
            !host.is_empty()
                && (claimed == format!("http://{host}") || claimed == format!("https://{host}"))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "a request from {claimed} may not change anything here"
        ))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && matches!(scheme, "http" | "https"))
        .then(|| format!("{scheme}://{authority}"))
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = state.console.config().auth.public_origin.as_deref();
    match check(req.method(), req.headers(), origin) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::warn!(reason = %why, path = req.uri().path(), "cross-site request refused");
            (
                StatusCode::FORBIDDEN,
                format!("Cross-site request refused: {why}. Reload the page and try again."),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn safe_methods_pass() {
        assert!(check(&Method::GET, &headers(&[]), None).is_ok());
    }

    #[test]
    fn same_host_origin_or_referer_passes() {
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(check(&Method::POST, &h, None).is_ok());
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("referer", "http://127.0.0.1:3000/audit?x=1"),
        ]);
        assert!(check(&Method::POST, &h, None).is_ok());
    }

    #[test]
    fn other_sites_and_silence_are_refused() {
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(
            check(&Method::POST, &h, None)
                .unwrap_err()
                .contains("evil.example")
        );
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000.evil.example"),
        ]);
        assert!(check(&Method::POST, &h, None).is_err());
        let h = headers(&[("host", "127.0.0.1:3000")]);
        assert!(
            check(&Method::POST, &h, None)
                .unwrap_err()
                .contains("no Origin")
        );
        let h = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(check(&Method::DELETE, &h, None).is_err());
    }

    #[test]
    fn a_configured_public_origin_is_the_only_one() {
        let h = headers(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://console.example.org"),
        ]);
        assert!(check(&Method::POST, &h, Some("https://console.example.org")).is_ok());
        let h = headers(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "http://10.0.0.5:3000"),
        ]);
        assert!(check(&Method::POST, &h, Some("https://console.example.org")).is_err());
    }
}
