//! The top of every page: the document title ("Fleet overview · shardscope"), the page's one `<h1>`,
//! an optional line of context, and the page's actions on the right.

use leptos::prelude::*;
use leptos_meta::Title;

/// The browser tab's text for a page.
pub fn document_title(page: &str) -> String {
    format!("{page} · shardscope")
}

#[component]
pub fn PageHeader(
    /// The page's name: its `<h1>` and, with the product name, its `<title>`.
    #[prop(into)]
    title: String,
    /// One line under the heading saying what the page shows.
    #[prop(optional, into)]
    lead: Option<String>,
    /// Actions (links, small forms) shown on the right.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <Title text=document_title(&title)/>
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                {lead.map(|l| view! { <p class="lead">{l}</p> })}
            </div>
            {children.map(|c| view! { <div class="actions">{c()}</div> })}
        </div>
    }
}
