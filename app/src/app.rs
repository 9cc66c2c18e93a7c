//! The document shell and the router.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::pages::{NotFound, OverviewPage};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.ico"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/shardscope.css"/>
        <Title text="shardscope"/>
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"shardscope"</A>
                <nav>
                    <A href="/">"Fleet overview"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    // In-order streaming: the page arrives complete without JavaScript.
                    <Route path=path!("/") view=OverviewPage ssr=SsrMode::InOrder/>
                </Routes>
            </main>
        </Router>
    }
}
