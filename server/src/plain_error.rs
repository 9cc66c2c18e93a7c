//! A backend error as the plain-text answer a tool or a browser shows: the status the error
//! names, a message the reader can act on, and nothing internal (a 5xx is logged instead).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn error_response(e: &shardscope::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "export or chart failed");
    }
    // The same words a page's error shows (`Error::public_message`).
    let message = e.public_message();
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}
