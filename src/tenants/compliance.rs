//! `/compliance`: is tenant isolation intact on every shard? For each table with an
//! `organization_id` column (and `patient_persons`) on every primary: RLS enabled and forced,
//! policies present, and policy definitions identical across shards (a difference is shown as a
//! diff against the majority). And the console's own roles hold no more than docs/security.md grants.
//! Catalog reads only (pg_class, pg_policies, ACLs), through the monitoring role.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod gather;
mod judge;

pub use judge::{diff, judge};

use super::Sources;
use super::truth::Severity;
use crate::error::Result;
use crate::federation::fanout::{Failure, FailureKind, Outcome, fan_out, timed};

/// What one shard's catalog says about one tenant table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableState {
    pub table: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// One line per policy, normalised: `name: PERMISSIVE FOR cmd TO roles USING (…) WITH CHECK (…)`.
    pub policies: Vec<String>,
}

/// One privilege or attribute of a console role on one shard.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, sqlx::FromRow)]
pub struct Grant {
    pub role: String,
    /// "attribute", "member of", "table", "function", "owner".
    pub kind: String,
    pub object: String,
    pub privilege: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardCatalog {
    pub tables: Vec<TableState>,
    pub grants: Vec<Grant>,
    /// The console roles that exist on this shard.
    pub roles_present: Vec<String>,
    /// `name(): md5 of its definition` for the functions the policies call.
    pub helpers: Vec<String>,
    /// The console's SECURITY DEFINER functions whose owner cannot bypass RLS (they would see no
    /// rows under forced RLS and answer zeros).
    pub weak_definers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub shard_id: String,
    pub table: Option<String>,
    pub detail: String,
    /// For a policy difference: lines of a diff against the majority (`- ` majority, `+ ` shard).
    pub diff: Vec<String>,
    pub action: String,
}

/// The checked tables, per shard, and every issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceReport {
    pub shards: Vec<Outcome<ShardCatalog>>,
    /// Each table's majority policy set (what most answering shards have).
    pub majority: BTreeMap<String, Vec<String>>,
    pub issues: Vec<Issue>,
    pub measured_at_ms: u64,
}

