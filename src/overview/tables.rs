//! The overview's table, one definition (the grid's header and its exports), and the judgement of
//! each row (`crate::thresholds`): the page shows this status, it does not make its own.

use super::ShardRow;
use super::probe::{ReplicaLag, ShardStats};
use crate::table::{Cell, Column, Kind, Table};
use crate::thresholds::{self, Judgement};

/// `/`'s tables.
pub const OVERVIEW: [&str; 1] = ["shards"];

/// A replica is lagging: behind by more than the threshold, or by an unknown time.
pub fn lagging(l: &ReplicaLag) -> bool {
    thresholds::current().lagging(l.seconds.seconds())
}

/// The row's status: an alert when the shard does not answer now; a warning when a replica
/// failed, lags or has an unknown lag, or connections are near `max_connections`; ok otherwise.
pub fn status(row: &ShardRow) -> (Judgement, &'static str) {
    let Ok(s) = &row.outcome.result else {
        return (Judgement::Alert, "not answering");
    };
    let replica_trouble = s.replicas.iter().any(|r| match &r.result {
        Ok(l) => lagging(l),
        Err(_) => true,
    });
    let busy =
        thresholds::current().connections(s.conns_total, s.max_connections) == Judgement::Warn;
    match (replica_trouble, busy) {
        (true, _) => (Judgement::Warn, "replica lag"),
        (false, true) => (Judgement::Warn, "connections"),
        (false, false) => (Judgement::Ok, "ok"),
    }
}

/// The connections warning for a row's numbers (the grid marks the cell).
pub fn connections(s: &ShardStats) -> Judgement {
    thresholds::current().connections(s.conns_total, s.max_connections)
}

/// The numbers a row shows: this probe's, or, when it failed now, its last good answer's.
pub fn shown_stats(row: &ShardRow) -> Option<&ShardStats> {
    match &row.outcome.result {
        Ok(s) => Some(s),
        Err(_) => row.last_good.as_ref()?.result.as_ref().ok(),
    }
}

/// The largest replay lag among the replicas that answered (None: no replica answered, or one
/// has never replayed a transaction and so has no age).
pub fn max_lag_seconds(s: &ShardStats) -> Option<f64> {
    let lags: Vec<Option<f64>> = s
        .replicas
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|l| l.seconds.seconds())
        .collect();
    if lags.is_empty() || lags.iter().any(Option::is_none) {
        return None;
    }
    lags.into_iter().flatten().reduce(f64::max)
}

