//! `/audit`'s table, one definition (the page's header and cells, and its exports).

use super::AuditRecord;
use crate::table::{Cell, Column, Kind, Table};

/// `/audit`'s tables.
pub const AUDIT: [&str; 1] = ["records"];

/// At most this many records in one export: a larger view is a 400 that says how to narrow it.
pub const EXPORT_MAX: usize = 10_000;

/// The records, newest first. A lookup's subject is the keyed hash the record holds, never what
/// was typed.
pub fn records() -> Table<AuditRecord> {
    use Kind::{Integer, Text, Time};
    let text = |v: &str| {
        if v.is_empty() {
            Cell::Missing
        } else {
            v.into()
        }
    };
    Table::new(
        "records",
        vec![
            Column::new("at", "Time", Time, |r: &AuditRecord| Cell::Time(r.at_ms)),
            Column::new("staff_email", "Staff", Text, move |r: &AuditRecord| {
                text(&r.staff_email)
            }),
            Column::new("role", "Role", Text, |r: &AuditRecord| (&r.role).into()),
            Column::new("action", "Action", Text, |r: &AuditRecord| {
                (&r.action).into()
            }),
            Column::new("target", "Target", Text, move |r: &AuditRecord| {
                text(&r.target)
            }),
            Column::new("client_addr", "Client address", Text, |r: &AuditRecord| {
                (&r.client_addr).into()
            }),
            Column::new("subject", "Lookup subject", Text, move |r: &AuditRecord| {
                text(&r.detail.subject)
            }),
            Column::new("found", "Found", Integer, |r: &AuditRecord| {
                r.detail.result_count.map(i64::from).into()
            }),
            Column::new("shards", "Shards asked", Text, move |r: &AuditRecord| {
                text(&r.detail.shards.join(", "))
            }),
            Column::new("reason", "Reason", Text, move |r: &AuditRecord| {
                text(&r.detail.reason)
            }),
        ],
    )
}
