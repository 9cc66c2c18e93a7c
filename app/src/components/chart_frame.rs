//! A server-rendered chart (an SVG at its own URL: cached by the browser, embeddable, no JS) in a
//! frame with a caption. The SVG has its own light background, so it reads the same in both themes.

use leptos::prelude::*;

#[component]
pub fn ChartFrame(
    #[prop(into)] src: String,
    /// What the chart shows, for people who cannot see it.
    #[prop(into)]
    alt: String,
    width: u32,
    height: u32,
    #[prop(optional, into)] caption: Option<String>,
) -> impl IntoView {
    view! {
        <figure class="chart-frame">
            <img src=src alt=alt width=width height=height />
            {caption.map(|c| view! { <figcaption>{c}</figcaption> })}
        </figure>
    }
}
