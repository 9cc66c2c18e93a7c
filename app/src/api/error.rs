//! The one way an error leaves a server function or a page: an HTTP status and a sentence the
//! reader can act on. Backend errors become one here ([`From<shardscope::Error>`]), which also
//! logs them and sets the response's status; pages show [`ApiError::message`] as it is. On the
//! wire (the JSON API) it is `{"status": 403, "message": "…"}`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    /// An error with this status, also set on the response being rendered (if any).
    pub fn new(status: http::StatusCode, message: impl Into<String>) -> Self {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
        ApiError {
            status: status.as_u16(),
            message: message.into(),
        }
    }

    /// A part of a page that failed while the page itself answers (a shard's row): the response's
    /// status is left alone.
    pub fn part(status: http::StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status: status.as_u16(),
            message: message.into(),
        }
    }

    /// 400, with what to type instead.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(http::StatusCode::BAD_REQUEST, message)
    }

    /// An internal fault: logged in full, said in general.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "server function failed");
        Self::new(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error (logged)",
        )
    }
}

impl From<shardscope::Error> for ApiError {
    fn from(e: shardscope::Error) -> Self {
        if matches!(e.status(), 400 | 403 | 404 | 409 | 429) {
            tracing::debug!(error = %e, "server function refused");
        } else {
            tracing::error!(error = %e, "server function failed");
        }
        let status = http::StatusCode::from_u16(e.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, e.public_message())
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// Leptos' own errors: arguments that could not be read are the caller's to fix (400).
    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        match e {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                Self::bad_request(format!("the request could not be read: {m}"))
            }
            other => Self::internal(&other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_keep_their_status_and_lose_their_category() {
        let e = ApiError::from(shardscope::Error::Forbidden(
            "your role (viewer) may not".into(),
        ));
        assert_eq!(
            (e.status, e.message.as_str()),
            (403, "your role (viewer) may not")
        );
        let e = ApiError::from(shardscope::Error::Config("/etc/secret".into()));
        assert_eq!(
            (e.status, e.message.as_str()),
            (500, "internal error (logged)")
        );
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field `q`".into()));
        assert_eq!(e.status, 400);
        assert!(e.message.contains("missing field `q`"), "{}", e.message);
    }
}
