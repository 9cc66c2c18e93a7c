//! shardscope's UI: pages, components and server functions (thin adapters over the backend crate).
//! Built twice: natively with `ssr` for the server, and to wasm with `hydrate` for the browser.

pub mod api;
pub mod app;
pub mod components;
pub mod dto;
pub mod format;
pub mod pages;

pub use app::{App, shell};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
