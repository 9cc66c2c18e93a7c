//! Replication read from both sides. On the primary: each WAL sender (`pg_stat_replication`) with
//! the slot it holds, and every slot with the WAL it retains. On a replica: what it received and
//! replayed, and from which slot. A listed replica is matched to a sender by what identifies a
//! standby — the cluster's system identifier and its slot (else its `application_name`) — never
//! by address, which is the same for every node of a loopback fleet.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::overview::lag::{SecondsLag, byte_lag, last_record_end, parse_lsn};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Sender {
    pub application_name: String,
    pub slot_name: Option<String>,
    pub state: Option<String>,
    pub sent_lsn: Option<String>,
    pub write_lsn: Option<String>,
    pub flush_lsn: Option<String>,
    pub replay_lsn: Option<String>,
    pub write_lag_s: Option<f64>,
    pub flush_lag_s: Option<f64>,
    pub replay_lag_s: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Slot {
    pub slot_name: String,
    pub slot_type: String,
    pub active: bool,
    /// WAL the primary keeps for it (current position − its restart position).
    pub retained_bytes: Option<i64>,
}

/// The primary's side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrimarySide {
    /// `pg_current_wal_insert_lsn()`: where the next WAL record starts (see
    /// [`last_record_end`]).
    pub current_lsn: String,
    pub senders: Vec<Sender>,
    pub slots: Vec<Slot>,
}

/// A replica's side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ReplicaSide {
    pub receive_lsn: Option<String>,
    pub replay_lsn: Option<String>,
    /// When the last replayed transaction committed on the primary (ms since the epoch).
    pub replay_ts_ms: Option<i64>,
    pub replay_age_s: Option<f64>,
    /// `pg_get_wal_replay_pause_state()`: "not paused", "pause requested" or "paused".
    pub pause_state: Option<String>,
    /// `pg_stat_wal_receiver`: its state ("streaming") and the slot it streams from.
    pub receiver_status: Option<String>,
    pub receiver_slot: Option<String>,
    /// What it calls itself to the primary (`cluster_name`, which walreceiver sends by default).
    pub cluster_name: String,
}

#[tracing::instrument(skip_all)]
pub async fn read_primary(pool: &PgPool) -> Result<PrimarySide, sqlx::Error> {
    let current_lsn: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(pool)
        .await?;
    let senders = sqlx::query_as(
        "SELECT r.application_name, s.slot_name, r.state,
                r.sent_lsn::text AS sent_lsn, r.write_lsn::text AS write_lsn,
                r.flush_lsn::text AS flush_lsn, r.replay_lsn::text AS replay_lsn,
                EXTRACT(EPOCH FROM r.write_lag)::float8 AS write_lag_s,
                EXTRACT(EPOCH FROM r.flush_lag)::float8 AS flush_lag_s,
                EXTRACT(EPOCH FROM r.replay_lag)::float8 AS replay_lag_s
           FROM pg_stat_replication r
           LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
          ORDER BY r.application_name, s.slot_name",
    )
    .fetch_all(pool)
    .await?;
    let slots = sqlx::query_as(
        "SELECT slot_name::text AS slot_name, slot_type, active,
                pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 AS retained_bytes
           FROM pg_replication_slots ORDER BY slot_name",
    )
    .fetch_all(pool)
    .await?;
    Ok(PrimarySide {
        current_lsn,
        senders,
        slots,
    })
}

#[tracing::instrument(skip_all)]
pub async fn read_replica(pool: &PgPool) -> Result<ReplicaSide, sqlx::Error> {
    sqlx::query_as(
        "SELECT pg_last_wal_receive_lsn()::text AS receive_lsn,
                pg_last_wal_replay_lsn()::text AS replay_lsn,
                (EXTRACT(EPOCH FROM pg_last_xact_replay_timestamp()) * 1000)::int8 AS replay_ts_ms,
                EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age_s,
                CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END AS pause_state,
                (SELECT status FROM pg_stat_wal_receiver) AS receiver_status,
                (SELECT slot_name FROM pg_stat_wal_receiver) AS receiver_slot,
                current_setting('cluster_name') AS cluster_name",
    )
    .fetch_one(pool)
    .await
}

/// What is wrong with a listed replica, if anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicaFlag {
    /// The URL answers with a server that is not in recovery: a primary (promoted or misrouted).
    NotInRecovery,
    /// In recovery, but of another cluster (its system identifier differs from the primary's).
    OtherCluster,
    /// Of this cluster, but no WAL sender of the primary serves it.
    NotStreaming,
}

impl ReplicaFlag {
    pub fn code(&self) -> &'static str {
        match self {
            ReplicaFlag::NotInRecovery => "not-in-recovery",
            ReplicaFlag::OtherCluster => "other-cluster",
            ReplicaFlag::NotStreaming => "not-streaming",
        }
    }

    pub fn sentence(&self) -> &'static str {
        match self {
            ReplicaFlag::NotInRecovery => {
                "not in recovery: this replica URL points at a primary (promoted or misrouted); no lag is shown"
            }
            ReplicaFlag::OtherCluster => {
                "in recovery, but of another cluster (its system identifier is not the primary's)"
            }
            ReplicaFlag::NotStreaming => {
                "not streaming from this shard's primary: no WAL sender of the primary serves it"
            }
        }
    }
}

