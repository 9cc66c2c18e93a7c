//! The router: Leptos pages and server functions (with the backend handle in context), static
//! files, and the fallback.

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use shardscope_app::{App, shell};

use crate::state::AppState;

pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let console = state.console.clone();
    let options = state.leptos_options.clone();
    Router::<AppState>::new()
        .route(
            "/charts/balance.svg",
            axum::routing::get(crate::charts::balance),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(console.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}
