//! A backend error as the plain-text answer a tool or a browser shows: the status the error
//! names, a message the reader can act on, and nothing internal (a 5xx is logged instead).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn error_response(e: &shardscope::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "export or chart failed");
    }
    let message = match e {
        shardscope::Error::InvalidInput(m) | shardscope::Error::NotFound(m) => m.clone(),
        shardscope::Error::TelemetryUnavailable(m) => format!("telemetry unavailable: {m}"),
        shardscope::Error::NodeUnavailable(m) => m.clone(),
        _ if status == StatusCode::SERVICE_UNAVAILABLE => {
            "the routing database did not answer; try again shortly".into()
        }
        _ => "internal error (logged)".into(),
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}
