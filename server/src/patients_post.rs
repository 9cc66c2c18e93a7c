//! `POST /patients`: the patient lookup's forms (lookup, and a superadmin's "open full profile").
//! The body is read here and the page rendered for it — the identifier never appears in a URL,
//! a redirect or a log, and no result has an address. The identity gate has already refused
//! roles without `LookupPatients`; the page's adapter checks again and writes the audit record.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use leptos::prelude::provide_context;
use shardscope_app::dto::PatientsForm;
use shardscope_app::shell;

use crate::state::AppState;

pub const PATIENTS: &str = "/patients";

/// The largest form accepted (a phone or email plus a 500-character reason fit many times over).
const MAX_FORM: usize = 8 * 1024;

#[tracing::instrument(name = "patients_post", skip_all)]
pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The lookup form was too large: send the identifier (and a reason of at most 500 characters) only.",
        )
            .into_response();
    };
    let form: PatientsForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "The lookup form could not be read: send it from the page at /patients.",
            )
                .into_response();
        }
    };
    render(&state, parts, form).await
}

/// The `/patients` page rendered for its submitted form: the form rides in the request's
/// extensions, never a URL.
async fn render(state: &AppState, mut parts: http::request::Parts, form: PatientsForm) -> Response {
    parts.extensions.insert(form);
    let console = state.console.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(console.clone());
            crate::security::headers::provide_request_nonce();
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await
}
