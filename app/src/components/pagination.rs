//! Links between pages of a long list (keyset pages: "newest" and "older").

use leptos::prelude::*;

#[component]
pub fn Pager(
    /// What this page holds, e.g. "50 records, newest first".
    here: String,
    /// Link back to the first page, when this is not it.
    first: Option<String>,
    /// Link to the next (older) page, when there is one.
    next: Option<String>,
    #[prop(default = "Newest")] first_label: &'static str,
    #[prop(default = "Older →")] next_label: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages of results">
            <span class="here">{here}</span>
            {first
                .map(|h| {
                    view! {
                        <a class="btn" href=h>
                            {first_label}
                        </a>
                    }
                })}
            {next
                .map(|h| {
                    view! {
                        <a class="btn" rel="next" href=h>
                            {next_label}
                        </a>
                    }
                })}
        </nav>
    }
}
