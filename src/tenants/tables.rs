//! The tenant pages' tables, one definition each (the page's header and cells, and its exports).

use super::compliance::{ComplianceReport, ShardCatalog};
use super::directory::Tenant;
use super::placement::{Candidate, Neighbour};
use super::truth::Finding;
use crate::auth::AuditRecord;
use crate::federation::fanout::Outcome;
use crate::table::{Cell, Column, Kind, Table};
use crate::telemetry::pools::PoolRow;
use crate::telemetry::requests::GroupStats;
use crate::telemetry::slow::SlowRow;
use crate::telemetry::sql::GroupBy;

/// `/tenants`' tables.
pub const TENANTS: [&str; 1] = ["tenants"];

/// The directory: every tenant of the view. The export holds all pages of it; the page, one.
pub fn tenants() -> Table<Tenant> {
    use Kind::{Integer, Text, Time};
    Table::new(
        "tenants",
        vec![
            Column::new("org_id", "Org id", Integer, |t: &Tenant| t.org_id.into()),
            Column::new("name", "Name", Text, |t: &Tenant| (&t.name).into()),
            Column::new("shard_id", "Shard", Text, |t: &Tenant| (&t.shard_id).into()),
            Column::new("shard_type", "Type", Text, |t: &Tenant| {
                (&t.shard_type).into()
            }),
            Column::new("region", "Region", Text, |t: &Tenant| (&t.region).into()),
            Column::new("sla_tier", "SLA tier", Text, |t: &Tenant| {
                (&t.sla_tier).into()
            }),
            Column::new("billing_tier", "Billing tier", Text, |t: &Tenant| {
                (&t.billing_tier).into()
            }),
            Column::new("patients", "Patients", Integer, |t: &Tenant| {
                t.patients.into()
            }),
            Column::new("created_at", "Created", Time, |t: &Tenant| {
                t.created_at_ms.map_or(Cell::Missing, Cell::Time)
            }),
        ],
    )
}

/// `/tenants/{org}`'s tables. `access` (who opened it before) is a superadmin's only.
pub const TENANT: [&str; 4] = ["routes", "pools", "slow_queries", "access"];

/// Its requests by route: the requests page's definition.
pub fn routes() -> Table<GroupStats> {
    crate::telemetry::tables::groups(GroupBy::Route).renamed("routes")
}

/// Its shard's pools: the pools page's definition.
pub fn pools() -> Table<PoolRow> {
    crate::telemetry::tables::pools()
}

/// Its slow queries: the slow-queries page's definition.
pub fn slow_queries() -> Table<SlowRow> {
    crate::telemetry::tables::slow_queries().renamed("slow_queries")
}

/// Who opened the tenant before, newest first.
pub fn access() -> Table<AuditRecord> {
    use Kind::{Text, Time};
    Table::new(
        "access",
        vec![
            Column::new("at", "When (UTC)", Time, |a: &AuditRecord| {
                Cell::Time(a.at_ms)
            }),
            Column::new("staff_email", "Staff", Text, |a: &AuditRecord| {
                (&a.staff_email).into()
            }),
            Column::new("role", "Role", Text, |a: &AuditRecord| (&a.role).into()),
            Column::new("action", "Action", Text, |a: &AuditRecord| {
                (&a.action).into()
            }),
            Column::new("client_addr", "From", Text, |a: &AuditRecord| {
                (&a.client_addr).into()
            }),
        ],
    )
}

/// `/routing`'s tables.
pub const ROUTING: [&str; 1] = ["findings"];
/// `/compliance`'s tables.
pub const COMPLIANCE: [&str; 1] = ["rls"];
/// `/placement`'s tables.
pub const PLACEMENT: [&str; 2] = ["candidates", "noisy"];

/// Routing truth: one row per finding.
pub fn findings() -> Table<Finding> {
    use Kind::{Integer, Text};
    Table::new(
        "findings",
        vec![
            Column::new("severity", "Severity", Text, |f: &Finding| {
                f.severity.as_str().into()
            }),
            Column::new("finding", "Finding", Text, |f: &Finding| {
                f.kind.label().into()
            }),
            Column::new("org_id", "Org", Integer, |f: &Finding| f.org_id.into()),
            Column::new("shard_id", "Shard", Text, |f: &Finding| {
                (&f.shard_id).into()
            }),
            Column::new("detail", "What", Text, |f: &Finding| (&f.detail).into()),
            Column::new("action", "Suggested action", Text, |f: &Finding| {
                (&f.action).into()
            }),
        ],
    )
}

