//! Every page of the console, once: its path, title, place in the navigation, the capability it
//! needs and how it is rendered. Read by the router (`app.rs`: render mode), the navigation
//! (grouped), each page's header (title), the access policy and the role-matrix test
//! (`server/src/auth/policy.rs`), and the filter form handler (`server/src/search.rs`: which
//! fields are free text). A route without an entry fails the role-matrix test; an entry cannot be
//! written without a capability.

use leptos_router::SsrMode;
use shardscope::auth::Capability;

/// Where a page sits in the navigation: the top bar lists the groups, the bar under it the
/// current group's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Fleet,
    Tenants,
    Patients,
    Audit,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Fleet, Group::Tenants, Group::Patients, Group::Audit];

    pub fn label(self) -> &'static str {
        match self {
            Group::Fleet => "Fleet",
            Group::Tenants => "Tenants",
            Group::Patients => "Patients",
            Group::Audit => "Audit",
        }
    }
}

/// How the server sends a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// In-order streaming: each part is sent as soon as it is ready and the page still arrives
    /// complete without JavaScript (the overview's rows, fastest shard first).
    Streamed,
    /// Rendered whole before the first byte: the response's status is the page's (a bad filter's
    /// 400, a refused lookup's 429).
    Whole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRoute {
    /// As axum writes it (`/tenants/{org}`).
    pub path: &'static str,
    /// The `<h1>` and, with the product name, the `<title>`.
    pub title: &'static str,
    /// The link's text in the navigation; `None` for a page reached from another (one tenant).
    pub nav: Option<&'static str>,
    pub group: Group,
    pub capability: Capability,
    pub render: Render,
    /// `Some` when the page has a filter form (posted to `/filters`), with the fields where staff
    /// type free text: a phone or email typed there never reaches a URL (`server/src/search.rs`).
    pub filters: Option<&'static [&'static str]>,
    /// The ids of the page's tables, in export order: each answers at the page's own URL with
    /// `?format=csv|json&table=ID` (the first when `table` is left out). Empty: nothing exports.
    pub tables: &'static [&'static str],
}

impl PageRoute {
    pub fn ssr_mode(&self) -> SsrMode {
        match self.render {
            Render::Streamed => SsrMode::InOrder,
            Render::Whole => SsrMode::Async,
        }
    }
}

const fn page(
    path: &'static str,
    title: &'static str,
    nav: Option<&'static str>,
    group: Group,
    capability: Capability,
    render: Render,
    filters: Option<&'static [&'static str]>,
) -> PageRoute {
    PageRoute {
        path,
        title,
        nav,
        group,
        capability,
        render,
        filters,
        tables: &[],
    }
}

impl PageRoute {
    const fn exports(self, tables: &'static [&'static str]) -> PageRoute {
        PageRoute { tables, ..self }
    }
}

use Capability::{LookupPatients, ViewAudit, ViewFleet, ViewTenants};
use Group::{Audit, Fleet, Patients, Tenants};
use Render::{Streamed, Whole};

