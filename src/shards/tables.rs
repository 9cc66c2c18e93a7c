//! The shard page's tables, one definition each (the page's header and cells, and its exports).

use super::detail::ShardPage;
use super::list::ShardListRow;
use super::node::NodeFacts;
use super::partitions::Partition;
use super::replication::{Sender, Slot};
use crate::history::series::SeriesRow;
use crate::table::{Cell, Column, Kind, Table};
use crate::thresholds::{self, Judgement};

/// `/shards/{shard}`'s tables, in export order (the history first: `format=csv` alone answers it,
/// as it always has).
pub const SHARD: [&str; 5] = ["history", "connections", "senders", "slots", "partitions"];

/// `/shards`' tables.
pub const SHARDS: [&str; 1] = ["shards"];

/// What the last probe of a listed shard says: "answering", "not answering" (the failure in its
/// own column), or that no endpoint is known to probe.
pub fn list_health(r: &ShardListRow) -> &'static str {
    match &r.health {
        None => "provisioned, no endpoint known",
        Some(o) if o.result.is_ok() => "answering",
        Some(_) => "not answering",
    }
}

/// The share of its allocation a listed shard uses, in percent (None: not measured, or no
/// allocation set).
pub fn allocation_percent(r: &ShardListRow) -> Option<f64> {
    let stats = r.health.as_ref()?.result.as_ref().ok()?;
    let a = r.allocated_bytes.filter(|a| *a > 0)?;
    Some(stats.db_bytes as f64 / a as f64 * 100.0)
}

/// A listed shard's size against the configured share of its allocation.
pub fn allocation_judgement(r: &ShardListRow) -> Judgement {
    thresholds::current().allocation(allocation_percent(r))
}

/// `/shards`: every shard the routing DB names; one that did not answer is a row that says so.
pub fn shards_list() -> Table<ShardListRow> {
    use Kind::{Integer, Number, Text, Time};
    let stats = |r: &ShardListRow| {
        r.health
            .as_ref()
            .and_then(|o| o.result.as_ref().ok())
            .cloned()
    };
    Table::new(
        "shards",
        vec![
            Column::new("shard_id", "Shard", Text, |r: &ShardListRow| {
                (&r.shard.id).into()
            }),
            Column::new("shard_type", "Type", Text, |r: &ShardListRow| {
                (&r.shard.shard_type).into()
            }),
            Column::new("region", "Region", Text, |r: &ShardListRow| {
                (&r.shard.region).into()
            }),
            Column::new("named_in", "Named in", Text, |r: &ShardListRow| {
                r.shard.named_in().join(", ").into()
            }),
            Column::new("orgs_routed", "Orgs routed", Integer, |r: &ShardListRow| {
                r.shard.routed_orgs.into()
            }),
            Column::new("health", "Health", Text, |r: &ShardListRow| {
                list_health(r).into()
            }),
            Column::new("measured_at", "Measured", Time, |r: &ShardListRow| {
                r.health
                    .as_ref()
                    .map_or(Cell::Missing, |o| Cell::Time(o.measured_at_ms as i64))
            }),
            Column::new("failure", "Why not", Text, |r: &ShardListRow| {
                r.health
                    .as_ref()
                    .and_then(|o| o.result.as_ref().err())
                    .map(|f| format!("{}: {f}", f.kind.code()))
                    .into()
            }),
            Column::new(
                "connections",
                "Connections",
                Integer,
                move |r: &ShardListRow| stats(r).map(|s| s.conns_total).into(),
            ),
            Column::new(
                "max_connections",
                "max_connections",
                Integer,
                move |r: &ShardListRow| stats(r).map(|s| s.max_connections).into(),
            ),
            Column::new("db_bytes", "Size", Integer, move |r: &ShardListRow| {
                stats(r).map(|s| s.db_bytes).into()
            }),
            Column::new(
                "allocated_bytes",
                "Allocation",
                Integer,
                |r: &ShardListRow| r.allocated_bytes.into(),
            ),
            Column::new(
                "allocation_pct",
                "% of allocation",
                Number,
                |r: &ShardListRow| allocation_percent(r).into(),
            ),
        ],
    )
}

pub fn history() -> Table<SeriesRow> {
    use Kind::{Flag, Integer, Number, Text, Time};
    let primary = |p: &SeriesRow| p.role == "primary";
    Table::new(
        "history",
        vec![
            Column::new("bucket", "Time (UTC)", Time, |p: &SeriesRow| {
                Cell::unix(p.bucket)
            }),
            Column::new("endpoint", "Endpoint", Text, |p: &SeriesRow| {
                (&p.endpoint).into()
            }),
            Column::new("role", "Role", Text, |p: &SeriesRow| (&p.role).into()),
            Column::new("reachable", "Answered", Flag, |p: &SeriesRow| {
                (p.reachable == 1).into()
            }),
            Column::new(
                "conns_total",
                "Connections",
                Integer,
                move |p: &SeriesRow| primary(p).then_some(p.conns_total).into(),
            ),
            Column::new(
                "max_connections",
                "max_connections",
                Integer,
                move |p: &SeriesRow| primary(p).then_some(p.max_connections).into(),
            ),
            Column::new(
                "conns_idle_in_transaction",
                "Idle in transaction",
                Integer,
                move |p: &SeriesRow| primary(p).then_some(p.conns_idle_in_transaction).into(),
            ),
            Column::new("lag_seconds", "Lag (s)", Number, |p: &SeriesRow| {
                (p.role == "replica")
                    .then_some(p.lag_seconds)
                    .flatten()
                    .into()
            }),
            Column::new("lag_bytes", "Lag bytes", Integer, |p: &SeriesRow| {
                p.lag_bytes.into()
            }),
        ],
    )
}

