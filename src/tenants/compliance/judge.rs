//! Judging the catalogs: what most shards agree on ([`Consensus`]), then one function per check,
//! each over one shard's catalog. Pure: every check is unit-tested through [`judge`].

use std::collections::BTreeMap;

use super::{ComplianceReport, Grant, Issue, ShardCatalog};
use crate::federation::fanout::Outcome;
use crate::tenants::truth::Severity;

/// The console's two roles on a shard, whose privileges are checked.
#[derive(Clone, Copy)]
pub struct Roles<'a> {
    pub monitor: &'a str,
    pub reader: &'a str,
}

/// What the shards that answered agree on.
pub struct Consensus<'a> {
    /// table → each policy set seen for it → how many shards have it.
    votes: BTreeMap<&'a str, BTreeMap<&'a Vec<String>, usize>>,
    /// table → how many shards have it.
    tables: BTreeMap<&'a str, usize>,
    /// table → the policy set more shards have than any other (none on a tie).
    majority: BTreeMap<String, Vec<String>>,
    helper_votes: BTreeMap<&'a Vec<String>, usize>,
    helper_majority: Option<Vec<String>>,
}

/// A majority is a set held by more shards than any other; on a tie there is none, and every
/// shard that differs from another is flagged.
fn winner(v: &BTreeMap<&Vec<String>, usize>) -> Option<Vec<String>> {
    let mut counts: Vec<(&&Vec<String>, &usize)> = v.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1));
    match counts.as_slice() {
        [only] => Some((*only.0).clone()),
        [first, second, ..] if first.1 > second.1 => Some((*first.0).clone()),
        _ => None,
    }
}

impl<'a> Consensus<'a> {
    fn of(answered: &[(&'a str, &'a ShardCatalog)]) -> Self {
        let mut votes: BTreeMap<&str, BTreeMap<&Vec<String>, usize>> = BTreeMap::new();
        let mut tables: BTreeMap<&str, usize> = BTreeMap::new();
        let mut helper_votes: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
        for (_, cat) in answered {
            for t in &cat.tables {
                *votes
                    .entry(t.table.as_str())
                    .or_default()
                    .entry(&t.policies)
                    .or_default() += 1;
                *tables.entry(t.table.as_str()).or_default() += 1;
            }
            *helper_votes.entry(&cat.helpers).or_default() += 1;
        }
        let majority = votes
            .iter()
            .filter_map(|(t, v)| winner(v).map(|w| (t.to_string(), w)))
            .collect();
        let helper_majority = winner(&helper_votes);
        Self {
            votes,
            tables,
            majority,
            helper_votes,
            helper_majority,
        }
    }
}

/// One shard's catalog, and what it is judged against.
struct Shard<'s> {
    id: &'s str,
    cat: &'s ShardCatalog,
}

impl Shard<'_> {
    fn issue(
        &self,
        severity: Severity,
        table: Option<&str>,
        detail: String,
        diff: Vec<String>,
        action: &str,
    ) -> Issue {
        Issue {
            severity,
            shard_id: self.id.to_string(),
            table: table.map(str::to_string),
            detail,
            diff,
            action: action.to_string(),
        }
    }
}

type Check = fn(&Shard, &Consensus, Roles) -> Vec<Issue>;

/// Every check, in the order a shard's issues are listed before sorting.
const CHECKS: [Check; 8] = [
    missing_tables,
    rls_off_or_not_forced,
    tables_without_policies,
    policies_differ,
    helpers_differ,
    roles_missing,
    definers_without_bypass,
    grants_beyond_the_documented,
];

/// Judge the catalogs. Pure.
pub fn judge(
    shards: Vec<Outcome<ShardCatalog>>,
    monitor: &str,
    reader: &str,
    measured_at_ms: u64,
) -> ComplianceReport {
    let roles = Roles { monitor, reader };
    let answered: Vec<(&str, &ShardCatalog)> = shards
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|c| (o.target.as_str(), c)))
        .collect();
    let consensus = Consensus::of(&answered);
    let mut issues: Vec<Issue> = answered
        .iter()
        .flat_map(|(id, cat)| {
            let shard = Shard { id, cat };
            CHECKS
                .iter()
                .flat_map(|check| check(&shard, &consensus, roles))
                .collect::<Vec<_>>()
        })
        .collect();
    issues.sort_by(|a, b| {
        (a.severity, &a.shard_id, &a.table).cmp(&(b.severity, &b.shard_id, &b.table))
    });
    let majority = consensus.majority;
    ComplianceReport {
        shards,
        majority,
        issues,
        measured_at_ms,
    }
}

/// A table other shards have is missing here.
fn missing_tables(s: &Shard, c: &Consensus, _: Roles) -> Vec<Issue> {
    c.tables
        .keys()
        .filter(|table| !s.cat.tables.iter().any(|t| t.table == **table))
        .map(|table| {
            s.issue(
                Severity::Warning,
                Some(table),
                format!("{table} is missing here (other shards have it)"),
                vec![],
                "run the shard migrations on this shard",
            )
        })
        .collect()
}

