//! `/login` (GET: the form; POST: sign in) and `/logout` (POST). Plain forms that work without
//! JavaScript; each outcome is audited, and no password, session id or typed email reaches a log.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use shardscope::auth::accounts::normalise_email;
use shardscope::auth::return_to::safe_return_path;
use shardscope::auth::{AuditAction, AuditEvent, Principal, SessionAuth, Staff, Verdict, password};
use shardscope_app::pages::plain::{LoginView, login_document};
use tower_sessions::Session;

use super::client_addr::client_addr;
use super::identity::{resolve, unix_now};
use super::refused;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

const WRONG: &str = "Email or password is incorrect.";

fn page(status: StatusCode, view: LoginView) -> Response {
    (status, Html(login_document(view))).into_response()
}

/// GET /login: the form (or, already signed in, straight back to where the user was going).
pub async fn form(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_return_path(q.next.as_deref());
    match resolve(&state, &session).await {
        Principal::Staff(_) => Redirect::to(&next).into_response(),
        // The form itself needs no session: show it, with the reason sign-in will fail.
        Principal::Unavailable(why) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            LoginView {
                next,
                error: Some(why),
                ..Default::default()
            },
        ),
        Principal::Anonymous => page(
            StatusCode::OK,
            LoginView {
                next,
                notice: q.signed_out.map(|_| "You are signed out.".to_string()),
                ..Default::default()
            },
        ),
    }
}

/// POST /login.
#[tracing::instrument(name = "sign_in", skip_all, fields(client_addr))]
pub async fn sign_in(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let addr = request_addr(&state, &req);
    tracing::Span::current().record("client_addr", addr.as_str());
    let body = match axum::body::to_bytes(req.into_body(), 16 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return bad_form(
                "The sign-in form was too large.",
                String::new(),
                String::new(),
            );
        }
    };
    let form = parse_form(&body);
    let next = safe_return_path(form.next.as_deref());
    let email = match normalise_email(&form.email) {
        Ok(e) => e,
        Err(e) => return bad_form(&e.to_string(), next, form.email),
    };
    if form.password.is_empty() {
        return bad_form("Enter your password.", next, email);
    }
    let auth = state.console.auth();
    let view = |error: String| LoginView {
        next: next.clone(),
        email: email.clone(),
        error: Some(error),
        notice: None,
    };
    let unavailable = |why: &str| page(StatusCode::SERVICE_UNAVAILABLE, view(why.to_string()));

    match auth.limiter.begin(&email, &addr).await {
        Err(_) => {
            return unavailable(refused::STORE_DOWN);
        }
        Ok(Verdict::Limited { retry_after, first }) => {
            // Audited once per crossing, naming the account if there is one (a flood of refused
            // requests must not become a flood of audit rows).
            if first {
                let known = auth.accounts.for_sign_in(&email).await.ok().flatten();
                let (who, target) = match &known {
                    Some((s, _)) => (Some(s), "account"),
                    None => (None, "unknown account"),
                };
                audit(&state, who, AuditAction::SignInLimited, target, &addr).await;
            }
            let minutes = retry_after.as_secs().div_ceil(60);
            let mut res = page(
                StatusCode::TOO_MANY_REQUESTS,
                view(format!(
                    "Too many sign-in attempts for this account or from this address. \
                     Try again in {minutes} minute(s), or ask a superadmin to check the account."
                )),
            );
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs().max(1)),
            );
            return res;
        }
        Ok(Verdict::Allowed) => {}
    }

    let account = match auth.accounts.for_sign_in(&email).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "account lookup failed");
            return unavailable(super::identity::ACCOUNTS_DOWN);
        }
    };
    let stored = account.as_ref().map(|(_, h)| h.clone());
    let Some(matches) = check_password(&state, form.password, stored).await else {
        return unavailable(
            "The console is busy checking other sign-ins. Try again in a few seconds.",
        );
    };
    let staff = match (account, matches) {
        (Some((staff, _)), true) if !staff.disabled => staff,
        (Some((staff, _)), true) => {
            audit(
                &state,
                Some(&staff),
                AuditAction::SignInFailed,
                "account disabled",
                &addr,
            )
            .await;
            // The same answer as a wrong password: telling "disabled" only to the right
            // password would confirm the password to whoever holds it. The audit says which.
            return page(StatusCode::UNAUTHORIZED, view(WRONG.into()));
        }
        (known, _) => {
            // Already counted against the account and the address by `begin`.
            let (who, target) = match &known {
                Some((s, _)) => (Some(s), "account"),
                None => (None, "unknown account"),
            };
            audit(&state, who, AuditAction::SignInFailed, target, &addr).await;
            return page(StatusCode::UNAUTHORIZED, view(WRONG.into()));
        }
    };

    let signed_in_db_ms = match auth.accounts.stamp_sign_in(staff.id).await {
        Ok(ms) => ms,
        Err(e) => {
            tracing::warn!(error = %e, "account database unavailable at sign-in");
            return unavailable(super::identity::ACCOUNTS_DOWN);
        }
    };
    // A fresh session id at every sign-in (no fixation), then the one thing a session holds.
    let stored = async {
        session.cycle_id().await?;
        session
            .insert(
                SessionAuth::KEY,
                SessionAuth {
                    staff_id: staff.id,
                    signed_in_at: unix_now(),
                    seen_at: unix_now(),
                    signed_in_db_ms,
                },
            )
            .await?;
        session.save().await
    };
    if stored.await.is_err() {
        return unavailable(refused::STORE_DOWN);
    }
    // Sign-in is not complete without its audit record.
    let event = AuditEvent {
        detail: Default::default(),
        staff: Some(staff.clone()),
        action: AuditAction::SignIn,
        target: "console".into(),
        client_addr: addr.clone(),
    };
    if let Err(e) = auth.audit.record(&event).await {
        tracing::error!(error = %e, "audit unavailable; sign-in refused");
        let _ = session.flush().await;
        return unavailable(
            "The access audit cannot be written, so sign-in is refused. Try again in a minute.",
        );
    }
    let _ = auth.limiter.succeeded(&email, &addr).await;
    tracing::info!(staff_id = staff.id, role = %staff.role, "signed in");
    Redirect::to(&next).into_response()
}