/// One node's connection count in one state (the page shows a table per node, under its heading).
pub struct StateCount {
    pub node: String,
    pub state: &'static str,
    pub label: &'static str,
    pub connections: i64,
}

/// The page shows one connections table per node, under the node's heading.
pub const CONNECTIONS_GROUPED_BY: [&str; 1] = ["node"];

/// A node's connections by state, in the page's order.
pub fn state_counts(node: &str, f: &NodeFacts) -> Vec<StateCount> {
    let c = &f.connections;
    [
        ("active", "Active", c.active),
        ("waiting-on-lock", "Waiting on a lock", c.waiting_on_lock),
        ("idle", "Idle", c.idle),
        (
            "idle-in-transaction",
            "Idle in transaction",
            c.idle_in_transaction,
        ),
        (
            "idle-in-transaction-30s",
            "… of which for more than 30 s",
            c.idle_in_transaction_30s,
        ),
        ("other", "Other states", c.other),
    ]
    .into_iter()
    .map(|(state, label, connections)| StateCount {
        node: node.to_string(),
        state,
        label,
        connections,
    })
    .collect()
}

/// Every answering node's connections by state: the primary's, then each replica's.
pub fn all_state_counts(page: &ShardPage) -> Vec<StateCount> {
    let mut out = Vec::new();
    if let (Ok(p), Some(endpoint)) = (&page.primary.result, &page.primary_endpoint) {
        out.extend(state_counts(endpoint, &p.facts));
    }
    for r in &page.replicas {
        if let Ok(a) = &r.outcome.result {
            out.extend(state_counts(&r.endpoint, &a.facts));
        }
    }
    out
}

pub fn connections() -> Table<StateCount> {
    Table::new(
        "connections",
        vec![
            Column::new("node", "Node", Kind::Text, |s: &StateCount| {
                (&s.node).into()
            }),
            Column::new("state", "State", Kind::Text, |s: &StateCount| {
                s.label.into()
            }),
            Column::new(
                "connections",
                "Connections",
                Kind::Integer,
                |s: &StateCount| s.connections.into(),
            ),
        ],
    )
    .grouped_by(&CONNECTIONS_GROUPED_BY)
}

pub fn senders() -> Table<Sender> {
    use Kind::{Number, Text};
    Table::new(
        "senders",
        vec![
            Column::new("standby", "Standby", Text, |s: &Sender| {
                (&s.application_name).into()
            }),
            Column::new("slot", "Slot", Text, |s: &Sender| (&s.slot_name).into()),
            Column::new("state", "State", Text, |s: &Sender| (&s.state).into()),
            Column::new("sent_lsn", "Sent LSN", Text, |s: &Sender| {
                (&s.sent_lsn).into()
            }),
            Column::new("write_lsn", "Write LSN", Text, |s: &Sender| {
                (&s.write_lsn).into()
            }),
            Column::new("flush_lsn", "Flush LSN", Text, |s: &Sender| {
                (&s.flush_lsn).into()
            }),
            Column::new("replay_lsn", "Replay LSN", Text, |s: &Sender| {
                (&s.replay_lsn).into()
            }),
            Column::new("write_lag_s", "Write lag", Number, |s: &Sender| {
                s.write_lag_s.into()
            }),
            Column::new("flush_lag_s", "Flush lag", Number, |s: &Sender| {
                s.flush_lag_s.into()
            }),
            Column::new("replay_lag_s", "Replay lag", Number, |s: &Sender| {
                s.replay_lag_s.into()
            }),
        ],
    )
}

pub fn slots() -> Table<Slot> {
    Table::new(
        "slots",
        vec![
            Column::new("slot", "Slot", Kind::Text, |s: &Slot| (&s.slot_name).into()),
            Column::new("type", "Type", Kind::Text, |s: &Slot| (&s.slot_type).into()),
            Column::new("active", "Active", Kind::Flag, |s: &Slot| s.active.into()),
            Column::new(
                "wal_retained_bytes",
                "WAL retained",
                Kind::Integer,
                |s: &Slot| s.retained_bytes.into(),
            ),
        ],
    )
}

pub fn partitions() -> Table<Partition> {
    Table::new(
        "partitions",
        vec![
            Column::new("partition", "Partition", Kind::Text, |p: &Partition| {
                (&p.name).into()
            }),
            Column::new("bounds", "Bounds", Kind::Text, |p: &Partition| {
                (&p.bound).into()
            }),
            Column::new("bytes", "Size", Kind::Integer, |p: &Partition| {
                p.bytes.into()
            }),
            Column::new(
                "rows_estimate",
                "Rows (estimate)",
                Kind::Integer,
                |p: &Partition| p.rows_estimate.into(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(bucket: u32, role: &str, lag: Option<f64>) -> SeriesRow {
        SeriesRow {
            bucket,
            endpoint: "h:2/d".into(),
            role: role.into(),
            reachable: 1,
            conns_total: 5,
            max_connections: 100,
            conns_idle_in_transaction: 0,
            lag_seconds: lag,
            lag_bytes: None,
        }
    }

    #[test]
    fn history_rows_hold_only_what_the_role_measures() {
        let rows = [
            sample(15, "replica", Some(1.5)),
            sample(30, "primary", None),
        ];
        let csv = history().export(&rows).csv();
        assert_eq!(
            csv,
            "bucket,endpoint,role,reachable,conns_total,max_connections,conns_idle_in_transaction,lag_seconds,lag_bytes\r\n\
             1970-01-01T00:00:15Z,h:2/d,replica,true,,,,1.500,\r\n\
             1970-01-01T00:00:30Z,h:2/d,primary,true,5,100,0,,\r\n"
        );
    }
}
