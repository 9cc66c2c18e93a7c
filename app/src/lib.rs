#![recursion_limit = "256"]
//! shardscope's UI: pages, components and server functions (thin adapters over the backend crate).
//!
//! Built twice. Natively with `ssr`, everything: the shell, the router, every page (rendered on the
//! server from the backend's data), the server functions. To wasm with `hydrate`, only the
//! [`islands`] and the components they use: a page that has no island adds nothing to the bundle.

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod app;
pub mod components;
#[cfg(feature = "ssr")]
pub mod dto;
pub mod format;
pub mod islands;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod routes;

#[cfg(feature = "ssr")]
pub use app::{App, shell};

/// The browser's entry point: hydrate the islands on the page (nothing else hydrates).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
