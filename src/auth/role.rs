//! The three staff roles and what each may do. One table, checked on the server for every page
//! and every server function.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including a patient's full profile (with a reason) and the access audit.
    Superadmin,
    /// Fleet and tenant pages; patient lookup shows names and linked orgs only.
    Support,
    /// Fleet pages only: no tenant PHI, no patient lookup.
    Viewer,
}

/// Something a request may want to do. Pages and server functions each name one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// Fleet health pages: overview, shards, pools, telemetry, alerts, advisor.
    ViewFleet,
    /// Tenant pages (read under the tenant's RLS context; every view is audited).
    ViewTenants,
    /// Cross-shard patient lookup: names and linked orgs.
    LookupPatients,
    /// A patient's full profile, with a recorded reason (break-glass).
    OpenPatientProfile,
    /// The access audit (`/audit`).
    ViewAudit,
}

impl Capability {
    pub const ALL: [Capability; 5] = [
        Capability::ViewFleet,
        Capability::ViewTenants,
        Capability::LookupPatients,
        Capability::OpenPatientProfile,
        Capability::ViewAudit,
    ];
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Superadmin, Role::Support, Role::Viewer];

    pub fn allows(self, capability: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Superadmin => true,
            Role::Support => matches!(capability, ViewFleet | ViewTenants | LookupPatients),
            Role::Viewer => matches!(capability, ViewFleet),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::Support => "support",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "superadmin" => Ok(Role::Superadmin),
            "support" => Ok(Role::Support),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!(
                "unknown role {other:?}: use superadmin, support or viewer"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::*;

    #[test]
    fn the_role_table() {
        // Written out by hand (not derived from `allows`) so a change to the rules shows here.
        let expected = [
            (Role::Superadmin, [true, true, true, true, true]),
            (Role::Support, [true, true, true, false, false]),
            (Role::Viewer, [true, false, false, false, false]),
        ];
        for (role, row) in expected {
            for (cap, want) in Capability::ALL.into_iter().zip(row) {
                assert_eq!(role.allows(cap), want, "{role} {cap:?}");
            }
        }
    }

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert_eq!(" Support ".parse::<Role>().unwrap(), Role::Support);
        assert!("admin".parse::<Role>().unwrap_err().contains("superadmin"));
        assert!(!Role::Viewer.allows(LookupPatients));
    }
}
