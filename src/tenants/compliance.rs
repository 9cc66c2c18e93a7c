//! `/compliance`: is tenant isolation intact on every shard? For each table with an
//! `organization_id` column (and `patient_persons`) on every primary: RLS enabled and forced,
//! policies present, and policy definitions identical across shards (a difference is shown as a
//! diff against the majority). And the console's own roles hold no more than docs/security.md grants.
//! Catalog reads only (pg_class, pg_policies, ACLs), through the monitoring role.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::truth::Severity;
use crate::error::Result;
use crate::federation::Console;
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

/// What docs/security.md ("What the console's roles may do on a shard") grants the console's roles:
/// everything else is an issue.
fn allowed(grant: &Grant, monitor: &str, reader: &str) -> bool {
    const READER_TABLES: [&str; 5] = [
        "organizations",
        "patients",
        "appointments",
        "audit_log",
        "patient_persons",
    ];
    const MONITOR_FUNCTIONS: [&str; 2] = ["console_shard_counts()", "console_org_ids()"];
    match (grant.kind.as_str(), grant.role.as_str()) {
        ("member of", r) if r == monitor => grant.object == "pg_monitor",
        ("table", r) if r == reader => {
            grant.privilege == "SELECT" && READER_TABLES.contains(&grant.object.as_str())
        }
        ("function", r) if r == monitor => MONITOR_FUNCTIONS.contains(&grant.object.as_str()),
        _ => false,
    }
}

#[derive(sqlx::FromRow)]
struct TableRow {
    table_name: String,
    rls_enabled: bool,
    rls_forced: bool,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    table_name: String,
    line: String,
}

