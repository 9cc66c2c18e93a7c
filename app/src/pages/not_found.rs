use leptos::prelude::*;

use crate::components::PageHeader;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http_status_not_found());
        }
    }
    view! {
        <section class="page not-found">
            <PageHeader title="Not found" />
            <p>"No page lives at this address. " <a href="/">"Back to the fleet overview"</a></p>
        </section>
    }
}

#[cfg(feature = "ssr")]
fn http_status_not_found() -> http::StatusCode {
    http::StatusCode::NOT_FOUND
}