/// A replica's lag as its own positions and the primary's current one say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lag {
    pub bytes: Option<u64>,
    pub seconds: SecondsLag,
    pub replay_paused: bool,
}

/// Lag of a replica in recovery. An idle primary (nothing left to replay) is lag 0; a replica
/// that never replayed is unknown, never 0; a paused one keeps counting.
pub fn lag(replica: &ReplicaSide, primary_lsn: Option<&str>) -> Lag {
    let replayed = replica.replay_lsn.as_deref().and_then(parse_lsn);
    let bytes = match (
        primary_lsn.and_then(parse_lsn).map(last_record_end),
        replayed,
    ) {
        (Some(p), Some(r)) => Some(byte_lag(p, r)),
        _ => None,
    };
    let seconds = match (bytes, replica.replay_ts_ms) {
        // Never replayed a transaction: nothing says how far behind it is.
        (_, None) => SecondsLag::Unknown,
        (Some(b), _) => SecondsLag::evaluate(b, replica.replay_age_s),
        (None, _) => SecondsLag::Unknown,
    };
    Lag {
        bytes,
        seconds,
        replay_paused: replica
            .pause_state
            .as_deref()
            .is_some_and(|s| s != "not paused"),
    }
}

/// The sender that serves this replica: same cluster, then its slot, else its name.
pub fn sender_for<'a>(primary: &'a PrimarySide, replica: &ReplicaSide) -> Option<&'a Sender> {
    match &replica.receiver_slot {
        Some(slot) => primary
            .senders
            .iter()
            .find(|s| s.slot_name.as_deref() == Some(slot.as_str())),
        None => primary.senders.iter().find(|s| {
            !replica.cluster_name.is_empty() && s.application_name == replica.cluster_name
        }),
    }
}

/// The flag for a listed replica, from both sides (None: it streams from this primary).
pub fn flag(
    primary_system_id: &str,
    primary: &PrimarySide,
    replica_system_id: &str,
    replica_in_recovery: bool,
    replica: &ReplicaSide,
) -> Option<ReplicaFlag> {
    if !replica_in_recovery {
        return Some(ReplicaFlag::NotInRecovery);
    }
    if replica_system_id != primary_system_id {
        return Some(ReplicaFlag::OtherCluster);
    }
    let streaming = replica.receiver_status.as_deref() == Some("streaming");
    if !streaming || sender_for(primary, replica).is_none() {
        return Some(ReplicaFlag::NotStreaming);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(
        slot: Option<&str>,
        replay: Option<&str>,
        ts: Option<i64>,
        age: Option<f64>,
    ) -> ReplicaSide {
        ReplicaSide {
            receive_lsn: replay.map(str::to_string),
            replay_lsn: replay.map(str::to_string),
            replay_ts_ms: ts,
            replay_age_s: age,
            pause_state: Some("not paused".into()),
            receiver_status: Some("streaming".into()),
            receiver_slot: slot.map(str::to_string),
            cluster_name: "r1".into(),
        }
    }

    fn primary(slots: &[&str]) -> PrimarySide {
        PrimarySide {
            current_lsn: "0/3000000".into(),
            senders: slots
                .iter()
                .map(|s| Sender {
                    application_name: "walreceiver".into(),
                    slot_name: Some(s.to_string()),
                    state: Some("streaming".into()),
                    sent_lsn: None,
                    write_lsn: None,
                    flush_lsn: None,
                    replay_lsn: None,
                    write_lag_s: None,
                    flush_lag_s: None,
                    replay_lag_s: None,
                })
                .collect(),
            slots: vec![],
        }
    }

    #[test]
    fn an_idle_primary_is_lag_zero_and_a_replica_that_never_replayed_is_unknown() {
        let caught_up = replica(Some("s1"), Some("0/3000000"), Some(1), Some(600.0));
        assert_eq!(
            lag(&caught_up, Some("0/3000000")).seconds,
            SecondsLag::CaughtUp
        );
        assert_eq!(lag(&caught_up, Some("0/3000000")).bytes, Some(0));
        let never = replica(Some("s1"), Some("0/3000000"), None, None);
        assert_eq!(lag(&never, Some("0/3000000")).seconds, SecondsLag::Unknown);
        let behind = replica(Some("s1"), Some("0/2000000"), Some(1), Some(12.5));
        let l = lag(&behind, Some("0/3000000"));
        assert_eq!(
            (l.bytes, l.seconds),
            (Some(0x100_0000), SecondsLag::Behind(12.5))
        );
    }

    #[test]
    fn a_replica_is_matched_by_cluster_and_slot_not_by_address() {
        let p = primary(&["s1"]);
        let ok = replica(Some("s1"), Some("0/3000000"), Some(1), None);
        assert_eq!(flag("7", &p, "7", true, &ok), None);
        assert_eq!(
            flag("7", &p, "7", false, &ok),
            Some(ReplicaFlag::NotInRecovery)
        );
        assert_eq!(
            flag("7", &p, "8", true, &ok),
            Some(ReplicaFlag::OtherCluster)
        );
        let other_slot = replica(Some("s2"), Some("0/3000000"), Some(1), None);
        assert_eq!(
            flag("7", &p, "7", true, &other_slot),
            Some(ReplicaFlag::NotStreaming)
        );
        let mut stopped = ok.clone();
        stopped.receiver_status = None;
        assert_eq!(
            flag("7", &p, "7", true, &stopped),
            Some(ReplicaFlag::NotStreaming)
        );
    }
}