/// One row of the RLS matrix: a table and its state on each shard, in the report's shard order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RlsRow {
    pub table: String,
    pub states: Vec<String>,
}

/// What one shard's catalog says of one table, as the matrix shows it.
fn rls_state(shard: &Outcome<ShardCatalog>, table: &str) -> String {
    match &shard.result {
        Err(why) => format!("unknown ({why})"),
        Ok(c) => match c.tables.iter().find(|t| t.table == table) {
            None => "missing".to_string(),
            Some(t) if !t.rls_enabled => "RLS off".to_string(),
            Some(t) if !t.rls_forced => "enabled, not forced".to_string(),
            Some(t) => format!(
                "forced · {} {}",
                t.policies.len(),
                if t.policies.len() == 1 {
                    "policy"
                } else {
                    "policies"
                }
            ),
        },
    }
}

/// The RLS matrix (tables × shards): its definition, one column per shard of the report, and its
/// rows, one per table any answering shard has.
pub fn rls(report: &ComplianceReport) -> (Table<RlsRow>, Vec<RlsRow>) {
    let mut names: Vec<&str> = report
        .shards
        .iter()
        .filter_map(|s| s.result.as_ref().ok())
        .flat_map(|c| &c.tables)
        .map(|t| t.table.as_str())
        .collect();
    names.sort();
    names.dedup();
    let rows = names
        .into_iter()
        .map(|table| RlsRow {
            table: table.to_string(),
            states: report.shards.iter().map(|s| rls_state(s, table)).collect(),
        })
        .collect();
    let mut columns = vec![Column::new("table", "Table", Kind::Text, |r: &RlsRow| {
        (&r.table).into()
    })];
    for (i, shard) in report.shards.iter().enumerate() {
        columns.push(Column::new(
            shard.target.clone(),
            shard.target.clone(),
            Kind::Text,
            move |r: &RlsRow| r.states.get(i).into(),
        ));
    }
    (Table::new("rls", columns), rows)
}

/// The placement preview: the region's shared shards and whether each could take the org.
pub fn candidates() -> Table<Candidate> {
    use Kind::{Flag, Integer, Text};
    Table::new(
        "candidates",
        vec![
            Column::new("shard_id", "Shard", Text, |c: &Candidate| {
                (&c.shard.shard_id).into()
            }),
            Column::new("orgs", "Orgs", Integer, |c: &Candidate| {
                i64::from(c.shard.current_orgs).into()
            }),
            Column::new("max_orgs", "Max orgs", Integer, |c: &Candidate| {
                i64::from(c.shard.max_orgs).into()
            }),
            Column::new("patients", "Patients", Integer, |c: &Candidate| {
                c.shard.current_patients.into()
            }),
            Column::new("max_patients", "Max patients", Integer, |c: &Candidate| {
                c.shard.max_patients.into()
            }),
            Column::new("fits", "Could take it?", Flag, |c: &Candidate| {
                c.fits.is_ok().into()
            }),
            Column::new("why_not", "Why not", Text, |c: &Candidate| {
                c.fits.as_ref().err().into()
            }),
        ],
    )
}

/// Noisy neighbours: shares as percentages of the shard's patients, requests and slow queries.
pub fn noisy() -> Table<Neighbour> {
    use Kind::{Integer, Number, Text};
    Table::new(
        "noisy",
        vec![
            Column::new("org_id", "Org id", Integer, |n: &Neighbour| n.org_id.into()),
            Column::new("name", "Name", Text, |n: &Neighbour| (&n.name).into()),
            Column::new("shard_id", "Shard", Text, |n: &Neighbour| {
                (&n.shard_id).into()
            }),
            Column::new("patients_pct", "Patients %", Number, |n: &Neighbour| {
                (n.patients_share * 100.0).into()
            }),
            Column::new("requests_pct", "Requests %", Number, |n: &Neighbour| {
                (n.requests_share * 100.0).into()
            }),
            Column::new("slow_pct", "Slow queries %", Number, |n: &Neighbour| {
                (n.slow_share * 100.0).into()
            }),
            Column::new("why", "Out of proportion", Text, |n: &Neighbour| {
                (&n.why).into()
            }),
            Column::new("suggestion", "Suggested", Text, |n: &Neighbour| {
                (&n.suggestion).into()
            }),
        ],
    )
}