/// Each replica in a word: "host:port/db: 0.25 s, 4096 B" (", replay paused"), or its failure.
fn replicas_text(s: &ShardStats) -> String {
    s.replicas
        .iter()
        .map(|r| match &r.result {
            Ok(l) => format!(
                "{}: {}, {} B{}",
                r.endpoint,
                l.seconds
                    .seconds()
                    .map_or_else(|| "lag unknown".to_string(), |x| format!("{x:.2} s")),
                l.bytes,
                if l.replay_paused {
                    ", replay paused"
                } else {
                    ""
                }
            ),
            Err(f) => format!("{}: did not answer ({}: {f})", r.endpoint, f.kind.code()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `/`: one row per shard; one that did not answer is a row saying so, with its last good numbers
/// (`stale`, `values_from`) when it had answered before.
pub fn shards() -> Table<ShardRow> {
    use Kind::{Flag, Integer, Number, Text, Time};
    let stat =
        |f: fn(&ShardStats) -> i64| move |r: &ShardRow| -> Cell { shown_stats(r).map(f).into() };
    let failure = |r: &ShardRow| r.outcome.result.as_ref().err().cloned();
    Table::new(
        "shards",
        vec![
            Column::new("shard_id", "Shard", Text, |r: &ShardRow| (&r.id).into()),
            Column::new("status", "Status", Text, |r: &ShardRow| status(r).1.into())
                .shown_in("shard_id"),
            Column::new("primary", "Primary", Text, |r: &ShardRow| {
                (&r.primary).into()
            })
            .shown_in("shard_id"),
            Column::new("failure_kind", "Failure kind", Text, move |r: &ShardRow| {
                failure(r).map(|f| f.kind.code().to_string()).into()
            })
            .shown_in("shard_id"),
            Column::new("failure", "Why not", Text, move |r: &ShardRow| {
                failure(r).map(|f| f.to_string()).into()
            })
            .shown_in("shard_id"),
            Column::new("stale", "Last good values", Flag, |r: &ShardRow| {
                (r.outcome.result.is_err() && shown_stats(r).is_some()).into()
            })
            .shown_in("shard_id"),
            Column::new(
                "values_from",
                "Values measured",
                Time,
                |r: &ShardRow| match (&r.outcome.result, &r.last_good) {
                    (Ok(_), _) => Cell::Time(r.outcome.measured_at_ms as i64),
                    (Err(_), Some(g)) if g.result.is_ok() => Cell::Time(g.measured_at_ms as i64),
                    _ => Cell::Missing,
                },
            )
            .shown_in("shard_id"),
            Column::new("shard_type", "Type", Text, |r: &ShardRow| {
                (&r.shard_type).into()
            }),
            Column::new("region", "Region", Text, |r: &ShardRow| (&r.region).into()),
            Column::new("orgs", "Orgs", Integer, stat(|s| s.orgs)),
            Column::new("patients", "Patients", Integer, stat(|s| s.patients)),
            Column::new("db_bytes", "DB size", Integer, stat(|s| s.db_bytes)),
            Column::new(
                "conns_active",
                "Active connections",
                Integer,
                stat(|s| s.conns_active),
            )
            .shown_in("conns_total"),
            Column::new(
                "conns_total",
                "Connections",
                Integer,
                stat(|s| s.conns_total),
            )
            .help("client connections other than the console's: active / total / max_connections"),
            Column::new(
                "max_connections",
                "max_connections",
                Integer,
                stat(|s| s.max_connections),
            )
            .shown_in("conns_total"),
            Column::new("replicas", "Replicas (replay lag)", Text, |r: &ShardRow| {
                shown_stats(r).map(replicas_text).into()
            }),
            Column::new(
                "max_lag_seconds",
                "Max replay lag (s)",
                Number,
                |r: &ShardRow| shown_stats(r).and_then(max_lag_seconds).into(),
            )
            .shown_in("replicas"),
            Column::new("probe_ms", "Probe", Integer, |r: &ShardRow| {
                r.outcome.latency_ms.into()
            })
            .help("probe time; age when served from the cache"),
            Column::new("measured_at", "Measured", Time, |r: &ShardRow| {
                Cell::Time(r.outcome.measured_at_ms as i64)
            })
            .shown_in("probe_ms"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::fanout::{Failure, FailureKind, Outcome};
    use crate::overview::lag::SecondsLag;
    use crate::overview::probe::ReplicaStatus;

    fn row(id: &str, patients: Option<i64>) -> ShardRow {
        ShardRow {
            id: id.into(),
            shard_type: "shared".into(),
            region: None,
            routed_orgs: 1,
            primary: "h:1/d".into(),
            last_good: None,
            outcome: Outcome {
                target: id.into(),
                latency_ms: 1,
                measured_at_ms: 0,
                result: match patients {
                    Some(p) => Ok(ShardStats {
                        orgs: 1,
                        patients: p,
                        db_bytes: p * 10,
                        conns_active: 0,
                        conns_total: p / 100,
                        max_connections: 100,
                        streaming_replicas: 0,
                        replicas: vec![],
                        ..Default::default()
                    }),
                    None => Err(Failure::new(FailureKind::Timeout, "timeout")),
                },
            },
        }
    }

    #[test]
    fn statuses_say_what_is_wrong() {
        assert_eq!(status(&row("a", Some(10))), (Judgement::Ok, "ok"));
        assert_eq!(status(&row("a", None)), (Judgement::Alert, "not answering"));
        let mut busy = row("a", Some(9_000));
        assert_eq!(status(&busy), (Judgement::Warn, "connections"));
        if let Ok(s) = &mut busy.outcome.result {
            s.replicas.push(ReplicaStatus {
                endpoint: "r".into(),
                result: Ok(ReplicaLag {
                    seconds: SecondsLag::Unknown,
                    bytes: 0,
                    replay_paused: false,
                }),
            });
        }
        assert_eq!(status(&busy), (Judgement::Warn, "replica lag"));
    }

    #[test]
    fn a_failed_shard_is_a_row_with_its_last_good_numbers_marked_stale() {
        let mut failed = row("b", None);
        let t = shards();
        let cells = |r: &ShardRow| -> Vec<(String, Cell)> {
            t.columns
                .iter()
                .map(|c| (c.key.to_string(), c.read(r)))
                .collect()
        };
        let get = |cells: &[(String, Cell)], k: &str| {
            cells.iter().find(|(key, _)| key == k).unwrap().1.clone()
        };
        let never = cells(&failed);
        assert_eq!(get(&never, "patients"), Cell::Missing);
        assert_eq!(get(&never, "stale"), Cell::Flag(false));
        assert_eq!(get(&never, "failure_kind"), Cell::Text("timeout".into()));
        let mut good = row("b", Some(500)).outcome;
        good.measured_at_ms = 60_000;
        failed.last_good = Some(good);
        let before = cells(&failed);
        assert_eq!(get(&before, "patients"), Cell::Int(500));
        assert_eq!(get(&before, "stale"), Cell::Flag(true));
        assert_eq!(get(&before, "values_from"), Cell::Time(60_000));
        assert_eq!(get(&before, "status"), Cell::Text("not answering".into()));
        // The page's header: the columns not shown inside another one.
        let header: Vec<&str> = t.header().map(|c| c.label.as_str()).collect();
        assert_eq!(
            header,
            [
                "Shard",
                "Type",
                "Region",
                "Orgs",
                "Patients",
                "DB size",
                "Connections",
                "Replicas (replay lag)",
                "Probe"
            ]
        );
    }
}
