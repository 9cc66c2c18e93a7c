//! The tenant pages' tables, one definition each (the page's header and cells, and its exports).

use super::directory::Tenant;
use crate::table::{Cell, Column, Kind, Table};

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
