//! Responses for requests that cannot go ahead: each says what happened and what to do.

use axum::response::{Html, IntoResponse, Redirect, Response};
use http::{HeaderValue, StatusCode, Uri, header};
use shardscope::auth::Role;
use shardscope_app::format::query_value;
use shardscope_app::pages::plain::message_document;

pub const STORE_DOWN: &str = "The session store (Redis) is not answering, so nobody can sign in \
     or be recognised right now. Nothing you typed was kept. Try again in a minute.";

/// Unauthenticated page request: to sign-in, and back here afterwards.
pub fn to_login(uri: &Uri) -> Response {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::to(&format!("/login?next={}", query_value(back))).into_response()
}

pub fn forbidden(role: Role) -> Response {
    let message =
        format!("Your role ({role}) may not open this page. Ask a superadmin if you need it.");
    (
        StatusCode::FORBIDDEN,
        Html(message_document(
            "Not allowed",
            &message,
            ("/", "Back to the fleet overview"),
            true,
        )),
    )
        .into_response()
}

pub fn unavailable(why: &str) -> Response {
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(message_document(
            "Sign-in unavailable",
            why,
            ("/login", "Try again"),
            false,
        )),
    )
        .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    res
}

/// An anonymous server-function call: 401 before anything is parsed, in the encoding server
/// functions use for their errors (`shardscope_app::api::ApiError` as JSON).
pub fn server_fn_unauthorized() -> Response {
    let body = shardscope_app::api::ApiError {
        status: StatusCode::UNAUTHORIZED.as_u16(),
        message: "sign in first (your session may have expired)".to_string(),
    };
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}