pub const OVERVIEW: PageRoute = page(
    "/",
    "Fleet overview",
    Some("Fleet overview"),
    Fleet,
    ViewFleet,
    Streamed,
    None,
)
.exports(&shardscope::overview::tables::OVERVIEW);
pub const POOLS: PageRoute = page(
    "/pools",
    "Connection pools",
    Some("Pools"),
    Fleet,
    ViewFleet,
    Whole,
    Some(&["service", "instance"]),
)
.exports(&shardscope::telemetry::tables::POOLS);
pub const REQUESTS: PageRoute = page(
    "/telemetry",
    "Requests",
    Some("Requests"),
    Fleet,
    ViewFleet,
    Whole,
    Some(&["route"]),
)
.exports(&shardscope::telemetry::tables::REQUESTS);
pub const SLOW_QUERIES: PageRoute = page(
    "/telemetry/slow-queries",
    "Slow queries",
    Some("Slow queries"),
    Fleet,
    ViewFleet,
    Whole,
    Some(&[]),
)
.exports(&shardscope::telemetry::tables::SLOW);
pub const SHARDS: PageRoute = page(
    "/shards",
    "Shards",
    Some("Shards"),
    Fleet,
    ViewFleet,
    Whole,
    Some(&[]),
)
.exports(&shardscope::shards::tables::SHARDS);
// Titled "Shard detail", not "Shard": the bundle check finds pages in the wasm by their title,
// and the overview's sort island has a "Shard" column.
pub const SHARD: PageRoute = page(
    "/shards/{shard}",
    "Shard detail",
    None,
    Fleet,
    ViewFleet,
    Whole,
    None,
)
.exports(&shardscope::shards::tables::SHARD);
pub const TENANTS: PageRoute = page(
    "/tenants",
    "Tenants",
    Some("Tenants"),
    Tenants,
    ViewTenants,
    Whole,
    Some(&["q"]),
)
.exports(&shardscope::tenants::tables::TENANTS);
pub const TENANT: PageRoute = page(
    "/tenants/{org}",
    "Tenant",
    None,
    Tenants,
    ViewTenants,
    Whole,
    None,
)
.exports(&shardscope::tenants::tables::TENANT);
pub const ROUTING: PageRoute = page(
    "/routing",
    "Routing truth",
    Some("Routing"),
    Tenants,
    ViewTenants,
    Whole,
    None,
)
.exports(&shardscope::tenants::tables::ROUTING);
pub const COMPLIANCE: PageRoute = page(
    "/compliance",
    "RLS compliance",
    Some("Compliance"),
    Tenants,
    ViewTenants,
    Whole,
    None,
)
.exports(&shardscope::tenants::tables::COMPLIANCE);
pub const PLACEMENT: PageRoute = page(
    "/placement",
    "Placement",
    Some("Placement"),
    Tenants,
    ViewTenants,
    Whole,
    Some(&[]),
)
.exports(&shardscope::tenants::tables::PLACEMENT);
pub const PATIENTS: PageRoute = page(
    "/patients",
    "Patient lookup",
    Some("Patients"),
    Patients,
    LookupPatients,
    Whole,
    None,
);
pub const AUDIT: PageRoute = page(
    "/audit",
    "Access audit",
    Some("Access audit"),
    Audit,
    ViewAudit,
    Streamed,
    Some(&["addr", "subject"]),
)
.exports(&shardscope::auth::audit::table::AUDIT);

/// Every page, in navigation order.
pub const PAGES: [PageRoute; 13] = [
    OVERVIEW,
    SHARDS,
    SHARD,
    POOLS,
    REQUESTS,
    SLOW_QUERIES,
    TENANTS,
    TENANT,
    ROUTING,
    COMPLIANCE,
    PLACEMENT,
    PATIENTS,
    AUDIT,
];

/// `/tenants/{org}` matches `/tenants/101` (one non-empty segment per `{…}`).
pub fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with('{') && a.ends_with('}') => {
                if b.is_empty() {
                    return false;
                }
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The page a request path opens, if any.
pub fn find(path: &str) -> Option<&'static PageRoute> {
    PAGES.iter().find(|p| matches(p.path, path))
}

/// The pages in the navigation a role with `allows` may open, grouped, groups in order.
pub fn navigation(allows: impl Fn(Capability) -> bool) -> Vec<(Group, Vec<&'static PageRoute>)> {
    Group::ALL
        .into_iter()
        .map(|g| {
            let pages = PAGES
                .iter()
                .filter(|p| p.group == g && p.nav.is_some() && allows(p.capability))
                .collect::<Vec<_>>();
            (g, pages)
        })
        .filter(|(_, pages)| !pages.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_every_group_has_a_page() {
        let mut paths: Vec<_> = PAGES.iter().map(|p| p.path).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), PAGES.len(), "a path is listed twice");
        for g in Group::ALL {
            assert!(
                PAGES.iter().any(|p| p.group == g && p.nav.is_some()),
                "{g:?} has no page"
            );
        }
    }

    #[test]
    fn patterns_match_one_segment_per_parameter() {
        assert_eq!(find("/tenants/101"), Some(&TENANT));
        assert_eq!(find("/shards/us-1"), Some(&SHARD));
        assert_eq!(find("/shards"), Some(&SHARDS));
        assert_eq!(find("/tenants"), Some(&TENANTS));
        assert_eq!(find("/tenants/"), None);
        assert_eq!(find("/tenants/1/x"), None);
        assert_eq!(find("/audit/"), None);
        assert_eq!(find("/"), Some(&OVERVIEW));
    }

    #[test]
    fn the_navigation_holds_only_what_the_role_may_open() {
        let viewer = navigation(|c| c == ViewFleet);
        assert_eq!(viewer.len(), 1);
        assert_eq!(viewer[0].0, Fleet);
        // Overview, shards, pools, requests, slow queries (a shard's own page is reached from the
        // list, not the navigation).
        assert_eq!(viewer[0].1.len(), 5);
        let everyone = navigation(|_| true);
        let groups: Vec<_> = everyone.iter().map(|(g, _)| *g).collect();
        assert_eq!(groups, Group::ALL);
        assert!(
            everyone
                .iter()
                .all(|(_, ps)| ps.iter().all(|p| p.nav.is_some()))
        );
    }
}
