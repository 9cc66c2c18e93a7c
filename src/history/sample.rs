//! One `shard_samples` row per endpoint per probe: the primary's connections, size and retained
//! WAL; each replica's lag. What a probe could not read is a row with `reachable = 0` and the
//! failure's kind, never zeros that look like a measurement.

use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::federation::fanout::Outcome;
use crate::federation::shard_list::ShardInfo;
use crate::overview::probe::ShardStats;

#[derive(Clone, Debug, PartialEq, Row, Serialize, Deserialize)]
pub struct SampleRow {
    pub ts: u32,
    pub shard_id: String,
    /// host:port/db, never with credentials.
    pub endpoint: String,
    /// `primary` or `replica`.
    pub role: String,
    pub reachable: u8,
    /// The failure's kind code (`timeout`, `refused`, …) when not reachable.
    pub failure: String,
    pub conns_total: u32,
    pub conns_active: u32,
    pub conns_idle: u32,
    pub conns_idle_in_transaction: u32,
    pub conns_waiting_on_lock: u32,
    pub max_connections: u32,
    pub db_bytes: u64,
    /// None: unknown (a replica that never replayed, or one that did not answer) — never 0.
    pub lag_seconds: Option<f64>,
    pub lag_bytes: Option<u64>,
    pub replay_paused: u8,
    pub wal_retained_bytes: Option<u64>,
}

fn n(v: i64) -> u32 {
    v.clamp(0, u32::MAX as i64) as u32
}

/// The rows one probe of one shard gives.
pub fn rows_of(shard: &ShardInfo, o: &Outcome<ShardStats>) -> Vec<SampleRow> {
    let ts = (o.measured_at_ms / 1000) as u32;
    let primary = match &shard.primary {
        Ok(e) => e.to_string(),
        Err(_) => "(invalid URL)".to_string(),
    };
    let blank = |endpoint: String, role: &str| SampleRow {
        ts,
        shard_id: shard.id.clone(),
        endpoint,
        role: role.to_string(),
        reachable: 0,
        failure: String::new(),
        conns_total: 0,
        conns_active: 0,
        conns_idle: 0,
        conns_idle_in_transaction: 0,
        conns_waiting_on_lock: 0,
        max_connections: 0,
        db_bytes: 0,
        lag_seconds: None,
        lag_bytes: None,
        replay_paused: 0,
        wal_retained_bytes: None,
    };
    match &o.result {
        Err(f) => vec![SampleRow {
            failure: f.kind.code().to_string(),
            ..blank(primary, "primary")
        }],
        Ok(s) => {
            let mut rows = vec![SampleRow {
                reachable: 1,
                conns_total: n(s.conns_total),
                conns_active: n(s.conns_active),
                conns_idle: n(s.conns_idle),
                conns_idle_in_transaction: n(s.conns_idle_in_transaction),
                conns_waiting_on_lock: n(s.conns_waiting_on_lock),
                max_connections: n(s.max_connections),
                db_bytes: s.db_bytes.max(0) as u64,
                wal_retained_bytes: s.wal_retained_bytes.map(|b| b.max(0) as u64),
                ..blank(primary, "primary")
            }];
            for r in &s.replicas {
                rows.push(match &r.result {
                    Ok(lag) => SampleRow {
                        reachable: 1,
                        lag_seconds: lag.seconds.seconds(),
                        lag_bytes: Some(lag.bytes),
                        replay_paused: u8::from(lag.replay_paused),
                        ..blank(r.endpoint.clone(), "replica")
                    },
                    Err(f) => SampleRow {
                        failure: f.kind.code().to_string(),
                        ..blank(r.endpoint.clone(), "replica")
                    },
                });
            }
            rows
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::endpoint::Endpoint;
    use crate::federation::fanout::{Failure, FailureKind};
    use crate::overview::lag::SecondsLag;
    use crate::overview::probe::{ReplicaLag, ReplicaStatus};

    fn shard() -> ShardInfo {
        ShardInfo {
            id: "us-1".into(),
            shard_type: "shared".into(),
            region: None,
            routed_orgs: 1,
            primary: Endpoint::parse("postgres://u:secret@h:5432/db").map_err(|e| e.to_string()),
            replicas: vec![],
        }
    }

    #[test]
    fn a_probe_is_one_row_per_endpoint_and_unknown_lag_is_never_zero() {
        let stats = ShardStats {
            conns_total: 7,
            conns_idle_in_transaction: 1,
            max_connections: 100,
            db_bytes: 1 << 20,
            replicas: vec![
                ReplicaStatus {
                    endpoint: "h:5433/db".into(),
                    result: Ok(ReplicaLag {
                        bytes: 0,
                        seconds: SecondsLag::Unknown,
                        replay_paused: true,
                    }),
                },
                ReplicaStatus {
                    endpoint: "h:5434/db".into(),
                    result: Err(Failure::new(FailureKind::Refused, "refused")),
                },
            ],
            ..Default::default()
        };
        let o = Outcome {
            target: "us-1".into(),
            latency_ms: 3,
            measured_at_ms: 1_790_000_000_500,
            result: Ok(stats),
        };
        let rows = rows_of(&shard(), &o);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].endpoint.as_str(), rows[0].role.as_str(), rows[0].ts),
            ("h:5432/db", "primary", 1_790_000_000)
        );
        assert_eq!(
            (rows[0].conns_total, rows[0].conns_idle_in_transaction),
            (7, 1)
        );
        assert_eq!((rows[1].lag_seconds, rows[1].replay_paused), (None, 1));
        assert_eq!(
            (
                rows[2].reachable,
                rows[2].failure.as_str(),
                rows[2].lag_seconds
            ),
            (0, "refused", None)
        );
        let down = Outcome {
            result: Err(Failure::new(FailureKind::Timeout, "slow")),
            ..o
        };
        let rows = rows_of(&shard(), &down);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].reachable, rows[0].failure.as_str()),
            (0, "timeout")
        );
        assert!(!format!("{rows:?}").contains("secret"));
    }
}