async fn read_catalog(
    pool: &PgPool,
    roles: &[String],
) -> std::result::Result<ShardCatalog, sqlx::Error> {
    let tables: Vec<TableRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, c.relrowsecurity AS rls_enabled,
                c.relforcerowsecurity AS rls_forced
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            AND (c.relname IN ('patient_persons', 'organizations') OR EXISTS (
                 SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let policies: Vec<PolicyRow> = sqlx::query_as(
        "SELECT tablename::text AS table_name,
                policyname || ': ' || permissive || ' FOR ' || cmd || ' TO ' ||
                array_to_string(roles, ',') || coalesce(' USING (' || qual || ')', '') ||
                coalesce(' WITH CHECK (' || with_check || ')', '') AS line
           FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename, policyname",
    )
    .fetch_all(pool)
    .await?;
    // PUBLIC (grantee 0) counts: what PUBLIC may do, every console role may do.
    let grants: Vec<Grant> = sqlx::query_as(
        "WITH r AS (SELECT oid, rolname::text AS role FROM pg_roles WHERE rolname = ANY($1)
                    UNION ALL SELECT 0::oid, 'PUBLIC')
         SELECT r.role, 'attribute' AS kind, '' AS object, a.attr AS privilege
           FROM r JOIN pg_roles p ON p.oid = r.oid
          CROSS JOIN LATERAL (VALUES ('SUPERUSER', p.rolsuper), ('BYPASSRLS', p.rolbypassrls),
                ('CREATEROLE', p.rolcreaterole), ('CREATEDB', p.rolcreatedb),
                ('REPLICATION', p.rolreplication)) AS a(attr, has)
          WHERE a.has
         UNION ALL
         SELECT r.role, 'member of', g.rolname::text, 'MEMBER'
           FROM r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
         UNION ALL
         SELECT r.role, 'table', c.relname::text, a.privilege_type
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
           JOIN r ON r.oid = a.grantee
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            -- What an extension grants PUBLIC (pg_stat_statements' views) is the extension's.
            AND (a.grantee <> 0 OR NOT EXISTS (
                 SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e'))
         UNION ALL
         SELECT r.role, 'column', c.relname || '.' || a.attname, x.privilege_type
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN LATERAL aclexplode(a.attacl) x
           JOIN r ON r.oid = x.grantee
          WHERE a.attacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         UNION ALL
         SELECT r.role, 'function', p.proname || '()', 'EXECUTE'
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           JOIN r ON r.oid = a.grantee
          WHERE n.nspname = 'public' AND p.prosecdef
            AND (a.grantee <> 0 OR NOT EXISTS (
                 SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                    AND d.objid = p.oid AND d.deptype = 'e'))
         UNION ALL
         SELECT r.role, 'owner', c.relname::text, 'OWNER'
           FROM pg_class c JOIN r ON r.oid = c.relowner
         ORDER BY 1, 2, 3, 4",
    )
    .bind(roles)
    .fetch_all(pool)
    .await?;
    let roles_present: Vec<String> =
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1")
            .bind(roles)
            .fetch_all(pool)
            .await?;
    let helpers: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname || '(): ' || md5(pg_get_functiondef(p.oid))
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND p.proname IN ('app_current_org', 'app_is_superadmin')
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let weak_definers: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname || '()' FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
          WHERE n.nspname = 'public' AND p.prosecdef
            AND p.proname IN ('console_shard_counts', 'console_org_ids')
            AND NOT (o.rolsuper OR o.rolbypassrls)
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in policies {
        by_table.entry(p.table_name).or_default().push(p.line);
    }
    Ok(ShardCatalog {
        tables: tables
            .into_iter()
            .map(|t| TableState {
                policies: by_table.remove(&t.table_name).unwrap_or_default(),
                table: t.table_name,
                rls_enabled: t.rls_enabled,
                rls_forced: t.rls_forced,
            })
            .collect(),
        grants,
        roles_present,
        helpers,
        weak_definers,
    })
}

/// Read every shard's catalog (primaries only, each under the shard deadline) and judge it.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn report(console: &Console) -> Result<std::sync::Arc<ComplianceReport>> {
    let c = console.clone();
    console
        .telemetry()
        .shared("compliance".into(), move || async move {
            let shards = c
                .shards()
                .await
                .map_err(|e| crate::telemetry::Unavailable(e.to_string()))?;
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
                            crate::overview::probe::with_reconnect(c.pools(), &primary, |pool| {
                                let roles = roles.clone();
                                async move { read_catalog(&pool, &roles).await }
                            })
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
                crate::federation::fanout::now_ms(),
            ))
        })
        .await
        .map_err(|u| crate::Error::RoutingUnavailable(u.0))
}

/// Judge the catalogs. Pure.
pub fn judge(
    shards: Vec<Outcome<ShardCatalog>>,
    monitor: &str,
    reader: &str,
    measured_at_ms: u64,
) -> ComplianceReport {
    let mut issues = Vec::new();
    // Majority policy set per table, among shards that answered and have the table.
    let mut votes: BTreeMap<&str, BTreeMap<&Vec<String>, usize>> = BTreeMap::new();
    let mut table_count: BTreeMap<&str, usize> = BTreeMap::new();
    let answered: Vec<(&str, &ShardCatalog)> = shards
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|c| (o.target.as_str(), c)))
        .collect();
    for (_, cat) in &answered {
        for t in &cat.tables {
            *votes
                .entry(t.table.as_str())
                .or_default()
                .entry(&t.policies)
                .or_default() += 1;
            *table_count.entry(t.table.as_str()).or_default() += 1;
        }
    }
    // A majority is a set held by more shards than any other; on a tie there is none, and every
    // shard that differs from another is flagged.
    let winner = |v: &BTreeMap<&Vec<String>, usize>| -> Option<Vec<String>> {
        let mut counts: Vec<(&&Vec<String>, &usize)> = v.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1));
        match counts.as_slice() {
            [only] => Some((*only.0).clone()),
            [first, second, ..] if first.1 > second.1 => Some((*first.0).clone()),
            _ => None,
        }
    };
    let majority: BTreeMap<String, Vec<String>> = votes
        .iter()
        .filter_map(|(t, v)| winner(v).map(|w| (t.to_string(), w)))
        .collect();
    let mut helper_votes: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for (_, cat) in &answered {
        *helper_votes.entry(&cat.helpers).or_default() += 1;
    }
    let helper_majority = winner(&helper_votes);
    for (shard, cat) in &answered {
        let issue = |severity, table: &str, detail: String, diff, action: &str| Issue {
            severity,
            shard_id: shard.to_string(),
            table: Some(table.to_string()),
            detail,
            diff,
            action: action.to_string(),
        };
        for table in table_count.keys() {
            if !cat.tables.iter().any(|t| t.table == *table) {
                issues.push(issue(
                    Severity::Warning,
                    table,
                    format!("{table} is missing here (other shards have it)"),
                    vec![],
                    "run the shard migrations on this shard",
                ));
            }
        }
        for t in &cat.tables {
            if !t.rls_enabled {
                issues.push(issue(
                    Severity::Critical,
                    &t.table,
                    format!("row-level security is disabled on {}: every role with SELECT sees every org", t.table),
                    vec![],
                    "ALTER TABLE … ENABLE ROW LEVEL SECURITY (and FORCE)",
                ));
            } else if !t.rls_forced {
                issues.push(issue(
                    Severity::Critical,
                    &t.table,
                    format!(
                        "row-level security on {} is enabled but not forced: the table owner (the platform's connections) bypasses it",
                        t.table
                    ),
                    vec![],
                    "ALTER TABLE … FORCE ROW LEVEL SECURITY",
                ));
            }
            if t.policies.is_empty() {
                issues.push(issue(
                    Severity::Warning,
                    &t.table,
                    format!(
                        "{} has no policies: with RLS on, no tenant can read it",
                        t.table
                    ),
                    vec![],
                    "recreate the tenant_isolation policy from the migrations",
                ));
            }
            let variants = votes.get(t.table.as_str()).map_or(0, |v| v.len());
            match majority.get(&t.table) {
                Some(m) if *m != t.policies => issues.push(issue(
                    Severity::Warning,
                    &t.table,
                    format!("{}'s policies differ from the majority of shards", t.table),
                    diff(m, &t.policies),
                    "make this shard's policies match the migrations (or, if the majority is the drift, the others)",
                )),
                None if variants > 1 => {
                    let other = votes[t.table.as_str()]
                        .keys()
                        .find(|p| ***p != t.policies)
                        .map(|p| (*p).clone())
                        .unwrap_or_default();
                    issues.push(issue(
                        Severity::Warning,
                        &t.table,
                        format!(
                            "{}'s policies differ between shards and no version has a majority",
                            t.table
                        ),
                        diff(&other, &t.policies),
                        "compare each shard with the migrations; the diff is against another shard's version",
                    ));
                }
                _ => {}
            }
        }
        if helper_votes.len() > 1 && helper_majority.as_ref() != Some(&cat.helpers) {
            let against = helper_majority.clone().unwrap_or_else(|| {
                helper_votes
                    .keys()
                    .find(|h| ***h != cat.helpers)
                    .map(|h| (*h).clone())
                    .unwrap_or_default()
            });
            issues.push(Issue {
                severity: Severity::Critical,
                shard_id: shard.to_string(),
                table: None,
                detail: "the RLS helper functions the policies call (app_current_org, \
                         app_is_superadmin) are defined differently here"
                    .into(),
                diff: diff(&against, &cat.helpers),
                action: "compare with the migrations: a helper that returns true for everyone \
                         opens every table"
                    .into(),
            });
        }
        for role in [monitor, reader] {
            if !cat.roles_present.iter().any(|r| r == role) {
                issues.push(Issue {
                    severity: Severity::Warning,
                    shard_id: shard.to_string(),
                    table: None,
                    detail: format!(
                        "role {role} does not exist here: its privileges could not be checked"
                    ),
                    diff: vec![],
                    action: "run the shard migrations and provision the role".into(),
                });
            }
        }
        for f in &cat.weak_definers {
            issues.push(Issue {
                severity: Severity::Warning,
                shard_id: shard.to_string(),
                table: None,
                detail: format!(
                    "{f} runs as an owner that cannot bypass RLS: it sees no tenant rows and the \
                     console's counts and routing truth read zeros here"
                ),
                diff: vec![],
                action:
                    "make its owner the migrating role (BYPASSRLS) with ALTER FUNCTION … OWNER TO"
                        .into(),
            });
        }
        for g in &cat.grants {
            if !allowed(g, monitor, reader) {
                issues.push(Issue {
                    // Any extra privilege is a path around the role's limits: SELECT on a tenant
                    // table lets anyone who can SET app.current_role read every org.
                    severity: Severity::Critical,
                    shard_id: shard.to_string(),
                    table: (g.kind == "table").then(|| g.object.clone()),
                    detail: match g.kind.as_str() {
                        "attribute" => format!("{} has {}", g.role, g.privilege),
                        "member of" => format!("{} is a member of {}", g.role, g.object),
                        "owner" => format!("{} owns {}", g.role, g.object),
                        _ if g.role == "PUBLIC" => format!(
                            "PUBLIC (so every console role) has {} on {} {}",
                            g.privilege, g.kind, g.object
                        ),
                        _ => format!("{} has {} on {} {}", g.role, g.privilege, g.kind, g.object),
                    },
                    diff: vec![],
                    action: format!(
                        "revoke it: docs/security.md lists everything {} may do",
                        g.role
                    ),
                });
            }
        }
    }
    issues.sort_by(|a, b| {
        (a.severity, &a.shard_id, &a.table).cmp(&(b.severity, &b.shard_id, &b.table))
    });
    ComplianceReport {
        shards,
        majority,
        issues,
        measured_at_ms,
    }
}

/// Lines only in the majority (`- `) and lines only on the shard (`+ `), in order.
pub fn diff(majority: &[String], shard: &[String]) -> Vec<String> {
    let mut out: Vec<String> = majority
        .iter()
        .filter(|l| !shard.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(
        shard
            .iter()
            .filter(|l| !majority.contains(l))
            .map(|l| format!("+ {l}")),
    );
    out
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