/// Read every shard's catalog (primaries only, each under the shard deadline) and judge it.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn report(console: &impl Sources) -> Result<std::sync::Arc<ComplianceReport>> {
    let c = console.clone();
    console
        .memo()
        .shared(
            crate::coalesce::Key::one("compliance"),
            move || async move {
                let shards = c.shards().await.map_err(|e| e.failure())?;
                let deadline = c.config().engine.shard_deadline;
                let roles = vec![
                    c.config().monitor_user.clone(),
                    c.config().tenants.reader_user.clone(),
                ];
                let outcomes = fan_out(
                    shards.iter().cloned().collect(),
                    c.config().engine.concurrency,
                    |s| {
                        let (c, roles) = (c.clone(), roles.clone());
                        async move {
                            let read = async {
                                let primary = s.primary.clone().map_err(|why| {
                                    Failure::new(
                                        FailureKind::ShardUnknown,
                                        format!("unusable URL: {why}"),
                                    )
                                })?;
                                crate::federation::pools::with_reconnect(
                                    c.pools(),
                                    &primary,
                                    |pool| {
                                        let roles = roles.clone();
                                        async move { gather::read_catalog(&pool, &roles).await }
                                    },
                                )
                                .await
                            };
                            timed(s.id.clone(), deadline, read).await
                        }
                    },
                )
                .await;
                Ok(judge(
                    outcomes,
                    &roles[0],
                    &roles[1],
                    crate::clock::now_ms(),
                ))
            },
        )
        .await
        .map_err(crate::error::Error::RoutingUnavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, forced: bool, policy: &str) -> TableState {
        TableState {
            table: name.into(),
            rls_enabled: true,
            rls_forced: forced,
            policies: vec![policy.into()],
        }
    }

    fn shard(id: &str, tables: Vec<TableState>, grants: Vec<Grant>) -> Outcome<ShardCatalog> {
        Outcome {
            target: id.into(),
            latency_ms: 1,
            measured_at_ms: 0,
            result: Ok(ShardCatalog {
                tables,
                grants,
                roles_present: vec!["mon".into(), "rdr".into()],
                helpers: vec!["app_is_superadmin(): abc".into()],
                weak_definers: vec![],
            }),
        }
    }

    const P: &str = "tenant_isolation: PERMISSIVE FOR ALL TO public USING (organization_id = app_current_org())";

    fn grant(role: &str, kind: &str, object: &str, privilege: &str) -> Grant {
        Grant {
            role: role.into(),
            kind: kind.into(),
            object: object.into(),
            privilege: privilege.into(),
        }
    }

    fn good_grants() -> Vec<Grant> {
        vec![
            grant("mon", "member of", "pg_monitor", "MEMBER"),
            grant("mon", "function", "console_org_ids()", "EXECUTE"),
            grant("rdr", "table", "patients", "SELECT"),
        ]
    }

    #[test]
    fn identical_shards_are_compliant() {
        let r = judge(
            (0..3)
                .map(|i| {
                    shard(
                        &format!("s{i}"),
                        vec![table("patients", true, P)],
                        good_grants(),
                    )
                })
                .collect(),
            "mon",
            "rdr",
            0,
        );
        assert!(r.issues.is_empty(), "{:?}", r.issues);
    }

    #[test]
    fn drifts_are_found_with_a_diff_against_the_majority() {
        let changed = P.replace("app_current_org()", "app_current_org() OR true");
        let r = judge(
            vec![
                shard("s0", vec![table("patients", true, P)], good_grants()),
                shard("s1", vec![table("patients", false, P)], good_grants()),
                shard("s2", vec![table("patients", true, &changed)], {
                    let mut g = good_grants();
                    g.push(grant("rdr", "table", "patients", "DELETE"));
                    g.push(grant("mon", "attribute", "", "BYPASSRLS"));
                    g
                }),
            ],
            "mon",
            "rdr",
            0,
        );
        let found: Vec<(&str, &str)> = r
            .issues
            .iter()
            .map(|i| (i.shard_id.as_str(), i.detail.as_str()))
            .collect();
        assert!(
            found
                .iter()
                .any(|(s, d)| *s == "s1" && d.contains("not forced")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(s, d)| *s == "s2" && d.contains("differ")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(s, d)| *s == "s2" && d.contains("DELETE")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(s, d)| *s == "s2" && d.contains("BYPASSRLS")),
            "{found:?}"
        );
        let d = r
            .issues
            .iter()
            .find(|i| i.detail.contains("differ"))
            .unwrap();
        assert_eq!(d.diff, vec![format!("- {P}"), format!("+ {changed}")]);
        assert_eq!(r.issues.len(), 4, "{:?}", r.issues);
    }

    #[test]
    fn a_missing_table_an_empty_policy_set_and_a_weak_definer_are_issues() {
        let full = || {
            vec![
                table("patients", true, P),
                table("appointments", true, P),
                table("audit_log", true, P),
            ]
        };
        let mut odd = shard("s2", vec![table("patients", true, P)], good_grants());
        if let Ok(c) = &mut odd.result {
            c.tables.push(TableState {
                table: "audit_log".into(),
                rls_enabled: true,
                rls_forced: true,
                policies: vec![],
            });
            c.weak_definers.push("console_org_ids()".into());
        }
        let r = judge(
            vec![
                shard("s0", full(), good_grants()),
                shard("s1", full(), good_grants()),
                odd,
            ],
            "mon",
            "rdr",
            0,
        );
        let details: Vec<(&str, Option<&str>, &str)> = r
            .issues
            .iter()
            .map(|i| (i.shard_id.as_str(), i.table.as_deref(), i.detail.as_str()))
            .collect();
        assert_eq!(
            details,
            [
                (
                    "s2",
                    None,
                    "console_org_ids() runs as an owner that cannot bypass RLS: it sees no tenant rows and the console's counts and routing truth read zeros here"
                ),
                (
                    "s2",
                    Some("appointments"),
                    "appointments is missing here (other shards have it)"
                ),
                (
                    "s2",
                    Some("audit_log"),
                    "audit_log has no policies: with RLS on, no tenant can read it"
                ),
                (
                    "s2",
                    Some("audit_log"),
                    "audit_log's policies differ from the majority of shards"
                ),
            ],
            "{:?}",
            r.issues
        );
    }

    #[test]
    fn a_tie_has_no_majority_and_both_sides_are_flagged() {
        let changed = P.replace("app_current_org()", "app_current_org() OR true");
        let r = judge(
            vec![
                shard("s0", vec![table("patients", true, P)], good_grants()),
                shard("s1", vec![table("patients", true, &changed)], good_grants()),
            ],
            "mon",
            "rdr",
            0,
        );
        assert_eq!(r.issues.len(), 2, "{:?}", r.issues);
        assert!(
            r.issues
                .iter()
                .all(|i| i.detail.contains("no version has a majority"))
        );
    }

    #[test]
    fn public_grants_missing_roles_and_changed_helpers_are_issues() {
        let mut odd = shard("s2", vec![table("patients", true, P)], {
            let mut g = good_grants();
            g.push(grant("PUBLIC", "table", "patients", "SELECT"));
            g
        });
        if let Ok(c) = &mut odd.result {
            c.roles_present = vec!["mon".into()];
            c.helpers = vec!["app_is_superadmin(): fff".into()];
        }
        let r = judge(
            vec![
                shard("s0", vec![table("patients", true, P)], good_grants()),
                shard("s1", vec![table("patients", true, P)], good_grants()),
                odd,
            ],
            "mon",
            "rdr",
            0,
        );
        let details: Vec<&str> = r.issues.iter().map(|i| i.detail.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("PUBLIC (so every console role) has SELECT")),
            "{details:?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("role rdr does not exist")),
            "{details:?}"
        );
        assert!(
            details.iter().any(|d| d.contains("helper functions")),
            "{details:?}"
        );
        assert!(r.issues.iter().all(|i| i.shard_id == "s2"));
    }
}
