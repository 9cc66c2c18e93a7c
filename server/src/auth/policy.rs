//! Which role may open which page. Server functions are not listed: each checks its own
//! capability (they are public HTTP endpoints, reachable without any page).

use shardscope::auth::Capability;

/// Every page and server-rendered resource, with what it needs. The role-matrix test fails if a
/// route exists that is not listed here.
pub const PAGES: &[(&str, Capability)] = &[
    ("/", Capability::ViewFleet),
    ("/charts/balance.svg", Capability::ViewFleet),
    ("/audit", Capability::ViewAudit),
    ("/pools", Capability::ViewFleet),
    ("/telemetry", Capability::ViewFleet),
    ("/telemetry/slow-queries", Capability::ViewFleet),
    ("/charts/pools.svg", Capability::ViewFleet),
    ("/charts/requests.svg", Capability::ViewFleet),
    ("/tenants", Capability::ViewTenants),
    ("/tenants/{org}", Capability::ViewTenants),
    ("/routing", Capability::ViewTenants),
    ("/compliance", Capability::ViewTenants),
    ("/placement", Capability::ViewTenants),
    ("/patients", Capability::LookupPatients),
    // The search box (POST only): tenants by id or name; a phone or email goes to the lookup.
    ("/search", Capability::ViewTenants),
    // Every page's filter form (POST only): a redirect to the page, which checks its own role.
    ("/filters", Capability::ViewFleet),
];

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
    PAGES
        .iter()
        .find(|(p, _)| matches_pattern(p, path))
        .map_or(Access::SignedIn, |(_, cap)| Access::Page(*cap))
}

/// `/tenants/{org}` matches `/tenants/101` (one non-empty segment per `{…}`).
fn matches_pattern(pattern: &str, path: &str) -> bool {
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
