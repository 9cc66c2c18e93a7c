//! The document shell and the router.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::api::current_staff;
use crate::dto::StaffDto;
use crate::pages::{
    AuditPage, CompliancePage, NotFound, OverviewPage, PatientsPage, PlacementPage, PoolsPage,
    RequestsPage, RoutingPage, ShardPage, ShardsPage, SlowQueriesPage, TenantPage, TenantsPage,
};
use crate::routes;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() islands=true />
                // The file name carries a content hash in builds with `hash-files` (served
                // `immutable`); see `server/src/static_files.rs`.
                <HashedStylesheet options id="leptos" />
                <link rel="icon" href="/favicon.ico" />
                <MetaTags />
            </head>
            <body>
                <App />
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
        <a class="skip" href="#main" rel="external">
            "Skip to content"
        </a>
        <Router>
            <header class="topbar">
                <a href="/" class="brand">
                    "shardscope"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await.ok().flatten() {
                            Some(staff) => view! { <StaffNav staff /> }.into_any(),
                            None => {
                                // Pages outside the session layers (the 404 page) do not know who
                                // is reading: the way back in is enough.
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
                <Routes fallback=|| view! { <NotFound /> }>
                    // One line per entry of `routes::PAGES` (a test compares them); how each
                    // page is sent (streamed or whole) is the table's.
                    <Route path=path!("/") view=OverviewPage ssr=routes::OVERVIEW.ssr_mode() />
                    <Route path=path!("/audit") view=AuditPage ssr=routes::AUDIT.ssr_mode() />
                    <Route path=path!("/shards") view=ShardsPage ssr=routes::SHARDS.ssr_mode() />
                    <Route
                        path=path!("/shards/:shard")
                        view=ShardPage
                        ssr=routes::SHARD.ssr_mode()
                    />
                    <Route path=path!("/pools") view=PoolsPage ssr=routes::POOLS.ssr_mode() />
                    <Route
                        path=path!("/telemetry")
                        view=RequestsPage
                        ssr=routes::REQUESTS.ssr_mode()
                    />
                    <Route
                        path=path!("/telemetry/slow-queries")
                        view=SlowQueriesPage
                        ssr=routes::SLOW_QUERIES.ssr_mode()
                    />
                    <Route path=path!("/tenants") view=TenantsPage ssr=routes::TENANTS.ssr_mode() />
                    <Route
                        path=path!("/tenants/:org")
                        view=TenantPage
                        ssr=routes::TENANT.ssr_mode()
                    />
                    <Route path=path!("/routing") view=RoutingPage ssr=routes::ROUTING.ssr_mode() />
                    <Route
                        path=path!("/compliance")
                        view=CompliancePage
                        ssr=routes::COMPLIANCE.ssr_mode()
                    />
                    <Route
                        path=path!("/placement")
                        view=PlacementPage
                        ssr=routes::PLACEMENT.ssr_mode()
                    />
                    <Route
                        path=path!("/patients")
                        view=PatientsPage
                        ssr=routes::PATIENTS.ssr_mode()
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// The pages this role may open, who is signed in, and sign-out (a plain form POST: it works
/// without JavaScript and is checked for CSRF like every state change).
///
/// The navigation is two rows so pages can be added without crowding the bar: the top bar lists
/// the groups (each links to its first page, the current one is marked), the row under it the
/// current group's pages.
#[component]
fn StaffNav(staff: StaffDto) -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let current = routes::find(&here).map(|p| p.group.label());
    // Support and superadmin find a tenant from any page: type, Enter, pick it from the results.
    let tenants = staff.links.iter().any(|l| l.href == routes::TENANTS.path);
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for l in staff.links {
        match groups.iter_mut().find(|(g, _)| *g == l.group) {
            Some((_, pages)) => pages.push((l.href, l.label)),
            None => groups.push((l.group, vec![(l.href, l.label)])),
        }
    }
    let pages = groups
        .iter()
        .find(|(g, _)| Some(g.as_str()) == current)
        .map(|(_, pages)| pages.clone())
        .unwrap_or_default();
    let link = move |(href, label): (String, String)| {
        let mark = (href == here).then_some("page");
        view! {
            <a href=href aria-current=mark>
                {label}
            </a>
        }
    };
    view! {
        <nav class="sections" aria-label="Sections">
            {groups
                .into_iter()
                .map(|(group, pages)| {
                    let mark = (Some(group.as_str()) == current).then_some("true");
                    let first = pages.into_iter().next().map(|(href, _)| href).unwrap_or_default();
                    view! {
                        <a href=first aria-current=mark>
                            {group}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
        {tenants
            .then(|| {
                view! {
                    // A POST (see server/src/search.rs): what staff type may be a patient's
                    // phone, which a GET form would put in the URL.
                    <form
                        class="tenant-search"
                        method="post"
                        action="/search"
                        role="search"
                        aria-label="Find a tenant"
                    >
                        <label class="visually-hidden" for="tenant-search">
                            "Find a tenant by id or name"
                        </label>
                        <input
                            id="tenant-search"
                            name="q"
                            type="search"
                            placeholder="Org id, name, or a patient's phone"
                            autocomplete="off"
                        />
                        <button type="submit">"Find"</button>
                    </form>
                }
            })}
        <div class="whoami">
            <span class="who">{staff.email}</span>
            <span class="role" data-role=staff.role.clone()>
                {staff.role.clone()}
            </span>
            <form method="post" action="/logout">
                <button type="submit">"Sign out"</button>
            </form>
        </div>
        {(!pages.is_empty())
            .then(|| {
                view! {
                    <nav class="pages" aria-label="Pages">
                        {pages.into_iter().map(link).collect_view()}
                    </nav>
                }
            })}
    }
}
