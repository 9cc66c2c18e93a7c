//! Server functions answer 500 when their arguments cannot be decoded, before the function runs.
//! Undecodable arguments are the caller's mistake: this layer turns those answers into a 400
//! (the message, which names the bad field, is kept).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// Error bodies are short; anything larger is passed through untouched.
const PEEK_LIMIT: usize = 64 * 1024;

pub fn is_argument_error(body: &[u8]) -> bool {
    body.starts_with(b"Args|") || body.starts_with(b"Deserialization|")
}

pub async fn argument_errors_are_400(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, PEEK_LIMIT).await else {
        parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        return Response::from_parts(parts, Body::from("internal error (logged)"));
    };
    if is_argument_error(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_argument_errors_only() {
        assert!(super::is_argument_error(b"Args|missing field `query`"));
        assert!(!super::is_argument_error(
            b"ServerError|internal error (logged)"
        ));
    }
}
