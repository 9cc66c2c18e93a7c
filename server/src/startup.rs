//! The router: Leptos pages and server functions (with the backend handle in context), sign-in,
//! static files (`/pkg`, precompressed), and the fallback; wrapped in the session, identity, CSRF and header layers.
//!
//! Order on the way in: security headers (and the CSP nonce) → request deadline → session cookie → CSRF check →
//! identity gate → handler. Static files and the 404 fallback skip the session layers, so they
//! never touch Redis.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use leptos::prelude::*;
use std::sync::LazyLock;

use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use shardscope_app::{App, shell};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::{identity, login};
use crate::security::{csrf, headers};
use crate::state::AppState;

/// The routes axum serves besides Leptos pages and server functions, with their methods. The
/// router below takes its paths from here and the role-matrix test sweeps every method over every
/// route listed; a route added to the router must be listed here too, or nothing checks it.
pub const AXUM_ROUTES: &[(&str, &[&str])] = &[
    (BALANCE_SVG, &["GET"]),
    (crate::charts::POOLS_SVG, &["GET"]),
    (crate::charts::REQUESTS_SVG, &["GET"]),
    (crate::charts::SHARD_SVG, &["GET"]),
    (LOGIN, &["GET", "POST"]),
    (LOGOUT, &["POST"]),
    // GET is the Leptos page; a POST carries the lookup in its body and is answered with the page.
    (crate::patients_post::PATIENTS, &["POST"]),
    // The search box on every page (a POST: what is typed may be a phone; see search.rs).
    (crate::search::SEARCH, &["POST"]),
    // Every page's filter form (a POST answered with a redirect; see search.rs).
    (crate::search::FILTERS, &["POST"]),
];
const BALANCE_SVG: &str = "/charts/balance.svg";
const LOGIN: &str = "/login";
const LOGOUT: &str = "/logout";

/// The app's routes, generated once per process.
///
/// Generating them sets a process-global flag in leptos_server (`SuppressResourceLoad`): any
/// `Resource` first polled meanwhile — on any thread, in any render — awaits `pending()` forever
/// (leptos-rs/leptos#4773). That is the hang seen in `sign_in.rs`: a test built a router (one per
/// `TestApp`) while another test's `/audit` render polled its resource, which then never resolved;
/// no timer, no socket, no end. Generated once, before anything can render, no render can ever
/// overlap it again; everything that needs the list (tests included) takes it from here.
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

pub fn build_router(state: AppState) -> Router {
    let routes = route_list();
    let console = state.console.clone();
    let options = state.leptos_options.clone();
    Router::<AppState>::new()
        .route(BALANCE_SVG, get(crate::balance_svg::balance))
        .route(crate::charts::POOLS_SVG, get(crate::charts::pools_svg))
        .route(crate::charts::SHARD_SVG, get(crate::charts::shard_svg))
        .route(
            crate::charts::REQUESTS_SVG,
            get(crate::charts::requests_svg),
        )
        .route(LOGIN, get(login::form).post(login::sign_in))
        .route(LOGOUT, post(login::sign_out))
        .route(
            crate::patients_post::PATIENTS,
            post(crate::patients_post::post),
        )
        .route(crate::search::SEARCH, post(crate::search::post))
        .route(crate::search::FILTERS, post(crate::search::filters))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(console.clone());
                headers::provide_request_nonce();
            },
            move || shell(options.clone()),
        )
        // Innermost: runs after the identity gate, so an export needs the page's role.
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::exports::export_or_page,
        ))
        .route_layer(axum::middleware::from_fn(
            crate::server_fn_errors::argument_errors_are_400,
        ))
        .route_layer(from_fn_with_state(state.clone(), identity::gate))
        .route_layer(from_fn_with_state(state.clone(), csrf::guard))
        .route_layer(session_layer(&state))
        .nest_service(
            "/pkg",
            crate::static_files::pkg_service(&state.leptos_options),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(state.clone(), crate::deadline::bound))
        .layer(from_fn_with_state(state.clone(), headers::apply))
        .with_state(state)
}

fn session_layer(state: &AppState) -> SessionManagerLayer<shardscope::auth::RedisSessionStore> {
    let auth = &state.console.config().auth;
    let secure = auth.secure_cookies();
    let idle = time::Duration::seconds(auth.session_idle.as_secs() as i64);
    SessionManagerLayer::new(state.console.auth().sessions.clone())
        // `__Host-` binds the cookie to this exact origin over https.
        .with_name(if secure {
            "__Host-shardscope"
        } else {
            "shardscope_session"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        // Pushed forward by the identity gate as the user is active (see SessionAuth::needs_touch).
        .with_expiry(Expiry::OnInactivity(idle))
}
