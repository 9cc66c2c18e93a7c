//! Replication lag arithmetic: LSNs, byte lag and an idle-safe seconds lag.
//!
//! `now() - pg_last_xact_replay_timestamp()` alone keeps growing while the primary is idle, so a
//! quiet shard would look badly lagged. Here the seconds lag is 0 when the replica has replayed
//! everything the primary has written, unknown when the replica has never replayed a transaction,
//! and the replay age otherwise.

use serde::{Deserialize, Serialize};

/// Parse a PostgreSQL LSN such as `16/B374D848` into a byte position.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    let hi = u64::from_str_radix(hi, 16).ok()?;
    let lo = u64::from_str_radix(lo, 16).ok()?;
    if hi > u32::MAX as u64 || lo > u32::MAX as u64 {
        return None;
    }
    Some((hi << 32) | lo)
}

/// PostgreSQL's default `wal_block_size`, and the sizes of a WAL page's header (short) and of the
/// first page of a segment's header (long).
const WAL_PAGE: u64 = 8192;
const SHORT_PAGE_HEADER: u64 = 24;
const LONG_PAGE_HEADER: u64 = 40;

/// The end of the last WAL record a primary inserted, from `pg_current_wal_insert_lsn()`: where the
/// next record starts. That is what a replica that replayed everything reports as its replay
/// position (`pg_last_wal_replay_lsn()`, the end of its last record), except when the last record
/// ended on a page boundary: then the insert position is past the next page's header, so the
/// header is taken off. (`pg_current_wal_lsn()`, the write position, is no reference: it runs to
/// the end of a written page, so an idle, caught-up replica would look a few bytes behind and its
/// lag would grow with the age of its last commit.)
pub fn last_record_end(insert_lsn: u64) -> u64 {
    match insert_lsn % WAL_PAGE {
        SHORT_PAGE_HEADER | LONG_PAGE_HEADER => insert_lsn - insert_lsn % WAL_PAGE,
        _ => insert_lsn,
    }
}

/// Bytes the replica still has to replay to reach the primary's current position (never negative:
/// the two positions are read a moment apart).
pub fn byte_lag(primary_current: u64, replica_replayed: u64) -> u64 {
    primary_current.saturating_sub(replica_replayed)
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", content = "seconds", rename_all = "snake_case")]
pub enum SecondsLag {
    /// Replayed everything the primary has written.
    CaughtUp,
    /// Behind by this many seconds (age of the last replayed transaction).
    Behind(f64),
    /// Behind, but the replica has never replayed a transaction: no age to report. Not 0.
    Unknown,
}

impl SecondsLag {
    /// `bytes_behind`: from [`byte_lag`]; `replay_age_s`: `now() - pg_last_xact_replay_timestamp()`
    /// on the replica, `None` when that timestamp is NULL.
    pub fn evaluate(bytes_behind: u64, replay_age_s: Option<f64>) -> Self {
        if bytes_behind == 0 {
            return SecondsLag::CaughtUp;
        }
        match replay_age_s {
            Some(age) if age.is_finite() => SecondsLag::Behind(age.max(0.0)),
            _ => SecondsLag::Unknown,
        }
    }

    pub fn seconds(self) -> Option<f64> {
        match self {
            SecondsLag::CaughtUp => Some(0.0),
            SecondsLag::Behind(s) => Some(s),
            SecondsLag::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_halves_are_32_bits_each() {
        assert_eq!(parse_lsn("FFFFFFFF/FFFFFFFF"), Some(u64::MAX));
        assert_eq!(parse_lsn("FFFFFFFF/0"), Some(0xFFFF_FFFF_0000_0000));
        assert_eq!(parse_lsn("0/FFFFFFFF"), Some(0xFFFF_FFFF));
        assert_eq!(parse_lsn("100000000/0"), None);
        assert_eq!(parse_lsn("0/100000000"), None);
    }

    #[test]
    fn a_replay_age_that_is_not_a_number_is_unknown() {
        for age in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                SecondsLag::evaluate(10, Some(age)),
                SecondsLag::Unknown,
                "{age}"
            );
        }
        assert_eq!(
            SecondsLag::evaluate(10, Some(-1.0)),
            SecondsLag::Behind(0.0)
        );
    }

    #[test]
    fn parses_lsns() {
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert_eq!(parse_lsn("0/3000148"), Some(0x3000148));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374D848));
        assert_eq!(parse_lsn("garbage"), None);
        assert_eq!(parse_lsn("1/"), None);
        assert_eq!(parse_lsn("100000000/0"), None);
    }

    #[test]
    fn the_last_record_ends_where_the_next_starts_or_at_the_page_boundary() {
        // Mid-page: the insert position is the end of the last record.
        assert_eq!(last_record_end(0x8575FD0), 0x8575FD0);
        // Just past a page's short header, or a segment's first page's long header: the last
        // record ended on the boundary, where a caught-up replica's replay position is.
        assert_eq!(last_record_end(0x8576018), 0x8576000);
        assert_eq!(last_record_end(0x9000028), 0x9000000);
        // A record starting right after a page header and already inserted moves it on.
        assert_eq!(last_record_end(0x8576048), 0x8576048);
        assert_eq!(byte_lag(last_record_end(0x8576018), 0x8576000), 0);
    }

    #[test]
    fn byte_lag_never_negative() {
        assert_eq!(byte_lag(1000, 400), 600);
        assert_eq!(byte_lag(400, 1000), 0);
    }

    #[test]
    fn idle_primary_is_not_lag() {
        // Replayed everything; the last transaction is an hour old because nothing was written.
        assert_eq!(SecondsLag::evaluate(0, Some(3600.0)), SecondsLag::CaughtUp);
        assert_eq!(SecondsLag::evaluate(0, Some(3600.0)).seconds(), Some(0.0));
    }

    #[test]
    fn behind_reports_age_and_unknown_is_not_zero() {
        assert_eq!(
            SecondsLag::evaluate(8192, Some(2.5)),
            SecondsLag::Behind(2.5)
        );
        assert_eq!(
            SecondsLag::evaluate(8192, Some(-0.2)),
            SecondsLag::Behind(0.0)
        );
        assert_eq!(SecondsLag::evaluate(8192, None), SecondsLag::Unknown);
        assert_eq!(SecondsLag::Unknown.seconds(), None);
    }
}
