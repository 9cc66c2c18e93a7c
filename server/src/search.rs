//! `POST /search`: the search box on every page. It is a POST, never a GET form, because staff
//! type what they have — often a patient's phone number or email — and a GET form puts it in the
//! address bar, the history and every proxy's log before the server sees it. An org id or name is
//! answered with a redirect to `/tenants?q=…`; a phone or email goes to the patient lookup
//! (rendered for this POST, as its own form is), or, for a role without it, a 400 that does not
//! echo it.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use shardscope::auth::{Capability, Principal};
use shardscope_app::dto::PatientsForm;

use crate::state::AppState;

pub const SEARCH: &str = "/search";

const MAX_FORM: usize = 4 * 1024;

#[derive(serde::Deserialize, Default)]
struct SearchForm {
    #[serde(default)]
    q: String,
}

#[tracing::instrument(name = "search_post", skip_all)]
pub async fn post(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The search text was too long: type an org id or a few letters of its name.",
        )
            .into_response();
    };
    let Ok(form) = serde_urlencoded::from_bytes::<SearchForm>(&bytes) else {
        return (
            StatusCode::BAD_REQUEST,
            "The search could not be read: send it from the search box.",
        )
            .into_response();
    };
    let q = form.q.trim();
    if !shardscope::patients::identifier::looks_like_contact(q) {
        if q.is_empty() {
            return Redirect::to("/tenants").into_response();
        }
        let to = format!("/tenants?q={}", shardscope_app::format::query_value(q));
        return Redirect::to(&to).into_response();
    }
    let may_look_up = parts
        .extensions
        .get::<Principal>()
        .and_then(Principal::staff)
        .is_some_and(|s| s.role.allows(Capability::LookupPatients));
    if !may_look_up {
        return (
            StatusCode::BAD_REQUEST,
            [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "That looks like a phone number or an email. The search finds tenants by org id or \
             name; looking up a patient needs the support role.",
        )
            .into_response();
    }
    let lookup = PatientsForm {
        op: "lookup".into(),
        q: q.to_string(),
        ..Default::default()
    };
    crate::patients::render(&state, parts, lookup).await
}