/// RLS off (every role with SELECT sees every org), or on but not forced (the owner bypasses it).
fn rls_off_or_not_forced(s: &Shard, _: &Consensus, _: Roles) -> Vec<Issue> {
    s.cat
        .tables
        .iter()
        .filter_map(|t| {
            if !t.rls_enabled {
                Some(s.issue(
                    Severity::Critical,
                    Some(&t.table),
                    format!(
                        "row-level security is disabled on {}: every role with SELECT sees every org",
                        t.table
                    ),
                    vec![],
                    "ALTER TABLE … ENABLE ROW LEVEL SECURITY (and FORCE)",
                ))
            } else if !t.rls_forced {
                Some(s.issue(
                    Severity::Critical,
                    Some(&t.table),
                    format!(
                        "row-level security on {} is enabled but not forced: the table owner (the platform's connections) bypasses it",
                        t.table
                    ),
                    vec![],
                    "ALTER TABLE … FORCE ROW LEVEL SECURITY",
                ))
            } else {
                None
            }
        })
        .collect()
}

/// A table with RLS and no policy: no tenant can read it.
fn tables_without_policies(s: &Shard, _: &Consensus, _: Roles) -> Vec<Issue> {
    s.cat
        .tables
        .iter()
        .filter(|t| t.policies.is_empty())
        .map(|t| {
            s.issue(
                Severity::Warning,
                Some(&t.table),
                format!(
                    "{} has no policies: with RLS on, no tenant can read it",
                    t.table
                ),
                vec![],
                "recreate the tenant_isolation policy from the migrations",
            )
        })
        .collect()
}

/// A table's policies differ from the majority's (or, with no majority, from another shard's).
fn policies_differ(s: &Shard, c: &Consensus, _: Roles) -> Vec<Issue> {
    let mut out = Vec::new();
    for t in &s.cat.tables {
        let variants = c.votes.get(t.table.as_str()).map_or(0, |v| v.len());
        match c.majority.get(&t.table) {
            Some(m) if *m != t.policies => out.push(s.issue(
                Severity::Warning,
                Some(&t.table),
                format!("{}'s policies differ from the majority of shards", t.table),
                diff(m, &t.policies),
                "make this shard's policies match the migrations (or, if the majority is the drift, the others)",
            )),
            None if variants > 1 => {
                let other = c.votes[t.table.as_str()]
                    .keys()
                    .find(|p| ***p != t.policies)
                    .map(|p| (*p).clone())
                    .unwrap_or_default();
                out.push(s.issue(
                    Severity::Warning,
                    Some(&t.table),
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
    out
}

/// The RLS helper functions the policies call are defined differently here.
fn helpers_differ(s: &Shard, c: &Consensus, _: Roles) -> Vec<Issue> {
    if c.helper_votes.len() <= 1 || c.helper_majority.as_ref() == Some(&s.cat.helpers) {
        return vec![];
    }
    let against = c.helper_majority.clone().unwrap_or_else(|| {
        c.helper_votes
            .keys()
            .find(|h| ***h != s.cat.helpers)
            .map(|h| (*h).clone())
            .unwrap_or_default()
    });
    vec![s.issue(
        Severity::Critical,
        None,
        "the RLS helper functions the policies call (app_current_org, app_is_superadmin) are \
         defined differently here"
            .into(),
        diff(&against, &s.cat.helpers),
        "compare with the migrations: a helper that returns true for everyone opens every table",
    )]
}

/// A console role does not exist here, so its privileges could not be checked.
fn roles_missing(s: &Shard, _: &Consensus, roles: Roles) -> Vec<Issue> {
    [roles.monitor, roles.reader]
        .into_iter()
        .filter(|role| !s.cat.roles_present.iter().any(|r| r == role))
        .map(|role| {
            s.issue(
                Severity::Warning,
                None,
                format!("role {role} does not exist here: its privileges could not be checked"),
                vec![],
                "run the shard migrations and provision the role",
            )
        })
        .collect()
}

/// A SECURITY DEFINER function whose owner cannot bypass RLS sees no tenant rows.
fn definers_without_bypass(s: &Shard, _: &Consensus, _: Roles) -> Vec<Issue> {
    s.cat
        .weak_definers
        .iter()
        .map(|f| {
            s.issue(
                Severity::Warning,
                None,
                format!(
                    "{f} runs as an owner that cannot bypass RLS: it sees no tenant rows and the \
                     console's counts and routing truth read zeros here"
                ),
                vec![],
                "make its owner the migrating role (BYPASSRLS) with ALTER FUNCTION … OWNER TO",
            )
        })
        .collect()
}

/// Any privilege of a console role beyond what docs/security.md grants.
fn grants_beyond_the_documented(s: &Shard, _: &Consensus, roles: Roles) -> Vec<Issue> {
    s.cat
        .grants
        .iter()
        .filter(|g| !allowed(g, roles.monitor, roles.reader))
        .map(|g| Issue {
            // Any extra privilege is a path around the role's limits: SELECT on a tenant table
            // lets anyone who can SET app.current_role read every org.
            severity: Severity::Critical,
            shard_id: s.id.to_string(),
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
        })
        .collect()
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
