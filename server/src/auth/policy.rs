//! Which role may open which page. Server functions are not listed: each checks its own
//! capability (they are public HTTP endpoints, reachable without any page).

use shardscope::auth::Capability;
use shardscope_app::routes;

/// What is served besides the pages (`shardscope_app::routes::PAGES`), with what it needs.
pub const RESOURCES: &[(&str, Capability)] = &[
    ("/charts/balance.svg", Capability::ViewFleet),
    ("/charts/pools.svg", Capability::ViewFleet),
    ("/charts/requests.svg", Capability::ViewFleet),
    ("/shards/{shard}/chart.svg", Capability::ViewFleet),
    // The search box (POST only): tenants by id or name; a phone or email goes to the lookup.
    ("/search", Capability::ViewTenants),
    // Every page's filter form (POST only): a redirect to the page, which checks its own role.
    ("/filters", Capability::ViewFleet),
];

/// Every page and server-rendered resource, with what it needs. The role-matrix test fails if a
/// route exists that is not listed here.
pub fn protected() -> impl Iterator<Item = (&'static str, Capability)> {
    routes::PAGES
        .iter()
        .map(|p| (p.path, p.capability))
        .chain(RESOURCES.iter().copied())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Sign-in and sign-out (they resolve the session themselves).
    Public,
    /// A server function: the identity is resolved, the function checks the role.
    ServerFn,
    /// A page needing this capability.
    Page(Capability),
    /// Not a known page: signed-in staff get the 404 page.
    SignedIn,
}

pub fn access(path: &str) -> Access {
    if path == "/login" || path == "/logout" {
        return Access::Public;
    }
    if path.starts_with("/api/") {
        return Access::ServerFn;
    }
    protected()
        .find(|(p, _)| routes::matches(p, path))
        .map_or(Access::SignedIn, |(_, cap)| Access::Page(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_access() {
        assert_eq!(access("/login"), Access::Public);
        assert_eq!(access("/api/overview"), Access::ServerFn);
        assert_eq!(access("/"), Access::Page(Capability::ViewFleet));
        assert_eq!(access("/audit"), Access::Page(Capability::ViewAudit));
        assert_eq!(access("/audit/"), Access::SignedIn);
        assert_eq!(access("/nope"), Access::SignedIn);
        assert_eq!(
            access("/tenants/101"),
            Access::Page(Capability::ViewTenants)
        );
        assert_eq!(access("/tenants/"), Access::SignedIn);
        assert_eq!(access("/tenants/1/x"), Access::SignedIn);
    }
}
