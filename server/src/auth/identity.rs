//! The gate every routed request passes: resolve who is asking from the session, put it in the
//! request's extensions (server functions read it there), and stop page requests the role may not
//! make: anonymous → sign-in (and back), wrong role → 403, store down → 503.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use shardscope::auth::{Principal, SessionAuth};
use tower_sessions::Session;

use super::policy::{Access, access};
use super::refused;
use crate::state::AppState;

pub const ACCOUNTS_DOWN: &str = "The account database is not answering, so nobody can be \
     recognised right now. Try again in a minute.";

/// Who holds this session. Ends sessions that are past their absolute lifetime or whose account
/// was disabled or removed.
#[tracing::instrument(skip_all, fields(staff_id))]
pub async fn resolve(state: &AppState, session: &Session) -> Principal {
    let auth = match session.get::<SessionAuth>(SessionAuth::KEY).await {
        Ok(Some(a)) => a,
        Ok(None) => return Principal::Anonymous,
        Err(tower_sessions::session::Error::Store(_)) => {
            tracing::warn!("session store unavailable");
            return Principal::Unavailable(refused::STORE_DOWN.into());
        }
        Err(_) => {
            // Undecodable session data: start over.
            let _ = session.flush().await;
            return Principal::Anonymous;
        }
    };
    tracing::Span::current().record("staff_id", auth.staff_id);
    let now = unix_now();
    if auth.times_impossible(now) {
        tracing::warn!(
            staff_id = auth.staff_id,
            "a session record carries a time in the future (or before 2020); ended"
        );
        let _ = session.flush().await;
        return Principal::Anonymous;
    }
    if auth.expired(now, state.console.config().auth.session_absolute) {
        let _ = session.flush().await;
        return Principal::Anonymous;
    }
    match state.console.auth().accounts.by_id(auth.staff_id).await {
        // Disabled, removed, or its password was (re)set after this session signed in.
        Ok(Some(staff))
            if !staff.disabled && auth.signed_in_db_ms >= staff.credentials_changed_ms =>
        {
            let idle = state.console.config().auth.session_idle;
            if auth.needs_touch(now, idle) {
                let touched = SessionAuth {
                    seen_at: now,
                    ..auth
                };
                // Saving here (not only when the response leaves) turns a store failure into a
                // clear 503 instead of an empty 500 from the session layer.
                let saved = async {
                    session.insert(SessionAuth::KEY, touched).await?;
                    session.save().await
                };
                if saved.await.is_err() {
                    return Principal::Unavailable(refused::STORE_DOWN.into());
                }
            }
            Principal::Staff(staff)
        }
        Ok(_) => {
            let _ = session.flush().await;
            Principal::Anonymous
        }
        Err(e) => {
            tracing::warn!(error = %e, "account lookup failed");
            Principal::Unavailable(ACCOUNTS_DOWN.into())
        }
    }
}

pub async fn gate(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let access = access(req.uri().path());
    if access == Access::Public {
        return next.run(req).await;
    }
    let principal = resolve(&state, &session).await;
    req.extensions_mut().insert(principal.clone());
    let addr = super::client_addr::client_addr(
        req.headers(),
        req.extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>(),
        &state.console.config().auth,
    );
    req.extensions_mut()
        .insert(shardscope::auth::ClientAddr(addr));
    let needed = match access {
        // Identity before the body: an anonymous call is refused before its arguments are read
        // (a 400 naming a missing field would tell a stranger the function's shape). `/api/me`
        // answers everyone (null when signed out).
        Access::ServerFn if principal == Principal::Anonymous && req.uri().path() != "/api/me" => {
            return refused::server_fn_unauthorized();
        }
        Access::ServerFn | Access::Public => return next.run(req).await,
        Access::Page(cap) => Some(cap),
        Access::SignedIn => None,
    };
    match principal {
        Principal::Staff(s) if needed.is_none_or(|c| s.role.allows(c)) => next.run(req).await,
        Principal::Staff(s) => refused::forbidden(s.role),
        Principal::Anonymous => refused::to_login(req.uri()),
        Principal::Unavailable(why) => refused::unavailable(&why),
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