/// POST /logout: audited, and the session is deleted from the store.
#[tracing::instrument(name = "sign_out", skip_all)]
pub async fn sign_out(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let addr = request_addr(&state, &req);
    let principal = resolve(&state, &session).await;
    if let Principal::Unavailable(why) = &principal {
        return refused::unavailable(why);
    }
    if let Principal::Staff(staff) = &principal {
        audit(&state, Some(staff), AuditAction::SignOut, "console", &addr).await;
    }
    if session.flush().await.is_err() {
        return refused::unavailable(refused::STORE_DOWN);
    }
    Redirect::to("/login?signed_out=1").into_response()
}

fn request_addr(state: &AppState, req: &Request) -> String {
    client_addr(
        req.headers(),
        req.extensions().get::<ConnectInfo<SocketAddr>>(),
        &state.console.config().auth,
    )
}

fn parse_form(body: &Bytes) -> LoginForm {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

fn bad_form(message: &str, next: String, email: String) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        LoginView {
            next,
            email,
            error: Some(message.to_string()),
            notice: None,
        },
    )
}

/// argon2id on a blocking thread, at most two at once; unknown accounts cost the same. `None`
/// if no slot frees up within a few seconds (a flood of sign-ins must not queue without bound).
async fn check_password(state: &AppState, typed: String, stored: Option<String>) -> Option<bool> {
    let slots = state.console.auth().hashing.clone();
    let permit = tokio::time::timeout(HASH_WAIT, slots.acquire_owned())
        .await
        .ok()?
        .ok()?;
    let checked = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match stored {
            Some(hash) => password::verify(&typed, &hash),
            None => {
                password::verify_dummy(&typed);
                false
            }
        }
    })
    .await;
    Some(checked.unwrap_or(false))
}

/// How long a sign-in waits for a password-hashing slot before answering 503.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Record an event; a failure is logged (sign-in success handles its own failure above).
async fn audit(
    state: &AppState,
    staff: Option<&Staff>,
    action: AuditAction,
    target: &str,
    addr: &str,
) {
    let event = AuditEvent {
        detail: Default::default(),
        staff: staff.cloned(),
        action,
        target: target.to_string(),
        client_addr: addr.to_string(),
    };
    if let Err(e) = state.console.auth().audit.record(&event).await {
        tracing::error!(error = %e, %action, "audit record could not be written");
    }
}
