//! The document shell and the router.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::api::current_staff;
use crate::dto::StaffDto;
use crate::pages::{
    AuditPage, CompliancePage, NotFound, OverviewPage, PatientsPage, PlacementPage, PoolsPage,
    RequestsPage, RoutingPage, SlowQueriesPage, TenantPage, TenantsPage,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options=options.clone() islands=true/>
                // The file name carries a content hash in builds with `hash-files` (served
                // `immutable`); see `server/src/static_files.rs`.
                <HashedStylesheet options id="leptos"/>
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
    let me = Resource::new(|| (), |_| current_staff());
    view! {
        // Each page sets its own <title> (see `components::PageHeader`).
        // `rel="external"`: the browser, not the router, follows it, so focus moves into <main>.
        // The skip link is part of the hydrated tree: the browser hydrates <body>'s children from
        // the first, so nothing may precede <App/> in the shell.
        <a class="skip" href="#main" rel="external">"Skip to content"</a>
        <Router>
            <header class="topbar">
                <a href="/" class="brand">"shardscope"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await.ok().flatten() {
                            Some(staff) => view! { <StaffNav staff/> }.into_any(),
                            // Pages outside the session layers (the 404 page) do not know who
                            // is reading: the way back in is enough.
                            None => {
                                view! {
                                    <nav aria-label="Pages">
                                        <a href="/">"Fleet overview"</a>
                                    </nav>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    // In-order streaming: the page arrives complete without JavaScript. The
                    // telemetry pages read one resource each: rendered whole (`Async`) so a bad
                    // filter's 400 is the response's status, not a line in a 200.
                    <Route path=path!("/") view=OverviewPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/pools") view=PoolsPage ssr=SsrMode::Async/>
                    <Route path=path!("/telemetry") view=RequestsPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/telemetry/slow-queries")
                        view=SlowQueriesPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/tenants") view=TenantsPage ssr=SsrMode::Async/>
                    <Route path=path!("/tenants/:org") view=TenantPage ssr=SsrMode::Async/>
                    <Route path=path!("/routing") view=RoutingPage ssr=SsrMode::Async/>
                    <Route path=path!("/compliance") view=CompliancePage ssr=SsrMode::Async/>
                    <Route path=path!("/placement") view=PlacementPage ssr=SsrMode::Async/>
                    // Rendered whole: a refused lookup's status (400, 429) is the response's.
                    <Route path=path!("/patients") view=PatientsPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// The pages this role may open, who is signed in, and sign-out (a plain form POST: it works
/// without JavaScript and is checked for CSRF like every state change).
#[component]
fn StaffNav(staff: StaffDto) -> impl IntoView {
    // Support and superadmin find a tenant from any page: type, Enter, pick it from the results.
    let tenants = staff.links.iter().any(|l| l.href == "/tenants");
    view! {
        <nav aria-label="Pages">
            {staff
                .links
                .into_iter()
                .map(|l| view! { <A href=l.href>{l.label}</A> })
                .collect_view()}
        </nav>
        {tenants
            .then(|| {
                view! {
                    // A POST (see server/src/search.rs): what staff type may be a patient's
                    // phone, which a GET form would put in the URL.
                    <form class="tenant-search" method="post" action="/search" role="search" aria-label="Find a tenant">
                        <label class="visually-hidden" for="tenant-search">"Find a tenant by id or name"</label>
                        <input id="tenant-search" name="q" type="search" placeholder="Org id, name, or a patient's phone" autocomplete="off"/>
                        <button type="submit">"Find"</button>
                    </form>
                }
            })}
        <div class="whoami">
            <span class="who">{staff.email}</span>
            <span class="role" data-role=staff.role.clone()>{staff.role.clone()}</span>
            <form method="post" action="/logout">
                <button type="submit">"Sign out"</button>
            </form>
        </div>
    }
}
